"""Exports that leave the SWV: the quarterly table, exact for the Inspectie, and for the public
with small numbers suppressed and secondary suppression so that no hidden count follows from
the totals."""

import datetime as dt
from fractions import Fraction

from casework.monitor.counts import (
    BUCKETS,
    CATEGORIES,
    GROUNDS,
    SECTORS,
    TRAJECT_LEVELS,
    Scope,
    quarter_bounds,
)
from casework.monitor.period import report

# --- exports ---------------------------------------------------------------------------------------
#
# Two audiences: the Inspectie gets the exact numbers; a table for the public shows counts from 1
# to 4 as "< 5" (primary suppression) and hides ("x") as many more cells as it takes so that no
# hidden count follows from the published cells and the totals (secondary suppression).

AUDIENCES = ("inspectie", "public")
SMALL = "< 5"
HIDDEN = "x"
COLUMNS = ["total", *SECTORS]

SECTOR_ROWS = [("lrv", "Langdurig relatief verzuim (LRV)"), ("av", "Absoluut verzuim (AV)"),
               ("vrij", "Vrijstelling (alle gronden)"), ("ziek", "Ziekgemeld"),
               ("dreigend", "Dreigend thuiszitter"), ("thuiszitters", "Thuiszitters (LRV + AV)")]
CATEGORY_LABELS = {"schoolweigeraar": "schoolweigeraar", "schoolonthouding": "schoolonthouding",
                   "spijbelaar": "spijbelaar", "medisch_psychosociaal": "medisch, lichamelijk of psychosociaal",
                   "onbekend": "onbekend"}
# How long the thuiszitters on the peildatum have been out of school (Thuiszitterspact Groningen,
# §6: a count per year "zegt niets over de duur"); the buckets add up to the thuiszitters.
DURATION_LABELS = {"lt_4_weeks": "korter dan 4 weken", "4_weeks_3_months": "4 weken tot 3 maanden",
                   "3_6_months": "3 tot 6 maanden", "gt_6_months": "langer dan 6 maanden"}
DURATIONS = [name for name, _, _ in BUCKETS]
# Rows about the quarter (not the peildatum): the report page lists them apart.
PERIOD_ROWS = ("returns", "new_signals", "doorbraak_decisions", "doorbraak_no_agreement")
TRAJECT_LABELS = {"gedeeltelijk": "In traject: gedeeltelijk deelnemend",
                  "volledig": "In traject: volledig deelnemend (naar vermogen)"}


def quarter_rows(counts: dict, period: dict) -> list[dict]:
    """The quarterly table: {key, label, total, by_sector (None for a row without sectors)}."""
    by_sector = counts["by_sector"]
    rows = []
    for key, label in SECTOR_ROWS:
        if key == "thuiszitters":
            per_sector = {s: by_sector[s]["lrv"] + by_sector[s]["av"] for s in SECTORS}
        else:
            per_sector = {s: by_sector[s][key] for s in SECTORS}
        rows.append({"key": key, "label": label, "total": counts[key], "by_sector": per_sector})
    rows += [{"key": f"thuiszitters:{c}", "label": f"Thuiszitters: {label}",
              "total": counts["thuiszitters_by_category"][c], "by_sector": None}
             for c, label in CATEGORY_LABELS.items()]
    rows += [{"key": f"ziek:{c}", "label": f"Ziekgemeld: {label}", "total": counts["ziek_by_category"][c],
              "by_sector": None} for c, label in CATEGORY_LABELS.items()]
    rows += [{"key": f"vrij:{g}", "label": f"Vrijstelling {g}", "total": counts["vrij_by_ground"][g],
              "by_sector": None} for g in GROUNDS]
    rows += [{"key": f"duur:{bucket}", "label": f"Thuiszitters, duur: {DURATION_LABELS[bucket]}",
              "total": counts["durations"][bucket], "by_sector": None} for bucket in DURATIONS]
    rows += [{"key": f"in_traject:{level}", "label": TRAJECT_LABELS[level],
              "total": sum(counts["in_traject"][level].values()), "by_sector": None} for level in TRAJECT_LEVELS]
    rows += [
        {"key": "without_offer_over_3_months", "label": "Zonder aanbod na 3 maanden",
         "total": counts["without_offer_over_3_months"], "by_sector": None},
        {"key": "returns", "label": "Teruggeleid naar onderwijs in het kwartaal", "total": period["returns"],
         "by_sector": None},
        {"key": "new_signals", "label": "Nieuwe meldingen in het kwartaal", "total": period["new_signals"],
         "by_sector": None},
        {"key": "doorbraak_decisions", "label": "Doorbraakbesluiten met een plaats in het kwartaal",
         "total": period["doorbraak_decisions"], "by_sector": None},
        {"key": "doorbraak_no_agreement", "label": "MPL zonder overeenstemming in het kwartaal",
         "total": period["doorbraak_no_agreement"], "by_sector": None},
    ]
    return rows


