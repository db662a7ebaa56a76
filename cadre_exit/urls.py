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

# The API's error format for every failure under /api/, Django's pages elsewhere.
handler400 = "cases.api.exceptions.bad_request"
handler403 = "cases.api.exceptions.permission_denied"
handler404 = "cases.api.exceptions.page_not_found"
handler500 = "cases.api.exceptions.server_error"
