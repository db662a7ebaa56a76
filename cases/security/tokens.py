"""API tokens: the same sign-in rules as the web form (lock-out, second factor)."""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.http import HttpRequest
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _
from rest_framework.authtoken.models import Token

from cases.core.errors import ActionForbidden, CaseError, InvalidInput
from cases.models.security import TOTPDevice
from cases.security import totp
from cases.security.lockout import clear, client_address, locked_until


class InvalidCredentials(CaseError):
    code = "invalid_credentials"
    http_status = 400


class SignInLocked(CaseError):
    code = "locked_out"
    http_status = 429


def issue_api_token(*, request: HttpRequest, username: str, password: str, otp: str = "") -> str:
    """The user's API token, for a correct password (and authenticator code where the
    role needs one). Failed attempts count towards the same lock-out as the web sign-in."""
    until = locked_until(username, client_address(request))
    if until is not None:
        raise SignInLocked(
            _("Too many failed sign-ins; try again after %(time)s.")
            % {"time": formats.time_format(timezone.localtime(until), "H:i")}
        )
    user = authenticate(request, username=username, password=password)
    if user is None:
        raise InvalidCredentials(_("Wrong username or password, or the account is inactive."))
    if totp.required_for(user):
        # Authorities and auditors sign in with a second factor, on the web and here.
        if not TOTPDevice.objects.filter(user=user, confirmed_at__isnull=False).exists():
            raise ActionForbidden(
                _(
                    "Your role needs an authenticator: set it up by signing in on the web first, then send its code as “otp”."
                )
            )
        if not otp:
            raise InvalidInput(
                _("Your role needs the code from your authenticator."),
                fields={"otp": [_("Enter the 6-digit code from your authenticator.")]},
            )
        if not totp.verify(user, otp):
            raise InvalidInput(
                _("The authenticator code is not valid."),
                fields={
                    "otp": [
                        _(
                            "The code is not valid. Check your device's clock and try the current code."
                        )
                    ]
                },
            )
    clear(user.get_username(), client_address(request))
    token, _created = Token.objects.get_or_create(user=user)
    return str(token.key)
