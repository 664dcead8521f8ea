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
