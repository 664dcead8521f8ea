"""Realistic case histories for the monitor's benchmark, written with bulk SQL (`INSERT ...
SELECT`), millions of rows in seconds, but with the data the services write:

- each case is signalled at some moment of `years` years (ending `offset_days` ago) and lives 20 to
  240 days; then it is closed (`closed` event, `closed_at`, outcome), but one in twenty stays open
  a year longer (with four years of history about 87 % of the cases are closed, with 40 about 98 %);
- the intake's `registration_changed` (from none, since the first day out of school, with the
  school, sector and region, trigger "signalled"), as `casework.services.ladder.record_registration`
  writes it; a quarter of the cases change registration later (lrv -> av leaves the school,
  av -> lrv enrols at a school, dreigend/ziek -> lrv), dated and typed the same way;
- one in five enrolled cases moves to another school of its region (`school_changed`);
- a third takes part partly from some day (`participation_changed`), half of those fully later;
- one in twenty gets an exemption (a granted `Vrijstelling` row with its dates, the requested and
  decided events, the registration to vrij); half of those end early (`exemption_ended`, back to
  lrv or av);
- every case has its three-month clock (`Deadline` offer_3_months), met when it takes part,
  stopped when it closes first;
- the rest of the events (to reach the asked number) are the steps between: team reviews, notes,
  task assignments, clock events, dated within the case's life.

A case's current fields (registration, school, sector, taking part, status) are the last of its
facts. The per-case plan is one temporary table (`bench_plan`) from which every insert reads.
"""

from django.db import connection

PLAN = """
CREATE TEMP TABLE bench_plan AS
WITH base AS (
    SELECT i, now() - (%(offset)s * 24 + (i::bigint * 7919) %% (%(days)s * 24)) * interval '1 hour' AS sig,
           20 + (i * 37) %% 221 AS life,
           (ARRAY['lrv', 'lrv', 'lrv', 'av', 'dreigend', 'ziek'])[1 + i %% 6] AS reg0,
           (%(schools)s::bigint[])[1 + (i / 7) %% %(nschools)s] AS home,
           (%(schools)s::bigint[])[1 + (i / 7 + 1) %% %(nschools)s] AS other
    FROM generate_series(0, %(count)s - 1) AS i
), timed AS (
    SELECT *, sig + life * interval '1 day' AS end_at,
           sig + (life * 0.2) * interval '1 day' AS ex_at,
           sig + (life * 0.3) * interval '1 day' AS change_at,
           sig + (life * 0.4) * interval '1 day' AS part_at,
           sig + (life * 0.5) * interval '1 day' AS move_at,
           sig + (life * 0.7) * interval '1 day' AS full_at,
           (sig AT TIME ZONE %(tz)s)::date - (5 + i %% 90) AS absent
    FROM base
), flagged AS (
    SELECT *, end_at < now() - CASE WHEN i %% 20 = 10 THEN interval '1 year' ELSE interval '0 days' END AS closed,
           i %% 20 = 7 AND ex_at < now() AS exempt,
           i %% 4 = 1 AND i %% 20 <> 7 AND change_at < now() AS changes,
           i %% 3 = 0 AND i %% 20 <> 7 AND part_at < now() AS takes_part,
           i %% 6 = 0 AND i %% 20 <> 7 AND full_at < now() AS fully
    FROM timed
), changed AS (
    SELECT *, CASE WHEN NOT changes THEN reg0 WHEN reg0 = 'lrv' THEN 'av' ELSE 'lrv' END AS reg1,
           CASE WHEN reg0 = 'av' THEN NULL ELSE home END AS school0,
           CASE WHEN NOT changes THEN (CASE WHEN reg0 = 'av' THEN NULL ELSE home END)
                WHEN reg0 = 'lrv' THEN NULL WHEN reg0 = 'av' THEN other ELSE home END AS school1,
           exempt AND i %% 40 = 7 AND ex_at + interval '60 days' < LEAST(end_at, now()) AS ends_early
    FROM flagged
)
SELECT *, school1 IS NOT NULL AND i %% 5 = 2 AND move_at < now() AND NOT exempt AS moves,
       CASE WHEN school1 IS NOT NULL AND i %% 5 = 2 AND move_at < now() AND NOT exempt
            THEN (CASE WHEN school1 = home THEN other ELSE home END) ELSE school1 END AS school2,
       (ex_at AT TIME ZONE %(tz)s)::date AS ex_from,
       (ex_at AT TIME ZONE %(tz)s)::date + 180 AS ex_until,
       (ex_at AT TIME ZONE %(tz)s)::date + 60 AS ex_last,
       (ARRAY['eigen_school', 'andere_school', 'arrangement', 'opdc_doorstart', 'rebound'])[1 + i %% 5] AS setting,
       (ARRAY['5a', '5b', '5c', '15'])[1 + (i / 20) %% 4] AS grounds,
       (ARRAY['schoolweigeraar', 'schoolonthouding', 'spijbelaar', 'medisch_psychosociaal', 'onbekend'])[1 + i %% 5]
           AS category,
       (ARRAY['terug_naar_school', 'passend_aanbod', 'verhuisd', 'anders'])[1 + i %% 4] AS outcome
FROM changed
"""

