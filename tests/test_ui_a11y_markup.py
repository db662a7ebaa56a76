"""Accessibility markup of issue #15, point 8, read from the HTML the server sends.

The pages are every HTML page of the web interface (``PAGES``: each URL name, read by the
roles that may read it, for the access matrix's objects of their scope; a test fails when
a URL of the project is neither a page here nor named in ``NOT_PAGES``), plus a few states
those objects do not reach: a case with a history, the authority's decision step with its
draft, the filing and resignation forms refused for want of a ground. Checked on every
page:

* scrolling regions (every class the style sheets give ``overflow: auto|scroll``) are
  focusable (``tabindex="0"``), a region, and labelled;
* every ``<time datetime>`` holds a valid value to the second, never microseconds;
* no ``<form>`` opens inside an open ``<p>`` (the parser would close the ``<p>`` and the
  page's structure would not be the one written);

and on the refused forms, the grounds fieldset names its error (``aria-describedby``) and
each ground's checkbox is ``aria-invalid`` and described by it.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import TestCase, override_settings
from django.urls import reverse
from django.utils import timezone

from cases.catalog.loader import load_catalog
from cases.models import Appointment, CaseEvent, CatalogVersion
from cases.ops.demo import build_demo_world
from cases.workflow import filing
from tests.access_support import (
    ADMIN,
    ANONYMOUS,
    AUDITOR,
    AUTHORITY,
    CLERK,
    OFFICIAL,
    USERNAMES,
    MatrixObjects,
    build_matrix_objects,
    project_url_keys,
    web_client,
)
from tests.conftest import pass_exchange
from tests.web_support import ROOT

pytestmark = pytest.mark.django_db

STAFF = (ADMIN, CLERK, AUTHORITY, AUDITOR)
SIGNED_IN = (*STAFF, OFFICIAL)
# Each HTML page: its URL name, the kind of object it shows (tests/access_support.py) and
# the roles that may read it.
PAGES: dict[str, tuple[str | None, tuple[str, ...]]] = {
    "login": (None, (ANONYMOUS,)),
    "second_factor": (None, (CLERK,)),
    "verify": (None, (ANONYMOUS, CLERK)),
    "inbox": (None, SIGNED_IN),
    "notifications": (None, SIGNED_IN),
    "case_detail": ("case", SIGNED_IN),
    "case_search": (None, STAFF),
    "overdue": (None, STAFF),
    "my_posts": (None, (OFFICIAL,)),
    "resignation_new": ("appointment", (OFFICIAL,)),
    "case_new": (None, (ADMIN, CLERK)),
    "official_facts": ("official", (CLERK, AUDITOR)),
    "collectives": (None, (CLERK, AUTHORITY, AUDITOR)),
    "collective_detail": ("collective", (CLERK, AUDITOR)),
    "decisions": (None, (ADMIN, AUTHORITY)),
    "delegations": (None, (ADMIN, AUTHORITY)),
    "case_history": ("case", (AUDITOR,)),
    "case_as_of": ("case", (AUDITOR,)),
    "reports": (None, (CLERK, AUTHORITY, AUDITOR)),
    "national_table": (None, (CLERK, AUDITOR)),
    "import_cases": (None, (ADMIN, CLERK)),
    "import_job": ("import_job", (CLERK,)),
}
# URLs that answer no HTML page of their own: writes, files, JSON, the API and the admin.
NOT_PAGES = {
    "admin/", "set_language", "healthz", "logout", "verify_crl", "case_action",
    "document_download", "draft_decision", "notification_read", "notifications_read_all",
    "case_history_csv", "case_history_json", "report_export", "national_table_pdf",
    "import_job_status",
}  # fmt: skip

# The elements the parser closes a <p> for (HTML's "closes a p element" start tags).
CLOSES_P = {
    "address", "article", "aside", "blockquote", "details", "dialog", "div", "dl",
    "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5",
    "h6", "header", "hgroup", "hr", "main", "menu", "nav", "ol", "p", "pre", "section",
    "table", "ul",
}  # fmt: skip
VOID = {
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
    "track", "wbr",
}  # fmt: skip
# A valid date, or a local date and time to the minute or second with its offset.
TIME_VALUE = re.compile(
    r"^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2})?(?:Z|[+-]\d{2}:\d{2}))?$"
)  # fmt: skip
OVERFLOW_RULE = re.compile(r"([^{}]+)\{[^}]*\boverflow(?:-[xy])?\s*:\s*(?:auto|scroll)", re.S)


def scrolling_classes() -> set[str]:
    """Every class a style sheet makes scroll (its last simple selector's classes)."""
    classes: set[str] = set()
    for sheet in sorted((ROOT / "static" / "css").glob("*.css")):
        css = re.sub(r"/\*.*?\*/", "", sheet.read_text(encoding="utf-8"), flags=re.S)
        for match in OVERFLOW_RULE.finditer(css):
            for selector in match.group(1).split(","):
                last = selector.split()[-1] if selector.split() else ""
                classes.update(re.findall(r"\.([\w-]+)", last))
    return classes


@dataclass(eq=False)
class Element:
    tag: str
    attrs: dict[str, str]
    line: int
    ancestors: list[Element]
    text: list[str] = field(default_factory=list)


class Markup(HTMLParser):
    """The elements of one page (with their text) and the forms opened inside a ``<p>``."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self.open: list[Element] = []
        self.forms_in_p: list[int] = []
        self.feed(html)
        self.close()

    def _close_p(self) -> None:
        while any(e.tag == "p" for e in self.open):
            if self.open.pop().tag == "p":
                return

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        line = self.getpos()[0]
        if tag in CLOSES_P and any(e.tag == "p" for e in self.open):
            if tag == "form":
                self.forms_in_p.append(line)
            self._close_p()
        element = Element(tag, {k: v or "" for k, v in attrs}, line, list(self.open))
        self.elements.append(element)
        if tag not in VOID:
            self.open.append(element)

    def handle_endtag(self, tag: str) -> None:
        if any(e.tag == tag for e in self.open):
            while self.open.pop().tag != tag:
                pass

    def handle_data(self, data: str) -> None:
        for element in self.open:
            element.text.append(data)

    def by_id(self, ident: str) -> Element | None:
        return next((e for e in self.elements if e.attrs.get("id") == ident), None)

    def text_of(self, element: Element) -> str:
        return " ".join("".join(element.text).split())


def accessible_name(page: Markup, element: Element) -> str:
    label = element.attrs.get("aria-label", "").strip()
    if label:
        return label
    names = [page.by_id(i) for i in element.attrs.get("aria-labelledby", "").split()]
    return " ".join(page.text_of(n) for n in names if n is not None).strip()


# --------------------------------------------------------------------------- the pages


def _matrix_pages(objects: MatrixObjects) -> dict[str, str]:
    """Every page of ``PAGES`` for each role that may read it, on an object of its scope."""
    pages: dict[str, str] = {}
    for name, (kind, roles) in PAGES.items():
        for role in roles:
            username = USERNAMES[role]
            client = web_client(objects.world.users[username] if username else None)
            path = reverse(name, kwargs=objects.kwargs(kind, role, "in") if kind else None)
            response = client.get(path)
            assert response.status_code == 200, (name, role, path, response.status_code)
            assert response["Content-Type"].startswith("text/html"), (name, role)
            pages[f"{name} ({role}) {path}"] = response.content.decode()
    return pages


def _more_states(world: Any) -> dict[str, str]:
    """A case with a history at its decision step, read by the authority (the draft) and
    the clerk; the inbox with cases waiting lower down; the refused forms."""
    users = world.users
    case = filing.file_case(
        form="termination",
        official=world.official_deputy,
        position=world.post_deputy,
        ground_codes=["R377-T-3"],
        statement="Đề nghị xem xét.",
        by=users["clerk_commune"],
    )
    pass_exchange(case, users["clerk_commune"])
    pages = {}
    for username, path in (
        ("authority", f"/cases/{case.pk}/"),
        ("clerk", f"/cases/{case.pk}/"),
        ("auditor", f"/cases/{case.pk}/history/"),
        ("auditor", f"/cases/{case.pk}/as-of/?on={timezone.localdate():%Y-%m-%d}"),
        ("clerk", "/"),
        ("clerk", "/notifications/"),
    ):
        response = web_client(users[username]).get(path)
        assert response.status_code == 200, (username, path)
        pages[f"{username} {path}"] = response.content.decode()
    pages.update(_refused_forms(world))
    return pages


def _refused_forms(world: Any) -> dict[str, str]:
    """The filing form and the resignation form sent without a ground."""
    users = world.users
    appointment = Appointment.objects.get(
        official=world.official_self, position=world.post_superior
    )
    refused = {
        "file_case refused": web_client(users["clerk"]).post(
            reverse("case_new"), {"form": "dismissal", "statement": "Không có căn cứ."}
        ),
        "resignation refused": web_client(users["official"]).post(
            reverse("resignation_new", kwargs={"appointment_pk": appointment.pk}),
            {"statement": "Không có căn cứ."},
        ),
    }
    for label, response in refused.items():
        assert response.status_code in (200, 400), (label, response.status_code)
    return {label: r.content.decode() for label, r in refused.items()}


@pytest.fixture(scope="module")
def pages(django_db_setup: None, django_db_blocker: Any) -> Iterator[dict[str, Markup]]:
    """The pages, built once for this module in a transaction rolled back after it."""
    with (
        django_db_blocker.unblock(),
        override_settings(REQUIRE_TOTP=False, LANGUAGE_CODE=django_settings.LANGUAGE_CODE),
    ):
        atomics = TestCase._enter_atomics()
        try:
            if not CatalogVersion.objects.filter(is_current=True).exists():
                load_catalog()
            world = build_demo_world(password="cadre-demo")
            html = _matrix_pages(build_matrix_objects(world))
            html.update(_more_states(world))
            # The events carry microseconds, so a <time> that kept them would show it.
            assert any(at.microsecond for at in CaseEvent.objects.values_list("at", flat=True))
            yield {label: Markup(text) for label, text in html.items()}
        finally:
            TestCase._rollback_atomics(atomics)


# --------------------------------------------------------------------------- the checks


def test_every_web_url_is_a_page_here_or_named_as_no_page() -> None:
    web = {key for key in project_url_keys() if not key.startswith("api")}
    assert web - set(PAGES) - NOT_PAGES == set()
    assert (set(PAGES) | NOT_PAGES) - web == set()


def test_the_css_scrolling_classes_are_found() -> None:
    assert {"table-scroll", "draft-text"} <= scrolling_classes()


def test_every_scrolling_region_is_focusable_and_labelled(pages: dict[str, Markup]) -> None:
    classes = scrolling_classes()
    faults, seen = [], 0
    for label, page in pages.items():
        for element in page.elements:
            if not classes & set(element.attrs.get("class", "").split()):
                continue
            seen += 1
            where = (
                f"{label}: <{element.tag} class={element.attrs.get('class')!r}> line {element.line}"
            )
            if element.attrs.get("tabindex") != "0":
                faults.append(f"{where} not focusable (tabindex 0)")
            if element.attrs.get("role") != "region":
                faults.append(f"{where} not a region")
            if not accessible_name(page, element):
                faults.append(f"{where} has no label")
    # The reports' tables, the national table, the draft and "waiting elsewhere" at least.
    assert seen >= 4, f"only {seen} scrolling regions on {len(pages)} pages"
    assert not faults, "\n".join(faults)


def test_every_time_element_has_a_datetime_to_the_second(pages: dict[str, Markup]) -> None:
    faults, seen = [], 0
    for label, page in pages.items():
        for element in page.elements:
            if element.tag != "time":
                continue
            seen += 1
            value = element.attrs.get("datetime", "")
            if not TIME_VALUE.match(value):
                faults.append(f"{label} line {element.line}: <time datetime={value!r}>")
                continue
            parsed = datetime.datetime.fromisoformat(value)
            assert parsed.microsecond == 0
    assert seen >= 10, f"only {seen} <time> elements on {len(pages)} pages"
    assert not faults, "\n".join(faults)


def test_no_date_field_follows_the_browsers_locale(pages: dict[str, Markup]) -> None:
    """No ``type="date"``: its display follows the browser's locale (mm/dd/yyyy on an
    English browser), where every date of the interface is dd/mm/yyyy."""
    faults = [
        f"{label} line {element.line}: <input type=date>"
        for label, page in pages.items()
        for element in page.elements
        if element.tag == "input" and element.attrs.get("type") == "date"
    ]
    assert not faults, "\n".join(faults)


def test_no_form_opens_inside_a_paragraph(pages: dict[str, Markup]) -> None:
    faults = [
        f"{label}: <form> inside <p> at line {line}"
        for label, page in pages.items()
        for line in page.forms_in_p
    ]
    assert len(pages) >= 40
    assert not faults, "\n".join(faults)


def test_the_paragraph_check_finds_a_form_inside_a_paragraph() -> None:
    assert Markup("<p>Text <form method='post'><button>Go</button></form></p>").forms_in_p == [1]
    assert Markup("<p>Text</p><form><button>Go</button></form>").forms_in_p == []
    assert Markup("<div><p>Text</div><form></form>").forms_in_p == []


@pytest.mark.parametrize("label", ["file_case refused", "resignation refused"])
def test_the_grounds_fieldset_exposes_its_error(pages: dict[str, Markup], label: str) -> None:
    page = pages[label]
    fieldsets = [
        e
        for e in page.elements
        if e.tag == "fieldset" and any(i.attrs.get("name") == "grounds" for i in _inside(page, e))
    ]
    assert len(fieldsets) == 1, label
    fieldset = fieldsets[0]
    error_id = fieldset.attrs.get("aria-describedby", "")
    assert error_id, f"{label}: the grounds fieldset names no error"
    error = page.by_id(error_id)
    assert error is not None and page.text_of(error), f"{label}: #{error_id} is empty or missing"
    assert error in _inside(page, fieldset)
    boxes = [e for e in _inside(page, fieldset) if e.attrs.get("name") == "grounds"]
    assert boxes
    for box in boxes:
        assert box.attrs.get("aria-invalid") == "true", box.attrs
        assert error_id in box.attrs.get("aria-describedby", "").split(), box.attrs


def test_the_grounds_fieldset_is_not_invalid_before_it_is_sent(pages: dict[str, Markup]) -> None:
    forms = [label for label in pages if label.startswith(("case_new (clerk)", "resignation_new"))]
    assert len(forms) == 2, forms
    for label in forms:
        for element in pages[label].elements:
            assert "aria-invalid" not in element.attrs, (label, element.attrs)
            assert "grounds-error" not in element.attrs.get("aria-describedby", ""), label


def _inside(page: Markup, parent: Element) -> list[Element]:
    return [e for e in page.elements if any(a is parent for a in e.ancestors)]
