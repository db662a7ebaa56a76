"""No review note reaches a non-administrator or a decision PDF, for every process (issue #14).

Acceptance: "No ground, step or help text shown to a non-admin user or printed in a PDF
contains a review note." The processes are read from the catalog files themselves
(``fixtures/catalog``), so a process added there is scanned without touching this file.

One world for the module (like ``tests/test_access_matrix.py``): the catalog, the demo
world and, for every enabled process template, a case holding every ground of the
process's form and one case step per step template, written directly (not driven through
the engine, which would need each regime's own path). Each step in turn is made the
current one, since the case page shows the current step's help text only; the page is
read by a clerk, an authority and an auditor, in Vietnamese and English, and once more
when the case is approved (the policies after leaving). The decision is rendered by the
real mapping (``issuing.decision_context``, as the draft decision is) in its format:
FMT36 for a Party body, FMT30 for a State one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client, TestCase, override_settings

from cases.catalog.loader import load_catalog, read_catalog
from cases.documents.issuing import decision_context
from cases.documents.render import render_decision
from cases.models import (
    ActorUnit,
    Case,
    CaseOutcome,
    CaseStatus,
    CaseStep,
    CatalogVersion,
    Decision,
    Exclusion,
    Ground,
    Level,
    OrgUnit,
    ProcessTemplate,
    Provision,
    StepStatus,
    StepTemplate,
    TimeLimit,
    Track,
    TrackKind,
    TrackStatus,
)
from cases.ops.demo import DemoWorld, build_demo_world
from tests.celery_support import pdf_text
from tests.review_support import NOTE_MARKERS

NON_ADMINS = ("clerk", "authority", "auditor")
LANGUAGES = ("vi", "en")
STATE_REGIMES = {"ND138", "ND138-24", "ND170", "LGL25"}


def _catalog_processes() -> list[str]:
    """Every enabled process of the current catalog files: "<regime>:<form>:<scope>"."""
    _manifest, regulations, _checksum = read_catalog()
    return [
        f"{reg['code']}:{p['form']}:{p['scope']}"
        for reg in regulations
        for p in reg.get("processes", [])
        if p.get("enabled", True)
    ]


PROCESSES = _catalog_processes()


def _key(process: ProcessTemplate) -> str:
    return f"{process.regulation.code}:{process.form}:{process.scope}"


@dataclass
class Scan:
    world: DemoWorld
    cases: dict[str, Case]
    snippets: set[str]


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


def _user_facing() -> str:
    """Every catalog text a user may be shown, in both languages, as one searchable string."""
    texts: list[str] = []
    for model in (Ground, Exclusion, Provision, TimeLimit):
        for item in model.objects.all():
            texts += [item.text_vi, item.text_en]
            if isinstance(item, TimeLimit):
                texts += [item.anchor_vi, item.anchor_en]
    for step in StepTemplate.objects.all():
        texts += [step.name_vi, step.name_en, step.description_vi, step.description_en]
    return "\n".join(_flat(t) for t in texts)


def _snippets() -> set[str]:
    """The parts of every review note that no user-facing text holds: its clauses of 15
    characters or more (a note often repeats the words of its own text, which may show)."""
    shown = _user_facing()
    notes = [
        n
        for model in (Ground, Exclusion, Provision, TimeLimit, StepTemplate)
        for n in model.objects.exclude(review_note="").values_list("review_note", flat=True)
    ]
    found = set()
    for note in notes:
        for line in note.splitlines():
            for part in re.split(r"[;:.,()\[\]]", re.sub(r"^(VI|EN): ", "", line)):
                part = _flat(part)
                if len(part) >= 15 and part not in shown:
                    found.add(part)
    return found


def _grounds(process: ProcessTemplate) -> list[Ground]:
    """Every ground of the process's regime and form (deprecated ones too: older cases)."""
    return list(
        Ground.objects.filter(regulation=process.regulation, form=process.form).order_by("code")
    )


def _actor_unit(template: StepTemplate, units: dict[str, OrgUnit]) -> OrgUnit:
    return units.get(template.actor_unit, units[ActorUnit.DECIDING])


