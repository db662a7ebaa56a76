"""Sign and publish a checkpoint of the global audit chain now (beat does it hourly)."""

from typing import Any

from django.core.management.base import BaseCommand

from cases.audit.checkpoints import take_checkpoint


class Command(BaseCommand):
    help = "Checkpoint the heads of every audit chain, signed, to AUDIT_CHECKPOINT_FILE."

    def handle(self, *args: Any, **options: Any) -> None:
        checkpoint = take_checkpoint()
        if checkpoint is None:
            self.stdout.write("No chain moved since the last checkpoint.")
        else:
            self.stdout.write(self.style.SUCCESS(f"Checkpoint {checkpoint.seq}: {checkpoint.head}"))
