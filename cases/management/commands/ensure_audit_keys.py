"""Create the audit keys where they are missing (first deployment), or check them."""

from typing import Any

from django.core.management.base import BaseCommand
from django.test.utils import override_settings

from cases.core.audit_keys import keyring, public_key_id, signing_key


class Command(BaseCommand):
    help = "Create the audit HMAC key file and the checkpoint signing key if missing."

    def handle(self, *args: Any, **options: Any) -> None:
        with override_settings(AUDIT_AUTOGENERATE_KEYS=True):
            ring, current = keyring()
            key = signing_key()
        self.stdout.write(
            f"Audit HMAC keys: {', '.join(ring)} (current {current}); "
            f"checkpoint key {public_key_id(key.public_key())}."
        )
