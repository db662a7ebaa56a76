"""Writing and verifying the hash-chained audit trail."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import QuerySet
from django.utils import timezone

from cases.core.types import AnyUser
from cases.models import GENESIS_HASH, Case, CaseEvent


def _json_safe(data: dict[str, Any]) -> dict[str, Any]:
    safe: dict[str, Any] = json.loads(json.dumps(data, cls=DjangoJSONEncoder))
    return safe


def record_event(
    *,
    case: Case,
    actor: AnyUser | None,
    action: str,
    from_state: str = "",
    to_state: str = "",
    step_code: str = "",
    reason: str = "",
    data: dict[str, Any] | None = None,
    save_head: bool = True,
) -> CaseEvent:
    """Append one event to the case's chain. The caller holds the case row lock.

    The chain's head (``event_count``, ``last_event_hash``) is read from that locked row,
    not from the events table: the row is updated in the same transaction as every event,
    and the unique (case, seq) constraint refuses an event built on a stale copy. With
    ``save_head=False`` the caller saves the case afterwards (``workflow.perform`` saves it
    once with its own changes).
    """
    real_actor = actor if actor is not None and actor.is_authenticated else None
    seq = case.event_count + 1
    event = CaseEvent(
        case=case,
        seq=seq,
        at=timezone.now(),
        actor=real_actor,
        actor_name=(real_actor.get_full_name() or real_actor.get_username())
        if real_actor
        else "system",
        action=action,
        from_state=from_state,
        to_state=to_state,
        step_code=step_code,
        reason=reason,
        data=_json_safe(data or {}),
        prev_hash=case.last_event_hash if seq > 1 else GENESIS_HASH,
    )
    event.hash = event.compute_hash()
    event.save(force_insert=True)
    case.event_count, case.last_event_hash = event.seq, event.hash
    if save_head:
        Case.objects.filter(pk=case.pk).update(event_count=event.seq, last_event_hash=event.hash)
    return event


@dataclass(frozen=True)
class ChainCheck:
    case_id: int
    valid: bool
    first_broken_event: int | None
    events: int
    detail: str = ""


def verify_case_chain(case_id: int) -> ChainCheck:
    """Recompute every link of one case; report the first event that does not match."""
    head = Case.objects.filter(pk=case_id).values("event_count", "last_event_hash").first()
    expected_prev = GENESIS_HASH
    expected_seq = 1
    count = 0
    for event in CaseEvent.objects.filter(case_id=case_id).order_by("seq").iterator():
        count += 1
        if event.seq != expected_seq:
            return ChainCheck(case_id, False, event.pk, count, f"sequence gap before #{event.seq}")
        if event.prev_hash != expected_prev:
            return ChainCheck(case_id, False, event.pk, count, f"broken link at #{event.seq}")
        if event.compute_hash() != event.hash:
            return ChainCheck(case_id, False, event.pk, count, f"content altered at #{event.seq}")
        expected_prev = event.hash
        expected_seq += 1
    if head is not None and (
        head["event_count"] != count or head["last_event_hash"] != expected_prev
    ):
        last = CaseEvent.objects.filter(case_id=case_id).order_by("-seq").first()
        return ChainCheck(
            case_id,
            False,
            last.pk if last else None,
            count,
            "events missing at the end of the chain",
        )
    return ChainCheck(case_id, True, None, count)


def verify_all_chains(cases: QuerySet[Case] | None = None) -> list[ChainCheck]:
    """Every broken chain (an empty list means all hold)."""
    qs = cases if cases is not None else Case.objects.all()
    broken = []
    for case_id in qs.values_list("pk", flat=True).iterator():
        check = verify_case_chain(case_id)
        if not check.valid:
            broken.append(check)
    return broken
