"""Page-numbered lists, 50 rows a page."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework.pagination import PageNumberPagination


class Pagination(PageNumberPagination):
    page_size = 50
    invalid_page_message = _("That page does not exist.")