def table_relations() -> list[tuple[tuple, list[tuple]]]:
    """The totals a reader can check in the quarterly table, as (total cell, part cells); a cell
    is (row key, column)."""
    relations = [((key, "total"), [(key, s) for s in SECTORS]) for key, _ in SECTOR_ROWS]
    relations += [(("thuiszitters", column), [("lrv", column), ("av", column)]) for column in COLUMNS]
    relations += [
        (("thuiszitters", "total"), [(f"thuiszitters:{c}", "total") for c in CATEGORIES]),
        (("ziek", "total"), [(f"ziek:{c}", "total") for c in CATEGORIES]),
        (("vrij", "total"), [(f"vrij:{g}", "total") for g in GROUNDS]),  # (a case rarely has two grounds)
        (("thuiszitters", "total"), [(f"duur:{bucket}", "total") for bucket in DURATIONS]),
    ]
    return relations


def suppress_table(cells: dict, relations: list[tuple]) -> dict:
    """The cells for the public. Counts from 1 to 4 become "< 5". Then, while a relation (a total
    and its parts) has exactly one hidden cell, the smallest other non-zero part is hidden too
    ("x"), or the total when every other part is zero. Zeros stay.

    Then two checks: whether a hidden cell follows from the published cells and the relations
    together (linear algebra: e.g. through a row and a column), and whether it follows from
    what the marks say as well: "< 5" is 1 to 4, an "x" at least 5 (every count from 1 to 4 is
    "< 5" already), so 1 + x = 6 gives both away (bounds propagated over the relations). A cell
    so pinned down makes the smallest published non-zero cell of its relations (or, when they
    have none, of the nearest ones) that frees it hidden as well, and the rules run again.
    Zeros are never hidden, so a relation whose non-zero cells are all hidden already can still
    give them away to a reader of the marks (4 = four times "< 5")."""
    shown = {key: SMALL if isinstance(value, int) and 0 < value < 5 else value for key, value in cells.items()}
    while True:
        changed = True
        while changed:
            changed = False
            for total, parts in relations:
                hidden = [key for key in (total, *parts) if shown[key] in (SMALL, HIDDEN)]
                if len(hidden) != 1:
                    continue
                candidates = [key for key in parts if key not in hidden and cells[key]]
                if not candidates and total not in hidden and cells[total]:
                    candidates = [total]
                if candidates:
                    shown[min(candidates, key=lambda key: cells[key])] = HIDDEN  # the first of equals
                    changed = True
        pinned = _follows_from_totals(shown, relations) or _pinned(shown, relations)
        if not pinned:
            return shown
        candidates = sorted(set(_nearest_published(pinned, cells, shown, relations)), key=lambda key: cells[key])
        if not candidates:
            return shown  # nothing is left to hide (zeros stay)
        for candidate in candidates:  # the smallest that frees the pinned cell, else the smallest
            trial = {**shown, candidate: HIDDEN}
            if pinned not in (_follows_from_totals(trial, relations, every=True)
                              | _pinned(trial, relations, every=True)):
                break
        else:
            candidate = candidates[0]
        shown[candidate] = HIDDEN


def _nearest_published(start, cells: dict, shown: dict, relations: list[tuple]) -> list:
    """The published non-zero cells of the relations nearest to `start`: its own relations, else
    those of the hidden cells in them, and so on."""
    seen, layer = {start}, [start]
    while layer:
        related = [members for total, parts in relations for members in [(total, *parts)]
                   if any(key in members for key in layer)]
        published = [key for members in related for key in members
                     if shown[key] not in (SMALL, HIDDEN) and cells[key]]
        if published:
            return published
        layer = [key for members in related for key in members if key not in seen]
        seen.update(layer)
    return []


