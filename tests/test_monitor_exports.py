"""Exports of the monitor: the quarterly table for the Inspectie (exact) and for the public (small
numbers as "< 5", plus secondary suppression so that no hidden count follows from the totals).

The unit tests check the suppression by brute force: for every hidden cell there must be another
value that fits the published cells and every total-and-parts relation (a reader knows that
"< 5" means 1 to 4 and that an "x" is at least 5). The end-to-end test builds its cases straight in
the tables (factories, events, exemption and clock rows), independent of the services."""

import csv
import datetime as dt
import io
import random

import pytest
import time_machine
from django.utils import timezone

from casework import monitor
from casework.models import CaseEvent, Deadline, Vrijstelling
from casework.monitor import spells
from tests.factories import CaseFactory, ChildFactory, RegionRoleFactory, SchoolFactory, UserFactory

SMALL, HIDDEN = monitor.SMALL, monitor.HIDDEN


# --- brute force: is a hidden cell determined by what is published? --------------------------------


def alternatives_exist(cells: dict, shown: dict, relations: list, target, marks: bool = True) -> bool:
    """Whether some assignment of the hidden cells, with `target` different from the truth,
    satisfies every relation. A reader who reads the marks (`marks`) knows that a hidden "< 5"
    is 1..4 and a hidden "x" at least 5 (every count from 1 to 4 is "< 5"); without them a hidden
    cell is any count from 0 to the largest.

    A depth-first search: a relation with one unknown left fixes it; bounds prune the rest."""
    hidden = [key for key, value in shown.items() if value in (SMALL, HIDDEN)]
    top = max(cells.values())
    if marks:
        domains = {key: range(1, 5) if shown[key] == SMALL else range(5, top + 1) for key in hidden}
    else:
        domains = {key: range(top + 1) for key in hidden}
    domains = {key: sorted(values, key=lambda v, t=cells[key]: abs(v - t)) for key, values in domains.items()}
    domains[target] = [v for v in domains[target] if v != cells[target]]  # (near the truth first: quick to find)
    involved = [[(total, 1), *((p, -1) for p in parts)] for total, parts in relations
                if any(k in domains for k in (total, *parts))]

    def solve(value: dict) -> bool:
        value = dict(value)
        changed = True
        while changed:  # propagate: bounds, and relations with one unknown left
            changed = False
            for terms in involved:
                known = sum(sign * value[key] for key, sign in terms if key in value)
                unknown = [(key, sign) for key, sign in terms if key not in value]
                if not unknown:
                    if known:
                        return False
                    continue
                low = known + sum(sign * (min(domains[key]) if sign > 0 else max(domains[key])) for key, sign in unknown)
                high = known + sum(sign * (max(domains[key]) if sign > 0 else min(domains[key])) for key, sign in unknown)
                if not low <= 0 <= high:
                    return False
                if len(unknown) == 1:
                    key, sign = unknown[0]
                    forced = -known * sign
                    if forced not in domains[key]:
                        return False
                    value[key] = forced
                    changed = True
        free = [key for key in domains if key not in value]
        if not free:
            return True
        key = min(free, key=lambda k: len(domains[k]))
        return any(solve({**value, key: candidate}) for candidate in domains[key])

    if not domains[target]:
        return False
    return solve({key: cells[key] for key in cells if key not in domains})


def assert_protected(cells: dict, shown: dict, relations: list, marks: bool = True):
    """Small counts are "< 5", zeros and other counts published or "x"; no relation has exactly one
    hidden cell; no hidden cell follows from the published cells and the relations; and (with
    `marks`) none follows from what the marks say either, unless nothing is left to hide around
    it (every non-zero cell of its relations, and theirs, is hidden already: see the test below).

    The suppression checks the marks by bounds per relation; a reader who combines relations
    can sometimes do better (see `test_the_marks_through_combined_relations`), so the random
    small tables are held to the totals only; the quarterly table's shape to both."""
    for key, value in cells.items():
        if shown[key] == SMALL:
            assert 0 < value < 5, key
        elif shown[key] == HIDDEN:
            assert value >= 5, key  # zeros are never hidden, small counts are "< 5"
        else:
            assert shown[key] == value, key
        assert not (0 < value < 5) or shown[key] == SMALL, key  # every small count is hidden
    for total, parts in relations:
        hidden = [k for k in (total, *parts) if shown[k] in (SMALL, HIDDEN)]
        assert len(hidden) != 1, (total, hidden)
    for key in cells:
        if shown[key] in (SMALL, HIDDEN):
            assert alternatives_exist(cells, shown, relations, key, marks=False), f"{key} follows from the totals"
            if marks and not alternatives_exist(cells, shown, relations, key):
                assert not monitor._nearest_published(key, cells, shown, relations), f"{key} follows from the marks"


