from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from cases.security.lockout import client_address, locked_until


class LockoutModelBackend(ModelBackend):
    """Refuses every attempt (even a correct password) while the username or address is locked."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Any:
        if locked_until(username or "", client_address(request)) is not None:
            raise PermissionDenied("locked out")
        return super().authenticate(request, username=username, password=password, **kwargs)

    def get_user(self, user_id: Any) -> Any:
        """The signed-in user of a request, with their official record (or its absence).

        Nearly every page asks whether the user is an official (scope, "not your own
        case"): reading it with the user saves that query on every request.
        """
        user_model = get_user_model()
        try:
            user = user_model._default_manager.select_related("official").get(pk=user_id)
        except user_model.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
