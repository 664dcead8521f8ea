"""A school year's two counts side by side, from one history.

DUO and the municipality count per year (how many pupils were reported LRV or AV in the year),
the samenwerkingsverband on peildata (how many are thuiszitters on a day); "dit bemoeilijkt de
onderlinge vergelijking" (Thuiszitterspact Groningen, §6). The year view gives both from the same
spells (`MonitorSpell`), so that they can be compared:

- **the year**: the distinct pupils who were LRV or AV (a threatened pupil counting as LRV from
  day 29) on at least one day of the school year (1 August to 31 July, up to today for a running
  year) while their case was open, they did not take part fully and they were of compulsory
  school age; by registration, and by how many days of the year they were out (the monitor's
  duration bands);
- **the peildata**: the counts of `counts_on` on the quarter ends inside the year (30 September,
  31 December, 31 March, 30 June: the SWV's quarterly reporting to the Inspectie), those that have
  passed;
- **the chain's reports**: the absence reports read for the cases in scope in the year, by kind;
- **the ECT's caseload** (KPI 8): `ect_caseload`;
- **referrals and returns** (KPI 6): `referrals_and_returns`;
- **KPI 9**: the satisfaction after the ECT's consults that closed in the year
  (`casework.monitor.survey`).
"""

import datetime as dt
import re
import statistics
from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.utils.timezone import localdate

from casework.clocks import MAX_AGE, MIN_AGE, QUALIFICATION_AGE, add_years, lrv_days
from casework.models import (
    Case,
    CaseEvent,
    EctAdvice,
    MonitorSpell,
    Plan,
    Provision,
    Route,
    RouteRun,
    Thuiswerkplan,
)
from casework.monitor.counts import BUCKETS, Scope, counts_on, end_of, start_of
from casework.monitor.period import thuiswerkplan_on
from casework.monitor.survey import kpi9

SCHOOL_YEAR = re.compile(r"^(\d{4})-(\d{4})$")
FIRST_SCHOOL_YEAR, LAST_SCHOOL_YEAR = 2000, 2100


def parse_school_year(label: str) -> tuple[dt.date, dt.date]:
    """`2025-2026` -> (2025-08-01, 2026-07-31); ValueError for anything else."""
    found = SCHOOL_YEAR.match(label or "")
    if not found or int(found.group(2)) != int(found.group(1)) + 1 or \
            not FIRST_SCHOOL_YEAR <= int(found.group(1)) <= LAST_SCHOOL_YEAR:
        raise ValueError(label)
    start = int(found.group(1))
    return dt.date(start, 8, 1), dt.date(start + 1, 7, 31)


def school_year_of(day: dt.date) -> str:
    start = day.year if day.month >= 8 else day.year - 1
    return f"{start}-{start + 1}"


def peildata(first: dt.date) -> list[dt.date]:
    year = first.year
    return [dt.date(year, 9, 30), dt.date(year, 12, 31), dt.date(year + 1, 3, 31), dt.date(year + 1, 6, 30)]


def _compulsory(birth: dt.date, diploma: dt.date | None) -> tuple[dt.date, dt.date]:
    """The half-open window of compulsory school age: from the 5th birthday to the 18th, ending at
    16 or later when a startkwalificatie was obtained (casework.clocks.leerplicht_ends_on)."""
    end = add_years(birth, MAX_AGE)
    if diploma is not None:
        end = min(end, max(diploma, add_years(birth, QUALIFICATION_AGE)))
    return add_years(birth, MIN_AGE), end


@dataclass
class _Pupil:
    sector: str
    stretches: dict = field(default_factory=lambda: {"lrv": [], "av": []})

    def days_out(self) -> int:
        """The days of the year out as LRV or AV (overlapping stretches counted once)."""
        total, reach = 0, None
        for start, end in sorted(self.stretches["lrv"] + self.stretches["av"]):
            if reach is not None and start < reach:
                start = reach
            if start < end:
                total += (end - start).days
            reach = end if reach is None else max(reach, end)
        return total


def _out_days(spell: dict, first: dt.date, stop: dt.date) -> tuple[str, dt.date, dt.date] | None:
    """The registration and the half-open stretch of the year in which the spell's pupil counted
    as a thuiszitter (LRV or AV), or None."""
    if not spell["is_open"] or spell["level"] == Case.Participation.VOLLEDIG:
        return None
    registration, start = spell["registration"], max(spell["valid_from"], first)
    if registration == Case.Registration.DREIGEND:
        registration, start = Case.Registration.LRV, max(start, spell["absent_since"] + dt.timedelta(days=lrv_days()))
    if registration not in (Case.Registration.LRV, Case.Registration.AV):
        return None
    end = min(spell["valid_to"] or stop, stop)
    young, old = _compulsory(spell["birth_date"], spell["startkwalificatie_on"])
    start, end = max(start, young), min(end, old)
    return (registration, start, end) if start < end else None