def table(rows: dict[str, list[int]]) -> tuple[dict, list]:
    """A small table: each row's parts, its total in column "t", and a last row "sum" of the others."""
    cells, relations = {}, []
    width = len(next(iter(rows.values())))
    for name, parts in rows.items():
        for j, v in enumerate(parts):
            cells[(name, j)] = v
        cells[(name, "t")] = sum(parts)
        relations.append(((name, "t"), [(name, j) for j in range(width)]))
    for column in [*range(width), "t"]:
        cells[("sum", column)] = sum(cells[(name, column)] for name in rows)
        relations.append((("sum", column), [(name, column) for name in rows]))
    relations.append((("sum", "t"), [("sum", j) for j in range(width)]))
    return cells, relations


# --- unit: suppress_table -------------------------------------------------------------------------------


def test_nothing_small_nothing_hidden():
    cells, relations = table({"a": [5, 0, 9], "b": [7, 12, 0]})
    assert monitor.suppress_table(cells, relations) == cells


def test_one_small_cell_hides_its_smallest_neighbours():
    cells, relations = table({"a": [3, 8, 20], "b": [6, 9, 30]})
    shown = monitor.suppress_table(cells, relations)
    assert shown[("a", 0)] == SMALL
    assert shown[("a", 1)] == HIDDEN  # the smallest other part of row a (8 < 20)
    assert shown[("b", 0)] == HIDDEN  # column 0: the smallest other non-zero part (6 < ... only b)
    assert shown[("b", 1)] == HIDDEN  # then column 1 and row b have one hidden each: 9 in both
    assert shown[("a", 2)] == 20 and shown[("b", 2)] == 30 and shown[("a", "t")] == 31
    assert_protected(cells, shown, relations)


def test_zeros_are_never_hidden_the_total_is_when_all_other_parts_are_zero():
    cells = {"total": 3, "x": 3, "y": 0, "z": 0}
    relations = [("total", ["x", "y", "z"])]
    shown = monitor.suppress_table(cells, relations)
    assert shown == {"total": SMALL, "x": SMALL, "y": 0, "z": 0}
    cells = {"total": 12, "x": 12, "y": 0}
    assert monitor.suppress_table(cells, [("total", ["x", "y"])]) == cells
    cells = {"total": 7, "x": 2, "y": 0, "z": 5}
    shown = monitor.suppress_table(cells, [("total", ["x", "y", "z"])])
    assert shown == {"total": 7, "x": SMALL, "y": 0, "z": HIDDEN}


def test_a_hidden_part_with_only_zero_siblings_hides_the_total():
    # the part is hidden in another relation (the small cell is its neighbour), its row has zeros only
    cells = {"row": 9, "a": 9, "b": 0, "col": 12, "c": 3}
    relations = [("row", ["a", "b"]), ("col", ["a", "c"])]
    shown = monitor.suppress_table(cells, relations)
    assert shown["c"] == SMALL and shown["a"] == HIDDEN and shown["row"] == HIDDEN
    assert_protected(cells, shown, relations)


def test_a_small_total_hides_a_part():
    cells = {"total": 4, "x": 4, "y": 0}
    shown = monitor.suppress_table(cells, [("total", ["x", "y"])])
    assert shown == {"total": SMALL, "x": SMALL, "y": 0}
    cells = {"t": 14, "x": 10, "y": 4, "u": 4, "v": 0}
    relations = [("t", ["x", "y"]), ("y", ["u", "v"])]
    shown = monitor.suppress_table(cells, relations)
    assert shown == {"t": 14, "x": HIDDEN, "y": SMALL, "u": SMALL, "v": 0}
    assert_protected(cells, shown, relations)


