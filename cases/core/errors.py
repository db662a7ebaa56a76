"""Domain errors. Each carries a message a clerk can act on, in the user's language.

One exception handler (API) and one form helper (web) turn them into a 4xx answer.
"""

from __future__ import annotations

from typing import Any


class CaseError(Exception):
    code = "case_error"
    http_status = 409

    def __init__(
        self, message: Any, *, rule: str = "", fields: dict[str, list[Any]] | None = None
    ) -> None:
        super().__init__(str(message))
        self.message = message
        self.rule = rule
        self.fields = fields or {}

    def __str__(self) -> str:
        text = str(self.message)
        return f"{text} ({self.rule})" if self.rule and self.rule not in text else text


class InvalidInput(CaseError):
    code = "invalid"
    http_status = 400


class NotFound(CaseError):
    code = "not_found"
    http_status = 404


class ActionForbidden(CaseError):
    code = "forbidden"
    http_status = 403


class TransitionNotAllowed(CaseError):
    code = "transition_not_allowed"
    http_status = 409


class StepMovedOn(TransitionNotAllowed):
    code = "step_moved_on"


class RuleViolation(CaseError):
    """A regulation forbids what was asked; ``rule`` is the stable ID."""

    code = "rule_violation"
    http_status = 409
