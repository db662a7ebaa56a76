"""Helpers shared by the web views: roles, scope-checked getters, engine errors on forms."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.core.errors import CaseError, NotFound
from cases.models import Case, CaseStatus, Role
from cases.organisation import selectors

OFFICIAL = "official"
CLERK = Role.CLERK.value
AUTHORITY = Role.AUTHORITY.value
AUDITOR = Role.AUDITOR.value
ADMIN = Role.ADMIN.value
STAFF = frozenset({CLERK, AUTHORITY, AUDITOR, ADMIN})

ViewFunc = Callable[..., HttpResponse]


def roles_for(user: Any) -> frozenset[str]:
    """The user's roles today; a deputy under a delegation counts as an authority."""
    if not user.is_authenticated:
        return frozenset()
    cached = getattr(user, "_web_roles", None)
    if cached is None:
        roles = set(selectors.roles_of(user))
        if selectors.acting_units(user, Role.AUTHORITY):
            roles.add(AUTHORITY)
        cached = frozenset(str(r) for r in roles)
        user._web_roles = cached
    return cached


def is_read_only(user: Any) -> bool:
    """Auditors change nothing: a user whose only role is auditor may not POST changes."""
    roles = roles_for(user)
    return AUDITOR in roles and not (roles - {AUDITOR})


def role_required(*roles: str, allow_post: bool = True) -> Callable[[ViewFunc], ViewFunc]:
    """Login first (anonymous users go to the sign-in page), then one of ``roles`` (403)."""
    wanted = frozenset(roles) | {ADMIN}

    def decorator(view: ViewFunc) -> ViewFunc:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not roles_for(request.user) & wanted:
                raise PermissionDenied(_("Your role does not give access to this page."))
            if request.method == "POST" and (not allow_post or is_read_only(request.user)):
                raise PermissionDenied(_("Auditors have read-only access: nothing can be changed."))
            return view(request, *args, **kwargs)

        return login_required(wrapped)

    return decorator


def signed_in(view: ViewFunc) -> ViewFunc:
    """Any signed-in user; auditors may still not POST changes through it."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method == "POST" and is_read_only(request.user):
            raise PermissionDenied(_("Auditors have read-only access: nothing can be changed."))
        return view(request, *args, **kwargs)

    return login_required(wrapped)


def case_or_404(request: HttpRequest, pk: int | str) -> Case:
    """The case if it is in the user's scope; a 404 otherwise, so existence does not leak."""
    try:
        return selectors.get_case_for_user(request.user, pk)
    except NotFound as exc:
        raise Http404(_("Case not found.")) from exc


def apply_case_error(form: forms.Form, exc: CaseError) -> None:
    """Show an engine refusal on the form: field messages on their fields, the rest on top."""
    for name, messages in exc.fields.items():
        target = name if name in form.fields else None
        for message in messages:
            form.add_error(target, str(message))
    text = str(exc.message)
    if exc.rule and exc.rule not in text:
        text = f"{text} ({exc.rule})"
    form.add_error(None, text)


def posted(request: HttpRequest) -> tuple[Any, Any]:
    """The form data and files of a POST, else (None, None) for an unbound form.

    Not ``request.POST or None``: a POST whose fields are all missing (only a file, or
    nothing) is an empty QueryDict, and would leave the form unbound — no error shown,
    and for an import the file would go unchecked.
    """
    if request.method == "POST":
        return request.POST, request.FILES
    return None, None


def local_today() -> datetime.date:
    return timezone.localdate()


def state_label(state: str) -> str:
    """``open:R377-S-1`` → "In progress · R377-S-1"; ``closed:withdrawn`` → "Closed · Withdrawn"."""
    from cases.models import CaseOutcome

    if not state:
        return ""
    status, _sep, rest = state.partition(":")
    try:
        status_text = str(CaseStatus(status).label)
    except ValueError:
        status_text = status
    if status == CaseStatus.CLOSED and rest:
        try:
            rest = str(CaseOutcome(rest).label)
        except ValueError:
            pass
    return f"{status_text} · {rest}" if rest else status_text


EVENT_LABELS: dict[str, Any] = {
    "case_filed": _("Case filed"),
    "case_imported": _("Imported from a historic file"),
    "attach_document": _("Document attached"),
    "record_talk": _("Talk with the official recorded"),
    "record_vote": _("Collective vote recorded"),
    "complete_step": _("Step completed"),
    "approve": _("Approved: decision recorded"),
    "reject": _("Rejected"),
    "extend_deadline": _("Time limit extended"),
    "withdraw": _("Application withdrawn"),
    "complete_implementation": _("Implementation recorded, case closed"),
    "reassign": _("Step reassigned"),
    "take_over": _("Step taken over from an abolished unit"),
    "authority_delegated": _("Decisions delegated to a deputy"),
    "decision_document_issued": _("Decision document issued"),
    "document_generated": _("Document generated"),
    "reminder_sent": _("Reminder sent"),
    "step_escalated": _("Overdue step escalated"),
}


def event_label(action: str) -> str:
    label = EVENT_LABELS.get(action)
    return str(label) if label is not None else action
