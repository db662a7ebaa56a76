"""The resignation and the dismissal from filing to decision in a real browser, desktop and
phone, Vietnamese and English: no refusal on the happy path, every requirement visible and
ticked before the primary action is enabled, and every page checked (untranslated strings
and raw codes in Vietnamese, axe-core WCAG 2.1 A/AA, the Nu HTML checker). Screenshots
and the HTML of each page are written under test-artifacts/journeys/.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from cases.models import Appointment, Case
from tests.browser_support import (  # noqa: F401
    Journey,
    checklist_state,
    chromium_fixture,
    pdf_file,
    primary_enabled,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RUNS = [("vi", "desktop"), ("vi", "phone"), ("en", "desktop"), ("en", "phone")]


def today_typed() -> str:
    return timezone.localdate().strftime("%d/%m/%Y")


def open_case(j: Journey, case: Case, label: str) -> None:
    j.goto(f"/cases/{case.pk}/", label)


def exchange_step(j: Journey, *, members: int, votes_for: int) -> None:
    """The talk, its minutes and the collective vote, then the submission."""
    page = j.page
    assert checklist_state(page) == ["todo", "todo", "todo"]
    assert not primary_enabled(page)
    block = j.open_action("record_talk")
    page.fill(f"{block} input[name='record_talk-held_on']", today_typed())
    page.fill(f"{block} textarea[name='record_talk-summary']", "Đã trao đổi với cán bộ.")
    page.set_input_files(f"{block} input[name='record_talk-file']", pdf_file("bien-ban.pdf"))
    j.submit(block, "talk-recorded")
    assert checklist_state(page) == ["done", "done", "todo"]
    assert not primary_enabled(page)
    block = j.open_action("record_vote")
    preview = page.locator(f"{block} [data-vote-preview]")
    # The number of members is the roster's, shown on the form (MDL-COL-2), not typed.
    page.fill(f"{block} input[name='record_vote-present']", str(members + 1))
    page.fill(f"{block} input[name='record_vote-votes_for']", str(members + 1))
    page.fill(f"{block} input[name='record_vote-votes_against']", "0")
    # More votes than present is impossible: never "passes".
    expect(preview).to_have_class("vote-preview impossible")
    page.fill(f"{block} input[name='record_vote-present']", str(members))
    page.fill(f"{block} input[name='record_vote-votes_for']", str(votes_for))
    page.fill(f"{block} input[name='record_vote-votes_against']", str(members - votes_for))
    expect(preview).to_have_class("vote-preview pass")
    j.submit(block, "vote-recorded")
    assert checklist_state(page) == ["done", "done", "done"]
    assert primary_enabled(page)
    j.submit("#action-complete_step", "step-submitted")


def decide(j: Journey, case: Case) -> None:
    page = j.page
    open_case(j, case, "decision-step")
    draft = page.locator("[data-testid=draft-decision]")
    expect(draft).to_be_visible()
    expect(draft).to_contain_text("QUYẾT ĐỊNH")
    expect(draft).to_contain_text(case.official.full_name)
    assert primary_enabled(page)
    page.fill("#action-approve input[name='approve-effective_on']", today_typed())
    j.submit("#action-approve", "approved")
    case.refresh_from_db()
    assert case.decision.approved
    expect(page.locator("[data-testid=decision]")).to_contain_text(case.decision.symbol)
    expect(page.locator("[data-testid=outcome-banner]")).to_be_visible()


@pytest.mark.parametrize(("lang", "viewport"), RUNS)
def test_the_resignation_from_application_to_decision(
    chromium: Any, live_server: Any, world: Any, lang: str, viewport: str
) -> None:
    j = Journey(chromium, live_server.url, name="resignation", lang=lang, viewport=viewport)
    page = j.page
    j.sign_in("official")
    appointment = Appointment.objects.get(official=world.official_self)
    j.goto("/my-posts/", "my-posts")
    j.goto(f"/my-posts/{appointment.pk}/resign/", "resignation-form")
    page.check("#ground-R377-R-1")
    page.fill("#id_statement", "Tôi xin từ chức vì lý do sức khỏe.")
    page.set_input_files("#id_application", pdf_file("don-tu-chuc.pdf"))
    j.submit("main form", "application-submitted")
    case = Case.objects.get(official=world.official_self)
    status = page.locator("[data-testid=official-status]")
    expect(status).to_contain_text("Cốc San")
    expect(page.locator("[data-testid=checklist]")).to_have_count(0)

    j.sign_in("clerk")
    expect(page.locator("[data-testid=waiting-elsewhere]")).to_contain_text(case.reference)
    j.sign_in("clerk_commune")
    open_case(j, case, "commune-exchange")
    exchange_step(j, members=5, votes_for=4)

    # The province decides next: the regulation names no appraisal step of its own (R377-S-2).
    j.sign_in("authority")
    decide(j, case)
    j.sign_in("official")
    open_case(j, case, "official-decided")
    j.finish()


@pytest.mark.parametrize(("lang", "viewport"), RUNS)
def test_the_dismissal_from_filing_to_decision(
    chromium: Any, live_server: Any, world: Any, lang: str, viewport: str
) -> None:
    j = Journey(chromium, live_server.url, name="dismissal", lang=lang, viewport=viewport)
    page = j.page
    j.sign_in("clerk")
    j.goto("/cases/new/", "file-case")
    page.select_option("#id_form", "dismissal")
    page.fill("#appointment-filter", "tran van duc")
    appointment = Appointment.objects.get(official=world.official_same)
    page.select_option("#id_appointment", str(appointment.pk))
    page.check("#ground-R377-D-4")
    page.fill("#id_statement", "Vi phạm quy định về đạo đức công vụ.")
    page.set_input_files("#id_document", pdf_file("bang-chung.pdf"))
    j.submit("main form[data-filing-form]", "case-filed")
    case = Case.objects.get(official=world.official_same)
    exchange_step(j, members=9, votes_for=7)
    j.goto("/cases/?q=Duc", "search")
    expect(page.locator("[data-testid=search-results]")).to_contain_text(case.reference)

    j.sign_in("authority")
    decide(j, case)
    j.finish()