CASES = """
WITH kids AS (
    INSERT INTO casework_child (given_name, family_name, birth_date, pupil_number, startkwalificatie, match_key)
    SELECT 'Kind', %(tag)s || '-' || i, DATE '2010-01-01' + (i %% 3000), '', false,
           'kind|' || %(tag)s || '-' || i || '|' || (DATE '2010-01-01' + (i %% 3000))
    FROM bench_plan
    RETURNING id, family_name
)
INSERT INTO casework_case (sector, registration, category, absent_since, signalled_at, signaller_role, summary,
                           status, outcome, closed_at, participation, participation_setting, region_id, school_id,
                           signalled_by_id, child_id)
SELECT s.sector,
       CASE WHEN p.ends_early THEN (CASE WHEN p.school0 IS NULL THEN 'av' ELSE 'lrv' END)
            WHEN p.exempt THEN 'vrij' ELSE p.reg1 END,
       p.category, p.absent, p.sig, 'school', '', CASE WHEN p.closed THEN 'closed' ELSE 'active' END,
       CASE WHEN p.closed AND p.exempt AND NOT p.ends_early THEN 'vrijstelling' WHEN p.closed THEN p.outcome ELSE '' END,
       CASE WHEN p.closed THEN p.end_at END,
       CASE WHEN p.fully THEN 'volledig' WHEN p.takes_part THEN 'gedeeltelijk' ELSE 'geen' END,
       CASE WHEN p.takes_part THEN p.setting ELSE '' END,
       %(region)s, CASE WHEN p.exempt THEN p.school0 ELSE p.school2 END, %(user)s, kids.id
FROM bench_plan p JOIN kids ON kids.family_name = %(tag)s || '-' || p.i
JOIN teams_school s ON s.id = p.home
ORDER BY p.i
"""

