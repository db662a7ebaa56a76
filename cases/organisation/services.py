"""Use cases of the organisation register: units, posts and officials.

Administrators change everything; a clerk creates and edits the posts and officials of
the units in their scope (their unit and every unit below it). Everyone else only reads
(``selectors.units_visible_to`` and friends). Views and the API call these functions.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from cases.core.errors import ActionForbidden, InvalidInput, RuleViolation
from cases.core.types import AnyUser
from cases.models import Appointment, Case, Official, OrgUnit, Position, Role
from cases.organisation.selectors import acting_units, is_admin

UNIT_FIELDS = (
    "code",
    "name",
    "kind",
    "level",
    "valid_from",
    "valid_to",
    "successor",
    "place",
    "symbol",
    "superior_name",
    "collective_name",
    "head_title",
    "members_count",
)
POSITION_FIELDS = ("title", "unit", "appointing_unit", "is_leadership")
OFFICIAL_FIELDS = ("full_name", "honorific", "date_of_birth", "personnel_number")


def _clerk_units(user: AnyUser) -> list[OrgUnit]:
    return list(OrgUnit.objects.filter(pk__in=acting_units(user, Role.CLERK)))


def may_edit_unit(user: AnyUser, unit: OrgUnit) -> bool:
    """Whether ``user`` may create or edit posts and officials of ``unit``."""
    if is_admin(user):
        return True
    return any(unit.is_within(top) for top in _clerk_units(user))


def may_edit_register(user: AnyUser) -> bool:
    """Whether ``user`` may edit any post or official at all (clerks and administrators)."""
    return is_admin(user) or bool(acting_units(user, Role.CLERK))


def _require_admin(user: AnyUser) -> None:
    if not is_admin(user):
        raise ActionForbidden(_("Only administrators change the organisation units."))


def _require_clerk_of(user: AnyUser, unit: OrgUnit) -> None:
    if not may_edit_register(user):
        raise ActionForbidden(_("Only clerks and administrators change posts and officials."))
    if not may_edit_unit(user, unit):
        raise ActionForbidden(
            _(
                "You can only change posts and officials of the units in your scope; %(unit)s is not one of them."
            )
            % {"unit": unit.name}
        )


def _check_unit_dates(valid_from: datetime.date, valid_to: datetime.date | None) -> None:
    if valid_to is not None and valid_to < valid_from:
        raise InvalidInput(
            _("The unit's end date is before its start date."),
            fields={"valid_to": [_("Before the start date.")]},
        )


def _check_code_free(code: str, *, exclude: int | None = None) -> None:
    taken = OrgUnit.objects.filter(code=code)
    if exclude is not None:
        taken = taken.exclude(pk=exclude)
    if taken.exists():
        raise InvalidInput(
            _("Another unit already has the code %(code)s.") % {"code": code},
            fields={"code": [_("This code is already used.")]},
        )


def create_org_unit(*, by: AnyUser, parent: OrgUnit | None, **fields: Any) -> OrgUnit:
    """Add a unit under ``parent`` (administrators only)."""
    _require_admin(by)
    values = {k: v for k, v in fields.items() if k in UNIT_FIELDS}
    # The materialised path ("/1/4/9/") must still fit its column with one more id.
    if parent is not None and len(parent.path) + 21 > (
        OrgUnit._meta.get_field("path").max_length or 0
    ):
        raise InvalidInput(
            _("The organisation tree is too deep below this unit."),
            fields={"parent": [_("Choose a unit higher up.")]},
        )
    _check_code_free(values["code"])
    _check_unit_dates(values.get("valid_from") or datetime.date(1945, 9, 2), values.get("valid_to"))
    with transaction.atomic():
        unit = OrgUnit(parent=parent, **values)
        unit.save()
    return unit


def update_org_unit(*, by: AnyUser, unit: OrgUnit, **changes: Any) -> OrgUnit:
    """Edit a unit's attributes (administrators only). Its place in the tree does not move:
    the subtree paths and the cases filed against it depend on it."""
    _require_admin(by)
    values = {k: v for k, v in changes.items() if k in UNIT_FIELDS}
    if "code" in values:
        _check_code_free(values["code"], exclude=unit.pk)
    _check_unit_dates(
        values.get("valid_from", unit.valid_from), values.get("valid_to", unit.valid_to)
    )
    if values.get("successor") is not None and values["successor"].pk == unit.pk:
        raise InvalidInput(
            _("A unit cannot be its own successor."),
            fields={"successor": [_("Choose another unit.")]},
        )
    with transaction.atomic():
        for key, value in values.items():
            setattr(unit, key, value)
        unit.save()
    return unit


def _check_appointing(unit: OrgUnit, appointing_unit: OrgUnit) -> None:
    # R41-A-1/2: the post's own body or a higher level appoints to it.
    if not unit.is_within(appointing_unit):
        raise InvalidInput(
            _("The appointing unit must be the post's own unit or a unit above it."),
            fields={"appointing_unit": [_("Choose the post's unit or a unit above it.")]},
        )


def create_position(
    *, by: AnyUser, title: str, unit: OrgUnit, appointing_unit: OrgUnit, is_leadership: bool = True
) -> Position:
    """Add a post to a unit in the clerk's scope."""
    _require_clerk_of(by, unit)
    _check_appointing(unit, appointing_unit)
    return Position.objects.create(
        title=title.strip(), unit=unit, appointing_unit=appointing_unit, is_leadership=is_leadership
    )


