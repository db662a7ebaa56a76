"""Reports over cases: counts, shares, decision times and late steps, grouped in SQL.

Selectors like those in ``selectors``: each reads an already scoped queryset (pass
``cases_visible_to(user)``, narrowed with ``filter_report_cases``) and never writes.

Counting rules (the API schema and the dashboard say the same):

* ``total`` is the number of distinct cases.
* Grouping by ``ground`` counts a case once under each of its grounds, so the ground
  rows can add up to more than ``total``; grouping by ``track`` or ``track_regulation``
  likewise counts a case once under each of its tracks (MDL-TRK-1; a case without track
  rows, imported or from before tracks, is one track of its own regulation's kind); every ``percent`` is of ``total`` (the number of
  cases), so ground percentages can add up to more than 100.
* Percentages have two decimals, rounded half up on ``Decimal`` (1/3 → 33.33, 2/3 → 66.67).
* Levels are those at the time of the case (``Case.level``); with ``levels="current"`` a
  historic district case is rolled up to the level of its unit's parent (its province).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Case as Switch
from django.db.models import (
    CharField,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Coalesce, ExtractYear, TruncDate
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from cases.models import (
    Case,
    CaseOutcome,
    CaseStatus,
    CaseStep,
    Form,
    Ground,
    Level,
    OrgUnit,
    Regulation,
    StepStatus,
    TrackKind,
)

DIMENSIONS: tuple[str, ...] = (
    "ground",
    "level",
    "year",
    "form",
    "regulation",
    "outcome",
    "status",
    "track",
    "track_regulation",
)
LEVEL_VIEWS: tuple[str, ...] = ("event", "current")
DATE_BASES: tuple[str, ...] = ("filed", "decided")
HUNDRED = Decimal(100)
CENT = Decimal("0.01")
TENTH = Decimal("0.1")

# The columns of the national table in each view of the levels (docs/domain.md, levels).
LEVELS_AT_THE_TIME: tuple[str, ...] = (
    Level.CENTRAL,
    Level.PROVINCIAL,
    Level.DISTRICT,
    Level.COMMUNE,
)
LEVELS_NOW: tuple[str, ...] = (Level.CENTRAL, Level.PROVINCIAL, Level.COMMUNE)


def percent(part: int, whole: int) -> Decimal:
    """``part`` as a percentage of ``whole``: two decimals, rounded half up (0 when empty)."""
    if not whole:
        return Decimal("0.00")
    return (Decimal(part) * HUNDRED / Decimal(whole)).quantize(CENT, rounding=ROUND_HALF_UP)


def _days(value: Decimal) -> Decimal:
    return value.quantize(TENTH, rounding=ROUND_HALF_UP)


# --------------------------------------------------------------------------- filters


@dataclass(frozen=True)
class ReportFilters:
    """What the dashboard, the exports and the API narrow the cases by."""

    form: str = ""
    regulation: str = ""
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    unit: OrgUnit | None = None
    # Which date ``from``/``to`` and the ``year`` dimension read: filing or decision.
    date_basis: str = "filed"
    levels: str = "event"

    @property
    def date_field(self) -> str:
        return "decided_on" if self.date_basis == "decided" else "filed_on"

    def as_query(self) -> dict[str, str]:
        """The filters as query-string parameters (for export links)."""
        out = {
            "form": self.form,
            "regulation": self.regulation,
            "from": self.date_from.isoformat() if self.date_from else "",
            "to": self.date_to.isoformat() if self.date_to else "",
            "unit": str(self.unit.pk) if self.unit else "",
            "date": self.date_basis if self.date_basis != "filed" else "",
            "levels": self.levels if self.levels != "event" else "",
        }
        return {k: v for k, v in out.items() if v}


def filter_report_cases(cases: QuerySet[Case], filters: ReportFilters) -> QuerySet[Case]:
    """Narrow an already scoped queryset; ``unit`` covers its whole subtree."""
    if filters.form:
        cases = cases.filter(form=filters.form)
    if filters.regulation:
        cases = cases.filter(regulation__code=filters.regulation)
    if filters.date_from is not None:
        cases = cases.filter(**{f"{filters.date_field}__gte": filters.date_from})
    if filters.date_to is not None:
        cases = cases.filter(**{f"{filters.date_field}__lte": filters.date_to})
    if filters.unit is not None:
        cases = cases.filter(
            Q(employing_unit__path__startswith=filters.unit.path)
            | Q(deciding_unit__path__startswith=filters.unit.path)
        )
    return cases


def level_expression(levels: str = "event") -> Any:
    """``Case.level``, or with ``current`` a district rolled up to its unit's parent."""
    if levels != "current":
        return F("level")
    return Switch(
        When(
            level=Level.DISTRICT,
            employing_unit__level=Level.DISTRICT,
            employing_unit__parent__isnull=False,
            then=F("employing_unit__parent__level"),
        ),
        When(level=Level.DISTRICT, then=Value(Level.PROVINCIAL)),
        default=F("level"),
        output_field=CharField(),
    )


