"""Request ids for structured logs, and the security headers every response carries."""

from __future__ import annotations

import contextvars
import logging
import re
import uuid
from collections.abc import Callable

from django.conf import settings
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
user_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("user_id", default="-")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestContextFilter(logging.Filter):
    """Adds ``request_id`` and ``user_id`` (ids only, never names) to every log record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        record.user_id = user_id_var.get()
        return True


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        rid = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = rid  # type: ignore[attr-defined]  # the request id this middleware adds to every request
        token = request_id_var.set(rid)
        user_token = user_id_var.set("-")
        try:
            response = self.get_response(request)
            user = getattr(request, "user", None)
            try:
                if user is not None and user.is_authenticated:
                    user_id_var.set(str(user.pk))
            except DatabaseError:
                pass  # the session could not be read (database down): already answered

            logging.getLogger("cadre_exit.request").info(
                "%s %s %s", request.method, request.path, response.status_code
            )
        finally:
            request_id_var.reset(token)
            user_id_var.reset(user_token)
        response["X-Request-ID"] = rid
        return response


class SecurityHeadersMiddleware:
    """A content-security policy with no inline script, and the other headers."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        response.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        response.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        return response


class TOTPRequiredMiddleware:
    """Authorities and auditors reach nothing but the second-factor page until verified.

    ``request.user`` here is the session's user: a request authenticated by an API token
    alone is anonymous at this point (DRF authenticates it later, and tokens are issued
    only after the second factor). No header exempts a session: an ``Authorization``
    header added to a session's form POST used to skip this check.
    """

    EXEMPT_PREFIXES = ("/account/2fa/", "/logout/", "/static/", "/i18n/", "/healthz", "/login/")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # Not at the top: LOGGING imports this module (its request filter) before the
        # apps are loaded, and ``totp`` imports the auth models.
        from cases.security import totp

        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.path.startswith(self.EXEMPT_PREFIXES)
            and totp.required_for(user)
            and not totp.is_verified(request)
        ):
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {
                        "code": "second_factor_required",
                        "detail": _("Confirm your sign-in with your authenticator code first."),
                        "fields": {},
                    },
                    status=403,
                )
            return redirect(f"/account/2fa/?next={request.get_full_path()}")
        return self.get_response(request)
