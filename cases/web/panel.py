"""What each person sees in a case's action panel: the step checklist and its primary
action, the draft decision before signing, the official's plain-words status, and the
staff's "waiting elsewhere in my scope" list beside the inbox.
"""

from __future__ import annotations

import datetime
import io
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from pypdf import PdfReader

from cases.documents.issuing import decision_context
from cases.documents.render import render_decision
from cases.models import (
    Case,
    CaseEvent,
    CaseStatus,
    CaseStep,
    Decision,
    DecisionRegister,
    Document,
    DocumentKind,
    OrgUnit,
    Role,
    StepKind,
    StepStatus,
    TrackKind,
)
from cases.organisation import selectors
from cases.organisation.collectives import step_needs_vote
from cases.workflow import engine as workflow
from cases.workflow.actions import ActionContext
from cases.workflow.deadlines import WorkingCalendar
from cases.workflow.numbering import doc_type_of, format_symbol, signing_for

# The action that moves the case on, per kind of step; every other action is secondary.
PRIMARY_BY_KIND = {
    StepKind.DECISION: workflow.APPROVE,
    StepKind.IMPLEMENTATION: workflow.COMPLETE_IMPLEMENTATION,
}


@dataclass
class CheckItem:
    label: str
    done: bool
    failed: bool = False
    detail: str = ""
    action: str = ""  # the action that ticks it, to point at


@dataclass
class Checklist:
    items: list[CheckItem] = field(default_factory=list)
    primary: str = ""
    next_hint: str = ""

    @property
    def complete(self) -> bool:
        return all(item.done for item in self.items)

    @property
    def failed(self) -> bool:
        return any(item.failed for item in self.items)


def _fraction_text(numerator: int, denominator: int) -> str:
    if (numerator, denominator) == (1, 2):
        return _("more than half")
    if (numerator, denominator) == (2, 3):
        return _("more than two thirds")
    return _("more than %(num)s/%(den)s") % {"num": numerator, "den": denominator}


def step_checklist(case: Case, step: CaseStep | None) -> Checklist | None:
    """What the current step needs, each item ticked or not from the case's data.

    The items are the same guards as the engine's ``complete_step`` (documents, the
    vote and its threshold) plus the talk of an exchange step (R41-S-1, R377-S-1), so
    the primary action is only enabled when the engine will accept it.
    """
    if step is None or case.status == CaseStatus.CLOSED:
        return None
    template = step.template
    checklist = Checklist(
        primary=PRIMARY_BY_KIND.get(StepKind(template.kind), workflow.COMPLETE_STEP)
    )
    # R41-S-1 / R377-S-1: the Party regimes' exchange step is a talk with the official; a
    # State track's consultation (a People's Council vote) has no talk of its own.
    party_step = step.track_id is None or step.track_kind == TrackKind.PARTY
    if party_step and template.kind in (StepKind.EXCHANGE, StepKind.CONSULTATION):
        talked = CaseEvent.objects.filter(
            case=case, action=workflow.RECORD_TALK, step_code=template.code
        ).exists()
        checklist.items.append(
            CheckItem(
                label=_("The talk with the official is recorded"),
                done=talked,
                action=workflow.RECORD_TALK,
            )
        )
    kinds = set(Document.objects.filter(case=case).values_list("kind", flat=True))
    for kind in template.requires_documents:
        checklist.items.append(
            CheckItem(
                label=_("Document: %(kind)s") % {"kind": DocumentKind(kind).label},
                done=kind in kinds,
                action=workflow.RECORD_TALK
                if kind == DocumentKind.MINUTES and template.kind == StepKind.EXCHANGE
                else workflow.ATTACH_DOCUMENT,
            )
        )
    # MDL-COL-7: a vote is on the list only where the catalog says this body must vote.
    if step_needs_vote(template, step.actor_unit):
        vote = step.votes.order_by("-recorded_at", "-pk").first()
        collective = step.actor_unit.collective_name or step.actor_unit.name
        label = _("Vote of %(collective)s: %(threshold)s of all members for") % {
            "collective": collective,
            "threshold": _fraction_text(template.vote_numerator, template.vote_denominator),
        }
        if vote is None:
            checklist.items.append(CheckItem(label=label, done=False, action=workflow.RECORD_VOTE))
        else:
            detail = _("%(for)s for out of %(members)s members") % {
                "for": vote.votes_for,
                "members": vote.members,
            }
            checklist.items.append(
                CheckItem(
                    label=label,
                    done=vote.passed,
                    failed=not vote.passed,
                    detail=detail,
                    action=workflow.RECORD_VOTE,
                )
            )
            if not vote.passed:
                checklist.next_hint = _(
                    "The vote did not pass: the proposal cannot go forward. Record a new vote "
                    "if the collective votes again, or reject the case with a reason."
                )
    return checklist


