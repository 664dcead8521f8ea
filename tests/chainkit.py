"""A realistic generated import for the chain tests: absence reports and enrolment changes as
Leerplicht receives them, for known cases and new pupils, with duplicates, bad rows and national
number columns (to be dropped). Synthetic names only."""

import csv
import io
import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.utils import timezone

from casework.models import Case
from tests.factories import signal_payload
from tests.flowkit import api_client

GIVEN = ["Sanne", "Daan", "Noor", "Milan", "Zoë", "Lars", "Fenna", "Sem", "Liv", "Jesse", "Mila", "Thijs",
         "Evi", "Bram", "Lotte", "Ruben", "Isa", "Stijn", "Femke", "Joep"]
FAMILY = ["de Vries", "Bakker", "Visser", "Smit", "Meijer", "de Boer", "Mulder", "de Groot", "Bos", "Vos",
          "Peters", "Hendriks", "van Dijk", "Dekker", "Brouwer"]
COLUMNS = ["bsn", "brin", "vestiging", "pupil_number", "family_name", "given_names", "birth_date", "kind",
           "first_day", "last_day", "reason", "melding_id", "change", "date", "onderwijsnummer"]


@dataclass
class Expected:
    outcome: str
    case: Case | None = None
    note: str = ""


@dataclass
class Generated:
    rows: list[dict]
    expected: list[Expected]
    known: list[Case]
    unenrolled: list[Case] = field(default_factory=list)
    moved: list[Case] = field(default_factory=list)
    dreigend: int = 0

    def csv(self) -> bytes:
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=COLUMNS, delimiter=";")
        writer.writeheader()
        for row in self.rows:
            writer.writerow({column: row.get(column, "") for column in COLUMNS})
        return out.getvalue().encode("utf-8-sig")


def known_cases(user, schools: list, count: int) -> list[Case]:
    """`count` LRV cases signalled by `user`, alternating between the schools, each child with a
    pupil number."""
    client, cases = api_client(user), []
    today = timezone.localdate()
    for index in range(count):
        school = schools[index % len(schools)]
        payload = signal_payload(school, given_name=GIVEN[index % len(GIVEN)],
                                 family_name=f"{FAMILY[index % len(FAMILY)]} {index}",
                                 birth_date=date(today.year - 13, 1 + index % 12, 1 + index % 27).isoformat(),
                                 pupil_number=f"LL-{index:04d}")
        answer = client.post("/api/cases/", payload, format="json")
        assert answer.status_code == 201, answer.content
        cases.append(Case.objects.select_related("child", "school").get(pk=answer.json()["id"]))
    return cases


def _bsn(rng: random.Random) -> str:
    return str(rng.randrange(100_000_000, 999_999_999))


