"""Keyboard, focus and layout checks in a real Chromium (issue #15, points 7 and 8)."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser_support import Journey, chromium_fixture  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CONTRAST_JS = """
(el) => {
  function rgb(text) { return text.match(/[\\d.]+/g).slice(0, 3).map(Number); }
  function lum(c) {
    const [r, g, b] = c.map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  }
  function background(node) {
    while (node) {
      const bg = getComputedStyle(node).backgroundColor;
      if (bg && !bg.startsWith("rgba(0, 0, 0, 0)") && bg !== "transparent") { return rgb(bg); }
      node = node.parentElement;
    }
    return [255, 255, 255];
  }
  const style = getComputedStyle(el);
  const a = lum(rgb(style.outlineColor)), b = lum(background(el.parentElement));
  return {width: parseFloat(style.outlineWidth), ratio: (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05)};
}
"""


def test_the_focus_ring_has_at_least_3_to_1_contrast(
    chromium: Any, live_server: Any, world: Any, file_case: Any
) -> None:
    case = file_case("dismissal")
    j = Journey(chromium, live_server.url, name="focus", lang="vi", viewport="desktop")
    j.sign_in("clerk")
    j.goto(f"/cases/{case.pk}/", "case")
    page = j.page
    for selector in ("main a[href]", "#action-record_talk > summary", "#lang-select"):
        page.focus(selector)
        page.keyboard.press("Shift+Tab")
        page.keyboard.press("Tab")
        ring = page.locator(selector).first.evaluate(CONTRAST_JS)
        assert ring["width"] >= 2 and ring["ratio"] >= 3, (selector, ring)
    j.finish()


def test_arrow_keys_do_not_switch_the_language_but_enter_does(
    chromium: Any, live_server: Any, world: Any
) -> None:
    j = Journey(chromium, live_server.url, name="language-keys", lang="vi", viewport="desktop")
    page = j.page
    j.goto("/login/", "login")
    page.focus("#lang-select")
    page.keyboard.press("ArrowDown")
    page.wait_for_timeout(300)
    assert page.locator("html").get_attribute("lang") == "vi"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("html").get_attribute("lang") == "en"
    j.context.close()


def test_after_a_refused_action_the_focus_is_on_the_error(
    chromium: Any, live_server: Any, world: Any, file_case: Any
) -> None:
    case = file_case("dismissal")
    j = Journey(chromium, live_server.url, name="refusal-focus", lang="vi", viewport="phone")
    j.sign_in("clerk")
    j.goto(f"/cases/{case.pk}/", "case")
    page = j.page
    block = j.open_action("record_talk")
    with page.expect_navigation():
        page.click(f"{block} button[type=submit]")
    j.check("refused", refusal_expected=True)
    expect(page.locator(f"{block} .form-error")).to_be_visible()
    focused = page.evaluate("() => document.activeElement.className")
    assert "form-error" in focused, focused
    j.finish()


def test_the_phone_menu_is_folded_before_first_paint(
    chromium: Any, live_server: Any, world: Any
) -> None:
    j = Journey(chromium, live_server.url, name="phone-menu", lang="vi", viewport="phone")
    j.sign_in("clerk")
    page = j.page
    page.reload()
    page.wait_for_load_state("load")
    page.wait_for_timeout(500)
    shift = page.evaluate(
        "() => new Promise(done => { let cls = 0; new PerformanceObserver(l => {"
        " l.getEntries().forEach(e => { if (!e.hadRecentInput) cls += e.value; }); })"
        ".observe({type: 'layout-shift', buffered: true}); setTimeout(() => done(cls), 300); })"
    )
    (j.dir / "layout-shift.txt").write_text(f"{shift:.4f}\n", encoding="utf-8")
    assert shift < 0.1, shift
    expect(page.locator("#site-nav ul")).to_be_hidden()
    page.click(".nav-toggle")
    expect(page.locator("#site-nav ul")).to_be_visible()
    expect(page.locator(".nav-toggle")).to_have_attribute("aria-expanded", "true")
    j.finish()
