"""The statistics dashboard and the import page in a real headless Chromium.

The dashboard draws its charts from static JS (SVG) and its tables download as CSV and
XLSX files that Python's csv module and openpyxl open; the import page's progress bar
follows a background job through the polling endpoint.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Browser, Page, expect, sync_playwright

from cases.historic import imports
from cases.historic.imports import import_cases, run_import_job
from cases.models import Case, ImportJob
from tests.reports_support import (  # noqa: F401 - fixtures
    ROOT,
    csv_bytes,
    good_rows,
    known_rows,
    reports_locale_dir,
    reports_translations,
)

# Playwright's sync API runs an event loop in this thread; Django's ORM calls from the
# test body are still synchronous and safe here.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("reports_translations"),
]

SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
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
    context = browser.new_context(
        viewport={"width": 1366, "height": 900}, base_url=live_server.url, accept_downloads=True
    )
    context.set_default_timeout(15000)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    tab.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
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
    assert not errors, f"script errors, CSP refusals or missing assets: {errors}"


def sign_in(page: Page, base_url: str, username: str, lang: str) -> None:
    page.context.add_cookies([{"name": "django_language", "value": lang, "url": base_url}])
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "cadre-demo")
    with page.expect_navigation():
        page.click("main button[type=submit]")
    assert page.url == base_url + "/"


def download(page: Page, selector: str) -> Path:
    with page.expect_download() as info:
        page.click(selector)
    return Path(info.value.path())


def test_the_dashboard_draws_its_charts_and_downloads_csv_and_xlsx(
    page: Page, live_server: Any, world: Any
) -> None:
    import_cases(data=csv_bytes(known_rows()), by=world.users["admin"])
    sign_in(page, live_server.url, "clerk", "vi")
    page.click("text=Thống kê")
    expect(page).to_have_url(f"{live_server.url}/reports/")
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    expect(page.get_by_test_id("report-total")).to_have_attribute("data-total", "2")

    for key in ("grounds-levels", "years-forms", "outcomes", "decision-times"):
        chart = page.locator(f'[data-chart="{key}"]')
        expect(chart).to_have_attribute("data-drawn", "true")
        bars = chart.locator("svg rect.bar")
        assert bars.count() > 0
        box = chart.locator("svg").bounding_box()
        assert box is not None and box["width"] > 200 and box["height"] > 40
    # Grounds × levels: R260-R-1 and R260-R-2, each at the provincial and the district level.
    assert page.locator('[data-chart="grounds-levels"] svg rect.bar').count() == 3
    titles = page.locator('[data-chart="grounds-levels"] svg rect.bar title').all_text_contents()
    # The bars are named by the ground's text, not its code (issue #15).
    from cases.models import Ground

    text = Ground.objects.get(code="R260-R-2", regulation__version__is_current=True).text_vi
    assert any(t.startswith(f"{text} · Cấp huyện: 1") for t in titles), titles

    csv_path = download(page, '[data-testid="export-grounds-levels-csv"]')
    with csv_path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["Căn cứ", "Nội dung căn cứ", "Cấp", "Hồ sơ", "Tỷ lệ trên tổng số hồ sơ (%)"]
    assert [(r[0], r[2], r[3], r[4]) for r in rows[1:]] == [
        ("R260-R-1", "Cấp tỉnh", "1", "50.00"),
        ("R260-R-1", "Cấp huyện", "1", "50.00"),
        ("R260-R-2", "Cấp huyện", "1", "50.00"),
    ]

    xlsx_path = download(page, '[data-testid="export-years-forms-xlsx"]')
    book = load_workbook(io.BytesIO(xlsx_path.read_bytes()))
    values = [list(r) for r in book.active.iter_rows(values_only=True)]
    header = values.index(["Năm", "Hình thức", "Hồ sơ", "Tỷ lệ trên tổng số hồ sơ (%)"])
    assert values[header + 1 : header + 2] == [[2015, "Từ chức", 2, 100.0]]

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "reports-dashboard-vi-desktop.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    expect(page.locator('[data-chart="grounds-levels"]')).to_have_attribute("data-drawn", "true")
    page.screenshot(path=str(SCREENSHOTS / "reports-dashboard-vi-phone.png"), full_page=True)


def test_the_national_table_page_downloads_its_pdf(
    page: Page, live_server: Any, world: Any
) -> None:
    import_cases(data=csv_bytes(known_rows()), by=world.users["admin"])
    sign_in(page, live_server.url, "auditor", "en")
    page.goto("/reports/national/?form=resignation&regulation=R260")
    expect(page.get_by_test_id("national-table")).to_be_visible()
    pdf = download(page, '[data-testid="national-pdf"]')
    assert pdf.read_bytes().startswith(b"%PDF")
    page.screenshot(path=str(SCREENSHOTS / "reports-national-table-en-desktop.png"), full_page=True)


def test_the_import_page_follows_the_background_job_to_its_result(
    page: Page, live_server: Any, world: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # This test plays the Celery worker: the queued job id is noted instead of sent to a
    # broker, and the real job runner is called below while the page polls.
    queued: list[int] = []
    monkeypatch.setattr(imports, "_enqueue", queued.append)
    sign_in(page, live_server.url, "clerk", "en")
    page.goto("/reports/import/")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "reports-import-en-desktop.png"), full_page=True)
    page.set_input_files(
        "input[type=file]",
        {"name": "history.csv", "mimeType": "text/csv", "buffer": csv_bytes(good_rows())},
    )
    with page.expect_navigation():
        page.click('[data-testid="import-form"] button[type=submit]')
    job = ImportJob.objects.get()
    assert queued == [job.pk]
    progress = page.locator("progress[data-bar]")
    expect(progress).to_be_visible()
    assert run_import_job(job_id=job.pk) is not None
    # The page polls the status endpoint, sees the job finished and shows its result.
    expect(page.get_by_test_id("import-done")).to_be_visible(timeout=20000)
    assert page.locator("progress[data-bar]").get_attribute("value") == "100.0"
    assert "3 cases created, 0 skipped" in page.get_by_test_id("import-done").inner_text()
    assert Case.objects.filter(imported=True).count() == 3
    page.screenshot(path=str(SCREENSHOTS / "reports-import-done-en-desktop.png"), full_page=True)
