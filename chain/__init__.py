"""The chain: absence reports (verzuimmeldingen, as from DUO's Verzuimloket) and enrolment changes
(in- en uitschrijvingen, as in BRON) read into casework, so that a school registers a thuiszitter
once and the cases follow what the chain already knows."""
