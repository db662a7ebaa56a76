from django.contrib import admin
from django.urls import include, path

from cases.security.views import second_factor
from cases.web.health import healthz

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("account/2fa/", second_factor, name="second_factor"),
    path("healthz", healthz, name="healthz"),
    path("api/v1/", include("cases.api.urls")),
    path("", include("cases.web.urls")),
]
