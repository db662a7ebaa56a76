"""Template helpers of the web interface: navigation roles, unread count, labels."""

from __future__ import annotations

import datetime
import re
from functools import cache
from typing import Any

from django import template
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cases.models import CaseOutcome
from cases.notifications import notices
from cases.web.common import actor_label, roles_for, state_label

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


# The due-date rule is stored as text in the language of whoever started the step; these
# are its shapes (the msgids of workflow.deadlines and workflow.handlers), re-read here
# and shown again in the reader's language.
DUE_RULE_SHAPES = (
    "%(code)s: %(days)s working days after %(start)s",
    "%(code)s: %(days)s calendar days after %(start)s",
    "%(code)s extended from %(old)s to %(new)s (ceiling %(days)s working days)",
    "Internal target: %(days)s working days after %(start)s",
)


@cache
def _due_rule_patterns(shape: str) -> tuple[re.Pattern[str], ...]:
    patterns = []
    for lang in ("en", "vi"):
        with translation.override(lang):
            text = translation.gettext(shape)
        parts = re.split(r"%\((\w+)\)s", text)
        regex = "".join(
            re.escape(part) if i % 2 == 0 else f"(?P<{part}>.+?)" for i, part in enumerate(parts)
        )
        patterns.append(re.compile(f"^{regex}$"))
    return tuple(patterns)


@register.filter
def due_rule_text(value: str) -> str:
    """A stored due-date rule in the reader's language (unknown shapes unchanged)."""
    text = (value or "").strip()
    for shape in DUE_RULE_SHAPES:
        for pattern in _due_rule_patterns(shape):
            match = pattern.match(text)
            if match:
                return _(shape) % match.groupdict()
    return text


@register.filter
def iso_time(value: datetime.datetime | None) -> str:
    """A ``<time datetime>`` value: local time to the second, with its offset."""
    if value is None:
        return ""
    return timezone.localtime(value).replace(microsecond=0).isoformat()


@register.filter
def actor(name: str) -> str:
    return actor_label(name)
