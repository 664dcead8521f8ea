"""The only write path for cases, one module per topic; each public function is one transaction
that writes its CaseEvents and publishes after commit. Callers import from here:

    from casework import services
    services.signal_case(actor=..., data=...)

intake (signals), steps (the tasks' steps), placement (the ladder's decisions, arrangements,
start confirmation), stagnation (the ladder climbing by itself where people stop), registration
(the dated registration and taking part), ladder (shared
case mechanics), sweeper (acts on due clocks), casefile, participation, privacy, retention."""

from casework.clocks import add_years, age_on  # noqa: F401, E402 (the age rules, as before)
from casework.services import casefile, participation, privacy, retention  # noqa: F401, E402
from casework.services.intake import (  # noqa: F401 (re-exported)
    DuplicateSignal,
    SignalInput,
    ensure_can_signal,
    signal_case,
    validate_signal,
)
from casework.services.ladder import (  # noqa: F401 (re-exported)
    after_exemption,
    change_registration_to,
    end_route,
    escalate,
    join,
    join_directors,
    join_user,
    locked,
    pending_offer,
    place,
    raise_if,
    record_offer,
    record_registration,
    require,
    route_of,
    route_teams,
    running_exemption,
    running_routes,
    start_date_window,
    step_of,
    unavailable_routes,
)
from casework.services.moves import enrol, hand_over, set_participation  # noqa: F401 (re-exported)
from casework.services.placement import (  # noqa: F401 (re-exported)
    active_arrangement,
    advise_doe,
    confirm_start,
    decide_as_director,
    decide_doorbraak,
    evaluate_arrangement,
    set_up_arrangement,
    start_defaults,
)
from casework.services.registration import (  # noqa: F401 (re-exported)
    REGISTRATION_CHANGES,
    change_registration,
    record_participation,
    record_startkwalificatie,
    revoke_vrijstelling,
)
from casework.services.stagnation import (  # noqa: F401 (re-exported)
    STALLING_STEPS,
    escalate_stagnatie,
    mbo_escalation_days,
    record_stagnatie,
    record_stall,
    stall_days,
)
from casework.services.steps import (  # noqa: F401 (re-exported)
    advise_vrijstelling,
    assign_mentor,
    decide_vrijstelling,
    draft_ect_advice,
    ensure_four_eyes,
    open_vrijstelling,
    pending_ect_advice,
    record_case_review,
    record_meeting_action,
    record_meeting_action_done,
    record_meeting_flag,
    record_task_distribution,
    record_team_review,
    rejected_ect_advice,
    request_vrijstelling,
    review_ect_advice,
    team_question,
)
from casework.services.sweeper import (  # noqa: F401 (re-exported)
    SWEEP_LIMIT,
    SweepResult,
    act_on_overdue,
    compact_tallies,
    end_exemption,
    end_leerplicht,
    escalate_for_breach,
    involve_ect_for_breach,
    mark_lrv,
    review_sick_pupil,
    sweep_due,
)
