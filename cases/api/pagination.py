"""Pagination of the API's lists.

The inbox and the small catalog lists are page-numbered (50 a page, with a total): they
hold what one person has to do, so counting them is cheap and the total is useful.

The case list is keyset-paginated on (filed_on, id), newest first. Counting a province's
cases costs time in proportion to the data (a century of cases is millions of rows) and
``?page=N`` makes PostgreSQL read and drop N × 50 rows; a keyset cursor reads the next 50
rows from the ``case_filed_id`` index whatever the size, and a case filed meanwhile never
shifts the following page (DRF's own cursor keys on one field plus an offset, which does).
"""

from __future__ import annotations

import binascii
import datetime
import json
from base64 import urlsafe_b64decode, urlsafe_b64encode
from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page
from django.core.paginator import Paginator as DjangoPaginator
from django.db.models import Count, Model, Q, QuerySet, Window
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination, PageNumberPagination
from rest_framework.request import Request
from rest_framework.utils.urls import replace_query_param


class Pagination(PageNumberPagination):
    page_size = 50
    invalid_page_message = _("That page does not exist.")


class CountedPagination(Pagination):
    """Page numbers with the total read in the page's own query (``COUNT(*) OVER ()``).

    For the inbox, asked for on every visit: one query instead of a COUNT and a SELECT.
    """

    def paginate_queryset(
        self, queryset: QuerySet[Any], request: Request, view: Any = None
    ) -> list[Any]:
        self.request = request
        size = self.get_page_size(request)
        try:
            number = int(request.query_params.get(self.page_query_param, 1))
        except (TypeError, ValueError):
            number = 0
        if not 1 <= number <= 10**6:
            raise NotFound(self.invalid_page_message)
        start = (number - 1) * size
        rows = list(queryset.annotate(page_total=Window(Count("pk")))[start : start + size])
        if not rows and number > 1:
            raise NotFound(self.invalid_page_message)
        paginator = DjangoPaginator(rows, size)
        # The total came with the rows; the paginator must not count again.
        paginator.__dict__["count"] = rows[0].page_total if rows else 0
        self.page = Page(rows, number, paginator)
        return rows


@dataclass(frozen=True)
class Key:
    """A position between two rows: the (filed_on, id) of the row next to it."""

    filed_on: datetime.date
    pk: int
    backwards: bool = False

    def encode(self) -> str:
        raw = json.dumps(
            [self.filed_on.isoformat(), self.pk, int(self.backwards)], separators=(",", ":")
        )
        return urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> Key:
        try:
            filed_on, pk, backwards = json.loads(urlsafe_b64decode(text + "=" * (-len(text) % 4)))
            key = cls(datetime.date.fromisoformat(filed_on), int(pk), bool(backwards))
        except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
            raise NotFound(CasePagination.invalid_cursor_message) from None
        if not 0 < key.pk < 2**63:
            raise NotFound(CasePagination.invalid_cursor_message)
        return key


class CasePagination(CursorPagination):
    """Keyset pages of cases, newest filing first; links carry an opaque ``cursor``."""

    page_size = 50
    ordering = ("-filed_on", "-id")
    invalid_cursor_message = _("That page does not exist (the link is not valid).")

    def paginate_queryset(
        self, queryset: QuerySet[Any], request: Request, view: Any = None
    ) -> list[Any]:
        self.request = request
        self.base_url = request.build_absolute_uri()
        text = request.query_params.get(self.cursor_query_param)
        key = Key.decode(text) if text else None
        if key is None:
            rows = list(queryset.order_by("-filed_on", "-id")[: self.page_size + 1])
        elif key.backwards:
            # The page before: rows newer than the key, read upwards, shown newest first.
            newer = queryset.filter(filed_on__gte=key.filed_on).filter(
                Q(filed_on__gt=key.filed_on) | Q(id__gt=key.pk)
            )
            rows = list(newer.order_by("filed_on", "id")[: self.page_size + 1])
        else:
            # ``filed_on <= key`` is the index range; the OR only settles ties on that day.
            older = queryset.filter(filed_on__lte=key.filed_on).filter(
                Q(filed_on__lt=key.filed_on) | Q(id__lt=key.pk)
            )
            rows = list(older.order_by("-filed_on", "-id")[: self.page_size + 1])
        more = len(rows) > self.page_size
        rows = rows[: self.page_size]
        if key is not None and key.backwards:
            rows.reverse()
            self._next = self._key(rows[-1]) if rows else None
            self._previous = self._key(rows[0], backwards=True) if rows and more else None
        else:
            self._next = self._key(rows[-1]) if rows and more else None
            self._previous = (
                self._key(rows[0], backwards=True) if rows and key is not None else None
            )
        return rows

    @staticmethod
    def _key(row: Model, *, backwards: bool = False) -> Key:
        return Key(row.filed_on, row.pk, backwards)  # type: ignore[attr-defined]  # rows are Cases; the paginator is typed over any model

    def _link(self, key: Key | None) -> str | None:
        if key is None:
            return None
        return replace_query_param(self.base_url, self.cursor_query_param, key.encode())

    def get_next_link(self) -> str | None:
        return self._link(self._next)

    def get_previous_link(self) -> str | None:
        return self._link(self._previous)
