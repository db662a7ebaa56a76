from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from cases.ops.health import health


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Database, broker and worker heartbeat; 503 when any of them fails. No personal data."""
    healthy, report = health()
    return JsonResponse(report, status=200 if healthy else 503)
