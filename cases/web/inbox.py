"""Each user's landing page: the steps waiting for them, most urgent first."""

from __future__ import annotations

import datetime

from django.db.models import F, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from cases.models import Case, CaseStep, OrgUnit, Regulation
from cases.models.calendar import overdue_cutoff
from cases.organisation import selectors
from cases.web import panel
from cases.web.common import local_today, signed_in
from cases.web.forms import InboxFilterForm

DUE_SOON_DAYS = 3


def regime_choices() -> list[tuple[str, str]]:
    return list(
        Regulation.objects.filter(version__is_current=True)
        .order_by("in_force_from")
        .values_list("code", "symbol")
    )


def unit_choices(user: object) -> list[tuple[int, str]]:
    return [(u.pk, u.name) for u in selectors.units_visible_to(user).order_by("path")]


def unit_q(prefix: str, unit: OrgUnit) -> Q:
    return Q(**{f"{prefix}employing_unit__path__startswith": unit.path}) | Q(
        **{f"{prefix}deciding_unit__path__startswith": unit.path}
    )


def filter_steps(
    steps: QuerySet[CaseStep], form: InboxFilterForm, today: datetime.date
) -> QuerySet[CaseStep]:
    if not form.is_bound:
        return steps
    if not form.is_valid():
        # The errors are shown on the filters; a wider list than asked for would mislead.
        return steps.none()
    data = form.cleaned_data
    if data.get("form"):
        steps = steps.filter(case__form=data["form"])
    if data.get("regime"):
        steps = steps.filter(case__regulation__code=data["regime"])
    status = data.get("status")
    if status == "overdue":
        steps = steps.filter(due_on__lte=overdue_cutoff(today))
    elif status == "due_soon":
        steps = steps.filter(
            due_on__gte=today, due_on__lte=today + datetime.timedelta(days=DUE_SOON_DAYS)
        )
    elif status:
        steps = steps.filter(case__status=status)
    if data.get("unit"):
        unit = OrgUnit.objects.filter(pk=data["unit"]).first()
        if unit is not None:
            steps = steps.filter(unit_q("case__", unit))
    return steps


@require_GET
@signed_in
def inbox(request: HttpRequest) -> HttpResponse:
    today = local_today()
    units = unit_choices(request.user)
    form = InboxFilterForm(request.GET or None, regimes=regime_choices(), units=units)
    steps = filter_steps(selectors.waiting_steps_for(request.user), form, today).order_by(
        F("due_on").asc(nulls_last=True), "case__filed_on", "pk"
    )
    official = selectors.official_of(request.user)
    own_cases = (
        Case.objects.filter(official=official)
        .select_related(
            "position", "position__unit", "current_step", "current_step__template", "regulation"
        )
        .order_by("-filed_on", "-pk")
        if official is not None
        else Case.objects.none()
    )
    elsewhere = list(panel.waiting_elsewhere(request.user, today)[:50])
    return render(
        request,
        "cases/inbox.html",
        {
            "elsewhere": elsewhere,
            "steps": list(steps),
            "filter_form": form,
            "show_unit_filter": bool(units),
            "own_cases": list(own_cases),
            "today": today,
            "filtered": bool(request.GET),
        },
    )