EVENTS = [
    # the signal
    """SELECT p.sig, 'signalled', jsonb_build_object('registration', p.reg0, 'category', p.category,
              'sector', c.sector, 'school_id', p.school0, 'region_id', c.region_id, 'team_id', %(team)s,
              'absent_since', p.absent::text, 'signaller_role', 'school'), c.id
       FROM bench_plan p JOIN casework_case c ON c.id = p.case_id WHERE true""",
    # the intake's registration
    """SELECT p.sig, 'registration_changed', jsonb_build_object('from', NULL, 'to', p.reg0,
              'since', p.absent::text, 'reason', '', 'trigger', 'signalled', 'school', p.school0,
              'sector', c.sector, 'region', c.region_id), c.id
       FROM bench_plan p JOIN casework_case c ON c.id = p.case_id WHERE true""",
    # a later change of registration (lrv -> av leaves the school; av -> lrv enrols)
    """SELECT p.change_at, 'registration_changed', jsonb_build_object('from', p.reg0, 'to', p.reg1,
              'since', (p.change_at AT TIME ZONE %(tz)s)::date::text, 'reason', 'Bench', 'trigger', 'manual',
              'school', p.school1, 'sector', c.sector, 'region', c.region_id), c.id
       FROM bench_plan p JOIN casework_case c ON c.id = p.case_id WHERE p.changes""",
    # a move to another school
    """SELECT p.move_at, 'school_changed', jsonb_build_object('from_school', p.school1, 'school', p.school2,
              'sector', c.sector, 'region', c.region_id,
              'since', (p.move_at AT TIME ZONE %(tz)s)::date::text, 'reason', 'Bench'), c.id
       FROM bench_plan p JOIN casework_case c ON c.id = p.case_id WHERE p.moves""",
    # taking part: partly, later fully
    """SELECT p.part_at, 'participation_changed', jsonb_build_object('from', 'geen', 'level', 'gedeeltelijk',
              'since', (p.part_at AT TIME ZONE %(tz)s)::date::text, 'setting', p.setting), c.id
       FROM bench_plan p JOIN casework_case c ON c.id = p.case_id WHERE p.takes_part""",
    """SELECT p.full_at, 'participation_changed', jsonb_build_object('from', 'gedeeltelijk', 'level', 'volledig',
              'since', (p.full_at AT TIME ZONE %(tz)s)::date::text, 'setting', p.setting), c.id
       FROM bench_plan p JOIN casework_case c ON c.id = p.case_id WHERE p.fully""",
    # the exemption: requested, decided, the registration to vrij; some end early
    """SELECT p.ex_at - interval '14 days', 'vrijstelling_requested', jsonb_build_object('vrijstelling_id', v.id,
              'grounds', v.grounds, 'medical_statement', v.medical_statement), c.id
       FROM bench_plan p JOIN casework_case c ON c.id = p.case_id JOIN casework_vrijstelling v ON v.case_id = c.id
       WHERE p.exempt""",
    """SELECT p.ex_at, 'vrijstelling_decided', jsonb_build_object('vrijstelling_id', v.id, 'granted', true,
              'grounds', v.grounds, 'until', v.until::text), c.id
       FROM bench_plan p JOIN casework_case c ON c.id = p.case_id JOIN casework_vrijstelling v ON v.case_id = c.id
       WHERE p.exempt""",
    """SELECT p.ex_at, 'registration_changed', jsonb_build_object('from', p.reg0, 'to', 'vrij',
              'since', p.ex_from::text, 'reason', '', 'trigger', 'vrijstelling', 'school', p.school0,
              'sector', c.sector, 'region', c.region_id), c.id
       FROM bench_plan p JOIN casework_case c ON c.id = p.case_id WHERE p.exempt""",
    """SELECT p.ex_at + interval '60 days', 'exemption_ended', jsonb_build_object('vrijstelling_id', v.id,
              'grounds', v.grounds, 'last_day', p.ex_last::text, 'reason', 'Bench', 'trigger', 'revoked'), c.id
       FROM bench_plan p JOIN casework_case c ON c.id = p.case_id JOIN casework_vrijstelling v ON v.case_id = c.id
       WHERE p.ends_early""",
    """SELECT p.ex_at + interval '60 days', 'registration_changed', jsonb_build_object('from', 'vrij',
              'to', CASE WHEN p.school0 IS NULL THEN 'av' ELSE 'lrv' END, 'since', (p.ex_last + 1)::text,
              'reason', 'Bench', 'trigger', 'revoked', 'school', p.school0, 'sector', c.sector,
              'region', c.region_id), c.id
       FROM bench_plan p JOIN casework_case c ON c.id = p.case_id WHERE p.ends_early""",
    # the close
    """SELECT c.closed_at, 'closed', jsonb_build_object('outcome', c.outcome), c.id
       FROM bench_plan p JOIN casework_case c ON c.id = p.case_id WHERE p.closed""",
]
STRUCTURED = "INSERT INTO casework_caseevent (at, kind, data, case_id) " + " UNION ALL ".join(EVENTS)

