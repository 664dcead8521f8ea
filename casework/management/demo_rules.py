"""The demo history's cases for the counting rules: one recent case per rule, so that the monitor
shows each (docs/counting.md). Planned on the history's agenda by `demo_history.build_history`,
with its `later` and `done`. Development only."""

import datetime as dt

from django.core.exceptions import ValidationError

from casework import services
from teams.models import User


def plan_rule_cases(later, done, users, schools, now) -> None:
    """One recent case per counting rule, so that the monitor shows each (docs/counting.md):
    taking part fully in an arrangement, taking part partly, reported sick, running 5a and 15
    exemptions, an exemption whose case was closed, a placement waiting for its start date, an MBO
    student, and a young person who turned 18."""

    aoj, leerplicht, ect = users["aoj"], users["leerplicht"], users["ect"]
    mbo_user = User.objects.filter(username="mbo").first()

    def days(n):
        """The moment n days ago."""
        return now - dt.timedelta(days=n)
    cases = {}

    def open_case(key, *, given, registration, category, absent_days, signal_days, school="99AA", born=None,
                  actor=None):
        def action():
            birth = born or dt.date(now.year - 14, 3, 3)
            school_obj = schools.get(school) if school else None
            try:
                cases[key] = services.signal_case(actor=actor or aoj, data=services.SignalInput(
                    given_name=given, family_name=f"Demo-Regel-{key}", birth_date=birth, school=school_obj,
                    registration=registration, category=category,
                    absent_since=(now - dt.timedelta(days=absent_days)).date(), signaller_role="school",
                    summary="Synthetisch demodossier: geen echte persoon."))
            except (ValidationError, services.DuplicateSignal):
                return
        later(days(signal_days), action)

    def step(key, node, user, data, at):
        def action():
            if key in cases:
                done(cases[key], node, user, data)()
        later(at, action)

    def taking_part(key, level, setting, since_days, at):
        def action():
            if key in cases:
                services.record_participation(case=cases[key], actor=aoj, level=level, setting=setting,
                                              since=(now - dt.timedelta(days=since_days)).date(),
                                              note="Synthetisch.")
        later(at, action)

    def exemption(key, grounds, *, close: bool, signal_days: int):
        open_case(key, given="Vera", registration="lrv", category="medisch_psychosociaal", absent_days=signal_days + 40,
                  signal_days=signal_days)
        step(key, "team_review", aoj, {"plan": "Advies vrijstelling.", "routes": ["vrijstelling_advies"]},
             days(signal_days - 1))
        step(key, "vrijstelling_request", leerplicht, {"grounds": grounds, "motivation": "Verzoek ouders.",
                                                       "medical_statement": grounds == "5a"}, days(signal_days - 3))
        if grounds == "5a":
            step(key, "vrijstelling_advice", ect, {"advice": "positief", "motivation": "Besproken in het ECT."},
                 days(signal_days - 8))
        step(key, "vrijstelling_decision", leerplicht, {
            "granted": True, "until": (now + dt.timedelta(days=150)).date().isoformat(), "motivation": "Verleend."},
            days(signal_days - 12))
        if close:
            step(key, "team_review", aoj, {"plan": "Vrijstelling verleend.", "outcome": "vrijstelling"},
                 days(signal_days - 15))

    # Taking part fully in an arrangement: not a thuiszitter, the case stays open for its evaluations.
    open_case("volledig", given="Iris", registration="lrv", category="schoolweigeraar", absent_days=120,
              signal_days=90)
    step("volledig", "team_review", aoj, {"plan": "Arrangement.", "routes": ["arrangement"]}, days(88))
    step("volledig", "arrangement_setup", aoj, {
        "education": "OPDC Stad (demo)", "care_provider": "Jeugdhulp Demo", "funding": "beide",
        "start_date": days(75).date().isoformat(), "end_date": (now + dt.timedelta(weeks=20)).date().isoformat(),
        "evaluation_weeks": 8}, days(86))
    step("volledig", "start_confirmation", aoj, {"started": True, "started_on": days(75).date().isoformat()},
         days(74))
    taking_part("volledig", "volledig", "arrangement", 60, days(59))
    # Taking part partly at the own school: still a thuiszitter.
    open_case("gedeeltelijk", given="Owen", registration="lrv", category="schoolweigeraar", absent_days=80,
              signal_days=45)
    step("gedeeltelijk", "team_review", aoj, {"plan": "Opbouwen op school.", "routes": ["jim"]}, days(44))
    taking_part("gedeeltelijk", "gedeeltelijk", "eigen_school", 20, days(20))
    # Reported sick, with its category.
    open_case("ziek", given="Yara", registration="ziek", category="medisch_psychosociaal", absent_days=50,
              signal_days=40)
    exemption("5a", "5a", close=False, signal_days=70)
    exemption("15", "15", close=False, signal_days=65)
    exemption("gesloten", "5a", close=True, signal_days=60)
    # A placement decided, waiting for its start date.
    open_case("plaatsing", given="Ravi", registration="lrv", category="schoolonthouding", absent_days=110,
              signal_days=80)
    step("plaatsing", "team_review", aoj, {"plan": "Geen plek: escalatie.", "routes": ["doorbraak"]}, days(79))
    other = schools["99AB"]
    step("plaatsing", "doorbraak_decision", users["mpl_chair"], {
        "school_board": other.board_id, "school": other.pk, "preference_followed": True,
        "start_date": (now + dt.timedelta(days=14)).date().isoformat()}, days(5))
    # An MBO student (no doorzettingsmacht: the institution's own team works the case).
    if mbo_user is not None and "99AD" in schools:
        open_case("mbo", given="Timo", registration="lrv", category="spijbelaar", absent_days=45, signal_days=1,
                  school="99AD", born=dt.date(now.year - 17, 1, 20), actor=mbo_user)
    # A young person who turned 18 ten days ago: out of every count, asked to be closed.
    eighteen = (now - dt.timedelta(days=10)).date()
    open_case("achttien", given="Lars", registration="lrv", category="spijbelaar", absent_days=100, signal_days=70,
              born=eighteen.replace(year=eighteen.year - 18))
