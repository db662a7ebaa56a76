"""Writing and verifying the hash-chained audit trail."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import QuerySet
from django.utils import timezone

from cases.audit.checkpoints import CheckpointedHeads, checkpointed_heads
from cases.core.audit_keys import hmac_key
from cases.core.types import AnyUser
from cases.models import GENESIS_HASH, Case, CaseEvent
from cases.refdata.rawsql import columns

_EVENT = columns(CaseEvent)


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
    event.seal()  # keyed: HMAC with the current key, held outside the database
    _EVENT.insert(event)  # event.save(force_insert=True) in plain SQL (issue 18)
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


def _seal_problem(event: CaseEvent, keyed_before: bool) -> str:
    """Why the event's seal does not hold, or "" when it does."""
    if not event.key_id:
        # The plain SHA-256 of before keys anyone can recompute: accepted only as the
        # start of a chain (never after a keyed event), and only when allowed.
        if keyed_before or not settings.AUDIT_ACCEPT_UNKEYED:
            return f"unkeyed seal at #{event.seq}"
        return "" if event.compute_hash(None) == event.hash else f"content altered at #{event.seq}"
    key = hmac_key(event.key_id)
    if key is None:
        return f"unknown key {event.key_id!r} at #{event.seq}"
    return "" if event.compute_hash(key) == event.hash else f"content altered at #{event.seq}"


def verify_case_chain(case_id: int, *, checkpointed: CheckpointedHeads | None = None) -> ChainCheck:
    """Recompute every link of one case; report the first event that does not match.

    The chain is also compared with the case's head in the latest signed checkpoint
    (``checkpointed``, read and verified here when not given): events erased since, or a
    chain rebuilt from a rewritten event, no longer reach that head.
    """
    if checkpointed is None:
        checkpointed = checkpointed_heads()
    head = Case.objects.filter(pk=case_id).values("event_count", "last_event_hash").first()
    expected_prev = GENESIS_HASH
    expected_seq = 1
    count = 0
    keyed = False
    anchor = checkpointed.heads.get(case_id)
    anchored = anchor is None
    for event in CaseEvent.objects.filter(case_id=case_id).order_by("seq").iterator():
        count += 1
        if event.seq != expected_seq:
            return ChainCheck(case_id, False, event.pk, count, f"sequence gap before #{event.seq}")
        if event.prev_hash != expected_prev:
            return ChainCheck(case_id, False, event.pk, count, f"broken link at #{event.seq}")
        problem = _seal_problem(event, keyed)
        if problem:
            return ChainCheck(case_id, False, event.pk, count, problem)
        if anchor is not None and event.seq == anchor.count:
            if event.hash != anchor.hash:
                return ChainCheck(
                    case_id,
                    False,
                    event.pk,
                    count,
                    f"#{event.seq} differs from checkpoint {anchor.checkpoint}",
                )
            anchored = True
        keyed = keyed or bool(event.key_id)
        expected_prev = event.hash
        expected_seq += 1
    if not anchored:
        last = CaseEvent.objects.filter(case_id=case_id).order_by("-seq").first()
        what = "case erased" if head is None and count == 0 else "events missing"
        return ChainCheck(
            case_id,
            False,
            last.pk if last else None,
            count,
            f"{what}: checkpoint {anchor.checkpoint} has {anchor.count} events",  # type: ignore[union-attr]  # anchor is set whenever a checkpoint is
        )
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
    if checkpointed.problems:
        return ChainCheck(case_id, False, None, count, "; ".join(checkpointed.problems))
    return ChainCheck(case_id, True, None, count)


def verify_all_chains(cases: QuerySet[Case] | None = None) -> list[ChainCheck]:
    """Every broken chain (an empty list means all hold), the signed checkpoints included.

    A problem with the checkpoints themselves (a signature, a removed or edited row) is
    reported once, as case 0; a case the latest checkpoint knows but the database no longer
    has is reported under its id.
    """
    checkpointed = checkpointed_heads()
    sound = CheckpointedHeads(heads=checkpointed.heads, problems=[], seq=checkpointed.seq)
    broken = []
    if checkpointed.problems:
        broken.append(ChainCheck(0, False, None, 0, "; ".join(checkpointed.problems)))
    qs = cases if cases is not None else Case.objects.all()
    seen: set[int] = set()
    for case_id in qs.values_list("pk", flat=True).iterator():
        seen.add(case_id)
        check = verify_case_chain(case_id, checkpointed=sound)
        if not check.valid:
            broken.append(check)
    if cases is None:
        for case_id in sorted(set(checkpointed.heads) - seen):
            broken.append(verify_case_chain(case_id, checkpointed=sound))
    return broken
