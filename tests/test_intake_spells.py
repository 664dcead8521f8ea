"""A new case's monitor spells are written from what the intake holds (no read back,
`casework.monitor.spells.write_opened`): they are the rows that reading its facts back gives
(`spells.refresh`), for every kind of signal."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from casework.models import Case, MonitorSpell
from casework.monitor import spells
from casework.services import SignalInput, signal_case
from teams.models import Region, School

FIELDS = ("valid_from", "valid_to", *spells.FIELDS)


def rows(case: Case) -> list[tuple]:
    return list(MonitorSpell.objects.filter(case=case).order_by("valid_from").values_list(*FIELDS))


def signalled(actor, **given) -> Case:
    today = timezone.localdate()
    data = {"given_name": "Nieuw", "family_name": given.pop("family_name"), "birth_date": date(2011, 5, 1),
            "registration": "lrv", "category": "onbekend", "absent_since": today - timedelta(days=40),
            "signaller_role": "school", **given}
    return signal_case(actor=actor, data=SignalInput(**data))


@pytest.mark.django_db
def test_a_new_cases_spells_are_what_its_facts_give(demo, u):
    today = timezone.localdate()
    vo = School.objects.get(pk=demo["schools"]["vo"])
    mbo = School.objects.get(pk=demo["schools"]["mbo"])
    cases = [
        signalled(u["aoj"], family_name="Lrv", school=vo),
        signalled(u["aoj"], family_name="Dreigend", school=vo, registration="dreigend",
                  absent_since=today - timedelta(days=10)),
        signalled(u["aoj"], family_name="Laat", school=vo, absent_since=today - timedelta(days=150)),  # clocks overdue
        signalled(u["aoj"], family_name="Ziek", school=vo, registration="ziek"),
        signalled(u["aoj"], family_name="Vrij", school=vo, registration="vrij", vrijstelling_grounds="5b",
                  vrijstelling_until=today + timedelta(days=200)),
        signalled(u["aoj"], family_name="Advies", school=vo, registration="vrij", vrijstelling_grounds="5a",
                  vrijstelling_until=today + timedelta(days=200)),
        signalled(u["leerplicht"], family_name="Absoluut", registration="av", sector="vo",
                  region=Region.objects.get(pk=vo.region_id)),
        signalled(u["mbo"], family_name="Mbo", school=mbo, birth_date=date(2010, 5, 1), startkwalificatie=True,
                  startkwalificatie_on=today - timedelta(days=20)),
    ]
    written = {case.pk: rows(case) for case in cases}
    assert all(written.values())
    spells.refresh(written)
    assert {case.pk: rows(case) for case in cases} == written
