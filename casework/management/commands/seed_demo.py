"""Synthetic demo data: two samenwerkingsverbanden, three schools, their teams, one user per
role and a few demo cases. Idempotent; refused in production.

`seed_demo --json` prints exactly one JSON object to stdout (the contract for scripts and
browser tests): {"password": ..., "users": {role: username}, "schools": {key: id},
"totp_secret": {username: base32 secret}}. Every demo user has a confirmed authenticator app
(TOTP, named "demo"), made once with a random secret and kept on later runs, so the second factor
can be passed by a script (pyotp.TOTP(secret).now()) or typed from an app that scanned it.
"""

import base64
import binascii
import json
import logging
import time
from contextlib import contextmanager
from datetime import date, timedelta
from datetime import time as clock_time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from casework.management.demo_history import build_history, history_exists
from casework.models import Case, Child, Provision
from casework.services import DuplicateSignal, SignalInput, signal_case
from teams.models import Membership, Region, RegionRole, School, SchoolBoard, Sector, Team, User
from workflows.worklists import save_worklist

REGIONS = {
    "vo": ("SWV VO Stad Demo", Region.RegionSector.VO),
    "po": ("SWV PO Stad Demo", Region.RegionSector.PO),
}
BOARDS = {
    "openbaar": "Stichting Openbaar Onderwijs Demo",
    "christelijk": "Vereniging Christelijk Onderwijs Demo",
    "primair": "Stichting Primair Onderwijs Demo",
}
# key: (name, BRIN, sector, board, region)
SCHOOLS = {
    "vo": ("Noorderlicht College", "99AA", Sector.VO, "openbaar", "vo"),
    "vo_2": ("Zuiderpoort Lyceum", "99AB", Sector.VO, "christelijk", "vo"),
    "po": ("Basisschool De Vlinder", "99AC", Sector.PO, "primair", "po"),
    "mbo": ("Vakcollege Noorderpoort (MBO)", "99AD", Sector.MBO, "openbaar", "vo"),
}
# key: (name, kind, region, school)
TEAMS = {
    "aoj_vo": ("AOJ-team Noorderlicht College", Team.Kind.AOJ, "vo", "vo"),
    "aoj_vo_2": ("AOJ-team Zuiderpoort Lyceum", Team.Kind.AOJ, "vo", "vo_2"),
    "kindteam_po": ("Kindteam De Vlinder", Team.Kind.KINDTEAM, "po", "po"),
    "ect_vo": ("ECT SWV VO Stad", Team.Kind.ECT, "vo", None),
    "ect_po": ("ECT SWV PO Stad", Team.Kind.ECT, "po", None),
    "mpl": ("Commissie MPL", Team.Kind.MPL, "vo", None),
    "doe": ("DOE-team", Team.Kind.DOE, "po", None),
    "leerplicht_vo": ("Leerplicht Stad (VO)", Team.Kind.LEERPLICHT, "vo", None),
    "leerplicht_po": ("Leerplicht Stad (PO)", Team.Kind.LEERPLICHT, "po", None),
    "wij_vo": ("VO-WIJ Stad", Team.Kind.WIJ, "vo", None),
    "jgz_vo": ("JGZ GGD Stad", Team.Kind.JGZ, "vo", None),
    "mbo_team": ("Team Passend Onderwijs Noorderpoort", Team.Kind.MBO, "vo", "mbo"),
}
# The case teams' fixed meeting (weekday, 0 = Monday; time): their meeting tasks are due then and
# the coordinator plans the next meeting from it.
MEETING_DAYS = {"aoj_vo": (1, clock_time(15, 30)), "aoj_vo_2": (3, clock_time(9, 0)), "kindteam_po": (3, clock_time(13, 0))}
R = Membership.Role
# username: (given name, family name, [(team, role)], [(region, region role)])
USERS = {
    "aoj": ("Anouk", "de Vries", [("aoj_vo", R.COORDINATOR)], []),
    "aoj_2": ("Bram", "Jansen", [("aoj_vo", R.MEMBER)], []),
    "kindteam": ("Carla", "Bakker", [("kindteam_po", R.COORDINATOR)], []),
    "ect": ("Daan", "Visser", [("ect_vo", R.CONSULTANT), ("ect_po", R.CONSULTANT)], []),
    "ect_2": ("Eva", "Smit", [("ect_vo", R.CONSULTANT), ("ect_po", R.CONSULTANT)], []),
    "leerplicht": ("Femke", "Meijer", [("leerplicht_vo", R.MEMBER), ("leerplicht_po", R.MEMBER)], []),
    "mpl_chair": ("Gerrit", "Mulder", [("mpl", R.CHAIR)], []),
    "doe_chair": ("Hanna", "Bos", [("doe", R.CHAIR)], []),
    "swv_director": ("Ivo", "Dekker", [], [("vo", RegionRole.Role.SWV_DIRECTOR), ("po", RegionRole.Role.SWV_DIRECTOR)]),
    "privacy_officer": ("Joyce", "Peters", [],
                        [("vo", RegionRole.Role.PRIVACY_OFFICER), ("po", RegionRole.Role.PRIVACY_OFFICER)]),
    "outsider": ("Kees", "Hendriks", [("aoj_vo_2", R.COORDINATOR)], []),
    "mbo": ("Lieke", "Vos", [("mbo_team", R.COORDINATOR)], []),
    "deelverband": ("Maarten", "Kok", [], [("po", RegionRole.Role.COORDINATOR_DEELVERBAND)]),
    "mbo_stagnatie": ("Nadia", "Brouwer", [("mbo_team", R.STAGNATIEMELDPUNT)], []),
    "mbo_directie": ("Otto", "de Graaf", [("mbo_team", R.MBO_MANAGEMENT)], []),
}
# Synthetic children: (given, family, age in years, school key or None, region key, registration,
# category, weeks out of school, signaller username, signaller role)
DEMO_CASES = [
    ("Sem", "Voorbeeld", 14, "vo", "vo", Case.Registration.LRV, Case.Category.SCHOOLWEIGERAAR, 7, "aoj", "school"),
    ("Lotte", "Proefmans", 13, "vo", "vo", Case.Registration.DREIGEND, Case.Category.SPIJBELAAR, 2, "aoj_2", "school"),
    ("Noah", "Testers", 9, "po", "po", Case.Registration.ZIEK, Case.Category.MEDISCH_PSYCHOSOCIAAL, 5,
     "kindteam", "school"),
    ("Mila", "Demo", 15, None, "vo", Case.Registration.AV, Case.Category.SCHOOLONTHOUDING, 10,
     "leerplicht", "leerplicht"),
    ("Finn", "Fictief", 12, "vo_2", "vo", Case.Registration.LRV, Case.Category.ONBEKEND, 5, "outsider", "school"),
]
# Each region's maatwerkvoorzieningen: (kind, name, term in months; the OPDC's is two years).
PROVISIONS = [("rebound", "Rebound", None), ("ttvo", "TTVO", None), ("maatwerk_cl3", "Maatwerk cluster 3", None),
              ("maatwerk_cl4", "Maatwerk cluster 4", None), ("opdc_doorstart", "OPDC / Doorstart", 24)]


