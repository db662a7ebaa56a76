"""The auditor's pages: a case's full history, the case on a chosen date, the chain
check and exports. Read-only: every view answers GET only.
"""

from __future__ import annotations

import csv
import datetime
import json
from dataclasses import dataclass
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from cases.audit import chain as audit
from cases.audit.events import event_label
from cases.models import Case, CaseEvent, CaseStatus, Decision, StepStatus
from cases.organisation import selectors
from cases.web.common import AUDITOR, case_or_404, role_required, state_label
from cases.web.forms import AsOfForm


def history_rows(case: Case, until: datetime.datetime | None = None) -> list[dict[str, Any]]:
    rows = []
    for event in selectors.timeline(case, until=until):
        rows.append(
            {
                "event": event,
                "label": event_label(event.action),
                "from_label": state_label(event.from_state),
                "to_label": state_label(event.to_state),
                "data_json": json.dumps(event.data, ensure_ascii=False, indent=1, sort_keys=True)
                if event.data
                else "",
            }
        )
    return rows


@require_GET
@role_required(AUDITOR)
def case_history(request: HttpRequest, pk: int) -> HttpResponse:
    case = case_or_404(request, pk)
    check = audit.verify_case_chain(case.pk) if request.GET.get("verify") else None
    return render(
        request,
        "cases/case_history.html",
        {"case": case, "rows": history_rows(case), "check": check, "as_of_form": AsOfForm()},
    )


@dataclass
class StepThen:
    code: str
    name: str
    state: str  # done / current / next / cancelled
    started_at: datetime.datetime | None
    completed_at: datetime.datetime | None
    due_on: datetime.date | None


def end_of_day(day: datetime.date) -> datetime.datetime:
    tz = timezone.get_current_timezone()
    return datetime.datetime.combine(day, datetime.time.max).replace(tzinfo=tz)


def replay(case: Case, day: datetime.date) -> dict[str, Any]:
    """The case as it stood at the end of ``day``: derived from its events and the steps'
    start and completion times (events are append-only, so the past cannot be rewritten).
    """
    cutoff = end_of_day(day)
    events = list(selectors.timeline(case, until=cutoff))
    if not events and case.filed_on <= day:
        # A case may be filed with an earlier filing date than the moment it was entered:
        # from its filing date on it exists, in the state its filing event recorded.
        events = list(selectors.timeline(case)[:1])
    last = events[-1] if events else None
    state = last.to_state if last is not None else ""
    status, _sep, rest = state.partition(":")
    closed = status == CaseStatus.CLOSED
    steps = []
    current_code = ""
    for step in case.steps.select_related("template").order_by("order"):
        if step.completed_at is not None and step.completed_at <= cutoff:
            then = "done"
        elif closed:
            then = "cancelled"
        elif (step.started_at is not None and step.started_at <= cutoff) or (
            step.started_on is not None and step.started_on <= day and last is not None
        ):
            then = "current"
            current_code = step.template.code
        else:
            then = "next"
        steps.append(
            StepThen(
                code=step.template.code,
                name=step.template.name,
                state=then,
                started_at=step.started_at
                if step.started_at and step.started_at <= cutoff
                else None,
                completed_at=step.completed_at if then == "done" else None,
                # The due date in force then is not kept per day; show the first one.
                due_on=step.original_due_on if then == "current" else None,
            )
        )
    decision = Decision.objects.filter(case=case, created_at__lte=cutoff).first()
    return {
        "exists": last is not None,
        "status_label": state_label(status) if status else "",
        "outcome_label": state_label(state) if closed else "",
        "current_code": current_code if not closed else "",
        "steps": steps,
        "events": [(e, event_label(e.action)) for e in events],
        "documents": list(case.documents.filter(created_at__lte=cutoff).order_by("created_at")),
        "votes": list(case.votes.filter(recorded_at__lte=cutoff).order_by("recorded_at")),
        "decision": decision,
    }


@require_GET
@role_required(AUDITOR)
def case_as_of(request: HttpRequest, pk: int) -> HttpResponse:
    case = case_or_404(request, pk)
    form = AsOfForm(request.GET or None)
    then = replay(case, form.cleaned_data["on"]) if form.is_valid() else None
    return render(
        request,
        "cases/case_as_of.html",
        {
            "case": case,
            "form": form,
            "then": then,
            "day": form.cleaned_data.get("on") if then else None,
        },
        status=200 if then is not None or not request.GET else 400,
    )


EXPORT_FIELDS = [
    "seq",
    "at",
    "actor",
    "actor_name",
    "action",
    "from_state",
    "to_state",
    "step_code",
    "reason",
    "data",
    "prev_hash",
    "hash",
]


def event_record(event: CaseEvent) -> dict[str, Any]:
    return {
        "seq": event.seq,
        "at": timezone.localtime(event.at).isoformat(),
        "actor": event.actor_id,
        "actor_name": event.actor_name,
        "action": event.action,
        "from_state": event.from_state,
        "to_state": event.to_state,
        "step_code": event.step_code,
        "reason": event.reason,
        "data": event.data,
        "prev_hash": event.prev_hash,
        "hash": event.hash,
    }


@require_GET
@role_required(AUDITOR)
def case_history_csv(request: HttpRequest, pk: int) -> HttpResponse:
    case = case_or_404(request, pk)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{case.reference}-history.csv"'
    response.write("\ufeff")  # so spreadsheet programs read the Vietnamese text as UTF-8
    writer = csv.DictWriter(response, fieldnames=EXPORT_FIELDS)
    writer.writeheader()
    for event in selectors.timeline(case):
        record = event_record(event)
        record["data"] = json.dumps(
            record["data"], ensure_ascii=False, sort_keys=True, cls=DjangoJSONEncoder
        )
        writer.writerow(record)
    return response


@require_GET
@role_required(AUDITOR)
def case_history_json(request: HttpRequest, pk: int) -> JsonResponse:
    case = case_or_404(request, pk)
    check = audit.verify_case_chain(case.pk)
    payload = {
        "case": case.reference,
        "form": case.form,
        "regulation": case.regulation.code,
        "status": case.status,
        "outcome": case.outcome,
        "exported_at": timezone.localtime().isoformat(),
        "chain_valid": check.valid,
        "events": [event_record(e) for e in selectors.timeline(case)],
    }
    response = JsonResponse(payload, json_dumps_params={"ensure_ascii": False, "indent": 1})
    response["Content-Disposition"] = f'attachment; filename="{case.reference}-history.json"'
    return response


__all__ = ["StepStatus"]