def _build_case(world: DemoWorld, process: ProcessTemplate, number: int) -> Case:
    regulation = process.regulation
    party = regulation.track in ("", TrackKind.PARTY)
    deciding = world.province_party if party else world.province
    units = {
        ActorUnit.EMPLOYING: world.province,
        ActorUnit.DECIDING: deciding,
        ActorUnit.APPROVING: world.province,
    }
    filed_on = regulation.in_force_from
    case = Case.objects.create(
        reference=f"SCAN-{number:03d}",
        form=process.form,
        official=world.official_same,
        position=world.post_same,
        regulation=regulation,
        process=process,
        scope=process.scope,
        employing_unit=world.province,
        deciding_unit=deciding,
        level=Level.PROVINCIAL,
        statement="",  # the decision prints the grounds' texts, not a statement
        filed_on=filed_on,
        filed_by=world.users["clerk"],
    )
    grounds = _grounds(process)
    case.grounds.set(grounds)
    track = Track.objects.create(
        case=case,
        kind=TrackKind.PARTY if party else regulation.track,
        order=1,
        form=process.form,
        regulation=regulation,
        process=process,
        scope=process.scope,
        deciding_unit=deciding,
        approving_unit=world.province if not party else None,
        filed_on=filed_on,
        status=TrackStatus.OPEN,
        started_on=filed_on,
    )
    track.grounds.set(grounds)
    for template in process.steps.order_by("order"):
        CaseStep.objects.create(
            case=case,
            track=track,
            template=template,
            order=template.order,
            actor_role=template.actor_role,
            actor_unit=_actor_unit(template, units),
        )
    return case


@pytest.fixture(scope="module")
def scan(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Scan]:
    """The world and one case per enabled process, built once and rolled back after."""
    storages = {
        **django_settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {
                "location": str(tmp_path_factory.getbasetemp() / "private"),
                "base_url": None,
            },
        },
    }
    with django_db_blocker.unblock(), override_settings(STORAGES=storages):
        atomics = TestCase._enter_atomics()
        try:
            if not CatalogVersion.objects.filter(is_current=True).exists():
                load_catalog()
            world = build_demo_world(password="cadre-demo")
            processes = ProcessTemplate.objects.filter(
                regulation__version__is_current=True, enabled=True
            ).select_related("regulation")
            cases = {_key(p): _build_case(world, p, n) for n, p in enumerate(processes, start=1)}
            yield Scan(world=world, cases=cases, snippets=_snippets())
        finally:
            TestCase._rollback_atomics(atomics)


@pytest.fixture
def scanned(scan: Scan, db: None, settings: Any) -> Scan:
    settings.REQUIRE_TOTP = False  # authorities and auditors read the page without a code
    return scan


def _set_current(case: Case, step: CaseStep | None) -> None:
    """Make ``step`` the current one (earlier ones done, later ones not started)."""
    steps = case.steps.order_by("order")
    steps.update(status=StepStatus.PENDING)
    if step is not None:
        steps.filter(order__lt=step.order).update(status=StepStatus.DONE)
        CaseStep.objects.filter(pk=step.pk).update(
            status=StepStatus.ACTIVE, started_on=case.filed_on
        )
    else:
        steps.update(status=StepStatus.DONE)
    Case.objects.filter(pk=case.pk).update(current_step=step)


def _approved(case: Case) -> None:
    _set_current(case, None)
    Case.objects.filter(pk=case.pk).update(
        status=CaseStatus.CLOSED, outcome=CaseOutcome.APPROVED, decided_on=case.filed_on
    )


def _client(scan: Scan, username: str, language: str) -> Client:
    client = Client()
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = language
    client.force_login(scan.world.users[username])
    return client


BADGE = re.compile(r'<span class="badge" data-testid="legal-review"[^>]*>[^<]*</span>')
TAG = re.compile(r"<[^>]+>")


def leaks(text: str, snippets: set[str], *, html: bool) -> list[str]:
    """What of a review note a page or a PDF shows: the note element, a working-note
    marker in the text, or a clause of a stored note."""
    found = []
    if html:
        if 'data-testid="review-note"' in text:
            found.append("review-note element")
        # The "needs legal review" badge is the marker everybody sees instead of the note.
        text = _unescaped(TAG.sub(" ", BADGE.sub(" ", text)))
    flat = _flat(text)
    found += [f"marker {m!r}" for m in NOTE_MARKERS if m in flat]
    found += [f"note {s!r}" for s in sorted(snippets) if s in flat]
    return found


