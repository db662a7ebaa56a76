"""The project's URLs; until the REST API is merged, stand-ins for the pages the bench reads."""

from __future__ import annotations

from importlib.util import find_spec

from django.urls import include, path

from cadre_exit.urls import urlpatterns as project_urls

HAS_API = find_spec("cases.api") is not None and find_spec("cases.api.urls") is not None

urlpatterns = list(project_urls)
if not any(str(getattr(p, "pattern", "")).startswith("api/") for p in project_urls):
    if HAS_API:
        urlpatterns.append(path("api/v1/", include("cases.api.urls")))
    else:
        from bench import standin

        urlpatterns += [
            path("api/v1/cases/", standin.case_list),
            path("api/v1/cases/<int:pk>/", standin.case_detail),
            path("api/v1/inbox/", standin.inbox),
        ]