def year_counts(scope: Scope, first: dt.date, until: dt.date) -> dict:
    stop = until + dt.timedelta(days=1)
    spells = (MonitorSpell.objects.filter(scope.spell_q(), valid_from__lte=until)
              .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=first))
              .values("case_id", "valid_from", "valid_to", "is_open", "registration", "level", "absent_since",
                      "birth_date", "startkwalificatie_on", "sector").order_by())
    pupils: dict[int, _Pupil] = {}
    for spell in spells.iterator(chunk_size=2000):
        stretch = _out_days(spell, first, stop)
        if stretch is None:
            continue
        registration, start, end = stretch
        pupil = pupils.setdefault(spell["case_id"], _Pupil(spell["sector"]))
        pupil.stretches[registration].append((start, end))
    durations = dict.fromkeys([name for name, _, _ in BUCKETS], 0)
    by_sector: dict[str, int] = {}
    for pupil in pupils.values():
        days = pupil.days_out()
        name = next(name for name, low, high in BUCKETS if days >= low and (high is None or days < high))
        durations[name] += 1
        by_sector[pupil.sector] = by_sector.get(pupil.sector, 0) + 1
    with_plan = (Thuiswerkplan.objects.filter(case_id__in=list(pupils), starts_on__lte=until)
                 .filter(Q(until__isnull=True) | Q(until__gte=first)).values("case_id").distinct().count()
                 if pupils else 0)
    return {"thuiszitters": len(pupils), "thuiswerkplan": with_plan,
            "lrv": sum(1 for p in pupils.values() if p.stretches["lrv"]),
            "av": sum(1 for p in pupils.values() if p.stretches["av"]), "durations": durations,
            "by_sector": dict(sorted(by_sector.items()))}


def year_report(scope: Scope, school_year: str, today: dt.date, *, within: list[int] | None = None) -> dict:
    """The year view of `school_year` (ValueError for a malformed one; a year that has not begun
    has nothing to report: ValueError too). A running year is reported up to today. `within`: the
    regions the reader may see (KPI 9 hides a region's result beside a small one)."""
    first, last = parse_school_year(school_year)
    if first > today:
        raise ValueError(school_year)
    until = min(last, today)
    reports = (scope.events().filter(kind=CaseEvent.Kind.ABSENCE_REPORTED, at__date__gte=first,
                                     at__date__lte=until)
               .values("data__absence_kind").annotate(n=Count("pk")).order_by())
    return {
        "school_year": school_year, "from": first.isoformat(), "until": until.isoformat(), "complete": until == last,
        "year": year_counts(scope, first, until),
        "peildata": [{"peildatum": day.isoformat(), **{key: counts[key] for key in ("thuiszitters", "lrv", "av", "ziek")},
                      "thuiswerkplan": thuiswerkplan_on(scope, day)}
                     for day in peildata(first) if day <= until for counts in [counts_on(scope, day)]],
        "absence_reports": {row["data__absence_kind"]: row["n"] for row in reports},
        "ect": ect_caseload(scope, first, until),
        "referrals": referrals_and_returns(scope, first, until),
        "kpi9": kpi9(scope, school_year, within),
    }


