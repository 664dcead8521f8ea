"""seed_demo's year of synthetic history (made through the services while travelling in time,
one fan-out of notices per simulated day): seeding again changes nothing, and what it wrote
agrees with itself: the monitor's rollup gives the answers of the replay of every event (before
and after the sweeper compacts it), the peildatum count of today is what the cases say now, and
every open case's running clocks are those its status asks for.

The history is seeded once for this module and removed at its end; each test runs in a
transaction on top of it that is rolled back."""

import datetime as dt

import pytest
from django.utils import timezone

from casework import monitor
from casework.models import Case, Deadline, MonitorTally
from casework.services import compact_tallies, sweep_due
from notifications.models import Notification, OutboxEntry
from teams.models import Region, School, Sector, User
from tests import monitor_replay as replay
from tests.test_seed_demo import committed_for_the_module, seed, snapshot
from workflows.inbox import tab_counts
from workflows.models import OPEN_STATUSES, CaseTask


@pytest.fixture(scope="module")
def history(django_db_setup, django_db_blocker):
    """`seed_demo` with its history, committed as under `make run` (Celery in-process, each
    service's work after commit at its commit), once for the module; flushed at its end, as after
    a transactional test. Passwords are hashed as the tests hash them."""

    def build():
        seed()
        return snapshot()

    yield from committed_for_the_module(django_db_blocker, build)


@pytest.fixture
def seeded(history, db):
    return history


def test_twice_leaves_the_same_data(seeded):
    assert len(seeded["cases"]) > 50 and seeded["users"]
    seed()
    seed("--json")
    assert snapshot() == seeded


def scopes() -> list[monitor.Scope]:
    regions = list(Region.objects.values_list("pk", flat=True))
    found = [monitor.Scope(regions=regions), *(monitor.Scope(regions=[region]) for region in regions),
             monitor.Scope(regions=regions, sector=Sector.VO), monitor.Scope(regions=regions, sector=Sector.PO)]
    found += [monitor.Scope(regions=regions, school=school) for school in School.objects.values_list("pk", flat=True)]
    return found


def periods(today: dt.date) -> list[tuple[dt.date, dt.date]]:
    quarters = [monitor.quarter_bounds(today.year - (q > today.month // 3 + 1), (q - 1) % 4 + 1)
                for q in range(1, 5)]
    return [(today - dt.timedelta(days=365), today), (today - dt.timedelta(days=30), today), *quarters]


def assert_rollup_is_the_replay() -> None:
    today = timezone.localdate()
    for scope in scopes():
        for first, last in periods(today):
            assert monitor.period_counts(scope, first, last) == replay.period_counts(scope, first, last), (
                scope, first, last)


def test_the_rollup_agrees_with_the_replay_of_every_event(seeded):
    assert MonitorTally.objects.exists()
    assert_rollup_is_the_replay()
    compact_tallies(batch=50)
    assert not MonitorTally.objects.filter(compacted=False).exists()
    assert_rollup_is_the_replay()


def test_todays_count_is_what_the_cases_say_now(seeded):
    today = timezone.localdate()
    scope = monitor.Scope(regions=list(Region.objects.values_list("pk", flat=True)))
    counted = monitor.counts_on(scope, today)
    assert counted == replay.counts_replayed(scope, today)
    spells = {spell.case_id: spell for spell in monitor.spells_on(scope, today).filter(is_open=True)}
    open_cases = list(Case.objects.exclude(status=Case.Status.CLOSED))
    assert set(spells) == {case.pk for case in open_cases}
    for case in open_cases:  # today's spell is the case as it is now
        spell = spells[case.pk]
        assert (spell.registration, spell.level, spell.school_id, spell.sector, spell.region_id) == (
            case.registration, case.participation, case.school_id, case.sector, case.region_id), case.pk
    assert counted["thuiszitters"] + counted["dreigend"] + counted["ziek"] > 10  # open cases of every kind


def test_every_case_has_the_clocks_of_the_services_and_every_notice_is_told(seeded):
    kinds = Deadline.Kind
    for case in Case.objects.all():
        clocks = list(Deadline.objects.filter(case=case).values_list("kind", flat=True))
        assert clocks.count(kinds.TEAM_ACTION_48H) == 1 and kinds.LEERPLICHT_END in clocks, (case.pk, clocks)
        if case.vrijstellingen.count() == 0:
            assert kinds.OFFER_3_MONTHS in clocks, (case.pk, clocks)
    running = Deadline.objects.filter(met_at__isnull=True, breached_at__isnull=True, stopped_at__isnull=True)
    assert not running.filter(case__status=Case.Status.CLOSED).exclude(kind=kinds.EXEMPTION_END).exists()
    # the history was swept up to now: nothing is left for the next sweep to warn or breach
    done = sweep_due(timezone.now())
    assert (done.warned, done.breached) == (0, 0)
    # each simulated day's one fan-out told every notice of the history: nothing is left pending
    assert OutboxEntry.objects.exists() and not OutboxEntry.objects.filter(fanned_out_at__isnull=True).exists()
    assert Notification.objects.exists()



# The demo users who act on cases in the history (the privacy officer, the deelverband
# coordinator and the MBO management only look on).
ACTING = ("aoj", "aoj_2", "kindteam", "ect", "ect_2", "leerplicht", "mpl_chair", "doe_chair", "swv_director",
          "outsider", "mbo")


def test_the_demo_looks_like_a_working_week(seeded):
    """The history ends as teams working daily leave it: per user at most 5 late tasks and at
    most 10 unread notices, most open tasks due in the coming two weeks, and every user who acts
    on cases has something to do (an open task or an unread notice)."""
    now = timezone.now()
    for user in User.objects.filter(username__in=[*ACTING, "privacy_officer", "deelverband", "mbo_directie"]):
        counts = tab_counts(user, now)
        unread = Notification.objects.filter(recipient=user, read_at__isnull=True).count()
        assert counts["focus"]["overdue"] <= 5 and unread <= 10, (user.username, counts, unread)
        if user.username in ACTING:
            assert sum(counts[scope]["total"] for scope in counts) + unread > 0, user.username
    open_tasks = CaseTask.objects.filter(status__in=OPEN_STATUSES, due_at__isnull=False)
    soon = open_tasks.filter(due_at__gte=now, due_at__lte=now + dt.timedelta(days=14)).count()
    assert open_tasks.count() > 10 and soon * 2 >= open_tasks.count(), (soon, open_tasks.count())
    # old cases moved on: nothing open was signalled more than half a year ago
    assert not Case.objects.exclude(status=Case.Status.CLOSED).filter(
        signalled_at__lt=now - dt.timedelta(days=182)).exists()