def _dimension(name: str, *, levels: str, date_field: str) -> Any:
    return {
        "ground": F("grounds__code"),
        "level": level_expression(levels),
        "year": ExtractYear(date_field),
        "form": F("form"),
        "regulation": F("regulation__code"),
        "outcome": F("outcome"),
        "status": F("status"),
        "track": Coalesce(F("tracks__kind"), F("regulation__track")),
        "track_regulation": Coalesce(F("tracks__regulation__code"), F("regulation__code")),
    }[name]


# --------------------------------------------------------------------------- statistics


@dataclass(frozen=True)
class StatisticsRow:
    """One group: its dimension values (``ground`` as the stable ID), count and percent."""

    values: dict[str, Any]
    count: int
    percent: Decimal

    def __getitem__(self, key: str) -> Any:
        if key == "count":
            return self.count
        if key == "percent":
            return self.percent
        return self.values[key]

    def as_dict(self) -> dict[str, Any]:
        return {**self.values, "count": self.count, "percent": self.percent}


@dataclass(frozen=True)
class Statistics:
    total: int
    by: tuple[str, ...]
    rows: list[StatisticsRow]

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[StatisticsRow]:
        return iter(self.rows)

    def as_dict(self) -> dict[str, Any]:
        return {"total": self.total, "rows": [r.as_dict() for r in self.rows]}


_NUMBER = re.compile(r"(\d+)")


def _natural(text: str) -> tuple[Any, ...]:
    return tuple(int(p) if p.isdigit() else p for p in _NUMBER.split(text))


def _regulation_order() -> dict[str, int]:
    order: dict[str, int] = {}
    for code in Regulation.objects.order_by("in_force_from").values_list("code", flat=True):
        order.setdefault(code, len(order))
    return order


def _sort_key(name: str, value: Any, regulations: dict[str, int]) -> tuple[Any, ...]:
    if value is None:
        return (1,)
    if name == "level":
        return (0, LEVELS_AT_THE_TIME.index(value) if value in LEVELS_AT_THE_TIME else 9)
    if name == "form":
        return (0, Form.values.index(value) if value in Form.values else 9)
    if name in ("regulation", "track_regulation"):
        return (0, regulations.get(value, 99))
    if name == "track":
        return (0, TrackKind.values.index(value) if value in TrackKind.values else 9)
    if name == "ground":
        prefix = str(value).split("-", 1)[0]
        return (0, regulations.get(prefix, 99), _natural(str(value)))
    if name == "outcome":
        return (0, CaseOutcome.values.index(value) if value in CaseOutcome.values else 9)
    if name == "status":
        return (0, CaseStatus.values.index(value) if value in CaseStatus.values else 9)
    return (0, value)


def statistics(
    cases: QuerySet[Case],
    *,
    by: Sequence[str],
    levels: str = "event",
    date_basis: str = "filed",
) -> Statistics:
    """Counts of ``cases`` grouped by the dimensions ``by`` (one GROUP BY query), each
    with its percent of ``total`` (the number of cases). Without ``by``: one row, all cases.

    Grouping by ``ground`` counts a case under each of its grounds (rows can add up to
    more than ``total``); a case without a ground has no ground row.
    """
    names = tuple(dict.fromkeys(by))
    unknown = [name for name in names if name not in DIMENSIONS]
    if unknown:
        raise ValueError(f"group by one or more of {', '.join(DIMENSIONS)}; got {list(by)!r}")
    date_field = "decided_on" if date_basis == "decided" else "filed_on"
    base = cases.order_by()
    total = base.count()
    if not names:
        return Statistics(
            total, (), [StatisticsRow({}, total, percent(total, total))] if total else []
        )
    keys = {f"d_{name}": _dimension(name, levels=levels, date_field=date_field) for name in names}
    grouped = base.values(**keys).annotate(n=Count("pk")).order_by()
    regulations = _regulation_order()
    rows = []
    for r in grouped:
        values = {name: r[f"d_{name}"] for name in names}  # type: ignore[literal-required]  # the stubs know only the literal keys of .values() ("n")
        if "ground" in names and values["ground"] is None:
            continue
        count = int(r["n"])
        rows.append(StatisticsRow(values, count, percent(count, total)))
    rows.sort(key=lambda row: tuple(_sort_key(n, row.values[n], regulations) for n in names))
    return Statistics(total, names, rows)


