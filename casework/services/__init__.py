"""The only write path for cases, one module per topic; each public function is a command: one
transaction that writes its CaseEvents and publishes after commit. What they read first is in
`casework.selectors`. Callers (the faces, the flows, the management commands) import from here:

    from casework import services
    services.signal_case(actor=..., data=...)

intake (signals), steps (the tasks' steps), placement (the ladder's decisions, arrangements,
start confirmation), stagnation (the ladder climbing by itself where people stop), registration
(the dated registration and taking part), thuiswerk (the thuiswerkplan), ladder (shared case mechanics, used inside the
package), moves, sweeper (acts on due clocks), casefile, participation, privacy, retention.
This module exports what is called from outside the package, nothing else."""

from casework.services import casefile, participation, privacy, retention, survey  # noqa: F401
from casework.services.intake import DuplicateSignal, SignalInput, signal_case  # noqa: F401 (re-exported)
from casework.services.placement import (  # noqa: F401 (re-exported)
    advise_doe,
    confirm_start,
    decide_as_director,
    decide_doorbraak,
    evaluate_arrangement,
    set_up_arrangement,
)
from casework.services.registration import (  # noqa: F401 (re-exported)
    change_registration,
    record_participation,
    record_startkwalificatie,
    revoke_vrijstelling,
)
from casework.services.stagnation import escalate_stagnatie, record_stagnatie, record_stall  # noqa: F401
from casework.services.steps import (  # noqa: F401 (re-exported)
    advise_vrijstelling,
    assign_mentor,
    decide_vrijstelling,
    draft_ect_advice,
    record_case_review,
    record_meeting_action,
    record_meeting_action_done,
    record_meeting_flag,
    record_task_distribution,
    record_team_review,
    request_vrijstelling,
    review_ect_advice,
)
from casework.services.sweeper import compact_tallies, sweep_due  # noqa: F401 (re-exported)
from casework.services.thuiswerk import record_thuiswerkplan  # noqa: F401 (re-exported)
