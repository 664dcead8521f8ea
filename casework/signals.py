"""Signals the core sends so that outer layers (the flows) can react without the core
importing them."""

from django.dispatch import Signal

# Sent inside the transaction that opened a case (kwargs: case, actor). The flow starts here,
# so that a case never exists without its process.
case_opened = Signal()

# Sent inside the transaction that put a case on the escalation ladder without a team review
# (a breached three-month clock; kwargs: case). The escalation flow starts here, atomically
# with the breach, so that an escalated case always has its escalation process.
escalation_needed = Signal()

# Sent inside the transaction of a clock that needs the case team to look at the case again
# (an exemption ended, the yearly 18th birthday, the cyclical review of a pupil reported sick, an
# offered place that did not start without a team review to come back to); kwargs: case, reason.
# The flows give the case team a `case_review` task.
review_needed = Signal()

# Sent inside the transaction in which a clock involved the ECT for a consult outside the team's
# review (three months passed for a pupil reported sick); kwargs: case. The flows start the
# ECT consult (ect_draft -> ect_approve) as its own process.
consult_needed = Signal()

# Sent inside the intake's transaction when a case was signalled with a 5a exemption that waits
# for the SWV's advice (kwargs: case). The flows start the advice step (vrijstelling_advice: the
# ECT, for MBO the institution's team) as its own process.
exemption_advice_needed = Signal()

# Sent inside the sweeper's transaction when an offered place's start date has come (kwargs: case,
# offer_id): the flow waiting for it offers the case team the start confirmation.
offer_start_due = Signal()

# Sent inside the transaction in which a case was handed over to the team of the school the pupil
# is now enrolled at (kwargs: case, from_team_ids: the teams that held the case or its school
# before). The flows move the open tasks of those teams' queues that the new team now holds.
case_handed_over = Signal()

# Sent inside the transaction that closed a case (kwargs: case, outcome). The flows end the work
# a clock started beside the case's own flow (a periodic review, a consult) that has no point
# once the case is closed.
case_closed = Signal()
