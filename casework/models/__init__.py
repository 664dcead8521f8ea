"""The case domain: the child, the case with its legal status, its history and who reads it.

One module per sub-domain; every model is importable from `casework.models` as before (the
migrations refer to `casework.models.document_storage` and `casework.models.document_path`).
Writes happen only in `casework.services`; these modules hold structure and the state machine's
transitions (which services call), nothing else.
"""

from .audit import AccessLog, AppendOnlyError, AppendOnlyModel, AppendOnlyQuerySet
from .casefile import Document, Note, document_path, document_storage
from .cases import Case, CaseParticipant, Child
from .clocks import Deadline
from .history import CaseEvent
from .idempotency import IdempotentRequest
from .participation import AccessLink, Consent, PublicSignal
from .privacy import DataBreach, LogReading, RetentionLogEntry
from .rollup import MonitorSpell, MonitorTally, spell_until
from .steps import (
    Arrangement,
    ArrangementEvaluation,
    EctAdvice,
    Mentor,
    Offer,
    PlacementDecision,
    Plan,
    Provision,
    Route,
    RouteRun,
    Thuiswerkplan,
    Vrijstelling,
)
from .survey import SurveyAudience, SurveyInvitation, SurveyResponse

__all__ = [
    "AccessLink",
    "AccessLog",
    "AppendOnlyError",
    "AppendOnlyModel",
    "AppendOnlyQuerySet",
    "Arrangement",
    "ArrangementEvaluation",
    "Case",
    "CaseEvent",
    "CaseParticipant",
    "MonitorSpell",
    "MonitorTally",
    "Child",
    "Consent",
    "DataBreach",
    "Deadline",
    "Document",
    "EctAdvice",
    "IdempotentRequest",
    "LogReading",
    "Mentor",
    "Note",
    "Offer",
    "PlacementDecision",
    "Plan",
    "Provision",
    "PublicSignal",
    "RetentionLogEntry",
    "Route",
    "RouteRun",
    "Thuiswerkplan",
    "SurveyAudience",
    "SurveyInvitation",
    "SurveyResponse",
    "Vrijstelling",
    "document_path",
    "document_storage",
    "spell_until",
]
