"""Units that no longer exist (the 2025 reform, docs/domain.md, levels) and who takes over."""

from __future__ import annotations

import datetime

from cases.core.types import AnyUser
from cases.models import OrgUnit, Role
from cases.organisation.selectors import acting_units


def is_abolished(unit: OrgUnit, on: datetime.date) -> bool:
    return not unit.is_valid_on(on)


def takeover_units(unit: OrgUnit, on: datetime.date) -> list[OrgUnit]:
    """Who may take over work waiting at an abolished unit: its successor that exists on
    ``on`` (following the successor links), and its nearest existing superior."""
    found: list[OrgUnit] = []
    seen = {unit.pk}
    nxt = unit.successor
    while nxt is not None and nxt.pk not in seen:
        seen.add(nxt.pk)
        if nxt.is_valid_on(on):
            found.append(nxt)
            break
        nxt = nxt.successor
    for ancestor in reversed(unit.ancestors()):
        if ancestor.is_valid_on(on):
            if ancestor not in found:
                found.append(ancestor)
            break
    return found


def units_user_may_take_over_to(user: AnyUser, unit: OrgUnit, on: datetime.date) -> list[OrgUnit]:
    mine = set(acting_units(user, Role.CLERK, on=on))
    return [u for u in takeover_units(unit, on) if u.pk in mine]
