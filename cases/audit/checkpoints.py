"""Signed checkpoints of the global chain over every case's head.

Each checkpoint names the heads (event count, last hash) of the cases whose chain moved
since the previous one, and chains them: ``head = SHA-256(prev head | seq | digest of the
heads)``. The checkpoint is signed with an Ed25519 key kept outside the database and its
line appended to ``AUDIT_CHECKPOINT_FILE`` (append-only, on the application's disk, not
the database's) and mailed to the auditors. The database keeps the heads themselves
(``AuditCheckpoint``); the file keeps what they must hash to.

Verification trusts the file: every signed line must have its database row, the rows must
chain and hash to the lines, and every case the checkpoints name must still reach its
checkpointed head. So whoever owns the database can no longer erase a case, drop its
newest events or rebuild its chain around an edited event without it showing.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from cases.core.audit_keys import public_key_id, signing_key, verifying_key
from cases.models import GENESIS_HASH, AuditCheckpoint, Case, Role

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Anchor:
    count: int
    hash: str
    checkpoint: int


@dataclass
class CheckpointedHeads:
    """Each case's head as of the latest signed checkpoint, and what did not verify."""

    heads: dict[int, Anchor] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    seq: int = 0


def _canonical(data: Any) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode(
        "ascii"
    )


def heads_digest(heads: dict[str, list[Any]]) -> str:
    return hashlib.sha256(_canonical(heads)).hexdigest()


def chain_head(prev: str, seq: int, digest: str) -> str:
    return hashlib.sha256(f"{prev}|{seq}|{digest}".encode("ascii")).hexdigest()


def _signed_fields(cp: AuditCheckpoint, digest: str) -> dict[str, Any]:
    return {
        "seq": cp.seq,
        "taken_at": cp.taken_at.astimezone(datetime.UTC).isoformat(timespec="seconds"),
        "prev": cp.prev_head,
        "head": cp.head,
        "heads_digest": digest,
        "cases": cp.cases,
        "key": cp.key_id,
    }


def _merged(rows: list[AuditCheckpoint]) -> dict[int, Anchor]:
    heads: dict[int, Anchor] = {}
    for row in rows:
        for case_id, (count, digest) in row.heads.items():
            heads[int(case_id)] = Anchor(int(count), str(digest), row.seq)
    return heads


def take_checkpoint() -> AuditCheckpoint | None:
    """Checkpoint the heads that moved; None when nothing moved or another process won.

    Safe to run twice at once (two beats): the unique ``seq`` lets one of them write.
    """
    key = signing_key()
    with transaction.atomic():
        rows = list(AuditCheckpoint.objects.order_by("seq"))
        known = _merged(rows)
        delta: dict[str, list[Any]] = {}
        total = 0
        for pk, count, digest in (
            Case.objects.filter(event_count__gt=0)
            .values_list("pk", "event_count", "last_event_hash")
            .iterator()
        ):
            total += 1
            anchor = known.get(pk)
            if anchor is None or (anchor.count, anchor.hash) != (count, digest):
                delta[str(pk)] = [count, digest]
        if not delta and rows:
            return None
        prev = rows[-1] if rows else None
        seq = (prev.seq if prev else 0) + 1
        digest = heads_digest(delta)
        checkpoint = AuditCheckpoint(
            seq=seq,
            taken_at=timezone.now().replace(microsecond=0),
            prev_head=prev.head if prev else GENESIS_HASH,
            heads=delta,
            cases=total,
            key_id=public_key_id(key.public_key()),
        )
        checkpoint.head = chain_head(checkpoint.prev_head, seq, digest)
        fields = _signed_fields(checkpoint, digest)
        checkpoint.signature = key.sign(_canonical(fields)).hex()
        try:
            with transaction.atomic():
                checkpoint.save(force_insert=True)
        except IntegrityError:
            return None  # a second beat took this checkpoint a moment ago
        line = json.dumps({**fields, "sig": checkpoint.signature}, sort_keys=True) + "\n"
        transaction.on_commit(lambda: _publish(line, checkpoint))
    return checkpoint


def _publish(line: str, checkpoint: AuditCheckpoint) -> None:
    path = Path(settings.AUDIT_CHECKPOINT_FILE)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        os.write(fd, line.encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)
    _mail_auditors(line, checkpoint)


def _mail_auditors(line: str, checkpoint: AuditCheckpoint) -> None:

    addresses = sorted(
        set(
            get_user_model()
            .objects.filter(memberships__role=Role.AUDITOR, is_active=True)
            .exclude(email="")
            .values_list("email", flat=True)
        )
    )
    if not addresses:
        return
    # Addressed to the inspection committee's own mailboxes, outside the database: kept
    # mail is a second copy of the signed line.
    send_mail(
        f"cadre_exit audit checkpoint {checkpoint.seq}",
        "Keep this message: it lets you verify the audit trail later.\n\n" + line,
        None,
        addresses,
        fail_silently=True,
    )


def read_checkpoint_file() -> tuple[list[dict[str, Any]], list[str]]:
    """The signed lines of the file, and the problems found reading them."""
    path = Path(settings.AUDIT_CHECKPOINT_FILE)
    if not path.exists():
        return [], []
    key = verifying_key()
    lines: list[dict[str, Any]] = []
    problems: list[str] = []
    for number, raw in enumerate(path.read_text(encoding="ascii").splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            entry = json.loads(raw)
            signature = bytes.fromhex(entry.pop("sig"))
            key.verify(signature, _canonical(entry))
        except (ValueError, KeyError, TypeError, InvalidSignature):
            problems.append(f"checkpoint file line {number} is not validly signed")
            continue
        if lines and entry["seq"] <= lines[-1]["seq"]:
            problems.append(f"checkpoint file line {number} goes backwards")
            continue
        lines.append(entry)
    return lines, problems


def checkpointed_heads() -> CheckpointedHeads:
    """Each case's head as of the latest signed checkpoint, verified against the file."""
    lines, problems = read_checkpoint_file()
    if not lines:
        return CheckpointedHeads(problems=problems)
    last = lines[-1]["seq"]
    rows = list(AuditCheckpoint.objects.filter(seq__lte=last).order_by("seq"))
    by_seq = {row.seq: row for row in rows}
    for entry in lines:
        if entry["seq"] not in by_seq:
            problems.append(f"checkpoint {entry['seq']} is missing from the database")
    prev = GENESIS_HASH
    for row in rows:
        digest = heads_digest(row.heads)
        if row.prev_head != prev or chain_head(row.prev_head, row.seq, digest) != row.head:
            problems.append(f"checkpoint {row.seq} was altered in the database")
        prev = row.head
    for entry in lines:
        stored = by_seq.get(entry["seq"])
        if stored is not None and (
            stored.head != entry["head"] or heads_digest(stored.heads) != entry["heads_digest"]
        ):
            problems.append(f"checkpoint {stored.seq} differs from its signed line")
    return CheckpointedHeads(heads=_merged(rows), problems=problems, seq=last)
