"""The monitor's state intervals (`MonitorSpell`, written by `casework.monitor.spells` whenever a
fact is recorded) say what the replay of each case's events says, day by day: over random
histories with back-dated facts (registrations, taking part, moves between schools, exemptions,
clocks, startkwalificatie, closure), every case's spell on a day equals `replay.state_on`, and
`counts_on` equals `replay.counts_replayed` for several scopes."""

import datetime as dt
import importlib

import pytest
from django.apps import apps
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from casework import monitor
from casework.models import Case, CaseEvent, Child, Deadline, MonitorSpell, Vrijstelling
from casework.monitor import spells
from casework.services.ladder import change_registration_to, record_registration
from casework.step import Step
from teams.models import Sector
from tests import monitor_replay as replay
from tests.factories import CaseFactory, ChildFactory, RegionFactory, SchoolFactory, UserFactory

BASE = dt.date(2026, 1, 1)
DAYS = 150
LEVELS = ["geen", "gedeeltelijk", "volledig"]
SETTINGS_ = ["eigen_school", "rebound", "andere_school"]

# One fact: (case, the day it is recorded, what, a parameter, how many days it is dated back).
OPERATIONS = st.tuples(
    st.integers(0, 3), st.integers(0, DAYS - 1),
    st.sampled_from(["registration", "participation", "move", "unenrol", "exemption", "exemption_end", "clock",
                     "clock_met", "startkwalificatie", "closed"]),
    st.integers(0, 11), st.integers(0, 40))


@pytest.fixture
def world(db):
    region = RegionFactory(name="Regio Spells")
    schools = [SchoolFactory(region=region, sector=Sector.VO), SchoolFactory(region=region, sector=Sector.MBO),
               SchoolFactory(region=region, sector=Sector.VO)]
    return {"region": region, "schools": schools, "user": UserFactory()}


def moment(day: int, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(BASE + dt.timedelta(days=day), dt.time(hour, 30)))


