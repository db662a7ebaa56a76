"""The API's closed sets that are not model choices, each a named enum in the schema
(settings.SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]).

A value outside the set is refused with 400 where it is input, and a client generated
from the schema can switch over it where it is output. Adding a value is a change of
the contract: bump the schema's version (docs/api-contract.md).
"""

from __future__ import annotations

from cases.models import CaseOutcome, DocumentKind
from cases.workflow import engine as workflow

ATTACHABLE_KINDS = [
    (value, label)
    for value, label in DocumentKind.choices
    if value not in (DocumentKind.DECISION, DocumentKind.VOTE_TALLY, DocumentKind.REMINDER_NOTICE)
]

ACTION_NAMES = list(workflow.SPECS)
# The actions whose form carries a file (the multipart body of the actions endpoint).
FILE_ACTIONS = [name for name, spec in workflow.SPECS.items() if "file" in spec.fields]
ACTION_FIELD_KINDS = ["string", "text", "date", "integer", "file", "choice", "user"]

# The stable codes of the regulations in the catalog (fixtures/catalog/).
REGIMES = ["R260", "R41", "R377"]

# How a step ended (``CaseStep.outcome``); empty while it is open.
STEP_OUTCOMES = ["done", *CaseOutcome.values]

# ``CaseEvent.action``: the engine's actions and the events the system writes itself.
SYSTEM_EVENT_ACTIONS = [
    "case_filed",
    "case_imported",
    "authority_delegated",
    "step_escalated",
    "document_issued",
    "document_reissued",
]
EVENT_ACTIONS = [*ACTION_NAMES, *SYSTEM_EVENT_ACTIONS]

# Every ``Error.code`` the server sends (tests/test_api_schema.py collects them from the
# code and checks this list holds them all).
ERROR_CODES = [
    # Input and domain errors (cases.core.errors and its subclasses).
    "invalid",
    "import_rejected",
    "invalid_credentials",
    "locked_out",
    "case_error",
    "transition_not_allowed",
    "step_moved_on",
    "rule_violation",
    # Authentication and access.
    "not_authenticated",
    "authentication_failed",
    "forbidden",
    "csrf_failed",
    "second_factor_required",
    "not_found",
    # Protocol.
    "method_not_allowed",
    "not_acceptable",
    "unsupported_media_type",
    "parse_error",
    "throttled",
]