def _pinned(shown: dict, relations: list[tuple], every: bool = False):
    """A hidden cell whose value follows from the published cells, the relations and what the
    marks say ("< 5": 1 to 4; "x": 5 or more), by propagating bounds; None when there is none
    (with `every`: the set of all of them)."""
    many = 10**9
    low = {key: 1 if value == SMALL else 5 if value == HIDDEN else value for key, value in shown.items()}
    high = {key: 4 if value == SMALL else many if value == HIDDEN else value for key, value in shown.items()}
    changed = True
    while changed:
        changed = False
        for total, parts in relations:
            bounds = [(total, sum(low[p] for p in parts), sum(high[p] for p in parts))]
            for part in parts:
                others_low = sum(low[p] for p in parts if p != part)
                others_high = sum(high[p] for p in parts if p != part)
                bounds.append((part, low[total] - others_high, high[total] - others_low))
            for key, lo, hi in bounds:
                if lo > low[key]:
                    low[key], changed = lo, True
                if hi < high[key]:
                    high[key], changed = hi, True
    found = [key for key, value in shown.items() if value in (SMALL, HIDDEN) and low[key] >= high[key]]
    return set(found) if every else (found[0] if found else None)


def _follows_from_totals(shown: dict, relations: list[tuple], every: bool = False):
    """A hidden cell whose value follows from the published cells and the relations alone (linear
    algebra, exact: the relations have no solution that changes it); None when there is none
    (with `every`: the set of all of them)."""
    hidden = [key for key, value in shown.items() if value in (SMALL, HIDDEN)]
    column = {key: i for i, key in enumerate(hidden)}
    rows = []
    for total, parts in relations:
        row = [Fraction(0)] * len(hidden)
        for key, sign in ((total, 1), *((p, -1) for p in parts)):
            if key in column:
                row[column[key]] += sign
        if any(row):
            rows.append(row)
    pivots = []  # reduced row echelon form
    for j in range(len(hidden)):
        r = next((i for i in range(len(pivots), len(rows)) if rows[i][j]), None)
        if r is None:
            continue
        rows[len(pivots)], rows[r] = rows[r], rows[len(pivots)]
        pivot_row = rows[len(pivots)]
        pivot_row[:] = [v / pivot_row[j] for v in pivot_row]
        for i, row in enumerate(rows):
            if i != len(pivots) and row[j]:
                factor = row[j]
                row[:] = [a - factor * b for a, b in zip(row, pivot_row, strict=True)]
        pivots.append(j)
    free = set(range(len(hidden))) - set(pivots)
    found = [hidden[j] for i, j in enumerate(pivots) if not any(rows[i][f] for f in free)]
    return set(found) if every else (found[0] if found else None)


def quarter_table(scope: Scope, year: int, quarter: int, audience: str = "inspectie",
                  until: dt.date | None = None) -> dict:
    """The quarterly report as one table for an audience ("inspectie": exact; "public": suppressed).
    `until`: the peildatum of a quarter that has not ended yet (the caller clamps it to today)."""
    if audience not in AUDIENCES:
        raise ValueError(audience)
    first, last = quarter_bounds(year, quarter)
    last = min(last, until) if until is not None else last
    data = report(scope, last, first)
    rows = quarter_rows(data["counts"], data["period"])
    if audience == "public":
        cells = {}
        for row in rows:
            cells[(row["key"], "total")] = row["total"]
            for sector, value in (row["by_sector"] or {}).items():
                cells[(row["key"], sector)] = value
        shown = suppress_table(cells, table_relations())
        for row in rows:
            row["total"] = shown[(row["key"], "total")]
            if row["by_sector"] is not None:
                row["by_sector"] = {sector: shown[(row["key"], sector)] for sector in SECTORS}
    return {"audience": audience, "year": year, "quarter": quarter, "peildatum": last.isoformat(),
            "from": first.isoformat(), "until": last.isoformat(), "sectors": SECTORS, "rows": rows}


def quarter_csv_rows(scope: Scope, year: int, quarter: int, audience: str = "inspectie",
                     until: dt.date | None = None) -> list[list]:
    """The quarterly CSV: the Inspectie's categories per sector at the quarter's end (or `until`), the
    breakdowns, and the quarter's returns and new signals."""
    table = quarter_table(scope, year, quarter, audience, until)
    rows = [["peildatum", table["peildatum"]], ["categorie", "totaal", *SECTORS]]
    for row in table["rows"]:
        per_sector = [row["by_sector"][s] for s in SECTORS] if row["by_sector"] is not None else []
        rows.append([row["label"], row["total"], *per_sector])
    if audience == "public":
        rows.append(["Toelichting", f"{SMALL}: 1 tot en met 4; {HIDDEN}: afgeschermd, zodat geen klein aantal "
                                    "uit de totalen volgt"])
    return rows