def outcome_counts(cases: QuerySet[Case]) -> Statistics:
    """Cases by outcome ("" is pending: not decided yet)."""
    return statistics(cases, by=["outcome"])


# --------------------------------------------------------------------------- decision times


@dataclass(frozen=True)
class DecisionTime:
    form: str
    regulation: str
    cases: int
    median_days: Decimal
    p90_days: Decimal

    def as_dict(self) -> dict[str, Any]:
        return {
            "form": self.form,
            "regulation": self.regulation,
            "cases": self.cases,
            "median_days": self.median_days,
            "p90_days": self.p90_days,
        }


def _percentile(ordered: QuerySet[Any], n: int, p: Decimal) -> Decimal:
    """The p-th quantile with linear interpolation between the closest ranks (as
    PostgreSQL's ``percentile_cont``), reading only the two neighbouring rows in SQL."""
    position = p * (n - 1)
    low = int(position)
    values = [Decimal(v.days) for v in ordered[low : low + 2]]
    if len(values) == 1 or position == low:
        return values[0]
    return values[0] + (values[1] - values[0]) * (position - low)


def decision_times(cases: QuerySet[Case]) -> list[DecisionTime]:
    """Calendar days from filing to decision, per form and regulation: median and 90th
    percentile over the decided cases (those with a decision date)."""
    decided = (
        cases.order_by()
        .filter(decided_on__isnull=False)
        .annotate(
            duration=ExpressionWrapper(
                F("decided_on") - F("filed_on"), output_field=DurationField()
            )
        )
    )
    groups = decided.values("form", "regulation__code").annotate(n=Count("pk")).order_by()
    regulations = _regulation_order()
    out = []
    for g in sorted(
        groups,
        key=lambda g: (Form.values.index(g["form"]), regulations.get(g["regulation__code"], 99)),
    ):
        ordered = (
            decided.filter(form=g["form"], regulation__code=g["regulation__code"])
            .order_by("duration", "pk")
            .values_list("duration", flat=True)
        )
        out.append(
            DecisionTime(
                form=g["form"],
                regulation=g["regulation__code"],
                cases=g["n"],
                median_days=_days(_percentile(ordered, g["n"], Decimal("0.5"))),
                p90_days=_days(_percentile(ordered, g["n"], Decimal("0.9"))),
            )
        )
    return out


# --------------------------------------------------------------------------- late steps


@dataclass(frozen=True)
class LateStep:
    code: str
    name: str
    completed: int
    late: int
    late_percent: Decimal
    overdue_now: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "step": self.code,
            "name": self.name,
            "completed": self.completed,
            "late": self.late,
            "late_percent": self.late_percent,
            "overdue_now": self.overdue_now,
        }


def late_steps(cases: QuerySet[Case], *, today: datetime.date | None = None) -> list[LateStep]:
    """Per step (its stable ID): the steps completed while they had a due date, how many
    were completed after it (late, by the local completion date), and the share late; plus
    the steps still open past their due date today."""
    day = today or timezone.localdate()
    steps = CaseStep.objects.filter(case__in=cases.order_by().values("pk")).annotate(
        completed_on=TruncDate("completed_at")
    )
    with_due = Q(completed_at__isnull=False, due_on__isnull=False)
    grouped = (
        steps.values("template__code", "template__name_vi", "template__name_en", "template__order")
        .annotate(
            completed=Count("pk", filter=with_due),
            late=Count("pk", filter=with_due & Q(completed_on__gt=F("due_on"))),
            overdue_now=Count("pk", filter=Q(status=StepStatus.ACTIVE, due_on__lt=day)),
        )
        .order_by()
    )

    english = (get_language() or "vi").startswith("en")
    regulations = _regulation_order()
    out = [
        LateStep(
            code=g["template__code"],
            name=g["template__name_en"] if english else g["template__name_vi"],
            completed=g["completed"],
            late=g["late"],
            late_percent=percent(g["late"], g["completed"]),
            overdue_now=g["overdue_now"],
        )
        for g in grouped
        if g["completed"] or g["overdue_now"]
    ]
    out.sort(key=lambda s: (regulations.get(s.code.split("-", 1)[0], 99), _natural(s.code)))
    return out