def _page(client: Client, case: Case) -> str:
    answer = client.get(f"/cases/{case.pk}/")
    assert answer.status_code == 200, answer.status_code
    return answer.content.decode()


def _texts_shown(case: Case, language: str, current: StepTemplate | None) -> list[str]:
    """The catalog texts the page must show: every step's name, the grounds' texts and the
    current step's help text (so the scan is known to cover them)."""
    vi = language == "vi"
    texts = [s.name_vi if vi else s.name_en for s in case.process.steps.all()]
    texts += [g.text_vi if vi else g.text_en for g in case.grounds.all()]
    if current is not None and (current.description_vi if vi else current.description_en):
        texts.append(current.description_vi if vi else current.description_en)
    return texts


def _unescaped(page: str) -> str:
    return (
        page.replace("&quot;", '"')
        .replace("&#x27;", "'")
        .replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
    )


# --- the scan covers the whole catalog ---------------------------------------------------------


def test_every_enabled_process_of_the_catalog_is_scanned(scanned: Scan) -> None:
    in_database = {
        _key(p)
        for p in ProcessTemplate.objects.filter(regulation__version__is_current=True, enabled=True)
    }
    assert in_database == set(PROCESSES) == set(scanned.cases)
    assert STATE_REGIMES <= {key.split(":")[0] for key in PROCESSES}
    # NQ96 and LCBCC25 are reference texts: no process of their own; their provisions are
    # read by the State regimes' rules, and the static scan of every text covers them.
    assert not ProcessTemplate.objects.filter(
        regulation__version__is_current=True, regulation__code__in=["NQ96", "LCBCC25"]
    ).exists()


# --- the case page of a non-administrator ----------------------------------------------------


def _readers(index: int) -> list[tuple[str, str]]:
    """Who reads the page while step ``index`` is current: both languages, the three roles
    in turn, so every role reads every process (each has two steps or more)."""
    return [(NON_ADMINS[(index * 2 + j) % 3], language) for j, language in enumerate(LANGUAGES)]


@pytest.mark.parametrize("key", PROCESSES)
def test_no_review_note_on_the_case_page_of_a_non_admin(scanned: Scan, key: str) -> None:
    case = scanned.cases[key]
    steps = list(case.steps.select_related("template").order_by("order"))
    clients = {
        (username, language): _client(scanned, username, language)
        for username in NON_ADMINS
        for language in LANGUAGES
    }
    problems: list[str] = []
    readers: set[str] = set()
    marked = any(s.needs_legal_review for s in case.process.steps.all()) or any(
        g.needs_legal_review for g in case.grounds.all()
    )
    for index, step in enumerate(steps):
        _set_current(case, step)
        for username, language in _readers(index):
            readers.add(username)
            page = _page(clients[username, language], case)
            where = f"{key} {step.template.code} {username} {language}"
            problems += [f"{where}: {leak}" for leak in leaks(page, scanned.snippets, html=True)]
            shown = _unescaped(page)
            missing = [t for t in _texts_shown(case, language, step.template) if t not in shown]
            assert not missing, f"{where}: the page does not show {missing}"
            # The marker everybody sees instead of the note.
            assert ('data-testid="legal-review"' in page) or not marked, where
    assert readers == set(NON_ADMINS)
    _approved(case)
    for index, language in enumerate(LANGUAGES):
        username = NON_ADMINS[(len(steps) + index) % 3]
        page = _page(clients[username, language], case)
        assert 'data-testid="consequences"' in page or not _policies(case)
        problems += [
            f"{key} approved {username} {language}: {leak}"
            for leak in leaks(page, scanned.snippets, html=True)
        ]
    assert problems == []


def _policies(case: Case) -> list[Provision]:
    return [
        p
        for p in case.regulation.provisions.filter(kind=Provision.Kind.POLICY, deprecated=False)
        if case.form in (p.after_forms or [])
    ]


