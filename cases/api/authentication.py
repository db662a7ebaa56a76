"""The API's token authentication: DRF's, with the user's official record in the same query.

Every case page asks whether the caller is an official (``selectors.official_of``: their
own cases are in their scope, and nobody acts on a case about themselves). Reading the
record with the token and the user saves each page a query; the checks are DRF's own.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions
from rest_framework.authtoken.models import Token


class TokenAuthentication(authentication.TokenAuthentication):
    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        try:
            token = Token.objects.select_related("user", "user__official").get(key=key)
        except Token.DoesNotExist:
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from None
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return (token.user, token)