# --------------------------------------------------------------------------- national table


@dataclass(frozen=True)
class Cell:
    count: int
    row_percent: Decimal
    column_percent: Decimal


@dataclass(frozen=True)
class TableRow:
    ground: str
    text: str
    cells: list[Cell]
    total: int
    total_percent: Decimal


@dataclass(frozen=True)
class NationalTable:
    """Grounds of one form and regulation × levels; see ``national_table``."""

    form: str
    regulation: str
    levels: tuple[str, ...]
    rows: list[TableRow]
    column_totals: list[int]
    grand_total: int
    cases_per_level: list[int]
    cases_total: int
    level_view: str = "event"
    notes: list[str] = field(default_factory=list)

    @property
    def footer(self) -> list[Cell]:
        """The totals row: each level's total, its share of the grand total, and 100 %."""
        return [Cell(n, percent(n, self.grand_total), percent(n, n)) for n in self.column_totals]

    @property
    def grand_percent(self) -> Decimal:
        return percent(self.grand_total, self.grand_total)

    def as_dict(self) -> dict[str, Any]:
        return {
            "form": self.form,
            "regulation": self.regulation,
            "levels": list(self.levels),
            "rows": [
                {
                    "ground": r.ground,
                    "text": r.text,
                    "cells": [
                        {
                            "level": lv,
                            "count": c.count,
                            "row_percent": c.row_percent,
                            "column_percent": c.column_percent,
                        }
                        for lv, c in zip(self.levels, r.cells, strict=True)
                    ],
                    "total": r.total,
                    "total_percent": r.total_percent,
                }
                for r in self.rows
            ],
            "column_totals": [
                {"level": lv, "count": n, "percent": percent(n, self.grand_total)}
                for lv, n in zip(self.levels, self.column_totals, strict=True)
            ],
            "grand_total": self.grand_total,
            "cases_per_level": [
                {"level": lv, "count": n}
                for lv, n in zip(self.levels, self.cases_per_level, strict=True)
            ],
            "cases_total": self.cases_total,
        }


def national_table(
    cases: QuerySet[Case], *, form: str, regulation: str, levels: str = "event"
) -> NationalTable:
    """The central organizing committee's table for one form and regulation.

    Rows are every ground of that form in the regulation (catalog order, zero rows kept),
    columns the levels (four at the time of the case; three when rolled up to the current
    structure). A cell counts the cases at that level filed on that ground; its row
    percent is of the row total and its column percent of the column total, where totals
    count ground mentions (a case on two grounds is in two rows). ``cases_per_level``
    counts each case once.
    """
    columns = LEVELS_NOW if levels == "current" else LEVELS_AT_THE_TIME
    scoped = cases.filter(form=form, regulation__code=regulation)
    stats = statistics(scoped, by=["ground", "level"], levels=levels)
    per_level = statistics(scoped, by=["level"], levels=levels)
    counts = {(r.values["ground"], r.values["level"]): r.count for r in stats.rows}
    grounds = list(
        Ground.objects.filter(
            regulation__version__is_current=True, regulation__code=regulation, form=form
        )
    )
    known = {g.code for g in grounds}
    # A ground of an older catalog version that cases still carry keeps its own row.
    extra = sorted({g for g, _lv in counts if g not in known}, key=_natural)
    regs = _regulation_order()
    grounds.sort(key=lambda g: _sort_key("ground", g.code, regs))
    row_specs = [(g.code, g.text) for g in grounds] + [(code, "") for code in extra]
    column_totals = [sum(counts.get((code, lv), 0) for code, _t in row_specs) for lv in columns]
    grand = sum(column_totals)
    rows = []
    for code, text in row_specs:
        values = [counts.get((code, lv), 0) for lv in columns]
        total = sum(values)
        rows.append(
            TableRow(
                ground=code,
                text=text,
                cells=[
                    Cell(n, percent(n, total), percent(n, column_totals[i]))
                    for i, n in enumerate(values)
                ],
                total=total,
                total_percent=percent(total, grand),
            )
        )
    level_cases = {r.values["level"]: r.count for r in per_level.rows}
    return NationalTable(
        form=form,
        regulation=regulation,
        levels=columns,
        rows=rows,
        column_totals=column_totals,
        grand_total=grand,
        cases_per_level=[level_cases.get(lv, 0) for lv in columns],
        cases_total=per_level.total,
        level_view=levels,
    )


