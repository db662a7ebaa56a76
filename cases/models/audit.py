"""The append-only, hash-chained history of every case."""

from __future__ import annotations

import datetime
import hashlib
import json
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

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

    def compute_hash(self) -> str:
        digest = hashlib.sha256()
        digest.update(self.prev_hash.encode("ascii"))
        digest.update(self.canonical_content().encode("utf-8"))
        return digest.hexdigest()
