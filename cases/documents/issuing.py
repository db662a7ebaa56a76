"""The case's official papers: contexts built from the models, decisions issued as PDFs.

``cases.documents.render`` renders (pure functions of frozen contexts); this module reads the
models to build those contexts and stores what is issued. The decision is the one paper
the system issues by itself: ``issue_decision_document`` is called by a Celery task after
the approval commits, and again by the deadline sweep while the decision's
``document_status`` is still pending (the outbox). The proposal, the minutes, the vote
tally and the reminder notice are built on request; their numbers come from the
office's own register of outgoing papers, so the caller passes them in.

An issued document is never changed: a re-issue stores a new version, in a new file.

Test hook: ``CADRE_TEST_RENDER_DELAY=<seconds>`` makes the rendering of a decision sleep
that long first, so a test can kill a worker in the middle of it. With
``CADRE_TEST_RENDER_DELAY_MARKER=<path>`` only the first attempt sleeps: it creates that
file (holding its process id) before sleeping, and an attempt that finds the file does
not sleep. Neither variable is ever set outside the test suite.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime
import hashlib
import hmac
import logging
import os
import time
from typing import Any, Literal, cast, get_args

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from cases.audit.chain import record_event
from cases.audit.events import EventType
from cases.core import signals
from cases.core.errors import ActionForbidden, InvalidInput, NotFound, TransitionNotAllowed
from cases.documents import keys, signing
from cases.documents import render as documents
from cases.documents.render import (
    DecisionContext,
    FormName,
    IssuingBody,
    MinutesContext,
    Person,
    ProposalContext,
    ReminderContext,
    Signer,
    SignerPrefix,
    VoteTallyContext,
)
from cases.documents.storage import store_generated
from cases.models import (
    Case,
    CaseEvent,
    CaseStep,
    Decision,
    Document,
    DocumentKind,
    Form,
    Level,
    Official,
    OrgUnit,
    Reminder,
    Role,
    UnitKind,
    Vote,
)
from cases.organisation.selectors import acting_units, is_admin

logger = logging.getLogger(__name__)

GENERIC_PROPOSER = "cơ quan tham mưu về tổ chức cán bộ"


def form_name(form: str) -> FormName:
    """A case's or a track's form as the renderers name it (a ``Form`` value)."""
    for name in get_args(FormName):
        if form == name:
            return cast(FormName, name)
    raise ValueError(f"unknown form {form!r}")


# --- pieces shared by every paper -----------------------------------------------------


def issuing_body(unit: OrgUnit) -> IssuingBody:
    """The heading of a paper issued by ``unit`` (names in upper case, as printed)."""
    party = unit.kind == UnitKind.PARTY
    return IssuingBody(
        name=unit.name.upper(),
        superior_name=unit.superior_name.upper() or None,
        kind="party" if party else "state",
        place=unit.place or unit.name,
        # The same default body codes as workflow.format_symbol.
        symbol=unit.symbol or ("TU" if party else "UBND"),
        collective_name=unit.collective_name.upper() or None,
    )


def person(official: Official) -> Person:
    return Person(full_name=official.full_name, honorific=official.honorific)


def split_post(title: str, unit_name: str) -> tuple[str, str]:
    """The post title and the rest of the unit's name, without saying the unit twice.

    "Chủ tịch Ủy ban nhân dân xã" in "Ủy ban nhân dân xã Cốc San" gives ("Chủ tịch Ủy ban
    nhân dân xã", "Cốc San"): the longest end of the title that begins the unit's name is
    said once.
    """
    title_words, unit_words = title.split(), unit_name.split()
    for size in range(min(len(title_words), len(unit_words)), 0, -1):
        if [w.casefold() for w in title_words[-size:]] == [w.casefold() for w in unit_words[:size]]:
            return title, " ".join(unit_words[size:])
    return title, unit_name


def regulation_subject(title_vi: str) -> str:
    """ "… của Bộ Chính trị về việc miễn nhiệm, …" → "về việc miễn nhiệm, …"."""
    head, sep, tail = title_vi.partition(" về ")
    return f"về {tail}" if sep else title_vi


def legal_bases(unit: OrgUnit, day: datetime.date) -> list[str]:
    """The bases of the issuing body's own competence, before the regulation's line.

    Party bodies: the Party Charter. People's Committees: the local government law in
    force on ``day`` [P: dates of adoption as published; the laws' numbers are not cited].
    Other bodies cite only the regulation, which the renderer adds.
    """
    if unit.kind == UnitKind.PARTY:
        return ["Căn cứ Điều lệ Đảng Cộng sản Việt Nam"]
    if unit.kind == UnitKind.STATE and unit.collective_name.casefold() == "ủy ban nhân dân":
        if day >= datetime.date(2025, 7, 1):
            return ["Căn cứ Luật Tổ chức chính quyền địa phương ngày 16 tháng 6 năm 2025"]
        if day >= datetime.date(2025, 3, 1):
            return ["Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 02 năm 2025"]
        if day >= datetime.date(2016, 1, 1):
            return ["Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015"]
        return [
            "Căn cứ Luật Tổ chức Hội đồng nhân dân và Ủy ban nhân dân ngày 26 tháng 11 năm 2003"
        ]
    return []


def proposer(unit: OrgUnit) -> str:
    """Who proposes the decision to the body: its personnel advisory body."""
    if unit.kind == UnitKind.PARTY:
        if unit.level == Level.CENTRAL:
            return "Ban Tổ chức Trung ương"
        if unit.level == Level.PROVINCIAL:
            return f"Ban Tổ chức {unit.name}"
        return GENERIC_PROPOSER
    if unit.kind == UnitKind.STATE and unit.level == Level.PROVINCIAL:
        return "Giám đốc Sở Nội vụ"
    return GENERIC_PROPOSER


def implementers(unit: OrgUnit) -> tuple[str, ...]:
    """Who is named in Điều 3 before the official (FMT30-6c)."""
    proposal = proposer(unit)
    named = [] if proposal == GENERIC_PROPOSER else [proposal]
    if unit.kind == UnitKind.PARTY:
        return (f"Văn phòng {unit.name}", *named, "các cơ quan, tổ chức đảng có liên quan")
    return (f"Chánh Văn phòng {unit.name}", *named, "Thủ trưởng các cơ quan, đơn vị có liên quan")


def signer_of(decision: Decision) -> Signer:
    """The signature block from what the engine recorded (prefix, post, delegation)."""
    unit = decision.issuing_unit
    prefix: SignerPrefix = documents.prefix_of(decision.prefix)
    head = unit.head_title.strip().upper()
    post = (decision.signer_post or head).strip().upper()
    if prefix == "KT" and not head:
        prefix = ""  # nobody to sign for: the signer signs in their own name
    if prefix == "KT" and post == head:
        post = f"PHÓ {head}"  # a deputy signing for the head holds the deputy's post
    return Signer(
        full_name=decision.signer_name,
        post=post,
        head_post=head if prefix == "KT" else None,
        prefix=prefix,
    )


def _named_signer(user: Any, unit: OrgUnit) -> Signer:
    name = (user.get_full_name() or user.get_username()) if user is not None else ""
    return Signer(
        full_name=name or unit.head_title.title(), post=unit.head_title.upper() or "THỦ TRƯỞNG"
    )


def _grounds(case: Case) -> list[tuple[str, str]]:
    return [(g.code, g.text_vi) for g in case.grounds.order_by("code")]


def _decision_reasons(case: Case) -> list[tuple[str, str]]:
    """ "Lý do" of the decision: for a resignation, the official's own reason as written in
    the application (the case's statement) when there is one, else the grounds' texts."""
    if case.form == Form.RESIGNATION and case.statement.strip():
        return [("", case.statement.strip())]
    return _grounds(case)


# --- contexts -------------------------------------------------------------------------


def decision_context(decision: Decision) -> DecisionContext:
    """Everything printed on the decision, for each form (dismissal, resignation, termination)."""
    if not decision.approved or decision.number is None:
        raise InvalidInput(_("Only an approved decision with a number has a document."))
    case = decision.case
    unit = decision.issuing_unit
    # MDL-TRK-3: each track's decision cites its own regime, form and grounds.
    track = decision.track
    regulation = track.regulation if track is not None else case.regulation
    post_title, unit_name = split_post(case.position.title, case.position.unit.name)
    recipients = ["Như Điều 3"]
    if case.employing_unit_id != unit.pk:
        recipients.append(case.employing_unit.name)
    recipients.append("Lưu: VT" if unit.kind != UnitKind.PARTY else f"Lưu Văn phòng {unit.name}")
    return DecisionContext(
        form=form_name(track.form if track is not None else case.form),
        regulation_code=regulation.code,
        regulation_symbol=regulation.symbol,
        regulation_title=regulation_subject(regulation.title_vi),
        body=issuing_body(unit),
        number=decision.number,
        year=decision.year,
        issued_on=decision.decided_on,
        effective_on=decision.effective_on or decision.decided_on,
        official=person(case.official),
        post_title=post_title,
        unit_name=unit_name,
        grounds=(
            _track_grounds(track)
            if track is not None and track.is_state
            else _decision_reasons(case)
        ),
        bases=legal_bases(unit, decision.decided_on),
        proposal_by=proposer(unit),
        signer=signer_of(decision),
        recipients=recipients,
        case_reference=case.reference,
        regulation_issued_on=regulation.signed_on,
        regulation_issuer=regulation.issuer_vi,
        implementers=implementers(unit),
        # MDL-TRK-3 / MDL-TRK-8: the track's act, pinned from its process at filing.
        instrument=instrument_of(track),
    )


def instrument_of(track: Any) -> Literal["decision", "resolution", "report"]:
    if track is None or track.instrument not in ("resolution", "report"):
        return "decision"
    return "resolution" if track.instrument == "resolution" else "report"


def _track_grounds(track: Any) -> list[tuple[str, str]]:
    own = [(g.code, g.text_vi) for g in track.grounds.order_by("code")]
    if own:
        return own
    # LGL25-R-1: an elected holder's resignation is carried out as a dismissal.
    provision = track.regulation.provisions.filter(code="LGL25-R-1").first()
    return [(provision.code, provision.text_vi)] if provision is not None else []


def _events(case: Case, action: str) -> list[CaseEvent]:
    return list(case.events.filter(action=action).order_by("seq"))


def proposal_context(
    case: Case, *, number: int, by: Any, issued_on: datetime.date | None = None
) -> ProposalContext:
    """The proposal (tờ trình) of the employing unit to the deciding body."""
    issued_on = issued_on or timezone.localdate()
    unit = case.employing_unit
    regulation = case.regulation
    post_title, unit_name = split_post(case.position.title, case.position.unit.name)
    background = [case.statement] if case.statement.strip() else []
    for event in _events(case, "record_talk"):
        held = event.data.get("held_on")
        when = datetime.date.fromisoformat(held).strftime("%d/%m/%Y") if held else ""
        background.append(f"Ngày {when}, đã trao đổi với cán bộ: {event.data.get('summary', '')}")
    for vote in case.votes.order_by("recorded_at"):
        background.append(
            f"Tập thể lãnh đạo biểu quyết: {vote.votes_for}/{vote.members} thành viên tán thành, "
            f"{vote.votes_against} không tán thành"
        )
    return ProposalContext(
        form=form_name(case.form),
        body=issuing_body(unit),
        number=number,
        year=issued_on.year,
        issued_on=issued_on,
        addressees=[case.deciding_unit.name],
        official=person(case.official),
        post_title=post_title,
        unit_name=unit_name,
        grounds=_grounds(case),
        bases=[f"Căn cứ {regulation.title_vi}"],
        background=background,
        proposed_effective_on=None,
        signer=_named_signer(by, unit),
        recipients=["Như trên", "Lưu: VT"],
        case_reference=case.reference,
    )


def minutes_context(
    case: Case, *, number: int, chair: str, secretary: str, event: CaseEvent | None = None
) -> MinutesContext:
    """Minutes of the talk with the official, from its ``record_talk`` event (the last)."""
    talks = _events(case, "record_talk")
    event = event or (talks[-1] if talks else None)
    if event is None:
        raise NotFound(_("No talk with the official has been recorded on this case."))
    held = datetime.date.fromisoformat(event.data["held_on"])
    at = timezone.localtime(event.at)
    started = (
        at
        if at.date() == held
        else timezone.make_aware(datetime.datetime.combine(held, datetime.time(8, 0)))
    )
    unit = case.employing_unit
    post_title, unit_name = split_post(case.position.title, case.position.unit.name)
    official = person(case.official)
    return MinutesContext(
        kind="exchange",
        form=form_name(case.form),
        body=issuing_body(unit),
        number=number,
        year=started.year,
        started_at=started,
        ended_at=None,
        location=f"trụ sở {unit.name}",
        official=official,
        post_title=post_title,
        unit_name=unit_name,
        chair=chair,
        secretary=secretary,
        attendees=[chair, secretary, f"{official.honorific.capitalize()} {official.full_name}"],
        proceedings=[event.data.get("summary", "")],
        conclusions=[],
        signatures=[("THƯ KÝ", secretary), ("CÁN BỘ", official.full_name), ("CHỦ TRÌ", chair)],
        case_reference=case.reference,
    )


def vote_tally_context(vote: Vote, *, number: int) -> VoteTallyContext:
    """Vote-counting minutes from a recorded vote (threshold and result as the engine saw them)."""
    case = vote.case
    unit = vote.unit
    post_title, unit_name = split_post(case.position.title, case.position.unit.name)
    held = timezone.localtime(vote.recorded_at)
    basis = "tổng số thành viên" if vote.basis == "members" else "số thành viên có mặt"
    collective = unit.collective_name.strip()
    meeting_body = (
        f"{collective.capitalize()} {unit.name}"
        if collective and not unit.name.upper().startswith(collective.upper())
        else unit.name
    )
    if vote.collective_id is not None:
        # MDL-COL-9: the tally names the body whose roster it was counted against.
        meeting_body = vote.collective.name  # type: ignore[union-attr]  # a vote at a collective's step names its collective
    return VoteTallyContext(
        form=form_name(case.form),
        body=issuing_body(unit),
        number=number,
        year=held.year,
        held_at=held,
        location=f"trụ sở {unit.name}",
        meeting_body=meeting_body,
        official=person(case.official),
        post_title=post_title,
        unit_name=unit_name,
        members=vote.members,
        present=vote.present,
        votes_for=vote.votes_for,
        votes_against=vote.votes_against,
        abstain=vote.abstained,
        threshold_text=f"Quá {vote.threshold_numerator}/{vote.threshold_denominator} {basis}",
        passed=vote.passed,
        tally_committee=[],
        signatures=[("THƯ KÝ", ""), ("CHỦ TRÌ", "")],
        case_reference=case.reference,
    )


def reminder_context(reminder: Reminder, *, number: int, by: Any = None) -> ReminderContext:
    """A reminder notice for a step, issued by the deciding body (the superior one when escalated)."""
    step = reminder.step
    case = step.case
    if reminder.kind == Reminder.Kind.ESCALATION and step.actor_unit.parent_id:
        unit = step.actor_unit.parent
    else:
        unit = case.deciding_unit
    assert unit is not None and step.due_on is not None
    return ReminderContext(
        body=issuing_body(unit),
        number=number,
        year=reminder.day.year,
        issued_on=reminder.day,
        addressees=[step.actor_unit.name],
        case_reference=case.reference,
        step_name=step.template.name_vi,
        due_on=step.due_on,
        days_overdue=-(reminder.working_days_before or 0),
        signer=_named_signer(by, unit),
        recipients=["Như trên", "Lưu: VT"],
        working_days=True,
        case_title=f"{case.get_form_display()} — {case.official.full_name}",
    )


# --- issuing the decision -------------------------------------------------------------


def _render_delay_hook() -> None:
    """The test hook described in the module docstring."""
    raw = os.environ.get("CADRE_TEST_RENDER_DELAY", "").strip()
    if not raw:
        return
    marker = os.environ.get("CADRE_TEST_RENDER_DELAY_MARKER", "").strip()
    if marker:
        try:
            fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            return
        with os.fdopen(fd, "w") as handle:
            handle.write(str(os.getpid()))
    logger.warning("test hook: decision rendering delayed by %s s in process %s", raw, os.getpid())
    time.sleep(float(raw))


def _load_decision(decision_id: int) -> Decision:
    try:
        return Decision.objects.select_related(
            "case",
            "case__official",
            "case__position",
            "case__position__unit",
            "case__regulation",
            "case__employing_unit",
            "issuing_unit",
            "track",
            "track__regulation",
        ).get(pk=decision_id)
    except Decision.DoesNotExist:
        raise NotFound(_("Decision not found.")) from None


def verification_code(decision: Decision, version: int) -> str:
    """The code of one version of the decision, printed in its QR code.

    Derived with a keyed hash, so the rendering stays a pure function of the decision and
    the version, and nobody can guess the code of another decision.
    """
    mac = hmac.new(
        settings.SECRET_KEY.encode(), f"decision:{decision.pk}:v{version}".encode(), "sha256"
    )
    return base64.b32encode(mac.digest()[:10]).decode()


def verification_url(code: str) -> str:
    return f"{settings.PUBLIC_BASE_URL}{reverse('verify')}?code={code}"


def render_decision_pdf(decision: Decision, *, version: int | None = None) -> bytes:
    """The decision's PDF. Deterministic: the same decision gives the same bytes."""
    return _render_decision(decision, version=version or _next_version(decision)).content


def _next_version(decision: Decision) -> int:
    return (
        Document.objects.filter(case_id=decision.case_id, kind=DocumentKind.DECISION)
        .order_by("-version")
        .values_list("version", flat=True)
        .first()
        or 0
    ) + 1


def _render_decision(decision: Decision, *, version: int) -> documents.RenderedDecision:
    """Render one version; with signing on, with its QR code and the signature boxes."""
    _render_delay_hook()
    context = decision_context(decision)
    if signing.signing_enabled():
        context = dataclasses.replace(
            context,
            verification_url=verification_url(verification_code(decision, version)),
            signature_slots=True,
        )
    return documents.render_decision_for_signing(context)


def _local_time(moment: datetime.datetime) -> str:
    return timezone.localtime(moment).strftime("%d/%m/%Y %H:%M:%S")


def _signature_requests(
    decision: Decision, rendered: documents.RenderedDecision
) -> tuple[list[signing.SignatureRequest], list[Any]]:
    """The signer's signature, then the issuing body's (raises SigningUnavailable)."""

    signer_key = keys.current_key(user=decision.signer)
    body_key = keys.current_key(unit=decision.issuing_unit)
    ca = keys.current_ca()
    if signer_key is None or body_key is None or ca is None:
        missing = decision.signer_name if signer_key is None else decision.issuing_unit.name
        raise signing.SigningUnavailable(
            _("No signing key is issued for %(who)s (manage.py signing_keys issue).")
            % {"who": missing}
        )
    signer = signer_of(decision)
    now = _local_time(timezone.now())
    placements = {
        name: signing.Placement(page=slot.page, box=slot.box)
        for name, slot in rendered.slots.items()
    }
    requests = [
        signing.SignatureRequest(
            field_name="signer",
            role="signer",
            key_label=signer_key.key_label,
            certificate=keys.load_certificate(signer_key),
            lines=(
                "Ký số bởi:",
                decision.signer_name,
                " ".join(signer.post.split()).capitalize(),
                f"Thời gian: {now}",
            ),
            placement=placements.get("signer"),
        ),
        signing.SignatureRequest(
            field_name="body",
            role="body",
            key_label=body_key.key_label,
            certificate=keys.load_certificate(body_key),
            lines=("Cơ quan ban hành:", decision.issuing_unit.name, f"Thời gian: {now}"),
            placement=placements.get("body"),
        ),
    ]
    return requests, [keys.load_certificate(ca)]


def _sign(decision: Decision, rendered: documents.RenderedDecision) -> tuple[bytes, list[Any]]:
    requests, chain = _signature_requests(decision, rendered)
    return signing.sign_pdf(rendered.content, requests, chain=chain)


def decision_filename(decision: Decision, version: int) -> str:
    # "05/QĐ-UBND" → "quyet-dinh-05-qd-ubnd-v1.pdf" (đ has no ASCII decomposition).
    ascii_symbol = decision.symbol.replace("Đ", "D").replace("đ", "d")
    return f"quyet-dinh-{slugify(ascii_symbol)}-v{version}.pdf"


def _store_decision_pdf(
    *,
    case: Case,
    decision: Decision,
    content: bytes,
    action: str,
    actor: Any,
    reason: str = "",
    signatures: list[signing.AppliedSignature] | None = None,
) -> Document:
    """Store the PDF as the next version of the case's decision, with its audit event.

    The caller holds the case row lock (the event chain) and the decision row lock.
    """
    version = (
        Document.objects.filter(case=case, kind=DocumentKind.DECISION)
        .order_by("-version")
        .values_list("version", flat=True)
        .first()
        or 0
    ) + 1
    filename = decision_filename(decision, version)
    sha256 = hashlib.sha256(content).hexdigest()
    event = record_event(
        case=case,
        actor=actor,
        action=action,
        step_code="",
        reason=reason,
        data={
            "decision": decision.pk,
            "symbol": decision.symbol,
            "kind": DocumentKind.DECISION,
            "version": version,
            "sha256": sha256,
            "filename": filename,
            "size": len(content),
            "signatures": [
                {"role": s.role, "name": s.name, "serial": s.serial} for s in signatures or []
            ],
        },
    )
    document = store_generated(
        case=case,
        kind=DocumentKind.DECISION,
        content=content,
        filename=filename,
        event=event,
        signatures=[s.as_json() for s in signatures or []],
        signed_at=max((s.signed_at for s in signatures or []), default=None),
        verification_code=verification_code(decision, version) if signatures else "",
    )
    assert document.version == version and document.sha256 == sha256
    if decision.track_id is not None:
        # MDL-TRK-3: the document belongs to its track's decision step.
        step = CaseStep.objects.filter(
            track_id=decision.track_id, template__kind="decision"
        ).first()
        if step is not None:
            Document.objects.filter(pk=document.pk).update(step=step)
            document.step = step
    return document


def issue_decision_document(*, decision_id: int) -> Document | None:
    """Issue the decision's PDF once. Safe to run twice, or in two workers at once.

    Returns the new document, or None when there was nothing to do (already issued, or
    a rejection, which has no document). Rendering is pure and runs before the locks; the
    check, the store, the ``document_issued`` event and ``document_status`` are one
    transaction under the case and decision row locks (the engine's lock order), so a
    second run finds the decision issued and stores nothing.
    """
    decision = _load_decision(decision_id)
    if decision.document_status == Decision.DocumentStatus.ISSUED or not decision.approved:
        return None
    version = _next_version(decision)
    rendered = _render_decision(decision, version=version)
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=decision.case_id)
        locked = Decision.objects.select_for_update().get(pk=decision_id)
        if locked.document_status == Decision.DocumentStatus.ISSUED:
            return None
        if _next_version(decision) != version:
            return None  # a re-issue stored this version meanwhile: nothing left to do
        content = rendered.content
        signatures: list[Any] = []
        if signing.signing_enabled():
            # Under the locks, so each version is signed exactly once.
            try:
                content, signatures = _sign(decision, rendered)
            except signing.SigningUnavailable as exc:
                _signature_pending(case=case, decision=locked, error=str(exc))
                return None
        document = _store_decision_pdf(
            case=case,
            decision=decision,
            content=content,
            action=EventType.DOCUMENT_ISSUED,
            actor=None,
            signatures=signatures,
        )
        Decision.objects.filter(pk=decision_id).update(
            document_status=Decision.DocumentStatus.ISSUED, signing_error=""
        )
        document_id = document.pk
        transaction.on_commit(
            lambda: signals.decision_issued.send(sender=Document, document_id=document_id)
        )
    logger.info(
        "decision %s: document %s issued (%s bytes, %s signatures)",
        decision_id,
        document_id,
        len(content),
        len(signatures),
    )
    return document


def _signature_pending(*, case: Case, decision: Decision, error: str) -> None:
    """Signing failed: nothing is stored; the decision waits for the sweep's retry.

    The first failure is recorded in the audit trail and told to the case's clerks; the
    retries that fail again only refresh the message kept on the decision.
    """
    logger.warning("decision %s: signature pending: %s", decision.pk, error)
    first = decision.document_status != Decision.DocumentStatus.SIGNATURE_PENDING
    Decision.objects.filter(pk=decision.pk).update(
        document_status=Decision.DocumentStatus.SIGNATURE_PENDING, signing_error=error[:300]
    )
    if first:
        record_event(
            case=case,
            actor=None,
            action=EventType.DOCUMENT_SIGNATURE_PENDING,
            step_code="",
            data={"decision": decision.pk, "symbol": decision.symbol, "error": error[:300]},
        )
        decision_id = decision.pk
        transaction.on_commit(
            lambda: signals.decision_signature_pending.send(
                sender=Decision, decision_id=decision_id
            )
        )


def reissue_decision_document(*, decision_id: int, by: Any, reason: str) -> Document:
    """Issue the decision's PDF again as a new version; the earlier files stay as they were.

    Only a clerk or an authority of the issuing body (or an administrator) may do it, and
    the reason is kept in the audit trail.
    """
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(
            _("A reason is required for this action."),
            fields={"reason": [_("This field is required.")]},
        )
    decision = _load_decision(decision_id)
    allowed = set(acting_units(by, Role.CLERK)) | set(acting_units(by, Role.AUTHORITY))
    if not (is_admin(by) or decision.issuing_unit_id in allowed):
        raise ActionForbidden(
            _("Only the clerks and authorities of the issuing body can re-issue its decision.")
        )
    if not decision.approved:
        raise InvalidInput(_("A rejection has no decision document to re-issue."))
    version = _next_version(decision)
    rendered = _render_decision(decision, version=version)
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=decision.case_id)
        Decision.objects.select_for_update().get(pk=decision_id)
        if _next_version(decision) != version:
            # Another re-issue stored this version while ours was rendering.
            raise TransitionNotAllowed(
                _("The decision was re-issued at the same moment; reload and try again.")
            )
        first = version == 1
        content = rendered.content
        signatures: list[Any] = []
        if signing.signing_enabled():
            # A failure is the user's answer (503): the earlier versions stay as they were.
            content, signatures = _sign(decision, rendered)
        document = _store_decision_pdf(
            case=case,
            decision=decision,
            content=content,
            action=EventType.DOCUMENT_ISSUED if first else EventType.DOCUMENT_REISSUED,
            actor=by,
            reason=reason,
            signatures=signatures,
        )
        Decision.objects.filter(pk=decision_id).update(
            document_status=Decision.DocumentStatus.ISSUED, signing_error=""
        )
        document_id = document.pk
        transaction.on_commit(
            lambda: signals.decision_issued.send(sender=Document, document_id=document_id)
        )
    return document
