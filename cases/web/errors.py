"""Styled error pages also while DEBUG is on (the default of ``make run``).

With DEBUG, Django answers a missing page, a refusal or a crash with its technical pages
(English, unstyled, listing the URL patterns). People trying the app under ``make run``
must see the same 403/404/500 pages as in production, in their language; developers still
get the traceback in the console (Django logs it before this middleware sees the answer).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template import loader

TEMPLATES = {403: "403.html", 404: "404.html", 500: "500.html"}
MARKER = b'data-testid="error-'


class StyledErrorPagesMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        name = TEMPLATES.get(response.status_code)
        if (
            not settings.DEBUG
            or name is None
            or request.path.startswith(("/api/", "/admin/", "/static/"))
            or not response.get("Content-Type", "").startswith("text/html")
            or getattr(response, "streaming", False)
            or MARKER in response.content
        ):
            return response
        context: dict[str, Any] | None = {} if response.status_code == 500 else None
        styled = HttpResponse(
            loader.render_to_string(name, context, request=request if context is None else None),
            status=response.status_code,
        )
        for header in ("Content-Language", "Vary"):
            if header in response:
                styled[header] = response[header]
        return styled
