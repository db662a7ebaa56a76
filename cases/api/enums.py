"""The API's closed sets that are not model choices, each a named enum in the schema
(settings.SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]).

A value outside the set is refused with 400 where it is input, and a client generated
from the schema can switch over it where it is output. Adding a value is a change of
the contract: bump the schema's version (docs/api-contract.md).
"""

from __future__ import annotations

import json

from cases.audit.events import EventType
from cases.catalog.loader import CATALOG_DIR
from cases.models import StepOutcome
from cases.workflow import engine as workflow

# The one attachable-kinds rule of the engine (workflow.attachable_kinds).
ATTACHABLE_KINDS = [(kind.value, kind.label) for kind in workflow.attachable_kinds()]

ACTION_NAMES = list(workflow.SPECS)
# The actions whose form carries a file (the multipart body of the actions endpoint).
FILE_ACTIONS = [name for name, spec in workflow.SPECS.items() if "file" in spec.fields]
ACTION_FIELD_KINDS = ["string", "text", "date", "integer", "file", "choice", "user"]


def _catalog_codes() -> list[str]:
    manifest = json.loads((CATALOG_DIR / "catalog.json").read_text(encoding="utf-8"))
    return [
        json.loads((CATALOG_DIR / name).read_text(encoding="utf-8"))["code"]
        for name in manifest["regulations"]
    ]


# The stable codes of the regulations in the catalog (fixtures/catalog/), Party and State.
REGIMES = _catalog_codes()

# How a step ended (``CaseStep.outcome``); empty while it is open.
STEP_OUTCOMES = list(StepOutcome.values)

# ``CaseEvent.action``: every event type (the engine's actions and the system's events).
EVENT_ACTIONS = list(EventType.values)

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
    "bad_request",
    # Protocol errors gunicorn answers itself, before Django sees the request
    # (cadre_exit/gunicorn_conf.py), with "error" for a status it has no code for.
    "request_line_too_long",
    "headers_too_large",
    "expectation_failed",
    "not_implemented",
    "error",
    # The server and its database (cases.api.exceptions: handler500, the API middleware).
    "server_error",
    "database_unavailable",
    # Signing (cases.documents.signing): the HSM or a key is not available for a re-issue.
    "signing_unavailable",
]
