"""On a phone (390×844, issue #15, point 7): the filters of every list and report page are
folded until asked for, and the report tables, which scroll sideways, keep their count
column in view. Screenshots: test-artifacts/screenshots/a11y-*.png.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from cases.historic.imports import import_cases
from tests.browser_support import CHROMIUM_ARGS
from tests.reports_support import csv_bytes, known_rows
from tests.web_support import ROOT

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
# The pages with a filter form, and who reads them.
FILTER_PAGES = [
    ("inbox", "clerk", "/"),
    ("search", "clerk", "/cases/"),
    ("reports", "auditor", "/reports/"),
    ("national-table", "auditor", "/reports/national/"),
]


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def signed_in(chromium: Browser, live_server: Any, settings: Any) -> Iterator[Any]:
    settings.REQUIRE_TOTP = False  # the second factor has tests of its own
    contexts = []
    errors: list[str] = []

    def open_as(username: str, viewport: dict[str, int]) -> Page:
        context = chromium.new_context(viewport=viewport, base_url=live_server.url)
        context.set_default_timeout(15000)
        contexts.append(context)
        context.add_cookies([{"name": "django_language", "value": "vi", "url": live_server.url}])
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


def shoot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"a11y-{name}.png"), full_page=True)


@pytest.mark.parametrize(("name", "username", "path"), FILTER_PAGES)
def test_filters_are_folded_on_a_phone_and_open_on_a_wide_screen(
    signed_in: Any, world: Any, file_case: Any, name: str, username: str, path: str
) -> None:
    file_case("dismissal")
    phone = signed_in(username, PHONE)
    phone.goto(path)
    fold = phone.locator("main details.filters-fold")
    expect(fold).to_have_count(1)
    fields = fold.locator(".filter-grid")
    expect(fold.locator("> summary")).to_be_visible()
    expect(fields).to_be_hidden()
    assert fold.evaluate("d => d.open") is False
    shoot(phone, f"{name}-phone-folded")
    phone.click("main details.filters-fold > summary")
    expect(fields).to_be_visible()
    shoot(phone, f"{name}-phone-unfolded")

    wide = signed_in(username, DESKTOP)
    wide.goto(path)
    expect(wide.locator("main details.filters-fold .filter-grid")).to_be_visible()
    expect(wide.locator("main details.filters-fold > summary")).to_be_hidden()


def test_a_chosen_filter_keeps_the_fold_open_on_a_phone(
    signed_in: Any, world: Any, file_case: Any
) -> None:
    file_case("dismissal")
    phone = signed_in("clerk", PHONE)
    phone.goto("/cases/?form=dismissal")
    expect(phone.locator("main details.filters-fold .filter-grid")).to_be_visible()
    # The search box itself is never folded.
    phone.goto("/cases/")
    expect(phone.locator("main input[name=q]")).to_be_visible()


def test_report_tables_keep_their_count_column_in_view_on_a_phone(
    signed_in: Any, world: Any
) -> None:
    import_cases(data=csv_bytes(known_rows()), by=world.users["admin"])
    page = signed_in("auditor", PHONE)
    page.goto("/reports/")
    regions = page.locator(".report-table[open] .table-scroll")
    assert regions.count() >= 2
    checked = 0
    for index in range(regions.count()):
        region = regions.nth(index)
        widths = region.evaluate("r => [r.scrollWidth, r.clientWidth]")
        if widths[0] <= widths[1]:
            continue  # this one fits: nothing scrolls away
        checked += 1
        counts = region.locator(".count-col")
        assert counts.count() >= 2  # the header and at least one row
        for position in ("start", "middle", "end"):
            region.evaluate(
                "(r, at) => { r.scrollLeft = at === 'start' ? 0 : at === 'end' ? r.scrollWidth"
                " : (r.scrollWidth - r.clientWidth) / 2; }",
                position,
            )
            box = region.bounding_box()
            assert box is not None
            for cell in range(counts.count()):
                cell_box = counts.nth(cell).bounding_box()
                assert cell_box is not None
                assert cell_box["x"] >= box["x"] - 1, (index, position, cell)
                assert cell_box["x"] + cell_box["width"] <= box["x"] + box["width"] + 1, (
                    index,
                    position,
                    cell,
                    cell_box,
                    box,
                )
            region.scroll_into_view_if_needed()
            page.screenshot(
                path=str(SCREENSHOTS / f"a11y-report-count-column-{index}-{position}.png")
            )
    assert checked >= 1, "no report table scrolls sideways on a phone"
    # Keyboard users reach the scrolling tables: each is a focusable region.
    regions.first.focus()
    assert page.evaluate("document.activeElement.classList.contains('table-scroll')")