# The steps between, spread over the cases' lives (the kinds the period counts read, typed).
FILLER = """
INSERT INTO casework_caseevent (at, kind, data, case_id)
SELECT p.sig + ((n::bigint * 7907) %% 1000) / 1000.0 * (LEAST(p.end_at, now()) - p.sig), k.kind,
       CASE k.kind
         WHEN 'team_review' THEN jsonb_build_object('plan_id', n, 'outcome', '', 'routes',
              (ARRAY['["ect_consult"]', '["jim", "arrangement"]', '[]'])[1 + n %% 3]::jsonb)
         WHEN 'note_added' THEN jsonb_build_object('note_id', n)
         WHEN 'task_assigned' THEN jsonb_build_object('task_id', n, 'node', 'team_review', 'user_id', %(user)s,
              'previous_owner_id', NULL)
         WHEN 'deadline_met' THEN jsonb_build_object('deadline_id', n, 'deadline_kind', 'team_action_48h',
              'due_at', p.sig::text, 'late', false)
         WHEN 'deadline_breached' THEN jsonb_build_object('deadline_id', n, 'deadline_kind', 'offer_3_months',
              'due_at', p.sig::text)
         WHEN 'escalated' THEN jsonb_build_object('trigger', 'three_months')
         WHEN 'placed' THEN jsonb_build_object('by', 'team')
         ELSE jsonb_build_object('started_on', (p.sig AT TIME ZONE %(tz)s)::date::text) END,
       p.case_id
FROM generate_series(0, %(count)s - 1) AS n
JOIN bench_plan p ON p.i = n %% %(cases)s
CROSS JOIN LATERAL (SELECT (ARRAY['team_review', 'note_added', 'task_assigned', 'deadline_met', 'note_added',
                                  'team_review', 'deadline_breached', 'escalated', 'placed', 'offer_started',
                                  'task_assigned', 'note_added'])[1 + (n / 7) %% 12] AS kind) k
"""

EXEMPTIONS = """
INSERT INTO casework_vrijstelling (grounds, motivation, medical_statement, requested_at, advice, advice_motivation,
                                   alternatives, advised_at, granted, until, decision_motivation, decided_at,
                                   case_id, requested_by_id, decided_by_id, end_reason, ended_on, starts_on,
                                   recorded_with_signal)
SELECT p.grounds, 'Bench', true, p.ex_at - interval '14 days', 'positief', 'Bench', '', p.ex_at - interval '7 days',
       true, p.ex_until, 'Bench', p.ex_at, p.case_id, %(user)s, %(user)s,
       CASE WHEN p.ends_early THEN 'Bench' ELSE '' END, CASE WHEN p.ends_early THEN p.ex_last END, p.ex_from, false
FROM bench_plan p WHERE p.exempt
"""

CLOCKS = """
INSERT INTO casework_deadline (kind, sequence, due_at, warn_at, met_at, stopped_at, stop_reason, case_id)
SELECT 'offer_3_months', 1, p.sig + interval '91 days', NULL,
       CASE WHEN p.takes_part THEN p.part_at END,
       CASE WHEN p.takes_part THEN NULL WHEN p.exempt THEN p.ex_at WHEN p.closed THEN p.end_at END,
       CASE WHEN p.takes_part THEN '' WHEN p.exempt THEN 'vrijstelling' WHEN p.closed THEN 'closed' ELSE '' END,
       p.case_id
FROM bench_plan p
"""


def realistic(*, cases: int, events: int, years: int, offset_days: int = 0, schools: list[int], region: int,
              team: int, user: int, tag: str) -> tuple[int, int]:
    """`cases` cases with realistic histories and `events` events in all, signalled over `years`
    years up to `offset_days` ago; returns (first case id, last case id)."""
    from django.utils import timezone  # noqa: PLC0415 (the bench sets Django up before it imports this)

    params = {"count": cases, "days": 365 * years, "offset": offset_days, "schools": schools, "nschools": len(schools),
              "tz": timezone.get_current_timezone_name(), "tag": tag, "region": region, "team": team, "user": user}
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_plan")
        cursor.execute(PLAN, params)
        cursor.execute("ALTER TABLE bench_plan ADD COLUMN case_id bigint")
        cursor.execute(CASES, params)
        cursor.execute(
            """UPDATE bench_plan p SET case_id = c.id FROM casework_case c JOIN casework_child k ON k.id = c.child_id
               WHERE k.family_name = %(tag)s || '-' || p.i""", params)
        cursor.execute("CREATE INDEX ON bench_plan (i)")
        cursor.execute("ANALYZE bench_plan")
        cursor.execute(EXEMPTIONS, params)
        cursor.execute(CLOCKS, params)
        cursor.execute(STRUCTURED, params)
        cursor.execute("SELECT count(*) FROM casework_caseevent e JOIN bench_plan p ON p.case_id = e.case_id")
        written = cursor.fetchone()[0]
        cursor.execute(FILLER, {**params, "count": max(0, events - written), "cases": cases})
        cursor.execute("SELECT min(case_id), max(case_id) FROM bench_plan")
        first, last = cursor.fetchone()
        cursor.execute("DROP TABLE bench_plan")
    return first, last
