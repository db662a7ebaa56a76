"""Collective bodies and their dated rosters, kept by the unit's clerks (docs/collectives.md).

Every roster change is an event in the body's own hash-chained history (MDL-COL-2:
who, when, the deciding document and the reason). A vote reads the roster on the
meeting date through ``size_on``; nobody types the number of members.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.core.errors import ActionForbidden, InvalidInput, NotFound
from cases.core.types import AnyUser
from cases.models import (
    GENESIS_HASH,
    PARTY_BODY_TYPES,
    BodyType,
    CollectiveBody,
    CollectiveEvent,
    Official,
    OrgUnit,
    Role,
    RosterMember,
    StepTemplate,
    UnitKind,
    VoteCollective,
    VoteRequiredWhen,
)
from cases.organisation.selectors import acting_units, is_admin, units_visible_to
from cases.refdata.rawsql import columns

_BODY = columns(CollectiveBody)


def collectives_visible_to(user: AnyUser) -> QuerySet[CollectiveBody]:
    return CollectiveBody.objects.filter(unit__in=units_visible_to(user)).select_related("unit")


def bodies_of(unit: OrgUnit, on: datetime.date) -> list[CollectiveBody]:
    """The unit's bodies valid on ``on`` (MDL-COL-1), each with its roster's size on ``on``.

    Plain SQL (issue 18: every vote asks it): one statement for the bodies and the sizes
    of their rosters (MDL-COL-2, what ``roster_size_on`` then answers without a query);
    each body is given ``unit``, as the ORM's ``unit.collectives`` would.
    """
    day = connection.ops.adapt_datefield_value(on)
    with connection.cursor() as cursor:
        cursor.execute(_bodies_statement(), [day, day, unit.pk, day, day])
        rows = cursor.fetchall()
    bodies = []
    for row in rows:
        body = _BODY.build(connection, row)
        body.unit = unit
        body._roster_size_on = (on, int(row[_BODY.width]))  # type: ignore[attr-defined]  # read with the body, for roster_size_on
        bodies.append(body)
    return bodies


def _roster_where(qn: Callable[[str], str], table: str) -> str:
    """The members of a roster on a day (two parameters), as ``CollectiveBody.roster_on``."""
    return (
        f"{table}.{qn('valid_from')} <= %s "
        f"AND ({table}.{qn('valid_to')} IS NULL OR {table}.{qn('valid_to')} >= %s)"
    )


def _bodies_statement() -> str:
    qn = connection.ops.quote_name
    body, member = qn(CollectiveBody._meta.db_table), qn(RosterMember._meta.db_table)
    return (
        f"SELECT {_BODY.select(connection)}, (SELECT COUNT(*) FROM {member} "
        f"WHERE {member}.{qn('body_id')} = {body}.{qn('id')} AND {_roster_where(qn, member)}) "
        f"FROM {body} WHERE {body}.{qn('unit_id')} = %s AND {_roster_where(qn, body)} "
        f"ORDER BY {body}.{qn('body_type')}, {body}.{qn('id')}"
    )


def roster_size_on(body: CollectiveBody, on: datetime.date) -> int:
    """MDL-COL-2: ``body.size_on(on)``, the number of members on the roster on ``on``;
    no query for a body read by ``bodies_of`` for that day."""
    known = getattr(body, "_roster_size_on", None)
    if known is not None and known[0] == on:
        return int(known[1])
    return body.size_on(on)


def may_keep_roster(user: AnyUser, unit: OrgUnit) -> bool:
    """The unit's clerks and the administrators keep its bodies' rosters."""
    return is_admin(user) or unit.pk in acting_units(user, Role.CLERK)


def get_collective_for_user(user: AnyUser, pk: int | str) -> CollectiveBody:
    try:
        return collectives_visible_to(user).get(pk=int(pk))
    except (CollectiveBody.DoesNotExist, TypeError, ValueError) as exc:
        raise NotFound(_("Collective body not found.")) from exc


# --- the step's vote (MDL-COL-7) -------------------------------------------------------------


def step_needs_vote(template: StepTemplate, unit: OrgUnit) -> bool:
    """Whether the step's collective must vote, as the catalog data say (13.1)."""
    if not template.requires_vote:
        return False
    if template.vote_required_when == VoteRequiredWhen.PARTY_UNIT:
        return unit.kind == UnitKind.PARTY
    return True


