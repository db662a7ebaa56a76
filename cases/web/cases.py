"""The case page (everyone who may see the case), engine actions, downloads, search."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from cases.audit.events import event_label
from cases.core.errors import CaseError, NotFound
from cases.models import (
    ActorRole,
    Case,
    CaseStep,
    Decision,
    Delegation,
    Document,
    DocumentKind,
    Membership,
    OrgUnit,
    StepStatus,
    Track,
)
from cases.models.calendar import overdue_cutoff
from cases.notifications import notices
from cases.organisation import selectors
from cases.organisation.collectives import default_collective, voting_candidates
from cases.organisation.facts import consequences_after_leaving
from cases.organisation.successors import units_user_may_take_over_to
from cases.web import panel
from cases.web.common import (
    STAFF,
    apply_case_error,
    case_or_404,
    local_today,
    role_required,
    signed_in,
)
from cases.web.forms import ACTION_FORMS, ActionForm, CaseSearchForm
from cases.web.inbox import regime_choices, unit_choices
from cases.workflow import engine as workflow

SUCCESS: dict[str, Any] = {
    workflow.ATTACH_DOCUMENT: gettext_lazy("The document was attached to the dossier."),
    workflow.RECORD_TALK: gettext_lazy("The talk with the official was recorded."),
    workflow.RECORD_VOTE: gettext_lazy("The vote was recorded."),
    workflow.TAKE_OVER: gettext_lazy("The step was taken over from the abolished unit."),
    workflow.COMPLETE_STEP: gettext_lazy("The step was completed; the next step has started."),
    workflow.APPROVE: gettext_lazy(
        "The decision was recorded. The decision document is being prepared."
    ),
    workflow.REJECT: gettext_lazy("The case was rejected and closed."),
    workflow.EXTEND_DEADLINE: gettext_lazy("The time limit was extended."),
    workflow.WITHDRAW: gettext_lazy("Your application was withdrawn; the case is closed."),
    workflow.COMPLETE_IMPLEMENTATION: gettext_lazy(
        "Implementation was recorded; the case is closed."
    ),
    workflow.REASSIGN: gettext_lazy("The step was reassigned."),
}


@dataclass
class StepRow:
    step: CaseStep
    state: str  # done / current / next / cancelled
    acted_by: str


def step_rows(case: Case) -> list[StepRow]:
    rows = []
    for step in case.steps.select_related(
        "template",
        "template__time_limit",
        "actor_unit",
        "completed_by",
        "assignee",
        "track",
        "track__regulation",
        "track__deciding_unit",
        "track__approving_unit",
    ):
        if step.status == StepStatus.DONE:
            state = "done"
        elif step.status == StepStatus.ACTIVE:
            state = "current"
        elif step.status == StepStatus.CANCELLED:
            state = "cancelled"
        else:
            state = "next"
        who = ""
        if step.completed_by is not None:
            who = step.completed_by.get_full_name() or step.completed_by.get_username()
        rows.append(StepRow(step=step, state=state, acted_by=who))
    return rows


def current_step(case: Case) -> CaseStep | None:
    return (
        case.steps.filter(status=StepStatus.ACTIVE)
        .select_related("template", "template__time_limit", "actor_unit", "assignee")
        .first()
    )


def eligible_assignees(case: Case, step: CaseStep) -> list[tuple[int, str]]:
    """Members of the step's body with the step's role (and deputies under delegation)."""
    today = local_today()
    role = step.actor_role
    users: dict[int, str] = {}
    memberships = (
        Membership.objects.current(on=today)
        .filter(unit=step.actor_unit, role=role)
        .select_related("user")
    )
    for membership in memberships:
        users[membership.user.pk] = (
            membership.user.get_full_name() or membership.user.get_username()
        )
    if role == ActorRole.AUTHORITY:
        for delegation in (
            Delegation.objects.current(on=today)
            .filter(unit=step.actor_unit)
            .select_related("deputy")
        ):
            users[delegation.deputy.pk] = (
                delegation.deputy.get_full_name() or delegation.deputy.get_username()
            )
    subject_user = case.official.user_id
    return sorted(
        ((pk, name) for pk, name in users.items() if pk not in (subject_user, step.assignee_id)),
        key=lambda pair: pair[1],
    )


@dataclass
class VoteRoster:
    """The body that votes at the step today: its roster size and quorum (MDL-COL-2, 6)."""

    members: int
    quorum: int | None
    quorum_numerator: int | None
    quorum_denominator: int | None


def _vote_roster(case: Case, step: CaseStep | None) -> VoteRoster | None:
    """The roster size of the body that votes at the step today (MDL-COL-2), and the
    members who must be present when the body has a quorum (MDL-COL-6)."""

    if step is None or not step.template.requires_vote:
        return None
    today = timezone.localdate()
    unit = case.deciding_unit if step.template.vote_collective == "deciding" else step.actor_unit
    body = default_collective(step.template, unit, today)
    if body is None:
        return None
    members = body.size_on(today)
    return VoteRoster(
        members=members,
        quorum=body.quorum_of(members),
        quorum_numerator=body.quorum_numerator,
        quorum_denominator=body.quorum_denominator,
    )


def vote_collective_choices(case: Case, step: CaseStep) -> list[tuple[int, str]]:
    """The bodies that may vote at the step today, each with its roster size (shown, not typed)."""

    today = timezone.localdate()
    unit = case.deciding_unit if step.template.vote_collective == "deciding" else step.actor_unit
    return [
        (
            body.pk,
            str(
                _("%(name)s — %(n)s members on %(date)s")
                % {"name": body.name, "n": body.size_on(today), "date": today.strftime("%d/%m/%Y")}
            ),
        )
        for body in voting_candidates(step.template, unit, today)
    ]


def make_action_form(
    name: str, case: Case, user: Any, step: CaseStep | None, data: Any = None, files: Any = None
) -> ActionForm:
    cls = ACTION_FORMS[name]
    kwargs: dict[str, Any] = {}
    if name == workflow.ATTACH_DOCUMENT and workflow.is_subject(user, case):
        kwargs["kinds"] = [(k.value, k.label) for k in workflow.attachable_kinds(subject=True)]
    if name == workflow.REASSIGN:
        kwargs["members"] = eligible_assignees(case, step) if step is not None else []
    if name == workflow.RECORD_VOTE and step is not None:
        kwargs["collectives"] = vote_collective_choices(case, step)
    if name == workflow.TAKE_OVER and step is not None:
        kwargs["units"] = [
            (u.pk, u.name)
            for u in units_user_may_take_over_to(user, step.actor_unit, timezone.localdate())
        ]
    initial = {"step_id": step.pk if step is not None else None}
    form = cls(data, files, initial=initial, prefix=name, **kwargs)
    return form


@dataclass
class TrackPanel:
    """One track of the case page (MDL-TRK-9: its own form, regime, steps and decision)."""

    track: Track
    rows: list[StepRow]
    decision: Decision | None
    document: Document | None
    signer_line: str = ""


def track_panels(
    rows: list[StepRow], decisions: list[Decision], documents: list[Document]
) -> list[TrackPanel]:
    """The tracks side by side, from rows, decisions and documents already read."""
    panels: dict[int, TrackPanel] = {}
    for row in rows:
        track = row.step.track
        if track is None:
            continue
        panel = panels.setdefault(track.pk, TrackPanel(track, [], None, None))
        panel.rows.append(row)
    for decision in decisions:
        if decision.track_id in panels:
            panels[decision.track_id].decision = decision
    step_track = {row.step.pk: row.step.track_id for row in rows}
    for document in documents:
        track_id = step_track.get(document.step_id) if document.step_id is not None else None
        if document.kind == DocumentKind.DECISION and track_id is not None and track_id in panels:
            panels[track_id].document = document  # the newest wins
    return sorted(panels.values(), key=lambda p: p.track.order)


@dataclass
class ActionBlock:
    spec: workflow.ActionSpec
    form: ActionForm
    open: bool


def case_context(
    request: HttpRequest, case: Case, *, bound: ActionForm | None = None
) -> dict[str, Any]:
    user = request.user
    step = current_step(case)
    specs = workflow.available_actions(case, user)
    blocks = []
    for spec in specs:
        if bound is not None and bound.action_name == spec.name:
            blocks.append(ActionBlock(spec, bound, True))
        else:
            blocks.append(ActionBlock(spec, make_action_form(spec.name, case, user, step), False))
    orphan = (
        bound if bound is not None and bound.action_name not in {s.name for s in specs} else None
    )
    documents = list(case.documents.select_related("uploaded_by").order_by("created_at", "pk"))
    decisions = list(
        Decision.objects.filter(case=case)
        .select_related("issuing_unit", "on_behalf_of")
        .order_by("decided_on", "pk")
    )
    decision = decisions[0] if decisions else None
    rows = step_rows(case)
    tracks = track_panels(rows, decisions, documents)
    decision_document = next(
        (d for d in reversed(documents) if d.kind == DocumentKind.DECISION), None
    )
    # MDL-TRK-5: with two tracks each track's act is shown (banner and decision cards);
    # the case's single decision would be only the first track's.
    track_decisions = [t for t in tracks if t.decision is not None] if len(tracks) > 1 else []
    for t in track_decisions:
        assert t.decision is not None
        t.signer_line = panel.signer_line(t.decision)
    if track_decisions:
        decision, decision_document = None, None
    events = list(selectors.timeline(case))
    is_subject = workflow.is_subject(user, case)
    checklist = None if is_subject else panel.step_checklist(case, step)
    primary, secondary = panel.split_actions(blocks, checklist)
    draft = None
    if (
        primary is not None
        and primary.spec.name == workflow.APPROVE
        and step is not None
        and checklist is not None
        and checklist.complete
    ):
        draft = panel.draft_decision(case, step, user, local_today())
    return {
        "checklist": checklist,
        "primary": primary,
        "secondary": secondary,
        "draft": draft,
        "official_status": panel.official_status(case, step) if is_subject else "",
        "case": case,
        "grounds": list(case.grounds.all().order_by("code")),
        "step_rows": rows,
        # Two or more tracks are shown side by side (templates/cases/_tracks.html).
        "tracks": tracks if len(tracks) > 1 else [],
        "current": step,
        "actions": blocks,
        "orphan_form": orphan,
        "documents": panel.document_rows(case, documents),
        "signer_line": panel.signer_line(decision) if decision is not None else "",
        "votes": list(
            case.votes.select_related(
                "step", "step__template", "recorded_by", "collective"
            ).order_by("recorded_at")
        ),
        "decision": decision,
        "decision_document": decision_document,
        "track_decisions": track_decisions,
        "events": [(e, event_label(e.action)) for e in events],
        "is_subject": is_subject,
        "today": local_today(),
        # Issue #14: review notes for administrators only; abolished units; consequences.
        "is_admin": selectors.is_admin(user),
        "abolished_unit": (
            step.actor_unit
            if step is not None and not step.actor_unit.is_valid_on(local_today())
            else None
        ),
        "consequences": consequences_after_leaving(case),
        **_vote_context(case, step),
    }


def _vote_context(case: Case, step: CaseStep | None) -> dict[str, Any]:
    roster = _vote_roster(case, step)
    return {
        "vote_members": roster.members if roster is not None else None,
        "vote_quorum": roster if roster is not None and roster.quorum is not None else None,
    }


@require_GET
@signed_in
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    case = case_or_404(request, pk)
    return render(request, "cases/case_detail.html", case_context(request, case))


@require_POST
@signed_in
def case_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    case = case_or_404(request, pk)
    if action not in ACTION_FORMS:
        raise Http404(_("Unknown action."))
    form = make_action_form(
        action, case, request.user, current_step(case), request.POST, request.FILES
    )
    status = 400
    if form.is_valid():
        try:
            workflow.perform(
                case_id=case.pk,
                user=request.user,
                action=action,
                step_id=form.cleaned_data.get("step_id"),
                reason=form.engine_reason(),
                data=form.engine_data(),
                upload=form.engine_upload(),
            )
        except NotFound as exc:
            raise Http404(str(exc.message)) from exc
        except CaseError as exc:
            apply_case_error(form, exc)
            status = exc.http_status
        else:
            messages.success(request, str(SUCCESS[action]))
            return redirect(reverse("case_detail", args=[case.pk]))
    case = case_or_404(request, pk)
    return render(
        request, "cases/case_detail.html", case_context(request, case, bound=form), status=status
    )


@require_GET
@signed_in
def draft_decision_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The decision as it would be issued now, for the authority who may sign it."""
    case = case_or_404(request, pk)
    step = current_step(case)
    offered = {spec.name for spec in workflow.available_actions(case, request.user)}
    if step is None or workflow.APPROVE not in offered:
        raise Http404(_("There is no decision for you to sign on this case now."))
    body = panel.draft_decision_pdf(case, step, request.user, local_today())
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="du-thao-{case.reference}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
@signed_in
def document_download(request: HttpRequest, pk: int, document_pk: int) -> FileResponse:
    case = case_or_404(request, pk)
    document = get_object_or_404(Document, pk=document_pk, case=case)
    try:
        handle = document.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404(_("The file is missing from storage.")) from exc
    response = FileResponse(
        handle, as_attachment=True, filename=document.filename, content_type=document.content_type
    )
    response["Cache-Control"] = "private, no-store"
    return response


