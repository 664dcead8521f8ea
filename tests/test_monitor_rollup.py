"""The monitor's summaries (daily rollup and milestones) give the same answers as the replay of
every event (`tests/monitor_replay.py`, the reference), over random histories, scopes and
periods: before and after the sweeper compacts the rollup, and after retention."""

import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from casework import monitor
from casework.models import Case, MonitorTally, Route
from casework.services import compact_tallies
from casework.services.ladder import change_registration_to, record_registration
from casework.services.retention import apply_retention
from casework.step import Step
from teams.models import Sector
from tests import monitor_replay as replay
from tests.factories import CaseFactory, RegionFactory, SchoolFactory

BASE = dt.date(2026, 1, 1)
DAYS = 200
CLOCKS = ["team_action_48h", "offer_3_months", "lrv_4_weeks"]

# One operation on a case: (case, day, hour, what, a parameter, recorded with the others in one insert?).
OPERATIONS = st.tuples(
    st.integers(0, 4), st.integers(0, DAYS - 1), st.integers(0, 23),
    st.sampled_from(["signalled", "team_review", "escalated", "placed", "closed", "move", "vrijstelling_advised",
                     "vrijstelling_decided", "doorbraak_decided", "director_decided", "deadline_met",
                     "deadline_breached", "deadline_stopped", "offer_started", "note_added", "vrijstelling_recorded",
                     "exemption_ended"]),
    st.integers(0, 31), st.booleans())


@pytest.fixture
def world(db):
    region = RegionFactory(name="Regio Rollup")
    schools = [SchoolFactory(region=region, sector=Sector.VO), SchoolFactory(region=region, sector=Sector.PO),
               SchoolFactory(region=region, sector=Sector.VO)]
    other = SchoolFactory(sector=Sector.VO)
    return {"region": region, "schools": schools, "other": other}


def moment(day: int, hour: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(BASE + dt.timedelta(days=day), dt.time(hour, 30)))


def play(world, operations, in_order: bool = True) -> list[Case]:
    """Cases with the operations as their history, through `CaseEvent.record` (and its collected,
    bulk form) and the registration service for a change of school; in the order of time, as
    services record them (`at` is now), unless `in_order` is false."""
    if in_order:
        operations = sorted(operations, key=lambda operation: operation[1:3])
    schools = world["schools"]
    cases = [CaseFactory(school=school, signalled_at=moment(-1 - i, 9), absent_since=BASE - dt.timedelta(days=10 * i + 5))
             for i, school in enumerate([*schools, schools[0], world["other"]])]
    for case in cases:  # as intake does: the signal's registration with the case's school
        with Step.begin(None) as step:
            record_registration(step, case, None, case.registration, since=case.absent_since, reason="",
                                trigger="signalled", at=case.signalled_at)
    batch: list[tuple] = []

    def flush():
        with Step.begin(None) as step:
            for args in batch:
                step.record(*args[0], **args[1])
        batch.clear()

    for index, day, hour, what, param, bulk in operations:
        case, at = cases[index], moment(day, hour)
        data: dict = {}
        if what == "move":
            flush()
            target = None if param % 4 == 3 or case.region_id != world["region"].pk else schools[param % 3]
            if case.region_id != world["region"].pk:
                continue
            if target is None:
                with Step.begin(None) as step:
                    change_registration_to(step, case, Case.Registration.AV, at, since=at.date(), trigger="test",
                                           school=None)
            else:
                with Step.begin(None) as step:
                    change_registration_to(step, case, Case.Registration.LRV, at, since=at.date(), trigger="test",
                                           school=target, sector=target.sector)
            continue
        if what == "team_review":
            data = {"routes": [route for i, route in enumerate(Route.values) if param >> i & 1], "outcome": ""}
        elif what == "closed":
            data = {"outcome": Case.Outcome.values[param % len(Case.Outcome.values)]}
        elif what in ("vrijstelling_decided", "vrijstelling_recorded"):
            data = {"granted": param % 2 == 0}
        elif what == "vrijstelling_advised":  # the advice on a 5a recorded with the signal grants it
            data = {"advice": "positief", **({"granted": True} if param % 3 == 0 else {})}
        elif what == "doorbraak_decided":
            data = {"decision": ["plaatsing", "geen_overeenstemming"][param % 2]}
        elif what == "exemption_ended":  # its last day before or after a start to come
            data = {"last_day": (BASE + dt.timedelta(days=(day + param - 16) % DAYS)).isoformat()}
        elif what.startswith("deadline_"):
            data = {"deadline_kind": CLOCKS[param % 3]}
            if what == "deadline_met" and param % 3:
                data["late"] = param % 3 == 1
        elif what == "offer_started":
            data = {"started_on": (BASE + dt.timedelta(days=(day + param) % DAYS)).isoformat()}
        batch.append(((case, None, what), {"at": at, **data}))
        if not bulk:
            flush()
    flush()
    return cases


