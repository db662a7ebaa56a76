from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = _("Leave-of-office cases")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Imported here, once the models are loaded, for what importing them does:
        from cases import tasks  # noqa: F401 - registers the tasks enqueued by name
        from cases.notifications import receivers  # noqa: F401 - connects the news signals
        from cases.refdata import catalog as catalog_cache
        from cases.refdata import units as org_cache
        from cases.security import lockout  # noqa: F401 - connects the sign-in signals

        # Every process's copies of catalog rows and units are dropped when one changes.
        catalog_cache.connect()
        org_cache.connect()
