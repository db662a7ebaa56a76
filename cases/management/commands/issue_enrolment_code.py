"""Give a user a one-time code to set up their authenticator (shown once, here)."""

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from cases.security.enrolment import issue_enrolment_code


class Command(BaseCommand):
    help = "Issue a one-time enrolment code with which USERNAME sets up an authenticator."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--hours", type=int, default=None, help="validity (default 72)")

    def handle(self, *args: Any, **options: Any) -> None:
        user = get_user_model().objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"No user {options['username']!r}.")
        code = issue_enrolment_code(user=user, by=None, hours=options["hours"])
        self.stdout.write(code)
