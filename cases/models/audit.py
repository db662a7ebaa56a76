"""The append-only, hash-chained history of every case."""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.core.audit_keys import current_hmac_key, hmac_key

GENESIS_HASH = "0" * 64


class CaseEvent(models.Model):
    """One action on a case. The database refuses UPDATE and DELETE (see migration 0002)."""

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="events")
    seq = models.PositiveIntegerField(_("sequence"))
    at = models.DateTimeField(_("time"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor_name = models.CharField(_("actor"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=40)
    from_state = models.CharField(_("from"), max_length=60, blank=True)
    to_state = models.CharField(_("to"), max_length=60, blank=True)
    step_code = models.CharField(_("step"), max_length=32, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)
    # The id of the HMAC key that sealed ``hash`` (cases.core.audit_keys); "" for events sealed
    # with the plain SHA-256 of before keys (and the benchmark generator's bulk loads).
    key_id = models.CharField(max_length=32, blank=True, default="", db_default="")

    class Meta:
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
        ordering = ["case", "seq"]
        constraints = [models.UniqueConstraint(fields=["case", "seq"], name="case_event_seq")]
        indexes = [models.Index(fields=["action", "at"], name="case_event_action_at")]

    def __str__(self) -> str:
        return f"{self.case_id}#{self.seq} {self.action}"

    def canonical_content(self) -> str:
        payload: dict[str, Any] = {
            "case": self.case_id,
            "seq": self.seq,
            "at": self.at.astimezone(datetime.UTC).isoformat(timespec="microseconds"),
            "actor": self.actor_id,
            "actor_name": self.actor_name,
            "action": self.action,
            "from": self.from_state,
            "to": self.to_state,
            "step": self.step_code,
            "reason": self.reason,
            "data": self.data,
        }
        return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))

    def compute_hash(self, key: bytes | None = None) -> str:
        """The event's seal: HMAC-SHA-256 with ``key``, or the plain SHA-256 without one.

        Without ``key`` an event whose ``key_id`` is set is sealed with that key from the
        keyring (outside the database), so a database owner cannot recompute it.
        """
        if key is None and self.key_id:
            key = hmac_key(self.key_id)
        message = self.prev_hash.encode("ascii") + self.canonical_content().encode("utf-8")
        if key is None:
            return hashlib.sha256(message).hexdigest()
        return hmac.new(key, message, hashlib.sha256).hexdigest()

    def seal(self) -> None:
        """Seal with the current HMAC key (sets ``key_id`` and ``hash``)."""
        self.key_id, key = current_hmac_key()
        self.hash = self.compute_hash(key)


class AuditCheckpoint(models.Model):
    """A signed checkpoint of the global chain over every case's head.

    ``heads`` holds the heads ({case id: [event count, last hash]}) of the cases whose chain
    moved since the previous checkpoint; ``head`` = SHA-256(previous head, digest of
    ``heads``). The signed copy of each line lives outside the database (the append-only
    file of ``AUDIT_CHECKPOINT_FILE``, and the auditors' mail): a database owner who edits
    these rows, or the events they cover, no longer matches it.
    """

    seq = models.PositiveIntegerField(unique=True)
    taken_at = models.DateTimeField(default=timezone.now)
    prev_head = models.CharField(max_length=64)
    head = models.CharField(max_length=64)
    heads = models.JSONField(default=dict)
    cases = models.PositiveIntegerField(default=0)
    key_id = models.CharField(max_length=64)
    signature = models.CharField(max_length=128)

    class Meta:
        verbose_name = _("audit checkpoint")
        verbose_name_plural = _("audit checkpoints")
        ordering = ["seq"]

    def __str__(self) -> str:
        return f"checkpoint {self.seq} {self.head[:12]}"