COUNTING_NOTE = _(
    "Total is the number of cases. A case filed on two grounds is counted under each of "
    "them, so ground rows can add up to more than the total, and their percentages "
    "(each of the total) to more than 100 percent. Percentages have two decimals, rounded half up."
)


# --------------------------------------------------------------------------- dashboard tables


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    numeric: bool = False


@dataclass(frozen=True)
class ReportTable:
    """One table of the dashboard: what its chart draws, and what CSV and XLSX export."""

    key: str
    title: str
    columns: list[Column]
    rows: list[list[Any]]
    chart: dict[str, Any] | None = None
    note: str = ""

    @property
    def cells(self) -> list[list[tuple[Any, bool]]]:
        """Each row as (value, is numeric) pairs, for templates."""
        flags = [c.numeric for c in self.columns]
        return [list(zip(row, flags, strict=True)) for row in self.rows]

    @property
    def count_index(self) -> int:
        """The column of the counts, kept in view on a phone (-1 when there is none)."""
        numeric = [i for i, c in enumerate(self.columns) if c.numeric]
        return numeric[0] if numeric else -1


TABLE_KEYS: tuple[str, ...] = (
    "grounds-levels",
    "years-forms",
    "outcomes",
    "decision-times",
    "late-steps",
)


def _label(choices: Any, value: Any) -> str:
    if value in (None, ""):
        return str(_("Pending")) if choices is CaseOutcome else "—"
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value)


def _pivot(
    rows: list[StatisticsRow],
    label_key: str,
    series_key: str,
    series: Sequence[str],
    series_choices: Any,
    label_text: Any = str,
) -> dict[str, Any]:
    labels = list(dict.fromkeys(r.values[label_key] for r in rows))
    counts = {(r.values[label_key], r.values[series_key]): r.count for r in rows}
    return {
        "labels": [label_text(v) for v in labels],
        "series": [
            {"name": _label(series_choices, s), "values": [counts.get((v, s), 0) for v in labels]}
            for s in series
        ],
    }


def dashboard_tables(
    cases: QuerySet[Case],
    filters: ReportFilters,
    *,
    today: datetime.date | None = None,
    only: str | None = None,
) -> list[ReportTable]:
    """The dashboard's tables (and their charts) over already scoped, filtered cases;
    with ``only``, just that one (for an export)."""
    builders = {
        "grounds-levels": _grounds_levels_table,
        "years-forms": _years_forms_table,
        "outcomes": _outcomes_table,
        "decision-times": _decision_times_table,
        "late-steps": _late_steps_table,
    }
    keys = [only] if only else list(builders)
    return [builders[key](cases, filters, today) for key in keys if key in builders]


def _grounds_levels_table(
    cases: QuerySet[Case], filters: ReportFilters, today: datetime.date | None
) -> ReportTable:
    levels = LEVELS_NOW if filters.levels == "current" else LEVELS_AT_THE_TIME
    ground_texts = {
        g.code: g.text for g in Ground.objects.filter(regulation__version__is_current=True)
    }
    by_ground = statistics(
        cases, by=["ground", "level"], levels=filters.levels, date_basis=filters.date_basis
    )
    return ReportTable(
        key="grounds-levels",
        title=str(_("Cases by ground and level")),
        columns=[
            Column("ground", str(_("Ground"))),
            Column("text", str(_("Ground text"))),
            Column("level", str(_("Level"))),
            Column("count", str(_("Cases")), numeric=True),
            Column("percent", str(_("Share of all cases (%)")), numeric=True),
        ],
        rows=[
            [
                r["ground"],
                ground_texts.get(r["ground"], ""),
                _label(Level, r["level"]),
                r.count,
                r.percent,
            ]
            for r in by_ground
        ],
        chart={
            "kind": "horizontal",
            "stacked": True,
            "unit": str(_("cases")),
            "integer": True,
            # The chart names each ground by its text, not its code (the table has both).
            **_pivot(
                by_ground.rows,
                "ground",
                "level",
                levels,
                Level,
                label_text=lambda code: ground_texts.get(code) or code,
            ),
        },
        note=str(COUNTING_NOTE),
    )