@pytest.mark.parametrize("key", PROCESSES)
def test_the_administrator_sees_the_notes_of_the_process(scanned: Scan, key: str) -> None:
    """Positive control: where the process's steps or grounds carry a note, the
    administrator's page shows it; so the notes exist and the pages above would show them."""
    case = scanned.cases[key]
    _set_current(case, case.steps.order_by("order").first())
    notes = [
        n
        for n in [
            *(s.review_note for s in case.process.steps.all()),
            *(g.review_note for g in case.grounds.all()),
        ]
        if n
    ]
    page = _unescaped(_page(_client(scanned, "admin", "vi"), case))
    assert ('data-testid="review-note"' in page) == bool(notes)
    for note in notes:
        assert re.sub(r"\s+", " ", note).strip()[:40] in re.sub(r"\s+", " ", page)


def test_the_catalog_holds_notes_for_the_positive_controls(scanned: Scan) -> None:
    with_notes = [
        key
        for key, case in scanned.cases.items()
        if case.process.steps.exclude(review_note="").exists()
        or case.grounds.exclude(review_note="").exists()
    ]
    assert len(with_notes) >= 5, with_notes
    assert len(scanned.snippets) >= 10


# --- the decision PDF --------------------------------------------------------------------------


def _decision_pdf(case: Case) -> str:
    """The decision as ``issuing`` would print it for the case's track (not stored)."""
    track = case.tracks.get()
    unit = track.deciding_unit
    signer = case.filed_by
    draft = Decision(
        case=case,
        track=track,
        approved=True,
        issuing_unit=unit,
        number=1,
        year=case.filed_on.year,
        symbol="",
        decided_on=case.filed_on,
        effective_on=case.filed_on,
        signer=signer,
        signer_name="Nguyễn Văn Ký",
        signer_post=unit.head_title,
    )
    return pdf_text(render_decision(decision_context(draft)))


@pytest.mark.parametrize("key", PROCESSES)
def test_no_review_note_in_the_decision_pdf(scanned: Scan, key: str) -> None:
    case = scanned.cases[key]
    text = _decision_pdf(case)
    party = case.tracks.get().kind == TrackKind.PARTY
    # FMT36 for a Party body, FMT30 for a State one.
    assert ("ĐẢNG CỘNG SẢN VIỆT NAM" in text) == party
    assert ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text) == (not party)
    printed = [(g.code, g.text_vi) for g in case.grounds.all()] or [
        (p.code, p.text_vi) for p in case.regulation.provisions.filter(code="LGL25-R-1")
    ]
    assert printed, f"{key}: nothing printed as the grounds"
    flat = re.sub(r"\s+", " ", text)
    for code, ground in printed:
        head = re.sub(r"\s+", " ", ground).strip()[:30].rstrip(" .;,")
        assert head in flat, f"{key}: ground {code} is not printed"
    assert leaks(text, scanned.snippets, html=False) == []


# --- the scan finds a note that reaches a text ------------------------------------------------


def test_the_scan_finds_a_note_copied_into_a_step_text_or_a_ground(scanned: Scan) -> None:
    """What a new process whose texts hold a note would look like: the scan fails on it."""
    step = (
        StepTemplate.objects.exclude(review_note="")
        .filter(process__regulation__version__is_current=True)
        .select_related("process__regulation")
        .first()
    )
    assert step is not None
    case = scanned.cases[_key(step.process)]
    note = step.review_note.splitlines()[0]
    ground = case.grounds.order_by("code").first()
    assert ground is not None
    # ``update`` bypasses the frozen-catalog guard; the test's savepoint rolls it back.
    StepTemplate.objects.filter(pk=step.pk).update(description_vi=f"Bước. {note}")
    Ground.objects.filter(pk=ground.pk).update(text_vi="Căn cứ (cần rà soát)")
    _set_current(case, case.steps.get(template=step))
    page = _page(_client(scanned, "clerk", "vi"), case)
    assert any(leak.startswith("note") for leak in leaks(page, scanned.snippets, html=True))
    assert "marker 'cần rà soát'" in leaks(_decision_pdf(case), scanned.snippets, html=False)
