"""The interface language: Vietnamese unless the user chose another one."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


class ChosenLanguageMiddleware(LocaleMiddleware):
    """Pages are in Vietnamese unless the user chose a language with the switch (cookie).

    A browser's ``Accept-Language`` alone does not switch the pages: officials' machines
    are often set to English while the committee works in Vietnamese. The API keeps
    honouring ``Accept-Language``, since a program has no language switch to use.
    """

    def process_request(self, request: HttpRequest) -> None:
        if request.path.startswith("/api/"):
            super().process_request(request)
            return
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        supported = {code for code, _name in settings.LANGUAGES}
        language = chosen if chosen in supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
