"""Official documents of a case, rendered to PDF.

Pure functions: every renderer takes a frozen context dataclass and returns the PDF bytes.
Nothing here reads the database or imports a model; ``services``/``tasks`` build the
contexts and store the result (with its SHA-256).

Layouts follow Decree 30/2020/NĐ-CP, Annex I for State bodies
(``IssuingBody.kind == "state"``, FMT30-*) and Guidance 36-HD/VPTW for Party bodies
(``kind == "party"``, FMT36-*). The documents are always in Vietnamese: they are official
papers, not part of the translated user interface.

Text conventions shared by all contexts:

* ``IssuingBody.name`` is written in upper case, as printed in the heading. A ``"\\n"`` in it
  forces the line break of the heading; otherwise the name breaks after
  ``collective_name`` when it starts with it ("ỦY BAN NHÂN DÂN" / "TỈNH LÀO CAI").
* ``bases``, ``grounds`` and ``recipients`` entries may be given with or without their
  leading "-" and their final ";"/"."; the renderer adds the punctuation the format asks for.
* All text is normalised to Unicode NFC, so decomposed input (typed on some keyboards)
  renders and extracts the same as precomposed input.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Final, Literal, cast

import segno
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone
from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration

BodyKind = Literal["state", "party"]
FormName = Literal["termination", "dismissal", "resignation"]
SignerPrefix = Literal["", "TM", "KT", "Q", "TL", "TUQ"]
MinutesKind = Literal["exchange", "conference"]

FORMS: Final[tuple[str, ...]] = ("termination", "dismissal", "resignation")
HONORIFICS: Final[tuple[str, ...]] = ("ông", "bà")
SIGNER_PREFIXES: Final[tuple[str, ...]] = ("", "TM", "KT", "Q", "TL", "TUQ")

# Type codes used in the number and symbol (FMT30 "State type abbreviations", FMT36 type
# codes). All three forms of leaving a post end in a decision (QĐ). Party use of TTr, BB
# and TB is common practice only [U].
DOCUMENT_TYPE_CODES: Final[Mapping[str, str]] = {
    "termination": "QĐ",
    "dismissal": "QĐ",
    "resignation": "QĐ",
    "decision": "QĐ",
    "resolution": "NQ",  # a People's Council decides by a resolution (MDL-TRK-3)
    "report": "BC",  # MDL-TRK-8: the HĐND Standing Board's report (LGL25-NR-1)
    "proposal": "TTr",
    "minutes": "BB",
    "vote_tally": "BB",
    "reminder": "TB",
}


# --------------------------------------------------------------------------- contexts


@dataclass(frozen=True)
class Person:
    """The official concerned. ``honorific`` is "ông" or "bà" (State documents; Party
    documents say "đồng chí" whatever the honorific)."""

    full_name: str
    honorific: str

    def __post_init__(self) -> None:
        if self.honorific not in HONORIFICS:
            raise ValueError(f"honorific must be 'ông' or 'bà', got {self.honorific!r}")
        if not self.full_name.strip():
            raise ValueError("full_name is empty")


@dataclass(frozen=True)
class IssuingBody:
    """The body that issues the document, as printed in the heading (upper case).

    ``symbol`` is the body code of the number ("UBND" in "05/QĐ-UBND", "TU" in
    "127-QĐ/TU"); ``collective_name`` is the collective a "TM."/"T/M" signer acts for
    ("ỦY BAN NHÂN DÂN", "BAN THƯỜNG VỤ").
    """

    name: str
    superior_name: str | None
    kind: BodyKind
    place: str
    symbol: str
    collective_name: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in ("state", "party"):
            raise ValueError(f"kind must be 'state' or 'party', got {self.kind!r}")
        if not self.symbol.strip():
            raise ValueError("symbol is empty")


@dataclass(frozen=True)
class Signer:
    """Who signs. ``post`` is the signer's own post ("PHÓ CHỦ TỊCH"); ``head_post`` is the
    head the signer signs for ("CHỦ TỊCH"), required with the KT, TL and TUQ prefixes."""

    full_name: str
    post: str
    head_post: str | None = None
    prefix: SignerPrefix = ""

    def __post_init__(self) -> None:
        if self.prefix not in SIGNER_PREFIXES:
            raise ValueError(f"prefix must be one of {SIGNER_PREFIXES}, got {self.prefix!r}")


@dataclass(frozen=True)
class DecisionContext:
    """Everything printed on the decision that closes a case.

    ``regulation_title`` is the subject that follows the issuer in the basis line, e.g.
    "về miễn nhiệm, từ chức đối với cán bộ"; the date and issuer of the regulation come
    from ``regulation_issued_on``/``regulation_issuer`` or, when not given, from the
    known regulations (R260, R41, R377, R148, ND24, ND138, ND170).
    ``implementers`` are named in Điều 3 before the official; ``work_arrangement`` adds a
    paragraph to Điều 2; ``authority_line`` overrides the computed FMT30-5c line.
    ``case_reference`` is kept in the PDF metadata only (keywords), not on the page.
    """

    form: FormName
    regulation_code: str
    regulation_symbol: str
    regulation_title: str
    body: IssuingBody
    number: int
    year: int
    issued_on: date
    effective_on: date
    official: Person
    post_title: str
    unit_name: str
    grounds: list[tuple[str, str]]
    bases: list[str]
    proposal_by: str
    signer: Signer
    recipients: list[str]
    case_reference: str
    regulation_issued_on: date | None = None
    regulation_issuer: str | None = None
    work_arrangement: str | None = None
    implementers: tuple[str, ...] = ()
    authority_line: str | None = None
    # "resolution": a People's Council's Nghị quyết (FMT30, type code NQ) on a State track;
    # "report": the HĐND Standing Board's Báo cáo (BC) that ends it without a vote (MDL-TRK-8).
    instrument: Literal["decision", "resolution", "report"] = "decision"
    # Digital signing: the address the footer's QR code carries, and whether to leave the
    # boxes of the two visible signatures in the signature block.
    verification_url: str | None = None
    signature_slots: bool = False


@dataclass(frozen=True)
class SignatureSlot:
    """A box left for a visible signature: page index and PDF points (x1, y1, x2, y2)."""

    page: int
    box: tuple[int, int, int, int]


@dataclass(frozen=True)
class RenderedDecision:
    content: bytes
    # "signer" and "body" when ``signature_slots`` was set.
    slots: Mapping[str, SignatureSlot]


@dataclass(frozen=True)
class ProposalContext:
    """A proposal (tờ trình) asking the competent body to decide.

    ``addressees`` go after "Kính gửi:"; ``background`` holds the paragraphs on the case
    and the steps done so far; ``proposed_effective_on`` is the date asked for (None: no
    date is proposed).
    """

    form: FormName
    body: IssuingBody
    number: int
    year: int
    issued_on: date
    addressees: list[str]
    official: Person
    post_title: str
    unit_name: str
    grounds: list[tuple[str, str]]
    bases: list[str]
    background: list[str]
    proposed_effective_on: date | None
    signer: Signer
    recipients: list[str]
    case_reference: str


@dataclass(frozen=True)
class MinutesContext:
    """Minutes (biên bản) of the talk with the official ("exchange") or of the meeting of
    the collective that considers the case ("conference").

    ``chair`` and ``secretary`` are written as printed ("Ông Trần Văn Đức, Phó Bí thư
    Thường trực Tỉnh ủy"); ``signatures`` are (role in upper case, full name) pairs
    printed side by side at the end, e.g. ("THƯ KÝ", "…"), ("CHỦ TRÌ", "…").
    ``meeting_body`` names the collective in a conference ("Ban Thường vụ Tỉnh ủy");
    ``subject`` overrides the computed subject line.
    """

    kind: MinutesKind
    form: FormName
    body: IssuingBody
    number: int
    year: int
    started_at: datetime
    ended_at: datetime | None
    location: str
    official: Person
    post_title: str
    unit_name: str
    chair: str
    secretary: str
    attendees: list[str]
    proceedings: list[str]
    conclusions: list[str]
    signatures: list[tuple[str, str]]
    case_reference: str
    meeting_body: str = ""
    subject: str | None = None


@dataclass(frozen=True)
class VoteTallyContext:
    """Vote-counting minutes (biên bản kiểm phiếu).

    Percentages are printed against ``members`` (the whole collective), the base that the
    low-confidence and decision thresholds use. ``threshold_text`` is printed as given
    ("Quá 50% tổng số thành viên…"); ``passed`` is the result computed by the workflow,
    not recomputed here.
    """

    form: FormName
    body: IssuingBody
    number: int
    year: int
    held_at: datetime
    location: str
    meeting_body: str
    official: Person
    post_title: str
    unit_name: str
    members: int
    present: int
    votes_for: int
    votes_against: int
    abstain: int
    threshold_text: str
    passed: bool
    tally_committee: list[str]
    signatures: list[tuple[str, str]]
    case_reference: str
    invalid: int = 0

    def __post_init__(self) -> None:
        counts = (
            self.members,
            self.present,
            self.votes_for,
            self.votes_against,
            self.abstain,
            self.invalid,
        )
        if min(counts) < 0:
            raise ValueError("vote counts cannot be negative")
        if self.present > self.members:
            raise ValueError("more members present than members")
        if self.votes_for + self.votes_against + self.abstain + self.invalid > self.present:
            raise ValueError("more ballots counted than members present")


@dataclass(frozen=True)
class ReminderContext:
    """Reminder notice (thông báo nhắc hạn) for a step of a case.

    ``days_overdue`` > 0: overdue by that many days; 0: due today; < 0: due in that many
    days. ``working_days`` says whether those are working days (WD) or plain days.
    ``case_title`` is an optional description printed after the reference.
    """

    body: IssuingBody
    number: int
    year: int
    issued_on: date
    addressees: list[str]
    case_reference: str
    step_name: str
    due_on: date
    days_overdue: int
    signer: Signer
    recipients: list[str]
    working_days: bool = False
    case_title: str | None = None


# ------------------------------------------------------------------ public formatting


def format_long_date(d: date) -> str:
    """Long date, "ngày 05 tháng 02 năm 2026": days 1-9 and months 1-2 take a leading 0."""
    # FMT30-4: a leading 0 for days below 10 and for January and February only.
    month = f"{d.month:02d}" if d.month <= 2 else str(d.month)
    return f"ngày {d.day:02d} tháng {month} năm {d.year}"


def format_dateline(place: str, d: date) -> str:
    """Place and date line: "Hà Nội, ngày 05 tháng 02 năm 2026" (FMT30-4, FMT36-4)."""
    return f"{place}, {format_long_date(d)}"


def format_short_date(d: date) -> str:
    """dd/mm/yyyy, as Vietnamese offices write dates in running text and tables."""
    return f"{d.day:02d}/{d.month:02d}/{d.year}"


def document_symbol_for(form: str, body: IssuingBody) -> str:
    """The symbol that follows the number: "QĐ-UBND" (State) or "QĐ/TU" (Party).

    ``form`` is a form of leaving a post ("dismissal", …: always a decision) or a document
    kind ("decision", "proposal", "minutes", "vote_tally", "reminder").
    """
    try:
        doc_type = DOCUMENT_TYPE_CODES[form]
    except KeyError:
        raise ValueError(f"unknown form or document kind {form!r}") from None
    if body.kind == "party":
        # FMT36-3: type code, then "/" and the issuing-body code.
        return f"{doc_type}/{body.symbol}"
    # FMT30-3: type code, then "-" and the issuing-body code, no spaces.
    return f"{doc_type}-{body.symbol}"


def format_number_symbol(
    kind: str, number: int, year: int, body: IssuingBody, doc_type: str = "QĐ"
) -> str:
    """The number-and-symbol line of the heading.

    ``kind`` selects the convention and must agree with ``body.kind``:
    "state" gives "Số: 05/QĐ-UBND"; "state_regulatory" (State legal normative documents)
    adds the year, "Số: 12/2025/QĐ-UBND"; "party" gives "Số 127-QĐ/TU".
    """
    if number < 1:
        raise ValueError(f"number must be positive, got {number}")
    family = "state" if kind == "state_regulatory" else kind
    if family not in ("state", "party"):
        raise ValueError(f"kind must be 'state', 'state_regulatory' or 'party', got {kind!r}")
    if family != body.kind:
        raise ValueError(f"{kind!r} numbering used for a {body.kind} body ({body.name})")
    # FMT30-3: numbers below 10 take a leading 0. Party documents are padded the same way
    # in practice ("Nghị quyết số 09-NQ/TW") [U for FMT36].
    num = f"{number:02d}"
    if kind == "party":
        # FMT36-3: no colon after "Số"; "-" between number and type; "/" before the body.
        return f"Số {num}-{doc_type}/{body.symbol}"
    if kind == "state_regulatory":
        # FMT30-3: regulatory decisions add the year.
        return f"Số: {num}/{year}/{doc_type}-{body.symbol}"
    # FMT30-3: "Số:" with a colon; "/" after the number; "-" between symbol groups.
    return f"Số: {num}/{doc_type}-{body.symbol}"


# ---------------------------------------------------------------------------- renderers


def render_decision(ctx: DecisionContext) -> bytes:
    """The decision (quyết định) on termination, dismissal or resignation."""
    return render_decision_for_signing(ctx).content


def render_decision_for_signing(ctx: DecisionContext) -> RenderedDecision:
    """The decision and, with ``ctx.signature_slots``, where its visible signatures go."""
    _check_form(ctx.form)
    _check_number(ctx.number, ctx.year, ctx.issued_on)
    body = ctx.body
    party = body.kind == "party"
    if ctx.instrument == "report" and not party:
        return _render_report(ctx)
    who = _who(ctx.official, body)
    resolution = ctx.instrument == "resolution" and not party
    context = {
        **_heading(
            body, "resolution" if resolution else "decision", ctx.number, ctx.year, ctx.issued_on
        ),
        "doctype": "NGHỊ QUYẾT" if resolution else "QUYẾT ĐỊNH",
        "operative": "QUYẾT NGHỊ:" if resolution else "QUYẾT ĐỊNH:",
        "form": ctx.form,
        "subject_lead": "về việc" if party else "Về việc",  # FMT36-5b: lower-case first
        "who": who,
        "Who": _capitalize(who),
        "post": _post(ctx.post_title, ctx.unit_name),
        "unit_name": ctx.unit_name,
        "when": _from_when(ctx.effective_on, ctx.issued_on),
        "authority_line": ctx.authority_line
        or (_one_line(body.name) if resolution else _authority_line(ctx.signer, body)),
        "bases": _punctuate(
            [*(_basis(b) for b in ctx.bases), *_regulation_basis(ctx)],
            last=";",
            bullet=party,
        ),
        "proposal_line": (
            f"{'- ' if party else ''}{'Xét' if party else 'Theo'} đề nghị của "
            f"{_strip_punctuation(ctx.proposal_by)}{',' if party else '.'}"
        ),
        "grounds": _punctuate([text for _id, text in ctx.grounds], bullet=True),
        "work_arrangement": _strip_or_none(ctx.work_arrangement),
        "implementers": ", ".join(ctx.implementers) if ctx.implementers else None,
        "signature": _signature(ctx.signer, body),
        "recipients": _recipient_lines(ctx.recipients),
        "signature_slots": ctx.signature_slots,
        "verification_url": ctx.verification_url,
        "verification_qr": qr_data_uri(ctx.verification_url) if ctx.verification_url else "",
    }
    anchors = SLOT_SIZES_MM if ctx.signature_slots else {}
    content, slots = _render_pdf_with_slots(
        "documents/decision.html", context, ctx.case_reference, ctx.issued_on, anchors
    )
    return RenderedDecision(content=content, slots=slots)


def _render_report(ctx: DecisionContext) -> RenderedDecision:
    """MDL-TRK-8: the Standing Board's report to the People's Council (LGL25-NR-1)."""
    body = ctx.body
    who = _who(ctx.official, body)
    collective = _one_line(body.collective_name or "HỘI ĐỒNG NHÂN DÂN").upper()
    standing = f"THƯỜNG TRỰC {collective}"
    # "HỘI ĐỒNG NHÂN DÂN XÃ MƯỜNG HUM" → "Hội đồng nhân dân xã Mường Hum".
    name = _one_line(body.name).upper()
    rest = name.removeprefix(collective).split() if name.startswith(collective) else []
    council = " ".join(
        [
            _capitalize(collective.lower()),
            *(w.lower() for w in rest[:1]),
            *(w.title() for w in rest[1:]),
        ]
    )
    signer = ctx.signer
    if signer.prefix == "TM":
        # The Standing Board signs for itself, not for the whole Council.
        lines = [f"{_STATE_PREFIXES['TM']} {standing}", _one_line(signer.post).upper()]
        signature = {"lines": lines, "name": _one_line(signer.full_name)}
    else:
        signature = _signature(signer, body)
    context = {
        **_heading(body, "report", ctx.number, ctx.year, ctx.issued_on),
        "doctype": "BÁO CÁO",
        "form": ctx.form,
        "who": who,
        "Who": _capitalize(who),
        "post": _post(ctx.post_title, ctx.unit_name),
        "unit_name": ctx.unit_name,
        "when": f"kể từ {format_long_date(ctx.effective_on)}",
        "addressee": council,
        "reporter": f"Thường trực {council}",
        "grounds": _punctuate([text for _id, text in ctx.grounds], bullet=True),
        "signature": signature,
        "recipients": _recipient_lines(ctx.recipients),
        "signature_slots": ctx.signature_slots,
        "verification_url": ctx.verification_url,
        "verification_qr": qr_data_uri(ctx.verification_url) if ctx.verification_url else "",
    }
    anchors = SLOT_SIZES_MM if ctx.signature_slots else {}
    content, slots = _render_pdf_with_slots(
        "documents/report.html", context, ctx.case_reference, ctx.issued_on, anchors
    )
    return RenderedDecision(content=content, slots=slots)


def render_proposal(ctx: ProposalContext) -> bytes:
    """The proposal (tờ trình) asking the competent body to decide the case."""
    _check_form(ctx.form)
    _check_number(ctx.number, ctx.year, ctx.issued_on)
    body = ctx.body
    party = body.kind == "party"
    who = _who(ctx.official, body)
    context = {
        **_heading(body, "proposal", ctx.number, ctx.year, ctx.issued_on),
        "doctype": "TỜ TRÌNH",
        "form": ctx.form,
        "subject_lead": "về việc" if party else "Về việc",
        "who": who,
        "official": ctx.official,
        "post": _post(ctx.post_title, ctx.unit_name),
        "addressees": [_strip_punctuation(a) for a in ctx.addressees],
        "addressee_text": ", ".join(_strip_punctuation(a) for a in ctx.addressees),
        "bases": _punctuate([_basis(b) for b in ctx.bases], last=";", bullet=party),
        "background": [_one_line(p) for p in ctx.background if p.strip()],
        "grounds": _punctuate([text for _id, text in ctx.grounds], bullet=True),
        "when": (_from_when(ctx.proposed_effective_on, None) if ctx.proposed_effective_on else ""),
        "signature": _signature(ctx.signer, body),
        "recipients": _recipient_lines(ctx.recipients),
    }
    return _render_pdf("documents/proposal.html", context, ctx.case_reference, ctx.issued_on)


def render_minutes(ctx: MinutesContext) -> bytes:
    """Minutes of the talk with the official or of the meeting that considers the case."""
    _check_form(ctx.form)
    if ctx.kind not in ("exchange", "conference"):
        raise ValueError(f"kind must be 'exchange' or 'conference', got {ctx.kind!r}")
    started = _local(ctx.started_at)
    _check_number(ctx.number, ctx.year, started.date())
    body = ctx.body
    who = _who(ctx.official, body)
    post = _post(ctx.post_title, ctx.unit_name)
    subject = ctx.subject or _minutes_subject(ctx.kind, ctx.form, who, post, ctx.meeting_body)
    context = {
        **_heading(body, "minutes", ctx.number, ctx.year, started.date()),
        "doctype": "BIÊN BẢN",
        "subject": _subject_case(subject, body),
        "minutes_kind": ctx.kind,
        "opening": f"Vào hồi {_clock(started)}, {format_long_date(started.date())}, "
        f"tại {_strip_punctuation(ctx.location)}",
        "chair": _strip_punctuation(ctx.chair),
        "secretary": _strip_punctuation(ctx.secretary),
        "attendees": _punctuate(ctx.attendees, bullet=True),
        "proceedings": [p.strip() for p in ctx.proceedings if p.strip()],
        "conclusions": [p.strip() for p in ctx.conclusions if p.strip()],
        "ended": _clock(_local(ctx.ended_at)) if ctx.ended_at else None,
        "ended_same_day": bool(ctx.ended_at and _local(ctx.ended_at).date() == started.date()),
        "ended_date": format_long_date(_local(ctx.ended_at).date()) if ctx.ended_at else None,
        "signatures": _signatories(ctx.signatures),
    }
    return _render_pdf("documents/minutes.html", context, ctx.case_reference, started.date())


def render_vote_tally(ctx: VoteTallyContext) -> bytes:
    """Vote-counting minutes: counts, shares of the membership, threshold and result."""
    _check_form(ctx.form)
    held = _local(ctx.held_at)
    _check_number(ctx.number, ctx.year, held.date())
    body = ctx.body
    who = _who(ctx.official, body)
    post = _post(ctx.post_title, ctx.unit_name)

    def row(label: str, count: int) -> dict[str, str]:
        return {"label": label, "count": str(count), "share": _percent(count, ctx.members)}

    context = {
        **_heading(body, "vote_tally", ctx.number, ctx.year, held.date()),
        "doctype": "BIÊN BẢN KIỂM PHIẾU",
        "subject": _subject_case(
            f"Biểu quyết {_FORM_ACTION[ctx.form]} {_form_object(ctx.form, who, post)}", body
        ),
        "opening": f"Vào hồi {_clock(held)}, {format_long_date(held.date())}, "
        f"tại {_strip_punctuation(ctx.location)}",
        "meeting_body": _strip_punctuation(ctx.meeting_body),
        "tally_committee": _punctuate(ctx.tally_committee, bullet=True),
        "members": str(ctx.members),
        "rows": [
            row("Số thành viên có mặt", ctx.present),
            row("Số phiếu đồng ý", ctx.votes_for),
            row("Số phiếu không đồng ý", ctx.votes_against),
            row("Số phiếu không biểu quyết", ctx.abstain),
            row("Số phiếu không hợp lệ", ctx.invalid),
        ],
        "threshold_text": _strip_punctuation(ctx.threshold_text),
        "passed": ctx.passed,
        "signatures": _signatories(ctx.signatures),
    }
    return _render_pdf("documents/vote_tally.html", context, ctx.case_reference, held.date())


def render_reminder_notice(ctx: ReminderContext) -> bytes:
    """Notice reminding the people in charge that a step of a case is due or overdue."""
    _check_number(ctx.number, ctx.year, ctx.issued_on)
    body = ctx.body
    unit = "ngày làm việc" if ctx.working_days else "ngày"
    if ctx.days_overdue > 0:
        status = f"đã quá hạn {ctx.days_overdue} {unit}"
    elif ctx.days_overdue == 0:
        status = "đã đến hạn hoàn thành"
    else:
        status = f"còn {-ctx.days_overdue} {unit} đến hạn"
    context = {
        **_heading(body, "reminder", ctx.number, ctx.year, ctx.issued_on),
        "doctype": "THÔNG BÁO",
        "subject": _subject_case(f"Về việc nhắc hạn giải quyết hồ sơ {ctx.case_reference}", body),
        "addressees": [_strip_punctuation(a) for a in ctx.addressees],
        "case_reference": ctx.case_reference,
        "case_title": _strip_or_none(ctx.case_title),
        "step_name": _strip_punctuation(ctx.step_name),
        "due_on": format_short_date(ctx.due_on),
        "today": format_short_date(ctx.issued_on),
        "status": status,
        "overdue": ctx.days_overdue > 0,
        "signature": _signature(ctx.signer, body),
        "recipients": _recipient_lines(ctx.recipients),
    }
    return _render_pdf("documents/reminder_notice.html", context, ctx.case_reference, ctx.issued_on)


# ----------------------------------------------------------------------------- helpers


@dataclass(frozen=True)
class _Regulation:
    word: str  # what the instrument is called in a basis line
    issued_on: date
    issuer: str


# Dates and issuers of the regimes the catalog and the decisions cite (docs/rules.md).
_KNOWN_REGULATIONS: Final[Mapping[str, _Regulation]] = {
    "R260": _Regulation("Quy định", date(2009, 10, 2), "Bộ Chính trị"),
    "R41": _Regulation("Quy định", date(2021, 11, 3), "Bộ Chính trị"),
    "R148": _Regulation("Quy định", date(2024, 5, 23), "Bộ Chính trị"),
    "R377": _Regulation("Quy định", date(2025, 10, 8), "Bộ Chính trị"),
    "ND24": _Regulation("Nghị định", date(2010, 3, 15), "Chính phủ"),
    "ND138": _Regulation("Nghị định", date(2020, 11, 27), "Chính phủ"),
    "ND170": _Regulation("Nghị định", date(2025, 6, 30), "Chính phủ"),
}

# The instrument's name from its type code, for regulations not in the table above.
_INSTRUMENT_WORDS: Final[tuple[tuple[str, str], ...]] = (
    ("NĐ-", "Nghị định"),
    ("TT-", "Thông tư"),
    ("NQ", "Nghị quyết"),
    ("HD", "Hướng dẫn"),
    ("KL", "Kết luận"),
    ("QĐ", "Quy định"),
)

_FORM_ACTION: Final[Mapping[str, str]] = {
    "dismissal": "việc miễn nhiệm",
    "termination": "việc cho thôi giữ",  # + "chức vụ … đối với …"
    "resignation": "việc từ chức",
}

_STATE_PREFIXES: Final[Mapping[str, str]] = {
    "TM": "TM.",
    "KT": "KT.",
    "Q": "Q.",
    "TL": "TL.",
    "TUQ": "TUQ.",
}
# FMT36-7: the Party uses the slash form. "T/L" is common practice [U]; Party documents
# have no "Q." or "TUQ." form, so those prefixes are refused rather than invented.
_PARTY_PREFIXES: Final[Mapping[str, str]] = {"TM": "T/M", "KT": "K/T", "TL": "T/L"}


def printed_prefix(prefix: SignerPrefix, *, party: bool) -> str:
    """How a signer prefix is printed: "KT." on a State paper, "K/T" on the Party's."""
    if not prefix:
        return ""
    return (_PARTY_PREFIXES if party else _STATE_PREFIXES)[prefix]


def prefix_of(printed: str) -> SignerPrefix:
    """The prefix a printed form stands for ("TM." and "T/M" are both "TM"); "" if none."""
    for table in (_STATE_PREFIXES, _PARTY_PREFIXES):
        for prefix, text in table.items():
            if text == printed:
                return cast(SignerPrefix, prefix)
    return ""


FONT_FILES: Final[Mapping[tuple[str, str], str]] = {
    ("normal", "normal"): "Tinos-Regular.ttf",
    ("bold", "normal"): "Tinos-Bold.ttf",
    ("normal", "italic"): "Tinos-Italic.ttf",
    ("bold", "italic"): "Tinos-BoldItalic.ttf",
}


def fonts_dir() -> Path:
    """Where the shipped Tinos files live: ``BASE_DIR/static/fonts``."""
    return Path(settings.BASE_DIR) / "static" / "fonts"


def _font_faces() -> list[dict[str, str]]:
    directory = fonts_dir()
    faces = []
    for (weight, style), filename in FONT_FILES.items():
        path = directory / filename
        if not path.is_file():
            # A missing file would silently fall back to a system font and change line
            # breaks from machine to machine; fail instead.
            raise FileNotFoundError(f"document font missing: {path}")
        faces.append({"weight": weight, "style": style, "url": path.resolve().as_uri()})
    return faces


# White space at the end of a line box (before a block ends or a block starts) makes
# WeasyPrint 70 with Pango 1.50 break the line early, leaving one word on a line of its
# own; template indentation produces exactly that, so it is removed before layout.
_TRAILING_SPACE: Final[re.Pattern[str]] = re.compile(
    r"\s+(</(?:p|div|td|th|li)>|<(?:p|div|table)\b)"
)


# The signature boxes of document.css (.sig-slot-*): width and height in millimetres.
SLOT_SIZES_MM: Final[Mapping[str, tuple[float, float]]] = {
    "signer": (50.0, 22.0),
    "body": (36.0, 22.0),
}
_PT_PER_PX: Final[float] = 0.75


def qr_data_uri(text: str) -> str:
    """An SVG QR code (error correction M) as a data URI for the templates."""

    return str(segno.make(text, error="m").svg_data_uri(scale=4, border=2))


def _render_pdf_with_slots(
    template: str,
    context: dict[str, Any],
    case_reference: str,
    created_on: date,
    slots: Mapping[str, tuple[float, float]],
) -> tuple[bytes, dict[str, SignatureSlot]]:
    document = _layout(template, context, case_reference, created_on)
    found: dict[str, SignatureSlot] = {}
    for name in slots:
        for index, page in enumerate(document.pages):
            anchor = page.anchors.get(f"sig-{name}")
            if anchor is None:
                continue
            # The box in CSS px from the page's top left → PDF points from the bottom left.
            x1, y1, x2, y2 = anchor
            page_height = page.height * _PT_PER_PX
            found[name] = SignatureSlot(
                page=index,
                box=(
                    round(x1 * _PT_PER_PX),
                    round(page_height - y2 * _PT_PER_PX),
                    round(x2 * _PT_PER_PX),
                    round(page_height - y1 * _PT_PER_PX),
                ),
            )
            break
        else:
            raise ValueError(f"signature box {name!r} not found in the rendered {template}")
    return document.write_pdf(), found


def _render_pdf(
    template: str, context: dict[str, Any], case_reference: str, created_on: date
) -> bytes:
    pdf: bytes = _layout(template, context, case_reference, created_on).write_pdf()
    return pdf


def _layout(template: str, context: dict[str, Any], case_reference: str, created_on: date) -> Any:
    html: str = render_to_string(
        template,
        {
            **context,
            "font_faces": _font_faces(),
            "case_reference": case_reference,
            # A fixed creation date keeps the bytes (and their SHA-256) reproducible.
            "created": created_on.isoformat(),
        },
    )
    html = _TRAILING_SPACE.sub(r"\1", unicodedata.normalize("NFC", html))
    base_url = Path(settings.BASE_DIR).resolve().as_uri() + "/"
    font_config = FontConfiguration()
    return HTML(string=html, base_url=base_url).render(font_config=font_config)


def _heading(
    body: IssuingBody, document: str, number: int, year: int, issued_on: date
) -> dict[str, Any]:
    doc_type = DOCUMENT_TYPE_CODES[document]
    number_symbol = format_number_symbol(body.kind, number, year, body, doc_type)
    return {
        "kind": body.kind,
        "superior_name": _strip_or_none(body.superior_name),
        "agency_lines": _agency_lines(body),
        "number_symbol": number_symbol,
        "dateline": format_dateline(body.place, issued_on),
        "title": f"{document_title(document)} số {number_symbol.removeprefix('Số').lstrip(': ')}",
        "issuer": _one_line(body.name),
    }


def document_title(document: str) -> str:
    """The Vietnamese name of a document kind, for file names and PDF titles."""
    return {
        "decision": "Quyết định",
        "resolution": "Nghị quyết",
        "report": "Báo cáo",
        "proposal": "Tờ trình",
        "minutes": "Biên bản",
        "vote_tally": "Biên bản kiểm phiếu",
        "reminder": "Thông báo",
    }.get(document, "Quyết định")


def _agency_lines(body: IssuingBody) -> list[str]:
    name = body.name.strip()
    if "\n" in name:
        return [line.strip() for line in name.splitlines() if line.strip()]
    collective = (body.collective_name or "").strip()
    if collective and name.startswith(collective + " "):
        return [collective, name[len(collective) :].strip()]
    return [name]


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _check_form(form: str) -> None:
    if form not in FORMS:
        raise ValueError(f"form must be one of {FORMS}, got {form!r}")


def _check_number(number: int, year: int, issued_on: date) -> None:
    if number < 1:
        raise ValueError(f"number must be positive, got {number}")
    # Numbers run per issuing body and calendar year, so the year is the issuing year.
    if year != issued_on.year:
        raise ValueError(f"number year {year} differs from the issuing date {issued_on}")


def _local(value: datetime) -> datetime:
    return timezone.localtime(value) if timezone.is_aware(value) else value


def _clock(value: datetime) -> str:
    return f"{value.hour:02d} giờ {value.minute:02d} phút"


def _who(person: Person, body: IssuingBody) -> str:
    # Party documents name members as "đồng chí" whatever their sex.
    title = "đồng chí" if body.kind == "party" else person.honorific
    return f"{title} {_one_line(person.full_name)}"


def _capitalize(text: str) -> str:
    return text[:1].upper() + text[1:]


def _subject_case(text: str, body: IssuingBody) -> str:
    # FMT36-5b: Party subject lines start with a lower-case letter; FMT30-5b: State ones
    # with a capital.
    text = text.strip()
    return text[:1].lower() + text[1:] if body.kind == "party" else _capitalize(text)


def _post(post_title: str, unit_name: str) -> str:
    return _one_line(f"{post_title} {unit_name}")


def _from_when(effective_on: date, issued_on: date | None) -> str:
    if effective_on == issued_on:
        return "kể từ ngày ký Quyết định này"
    return f"kể từ {format_long_date(effective_on)}"


def _form_object(form: str, who: str, post: str) -> str:
    if form == "resignation":
        return f"của {who}, {post}"
    return f"chức vụ {post} đối với {who}"


def _minutes_subject(kind: str, form: str, who: str, post: str, meeting_body: str) -> str:
    if kind == "exchange":
        topic = {
            "dismissal": "việc xem xét miễn nhiệm",
            "termination": "việc xem xét cho thôi giữ chức vụ",
            "resignation": "đơn xin từ chức",
        }[form]
        return f"Trao đổi với {who}, {post} về {topic}"
    collective = _strip_punctuation(meeting_body)
    meeting = f"Hội nghị {collective}" if collective else "Hội nghị"
    return f"{meeting} xem xét {_FORM_ACTION[form]} {_form_object(form, who, post)}"


def _strip_punctuation(text: str) -> str:
    return _one_line(text).lstrip("-–• ").rstrip(";.,: ")


def _strip_or_none(text: str | None) -> str | None:
    if text is None:
        return None
    text = _one_line(text)
    return text or None


def _basis(text: str) -> str:
    text = _strip_punctuation(text)
    if not text.lower().startswith(("căn cứ", "xét", "theo")):
        text = f"Căn cứ {text}"
    return text


def _regulation_basis(ctx: DecisionContext) -> list[str]:
    symbol = ctx.regulation_symbol.strip()
    if not symbol:
        return []
    known = _KNOWN_REGULATIONS.get(ctx.regulation_code)
    word = known.word if known else _instrument_word(symbol)
    issued_on = ctx.regulation_issued_on or (known.issued_on if known else None)
    issuer = ctx.regulation_issuer or (known.issuer if known else None)
    title = _strip_punctuation(ctx.regulation_title)
    # Accept "Quy định về …" as well as "về …" for the title.
    if title.lower().startswith(word.lower() + " "):
        title = title[len(word) + 1 :]
    parts = [f"Căn cứ {word} số {symbol}"]
    if issued_on:
        parts.append(format_long_date(issued_on))
    if issuer:
        parts.append(f"của {issuer}")
    if title:
        parts.append(title)
    return [" ".join(parts)]


def _instrument_word(symbol: str) -> str:
    for marker, word in _INSTRUMENT_WORDS:
        if marker in symbol:
            return word
    return "Văn bản"


def _punctuate(
    items: Iterable[str], *, last: str = ".", bullet: bool = False, sep: str = ";"
) -> list[str]:
    """One line per item ending in ``sep``, the last in ``last`` (FMT30-6a, FMT30-9)."""
    cleaned = [_strip_punctuation(item) for item in items]
    cleaned = [item for item in cleaned if item]
    lead = "- " if bullet else ""
    return [
        f"{lead}{item}{last if index == len(cleaned) - 1 else sep}"
        for index, item in enumerate(cleaned)
    ]


def _recipient_lines(recipients: Sequence[str]) -> list[str]:
    """FMT30-9: "- …;" lines, the file copy ("Lưu: VT, …") last and ending with "."."""
    items = [_strip_punctuation(r) for r in recipients]
    items = [item for item in items if item]
    file_copies = [item for item in items if item.lower().startswith("lưu")]
    others = [item for item in items if not item.lower().startswith("lưu")]
    return _punctuate([*others, *(file_copies or ["Lưu: VT"])], bullet=True)


def _authority_line(signer: Signer, body: IssuingBody) -> str:
    """FMT30-5c: who decides. A collective when signed "TM.", otherwise the head's post
    and the body ("CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH LÀO CAI"). Party decisions name the
    collective or the body and end with "QUYẾT ĐỊNH" (common practice [U])."""
    name = _one_line(body.name)
    collective = _one_line(body.collective_name or "")
    if body.kind == "party":
        if signer.prefix == "TM" and collective and not name.startswith(collective):
            return f"{collective} {name}"
        return name
    if signer.prefix == "TM":
        return name
    head = _one_line(signer.head_post or signer.post)
    return f"{head} {name}".upper()


def _signature(signer: Signer, body: IssuingBody) -> dict[str, Any]:
    """FMT30-7 / FMT36-7: authority lines (upper case, bold), then the name."""
    post = _one_line(signer.post).upper()
    prefix = signer.prefix
    if body.kind == "party":
        if prefix and prefix not in _PARTY_PREFIXES:
            raise ValueError(f"Party documents have no {prefix!r} signing form (FMT36-7)")
        marks = _PARTY_PREFIXES
    else:
        marks = _STATE_PREFIXES
    if prefix == "":
        lines = [post]
    elif prefix == "Q":
        lines = [f"{marks['Q']} {post}"]  # "Q. GIÁM ĐỐC"
    elif prefix == "TM":
        if not body.collective_name:
            raise ValueError(f"{marks['TM']} needs the body's collective_name")
        lines = [f"{marks['TM']} {_one_line(body.collective_name).upper()}", post]
    else:
        if not signer.head_post:
            raise ValueError(f"{marks[prefix]} needs the head_post the signer signs for")
        lines = [f"{marks[prefix]} {_one_line(signer.head_post).upper()}", post]
    return {"lines": lines, "name": _one_line(signer.full_name)}


def _signatories(pairs: Sequence[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"role": _one_line(role).upper(), "name": _one_line(name)} for role, name in pairs]


def _percent(count: int, total: int) -> str:
    if total <= 0:
        return ""
    # Vietnamese decimal comma: 66,67%.
    return f"{count * 100 / total:.2f}".replace(".", ",") + "%"