def test_the_quarterly_relations_sample():
    """The real table's shape (rows per sector, lrv + av = thuiszitters, the category and ground
    breakdowns) with a typical small region's numbers."""
    counts = {key: 0 for key in ("lrv", "av", "vrij", "ziek", "dreigend")}
    by_sector = {s: {"lrv": 0, "av": 0, "vrij": 0, "ziek": 0, "dreigend": 0} for s in monitor.SECTORS}
    by_sector["vo"].update(lrv=14, av=2, vrij=6, ziek=3, dreigend=8)
    by_sector["po"].update(lrv=6, av=0, vrij=1, ziek=0, dreigend=5)
    by_sector["mbo"].update(lrv=1, av=7)
    cells, relations = quarter_cells(by_sector, categories=[10, 3, 5, 7, 5], ziek=[0, 0, 0, 3, 0],
                                     grounds=[5, 0, 2, 0])
    shown = monitor.suppress_table(cells, relations)
    assert shown[("lrv", "mbo")] == SMALL and shown[("av", "vo")] == SMALL
    assert shown[("thuiszitters", "total")] == 30  # the headline stays
    assert_protected(cells, shown, relations)
    assert counts  # (keys used above)


def quarter_cells(by_sector, *, categories, ziek, grounds, durations=None) -> tuple[dict, list]:
    """The quarterly table's cells and relations; `durations` by bucket (default: all longer than six
    months)."""
    counts = {key: sum(by_sector[s][key] for s in monitor.SECTORS) for key in ("lrv", "av", "vrij", "ziek",
                                                                                "dreigend")}
    counts["thuiszitters"] = counts["lrv"] + counts["av"]
    assert sum(categories) == counts["thuiszitters"] and sum(ziek) == counts["ziek"]
    assert sum(grounds) == counts["vrij"]
    full = {**counts, "by_sector": by_sector,
            "thuiszitters_by_category": dict(zip(monitor.CATEGORIES, categories, strict=True)),
            "ziek_by_category": dict(zip(monitor.CATEGORIES, ziek, strict=True)),
            "vrij_by_ground": dict(zip(monitor.GROUNDS, grounds, strict=True)),
            "in_traject": {"total": 0, "gedeeltelijk": {}, "volledig": {}},
            "durations": dict(zip(monitor.DURATION_LABELS, durations or [0, 0, 0, counts["thuiszitters"]],
                                  strict=True)),
            "without_offer_over_3_months": 0}
    assert sum(full["durations"].values()) == counts["thuiszitters"]
    cells = {}
    period = {"returns": 0, "new_signals": 0, "doorbraak_decisions": 0, "doorbraak_no_agreement": 0}
    for row in monitor.quarter_rows(full, period):
        cells[(row["key"], "total")] = row["total"]
        for sector, value in (row["by_sector"] or {}).items():
            cells[(row["key"], sector)] = value
    return cells, monitor.table_relations()


def split(rng: random.Random, total: int, parts: int) -> list[int]:
    cuts = sorted(rng.randint(0, total) for _ in range(parts - 1))
    return [b - a for a, b in zip([0, *cuts], [*cuts, total], strict=True)]


@pytest.mark.parametrize("seed", range(60))
def test_random_quarterly_tables_leak_nothing(seed):
    rng = random.Random(seed)  # noqa: S311 (test data)
    by_sector = {s: {key: rng.choice([0, 0, 1, 2, 3, 4, 5, 6, 9, 13]) for key in ("lrv", "av", "vrij", "ziek",
                                                                                 "dreigend")}
                 for s in monitor.SECTORS}
    thuiszitters = sum(by_sector[s]["lrv"] + by_sector[s]["av"] for s in monitor.SECTORS)
    ziek = sum(by_sector[s]["ziek"] for s in monitor.SECTORS)
    vrij = sum(by_sector[s]["vrij"] for s in monitor.SECTORS)
    cells, relations = quarter_cells(by_sector, categories=split(rng, thuiszitters, 5), ziek=split(rng, ziek, 5),
                                     grounds=split(rng, vrij, 4), durations=split(rng, thuiszitters, 4))
    assert_protected(cells, monitor.suppress_table(cells, relations), relations)


