from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from cases.ops.health import health


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Database, broker and worker heartbeat; 503 when any of them fails. No personal data."""
    try:
        healthy, report = health()
    except Exception as exc:  # noqa: BLE001 - the health page itself never answers 500
        healthy, report = False, {"status": "degraded", "error": exc.__class__.__name__}
    return JsonResponse(report, status=200 if healthy else 503)
