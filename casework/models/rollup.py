"""The monitor's summaries, kept in the transaction that writes the events.

- `MonitorTally`: a daily rollup, day x region x sector x school x measure -> count, as
  append-only deltas: every recorded event adds its rows in the same INSERT (no row is ever
  updated while a step runs, so there is no hot row); the sweeper compacts the rows of a key
  into one (`compact_tallies`). A few "ladder" measures count distinct cases over a period,
  which a daily count cannot answer; their rows carry the case's id (`case_ref`, a number, no
  personal data) and are compacted per case and day.
- The milestone columns on the case (`first_reviewed_at`, `escalated_at`, `offer_started_at`):
  the first time it happened, written once.

Region, sector and school are the case's at the time of the event (when it was built: the
school a registration change moves the case to counts for that change and what follows).
Timings come from the milestones and the case's current region, sector and school.

`tallies_for` is the single mapping from an event to its rows; `summarise` writes them.
"""

from collections.abc import Iterable
from datetime import date, timedelta
from datetime import datetime as _datetime

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .cases import Case
from .clocks import Deadline
from .steps import Route

# Events counted per kind in a period.
KIND_MEASURES = ("signalled", "placed", "vrijstelling_advised", "director_decided")
# An exemption counts as granted by Leerplicht's decision, by its record with the signal (5b, 5c,
# 15), or, for a 5a recorded with the signal, by the SWV's advice on it: every such event says
# `granted: true`.
GRANTING_KINDS = ("vrijstelling_decided", "vrijstelling_recorded", "vrijstelling_advised")
# The MPL's doorbraak decision, by its decision: a place (`plaatsing`) or no agreement
# (`geen_overeenstemming`, the case goes on to the SWV director).
DOORBRAAK_DECISIONS = ("plaatsing", "geen_overeenstemming")
CLOCK_OUTCOMES = {"deadline_met": "met", "deadline_breached": "breached", "deadline_stopped": "stopped"}
COMPLIANCE_CLOCKS = (Deadline.Kind.TEAM_ACTION_48H, Deadline.Kind.OFFER_3_MONTHS)
# Measures counted as distinct cases over a period (rows carry the case).
RUNGS = ("team", "ect", "mpl_doe", "director")
# The milestone columns: event kind -> the case's column holding its first moment.
MILESTONES = {"team_review": "first_reviewed_at", "escalated": "escalated_at", "offer_started": "offer_started_at"}


class MonitorTally(models.Model):
    """One delta of the monitor's daily rollup (see the module docstring)."""

    day = models.DateField(_("day"))
    region_id = models.IntegerField(_("region"))
    sector = models.CharField(_("sector"), max_length=3)
    school_id = models.IntegerField(_("school"), null=True, blank=True)
    measure = models.CharField(_("measure"), max_length=60)
    case_ref = models.IntegerField(_("case"), null=True, blank=True,
                                   help_text=_("Only for measures that count distinct cases over a period."))
    n = models.IntegerField(_("count"))
    # False for a delta as written; the sweeper's compaction writes one compacted row per key.
    compacted = models.BooleanField(_("compacted"), default=False)

    class Meta:
        verbose_name = _("monitor tally")
        verbose_name_plural = _("monitor tallies")
        indexes = [
            # The monitor reads a period's rows of its regions; the sweeper groups by the key.
            models.Index(fields=["day", "region_id", "measure"], name="monitortally_day"),
            models.Index(fields=["id"], name="monitortally_fresh", condition=Q(compacted=False)),
        ]

    def __str__(self):
        return f"{self.day} {self.measure} {self.n:+d}"


def _day(moment) -> date:
    return timezone.localdate(moment) if isinstance(moment, _datetime) else moment


def measures_of(kind: str, data: dict) -> list[tuple[str, date | None, bool]]:
    """The rollup's measures an event of `kind` with `data` counts for: (measure, the day it
    counts on when not the event's own day, whether it counts distinct cases)."""
    found: list[tuple[str, date | None, bool]] = []
    if kind in KIND_MEASURES:
        found.append((kind, None, False))
    if kind == "closed" and isinstance(data.get("outcome"), str):
        found.append((f"closed:{data['outcome']}", None, False))
    if kind in GRANTING_KINDS and data.get("granted") is True:
        found.append(("vrijstelling_granted", None, False))
    if kind == "doorbraak_decided" and data.get("decision") in DOORBRAAK_DECISIONS:
        found.append((f"doorbraak:{data['decision']}", None, False))
    if kind == "team_review":
        chosen = data.get("routes")
        for route in Route.values:
            if chosen and route in chosen:
                found.append((f"route:{route}", None, False))
        found.append(("rung:team", None, True))
        if chosen and Route.ECT_CONSULT in chosen:
            found.append(("rung:ect", None, True))
    if kind in CLOCK_OUTCOMES and data.get("deadline_kind") in COMPLIANCE_CLOCKS:
        # a met clock counts as met when it says it was not late (a "passed" mark says nothing)
        if kind != "deadline_met" or ("late" in data and data["late"] is not True):
            found.append((f"compliance:{data['deadline_kind']}:{CLOCK_OUTCOMES[kind]}", None, False))
    if kind == "deadline_breached" and data.get("deadline_kind") == Deadline.Kind.TEAM_ACTION_48H:
        found.append(("rung:ect", None, True))
    if kind == "escalated":
        found.append(("rung:mpl_doe", None, True))
    if kind == "director_decided" or (kind == "deadline_breached"
                                      and data.get("deadline_kind") == Deadline.Kind.OFFER_3_MONTHS):
        found.append(("rung:director", None, True))
    return found


