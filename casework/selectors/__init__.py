"""Read path, one module per topic: querysets already limited to what the user may see and
shaped for their page (cases), and what a case's steps and the flows read (steps). Callers
import from here:

    from casework import selectors
    selectors.visible_cases(user)
"""

from casework.selectors.cases import (  # noqa: F401 (re-exported)
    case_file,
    case_participants,
    coordinated_clocks,
    mentor_page,
    mentorships_of,
    schools_for_signal,
    signalled_case,
    signaller_contact,
    visible_cases,
    with_timeline,
)
from casework.selectors.steps import (  # noqa: F401 (re-exported)
    active_arrangement,
    mbo_escalation_days,
    open_vrijstelling,
    pending_ect_advice,
    pending_offer,
    rejected_ect_advice,
    route_of,
    running_exemption,
    running_routes,
    stall_days,
    start_date_window,
    start_defaults,
    team_question,
    unavailable_routes,
)