def voting_candidates(
    template: StepTemplate, unit: OrgUnit, on: datetime.date
) -> list[CollectiveBody]:
    """The bodies of the step's unit that may take the step's vote on ``on``."""
    bodies = bodies_of(unit, on)
    wanted = list(template.vote_body_types or [])
    if not wanted and template.vote_collective == VoteCollective.DECIDING:
        wanted = list(PARTY_BODY_TYPES) if unit.kind == UnitKind.PARTY else []
    if wanted:
        bodies = [b for b in bodies if b.body_type in wanted]
    return bodies


def default_collective(
    template: StepTemplate,
    unit: OrgUnit,
    on: datetime.date,
    candidates: list[CollectiveBody] | None = None,
) -> CollectiveBody | None:
    """The body that votes when the clerk names none: the only candidate, or the only one
    of the first body type the step lists (the step names its collective, MDL-COL-7).

    ``candidates``: ``voting_candidates(template, unit, on)`` when the caller has them.
    """
    if candidates is None:
        candidates = voting_candidates(template, unit, on)
    if len(candidates) == 1:
        return candidates[0]
    for body_type in template.vote_body_types or []:
        of_type = [b for b in candidates if b.body_type == body_type]
        if of_type:
            return of_type[0] if len(of_type) == 1 else None
    return None


def require_quorum(
    *, body: CollectiveBody, meeting_on: datetime.date, members: int, present: int
) -> None:
    """MDL-COL-6: refuse a tally whose ``present`` is below the body's quorum of the
    ``members`` on the roster on ``meeting_on``. No quorum is stated for these decisions
    [U], so a body has none unless its roster keepers set one (``set_quorum``)."""
    needed = body.quorum_of(members)
    if needed is None or present >= needed:
        return
    values = {
        "present": present,
        "needed": needed,
        "members": members,
        "num": body.quorum_numerator,
        "den": body.quorum_denominator,
        "body": body.name,
        "date": meeting_on.strftime("%d/%m/%Y"),
    }
    raise InvalidInput(
        _(
            "The vote cannot be recorded: the quorum of %(body)s was not reached (MDL-COL-6). %(present)s members were present; at least %(needed)s of the %(members)s on the roster on %(date)s (%(num)s/%(den)s, rounded up) must be present."
        )
        % values,
        rule="MDL-COL-6",
        fields={
            "present": [
                _(
                    "Below the quorum: at least %(needed)s of the %(members)s members must be present (%(num)s/%(den)s, MDL-COL-6)."
                )
                % values
            ]
        },
    )


# --- keeping the rosters ----------------------------------------------------------------------


def _date(
    raw: Any, name: str, errors: dict[str, list[Any]], *, required: bool
) -> datetime.date | None:
    if raw in (None, ""):
        if required:
            errors[name] = [_("This field is required.")]
        return None
    if isinstance(raw, datetime.date):
        return raw
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.datetime.strptime(str(raw), fmt).date()
        except ValueError:
            continue
    errors[name] = [_("Enter a valid date (dd/mm/yyyy).")]
    return None


def _record(
    body: CollectiveBody, *, by: AnyUser, action: str, reason: str, data: dict[str, Any]
) -> CollectiveEvent:

    head = CollectiveBody.objects.select_for_update().get(pk=body.pk)
    event = CollectiveEvent(
        body=head,
        seq=head.event_count + 1,
        at=timezone.now(),
        actor=by if by.is_authenticated else None,
        actor_name=(by.get_full_name() or by.get_username()) if by.is_authenticated else "system",
        reason=reason,
        action=action,
        data=json.loads(json.dumps(data, cls=DjangoJSONEncoder)),
        prev_hash=head.last_event_hash or GENESIS_HASH,
    )
    event.hash = event.compute_hash()
    event.save(force_insert=True)
    CollectiveBody.objects.filter(pk=head.pk).update(
        event_count=event.seq, last_event_hash=event.hash
    )
    body.event_count, body.last_event_hash = event.seq, event.hash
    return event