def scopes(world) -> list[monitor.Scope]:
    region = world["region"].pk
    school = world["schools"]
    return [monitor.Scope(regions=[region, world["other"].region_id]), monitor.Scope(regions=[region], sector=Sector.VO),
            monitor.Scope(regions=[region], school=school[0].pk),
            monitor.Scope(regions=[region], sector=Sector.PO, school=school[1].pk)]


def assert_same(world, periods):
    for scope in scopes(world):
        for first, last in periods:
            assert monitor.period_counts(scope, first, last) == replay.period_counts(scope, first, last), (scope, first,
                                                                                                           last)


PERIODS = st.lists(st.tuples(st.integers(0, DAYS - 1), st.integers(0, 120)), min_size=1, max_size=2)


def dates(periods) -> list[tuple[dt.date, dt.date]]:
    return [(BASE + dt.timedelta(days=start), BASE + dt.timedelta(days=start + length)) for start, length in periods]


@pytest.mark.django_db(transaction=False)
@settings(max_examples=40, deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate], suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(operations=st.lists(OPERATIONS, max_size=40), periods=PERIODS)
def test_rollup_answers_equal_the_replay(world, operations, periods):
    with transaction.atomic():
        play(world, operations)
        assert_same(world, [*dates(periods), monitor.quarter_bounds(2026, 1 + sum(map(sum, periods)) % 3)])
        compact_tallies(batch=7)
        assert not MonitorTally.objects.filter(compacted=False).exists()
        assert_same(world, dates(periods))
        transaction.set_rollback(True)


def test_milestones_are_the_first_moments_and_written_once(world):
    case = play(world, [(0, 20, 10, "team_review", 0, False), (0, 10, 10, "team_review", 0, True),
                        (0, 30, 10, "team_review", 0, False), (0, 40, 10, "escalated", 0, False),
                        (0, 50, 10, "offer_started", 3, False), (0, 60, 10, "escalated", 0, False)], in_order=False)[0]
    case.refresh_from_db()
    assert (case.first_reviewed_at, case.escalated_at, case.offer_started_at) == (moment(10, 10), moment(40, 10),
                                                                                  moment(50, 10))


def test_a_step_writes_its_rollup_rows_in_one_insert(world, django_assert_num_queries):
    case = CaseFactory(school=world["schools"][0])
    case.first_reviewed_at = moment(0, 1)  # a later review reaches no milestone: no UPDATE
    # the events' INSERT and the rollup's (no dated fact among them: the case's spells stay as they are),
    # and the event push's read of the active subscriptions (systems.outbox; there are none)
    step = Step(actor=None)
    with django_assert_num_queries(3):
        step.record(case, None, "team_review", at=moment(5, 9), routes=[Route.ECT_CONSULT, Route.JIM])
        step.record(case, None, "placed", at=moment(5, 9), by="doorbraak")
        step.flush()
    assert MonitorTally.objects.count() == 5  # 2 routes, 2 rungs (team, ect), 1 placement


def test_compaction_folds_deltas_without_changing_answers(world):
    play(world, [(i % 5, i % 7, 10, "signalled", 0, i % 2 == 0) for i in range(30)]
         + [(0, 3, 10, "team_review", 1, False), (0, 3, 11, "team_review", 1, False)])
    before = MonitorTally.objects.count()
    scope = monitor.Scope(regions=[world["region"].pk])
    first, last = BASE, BASE + dt.timedelta(days=30)
    expected = replay.period_counts(scope, first, last)
    assert compact_tallies(batch=4) == before
    assert MonitorTally.objects.count() < before
    assert compact_tallies() == 0  # nothing fresh: nothing to do
    assert monitor.period_counts(scope, first, last) == expected
    assert expected["new_signals"] == 24 and expected["ladder"]["team"] == 1


def test_retention_keeps_the_rollup_equal_to_the_replay(world):
    operations = [(i % 5, 2 * i, 10, what, i, False) for i, what in enumerate(
        ["signalled", "team_review", "escalated", "offer_started", "deadline_met", "closed", "move", "team_review",
         "vrijstelling_decided", "closed", "placed", "closed", "closed", "closed"])]
    cases = play(world, operations)
    Case.objects.filter(pk__in=[c.pk for c in cases]).update(status=Case.Status.CLOSED, closed_at=moment(40, 12),
                                                              outcome=Case.Outcome.TERUG_NAAR_SCHOOL)
    done = apply_retention(moment(40, 12) + dt.timedelta(days=365 * 8))
    assert {action.action for action in done} == {"pseudonymised", "deleted"}
    assert_same(world, [(BASE, BASE + dt.timedelta(days=90)), (BASE + dt.timedelta(days=20), BASE +
                                                                  dt.timedelta(days=25))])
