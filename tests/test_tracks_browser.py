"""The demo two-track case in a real headless Chromium, with screenshots in
test-artifacts/screenshots/: the commune chair's resignation filed by hand and taken to
the Party decision and then the People's Council's (tracks-*.png), and the case that
``seed_demo`` leaves at the People's Council's vote taken from there to both decisions
(tracks-demo-*.png). Together they show filing → both decisions."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect, sync_playwright

from cases.documents.issuing import issue_decision_document
from cases.models import Appointment, Case, Decision
from cases.ops.demo import build_two_track_world
from tests.conftest import PDF_BYTES
from tests.web_support import (  # noqa: F401 - web_translations is an autouse fixture
    ROOT,
    VISIBLE_TEXT_JS,
    untranslated_in,
    web_locale_dir,
    web_translations,
)

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"]
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser, live_server: Any) -> Iterator[Page]:
    context = browser.new_context(viewport=DESKTOP, base_url=live_server.url)
    context.set_default_timeout(15000)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    yield tab
    context.close()
    assert not errors, errors


def pdf_file(name: str) -> dict[str, Any]:
    return {"name": name, "mimeType": "application/pdf", "buffer": PDF_BYTES}


class Journey:
    def __init__(self, page: Page, base_url: str, lang: str) -> None:
        self.page, self.base_url, self.lang = page, base_url, lang

    def check(self) -> None:
        expect(self.page.locator("html")).to_have_attribute("lang", self.lang)
        if self.lang == "vi":
            leaks = untranslated_in(self.page.evaluate(VISIBLE_TEXT_JS))
            assert not leaks, f"{self.page.url}: untranslated {leaks}"

    def sign_in(self, username: str, password: str = "cadre-demo") -> None:
        self.page.context.clear_cookies()
        self.page.context.add_cookies(
            [{"name": "django_language", "value": self.lang, "url": self.base_url}]
        )
        self.page.goto("/login/")
        self.page.fill("#id_username", username)
        self.page.fill("#id_password", password)
        with self.page.expect_navigation():
            self.page.click("main button[type=submit]")
        self.check()

    def open_case(self, case: Case) -> None:
        self.page.goto(f"/cases/{case.pk}/")
        self.check()

    def act(
        self, name: str, fill: dict[str, str] | None = None, files: dict[str, str] | None = None
    ) -> None:
        block = f"#action-{name}"
        # The primary action stands open; the others are folded (issue #15's panel).
        if self.page.locator(f"details{block}:not([open]) > summary").count():
            self.page.click(f"{block} > summary")
        for field, value in (fill or {}).items():
            selector = f"{block} [name='{name}-{field}']"
            if self.page.locator(selector).evaluate("e => e.tagName") == "SELECT":
                self.page.select_option(selector, value)
            else:
                self.page.fill(selector, value)
        for field, filename in (files or {}).items():
            self.page.set_input_files(f"{block} input[name='{name}-{field}']", pdf_file(filename))
        with self.page.expect_navigation():
            self.page.click(f"{block} button[type=submit]")
        self.check()
        expect(self.page.locator(".message-success")).to_be_visible()

    def shoot(self, name: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for label, size in (("phone", PHONE), ("desktop", DESKTOP)):
            self.page.set_viewport_size(size)
            self.page.screenshot(
                path=str(SCREENSHOTS / f"{name}-{self.lang}-{label}.png"), full_page=True
            )
        self.page.set_viewport_size(DESKTOP)


def test_the_demo_two_track_case_from_filing_to_both_decisions(
    page: Page, live_server: Any, world: Any
) -> None:
    two = build_two_track_world(world, password="cadre-demo")
    j = Journey(page, live_server.url, "vi")
    today = timezone.localdate().isoformat()

    # The commune's clerk files the chair's resignation: the post needs two tracks.
    j.sign_in("clerk_muonghum")
    page.goto("/cases/new/")
    j.check()
    page.select_option("#id_form", "resignation")
    appointment = Appointment.objects.get(official=two.official_chair)
    page.select_option("#id_appointment", str(appointment.pk))
    page.check("#ground-R377-R-1")
    page.fill("#id_statement", "Xin từ chức vì lý do sức khỏe.")
    page.set_input_files("#id_document", pdf_file("don-tu-chuc.pdf"))
    with page.expect_navigation():
        page.click("main form[data-filing-form] button[type=submit]")
    j.check()
    case = Case.objects.get(official=two.official_chair)
    expect(page.locator("[data-testid=track-party] [data-testid=track-status]")).to_have_text(
        "Đang xử lý"
    )
    expect(
        page.locator("[data-testid=track-state_elected] [data-testid=track-status]")
    ).to_have_text("Chờ quy trình trước")
    j.shoot("tracks-filed")

    # The Party track: talk and vote, the standing committee's vote, the Party decision.
    j.act(
        "record_talk",
        {"held_on": today, "summary": "Đã trao đổi với đồng chí."},
        {"file": "bien-ban.pdf"},
    )
    j.act("record_vote", {"present": "5", "votes_for": "4", "votes_against": "1"})
    j.act("complete_step")
    j.sign_in("clerk_party")
    j.open_case(case)
    # MDL-COL-7: the provincial standing committee (15 on its roster) votes on the decision.
    j.act("record_vote", {"present": "15", "votes_for": "13", "votes_against": "2"})
    j.sign_in("authority_party")
    j.open_case(case)
    j.act("approve")
    expect(page.locator("[data-testid=track-party] [data-testid=track-decision]")).to_contain_text(
        "1-QĐ/TU"
    )
    j.shoot("tracks-party-decided")

    # The State track: submission, the People's Council vote and resolution, approval.
    j.sign_in("clerk_muonghum")
    j.open_case(case)
    j.act("complete_step")
    j.act("record_vote", {"present": "25", "votes_for": "20", "votes_against": "5"})
    j.act("complete_step")
    j.sign_in("chair_council")
    j.open_case(case)
    j.act("approve")
    expect(
        page.locator("[data-testid=track-state_elected] [data-testid=track-status]")
    ).to_have_text("Đã biểu quyết, chờ phê chuẩn")
    j.sign_in("authority")
    j.open_case(case)
    j.act("approve")
    state = page.locator("[data-testid=track-state_elected]")
    expect(state.locator("[data-testid=track-status]")).to_have_text("Đã quyết định: chấp thuận")
    expect(state.locator("[data-testid=track-decision]")).to_contain_text("01/NQ-HĐND")
    j.shoot("tracks-both-decided")
    case.refresh_from_db()
    assert case.status == "closed" and case.outcome == "approved"
    assert [t.status for t in case.tracks.order_by("order")] == ["approved", "approved"]


def test_the_seeded_demo_two_track_case_goes_on_to_both_decisions(
    page: Page, live_server: Any
) -> None:
    # The demo exactly as `make run` loads it: the catalog, the world and its cases.
    call_command("seed_demo", stdout=io.StringIO())
    case = Case.objects.get(official__personnel_number="LC-0006")  # Lò Văn Pao, Mường Hum
    assert case.current_step.template.code == "LGL25-P-1"
    j = Journey(page, live_server.url, "vi")
    password = settings.DEMO_PASSWORD
    party = page.locator("[data-testid=track-party]")
    state = page.locator("[data-testid=track-state_elected]")

    # The commune's clerk finds the case in the inbox, waiting at the Council's vote.
    j.sign_in("clerk_muonghum", password)
    expect(page.locator(f"main a:has-text('{case.reference}')").first).to_be_visible()
    page.locator(f"main a:has-text('{case.reference}')").first.click()
    page.wait_for_url(f"**/cases/{case.pk}/")
    j.check()
    # Seeded with the Party track decided and the State track moved to its vote.
    expect(party.locator("[data-testid=track-status]")).to_have_text("Đã quyết định: chấp thuận")
    expect(party.locator("[data-testid=track-decision]")).to_contain_text("1-QĐ/TU")
    expect(state.locator("[data-testid=track-status]")).to_have_text("Đang xử lý")
    j.shoot("tracks-demo-opened")

    # MDL-COL-2: the People's Council's 25 delegates on its roster; 20 vote for.
    j.act("record_vote", {"present": "25", "votes_for": "20", "votes_against": "5"})
    j.act("complete_step")
    j.shoot("tracks-demo-council-voted")

    # The Council's chair signs its resolution; the draft is a resolution, not a decision.
    j.sign_in("chair_council", password)
    j.open_case(case)
    expect(page.locator("[data-testid=draft-decision]")).to_contain_text("01/NQ-HĐND")
    j.shoot("tracks-demo-resolution-draft")
    j.act("approve")
    expect(state.locator("[data-testid=track-status]")).to_have_text("Đã biểu quyết, chờ phê chuẩn")
    expect(state.locator("[data-testid=track-decision]")).to_contain_text("01/NQ-HĐND")

    # LGL25-A-2: the provincial chair approves the result; the case is decided.
    j.sign_in("authority", password)
    j.open_case(case)
    j.act("approve")
    expect(party.locator("[data-testid=track-decision]")).to_contain_text("1-QĐ/TU")
    expect(state.locator("[data-testid=track-status]")).to_have_text("Đã quyết định: chấp thuận")
    expect(state.locator("[data-testid=track-decision]")).to_contain_text("Nghị quyết 01/NQ-HĐND")
    banner = page.locator("[data-testid=outcome-banner]")
    expect(banner).to_contain_text("Đã chấp thuận")
    expect(banner.locator("[data-testid=outcome-party]")).to_contain_text("Quyết định 1-QĐ/TU")
    expect(banner.locator("[data-testid=outcome-state_elected]")).to_contain_text(
        "Nghị quyết 01/NQ-HĐND"
    )
    # The worker renders and signs both documents (`make run` runs one; here, in-process).
    for decision in Decision.objects.filter(case=case):
        issue_decision_document(decision_id=decision.pk)
    j.open_case(case)
    expect(party.locator("[data-testid=track-document]")).to_be_visible()
    expect(state.locator("[data-testid=track-document]")).to_be_visible()
    j.shoot("tracks-demo-both-decided")
    case.refresh_from_db()
    assert case.status == "closed" and case.outcome == "approved"
    assert [t.status for t in case.tracks.order_by("order")] == ["approved", "approved"]
    assert sorted(d.symbol for d in case.decisions.all()) == ["01/NQ-HĐND", "1-QĐ/TU"]
