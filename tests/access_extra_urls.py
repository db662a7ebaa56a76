"""The project's URL conf plus one pattern no row names: the access matrix must notice it."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from cadre_exit.urls import urlpatterns as project_patterns


def probe(request: HttpRequest) -> HttpResponse:
    return HttpResponse("probe")


urlpatterns = [*project_patterns, path("matrix-probe/", probe, name="matrix-probe")]