# --- search and overdue (staff) ---------------------------------------------------------------


def search_cases(user: Any, form: CaseSearchForm, today: datetime.date) -> Any:
    cases = selectors.cases_visible_to(user).select_related(
        "official",
        "position",
        "regulation",
        "employing_unit",
        "current_step",
        "current_step__template",
    )
    if not form.is_valid():
        return cases.none()
    data = form.cleaned_data
    unit = OrgUnit.objects.filter(pk=data["unit"]).first() if data.get("unit") else None
    return selectors.filter_cases(
        cases,
        text=data.get("q"),
        form=data.get("form"),
        regulation_code=data.get("regime"),
        status=data.get("status"),
        level=data.get("level"),
        unit=unit,
        # The box asks for "only overdue"; unticked means every case, not "none overdue".
        overdue=True if data.get("overdue") else None,
        ground_code=data.get("ground"),
        filed_from=data.get("filed_from"),
        filed_to=data.get("filed_to"),
        today=today,
    ).order_by("-filed_on", "-pk")


@require_GET
@role_required(*STAFF)
def case_search(request: HttpRequest) -> HttpResponse:
    today = local_today()
    form = CaseSearchForm(request.GET, regimes=regime_choices(), units=unit_choices(request.user))
    page = Paginator(search_cases(request.user, form, today), 25).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "cases/case_search.html",
        {"form": form, "page": page, "query": query.urlencode(), "today": today},
    )


