"""The URLs the bench and ``tests/test_query_counts.py`` request: the project's own, and a bare view.

``/bench/bare/`` answers a small JSON behind the project's middleware and its API's
authentication and permission classes: the HTTP figures report the pages as a share of it.
"""

from __future__ import annotations

from django.urls import path
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cadre_exit.urls import urlpatterns as project_urlpatterns


class BareView(APIView):
    """The stack's floor: routing, middleware, token authentication, DRF, a small JSON."""

    def get(self, request: Request) -> Response:
        return Response({"ok": True, "user": request.user.pk})


urlpatterns = [path("bench/bare/", BareView.as_view()), *project_urlpatterns]

__all__ = ["urlpatterns"]