@pytest.mark.parametrize("seed", range(150))
def test_random_small_tables_leak_nothing(seed):
    rng = random.Random(1000 + seed)  # noqa: S311 (test data)
    rows = {f"r{i}": [rng.choice([0, 0, 1, 2, 3, 4, 5, 7, 8, 11]) for _ in range(3)] for i in range(3)}
    cells, relations = table(rows)
    assert_protected(cells, monitor.suppress_table(cells, relations), relations, marks=False)


def test_what_the_marks_pin_down_is_hidden_further():
    # 15 - 9 = 6 = a + b and 6 = a + d, a "< 5", b and d "x": so a is 1 for a reader who knows
    # the marks; hiding 9 frees the row, the column's 6 has to go as well
    cells = {"t": 15, "a": 1, "b": 5, "c": 9, "col": 6, "d": 5}
    relations = [("t", ["a", "b", "c"]), ("col", ["a", "d"])]
    shown = monitor.suppress_table(cells, relations)
    assert shown == {"t": 15, "a": SMALL, "b": HIDDEN, "c": HIDDEN, "col": HIDDEN, "d": HIDDEN}
    assert_protected(cells, shown, relations)
    # one relation: 14 = a + b + c with a 1, b 5: hiding c (8) frees a
    cells = {"t": 14, "a": 1, "b": 5, "c": 8}
    assert monitor.suppress_table(cells, [("t", ["a", "b", "c"])]) == {"t": 14, "a": SMALL, "b": HIDDEN,
                                                                        "c": HIDDEN}


def test_the_limit_when_nothing_is_left_to_hide():
    """4 sick pupils in 4 categories: each "< 5" is at least 1, so each is 1. Zeros are never
    hidden, so this stays readable for someone who knows the marks (not from the totals alone)."""
    cells = {"ziek": 4, "a": 1, "b": 1, "c": 1, "d": 1, "e": 0}
    relations = [("ziek", ["a", "b", "c", "d", "e"])]
    shown = monitor.suppress_table(cells, relations)
    assert shown == {"ziek": SMALL, "a": SMALL, "b": SMALL, "c": SMALL, "d": SMALL, "e": 0}
    assert not alternatives_exist(cells, shown, relations, "a")
    assert alternatives_exist(cells, shown, relations, "a", marks=False)
    assert_protected(cells, shown, relations)


def test_the_marks_through_combined_relations():
    """The known gap: r0 + r1 = 8 follows from four relations together, and with both "< 5" each
    is 4. Not from the totals alone: assert_protected(marks=False) holds."""
    cells, relations = table({"r0": [4, 0, 3], "r1": [0, 4, 11], "r2": [11, 2, 11]})
    shown = monitor.suppress_table(cells, relations)
    assert shown[("r0", 0)] == SMALL and shown[("r1", 1)] == SMALL
    assert_protected(cells, shown, relations, marks=False)
    assert not alternatives_exist(cells, shown, relations, ("r0", 0))


def test_brute_force_sees_a_lone_hidden_cell():
    """The checker itself: one hidden cell in a relation with published others is found out."""
    cells = {"total": 9, "x": 3, "y": 6}
    shown = {"total": 9, "x": SMALL, "y": 6}
    assert not alternatives_exist(cells, shown, [("total", ["x", "y"])], "x")
    shown = {"total": 9, "x": SMALL, "y": HIDDEN}
    assert alternatives_exist(cells, shown, [("total", ["x", "y"])], "x")
    shown = {"total": 2, "x": SMALL, "y": SMALL}  # 1 + 1: "< 5" is at least 1
    assert not alternatives_exist({"total": 2, "x": 1, "y": 1}, shown, [("total", ["x", "y"])], "x")