DEMO_DEVICE = "demo"
BACKGROUND_LOGGERS = ("celery", "casework.sweeper", "notifications", "workflows")


def demo_totp_secrets() -> dict[str, str]:
    """{username: base32 secret} of the demo users' authenticator apps."""
    devices = TOTPDevice.objects.filter(name=DEMO_DEVICE, user__username__in=USERS).select_related("user")
    return {device.user.username: base64.b32encode(binascii.unhexlify(device.key)).decode().rstrip("=")
            for device in sorted(devices, key=lambda device: device.user.username)}


@contextmanager
def quiet_background_logs():
    """While seeding, the work that runs in-process (Celery's eager tasks, hundreds for the
    history, each logging "succeeded" with the travelled clock) logs warnings only."""
    loggers = [logging.getLogger(name) for name in BACKGROUND_LOGGERS]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(max(logger.getEffectiveLevel(), logging.WARNING))
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


class Command(BaseCommand):
    help = "Create (or complete) the synthetic demo data. Idempotent; refused in production."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="Print one JSON object with logins and school ids.")
        parser.add_argument("--if-empty", action="store_true", help="Only seed when the database has no region yet.")
        parser.add_argument("--no-cases", action="store_true", help="Reference data and users only.")
        parser.add_argument("--no-history", action="store_true",
                            help="Without the year of synthetic history for the monitor.")

    def handle(self, *args, **options):
        if settings.PRODUCTION:
            raise CommandError("seed_demo refuses to run with CASEWORK_ENV=production.")
        self.json_output = options["json"]
        if options["if_empty"] and Region.objects.exists():
            self.progress("Demo data: already there (the database is not empty).")
        else:
            with quiet_background_logs():
                with transaction.atomic():
                    schools = self.seed_reference_data()
                self.progress(f"Demo data: {len(REGIONS)} regions, {len(SCHOOLS)} schools, {len(TEAMS)} teams, "
                              f"{len(USERS)} users.")
                if not options["no_cases"]:
                    self.seed_cases(schools)
                    self.progress(f"Demo data: {len(DEMO_CASES)} demo cases.")
                    if not options["no_history"]:
                        self.seed_history()
        result = {
            "password": settings.CASEWORK_DEMO_PASSWORD,
            "users": {key: key for key in USERS if User.objects.filter(username=key).exists()},
            "schools": {key: School.objects.get(brin=SCHOOLS[key][1]).pk
                        for key in SCHOOLS if School.objects.filter(brin=SCHOOLS[key][1]).exists()},
            "totp_secret": demo_totp_secrets(),
        }
        if options["json"]:
            self.stdout.write(json.dumps(result))
        else:
            self.stdout.write(f"Demo logins (password: {result['password']}):")
            for key, username in result["users"].items():
                given, family, teams, roles = USERS[key]
                where = ", ".join([f"{TEAMS[t][0]} ({role})" for t, role in teams]
                                  + [f"{REGIONS[r][0]} ({role})" for r, role in roles])
                self.stdout.write(f"  {username:<16} {given} {family}: {where}")
            self.stdout.write("Second factor (authenticator app key, base32) per user:")
            for username, secret in result["totp_secret"].items():
                self.stdout.write(f"  {username:<16} {secret}")

    def progress(self, line: str) -> None:
        """One line of progress for a person (`make run`); nothing besides the JSON with --json."""
        if not self.json_output:
            self.stdout.write(line)

    def seed_reference_data(self) -> dict[str, School]:
        regions = {
            key: Region.objects.update_or_create(name=name, defaults={"sector": sector})[0]
            for key, (name, sector) in REGIONS.items()
        }
        for region in regions.values():  # the SWV's maatwerkvoorzieningen (KPI 6), kept in the admin
            for kind, name, term in PROVISIONS:
                Provision.objects.update_or_create(region=region, name=name,
                                                   defaults={"kind": kind, "term_months": term, "active": True})
        boards = {key: SchoolBoard.objects.get_or_create(name=name)[0] for key, name in BOARDS.items()}
        schools = {
            key: School.objects.update_or_create(
                brin=brin,
                defaults={"name": name, "sector": sector, "board": boards[board], "region": regions[region]},
            )[0]
            for key, (name, brin, sector, board, region) in SCHOOLS.items()
        }
        teams = {
            key: Team.objects.update_or_create(
                name=name, defaults={"kind": kind, "region": regions[region], "school": schools.get(school),
                                     "meeting_weekday": MEETING_DAYS.get(key, (None, None))[0],
                                     "meeting_time": MEETING_DAYS.get(key, (None, None))[1]}
            )[0]
            for key, (name, kind, region, school) in TEAMS.items()
        }
        for username, (given, family, memberships, region_roles) in USERS.items():
            user, created = User.objects.get_or_create(
                username=username,
                defaults={"first_name": given, "last_name": family, "email": f"{username}@casework.invalid"},
            )
            if created or not user.check_password(settings.CASEWORK_DEMO_PASSWORD):
                user.set_password(settings.CASEWORK_DEMO_PASSWORD)
                user.save(update_fields=["password"])
            for team, role in memberships:
                Membership.objects.update_or_create(user=user, team=teams[team], defaults={"role": role})
            for region, role in region_roles:
                RegionRole.objects.get_or_create(user=user, region=regions[region], role=role)
            # The demo user's authenticator app: made once, its secret kept on later runs.
            TOTPDevice.objects.get_or_create(user=user, name=DEMO_DEVICE, defaults={"confirmed": True})
        self.seed_worklists(teams)
        return schools

    def seed_worklists(self, teams) -> None:
        """A few saved work lists, so the demo shows what "mijn werklijsten" are for."""
        for username, name, scope, filters in [
            ("aoj", "Te laat op mijn school", "team", {"due": "overdue", "team": str(teams["aoj_vo"].pk)}),
            ("aoj", "Deze week", "mine", {"due": "week"}),
            ("ect", "ECT-advies ter goedkeuring", "queue", {"node": "ect_approve"}),
            ("ect_2", "ECT-advies ter goedkeuring", "queue", {"node": "ect_approve"}),
        ]:
            save_worklist(user=User.objects.get(username=username), name=name, scope=scope, filters=filters)

    def seed_history(self) -> None:
        """A year of synthetic cases over all paths, made through the services (once)."""
        if history_exists():
            return
        try:
            import time_machine  # noqa: F401  (development dependency)
        except ImportError:
            self.stderr.write("time-machine is not installed: the demo history is skipped.")
            return
        self.progress("Demo data: a year of synthetic history for the monitor ...")
        started = time.monotonic()  # the history travels in time: timezone.now() would jump
        made = build_history()
        self.progress(f"Demo data: {made} history cases over the last year ({time.monotonic() - started:.0f} s).")

    def seed_cases(self, schools: dict[str, School]) -> None:
        today = timezone.localdate()
        for given, family, age, school, region, registration, category, weeks, signaller, role in DEMO_CASES:
            birth_date = date(today.year - age, 3, 15)
            if Child.objects.filter(match_key=Child.key_for(given, family, birth_date), cases__isnull=False).exists():
                continue
            school_obj = schools.get(school)
            data = SignalInput(
                given_name=given,
                family_name=family,
                birth_date=birth_date,
                school=school_obj,
                region=None if school_obj else Region.objects.get(name=REGIONS[region][0]),
                sector=school_obj.sector if school_obj else Sector.VO,
                registration=registration,
                category=category,
                absent_since=today - timedelta(weeks=weeks),
                signaller_role=role,
                summary="Synthetisch demodossier: geen echte persoon.",
            )
            try:
                signal_case(actor=User.objects.get(username=signaller), data=data)
            except DuplicateSignal:  # already open: nothing to add
                continue