def ect_caseload(scope: Scope, first: dt.date, until: dt.date) -> dict:
    """The ECT's caseload in the school year (Jaarkalender & jaarplan SWV VO Groningen Stad, KPI 8:
    "Casuïstiek Expertise- & Consultatieteam (aantal en aard casussen)"): the consults (runs of the
    ECT consult route) started and closed in the year; of those started, the kind of question
    (`clock`: started by the three-month clock, without a team's question), the sector and the
    school; the days from start to close of those closed; whether the first advice was approved or
    rejected at its first reading; and per consultant (the author of a consult's first advice)."""
    start, stop = start_of(first), end_of(until)  # stop: the moment the day after `until` begins
    runs = (RouteRun.objects.filter(scope.q("case__"), route=Route.ECT_CONSULT)
            .filter(Q(started_at__gte=start, started_at__lt=stop) | Q(ended_at__gte=start, ended_at__lt=stop))
            .select_related("plan", "case").order_by("started_at", "pk"))
    started, closed = [], []
    for run in runs:
        if start <= run.started_at < stop:
            started.append(run)
        if run.ended_at is not None and start <= run.ended_at < stop:
            closed.append(run)
    advices = (EctAdvice.objects.filter(case_id__in={run.case_id for run in started + closed})
               .select_related("drafted_by").order_by("drafted_at", "pk"))
    first_advice = {}
    for run in started + closed:
        if run.pk in first_advice:
            continue
        first_advice[run.pk] = next((advice for advice in advices if advice.case_id == run.case_id
                                     and advice.drafted_at >= run.started_at
                                     and (run.ended_at is None or advice.drafted_at <= run.ended_at)), None)
    by_kind = dict.fromkeys([*Plan.EctQuestionKind.values, "clock"], 0)
    by_sector: dict[str, int] = {}
    by_school: dict[str, int] = {}
    for run in started:
        kind = (run.plan.ect_question_kind or Plan.EctQuestionKind.OVERIG) if run.plan_id else "clock"
        by_kind[kind] += 1
        by_sector[run.case.sector] = by_sector.get(run.case.sector, 0) + 1
        if run.case.school_id:
            by_school[str(run.case.school_id)] = by_school.get(str(run.case.school_id), 0) + 1
    days = sorted((run.ended_at - run.started_at).days for run in closed)
    reading = {"approved": 0, "rejected": 0, "pending": 0}
    consultants: dict[str, dict] = {}
    for run in started:
        advice = first_advice[run.pk]
        if advice is not None:
            reading[advice.status] += 1
    for run, counted in [(run, "started") for run in started] + [(run, "closed") for run in closed]:
        advice = first_advice[run.pk]
        name = str(advice.drafted_by) if advice is not None else ""
        row = consultants.setdefault(name, {"consultant": name, "started": 0, "closed": 0})
        row[counted] += 1
    return {"started": len(started), "closed": len(closed), "by_kind": by_kind, "by_sector": dict(sorted(by_sector.items())),
            "by_school": dict(sorted(by_school.items(), key=lambda item: int(item[0]))),
            "days_to_close": {"median": statistics.median(days) if days else None,
                              "mean": round(statistics.fmean(days), 1) if days else None},
            "first_reading": reading,
            "by_consultant": sorted(consultants.values(), key=lambda row: (row["consultant"] == "", row["consultant"]))}


def referrals_and_returns(scope: Scope, first: dt.date, until: dt.date) -> dict:
    """KPI 6 (Jaarkalender & jaarplan SWV VO Groningen Stad, KPI's, 6: "Verwijzingen naar
    Maatwerkvoorzieningen (Rebound/TTVO/Maatwerk cl. 3 en 4) en terugschakeling naar de scholen"):
    the referrals that started in the year per kind of provision (a case's first referral to a
    provision: a place offered there, by the day it was decided, or taking part there, by its day), the returns to a regular school in the year, and for the provisions
    with a term (the OPDC's two years, jaarkalender 1.5) the share of the pupils whose term ended in
    the year who were back at a regular school within it."""
    kinds = dict(Provision.objects.values_list("pk", "kind"))
    terms = {pk: months for pk, months in Provision.objects.exclude(term_months=None).values_list("pk", "term_months")}
    referred: dict[tuple[int, int], dt.date] = {}  # the first referral of a case to a provision, by its date
    for case_id, kind, at, data in (scope.events().filter(kind__in=[CaseEvent.Kind.PARTICIPATION_CHANGED,
                                                                    CaseEvent.Kind.OFFER_RECORDED],
                                                          data__has_key="provision_id")
                                    .values_list("case_id", "kind", "at", "data")):
        # taking part there from its day; a place offered there from the day it was decided
        day = dt.date.fromisoformat(data["since"]) if kind == CaseEvent.Kind.PARTICIPATION_CHANGED else localdate(at)
        key = (case_id, data["provision_id"])
        referred[key] = min(referred.get(key, day), day)
    returned: dict[tuple[int, int], dt.date] = {}
    for case_id, data in (scope.events().filter(kind=CaseEvent.Kind.RETURNED_TO_SCHOOL).order_by("at", "pk")
                          .values_list("case_id", "data")):
        returned.setdefault((case_id, data["provision_id"]), dt.date.fromisoformat(data["since"]))
    referrals = dict.fromkeys(Provision.Kind.values, 0)
    for (_, provision), since in referred.items():
        if first <= since <= until and provision in kinds:
            referrals[kinds[provision]] += 1
    returns = dict.fromkeys(Provision.Kind.values, 0)
    for (_, provision), since in returned.items():
        if first <= since <= until and provision in kinds:
            returns[kinds[provision]] += 1
    cohort = back = 0
    for (case_id, provision), since in referred.items():
        if provision not in terms:
            continue
        term_end = since + term_length(terms[provision])
        if first <= term_end <= until:
            cohort += 1
            came_back = returned.get((case_id, provision))
            back += came_back is not None and came_back <= term_end
    return {"referrals": referrals, "returns": returns,
            "within_term": {"cohort": cohort, "returned": back, "share": round(back / cohort, 3) if cohort else None}}


def term_length(months: int) -> dt.timedelta:
    """A term of `months` as days (a month counted as 30.44 days: the two-year term is 730 days)."""
    return dt.timedelta(days=round(months * 365.25 / 12))
