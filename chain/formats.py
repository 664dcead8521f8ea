"""The two import formats (documented in docs/integrations.md): absence reports and enrolment
changes, each as CSV (a header row; `,` or `;` separated, UTF-8 with or without BOM) or as JSON
(a list of objects with the same keys). Every row is read into a typed row or a refusal with a
Dutch reason; nothing is written here.

A column that carries a BSN or an onderwijsnummer is dropped before any row is read: casework
stores neither (the answer names the columns dropped)."""

import csv
import io
import re
from dataclasses import dataclass
from datetime import date

from django.utils.translation import gettext as _

from chain.models import AbsenceReport, EnrolmentChange

# Column names that carry a national number, in any spelling (bsn, BSN, burgerservicenummer,
# onderwijsnummer, onderwijs_nummer, sofinummer, pgn (persoonsgebonden nummer)).
NATIONAL_NUMBER = re.compile(r"^(bsn|burger_?service_?nummer|onderwijs_?nummer|sofi_?nummer|pgn|"
                             r"persoonsgebonden_?nummer)$")
BRIN = re.compile(r"^\d{2}[A-Z]{2}$")
VESTIGING = re.compile(r"^\d{2}$")
MAX_ROWS = 5000
MAX_TEXT = 500

ABSENCE_FIELDS = ("brin", "vestiging", "pupil_number", "family_name", "given_names", "birth_date", "kind",
                  "first_day", "last_day", "reason", "melding_id", "reported_on")
ENROLMENT_FIELDS = ("brin", "vestiging", "pupil_number", "family_name", "given_names", "birth_date", "change", "date")
REQUIRED = {"brin", "family_name", "given_names", "birth_date"}


class FormatError(ValueError):
    """The file as a whole cannot be read (not CSV or JSON, no header, too many rows)."""


@dataclass
class Pupil:
    brin: str
    vestiging: str
    pupil_number: str
    family_name: str
    given_names: str
    birth_date: date


@dataclass
class AbsenceRow(Pupil):
    kind: str
    first_day: date
    last_day: date | None
    reason: str
    melding_id: str
    reported_on: date | None


@dataclass
class EnrolmentRow(Pupil):
    change: str
    date: date


@dataclass
class Refused:
    reason: str


