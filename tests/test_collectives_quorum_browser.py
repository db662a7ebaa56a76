"""MDL-COL-6 in a real Chromium: the vote form's preview says when too few are present."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, expect, sync_playwright

from cases.organisation import collectives

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_vote_preview_warns_below_the_quorum_then_passes_at_it(
    browser: Browser, live_server: Any, world: Any, file_case: Any, lang: str
) -> None:
    body = world.province.collectives.get()  # the People's Committee: 9 on its roster
    collectives.set_quorum(
        body=body, numerator=2, denominator=3, by=world.users["clerk"], reason="Quy chế"
    )
    case = file_case("dismissal")
    context = browser.new_context(base_url=live_server.url)
    context.set_default_timeout(15000)
    context.add_cookies([{"name": "django_language", "value": lang, "url": live_server.url}])
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto("/login/")
        page.fill("#id_username", "clerk")
        page.fill("#id_password", "cadre-demo")
        with page.expect_navigation():
            page.click("main button[type=submit]")
        page.goto(f"/cases/{case.pk}/")
        block = "#action-record_vote"
        if page.locator(f"details{block}:not([open]) > summary").count():
            page.click(f"{block} > summary")
        expect(page.locator(f"{block} [data-testid=vote-quorum]")).to_contain_text("6")
        preview = page.locator(f"{block} [data-vote-preview]")
        page.fill(f"{block} input[name='record_vote-present']", "5")
        page.fill(f"{block} input[name='record_vote-votes_for']", "5")
        page.fill(f"{block} input[name='record_vote-votes_against']", "0")
        expect(preview).to_have_class("vote-preview impossible")
        expect(preview).to_contain_text("túc số" if lang == "vi" else "quorum")
        page.fill(f"{block} input[name='record_vote-present']", "6")
        page.fill(f"{block} input[name='record_vote-votes_for']", "6")
        expect(preview).to_have_class("vote-preview pass")
    finally:
        context.close()
    assert errors == []
