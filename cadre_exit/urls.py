from django.contrib import admin
from django.urls import include, path

from cases.security.views import second_factor

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("account/2fa/", second_factor, name="second_factor"),
    path("", include("cases.urls")),
]