def absent_to_start(event) -> tuple[str, date] | None:
    """An `offer_started` event's measure: days from the first day out of school to the start,
    counted on the start day (a histogram, so that the percentiles are exact). After an exemption
    the days run from the day after its last day: the latest `exemption_ended` of the case
    recorded before this event whose last day fell before the start."""
    try:
        started = date.fromisoformat((event.data or {}).get("started_on") or "")
    except (TypeError, ValueError):
        return None
    return f"absent_to_start:{(started - counted_from(event, started)).days}", started


def counted_from(event, started: date) -> date:
    """The first day out of school that "days absent to placement" counts from for an
    `offer_started` event: the case's `absent_since`, or the day after the last day of the latest
    exemption that ended (recorded before the event) before `started`. Reads the events through
    the event's own class, so that a migration's historical model works too."""
    counted = event.case.absent_since
    ends = type(event).objects.filter(case_id=event.case_id, kind="exemption_ended", pk__lt=event.pk) \
        .values_list("data", flat=True)
    for data in ends:
        try:
            last_day = date.fromisoformat((data or {}).get("last_day") or "")
        except (TypeError, ValueError):
            continue
        if last_day < started:
            counted = max(counted, last_day + timedelta(days=1))
    return counted


def tallies_for(events: Iterable) -> list[MonitorTally]:
    """The rollup's rows for recorded events (one per measure; distinct-case rows once per case,
    day and measure)."""
    rows, seen = [], set()
    for event in events:
        region_id, sector, school_id = getattr(event, "_dims", None) or (
            event.case.region_id, event.case.sector, event.case.school_id)
        day = _day(event.at)
        found = measures_of(event.kind, event.data or {})
        if event.kind == "offer_started":
            timing = absent_to_start(event)
            if timing:
                found.append((timing[0], timing[1], False))
        for measure, on, distinct in found:
            key = (measure, on or day, event.case_id, region_id, sector, school_id)
            if distinct and key in seen:
                continue
            seen.add(key)
            rows.append(MonitorTally(day=on or day, region_id=region_id, sector=sector, school_id=school_id,
                                     measure=measure, case_ref=event.case_id if distinct else None, n=1))
    return rows


def summarise(events: list) -> None:
    """Write the recorded events' rollup rows (one INSERT) and the milestones they reach (one
    UPDATE per case and milestone, only the first time), in the caller's transaction."""
    rows = tallies_for(events)
    if rows:
        MonitorTally.objects.bulk_create(rows)
    for event in events:
        field = MILESTONES.get(event.kind)
        if field is None:
            continue
        case = event.case
        current = getattr(case, field)
        if current is not None and current <= event.at:
            continue
        Case.objects.filter(Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__gt": event.at}),
                            pk=event.case_id).update(**{field: event.at})
        setattr(case, field, event.at)


class MonitorSpell(models.Model):
    """One spell of a case's state as the monitor counts it on a peildatum: from `valid_from` up
    to (not including) `valid_to` (open-ended when null) the case had these values. Written only
    by `casework.monitor.spells` from the case's dated facts, in the transaction that records
    them; `casework.monitor.counts.counts_on` reads nothing else.

    A case has spells for the days it is open (from the day of its signal up to the day it
    closes) and for the days an exemption runs (open or closed). Region, sector and school are
    where the pupil was enrolled on those days (for an absoluut verzuimer: no school, the case's
    region)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+", db_index=False)
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True)
    is_open = models.BooleanField()
    registration = models.CharField(max_length=10)
    level = models.CharField(max_length=12)
    setting = models.CharField(max_length=20, blank=True)
    region_id = models.IntegerField()
    sector = models.CharField(max_length=3)
    school_id = models.IntegerField(null=True, blank=True)
    category = models.CharField(max_length=30)
    absent_since = models.DateField()
    birth_date = models.DateField()
    startkwalificatie_on = models.DateField(null=True, blank=True)
    exemption_ground = models.CharField(max_length=4, blank=True)
    without_offer = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("monitor spell")
        verbose_name_plural = _("monitor spells")
        indexes = [
            models.Index(fields=["case", "valid_from"], name="monitorspell_case"),
            models.Index(fields=["valid_from", "region_id"], name="monitorspell_from"),
        ]

    def __str__(self):
        return f"{self.case_id} {self.valid_from}..{self.valid_to or ''} {self.registration}"
