"""One error format for the whole API: ``{"code", "detail", "fields"}``.

Domain errors (``CaseError`` subclasses) keep their HTTP status and code; REST
framework's own errors (401, 403, 404, 405, 406, 415, 429, 400) are rewritten with a
message in the caller's language (``Accept-Language``: Vietnamese by default, English).
"""

from __future__ import annotations

import sys
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from django.views.defaults import bad_request as html_bad_request
from django.views.defaults import page_not_found as html_page_not_found
from django.views.defaults import permission_denied as html_permission_denied
from django.views.defaults import server_error as html_server_error
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from cases.core.errors import CaseError

MESSAGES: dict[type[exceptions.APIException], Any] = {
    exceptions.NotAuthenticated: _(
        "Sign in first, or send your API token in the header “Authorization: Token <token>”."
    ),
    exceptions.AuthenticationFailed: _(
        "The token or the credentials are not valid, or the account is inactive; get a new token."
    ),
    exceptions.PermissionDenied: _("You are not allowed to do this."),
    exceptions.NotFound: _("Not found, or outside your scope."),
    exceptions.NotAcceptable: _(
        "This response is only available as JSON (Accept: application/json)."
    ),
    exceptions.ParseError: _(
        "The request body could not be read; send valid JSON or multipart form data."
    ),
    exceptions.ValidationError: _(
        "Some fields are not valid; correct them and send the request again."
    ),
}

CODES: dict[type[exceptions.APIException], str] = {
    exceptions.PermissionDenied: "forbidden",
}


def error_body(
    code: str, detail: Any, fields: dict[str, list[Any]] | None = None
) -> dict[str, Any]:
    return {
        "code": code,
        "detail": str(detail),
        "fields": {name: [str(m) for m in messages] for name, messages in (fields or {}).items()},
    }


def _flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """REST framework's nested error detail as ``{"field.sub.0": ["message", ...]}``."""
    out: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            for k, v in _flatten(value, name).items():
                out.setdefault(k, []).extend(v)
    elif isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            out[prefix or "non_field_errors"] = [str(item) for item in detail]
        else:
            for index, item in enumerate(detail):
                if item:
                    name = f"{prefix}.{index}" if prefix else str(index)
                    for k, v in _flatten(item, name).items():
                        out.setdefault(k, []).extend(v)
    else:
        out[prefix or "non_field_errors"] = [str(detail)]
    return out


def _case_error_detail(exc: CaseError) -> str:
    # Some messages are plain strings (not marked lazily); look them up in the catalog.
    message = gettext(exc.message) if isinstance(exc.message, str) else str(exc.message)
    if exc.rule and exc.rule not in message:
        return f"{message} ({exc.rule})"
    return message


def _detail_for(exc: exceptions.APIException, request: Any) -> str:
    if isinstance(exc, exceptions.MethodNotAllowed):
        method = getattr(request, "method", "") or ""
        return str(_("The method %(method)s is not allowed here.") % {"method": method})
    if isinstance(exc, exceptions.UnsupportedMediaType):
        content_type = getattr(request, "content_type", "") or ""
        return str(
            _("The content type “%(type)s” is not accepted here; send JSON or multipart form data.")
            % {"type": content_type[:100]}
        )
    if isinstance(exc, exceptions.Throttled):
        return str(
            _("Too many requests; try again in %(seconds)s seconds.")
            % {"seconds": int(exc.wait or 1)}
        )
    if isinstance(exc, exceptions.PermissionDenied) and str(exc.detail).startswith("CSRF Failed"):
        return str(
            _(
                "The CSRF token is missing or wrong: with session authentication send the X-CSRFToken header, or use a token."
            )
        )
    for klass, message in MESSAGES.items():
        if isinstance(exc, klass):
            if klass in (exceptions.NotFound, exceptions.PermissionDenied) and str(
                exc.detail
            ) != str(klass.default_detail):
                # A message we raised ourselves (already in the caller's language).
                return str(exc.detail)
            return str(message)
    return str(exc.detail)


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """REST framework's EXCEPTION_HANDLER (settings.REST_FRAMEWORK)."""
    request = context.get("request")
    if isinstance(exc, CaseError):
        set_rollback()
        return Response(
            error_body(exc.code, _case_error_detail(exc), exc.fields), status=exc.http_status
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if not isinstance(exc, exceptions.APIException):
        return None
    headers: dict[str, str] = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))
    fields: dict[str, list[str]] = {}
    code = CODES.get(type(exc), exc.default_code)
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        code = "invalid"
    elif isinstance(exc, exceptions.PermissionDenied) and str(exc.detail).startswith("CSRF Failed"):
        code = "csrf_failed"
    # NotAuthenticated without a WWW-Authenticate header was coerced to 403 by the view.
    status_code = exc.status_code
    set_rollback()
    return Response(
        error_body(code, _detail_for(exc, request), fields), status=status_code, headers=headers
    )


@csrf_exempt
def not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """Any other address under the API: the same 404 body, not Django's HTML page."""
    return JsonResponse(
        error_body("not_found", MESSAGES[exceptions.NotFound]),
        status=status.HTTP_404_NOT_FOUND,
        json_dumps_params={"ensure_ascii": False, "separators": (",", ":")},
    )


DATABASE_RETRY_AFTER = 5  # seconds: long enough for a failover or a freed connection slot


def _json(body: dict[str, Any], status_code: int) -> JsonResponse:
    return JsonResponse(
        body,
        status=status_code,
        json_dumps_params={"ensure_ascii": False, "separators": (",", ":")},
    )


def is_api_path(path: str) -> bool:
    return path.startswith("/api/")


def database_unavailable() -> JsonResponse:
    response = _json(
        error_body(
            "database_unavailable",
            _("The database is not available at the moment; try again in a few seconds."),
        ),
        503,
    )
    response["Retry-After"] = str(DATABASE_RETRY_AFTER)
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: the API's error format under /api/, Django's page elsewhere.

    Called while the exception is being handled, so it can tell a database that is down
    or out of connections (503 with ``Retry-After``) from any other failure.
    """

    exc = sys.exc_info()[1]
    if isinstance(exc, OperationalError | InterfaceError):
        if is_api_path(request.path):
            return database_unavailable()
        response = html_server_error(request)
        response.status_code = 503
        response["Retry-After"] = str(DATABASE_RETRY_AFTER)
        return response
    if is_api_path(request.path):
        return _json(
            error_body("server_error", _("Something went wrong on the server; try again.")), 500
        )
    return html_server_error(request)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """``handler404``: the API's 404 body for any address under /api/ the routes do not
    match (a newline in the path included), Django's page elsewhere."""

    if is_api_path(request.path):
        return not_found(request)
    return html_page_not_found(request, exception)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:

    if is_api_path(request.path):
        return _json(error_body("bad_request", _("The request is malformed.")), 400)
    return html_bad_request(request, exception)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:

    if is_api_path(request.path):
        return _json(error_body("forbidden", MESSAGES[exceptions.PermissionDenied]), 403)
    return html_permission_denied(request, exception)


class ApiResponseMiddleware:
    """Every API response (documents included) is ``Cache-Control: no-store``, and a
    database failure anywhere below this middleware answers 503 in the error format."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if is_api_path(request.path):
            response["Cache-Control"] = "no-store"
            response["Pragma"] = "no-cache"
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:

        if is_api_path(request.path) and isinstance(exception, OperationalError | InterfaceError):
            return database_unavailable()
        return None
