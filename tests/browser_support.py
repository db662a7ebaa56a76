"""Fixtures and checks of the interface journeys in a real Chromium (issue #15).

Every page a journey visits is checked for: the page language, untranslated strings and
raw internal codes (in Vietnamese), no refusal message, axe-core's WCAG 2.1 A/AA rules
(injected into the page), and its HTML is kept for the Nu HTML checker (vnu.jar), run
once at the end of the journey. axe-core and vnu-jar come from npm into tests/a11y/
(``make a11y-deps``).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.conftest import PDF_BYTES
from tests.web_support import ROOT, VISIBLE_TEXT_JS, untranslated_in

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

ARTIFACTS = ROOT / "test-artifacts" / "journeys"
A11Y = ROOT / "tests" / "a11y" / "node_modules"
AXE_JS = A11Y / "axe-core" / "axe.min.js"
VNU_JAR = A11Y / "vnu-jar" / "build" / "dist" / "vnu.jar"
VIEWPORTS = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# Internal codes that must never reach a reader: snake_case action, state and kind names.
RAW_CODE = re.compile(r"(?<![\w./@-])[a-z]{3,}(?:_[a-z]+)+(?![\w./@-])")


@pytest.fixture(scope="module", name="chromium")
def chromium_fixture() -> Iterator[Browser]:
    assert AXE_JS.exists() and VNU_JAR.exists(), "run `make a11y-deps` (npm) first"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def pdf_file(name: str) -> dict[str, Any]:
    return {"name": name, "mimeType": "application/pdf", "buffer": PDF_BYTES}


class Journey:
    """One person's pass through the pages, checking each page as it arrives."""

    def __init__(
        self, browser: Browser, base_url: str, *, name: str, lang: str, viewport: str
    ) -> None:
        self.name, self.lang, self.viewport, self.base_url = name, lang, viewport, base_url
        # Injected axe-core is an inline script: the page's CSP is bypassed for the audit.
        self.context = browser.new_context(
            viewport=VIEWPORTS[viewport], base_url=base_url, bypass_csp=True
        )
        self.context.set_default_timeout(15000)
        self.page: Page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.count = 0
        self.dir = ARTIFACTS / f"{name}-{lang}-{viewport}"
        self.dir.mkdir(parents=True, exist_ok=True)
        for old in self.dir.glob("*"):
            old.unlink()
        self.violations: list[str] = []

    # --- navigation -----------------------------------------------------------------------

    def sign_in(self, username: str) -> None:
        self.context.clear_cookies()
        self.context.add_cookies(
            [{"name": "django_language", "value": self.lang, "url": self.base_url}]
        )
        self.page.goto("/login/")
        self.check("login")
        self.page.fill("#id_username", username)
        self.page.fill("#id_password", "cadre-demo")
        with self.page.expect_navigation():
            self.page.click("main button[type=submit]")
        self.check(f"inbox-{username}")

    def goto(self, path: str, label: str) -> None:
        self.page.goto(path)
        self.check(label)

    def submit(self, selector: str, label: str) -> None:
        with self.page.expect_navigation():
            self.page.click(f"{selector} button[type=submit]")
        self.check(label)

    def open_action(self, name: str) -> str:
        block = f"#action-{name}"
        if self.page.locator(f"details{block}:not([open]) > summary").count():
            self.page.click(f"{block} > summary")
        return block

    # --- checks ---------------------------------------------------------------------------

    def check(self, label: str, *, refusal_expected: bool = False) -> None:
        page = self.page
        assert page.locator("html").get_attribute("lang") == self.lang
        if not refusal_expected:
            refused = page.locator(".form-error, [data-testid=action-refused], .field-error")
            assert refused.count() == 0, f"{label}: refusal {refused.all_inner_texts()}"
        texts = page.evaluate(VISIBLE_TEXT_JS)
        if self.lang == "vi":
            leaks = untranslated_in(texts)
            assert not leaks, f"{label} ({page.url}): untranslated {leaks}"
            codes = sorted({m for t in texts for m in RAW_CODE.findall(t)})
            assert not codes, f"{label} ({page.url}): raw codes {codes}"
        self.count += 1
        stem = f"{self.count:02d}-{label}"
        page.screenshot(path=str(self.dir / f"{stem}.png"), full_page=True)
        (self.dir / f"{stem}.html").write_text(page.content(), encoding="utf-8")
        self.axe(stem)

    def axe(self, stem: str) -> None:
        self.page.add_script_tag(path=str(AXE_JS))
        violations = self.page.evaluate(
            "async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags}}))"
            ".violations.map(v => ({id: v.id, impact: v.impact,"
            " nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}))",
            WCAG,
        )
        for v in violations:
            self.violations.append(f"{stem}: {v['id']} ({v['impact']}) {v['nodes']}")

    def finish(self) -> None:
        self.context.close()
        assert not self.errors, f"script errors: {self.errors}"
        assert not self.violations, "axe-core:\n" + "\n".join(self.violations)
        errors = nu_html_errors(sorted(self.dir.glob("*.html")))
        assert not errors, "Nu HTML checker:\n" + "\n".join(errors)


def nu_html_errors(files: list[Path]) -> list[str]:
    if not files:
        return []
    result = subprocess.run(
        ["java", "-Xss4m", "-jar", str(VNU_JAR), "--errors-only", "--format", "json"]
        + [str(f) for f in files],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    messages = json.loads(result.stderr or result.stdout or '{"messages": []}')["messages"]
    return [
        f"{Path(m.get('url', '')).name}:{m.get('lastLine', '?')}: {m.get('message')}"
        for m in messages
        if m.get("type") == "error"
    ]


def checklist_state(page: Page) -> list[str]:
    return page.locator("[data-testid=check-item]").evaluate_all(
        "items => items.map(i => i.className.replace('check-item ', ''))"
    )


def primary_enabled(page: Page) -> bool:
    return page.locator("[data-testid=primary-button]").is_enabled()


__all__ = [
    "ARTIFACTS",
    "Journey",
    "checklist_state",
    "chromium_fixture",
    "pdf_file",
    "primary_enabled",
]