def split_actions(blocks: list[Any], checklist: Checklist | None) -> tuple[Any, list[Any]]:
    """The primary action's block (if the user is offered it) and the secondary ones."""
    if checklist is None:
        return None, blocks
    primary = next((b for b in blocks if b.spec.name == checklist.primary), None)
    return primary, [b for b in blocks if b is not primary]


# --- the draft decision ---------------------------------------------------------------


@dataclass
class DraftDecision:
    symbol: str
    number: int
    text: str


def would_take_number(unit: OrgUnit, year: int) -> int:
    """The number the next decision of ``unit`` would take (read, not reserved)."""
    register = DecisionRegister.objects.filter(unit=unit, year=year).first()
    return (register.last_number if register is not None else 0) + 1


def draft_decision_pdf(case: Case, step: CaseStep, user: Any, day: datetime.date) -> bytes:
    """The decision as it would be issued if ``user`` approved it today (not stored)."""

    unit = step.actor_unit
    ctx = ActionContext(
        case=case,
        step=step,
        user=user,
        reason="",
        data={},
        upload=None,
        day=day,
        calendar=WorkingCalendar(),
    )
    prefix, on_behalf_of = signing_for(ctx, step)
    number = would_take_number(unit, day.year)
    track = step.track if step.track_id is not None else None
    draft = Decision(
        case=case,
        # MDL-TRK-3 / MDL-TRK-8: the draft is the track's own act (resolution, report).
        track=track,
        approved=True,
        issuing_unit=unit,
        number=number,
        year=day.year,
        symbol=format_symbol(number, unit, doc_type=doc_type_of(track)),
        decided_on=day,
        effective_on=day,
        signer=user,
        signer_name=user.get_full_name() or user.get_username(),
        signer_post=unit.head_title,
        prefix=prefix,
        on_behalf_of=on_behalf_of,
    )
    return render_decision(decision_context(draft))


def draft_decision(case: Case, step: CaseStep, user: Any, day: datetime.date) -> DraftDecision:

    pdf = draft_decision_pdf(case, step, user, day)
    reader = PdfReader(io.BytesIO(pdf))
    text = "\n".join(page.extract_text() or "" for page in reader.pages).strip()
    number = would_take_number(step.actor_unit, day.year)
    track = step.track if step.track_id is not None else None
    symbol = format_symbol(number, step.actor_unit, doc_type=doc_type_of(track))
    return DraftDecision(symbol=symbol, number=number, text=text)


# --- the official's panel -----------------------------------------------------------------


def official_status(case: Case, step: CaseStep | None) -> str:
    """Where the official's case stands, in plain words addressed to them."""
    if case.status == CaseStatus.CLOSED:
        return {
            "approved": _("The case is closed: the decision was made and is in force."),
            "rejected": _("The case is closed: it was not approved."),
            "withdrawn": _("The case is closed: you withdrew your application."),
        }.get(case.outcome, _("The case is closed."))
    if step is None:
        return _("The case is being prepared.")
    unit = step.actor_unit.name
    if step.template.kind in (StepKind.EXCHANGE, StepKind.CONSULTATION):
        text = _("Waiting for %(unit)s to talk with you") % {"unit": unit}
    elif step.template.kind == StepKind.DECISION:
        text = _("Waiting for %(unit)s to decide") % {"unit": unit}
    elif step.template.kind == StepKind.IMPLEMENTATION:
        text = _("Decided; %(unit)s is completing the formalities") % {"unit": unit}
    elif step.actor_role == "official":
        text = _("Waiting for you")
    else:
        text = _("Waiting for %(unit)s to examine the proposal") % {"unit": unit}
    due = step.effective_due_on
    if due is not None:
        text = _("%(text)s — due %(date)s") % {"text": text, "date": due.strftime("%d/%m/%Y")}
    return text