def _years_forms_table(
    cases: QuerySet[Case], filters: ReportFilters, today: datetime.date | None
) -> ReportTable:
    by_year = statistics(
        cases, by=["year", "form"], levels=filters.levels, date_basis=filters.date_basis
    )
    return ReportTable(
        key="years-forms",
        title=str(_("Cases per year by form")),
        columns=[
            Column("year", str(_("Year"))),
            Column("form", str(_("Form"))),
            Column("count", str(_("Cases")), numeric=True),
            Column("percent", str(_("Share of all cases (%)")), numeric=True),
        ],
        rows=[
            [r["year"], _label(Form, r["form"]), r.count, r.percent]
            for r in by_year
            if r["year"] is not None
        ],
        chart={
            "kind": "vertical",
            "stacked": True,
            "unit": str(_("cases")),
            "integer": True,
            **_pivot(
                [r for r in by_year.rows if r.values["year"] is not None],
                "year",
                "form",
                Form.values,
                Form,
            ),
        },
        note=str(_("The year is that of the decision date; undecided cases are not counted."))
        if filters.date_basis == "decided"
        else str(_("The year is that of the filing date.")),
    )


def _outcomes_table(
    cases: QuerySet[Case], filters: ReportFilters, today: datetime.date | None
) -> ReportTable:
    by_outcome = outcome_counts(cases)
    return ReportTable(
        key="outcomes",
        title=str(_("Cases by outcome")),
        columns=[
            Column("outcome", str(_("Outcome"))),
            Column("count", str(_("Cases")), numeric=True),
            Column("percent", str(_("Share of all cases (%)")), numeric=True),
        ],
        rows=[[_label(CaseOutcome, r["outcome"]), r.count, r.percent] for r in by_outcome],
        chart={
            "kind": "horizontal",
            "stacked": False,
            "unit": str(_("cases")),
            "integer": True,
            "labels": [_label(CaseOutcome, r["outcome"]) for r in by_outcome],
            "series": [{"name": str(_("Cases")), "values": [r.count for r in by_outcome]}],
        },
    )


def _decision_times_table(
    cases: QuerySet[Case], filters: ReportFilters, today: datetime.date | None
) -> ReportTable:
    times = decision_times(cases)
    return ReportTable(
        key="decision-times",
        title=str(_("Time from filing to decision")),
        columns=[
            Column("form", str(_("Form"))),
            Column("regulation", str(_("Regulation"))),
            Column("cases", str(_("Decided cases")), numeric=True),
            Column("median_days", str(_("Median (days)")), numeric=True),
            Column("p90_days", str(_("90th percentile (days)")), numeric=True),
        ],
        rows=[
            [_label(Form, t.form), t.regulation, t.cases, t.median_days, t.p90_days] for t in times
        ],
        chart={
            "kind": "horizontal",
            "stacked": False,
            "unit": str(_("days")),
            "labels": [f"{_label(Form, t.form)} · {t.regulation}" for t in times],
            "series": [
                {"name": str(_("Median")), "values": [float(t.median_days) for t in times]},
                {"name": str(_("90th percentile")), "values": [float(t.p90_days) for t in times]},
            ],
        },
        note=str(
            _(
                "Calendar days from the filing date to the decision date, over the cases with a decision date."
            )
        ),
    )


def _late_steps_table(
    cases: QuerySet[Case], filters: ReportFilters, today: datetime.date | None
) -> ReportTable:
    steps = late_steps(cases, today=today)
    return ReportTable(
        key="late-steps",
        title=str(_("Steps decided late")),
        columns=[
            Column("step", str(_("Step"))),
            Column("name", str(_("Name"))),
            Column("completed", str(_("Completed with a due date")), numeric=True),
            Column("late", str(_("Completed late")), numeric=True),
            Column("late_percent", str(_("Late (%)")), numeric=True),
            Column("overdue_now", str(_("Open and overdue now")), numeric=True),
        ],
        rows=[[s.code, s.name, s.completed, s.late, s.late_percent, s.overdue_now] for s in steps],
        chart={
            "kind": "horizontal",
            "stacked": False,
            "unit": "%",
            "max": 100,
            "labels": [s.name or s.code for s in steps],
            "series": [
                {"name": str(_("Late (%)")), "values": [float(s.late_percent) for s in steps]}
            ],
        },
        note=str(
            _(
                "A step is late when it was completed after its due date (by the local date of completion). Steps without a time limit are not counted."
            )
        ),
    )
