"""Add a new audit HMAC key and make it current; the old keys keep verifying old events."""

from typing import Any

from django.core.management.base import BaseCommand

from cases.core.audit_keys import rotate_hmac_key


class Command(BaseCommand):
    help = "Rotate the audit HMAC key (the key file gains a new current key)."

    def handle(self, *args: Any, **options: Any) -> None:
        key_id = rotate_hmac_key()
        self.stdout.write(self.style.SUCCESS(f"New audit HMAC key {key_id} is current."))