def create_collective(
    *,
    unit: OrgUnit,
    body_type: str,
    name: str,
    valid_from: datetime.date,
    by: AnyUser,
    term: str = "",
    valid_to: datetime.date | None = None,
    reason: str = "",
) -> CollectiveBody:
    if not may_keep_roster(by, unit):
        raise ActionForbidden(_("Only the unit's clerks keep its collective bodies."))
    errors: dict[str, list[Any]] = {}
    if body_type not in BodyType.values:
        errors["body_type"] = [_("Choose a valid option.")]
    name = (name or "").strip()
    if not name or len(name) > 200:
        errors["name"] = [_("Give the body's name (at most 200 characters).")]
    if valid_to is not None and valid_to < valid_from:
        errors["valid_to"] = [_("The end is before the start.")]
    if errors:
        raise InvalidInput(
            _("The body could not be saved; correct the fields shown."), fields=errors
        )
    with transaction.atomic():
        body = CollectiveBody.objects.create(
            unit=unit,
            body_type=body_type,
            name=name,
            term=(term or "")[:40],
            valid_from=valid_from,
            valid_to=valid_to,
        )
        _record(
            body,
            by=by,
            action="create",
            reason=reason,
            data={"unit": unit.pk, "body_type": body_type, "name": name, "valid_from": valid_from},
        )
    return body


def add_member(
    *,
    body: CollectiveBody,
    by: AnyUser,
    data: dict[str, Any],
    reason: str = "",
) -> RosterMember:
    """MDL-COL-2: a membership row with its dates and the decision that created it."""
    if not may_keep_roster(by, body.unit):
        raise ActionForbidden(_("Only the unit's clerks keep the roster of its bodies."))
    errors: dict[str, list[Any]] = {}
    full_name = str(data.get("full_name") or "").strip()
    if not full_name or len(full_name) > 120:
        errors["full_name"] = [_("Give the member's full name (at most 120 characters).")]
    valid_from = _date(data.get("valid_from"), "valid_from", errors, required=True)
    valid_to = _date(data.get("valid_to"), "valid_to", errors, required=False)
    if valid_from and valid_to and valid_to < valid_from:
        errors["valid_to"] = [_("The end is before the start.")]
    official = None
    official_id = data.get("official")
    if official_id not in (None, ""):
        official = Official.objects.filter(pk=official_id).first()
        if official is None:
            errors["official"] = [_("Unknown official.")]
    role = str(data.get("role_in_body") or "").strip()[:80]
    decision = str(data.get("decision") or "").strip()[:120]
    if errors:
        raise InvalidInput(
            _("The member could not be added; correct the fields shown."), fields=errors
        )
    assert valid_from is not None  # required: an error above otherwise
    with transaction.atomic():
        member = RosterMember.objects.create(
            body=body,
            full_name=full_name,
            official=official,
            role_in_body=role,
            valid_from=valid_from,
            valid_to=valid_to,
            decision=decision,
        )
        _record(
            body,
            by=by,
            action="add_member",
            reason=reason,
            data={
                "member": member.pk,
                "full_name": full_name,
                "role_in_body": role,
                "valid_from": valid_from,
                "valid_to": valid_to,
                "decision": decision,
            },
        )
    return member


