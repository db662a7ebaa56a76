"""Slows down password guessing on the token endpoint."""

from __future__ import annotations

from django.conf import settings
from rest_framework.throttling import AnonRateThrottle


class TokenRateThrottle(AnonRateThrottle):
    scope = "auth_token"

    def get_rate(self) -> str:
        # Read on every request, so a deployment (or a test) can change it without a restart.
        return str(settings.API_TOKEN_RATE)