@require_GET
@role_required(*STAFF)
def overdue(request: HttpRequest) -> HttpResponse:
    today = local_today()
    visible = selectors.cases_visible_to(request.user).values("pk")
    steps = (
        CaseStep.objects.filter(
            status=StepStatus.ACTIVE, due_on__lte=overdue_cutoff(today), case__in=visible
        )
        .select_related(
            "case", "case__official", "case__position", "template", "actor_unit", "assignee"
        )
        .order_by("due_on", "case__filed_on")
    )
    return render(request, "cases/overdue.html", {"steps": list(steps), "today": today})


# --- notifications --------------------------------------------------------------------------


@require_GET
@signed_in
def notifications(request: HttpRequest) -> HttpResponse:
    items = notices.notifications_of(request.user)
    page = Paginator(items, 30).get_page(request.GET.get("page"))
    return render(request, "cases/notifications.html", {"page": page})


@require_POST
@login_required
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        notices.mark_read(user=request.user, notification_id=pk)
    except NotFound as exc:
        raise Http404(str(exc.message)) from None
    return redirect("notifications")


@require_POST
@login_required
def notifications_read_all(request: HttpRequest) -> HttpResponse:
    if notices.mark_all_read(user=request.user):
        messages.success(request, _("All notifications are marked as read."))
    return redirect("notifications")
