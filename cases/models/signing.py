"""Signing keys: the public half of each key held in the HSM, with its certificate.

The private keys never leave the HSM (or the PKCS#12 files of a small installation);
a row names the key by its label and keeps the certificate the demo CA (or the
installation's CA) issued for it. Rotation adds a row and marks the previous one
superseded; revocation is what the published CRL lists.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models.org import OrgUnit


class SigningKey(models.Model):
    class Purpose(models.TextChoices):
        CA = "ca", _("Certificate authority")
        SIGNER = "signer", _("Signer (a person)")
        BODY = "body", _("Issuing body (seal)")

    purpose = models.CharField(_("purpose"), max_length=10, choices=Purpose.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="signing_keys",
    )
    unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, null=True, blank=True, related_name="signing_keys"
    )
    key_label = models.CharField(_("key label"), max_length=64, unique=True)
    serial = models.CharField(_("certificate serial"), max_length=40, unique=True)
    subject = models.CharField(_("subject"), max_length=255)
    certificate = models.BinaryField(_("certificate (DER)"))
    not_before = models.DateTimeField(_("valid from"))
    not_after = models.DateTimeField(_("valid until"))
    created_at = models.DateTimeField(default=timezone.now)
    superseded_at = models.DateTimeField(_("superseded at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revocation_reason = models.CharField(_("revocation reason"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("signing key")
        verbose_name_plural = _("signing keys")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(purpose="ca", user__isnull=True, unit__isnull=True)
                    | models.Q(purpose="signer", user__isnull=False, unit__isnull=True)
                    | models.Q(purpose="body", user__isnull=True, unit__isnull=False)
                ),
                name="signing_key_owner_matches_purpose",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()}: {self.subject} ({self.serial})"

    @property
    def is_current(self) -> bool:
        return self.superseded_at is None and self.revoked_at is None
