"""The vote panel's live preview (static/js/app.js) and the server on impossible numbers
(issue #15, point 6: "the vote preview says 'passed' for impossible numbers (more votes
than present)").

MDL-COL-3: for + against + invalid <= present <= members. The preview must call such
numbers impossible, in the reader's language, and never say whether they pass; the
server must refuse the same numbers with a form error and record nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import translation
from playwright.sync_api import Browser, Page, expect, sync_playwright

from cases.models import Vote
from tests.browser_support import CHROMIUM_ARGS
from tests.conftest import roster_size
from tests.web_support import ROOT

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
IMPOSSIBLE = (
    "These numbers are impossible: more present than members, or more votes than members present."
)
PASSES = "With these numbers the vote passes."
DOES_NOT_PASS = "With these numbers the vote does not pass."
MORE_VOTES = "More votes than members present."


def translated(msgid: str, lang: str) -> str:
    with translation.override(lang):
        return str(translation.gettext(msgid))


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def clerk_page(chromium: Browser, live_server: Any) -> Iterator[Any]:
    contexts = []
    errors: list[str] = []

    def open_as(username: str, lang: str) -> Page:
        context = chromium.new_context(
            viewport={"width": 1366, "height": 900}, base_url=live_server.url
        )
        context.set_default_timeout(15000)
        contexts.append(context)
        context.add_cookies([{"name": "django_language", "value": lang, "url": live_server.url}])
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto("/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", "cadre-demo")
        with page.expect_navigation():
            page.click("main button[type=submit]")
        return page

    yield open_as
    for context in contexts:
        context.close()
    assert not errors, f"script errors: {errors}"


def fill_vote(page: Page, block: str, **numbers: int) -> None:
    for name, value in numbers.items():
        page.fill(f"{block} input[name='record_vote-{name}']", str(value))


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_vote_preview_calls_more_votes_than_present_impossible_and_the_server_refuses_them(
    clerk_page: Any, world: Any, file_case: Any, lang: str
) -> None:
    case = file_case("dismissal")
    members = roster_size(case)
    assert members >= 3
    page = clerk_page("clerk", lang)
    page.goto(f"/cases/{case.pk}/")
    block = "#action-record_vote"
    if page.locator(f"details{block}:not([open]) > summary").count():
        page.click(f"{block} > summary")
    preview = page.locator(f"{block} [data-vote-preview]")
    impossible = translated(IMPOSSIBLE, lang)
    verdicts = [translated(PASSES, lang), translated(DOES_NOT_PASS, lang)]
    if lang == "vi":
        assert impossible != IMPOSSIBLE  # the Vietnamese text, not the msgid

    # Possible numbers first: the preview gives its verdict (the control of the test).
    fill_vote(page, block, present=members, votes_for=members - 1, votes_against=1, invalid=0)
    expect(preview).to_have_class("vote-preview pass")
    expect(preview).to_have_text(verdicts[0])

    # The bug as reported: for + against + invalid exceed those present, while for +
    # against alone do not (the invalid ballots count too, MDL-COL-3).
    fill_vote(page, block, present=members - 1, votes_for=members - 2, votes_against=1, invalid=1)
    expect(preview).to_have_class("vote-preview impossible")
    expect(preview).to_have_text(impossible)
    for verdict in verdicts:
        expect(preview).not_to_contain_text(verdict)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    preview.scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / f"a11y-vote-preview-impossible-{lang}.png"))

    # More votes for and against than present, no invalid ballot: impossible as well.
    fill_vote(page, block, present=members - 1, votes_for=members - 1, votes_against=1, invalid=0)
    expect(preview).to_have_class("vote-preview impossible")
    expect(preview).to_have_text(impossible)

    # The server refuses the same numbers: a form error on the votes, nothing recorded.
    fill_vote(page, block, present=members - 1, votes_for=members - 2, votes_against=1, invalid=1)
    with page.expect_navigation():
        page.click(f"{block} button[type=submit]")
    expect(page.locator(f"{block} .form-error")).to_be_visible()
    expect(page.locator(f"{block} .field-error")).to_contain_text(translated(MORE_VOTES, lang))
    assert translated(MORE_VOTES, lang) != MORE_VOTES or lang == "en"
    assert not Vote.objects.filter(case=case).exists()
    # The typed numbers are kept, and the preview still says they are impossible.
    expect(page.locator(f"{block} input[name='record_vote-invalid']")).to_have_value("1")
    expect(preview).to_have_class("vote-preview impossible")
    page.screenshot(path=str(SCREENSHOTS / f"a11y-vote-refused-{lang}.png"), full_page=True)