# --- end to end: the CSV and the API for both audiences ------------------------------------------------


def at(day: str, hour: int = 10):
    return timezone.make_aware(dt.datetime.fromisoformat(f"{day}T{hour:02d}:00"))


def registered(case, registration: str, since: str, at_=None):
    CaseEvent.objects.create(case=case, kind="registration_changed", at=at_ or case.signalled_at,
                             data={"from": None, "to": registration, "since": since, "reason": "",
                                   "trigger": "signalled"})


@pytest.fixture
def quarter_history(db):
    """Q4 2026 in one VO region: 7 LRV at the VO school, 2 LRV at a PO school, 1 AV, 6 sick, one
    exemption (5c), one pupil of 19 (not counted); all signalled on 1 October."""
    vo = SchoolFactory(name="Testcollege")
    po = SchoolFactory(name="Basisschool", sector="po", region=vo.region)
    born = dt.date(2012, 3, 1)
    with time_machine.travel(at("2026-10-01"), tick=False):
        cases = []
        for _ in range(7):
            cases.append(CaseFactory(school=vo, child=ChildFactory(birth_date=born),
                                     absent_since=dt.date(2026, 8, 1), category="schoolweigeraar"))
        for _ in range(2):
            cases.append(CaseFactory(school=po, child=ChildFactory(birth_date=dt.date(2016, 5, 5)),
                                     absent_since=dt.date(2026, 8, 1), category="spijbelaar"))
        av = CaseFactory(school=None, region=vo.region, sector="vo", registration="av",
                         child=ChildFactory(birth_date=born), absent_since=dt.date(2026, 9, 1), category="onbekend")
        cases.append(av)
        for _ in range(6):
            cases.append(CaseFactory(school=vo, registration="ziek", child=ChildFactory(birth_date=born),
                                     absent_since=dt.date(2026, 9, 1), category="medisch_psychosociaal"))
        exempted = CaseFactory(school=vo, registration="vrij", child=ChildFactory(birth_date=born))
        cases.append(exempted)
        adult = CaseFactory(school=vo, child=ChildFactory(birth_date=dt.date(2007, 1, 1)))
        cases.append(adult)
        for case in cases:
            registered(case, case.registration, "2026-10-01")
        Vrijstelling.objects.create(case=exempted, grounds="5c", granted=True, starts_on=dt.date(2026, 10, 1),
                                    until=dt.date(2027, 7, 31), requested_by=UserFactory(),
                                    motivation="M", medical_statement=False)
        Deadline.objects.create(case=cases[0], kind=Deadline.Kind.OFFER_3_MONTHS, due_at=at("2026-12-01"))
        spells.refresh(case.pk for case in cases)  # the exemption and the clock were written past the services
    director = UserFactory()
    RegionRoleFactory(user=director, region=vo.region)
    return {"director": director}


def csv_rows(client, audience=None) -> dict[str, list[str]]:
    query = "year=2026&quarter=4" + (f"&audience={audience}" if audience else "")
    response = client.get(f"/monitor/quarter.csv?{query}")
    assert response.status_code == 200
    return {row[0]: row[1:] for row in csv.reader(io.StringIO(response.content.decode()))}