def _key(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", str(name).strip().lower())


def drop_national_numbers(records: list[dict]) -> tuple[list[dict], list[str]]:
    """The records without any BSN or onderwijsnummer column, and the columns dropped."""
    dropped = sorted({key for record in records for key in record if NATIONAL_NUMBER.match(_key(key))})
    return [{_key(k): v for k, v in record.items() if k not in dropped} for record in records], dropped


def read_csv(raw: bytes) -> list[dict]:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FormatError(_("The file is not UTF-8 text.")) from None
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise FormatError(_("The file has no header row."))
    delimiter = ";" if lines[0].count(";") > lines[0].count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    records = []
    for record in reader:
        if None in record:
            record.pop(None)  # cells past the header: ignored
        if any((value or "").strip() for value in record.values()):
            records.append({key: (value or "") for key, value in record.items() if key is not None})
        if len(records) > MAX_ROWS:
            raise FormatError(_("At most %(max)s rows per import.") % {"max": MAX_ROWS})
    return records


def check_records(records) -> list[dict]:
    """JSON input: a list of objects, each value a string, number or null."""
    if not isinstance(records, list):
        raise FormatError(_("Send a list of rows."))
    if len(records) > MAX_ROWS:
        raise FormatError(_("At most %(max)s rows per import.") % {"max": MAX_ROWS})
    checked = []
    for record in records:
        if not isinstance(record, dict):
            raise FormatError(_("Each row is an object with the documented keys."))
        checked.append({str(key): "" if value is None else str(value) for key, value in record.items()
                        if not isinstance(value, dict | list)})
    return checked


def _date(value: str, field: str, errors: list[str], *, required: bool = True) -> date | None:
    value = value.strip()
    if not value:
        if required:
            errors.append(_("%(field)s is missing.") % {"field": field})
        return None
    for pattern in (r"^(\d{4})-(\d{2})-(\d{2})$", r"^(\d{2})-(\d{2})-(\d{4})$"):
        found = re.match(pattern, value)
        if found:
            parts = found.groups()
            year, month, day = (parts[0], parts[1], parts[2]) if len(parts[0]) == 4 else (parts[2], parts[1], parts[0])
            try:
                parsed = date(int(year), int(month), int(day))
            except ValueError:
                break
            if 1990 <= parsed.year <= 2100:
                return parsed
            break
    errors.append(_("%(field)s is not a date (yyyy-mm-dd or dd-mm-yyyy): %(value)s") % {"field": field, "value": value[:20]})
    return None


def _pupil(record: dict, errors: list[str], today: date) -> dict:
    get = lambda name: str(record.get(name, "")).strip()  # noqa: E731 - a short local reader
    fields = {"brin": get("brin").upper(), "vestiging": get("vestiging"), "pupil_number": get("pupil_number"),
              "family_name": get("family_name"), "given_names": get("given_names")}
    for name in sorted(REQUIRED - {"birth_date"}):
        if not fields[name]:
            errors.append(_("%(field)s is missing.") % {"field": name})
    if fields["brin"] and not BRIN.match(fields["brin"]):
        errors.append(_("brin is 2 digits and 2 capitals (e.g. 12AB): %(value)s") % {"value": fields["brin"][:10]})
    if fields["vestiging"] and not VESTIGING.match(fields["vestiging"]):
        errors.append(_("vestiging is 2 digits (e.g. 01): %(value)s") % {"value": fields["vestiging"][:10]})
    for name, limit in (("pupil_number", 30), ("family_name", 150), ("given_names", 200)):
        if len(fields[name]) > limit:
            errors.append(_("%(field)s is longer than %(max)s characters.") % {"field": name, "max": limit})
    fields["birth_date"] = _date(get("birth_date"), "birth_date", errors)
    if fields["birth_date"] and fields["birth_date"] > today:
        errors.append(_("birth_date is in the future."))
    return fields


def absence_row(record: dict, today: date) -> AbsenceRow | Refused:
    errors: list[str] = []
    fields = _pupil(record, errors, today)
    kind = str(record.get("kind", "")).strip()
    if kind not in AbsenceReport.Kind.values:
        errors.append(_("kind is one of %(kinds)s: %(value)s") % {"kinds": ", ".join(AbsenceReport.Kind.values),
                                                                   "value": kind[:30] or "—"})
    first = _date(str(record.get("first_day", "")), "first_day", errors)
    last = _date(str(record.get("last_day", "")), "last_day", errors, required=False)
    reported = _date(str(record.get("reported_on", "")), "reported_on", errors, required=False)
    if first and first > today:
        errors.append(_("first_day is in the future."))
    if first and last and last < first:
        errors.append(_("last_day is before first_day."))
    reason = str(record.get("reason", "")).strip()
    melding = str(record.get("melding_id", "")).strip()
    if len(reason) > MAX_TEXT:
        errors.append(_("reason is longer than %(max)s characters.") % {"max": MAX_TEXT})
    if len(melding) > 40:
        errors.append(_("melding_id is longer than 40 characters."))
    if errors:
        return Refused("; ".join(errors))
    return AbsenceRow(**fields, kind=kind, first_day=first, last_day=last, reason=reason, melding_id=melding,
                      reported_on=reported)


def enrolment_row(record: dict, today: date) -> EnrolmentRow | Refused:
    errors: list[str] = []
    fields = _pupil(record, errors, today)
    change = str(record.get("change", "")).strip().lower()
    if change not in EnrolmentChange.Change.values:
        errors.append(_("change is in or out: %(value)s") % {"value": change[:10] or "—"})
    when = _date(str(record.get("date", "")), "date", errors)
    if when and when > today:
        errors.append(_("date is in the future."))
    if errors:
        return Refused("; ".join(errors))
    return EnrolmentRow(**fields, change=change, date=when)
