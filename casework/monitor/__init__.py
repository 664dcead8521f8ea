"""The monitor: counts at any peildatum and over any period, computed from the dated history,
so that a report for a past date shows what each case was on that date.

Counting rules on peildatum D (the contract; docs/counting.md explains each rule and its source).
Each case's state on every day is kept as spells (`casework.monitor.spells`, `MonitorSpell`);
a count on D reads the spells that hold on D:

- a case is open on D when it was signalled before the end of D and not closed by then;
- its registration, level of taking part, school, sector and region on D are the dated facts
  that held on D (see `casework.monitor.spells`); lrv, av and dreigend count only while the
  level is not "volledig";
- a pupil is out for more than 4 weeks from day 29, the first day absent being day 1: then a
  `dreigend` case counts as lrv, and only then does a sick pupil count as ziek;
- only children of compulsory school age on D count (5 up to 18; at 16 and 17 only while they
  have no startkwalificatie), except in `open_cases`;
- vrij counts the cases with an exemption running on D (`Vrijstelling` rows: `granted` true,
  from `starts_on` (else the day of `decided_at`) through `until`, not after `ended_on`), open or
  closed; a 5a recorded with the signal is granted only once the SWV's advice is on record;
- period counts come from the events in the period; clock compliance from the clocks' own
  events (`deadline_met`, `deadline_breached`, `deadline_stopped`).

Everything is aggregated in the database (grouped counts over the spells of the day), so the
cost grows with the cases in scope, not with the events per case. Aggregates only: no names.
"""

from casework.monitor.counts import (  # noqa: F401 (re-exported)
    BUCKETS,
    CATEGORIES,
    COMPLIANCE_CLOCKS,
    GROUNDS,
    REGISTRATIONS,
    SECTORS,
    SETTINGS,
    THUISZITTER_REGISTRATIONS,
    TRAJECT_LEVELS,
    Scope,
    bucket_expression,
    compulsory_school_age,
    counts_on,
    effective_registration,
    end_of,
    ensure_monitor_access,
    lrv_line,
    monitor_regions,
    quarter_bounds,
    spells_on,
    start_of,
    text,
)
from casework.monitor.exports import (  # noqa: F401 (re-exported)
    AUDIENCES,
    CATEGORY_LABELS,
    COLUMNS,
    DURATION_LABELS,
    HIDDEN,
    PERIOD_ROWS,
    SECTOR_ROWS,
    SMALL,
    TRAJECT_LABELS,
    _nearest_published,
    quarter_csv_rows,
    quarter_rows,
    quarter_table,
    suppress_table,
    table_relations,
)
from casework.monitor.period import (  # noqa: F401 (re-exported)
    PERCENTILES,
    compliance,
    monthly_trend,
    percentile,
    period_counts,
    report,
    timing_absent_to_placement,
    timing_signal_to_action,
)
from casework.monitor.survey import (  # noqa: F401 (re-exported)
    MIN_RESPONSES,
    ensure_policy_role,
    improvement_texts,
    kpi9,
    policy_regions,
)
from casework.monitor.year import (  # noqa: F401 (re-exported)
    parse_school_year,
    school_year_of,
    year_report,
)
