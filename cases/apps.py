from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = _("Leave-of-office cases")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from cases.catalog import cache as catalog_cache
        from cases.organisation import cache as org_cache
        from cases.security import lockout  # noqa: F401 - connects the sign-in signals

        # Every process's copies of catalog rows and units are dropped when one changes.
        catalog_cache.connect()
        org_cache.connect()
