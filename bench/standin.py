"""Stand-ins for the REST API's case list, case detail and inbox, used only until the API
(``cases.api``) is merged: the same selectors, a minimal JSON serialisation, 50 a page.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpRequest, JsonResponse

from cases import selectors, workflow
from cases.errors import NotFound
from cases.models import Case, CaseStep

PAGE_SIZE = 50
# Joined: the rows each case has its own of. Prefetched (one query each): the small rows many
# cases share. Past four joined tables PostgreSQL spends longer planning than running.
CASE_RELATED = ("official", "position", "current_step")
CASE_PREFETCH = (
    "regulation",
    "employing_unit",
    "deciding_unit",
    "current_step__template",
    "current_step__actor_unit",
)


def _unit(unit: Any) -> dict[str, Any]:
    return {"id": unit.pk, "code": unit.code, "name": unit.name, "level": unit.level}


def _summary(case: Case) -> dict[str, Any]:
    step = case.current_step
    return {
        "id": case.pk,
        "reference": case.reference,
        "form": case.form,
        "status": case.status,
        "outcome": case.outcome,
        "regulation": {"code": case.regulation.code, "symbol": case.regulation.symbol},
        "scope": case.scope,
        "level": case.level,
        "official": {"id": case.official_id, "full_name": case.official.full_name},
        "position": {"id": case.position_id, "title": case.position.title},
        "employing_unit": _unit(case.employing_unit),
        "deciding_unit": _unit(case.deciding_unit),
        "filed_on": case.filed_on.isoformat(),
        "current_step": None if step is None else _step(step),
        "needs_review": case.needs_review,
    }


def _step(step: CaseStep) -> dict[str, Any]:
    return {
        "id": step.pk,
        "order": step.order,
        "code": step.template.code,
        "name": step.template.name,
        "actor_role": step.actor_role,
        "actor_unit": _unit(step.actor_unit),
        "status": step.status,
        "started_on": step.started_on.isoformat() if step.started_on else None,
        "due_on": step.due_on.isoformat() if step.due_on else None,
        "is_overdue": step.is_overdue,
    }


@login_required
def case_list(request: HttpRequest) -> JsonResponse:
    """Keyset pages, newest filing first: ``?after=<filed_on>_<id>`` of the last row seen.

    No COUNT and no OFFSET, so a page costs the same on the first page and the thousandth,
    at 10 thousand cases and at a million.
    """
    cases = selectors.cases_visible_to(request.user)
    if request.GET.get("form"):
        cases = cases.filter(form=request.GET["form"])
    after = request.GET.get("after", "")
    if after:
        day, _sep, last_id = after.partition("_")
        try:
            cases = cases.filter(Q(filed_on__lt=day) | Q(filed_on=day, id__lt=int(last_id)))
        except ValueError:
            return JsonResponse({"detail": "Bad cursor."}, status=400)
    page = list(
        cases.select_related(*CASE_RELATED).prefetch_related(*CASE_PREFETCH).order_by("-filed_on", "-id")[
            : PAGE_SIZE + 1
        ]
    )
    more = len(page) > PAGE_SIZE
    page = page[:PAGE_SIZE]
    cursor = f"{page[-1].filed_on.isoformat()}_{page[-1].pk}" if more and page else None
    return JsonResponse({"next": cursor, "results": [_summary(c) for c in page]})


@login_required
def case_detail(request: HttpRequest, pk: int) -> JsonResponse:
    try:
        case = selectors.get_case_for_user(request.user, pk)
    except NotFound:
        return JsonResponse({"detail": "Not found."}, status=404)
    steps = list(case.steps.select_related("template", "actor_unit").order_by("order"))
    case.current_step = next((s for s in steps if s.pk == case.current_step_id), None)
    body = _summary(case)
    body["grounds"] = [g.code for g in case.grounds.all()]
    body["steps"] = [_step(s) for s in steps]
    body["event_count"] = case.event_count
    body["available_actions"] = [a.name for a in workflow.available_actions(case, request.user)]
    return JsonResponse(body)


@login_required
def inbox(request: HttpRequest) -> JsonResponse:
    steps = selectors.waiting_steps_for(request.user).prefetch_related(
        *(f"case__{name}" for name in ("current_step", *CASE_PREFETCH) if name != "regulation")
    )
    return JsonResponse(
        {"count": steps.count(), "results": [{**_step(s), "case": _summary(s.case)} for s in steps[:PAGE_SIZE]]}
    )
