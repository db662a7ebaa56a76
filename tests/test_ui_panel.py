"""The case page tells each person what to do next (issue #15, points 1–3)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import StepTemplate
from cases.workflow import actions as workflow_actions
from cases.workflow import engine as workflow
from cases.workflow import filing as services
from tests.conftest import pass_exchange, pdf
from tests.web_support import signed_in

pytestmark = pytest.mark.django_db


def page_of(client: Any, case: Any) -> str:
    response = client.get(reverse("case_detail", args=[case.pk]))
    assert response.status_code == 200
    return response.content.decode()


def items(page: str) -> list[tuple[str, str]]:
    return re.findall(r'class="check-item (\w+)" data-testid="check-item" data-done="(\d)"', page)


def primary_enabled(page: str) -> bool:
    button = re.search(r'<button[^>]*data-testid="primary-button"[^>]*>', page)
    assert button, "no primary action"
    return "disabled" not in button.group(0)


def talk(case: Any, user: Any) -> None:
    workflow.perform(
        case_id=case.pk,
        user=user,
        action=workflow.RECORD_TALK,
        upload=pdf("bien-ban.pdf"),
        data={"held_on": timezone.localdate().isoformat(), "summary": "Đã trao đổi."},
    )


def vote(case: Any, user: Any, *, members: int, votes_for: int) -> None:
    workflow.perform(
        case_id=case.pk,
        user=user,
        action=workflow.RECORD_VOTE,
        data={
            "members": members,
            "present": members,
            "votes_for": votes_for,
            "votes_against": members - votes_for,
        },
    )


def test_the_checklist_ticks_each_requirement_and_enables_the_submission_last(
    world: Any, file_case: Any
) -> None:
    case = file_case("dismissal")
    client = signed_in("clerk", "en")
    page = page_of(client, case)
    assert "What this step needs" in page
    assert items(page) == [("todo", "0"), ("todo", "0"), ("todo", "0")]
    assert "The talk with the official is recorded" in page and "Document: Minutes" in page
    assert "Vote of ỦY BAN NHÂN DÂN: more than half of all members for" in page
    assert not primary_enabled(page)
    talk(case, world.users["clerk"])
    page = page_of(client, case)
    assert items(page) == [("done", "1"), ("done", "1"), ("todo", "0")]
    assert not primary_enabled(page)
    vote(case, world.users["clerk"], members=9, votes_for=7)
    page = page_of(client, case)
    assert items(page) == [("done", "1"), ("done", "1"), ("done", "1")]
    assert primary_enabled(page)
    # One primary action; the others are folded secondary actions.
    assert page.count('data-testid="primary-action"') == 1
    assert re.search(r'id="action-complete_step"[^>]*data-testid="primary-action"', page)
    assert '<details class="action" id="action-record_vote"' in page


def test_a_failed_vote_shows_as_failed_and_keeps_the_submission_disabled(
    world: Any, file_case: Any
) -> None:
    case = file_case("dismissal")
    talk(case, world.users["clerk"])
    vote(case, world.users["clerk"], members=9, votes_for=4)
    page = page_of(signed_in("clerk", "en"), case)
    assert ("failed", "0") in items(page)
    assert "4 for out of 9 members" in page
    assert 'data-testid="vote-failed"' in page and "The vote did not pass" in page
    assert not primary_enabled(page)
    assert "Not possible: the vote did not pass." in page
    # The votes table marks it as not passed, never with the green badge.
    votes = page[page.index('data-testid="votes"') :]
    assert '<span class="badge ok">' not in votes.split("</table>")[0]
    # What can be done next stays offered: a new vote or the rejection.
    assert 'id="action-record_vote"' in page and 'id="action-reject"' in page


def test_the_authority_reads_the_draft_decision_with_its_number_before_signing(
    world: Any, file_case: Any
) -> None:
    case = file_case("dismissal")
    pass_exchange(case, world.users["clerk"])
    page = page_of(signed_in("authority", "en"), case)
    assert 'data-testid="draft-decision"' in page
    assert "Draft decision No. 01/QĐ-UBND" in page
    draft = page[page.index('class="draft-text"') : page.index('data-testid="primary-action"')]
    assert "QUYẾT ĐỊNH" in draft and "Trần Văn Đức" in draft and "01/QĐ-UBND" in draft
    # The draft comes before the signing form, which is the primary action.
    assert page.index('data-testid="draft-decision"') < page.index('id="action-approve"')
    assert primary_enabled(page)
    pdf_response = signed_in("authority", "en").get(reverse("draft_decision", args=[case.pk]))
    assert pdf_response.status_code == 200 and pdf_response["Content-Type"] == "application/pdf"
    # Nothing was reserved: signing takes the number shown.
    case = workflow.perform(case_id=case.pk, user=world.users["authority"], action=workflow.APPROVE)
    assert case.decision.symbol == "01/QĐ-UBND"


def test_the_draft_decision_is_refused_to_whoever_may_not_sign(world: Any, file_case: Any) -> None:
    case = file_case("dismissal")
    pass_exchange(case, world.users["clerk"])
    for username, status in (("clerk", 404), ("clerk_other", 404), ("official", 404)):
        response = signed_in(username, "en").get(reverse("draft_decision", args=[case.pk]))
        assert response.status_code == status, username
    assert "draft-decision" not in page_of(signed_in("clerk", "en"), case)


def _staff_help_texts(case: Any) -> list[str]:
    texts: list[str] = []
    for template in StepTemplate.objects.filter(process=case.process):
        texts += [t for t in (template.description_en, template.description_vi) if t]
    for name, spec in workflow_actions.SPECS.items():
        if name != workflow.WITHDRAW:
            texts.append(str(spec.help))
    return texts


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_official_sees_plain_words_and_no_staff_instructions(world: Any, lang: str) -> None:
    case = services.submit_resignation(
        official=world.official_self,
        position=world.post_superior,
        ground_codes=["R377-R-4"],
        statement="Tôi xin từ chức vì lý do gia đình.",
        by=world.users["official"],
    )
    step = case.steps.get(status="active")
    page = page_of(signed_in("official", lang), case)
    due = step.effective_due_on.strftime("%d/%m/%Y")
    if lang == "vi":
        expected = f"Đang chờ Ủy ban nhân dân xã Cốc San trao đổi với đồng chí — hạn {due}"
    else:
        expected = f"Waiting for Ủy ban nhân dân xã Cốc San to talk with you — due {due}"
    assert expected in page
    for text in _staff_help_texts(case):
        assert text not in page, text
    assert "What this step needs" not in page and "Bước này cần có" not in page
    assert re.findall(r'action="/cases/\d+/act/([a-z_]+)/', page) == ["withdraw"]


# --- waiting elsewhere, language ------------------------------------------------------------


def test_the_provincial_clerk_sees_the_communes_case_waiting_elsewhere(world: Any) -> None:
    case = services.submit_resignation(
        official=world.official_self,
        position=world.post_superior,
        ground_codes=["R377-R-4"],
        statement="Tôi xin từ chức vì lý do gia đình.",
        by=world.users["official"],
    )
    step = case.steps.get(status="active")
    assert step.actor_unit == world.commune
    inbox = signed_in("clerk", "en").get(reverse("inbox")).content.decode()
    section = inbox[inbox.index('data-testid="waiting-elsewhere"') :]
    assert case.reference in section and "Ủy ban nhân dân xã Cốc San" in section
    assert step.effective_due_on.strftime("%d/%m/%Y") in section
    # Not in the provincial clerk's own inbox: the step is the commune's.
    mine = inbox[: inbox.index('data-testid="waiting-elsewhere"')]
    assert case.reference not in mine
    for username in ("clerk_other", "clerk_commune"):
        page = signed_in(username, "en").get(reverse("inbox")).content.decode()
        assert 'data-testid="waiting-elsewhere"' not in page, username


def test_a_browser_asking_for_english_gets_vietnamese_until_the_user_switches(
    world: Any, client: Any
) -> None:
    from django.test import Client

    browser = Client(HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    page = browser.get(reverse("login"))
    assert '<html lang="vi"' in page.content.decode()
    assert page["Content-Language"] == "vi"
    browser.post(reverse("set_language"), {"language": "en", "next": "/login/"})
    assert '<html lang="en"' in browser.get(reverse("login")).content.decode()
    # A program using the API still gets its Accept-Language.
    api = Client(HTTP_ACCEPT_LANGUAGE="en-US").get("/api/v1/cases/")
    assert api["Content-Language"] == "en"


# --- search -------------------------------------------------------------------------------


def test_search_ignores_diacritics_and_case(world: Any) -> None:
    case = services.submit_resignation(
        official=world.official_self,
        position=world.post_superior,
        ground_codes=["R377-R-4"],
        statement="Tôi xin từ chức vì lý do gia đình.",
        by=world.users["official"],
    )
    client = signed_in("clerk", "en")
    for query in ("Quynh", "quỳnh", "DIEM QUYNH", "nguyen thi diem"):
        page = client.get(reverse("case_search"), {"q": query}).content.decode()
        assert case.reference in page, query
    assert case.reference not in client.get(reverse("case_search"), {"q": "Quang"}).content.decode()
    from cases.models import Official

    assert Official.objects.get(pk=world.official_same.pk).search_name == "tran van duc"
    from django.db import connection

    with connection.cursor() as cursor:
        indexes = connection.introspection.get_constraints(cursor, "cases_official")
    assert "official_search_name" in indexes
    if connection.vendor == "postgresql":
        # Part-of-a-name searches are trigram index scans on PostgreSQL.
        assert "official_search_name_trgm" in indexes


def test_an_inverted_date_range_is_a_form_error_not_an_empty_result(
    world: Any, file_case: Any
) -> None:
    file_case("dismissal")
    page = (
        signed_in("clerk", "en")
        .get(reverse("case_search"), {"filed_from": "10/12/2026", "filed_to": "01/12/2026"})
        .content.decode()
    )
    assert "The end date (01/12/2026) is before the start date (10/12/2026)." in page
    assert "cases found" not in page and "case found" not in page


def test_date_inputs_show_dd_mm_yyyy_whatever_the_browser(world: Any) -> None:
    page = signed_in("clerk", "en").get(reverse("case_search"), {"filed_from": "2026-12-01"})
    body = page.content.decode()
    assert 'type="date"' not in body
    field = re.search(r'<input[^>]*name="filed_from"[^>]*>', body)
    assert field and 'value="01/12/2026"' in field.group(0), field
    assert 'placeholder="dd/mm/yyyy"' in body


def test_the_vote_forms_meeting_date_is_typed_dd_mm_yyyy(world: Any, file_case: Any) -> None:
    case = file_case("dismissal")
    body = signed_in("clerk", "en").get(reverse("case_detail", args=[case.pk])).content.decode()
    field = re.search(r'<input[^>]*name="record_vote-meeting_on"[^>]*>', body)
    assert field, "no vote form on the page"
    assert 'type="text"' in field.group(0) and 'placeholder="dd/mm/yyyy"' in field.group(0)
