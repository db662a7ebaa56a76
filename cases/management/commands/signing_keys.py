"""Signing keys and certificates: the token, the CA, a key per signer and per body.

    manage.py signing_keys init                 SoftHSM2 token (if SoftHSM2), CA, demo keys
    manage.py signing_keys token                only the SoftHSM2 token (no database needed)
    manage.py signing_keys issue --user NAME    a key for a user (first one, or a rotation)
    manage.py signing_keys issue --unit ID      a key for an issuing body
    manage.py signing_keys rotate --user NAME   the same as issue: a new key, the old one superseded
    manage.py signing_keys revoke SERIAL --reason "…"   revoke, then publish the CRL
    manage.py signing_keys crl                  publish the CRL again
    manage.py signing_keys list

Every command is idempotent where it can be: ``init`` creates only what is missing.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from cases.core.errors import CaseError
from cases.documents import keys, signing
from cases.models import OrgUnit, SigningKey


class Command(BaseCommand):
    help = "Issue, rotate and revoke the signing keys held in the HSM; publish the CRL."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "action", choices=["init", "token", "issue", "rotate", "revoke", "crl", "list"]
        )
        parser.add_argument("serial", nargs="?", help="certificate serial (revoke)")
        parser.add_argument("--user", help="user name of the signer")
        parser.add_argument("--unit", type=int, help="primary key of the issuing body")
        parser.add_argument("--reason", default="", help="why the certificate is revoked")
        parser.add_argument(
            "--no-demo", action="store_true", help="init: only the token and the CA"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, f"_{options['action']}")(options)
        except CaseError as exc:
            raise CommandError(str(exc)) from exc

    def _owner(self, options: dict[str, Any]) -> dict[str, Any]:
        if bool(options.get("user")) == bool(options.get("unit")):
            raise CommandError("Name exactly one of --user or --unit.")
        if options.get("user"):
            user = get_user_model().objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"No user {options['user']!r}.")
            return {"user": user}
        unit = OrgUnit.objects.filter(pk=options["unit"]).first()
        if unit is None:
            raise CommandError(f"No unit {options['unit']}.")
        return {"unit": unit}

    def _init(self, options: dict[str, Any]) -> None:
        if not signing.signing_enabled():
            self.stdout.write("Signing is off (CADRE_SIGNING_BACKEND=off): nothing to do.")
            return
        self._token(options)
        ca, created = keys.ensure_ca()
        self.stdout.write(f"CA {ca.serial}: {'created' if created else 'present'}")
        if not options.get("no_demo"):
            new = keys.ensure_demo_keys()
            self.stdout.write(f"{len(new)} signing keys issued")
        keys.publish_crl()
        self.stdout.write(self.style.SUCCESS("Signing keys ready."))

    def _token(self, options: dict[str, Any]) -> None:

        if settings.DOCUMENT_SIGNING_BACKEND != "pkcs11" or (
            "softhsm" not in settings.SIGNING_PKCS11_MODULE
        ):
            self.stdout.write("Not SoftHSM2: the HSM's own tools initialise its token.")
            return
        created = keys.init_softhsm_token()
        self.stdout.write(
            f"SoftHSM2 token {settings.SIGNING_TOKEN_LABEL}: {'created' if created else 'present'}"
        )

    def _issue(self, options: dict[str, Any]) -> None:
        key = keys.issue_key(**self._owner(options))
        self.stdout.write(self.style.SUCCESS(f"Issued {key.serial}: {key.subject}"))

    _rotate = _issue

    def _revoke(self, options: dict[str, Any]) -> None:
        if not options.get("serial"):
            raise CommandError("Give the serial of the certificate to revoke.")
        key = keys.revoke_key(serial=options["serial"], reason=options["reason"])
        path = keys.publish_crl()
        self.stdout.write(self.style.SUCCESS(f"Revoked {key.serial}; CRL published to {path}"))

    def _crl(self, options: dict[str, Any]) -> None:
        self.stdout.write(self.style.SUCCESS(f"CRL published to {keys.publish_crl()}"))

    def _list(self, options: dict[str, Any]) -> None:
        for key in SigningKey.objects.order_by("purpose", "created_at"):
            state = (
                "revoked" if key.revoked_at else "superseded" if key.superseded_at else "current"
            )
            self.stdout.write(f"{key.serial}\t{key.purpose}\t{state}\t{key.subject}")
