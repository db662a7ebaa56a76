"""Reports over cases: counts grouped in SQL, for statistics pages, exports and the API.

A selector like those in ``selectors``: it reads an already scoped queryset (pass
``cases_visible_to(user)``) and never writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, F, QuerySet
from django.db.models.functions import ExtractYear

from cases.models import Case, Ground

# The dimensions a report can group by, and the column (or expression) behind each.
DIMENSIONS: dict[str, Any] = {
    "ground": F("grounds__id"),
    "level": F("level"),
    "form": F("form"),
    "regulation": F("regulation__code"),
    "status": F("status"),
    "outcome": F("outcome"),
    "year": ExtractYear("filed_on"),
}


@dataclass(frozen=True)
class StatisticsRow:
    """One group: its dimension values (``ground`` as the stable ID), count and share."""

    values: dict[str, Any]
    count: int
    percent: float

    def __getitem__(self, key: str) -> Any:
        if key == "count":
            return self.count
        if key == "percent":
            return self.percent
        return self.values[key]


def statistics(cases: QuerySet[Case], *, by: list[str]) -> list[StatisticsRow]:
    """Counts of ``cases`` grouped by the dimensions ``by``, with each group's percent.

    One GROUP BY query. Grouping by ``ground`` counts a case once under each of its
    grounds, so the percent is of the sum of the counts (the rows add up to 100 %); for
    the other dimensions that sum is the number of cases.
    """
    unknown = [name for name in by if name not in DIMENSIONS]
    if not by or unknown:
        raise ValueError(f"group by one or more of {', '.join(DIMENSIONS)}; got {by!r}")
    keys = {f"d_{name}": DIMENSIONS[name] for name in by}
    grouped = (
        cases.order_by()
        .values(**keys)
        .annotate(n=Count("pk"))
        .order_by(*keys)
    )
    rows = list(grouped)
    if "ground" in by:
        rows = [r for r in rows if r["d_ground"] is not None]  # a case without grounds has no ground group
    total = sum(r["n"] for r in rows)
    codes: dict[int, str] = {}
    if "ground" in by:
        codes = dict(Ground.objects.filter(pk__in={r["d_ground"] for r in rows}).values_list("pk", "code"))
    out = []
    for r in rows:
        values = {name: r[f"d_{name}"] for name in by}
        if "ground" in values:
            values["ground"] = codes[values["ground"]]
        out.append(StatisticsRow(values=values, count=r["n"], percent=round(100 * r["n"] / total, 2) if total else 0.0))
    return sorted(out, key=lambda row: tuple(str(row.values[name]) for name in by))