@pytest.mark.django_db
def test_csv_and_api_for_both_audiences(client, api, quarter_history):
    director = quarter_history["director"]
    with time_machine.travel(at("2027-01-05"), tick=False):
        client.force_login(director)
        exact = csv_rows(client)
        assert exact == csv_rows(client, "inspectie")
        public = csv_rows(client, "public")
        api_public = api(director).get("/api/monitor/quarter/", {"year": 2026, "quarter": 4, "audience": "public"})
        api_exact = api(director).get("/api/monitor/quarter/", {"year": 2026, "quarter": 4})
        assert api(director).get("/api/monitor/quarter/", {"year": 2026, "quarter": 4,
                                                           "audience": "pers"}).status_code == 400
        assert client.get("/monitor/quarter.csv?year=2026&quarter=4&audience=pers").status_code == 400
    columns = ["totaal", *monitor.SECTORS]
    assert exact["categorie"] == public["categorie"] == columns
    # the Inspectie: exact numbers                          total po vo so vso mbo
    assert exact["Langdurig relatief verzuim (LRV)"] == ["9", "2", "7", "0", "0", "0"]
    assert exact["Absoluut verzuim (AV)"] == ["1", "0", "1", "0", "0", "0"]
    assert exact["Thuiszitters (LRV + AV)"] == ["10", "2", "8", "0", "0", "0"]
    assert exact["Ziekgemeld"] == ["6", "0", "6", "0", "0", "0"]
    assert exact["Vrijstelling (alle gronden)"] == ["1", "0", "1", "0", "0", "0"]
    assert exact["Vrijstelling 5c"] == ["1"] and exact["Vrijstelling 5a"] == ["0"]
    assert exact["Thuiszitters: schoolweigeraar"] == ["7"] and exact["Thuiszitters: spijbelaar"] == ["2"]
    assert exact["Thuiszitters: onbekend"] == ["1"]
    assert exact["Ziekgemeld: medisch, lichamelijk of psychosociaal"] == ["6"]
    assert exact["Zonder aanbod na 3 maanden"] == ["1"]
    assert exact["Nieuwe meldingen in het kwartaal"] == ["0"]  # (written straight to the tables: no events)
    assert "Toelichting" not in exact
    # the public: small numbers hidden, and what would give them away
    # po 2 and av 1 are small; LRV vo (7) follows from the row, LRV total (9) from 10 = LRV + AV
    assert public["Langdurig relatief verzuim (LRV)"] == [HIDDEN, SMALL, HIDDEN, "0", "0", "0"]
    assert public["Absoluut verzuim (AV)"] == [SMALL, "0", SMALL, "0", "0", "0"]
    assert public["Thuiszitters (LRV + AV)"] == ["10", SMALL, HIDDEN, "0", "0", "0"]
    assert public["Ziekgemeld"] == ["6", "0", "6", "0", "0", "0"]
    assert public["Vrijstelling (alle gronden)"] == [SMALL, "0", SMALL, "0", "0", "0"]
    assert public["Vrijstelling 5c"] == [SMALL]
    assert public["Thuiszitters: schoolweigeraar"] == ["7"] and public["Thuiszitters: spijbelaar"] == [SMALL]
    assert public["Thuiszitters: onbekend"] == [SMALL]  # 2 + 1 = 3: two small cells, neither follows
    assert public["Zonder aanbod na 3 maanden"] == [SMALL]
    assert public["Toelichting"][0].startswith("< 5")
    # the API gives the same table
    assert api_public.status_code == 200 and api_exact.status_code == 200
    body = api_public.json()
    assert body["audience"] == "public" and body["peildatum"] == "2026-12-31"
    by_key = {row["key"]: row for row in body["rows"]}
    assert by_key["lrv"]["total"] == HIDDEN and by_key["lrv"]["by_sector"] == {
        "po": SMALL, "vo": HIDDEN, "so": 0, "vso": 0, "mbo": 0}
    assert by_key["thuiszitters:spijbelaar"] == {"key": "thuiszitters:spijbelaar", "label": "Thuiszitters: spijbelaar",
                                                 "total": SMALL, "by_sector": None}
    counts = api_exact.json()["counts"]
    assert (counts["lrv"], counts["av"], counts["ziek"], counts["vrij"], counts["open_cases"]) == (9, 1, 6, 1, 18)
    # what the public table shows is what the CSV shows, and nothing hidden follows from it
    cells, shown = {}, {}
    for row in body["rows"]:
        numbers = exact[row["label"]]
        per_sector = [row["by_sector"][s] for s in monitor.SECTORS] if row["by_sector"] is not None else []
        assert public[row["label"]] == [str(value) for value in (row["total"], *per_sector)]
        for column, value in zip(monitor.COLUMNS, numbers, strict=False):
            cells[(row["key"], column)] = int(value)
            shown[(row["key"], column)] = row["total"] if column == "total" else row["by_sector"][column]
    assert_protected(cells, shown, monitor.table_relations())