def generate(known: list[Case], other_school, unknown_brin: str = "98ZZ", seed: int = 20261207) -> Generated:
    """About 200 rows: 40 % reports on known cases, 25 % new pupils, 10 % copies, 10 % bad rows, and
    the rest enrolment changes. Shuffled, except that each case's unenrolment comes before its
    re-enrolment elsewhere."""
    rng = random.Random(seed)  # noqa: S311 - synthetic test data, reproducible
    today = timezone.localdate()
    rows: list[tuple[dict, Expected]] = []
    generated = Generated([], [], known)

    def pupil(case: Case, by_name: bool) -> dict:
        child = case.child
        base = {"brin": case.school.brin[:4], "vestiging": case.school.brin[4:], "bsn": _bsn(rng),
                "onderwijsnummer": str(rng.randrange(10**8, 10**9)), "birth_date": child.birth_date.isoformat()}
        if by_name:  # the DUO spelling: all given names, capitals, no pupil number
            return {**base, "given_names": f"{child.given_name.upper()} Maria", "family_name": child.family_name.upper(),
                    "pupil_number": ""}
        return {**base, "given_names": child.given_name, "family_name": child.family_name,
                "pupil_number": child.pupil_number}

    # 80 reports on known cases: every case once (by pupil number or by name), 20 a second time.
    for index, case in enumerate(known):
        rows.append(({**pupil(case, by_name=index % 2 == 1), "kind": "langdurig_relatief",
                      "first_day": case.absent_since.isoformat(), "reason": "Synthetisch: weigert naar school.",
                      "melding_id": f"VZ-{index:06d}"}, Expected("linked", case)))
    for case in known[:20]:
        rows.append(({**pupil(case, by_name=False), "kind": "ongeoorloofd_16_uur",
                      "first_day": (case.absent_since + timedelta(days=2)).isoformat(),
                      "last_day": (case.absent_since + timedelta(days=20)).isoformat(), "melding_id": ""},
                     Expected("linked", case)))
    # 50 new pupils: 30 out of school for six weeks, 20 for ten days (threatened, under 4 weeks).
    for index in range(50):
        first = today - timedelta(days=42 if index < 30 else 10)
        rows.append(({"brin": known[0].school.brin[:4], "vestiging": "", "bsn": _bsn(rng), "onderwijsnummer": "",
                      "pupil_number": f"NEW-{index:03d}", "family_name": f"Nieuw {FAMILY[index % len(FAMILY)]}",
                      "given_names": GIVEN[index % len(GIVEN)], "birth_date": date(today.year - 12, 3, 1 + index % 27).isoformat(),
                      "kind": "langdurig_relatief" if index < 30 else "signaalverzuim",
                      "first_day": first.isoformat(), "melding_id": f"VZ-N{index:05d}"}, Expected("created")))
    generated.dreigend = 20
    # 20 bad rows, one reason each.
    bad = [{"brin": "9AA"}, {"brin": unknown_brin}, {"family_name": ""}, {"given_names": ""},
           {"birth_date": "31-02-2012"}, {"birth_date": (today + timedelta(days=30)).isoformat()},
           {"kind": "spijbelen"}, {"first_day": ""}, {"first_day": (today + timedelta(days=3)).isoformat()},
           {"last_day": (today - timedelta(days=60)).isoformat()}, {"vestiging": "1"}, {"first_day": "gisteren"},
           {"kind": ""}, {"reason": "x" * 600}, {"melding_id": "M" * 50}, {"brin": "99A!"}, {"birth_date": ""},
           {"last_day": "2026-13-01"}, {"pupil_number": "P" * 40}, {"family_name": "F" * 160}]
    for index, change in enumerate(bad):
        row = {"brin": known[0].school.brin[:4], "vestiging": "", "pupil_number": f"BAD-{index}",
               "family_name": "Fout", "given_names": "Rij", "birth_date": date(today.year - 12, 5, 5).isoformat(),
               "kind": "langdurig_relatief", "first_day": (today - timedelta(days=40)).isoformat(), "bsn": _bsn(rng),
               **change}
        if change.get("kind") == "":
            row["change"] = ""
        rows.append((row, Expected("rejected")))
    # 30 enrolment changes: 15 known cases unenrolled, 5 of them enrolled at the other school two
    # days later, 5 unenrolments and 5 enrolments of pupils casework does not know.
    out_day, in_day = today - timedelta(days=3), today - timedelta(days=1)
    later: list[tuple[dict, Expected]] = []
    for index, case in enumerate(known[20:35]):
        rows.append(({**pupil(case, by_name=False), "change": "out", "date": out_day.isoformat()},
                     Expected("linked", case, "out")))
        generated.unenrolled.append(case)
        if index < 5:
            destination = other_school if case.school_id != other_school.pk else known[1].school
            later.append(({**pupil(case, by_name=False), "brin": destination.brin[:4],
                           "vestiging": destination.brin[4:], "pupil_number": f"NW-{index}", "change": "in",
                           "date": in_day.isoformat()}, Expected("linked", case, "in")))
            generated.moved.append(case)
    for index in range(5):
        stranger = {"brin": known[0].school.brin[:4], "vestiging": "", "pupil_number": f"ELDERS-{index}",
                    "family_name": f"Onbekend {index}", "given_names": "Kim", "bsn": _bsn(rng),
                    "birth_date": date(today.year - 14, 6, 1 + index).isoformat()}
        rows.append(({**stranger, "change": "out", "date": out_day.isoformat()}, Expected("created")))
        rows.append(({**stranger, "pupil_number": f"ANDERS-{index}", "family_name": f"Anders {index}",
                      "change": "in", "date": in_day.isoformat()}, Expected("rejected")))
    # 20 copies of rows above (the same report twice in one file).
    copies = [(dict(row), Expected("duplicate", expected.case)) for row, expected in rng.sample(
        [pair for pair in rows if pair[1].outcome in ("linked", "created") and "change" not in pair[0]], 20)]
    body = rows + copies
    rng.shuffle(body)
    # The copies after their originals; the re-enrolments after the unenrolments.
    originals = [pair for pair in body if pair[1].outcome != "duplicate"]
    body = originals + [pair for pair in body if pair[1].outcome == "duplicate"] + later
    generated.rows = [row for row, _ in body]
    generated.expected = [expected for _, expected in body]
    return generated
