"""The monitor: counts at any peildatum and over any period, computed from the dated history,
so that a report for a past date shows what each case was on that date.

Counting rules on peildatum D (the contract; docs/counting.md explains each rule and its source):

- a case is open on D when it was signalled before the end of D and not closed by then;
- its registration on D is the `to` of its `registration_changed` event with the greatest
  (since, at, pk) among those with since <= D (every case has one from its intake; a case
  without that history falls back to its current registration);
- its level of taking part on D comes from `participation_changed` the same way ("geen" when
  none); lrv, av and dreigend count only while the level is not "volledig";
- only children of compulsory school age on D count (5 up to 18; at 16 and 17 only while they
  have no startkwalificatie), except in `open_cases`;
- vrij counts the cases with an exemption running on D (`Vrijstelling` rows: `granted` true,
  from `starts_on` (else the day of `decided_at`) through `until`, not after `ended_on`), open or
  closed; a 5a recorded with the signal is granted only once the SWV's advice is on record;
- period counts come from the events in the period; clock compliance from the clocks' own
  events (`deadline_met`, `deadline_breached`, `deadline_stopped`).

Everything is aggregated in the database (correlated subqueries per case, grouped counts), so the
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
    cases_on,
    compulsory_school_age,
    counts_on,
    end_of,
    ensure_monitor_access,
    exemptions_on,
    monitor_regions,
    open_on,
    quarter_bounds,
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
