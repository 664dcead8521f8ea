"""The school year's KPIs as a table for what leaves the SWV: the jaarverslag's CSV and the one-page
print for the conversation with each school location (Jaarkalender & jaarplan SWV VO Groningen
Stad, jaarkalender 1.1: "Gegevens worden gebruikt voor jaarverslag SWV op kalenderjaar en gebruikt
in de gesprekken van SWV met alle schoollocaties").

One row per figure (`ROWS`), one column for the scope's total and one per school location. Small
numbers are suppressed as in the public quarterly table (casework.monitor.exports.suppress_table:
1 to 4 become "< 5", and a cell that a total and its other parts would give away is hidden too):
the durations add up to the year's thuiszitters in every column."""

import datetime as dt

from django.utils.translation import gettext_lazy as _

from casework.models import Plan, Provision
from casework.monitor.counts import BUCKETS, Scope
from casework.monitor.exports import suppress_table
from casework.monitor.year import year_report

DURATIONS = [name for name, _, _ in BUCKETS]
DURATION_LABELS = {"lt_4_weeks": _("< 4 weeks"), "4_weeks_3_months": _("4 weeks – 3 months"),
                   "3_6_months": _("3 – 6 months"), "gt_6_months": _("> 6 months")}


def rows(report: dict) -> list[tuple[str, str, int]]:
    """The figures of one `year_report`, as (key, label, count), KPI by KPI."""
    year, ect, referrals = report["year"], report["ect"], report["referrals"]
    figures = [
        ("kpi1:thuiszitters", _("KPI 1: thuiszitters in the year (LRV or AV at some time)"), year["thuiszitters"]),
        ("kpi1:lrv", _("KPI 1: of them LRV"), year["lrv"]),
        ("kpi1:av", _("KPI 1: of them AV"), year["av"]),
        *[(f"kpi1:duur:{name}", _("KPI 1: days out in the year, %(band)s") % {"band": DURATION_LABELS[name]},
           year["durations"][name]) for name in DURATIONS],
        ("kpi1:thuiswerkplan", _("KPI 1: of them with a thuiswerkplan"), year["thuiswerkplan"]),
    ]
    for row in report["peildata"]:
        day = dt.date.fromisoformat(row["peildatum"]).strftime("%d-%m-%Y")
        figures += [(f"kpi1:{row['peildatum']}:thuiszitters", _("KPI 1: thuiszitters on %(day)s") % {"day": day},
                     row["thuiszitters"]),
                    (f"kpi1:{row['peildatum']}:ziek", _("KPI 1: sick on %(day)s") % {"day": day}, row["ziek"]),
                    (f"kpi1:{row['peildatum']}:thuiswerkplan", _("KPI 1: with a thuiswerkplan on %(day)s")
                     % {"day": day}, row["thuiswerkplan"])]
    figures += [(f"kpi6:referrals:{kind}", _("KPI 6: referrals to %(provision)s") % {"provision": label},
                 referrals["referrals"][kind]) for kind, label in Provision.Kind.choices]
    figures += [(f"kpi6:returns:{kind}", _("KPI 6: returns from %(provision)s") % {"provision": label},
                 referrals["returns"][kind]) for kind, label in Provision.Kind.choices]
    figures += [("kpi6:term:cohort", _("KPI 6: pupils whose term ended in the year"), referrals["within_term"]["cohort"]),
                ("kpi6:term:returned", _("KPI 6: of them back at a regular school within the term"),
                 referrals["within_term"]["returned"]),
                ("kpi8:started", _("KPI 8: ECT consults started"), ect["started"]),
                ("kpi8:closed", _("KPI 8: ECT consults closed"), ect["closed"])]
    figures += [(f"kpi8:kind:{kind}", _("KPI 8: consults about %(kind)s") % {"kind": label}, ect["by_kind"][kind])
                for kind, label in [*Plan.EctQuestionKind.choices, ("clock", _("no question (the clock)"))]]
    figures += [("kpi8:first:approved", _("KPI 8: advice approved at the first reading"), ect["first_reading"]["approved"]),
                ("kpi8:first:rejected", _("KPI 8: advice rejected at the first reading"), ect["first_reading"]["rejected"])]
    return figures


def relations(columns: list[str]) -> list[tuple]:
    """The totals a reader can check: in every column the durations add up to the thuiszitters,
    and so do the kinds of question to the consults started."""
    found = []
    for column in columns:
        found.append((("kpi1:thuiszitters", column), [(f"kpi1:duur:{name}", column) for name in DURATIONS]))
        kinds = [*Plan.EctQuestionKind.values, "clock"]
        found.append((("kpi8:started", column), [(f"kpi8:kind:{kind}", column) for kind in kinds]))
    return found


def school_year_table(regions: list[int], schools: list, school_year: str, today: dt.date,
                      *, suppressed: bool = True) -> dict:
    """The table for the scope (`regions`) and each of `schools` (school locations): {"columns":
    [(key, label)], "rows": [(label, [cell per column])]}; with `suppressed`, small numbers hidden."""
    columns = [("total", _("All school locations"))] + [(str(school.pk), school.name) for school in schools]
    reports = {"total": year_report(Scope(regions=regions), school_year, today, within=regions)}
    for school in schools:
        reports[str(school.pk)] = year_report(Scope(regions=regions, school=school.pk), school_year, today,
                                              within=regions)
    keys_labels = [(key, label) for key, label, _value in rows(reports["total"])]
    cells = {(key, column): value for column, report in reports.items() for key, _label, value in rows(report)}
    shown = suppress_table(cells, relations([key for key, _ in columns])) if suppressed else cells
    table_rows = [(label, [shown[(key, column)] for column, _ in columns]) for key, label in keys_labels]
    # KPI 9's figures are averages and shares, shown only from the minimum number of answers on
    # (casework.monitor.survey decides, also beside a small neighbour): "—" below it.
    for key, label in KPI9_ROWS:
        table_rows.append((label, [_kpi9_cell(reports[column]["kpi9"], key) for column, _ in columns]))
    return {"school_year": school_year, "until": reports["total"]["until"], "complete": reports["total"]["complete"],
            "columns": columns, "rows": table_rows}


KPI9_ROWS = [("responses", _("KPI 9: answers to the survey after an ECT consult")),
             ("response_rate", _("KPI 9: response rate (%)")), ("average", _("KPI 9: average score (1-10)"))]


def _kpi9_cell(figures: dict, key: str):
    return figures[key] if figures["shown"] and figures[key] is not None else "—"