def play(world, operations) -> list[Case]:
    """Four cases (signalled before BASE, the children 13 to 17) with the operations as their
    history, in the order of recording, each fact dated back by its last element."""
    schools = world["schools"]
    cases = []
    for i in range(4):
        child = ChildFactory(birth_date=dt.date(2009 + i, 3, 1 + i))
        case = CaseFactory(school=schools[i % 2], child=child, signalled_at=moment(-3 - i),
                           absent_since=BASE - dt.timedelta(days=20 + 7 * i),
                           registration=["lrv", "dreigend", "ziek", "lrv"][i])
        with Step.begin(None) as step:
            record_registration(step, case, None, case.registration, since=case.absent_since, reason="",
                                trigger="signalled", at=case.signalled_at)
        cases.append(case)
    for index, day, what, param, back in sorted(operations, key=lambda operation: operation[1]):
        case = Case.objects.get(pk=cases[index].pk)
        if case.closed_at is not None and what != "exemption_end":
            continue
        at = moment(day)
        since = max(case.absent_since, BASE + dt.timedelta(days=day - back))
        with transaction.atomic():
            if what == "registration":
                target = ["lrv", "ziek", "dreigend"][param % 3]
                if case.registration not in ("av", target):
                    with Step.begin(None) as step:
                        change_registration_to(step, case, target, at, since=since, trigger="test")
            elif what == "participation":
                level = LEVELS[param % 3]
                CaseEvent.record(case, None, "participation_changed", at=at, **{
                    "from": "geen", "level": level, "since": since.isoformat(),
                    "setting": "" if level == "geen" else SETTINGS_[param % 3]})
            elif what == "move":  # enrolled elsewhere (from av: enrolment; else a change of school)
                school = schools[param % 3]
                if case.registration == "av":
                    with Step.begin(None) as step:
                        change_registration_to(step, case, "lrv", at, since=since, trigger="test", school=school,
                                               sector=school.sector)
                elif school.pk != case.school_id:
                    Case.objects.filter(pk=case.pk).update(school=school, sector=school.sector)
                    CaseEvent.record(case, None, "school_changed", at=at, **{
                        "from_school": case.school_id, "school": school.pk, "sector": school.sector,
                        "region": school.region_id, "since": since.isoformat(), "reason": "test"})
            elif what == "unenrol" and case.registration == "lrv":
                with Step.begin(None) as step:
                    change_registration_to(step, case, "av", at, since=since, trigger="test", school=None)
            elif what == "exemption":
                Vrijstelling.objects.create(
                    case=case, grounds=["5a", "5b", "15"][param % 3], motivation="M", medical_statement=True,
                    requested_by=world["user"], granted=param % 4 != 3, decided_at=at, starts_on=since,
                    until=since + dt.timedelta(days=10 + 5 * param))
                CaseEvent.record(case, None, "vrijstelling_decided", at=at, granted=param % 4 != 3)
            elif what == "exemption_end":
                exemption = Vrijstelling.objects.filter(case=case, granted=True, ended_on__isnull=True).last()
                if exemption is not None and exemption.starts_on <= since < exemption.until:
                    Vrijstelling.objects.filter(pk=exemption.pk).update(ended_on=since)
                    CaseEvent.record(case, None, "exemption_ended", at=at, vrijstelling_id=exemption.pk,
                                     last_day=since.isoformat())
            elif what == "clock":
                clock = Deadline.objects.create(case=case, kind="offer_3_months", sequence=Deadline.objects.count() + 10,
                                                due_at=moment(day - back + param, 0))
                CaseEvent.record(case, None, "deadline_breached", at=at, deadline_id=clock.pk,
                                 deadline_kind="offer_3_months")  # (changes no spell: the due date said it)
                spells.refresh([case.pk])  # as the intake or the end of an exemption that start a clock do
            elif what == "clock_met":
                clock = Deadline.objects.filter(case=case, kind="offer_3_months", met_at__isnull=True,
                                                stopped_at__isnull=True).first()
                if clock is not None:
                    field = "met_at" if param % 2 else "stopped_at"
                    Deadline.objects.filter(pk=clock.pk).update(**{field: moment(day - back // 4)})
                    CaseEvent.record(case, None, "deadline_met" if param % 2 else "deadline_stopped", at=at,
                                     deadline_id=clock.pk, deadline_kind="offer_3_months")
            elif what == "startkwalificatie" and case.child.startkwalificatie_on is None:
                Child.objects.filter(pk=case.child_id).update(startkwalificatie=True, startkwalificatie_on=since)
                CaseEvent.record(case, None, "startkwalificatie_recorded", at=at, obtained_on=since.isoformat())
            elif what == "closed":
                Case.objects.filter(pk=case.pk).update(closed_at=at, status="closed", outcome="anders")
                CaseEvent.record(case, None, "closed", at=at, outcome="anders")
    return cases


def scopes(world) -> list[monitor.Scope]:
    regions = [world["region"].pk]
    return [monitor.Scope(regions=regions), monitor.Scope(regions=regions, sector="vo"),
            monitor.Scope(regions=regions, sector="mbo"), monitor.Scope(regions=regions, school=world["schools"][0].pk)]


def assert_spells_are_the_replay(world, cases, days):
    for day in days:
        held = {spell.case_id: spell for spell in monitor.spells_on(monitor.Scope(regions=[world["region"].pk]), day)}
        for case in cases:
            case = Case.objects.get(pk=case.pk)
            expected = replay.state_on(case, day)
            spell = held.get(case.pk)
            if expected is None:
                assert spell is None, (case.pk, day)
                continue
            assert spell is not None, (case.pk, day, expected)
            got = {name: getattr(spell, name) for name in expected}
            assert got == expected, (case.pk, day)
        for scope in scopes(world):
            assert monitor.counts_on(scope, day) == replay.counts_replayed(scope, day), (day, scope)


@settings(max_examples=12, deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(operations=st.lists(OPERATIONS, min_size=4, max_size=22), days=st.lists(st.integers(-10, DAYS + 60),
                                                                                 min_size=3, max_size=6))
def test_spells_are_the_replay_of_random_histories(world, operations, days):
    with transaction.atomic():
        cases = play(world, operations)
        assert_spells_are_the_replay(world, cases, [BASE + dt.timedelta(days=day) for day in days])
        transaction.set_rollback(True)


def test_a_back_dated_fact_splits_the_spells_it_cuts(world):
    """A move on day 20, then a registration change recorded later but dated back to day 10: the
    days 10-19 are ziek at the old school, from day 20 ziek at the new one."""
    cases = play(world, [(0, 20, "move", 2, 0), (0, 30, "registration", 1, 20)])
    case = cases[0]
    rows = list(MonitorSpell.objects.filter(case=case).order_by("valid_from").values_list(
        "valid_from", "valid_to", "registration", "school_id"))
    old, new = world["schools"][0].pk, world["schools"][2].pk
    def day(days):
        return BASE + dt.timedelta(days=days)

    assert rows == [(timezone.localdate(case.signalled_at), day(days=10), "lrv", old),
                    (day(days=10), day(days=20), "ziek", old),
                    (day(days=20), None, "ziek", new)]
    assert_spells_are_the_replay(world, cases, [day(days=n) for n in (9, 10, 19, 20, 40)])


def test_refresh_writes_the_same_rows_as_the_recorded_facts(world):
    """Rebuilding from scratch (as the migration does for an existing database) gives the rows
    the services wrote as they went."""
    cases = play(world, [(0, 5, "participation", 1, 2), (1, 8, "exemption", 0, 0), (2, 12, "unenrol", 0, 3),
                         (2, 30, "move", 0, 1), (3, 40, "closed", 0, 0), (1, 50, "clock", 2, 10)])
    written = sorted(MonitorSpell.objects.values_list("case_id", "valid_from", "valid_to", "registration", "level",
                                                      "school_id", "exemption_ground", "without_offer"))
    spells.refresh([case.pk for case in cases])
    assert sorted(MonitorSpell.objects.values_list("case_id", "valid_from", "valid_to", "registration", "level",
                                                   "school_id", "exemption_ground", "without_offer")) == written
    assert len(written) >= 8


def test_the_migration_builds_the_spells_of_an_existing_database(world):
    """Migration 0021 gives an existing database the spells its facts give (read with the models
    it is handed, as the historical ones are)."""
    cases = play(world, [(0, 5, "participation", 2, 1), (1, 9, "exemption", 1, 0), (2, 20, "unenrol", 0, 0),
                         (3, 30, "clock", 0, 5), (0, 40, "closed", 0, 0)])
    written = sorted(MonitorSpell.objects.values_list("case_id", "valid_from", "valid_to", "registration", "level",
                                                      "school_id", "exemption_ground", "without_offer"))
    MonitorSpell.objects.all().delete()
    migration = importlib.import_module("casework.migrations.0021_monitor_spells")  # (its name starts with a digit)
    migration.build_spells(apps, None)
    assert sorted(MonitorSpell.objects.values_list("case_id", "valid_from", "valid_to", "registration", "level",
                                                   "school_id", "exemption_ground", "without_offer")) == written
    assert {row[0] for row in written} == {case.pk for case in cases}


@pytest.mark.postgresql  # the btree on the spells' end exists on PostgreSQL only (SQLite compares the dates)
def test_the_peildatum_count_is_one_index_only_range_scan(world, django_assert_num_queries):
    """`counts_on` is one statement (the grouped counts and the open cases together), and on
    PostgreSQL it finds the day's spells by their end (`until > day`) in the btree that includes
    every column it reads: an Index Only Scan, with no join to the case or the child."""
    cases = play(world, [(0, 5, "participation", 1, 2), (1, 8, "exemption", 0, 0), (2, 30, "closed", 0, 0)])
    scope, day = monitor.Scope(regions=[world["region"].pk]), BASE + dt.timedelta(days=20)
    with django_assert_num_queries(1), CaptureQueriesContext(connection) as queries:
        counts = monitor.counts_on(scope, day)
    assert counts == replay.counts_replayed(scope, day) and counts["open_cases"] == len(cases)
    sql = queries.captured_queries[0]["sql"]
    assert "JOIN" not in sql.upper() and "'infinity'::date) >" in sql
    with connection.cursor() as cursor:
        # A handful of rows, never vacuumed: the planner would rather read the table, or walk any
        # index that has the start in it and filter the rest (which one depends on guesses
        # without statistics). Without those (for this transaction only: rolled back with the
        # test), it takes an index-only scan only if one index covers both the predicate and
        # every column the count reads.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute("DROP INDEX monitorspell_from")
        cursor.execute("DROP INDEX monitorspell_case")
        cursor.execute(f"EXPLAIN {sql}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Index Only Scan using monitorspell_until" in plan, plan
