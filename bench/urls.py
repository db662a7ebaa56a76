"""The URLs the bench and ``tests/test_query_counts.py`` request: the project's own."""

from __future__ import annotations

from cadre_exit.urls import urlpatterns

__all__ = ["urlpatterns"]