# --- waiting elsewhere in my scope ----------------------------------------------------------


def waiting_elsewhere(user: Any, today: datetime.date) -> QuerySet[CaseStep]:
    """Active steps of cases in the subtree of the user's clerk or authority units that
    wait at another unit of that subtree (a lower unit, or an abolished district that is
    still below the province), not at one of the user's own units."""
    if not user.is_authenticated:
        return CaseStep.objects.none()
    own: set[int] = set()
    for role in (Role.CLERK, Role.AUTHORITY):
        own.update(selectors.acting_units(user, role, on=today))
    if not own:
        return CaseStep.objects.none()
    units = list(OrgUnit.objects.filter(pk__in=own))
    below = Q(pk__in=[])
    for unit in units:
        below |= Q(actor_unit__path__startswith=unit.path)
    return (
        CaseStep.objects.filter(status=StepStatus.ACTIVE)
        .filter(below)
        .filter(Q(case__in=selectors.cases_visible_to(user).values("pk")))
        .exclude(actor_unit_id__in=own)
        .exclude(case__official__user=user)
        .select_related("case", "case__official", "case__position", "template", "actor_unit")
        .order_by("due_on", "case__filed_on", "pk")
    )


# --- words on the case page ---------------------------------------------------------------


@dataclass
class DocumentRow:
    document: Document
    label: str


def document_rows(case: Case, documents: list[Document]) -> list[DocumentRow]:
    """Each document's label: a clerk's scan of the application is not the official's
    new version, and a version number is shown only for a real re-upload or reissue."""
    rows = []
    seen: dict[tuple[str, int | None, bool, int | None], int] = {}
    subject_user = case.official.user_id
    for document in documents:
        label = str(document.get_kind_display())
        if (
            document.kind == DocumentKind.APPLICATION
            and document.uploaded_by_id is not None
            and document.uploaded_by_id != subject_user
        ):
            label = _("Scan of the application, received by %(name)s") % {
                "name": document.uploaded_by.get_full_name() or document.uploaded_by.get_username()
            }
        # Each track's decision is its own document (MDL-TRK-3), not a new version of
        # the other track's: generated documents are counted per step.
        step_key = document.step_id if document.generated else None
        key = (document.kind, document.uploaded_by_id, document.generated, step_key)
        seen[key] = seen.get(key, 0) + 1
        if seen[key] > 1:
            label = _("%(label)s, version %(n)s") % {"label": label, "n": seen[key]}
        rows.append(DocumentRow(document=document, label=label))
    return rows


def signer_line(decision: Decision) -> str:
    """Who signed, in the order of the signature block: "TM. ỦY BAN NHÂN DÂN · CHỦ TỊCH
    · name", "KT. CHỦ TỊCH · PHÓ CHỦ TỊCH · name", or "CHỦ TỊCH · name" (FMT30-7)."""
    unit = decision.issuing_unit
    head = (unit.head_title or "").strip().upper()
    post = (decision.signer_post or head).strip().upper()
    prefix = decision.prefix.strip()
    parts: list[str] = []
    if prefix in ("TM.", "T/M"):
        parts.append(f"{prefix} {unit.collective_name or unit.name}".strip())
    elif prefix in ("KT.", "K/T"):
        parts.append(f"{prefix} {head}".strip())
        if post == head:
            post = f"PHÓ {head}"
    if post:
        parts.append(post)
    parts.append(decision.signer_name)
    return " · ".join(parts)