def end_member(
    *,
    member: RosterMember,
    valid_to: datetime.date,
    by: AnyUser,
    reason: str,
    end_decision: str = "",
) -> RosterMember:
    """End a membership on ``valid_to`` (the last day of membership); audited."""
    body = member.body
    if not may_keep_roster(by, body.unit):
        raise ActionForbidden(_("Only the unit's clerks keep the roster of its bodies."))
    if not (reason or "").strip():
        raise InvalidInput(
            _("A reason is required for this action."),
            fields={"reason": [_("This field is required.")]},
        )
    if valid_to < member.valid_from:
        raise InvalidInput(
            _("The membership cannot end before it started (%(start)s).")
            % {"start": member.valid_from.strftime("%d/%m/%Y")},
            fields={"valid_to": [_("The end is before the start.")]},
        )
    with transaction.atomic():
        before = member.valid_to
        member.valid_to = valid_to
        member.end_decision = (end_decision or "")[:120]
        member.save(update_fields=["valid_to", "end_decision"])
        _record(
            body,
            by=by,
            action="end_member",
            reason=reason.strip(),
            data={
                "member": member.pk,
                "full_name": member.full_name,
                "from_valid_to": before,
                "valid_to": valid_to,
                "end_decision": member.end_decision,
            },
        )
    return member


def _quorum_part(raw: Any, name: str, errors: dict[str, list[Any]]) -> int | None:
    """One term of the quorum fraction: empty, or a whole number from 1 to 1000."""
    if raw in (None, ""):
        return None
    if isinstance(raw, bool) or not isinstance(raw, int | str):
        errors[name] = [_("Enter a whole number.")]
        return None
    try:
        value = int(raw)
    except ValueError:
        errors[name] = [_("Enter a whole number.")]
        return None
    if value < 1 or value > 1000:
        errors[name] = [_("Enter a number between 1 and 1000.")]
        return None
    return value


def set_quorum(
    *,
    body: CollectiveBody,
    numerator: int | None,
    denominator: int | None,
    by: AnyUser,
    reason: str,
) -> CollectiveBody:
    """MDL-COL-6: set the body's quorum (a share of the roster, rounded up) or switch it
    off with both empty. Kept by those who keep the roster; each change is an event."""
    if not may_keep_roster(by, body.unit):
        raise ActionForbidden(_("Only the unit's clerks set the quorum of its bodies."))
    errors: dict[str, list[Any]] = {}
    num = _quorum_part(numerator, "quorum_numerator", errors)
    den = _quorum_part(denominator, "quorum_denominator", errors)
    if not errors and (num is None) != (den is None):
        missing = "quorum_numerator" if num is None else "quorum_denominator"
        errors[missing] = [
            _("Give both the numerator and the denominator, or leave both empty for no quorum.")
        ]
    elif not errors and num is not None and den is not None and num > den:
        errors["quorum_numerator"] = [
            _("The numerator cannot exceed the denominator (at most all the members).")
        ]
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = [_("This field is required.")]
    elif len(reason) > 4000:
        errors["reason"] = [_("At most 4000 characters.")]
    if errors:
        raise InvalidInput(
            _("The quorum could not be saved; correct the fields shown."),
            rule="MDL-COL-6",
            fields=errors,
        )
    with transaction.atomic():
        head = CollectiveBody.objects.select_for_update().get(pk=body.pk)
        before = [head.quorum_numerator, head.quorum_denominator]
        CollectiveBody.objects.filter(pk=body.pk).update(
            quorum_numerator=num, quorum_denominator=den
        )
        body.quorum_numerator, body.quorum_denominator = num, den
        _record(
            body,
            by=by,
            action="set_quorum",
            reason=reason,
            data={
                "name": body.name,
                "from_quorum": before if before != [None, None] else None,
                "quorum": [num, den] if num is not None else None,
                "rule": "MDL-COL-6",
            },
        )
    return body


def verify_collective_chain(body_id: int) -> bool:
    head = (
        CollectiveBody.objects.filter(pk=body_id).values("event_count", "last_event_hash").first()
    )
    prev, seq = GENESIS_HASH, 0
    for event in CollectiveEvent.objects.filter(body_id=body_id).order_by("seq"):
        seq += 1
        if event.seq != seq or event.prev_hash != prev or event.compute_hash() != event.hash:
            return False
        prev = event.hash
    return (
        head is not None
        and head["event_count"] == seq
        and (not seq or head["last_event_hash"] == prev)
    )
