"""Template helpers of the web interface: navigation roles, unread count, labels."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cases.models import CaseOutcome
from cases.notifications import notices
from cases.web.common import roles_for, state_label

register = template.Library()


@register.simple_tag
def user_roles(user: Any) -> frozenset[str]:
    return roles_for(user)


@register.simple_tag
def unread_count(user: Any) -> int:
    return notices.unread_count(user)


@register.filter
def state(value: str) -> str:
    return state_label(value)


@register.filter
def outcome_label(value: str) -> str:
    try:
        return str(CaseOutcome(value).label)
    except ValueError:
        return value


@register.filter
def days_left_text(days: int | None) -> str:
    if days is None:
        return "—"
    if days < 0:
        return ngettext("%(n)s day overdue", "%(n)s days overdue", -days) % {"n": -days}
    if days == 0:
        return _("due today")
    return ngettext("%(n)s day left", "%(n)s days left", days) % {"n": days}


@register.filter
def person(user: Any) -> str:
    if user is None:
        return ""
    return str(user.get_full_name() or user.get_username())


@register.filter
def filesize(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1048576:
        return f"{size / 1024:.0f} KB"
    return f"{size / 1048576:.1f} MB"


@register.filter
def short_hash(value: str) -> str:
    return value[:12] if value else ""
