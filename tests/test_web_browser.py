"""Each role's main journey in a real headless Chromium, in Vietnamese and in English.

Every page visited in Vietnamese is checked for untranslated strings of the web
fragment; the inbox, a case page and the auditor's history are photographed at phone
and desktop widths into test-artifacts/screenshots/.
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect, sync_playwright

from cases.models import Appointment, Case, Decision
from cases.workflow import engine as workflow
from tests.conftest import PDF_BYTES, pass_exchange
from tests.web_support import (  # noqa: F401
    ROOT,
    VISIBLE_TEXT_JS,
    untranslated_in,
    web_locale_dir,
    web_translations,
)

# Playwright's sync API runs an event loop in this thread; Django's ORM calls from the
# test body are still synchronous and safe here.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
LANGUAGES = ["vi", "en"]
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser, live_server: Any) -> Iterator[Page]:
    context = browser.new_context(viewport=DESKTOP, base_url=live_server.url)
    context.set_default_timeout(15000)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    # Refusals answer 4xx on purpose; only script errors and missing assets are faults.
    tab.on(
        "console",
        lambda msg: (
            errors.append(msg.text)
            if msg.type == "error" and not msg.text.startswith("Failed to load resource")
            else None
        ),
    )
    tab.on(
        "response",
        lambda r: (
            errors.append(f"{r.status} {r.url}")
            if "/static/" in r.url and r.status >= 400
            else None
        ),
    )
    yield tab
    context.close()
    assert not errors, f"script errors or missing assets: {errors}"


class Visit:
    """Checks every page of a journey: the language and, in Vietnamese, no leaked msgid."""

    def __init__(self, page: Page, lang: str, base_url: str) -> None:
        self.page = page
        self.lang = lang
        self.base_url = base_url

    def check(self) -> None:
        expect(self.page.locator("html")).to_have_attribute("lang", self.lang)
        if self.lang == "vi":
            leaks = untranslated_in(self.page.evaluate(VISIBLE_TEXT_JS))
            assert not leaks, f"{self.page.url}: untranslated {leaks}"

    def goto(self, path: str) -> Any:
        response = self.page.goto(path)
        self.check()
        return response

    def shoot(self, name: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for label, size in (("phone", PHONE), ("desktop", DESKTOP)):
            self.page.set_viewport_size(size)
            self.page.screenshot(
                path=str(SCREENSHOTS / f"{name}-{self.lang}-{label}.png"), full_page=True
            )
        self.page.set_viewport_size(DESKTOP)

    def sign_in(self, username: str) -> None:
        self.page.context.add_cookies(
            [{"name": "django_language", "value": self.lang, "url": self.base_url}]
        )
        self.page.goto("/login/")
        self.check()
        self.page.fill("#id_username", username)
        self.page.fill("#id_password", "cadre-demo")
        with self.page.expect_navigation():
            self.page.click("main button[type=submit]")
        assert self.page.url == self.base_url + "/"
        self.check()

    def submit(self, form_selector: str) -> None:
        with self.page.expect_navigation():
            self.page.click(f"{form_selector} button[type=submit]")
        self.check()

    def open_action(self, name: str) -> str:
        block = f"#action-{name}"
        # The step's primary action is always shown; only secondary actions fold.
        if self.page.locator(f"details{block}:not([open]) > summary").count():
            self.page.click(f"{block} > summary")
        return block


@pytest.fixture
def visit(page: Page, live_server: Any) -> Any:
    return lambda lang: Visit(page, lang, live_server.url)


def late_termination(world: Any, file_case: Any) -> Case:
    """A commune post's termination that reached the province's decision 40 days ago
    (R377-S-2 follows the proposal directly since issue #14)."""
    past = timezone.localdate() - datetime.timedelta(days=40)
    case = file_case(
        "termination",
        official=world.official_deputy,
        position=world.post_deputy,
        grounds=["R377-T-3"],
        filed_on=past,
    )
    return pass_exchange(case, world.users["clerk_commune"], day=past)


def pdf_file(name: str) -> dict[str, Any]:
    return {"name": name, "mimeType": "application/pdf", "buffer": PDF_BYTES}


# --- official ---------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGUAGES)
def test_official_submits_and_withdraws_a_resignation(
    page: Page, visit: Any, world: Any, file_case: Any, lang: str
) -> None:
    someone_else = file_case("dismissal")
    v = visit("vi")
    v.sign_in("official")
    if lang == "en":
        # The language switch on every page: choosing English reloads the page in English.
        with page.expect_navigation():
            page.select_option("#lang-select", "en")
        v = visit("en")
        v.check()
    expect(page.locator("form.lang-switch button")).to_be_hidden()  # JS submits on change
    v.shoot("inbox-official")

    with page.expect_navigation():
        page.click("nav a[href='/my-posts/']")
    v.check()
    appointment = Appointment.objects.get(official=world.official_self)
    with page.expect_navigation():
        page.click(f"a[href='/my-posts/{appointment.pk}/resign/']")
    v.check()
    # Submitting without grounds or file is refused; the typed statement is kept.
    page.fill("#id_statement", "Tôi xin từ chức vì lý do sức khỏe.")
    v.submit("main form")
    expect(page.locator(".form-error").first).to_be_visible()
    expect(page.locator("#id_statement")).to_have_value("Tôi xin từ chức vì lý do sức khỏe.")
    page.check("#ground-R377-R-1")
    page.set_input_files("#id_application", pdf_file("don-tu-chuc.pdf"))
    v.submit("main form")

    case = Case.objects.get(official=world.official_self)
    assert page.url.endswith(f"/cases/{case.pk}/")
    expect(page.locator(".message-success")).to_be_visible()
    expect(page.locator("[data-testid=step-tracker] .state-current")).to_have_count(1)
    assert case.documents.get().filename == "don-tu-chuc.pdf"
    v.shoot("case-official")

    block = v.open_action("withdraw")
    page.fill(
        f"{block} textarea[name='withdraw-reason']", "Tôi đổi ý sau khi trao đổi với gia đình."
    )
    v.submit(block)
    expect(page.locator(".badge.outcome-withdrawn").first).to_be_visible()
    expect(page.locator("[data-testid=no-actions]")).to_be_visible()
    case.refresh_from_db()
    assert case.outcome == "withdrawn"

    # Refusal: another official's case does not exist for this user.
    response = v.goto(f"/cases/{someone_else.pk}/")
    assert response.status == 404
    expect(page.locator("[data-testid=error-404]")).to_be_visible()


# --- clerk -------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGUAGES)
def test_clerk_files_a_dismissal_records_talk_and_vote_and_submits(
    page: Page, visit: Any, world: Any, file_case: Any, lang: str
) -> None:
    outside = file_case(
        "dismissal", official=world.official_other, position=world.post_other, by="clerk_other"
    )
    appraisal = file_case(
        "termination",
        official=world.official_deputy,
        position=world.post_deputy,
        grounds=["R377-T-3"],
    )
    # The province clerk also clerks for the commune, so the commune's proposal waits for them.
    from cases.models import Membership, Role

    Membership.objects.create(user=world.users["clerk"], unit=world.commune, role=Role.CLERK)
    v = visit(lang)
    v.sign_in("clerk")
    expect(page.locator("[data-testid=inbox-table]")).to_contain_text(appraisal.reference)
    with page.expect_navigation():
        page.click("nav a[href='/cases/new/']")
    v.check()
    # Refusal: nobody outside the clerk's scope can be chosen.
    options = page.locator("#id_appointment option").all_inner_texts()
    assert any(world.official_same.full_name in o for o in options)
    assert not any(world.official_other.full_name in o for o in options)
    page.select_option("#id_form", "dismissal")
    v.shoot("file-case-clerk")
    expect(page.locator("#ground-R377-D-4")).to_be_visible()
    expect(page.locator("#ground-R377-R-1")).to_be_hidden()
    appointment = Appointment.objects.get(official=world.official_same)
    page.select_option("#id_appointment", str(appointment.pk))
    page.check("#ground-R377-D-4")
    page.fill("#id_statement", "Vi phạm quy định về đạo đức công vụ.")
    page.set_input_files("#id_document", pdf_file("bang-chung.pdf"))
    v.submit("main form[data-filing-form]")
    case = Case.objects.get(official=world.official_same)
    assert page.url.endswith(f"/cases/{case.pk}/")

    # Before the talk and vote the submission is not offered: the checklist says why.
    expect(page.locator("[data-testid=primary-button]")).to_be_disabled()
    expect(page.locator("[data-testid=check-item].todo")).to_have_count(3)

    block = v.open_action("record_talk")
    page.fill(
        f"{block} input[name='record_talk-held_on']", timezone.localdate().strftime("%d/%m/%Y")
    )
    page.fill(
        f"{block} textarea[name='record_talk-summary']",
        "Đồng chí Đức đã được thông báo và trình bày ý kiến.",
    )
    page.set_input_files(f"{block} input[name='record_talk-file']", pdf_file("bien-ban.pdf"))
    v.submit(block)
    expect(page.locator(".message-success")).to_be_visible()

    block = v.open_action("record_vote")
    # The members come from the roster (9 in the province's People's Committee).
    expect(page.locator(f"{block} [data-testid=roster-size]")).to_contain_text("9")
    page.fill(f"{block} input[name='record_vote-present']", "9")
    page.fill(f"{block} input[name='record_vote-votes_for']", "4")
    page.fill(f"{block} input[name='record_vote-votes_against']", "5")
    expect(page.locator(f"{block} [data-vote-preview]")).to_have_class("vote-preview fail")
    page.fill(f"{block} input[name='record_vote-votes_for']", "7")
    page.fill(f"{block} input[name='record_vote-votes_against']", "2")
    expect(page.locator(f"{block} [data-vote-preview]")).to_have_class("vote-preview pass")
    v.submit(block)
    expect(page.locator("[data-testid=votes] .badge.ok")).to_be_visible()

    v.submit(v.open_action("complete_step"))
    expect(page.locator(".message-success")).to_be_visible()
    case.refresh_from_db()
    assert case.current_step.template.code == "R377-S-2"
    expect(page.locator("[data-testid=step-tracker] .state-done")).to_have_count(1)
    v.shoot("case-clerk")

    # Refusal: a case of another province is not found, and its unit is not offered.
    response = v.goto(f"/cases/{outside.pk}/")
    assert response.status == 404
    v.goto("/cases/")
    units = page.locator("#id_unit option").all_inner_texts()
    assert world.province.name in units and world.other_province.name not in units
    v.goto("/")
    v.shoot("inbox-clerk")


# --- authority ---------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGUAGES)
def test_authority_reviews_and_approves(
    page: Page, visit: Any, world: Any, file_case: Any, lang: str
) -> None:
    case = file_case("dismissal")
    pass_exchange(case, world.users["clerk"])
    late = late_termination(world, file_case)
    v = visit(lang)
    v.sign_in("authority")
    rows = page.locator("[data-testid=inbox-table] tbody tr")
    expect(rows).to_have_count(2)
    # Most urgent first: the overdue decision heads the list with its badge.
    expect(rows.nth(0)).to_contain_text(late.reference)
    expect(rows.nth(0).locator(".badge.overdue")).to_be_visible()
    expect(rows.nth(1)).to_contain_text(case.reference)
    v.shoot("inbox-authority")
    with page.expect_navigation():
        page.click(f"[data-testid=inbox-table] a[href='/cases/{case.pk}/']")
    v.check()
    expect(page.locator("#documents-heading")).to_be_visible()
    expect(
        page.locator("text=bien-ban.pdf").or_(page.locator("text=minutes.pdf")).first
    ).to_be_visible()

    block = v.open_action("approve")
    page.fill(f"{block} input[name='approve-effective_on']", "2020-01-01")
    page.fill(f"{block} input[name='approve-signer_post']", "CHỦ TỊCH")
    v.submit(block)
    # Refusal next to the action; what was typed is still there.
    expect(page.locator("#action-approve .field-error")).to_be_visible()
    expect(page.locator("#action-approve input[name='approve-signer_post']")).to_have_value(
        "CHỦ TỊCH"
    )
    assert not Decision.objects.exists()

    page.fill(f"{block} input[name='approve-effective_on']", timezone.localdate().isoformat())
    v.submit(block)
    decision = Decision.objects.get(case=case)
    expect(page.locator("[data-testid=decision]")).to_contain_text(decision.symbol)
    expect(page.locator("[data-testid=document-pending]")).to_be_visible()
    v.shoot("case-authority")


# --- auditor -----------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGUAGES)
def test_auditor_finds_a_case_reads_its_history_and_verifies_the_chain(
    page: Page, visit: Any, world: Any, file_case: Any, lang: str
) -> None:
    case = file_case("dismissal", statement="Vi phạm kỷ luật nghiêm trọng.")
    pass_exchange(case, world.users["clerk"])
    workflow.perform(case_id=case.pk, user=world.users["authority"], action=workflow.APPROVE)
    file_case("dismissal", official=world.official_deputy, position=world.post_deputy)
    v = visit(lang)
    v.sign_in("auditor")
    with page.expect_navigation():
        page.click("nav a[href='/cases/']")
    v.check()
    page.fill("#id_q", world.official_same.full_name)
    page.select_option("#id_form", "dismissal")
    v.submit("main form.filters")
    results = page.locator("[data-testid=search-results] tbody tr")
    expect(results).to_have_count(1)
    with page.expect_navigation():
        page.click(f"[data-testid=search-results] a[href='/cases/{case.pk}/']")
    v.check()
    # Refusal: the auditor has no action, and a change sent anyway is refused.
    expect(page.locator("[data-testid=no-actions]")).to_be_visible()
    expect(page.locator("form.action-form")).to_have_count(0)
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    refused = page.request.post(
        f"/cases/{case.pk}/act/complete_implementation/",
        form={"csrfmiddlewaretoken": token},
        headers={"Referer": page.url},
    )
    assert refused.status == 403
    assert "error-403" in refused.text()

    with page.expect_navigation():
        page.click(f"a[href='/cases/{case.pk}/history/']")
    v.check()
    rows = page.locator("[data-testid=history-table] tbody tr")
    expect(rows).to_have_count(case.events.count())
    expect(page.locator("[data-testid=history-table]")).to_contain_text(
        "Vi phạm kỷ luật nghiêm trọng."
    )
    with page.expect_navigation():
        page.click("#chain-heading ~ form button")
    v.check()
    expect(page.locator("[data-testid=chain-result]")).to_have_class("notice success")
    v.shoot("history-auditor")
    with page.expect_download() as download:
        page.click(f"a[href='/cases/{case.pk}/history.csv']")
    assert download.value.suggested_filename == f"{case.reference}-history.csv"


def test_screenshots_are_written() -> None:
    """Runs after the journeys in this module (file order); the pictures exist."""
    names = {p.name for p in Path(SCREENSHOTS).glob("*.png")}
    for lang in LANGUAGES:
        for label in ("phone", "desktop"):
            assert f"inbox-clerk-{lang}-{label}.png" in names
            assert f"case-authority-{lang}-{label}.png" in names
            assert f"history-auditor-{lang}-{label}.png" in names