def update_position(*, by: AnyUser, position: Position, **changes: Any) -> Position:
    """Edit a post of the clerk's scope; a post with cases keeps its units (they are pinned)."""
    _require_clerk_of(by, position.unit)
    values = {k: v for k, v in changes.items() if k in POSITION_FIELDS}
    unit = values.get("unit", position.unit)
    appointing = values.get("appointing_unit", position.appointing_unit)
    if unit.pk != position.unit_id:
        _require_clerk_of(by, unit)
    _check_appointing(unit, appointing)
    moved = unit.pk != position.unit_id or appointing.pk != position.appointing_unit_id
    with transaction.atomic():
        position = Position.objects.select_for_update().get(pk=position.pk)
        if moved and Case.objects.filter(position=position).exists():
            raise RuleViolation(
                _(
                    "Cases have been filed for this post, so its unit and appointing unit can no longer change; create a new post instead."
                ),
                rule="ORG-1",
                fields={"unit": [_("The post has cases.")]},
            )
        for key, value in values.items():
            setattr(position, key, value.strip() if key == "title" else value)
        position.save()
    return position


def _check_personnel_number(number: str, *, exclude: int | None = None) -> None:
    taken = Official.objects.filter(personnel_number=number)
    if exclude is not None:
        taken = taken.exclude(pk=exclude)
    if taken.exists():
        raise InvalidInput(
            _("Another official already has the personnel number %(number)s.") % {"number": number},
            fields={"personnel_number": [_("This personnel number is already used.")]},
        )


def create_official(
    *,
    by: AnyUser,
    full_name: str,
    honorific: str,
    personnel_number: str,
    position: Position,
    term_start: datetime.date,
    date_of_birth: datetime.date | None = None,
    term_end: datetime.date | None = None,
) -> Official:
    """Register an official with the post they hold (which places them in a unit's scope)."""
    _require_clerk_of(by, position.unit)
    _check_personnel_number(personnel_number)
    if term_end is not None and term_end < term_start:
        raise InvalidInput(
            _("The term ends before it starts."),
            fields={"term_end": [_("Before the start of the term.")]},
        )
    with transaction.atomic():
        Position.objects.select_for_update().filter(pk=position.pk).first()
        holder = (
            Appointment.objects.filter(position=position, ended_on__isnull=True)
            .select_related("official")
            .first()
        )
        if holder is not None:
            raise InvalidInput(
                _("%(official)s currently holds this post; end that appointment first.")
                % {"official": holder.official},
                fields={"position": [_("The post is held by someone else.")]},
            )
        official = Official.objects.create(
            full_name=full_name.strip(),
            honorific=honorific,
            personnel_number=personnel_number.strip(),
            date_of_birth=date_of_birth,
        )
        Appointment.objects.create(
            official=official, position=position, term_start=term_start, term_end=term_end
        )
    return official


def update_official(*, by: AnyUser, official: Official, **changes: Any) -> Official:
    """Edit an official's identity; allowed to clerks of a unit where they hold or held a post."""
    posts = [a.position.unit for a in official.appointments.select_related("position__unit")]
    if not is_admin(by):
        if not may_edit_register(by):
            raise ActionForbidden(_("Only clerks and administrators change posts and officials."))
        if not any(may_edit_unit(by, unit) for unit in posts):
            raise ActionForbidden(_("You can only change officials who hold a post in your scope."))
    values = {k: v for k, v in changes.items() if k in OFFICIAL_FIELDS}
    if "personnel_number" in values:
        values["personnel_number"] = values["personnel_number"].strip()
        _check_personnel_number(values["personnel_number"], exclude=official.pk)
    if "full_name" in values:
        values["full_name"] = values["full_name"].strip()
    with transaction.atomic():
        for key, value in values.items():
            setattr(official, key, value)
        official.save()
    return official
