"""The web interface through Django's test client: each role's pages, the engine's
refusals shown next to the action, uploads checked, exports, replay and translations.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import re
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cases.models import (
    Appointment,
    Case,
    CaseEvent,
    Decision,
    Delegation,
    Document,
    Membership,
    Notification,
    Role,
)
from cases.workflow import engine as workflow
from tests.conftest import PDF_BYTES, pass_exchange, pdf
from tests.web_support import (  # noqa: F401
    page_texts,
    signed_in,
    untranslated_in,
    web_locale_dir,
    web_translations,
)

pytestmark = pytest.mark.django_db


def html(response: Any) -> str:
    return response.content.decode()


def _row_of(body: str, reference: str) -> str:
    """The table row (``<tr …>…</tr>``) that shows the case ``reference``."""
    at = body.index(reference)
    return body[body.rindex("<tr", 0, at) : body.index("</tr>", at)]


def own_appointment(world: Any) -> Appointment:
    return Appointment.objects.get(official=world.official_self, position=world.post_superior)


# --- sign-in, inbox ----------------------------------------------------------------------


def test_sign_in_lands_on_the_inbox(world: Any) -> None:
    client = Client()
    page = client.get(reverse("login"))
    assert page.status_code == 200
    assert 'name="csrfmiddlewaretoken"' in html(page)
    response = client.post(reverse("login"), {"username": "clerk", "password": "cadre-demo"})
    assert response.status_code == 302
    assert response["Location"] == reverse("inbox")


def test_a_wrong_password_is_refused_with_a_message(world: Any) -> None:
    client = Client()
    client.cookies["django_language"] = "en"  # the browser's language alone does not switch
    response = client.post(reverse("login"), {"username": "clerk", "password": "nope"})
    assert response.status_code == 200
    assert "The user name or password is not correct" in html(response)


def test_inbox_lists_waiting_steps_most_urgent_first_with_overdue_badge(
    world: Any, file_case: Any
) -> None:
    today = timezone.localdate()
    recent = file_case("dismissal", official=world.official_self, position=world.post_superior)
    old = file_case(
        "dismissal",
        official=world.official_deputy,
        position=world.post_deputy,
        filed_on=today - datetime.timedelta(days=40),
    )
    response = signed_in("clerk_commune", "en").get(reverse("inbox"))
    assert response.status_code == 200
    body = html(response)
    assert body.index(old.reference) < body.index(recent.reference)
    rows = {ref: _row_of(body, ref) for ref in (old.reference, recent.reference)}
    assert 'class="row-overdue"' in rows[old.reference]
    assert re.search(r"\d+ days overdue", rows[old.reference])
    assert 'class="row-overdue"' not in rows[recent.reference]
    assert re.search(r"\d+ days left", rows[recent.reference])


def test_inbox_filters_by_form_status_regime_and_unit(world: Any, file_case: Any) -> None:
    today = timezone.localdate()
    overdue = file_case("dismissal", filed_on=today - datetime.timedelta(days=40))
    termination = file_case(
        "termination",
        official=world.official_deputy,
        position=world.post_deputy,
        grounds=["R377-T-3"],
    )
    # Since R377-S-1a is gone, a superior case goes from the commune's proposal straight to
    # the province's authority: the province clerk here also clerks for the commune.
    from cases.models import Membership, Role

    Membership.objects.create(user=world.users["clerk"], unit=world.commune, role=Role.CLERK)
    client = signed_in("clerk", "en")
    everything = html(client.get(reverse("inbox")))
    assert overdue.reference in everything and termination.reference in everything
    by_form = html(client.get(reverse("inbox"), {"form": "termination"}))
    assert termination.reference in by_form and overdue.reference not in by_form
    by_status = html(client.get(reverse("inbox"), {"status": "overdue"}))
    assert overdue.reference in by_status and termination.reference not in by_status
    by_unit = html(client.get(reverse("inbox"), {"unit": world.commune.pk}))
    assert termination.reference in by_unit and overdue.reference not in by_unit
    by_regime = html(client.get(reverse("inbox"), {"regime": "R41"}))
    assert "No waiting step matches these filters." in by_regime


def test_the_official_inbox_lists_their_own_cases(world: Any, file_case: Any) -> None:
    own = file_case(
        "resignation", official=world.official_self, position=world.post_superior, by="official"
    )
    body = html(signed_in("official", "en").get(reverse("inbox")))
    assert own.reference in body
    assert "My applications and cases" in body


# --- official ---------------------------------------------------------------------------


def test_my_posts_lists_current_posts_with_a_link_to_apply(world: Any) -> None:
    body = html(signed_in("official", "en").get(reverse("my_posts")))
    assert world.post_superior.title in body
    assert reverse("resignation_new", args=[own_appointment(world).pk]) in body


def test_resignation_form_offers_the_grounds_of_the_regime_in_force_with_their_text(
    world: Any,
) -> None:
    body = html(
        signed_in("official", "en").get(
            reverse("resignation_new", args=[own_appointment(world).pk])
        )
    )
    assert "377-QĐ/TW" in body
    for code in ("R377-R-1", "R377-R-2", "R377-R-3", "R377-R-4"):
        assert f'value="{code}"' in body
    assert "R41-R-1" not in body and "R377-D-1" not in body


def test_an_official_submits_then_withdraws_a_resignation(world: Any) -> None:
    client = signed_in("official", "en")
    url = reverse("resignation_new", args=[own_appointment(world).pk])
    response = client.post(
        url,
        {
            "grounds": ["R377-R-1"],
            "statement": "Tôi xin từ chức vì lý do sức khỏe.",
            "application": SimpleUploadedFile("don.pdf", PDF_BYTES, content_type="application/pdf"),
        },
    )
    case = Case.objects.get(official=world.official_self)
    assert response.status_code == 302 and response["Location"] == reverse(
        "case_detail", args=[case.pk]
    )
    assert case.documents.get().kind == "application"
    page = html(client.get(response["Location"]))
    assert "Withdraw the application" in page
    assert "R377-R-1" in page
    response = client.post(
        reverse("case_action", args=[case.pk, "withdraw"]),
        {"withdraw-reason": "Tôi đổi ý.", "withdraw-step_id": case.current_step_id},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == "closed" and case.outcome == "withdrawn"
    page = html(client.get(reverse("case_detail", args=[case.pk])))
    assert "Withdrawn" in page
    assert "Your application was withdrawn" in page


def test_a_resignation_with_a_file_of_the_wrong_type_is_refused_and_keeps_the_text(
    world: Any,
) -> None:
    client = signed_in("official", "en")
    response = client.post(
        reverse("resignation_new", args=[own_appointment(world).pk]),
        {
            "grounds": ["R377-R-2"],
            "statement": "Lý do của tôi.",
            "application": SimpleUploadedFile(
                "don.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf"
            ),
        },
    )
    assert response.status_code == 400
    body = html(response)
    assert "Only PDF, JPEG and PNG files are accepted" in body
    assert "Lý do của tôi." in body
    assert re.search(r'value="R377-R-2"[^>]*checked', body)
    assert not Case.objects.exists()


def test_a_too_big_upload_is_refused_with_the_limit(world: Any, settings: Any) -> None:
    settings.UPLOAD_MAX_BYTES = 1024
    response = signed_in("official", "en").post(
        reverse("resignation_new", args=[own_appointment(world).pk]),
        {
            "grounds": ["R377-R-1"],
            "statement": "Lý do.",
            "application": SimpleUploadedFile(
                "don.pdf", PDF_BYTES + b"0" * 2048, content_type="application/pdf"
            ),
        },
    )
    assert response.status_code == 400
    assert "The file is too large" in html(response)
    assert not Case.objects.exists()


def test_an_engine_refusal_of_the_resignation_is_shown_on_the_form(
    world: Any, file_case: Any
) -> None:
    # R377-P-2: an open dismissal case for the post blocks resignation.
    file_case("dismissal", official=world.official_self, position=world.post_superior)
    client = signed_in("official", "en")
    page = html(client.get(reverse("my_posts")))
    assert "A case about this post is open" in page
    response = client.post(
        reverse("resignation_new", args=[own_appointment(world).pk]),
        {
            "grounds": ["R377-R-1"],
            "statement": "Xin từ chức.",
            "application": pdf("don.pdf"),
        },
    )
    assert response.status_code == 409
    body = html(response)
    assert "R377-P-2" in body
    assert "Xin từ chức." in body
    assert Case.objects.filter(form="resignation").count() == 0


# --- clerk ---------------------------------------------------------------------------------


def test_the_filing_form_offers_only_posts_in_the_clerks_scope(world: Any) -> None:
    body = html(signed_in("clerk", "en").get(reverse("case_new")))
    assert world.official_same.full_name in body
    assert world.official_other.full_name not in body
    assert world.other_province.name not in body


def test_a_clerk_files_a_dismissal_with_evidence(world: Any) -> None:
    appointment = Appointment.objects.get(official=world.official_same)
    client = signed_in("clerk", "en")
    response = client.post(
        reverse("case_new"),
        {
            "form": "dismissal",
            "appointment": appointment.pk,
            "grounds": ["R377-D-4"],
            "statement": "Vi phạm kỷ luật.",
            "document": pdf("bang-chung.pdf"),
        },
    )
    case = Case.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "case_detail", args=[case.pk]
    )
    assert case.form == "dismissal" and case.regulation.code == "R377"
    evidence = case.documents.get()
    assert evidence.kind == "evidence" and evidence.filename == "bang-chung.pdf"
    page = html(client.get(response["Location"]))
    assert "Record the talk with the official" in page
    assert "Record the collective vote" in page


def test_filing_a_post_out_of_scope_is_refused(world: Any) -> None:
    outside = Appointment.objects.get(official=world.official_other)
    response = signed_in("clerk", "en").post(
        reverse("case_new"),
        {
            "form": "dismissal",
            "appointment": outside.pk,
            "grounds": ["R377-D-4"],
            "statement": "x",
        },
    )
    assert response.status_code == 400
    assert "Select a valid choice" in html(response)
    assert not Case.objects.exists()


def test_grounds_of_another_form_are_refused_and_the_form_keeps_the_input(world: Any) -> None:
    appointment = Appointment.objects.get(official=world.official_same)
    response = signed_in("clerk", "en").post(
        reverse("case_new"),
        {
            "form": "dismissal",
            "appointment": appointment.pk,
            "grounds": ["R377-R-1"],
            "statement": "Giữ nguyên nội dung.",
        },
    )
    assert response.status_code == 400
    body = html(response)
    assert "These grounds are not grounds for dismissal" in body
    assert "Giữ nguyên nội dung." in body
    assert re.search(rf'<option value="{appointment.pk}" selected', body)
    assert not Case.objects.exists()


def test_a_clerk_receiving_a_resignation_must_attach_the_application(world: Any) -> None:
    appointment = Appointment.objects.get(official=world.official_same)
    client = signed_in("clerk", "en")
    response = client.post(
        reverse("case_new"),
        {
            "form": "resignation",
            "appointment": appointment.pk,
            "grounds": ["R377-R-1"],
            "statement": "",
        },
    )
    assert response.status_code == 400
    assert "Attach the official&#x27;s signed application." in html(response)
    response = client.post(
        reverse("case_new"),
        {
            "form": "resignation",
            "appointment": appointment.pk,
            "grounds": ["R377-R-1"],
            "statement": "",
            "document": pdf("don.pdf"),
        },
    )
    assert response.status_code == 302
    assert Case.objects.get().documents.get().kind == "application"


def test_clerk_records_talk_and_vote_then_submits(world: Any, file_case: Any) -> None:
    case = file_case("dismissal")
    client = signed_in("clerk", "en")
    step = case.current_step_id
    url = lambda name: reverse("case_action", args=[case.pk, name])  # noqa: E731
    # Submitting before the vote is refused next to the action, in the user's language.
    response = client.post(url("complete_step"), {"complete_step-step_id": step})
    assert response.status_code == 409
    body = html(response)
    # The submission is the step's primary action: shown open, with the refusal on it.
    assert re.search(r'class="action primary-action" id="action-complete_step"', body)
    assert "needs these documents first" in body
    response = client.post(
        url("record_talk"),
        {
            "record_talk-step_id": step,
            "record_talk-held_on": timezone.localdate().isoformat(),
            "record_talk-summary": "Đồng chí Đức đã được thông báo.",
            "record_talk-file": pdf("bien-ban.pdf"),
        },
    )
    assert response.status_code == 302
    response = client.post(
        url("record_vote"),
        {
            "record_vote-step_id": step,
            "record_vote-present": 8,
            "record_vote-votes_for": 6,
            "record_vote-votes_against": 2,
        },
    )
    assert response.status_code == 302
    page = html(client.get(reverse("case_detail", args=[case.pk])))
    assert "Passed" in page and "needs more than 1/2 of all members" in page
    response = client.post(url("complete_step"), {"complete_step-step_id": step})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.current_step.template.code == "R377-S-2"


def test_a_vote_with_more_votes_than_present_is_refused_and_keeps_the_numbers(
    world: Any, file_case: Any
) -> None:
    case = file_case("dismissal")
    response = signed_in("clerk", "en").post(
        reverse("case_action", args=[case.pk, "record_vote"]),
        {
            "record_vote-step_id": case.current_step_id,
            "record_vote-present": 5,
            "record_vote-votes_for": 5,
            "record_vote-votes_against": 3,
        },
    )
    assert response.status_code == 400
    body = html(response)
    assert "More votes than members present." in body
    assert 'name="record_vote-present" value="5"' in body
    assert not case.votes.exists()


def test_a_stale_page_is_told_the_step_moved_on(world: Any, file_case: Any) -> None:
    case = file_case("dismissal")
    old_step = case.current_step_id
    pass_exchange(case, world.users["clerk"])
    response = signed_in("clerk", "en").post(
        reverse("case_action", args=[case.pk, "attach_document"]),
        {
            "attach_document-step_id": old_step,
            "attach_document-kind": "evidence",
            "attach_document-file": pdf(),
        },
    )
    assert response.status_code == 409
    assert "This step has already moved on" in html(response)


def test_a_clerk_asks_for_an_extension_with_a_reason(world: Any, file_case: Any) -> None:
    case = file_case("dismissal")
    pass_exchange(case, world.users["clerk"])
    case.refresh_from_db()
    step = case.current_step
    page = html(signed_in("clerk", "en").get(reverse("case_detail", args=[case.pk])))
    assert "Extend the time limit" in page
    beyond = step.ceiling_on + datetime.timedelta(days=30)
    response = signed_in("clerk", "en").post(
        reverse("case_action", args=[case.pk, "extend_deadline"]),
        {
            "extend_deadline-step_id": step.pk,
            "extend_deadline-extend_to": beyond.isoformat(),
            "extend_deadline-reason": "Chờ ý kiến.",
        },
    )
    assert response.status_code == 409
    assert "Beyond the ceiling of the regulation." in html(response)
    response = signed_in("clerk", "en").post(
        reverse("case_action", args=[case.pk, "extend_deadline"]),
        {
            "extend_deadline-step_id": step.pk,
            "extend_deadline-extend_to": step.ceiling_on.isoformat(),
            "extend_deadline-reason": "Chờ ý kiến của cơ quan kiểm tra.",
        },
    )
    assert response.status_code == 302
    step.refresh_from_db()
    assert step.due_on == step.ceiling_on and step.extension_reason.startswith("Chờ ý kiến")


def test_overdue_page_lists_late_steps_in_scope_only(world: Any, file_case: Any) -> None:
    today = timezone.localdate()
    late = file_case("dismissal", filed_on=today - datetime.timedelta(days=40))
    on_time = file_case("dismissal", official=world.official_deputy, position=world.post_deputy)
    other = file_case(
        "dismissal",
        official=world.official_other,
        position=world.post_other,
        by="clerk_other",
        filed_on=today - datetime.timedelta(days=40),
    )
    body = html(signed_in("clerk", "en").get(reverse("overdue")))
    assert late.reference in body
    assert on_time.reference not in body and other.reference not in body


# --- authority and delegation -------------------------------------------------------------


def ready_for_decision(file_case: Any, world: Any) -> Case:
    case = file_case("dismissal")
    pass_exchange(case, world.users["clerk"])
    case.refresh_from_db()
    return case


def test_authority_approves_and_the_document_is_pending(world: Any, file_case: Any) -> None:
    case = ready_for_decision(file_case, world)
    client = signed_in("authority", "en")
    assert case.reference in html(client.get(reverse("inbox")))
    response = client.post(
        reverse("case_action", args=[case.pk, "approve"]),
        {
            "approve-step_id": case.current_step_id,
            "approve-effective_on": timezone.localdate().isoformat(),
        },
    )
    assert response.status_code == 302
    decision = Decision.objects.get(case=case)
    page = html(client.get(reverse("case_detail", args=[case.pk])))
    assert decision.symbol in page
    assert "Document pending" in page
    assert decision.symbol in html(client.get(reverse("decisions")))


def test_the_decision_document_is_downloadable_once_issued(world: Any, file_case: Any) -> None:
    from cases.documents.storage import store_generated

    case = ready_for_decision(file_case, world)
    workflow.perform(case_id=case.pk, user=world.users["authority"], action=workflow.APPROVE)
    store_generated(case=case, kind="decision", content=PDF_BYTES, filename="quyet-dinh.pdf")
    official_view = html(signed_in("authority", "en").get(reverse("case_detail", args=[case.pk])))
    assert "Download the decision" in official_view and "Document pending" not in official_view
    document = Document.objects.get(case=case, kind="decision")
    response = signed_in("clerk").get(reverse("document_download", args=[case.pk, document.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert "quyet-dinh.pdf" in response["Content-Disposition"]
    assert b"".join(response.streaming_content) == PDF_BYTES


def test_an_approval_refused_by_the_engine_keeps_what_was_typed(world: Any, file_case: Any) -> None:
    case = ready_for_decision(file_case, world)
    response = signed_in("authority", "en").post(
        reverse("case_action", args=[case.pk, "approve"]),
        {
            "approve-step_id": case.current_step_id,
            "approve-effective_on": "2020-01-01",
            "approve-signer_post": "PHÓ CHỦ TỊCH",
        },
    )
    assert response.status_code == 400
    body = html(response)
    earliest = (timezone.localdate() - datetime.timedelta(days=366)).strftime("%d/%m/%Y")
    assert f"The effective date may not be before {earliest}." in body
    # What was typed is kept, the date shown dd/mm/yyyy like every date of the interface.
    assert 'value="PHÓ CHỦ TỊCH"' in body and 'value="01/01/2020"' in body
    assert not Decision.objects.exists()


def test_reject_requires_a_reason(world: Any, file_case: Any) -> None:
    case = ready_for_decision(file_case, world)
    client = signed_in("authority", "en")
    response = client.post(
        reverse("case_action", args=[case.pk, "reject"]), {"reject-step_id": case.current_step_id}
    )
    assert response.status_code == 400
    assert "This field is required." in html(response)
    response = client.post(
        reverse("case_action", args=[case.pk, "reject"]),
        {
            "reject-step_id": case.current_step_id,
            "reject-reason": "Chưa đủ căn cứ.",
        },
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.outcome == "rejected"


def test_a_delegated_deputy_sees_the_step_and_decides_under_delegation(
    world: Any, file_case: Any
) -> None:
    User = get_user_model()
    vice = User.objects.create_user(
        "vice", password="cadre-demo", first_name="Phó", last_name="Chủ tịch"
    )
    Membership.objects.create(user=vice, unit=world.province, role=Role.CLERK)
    case = ready_for_decision(file_case, world)
    client = signed_in("authority", "en")
    page = html(client.get(reverse("delegations")))
    assert f'value="{vice.pk}"' in page
    today = timezone.localdate()
    response = client.post(
        reverse("delegations"),
        {
            "unit": world.province.pk,
            "deputy": vice.pk,
            "valid_from": today.isoformat(),
            "valid_to": (today + datetime.timedelta(days=7)).isoformat(),
            "reason": "Đi công tác.",
        },
    )
    assert response.status_code == 302
    delegation = Delegation.objects.get()
    assert delegation.deputy == vice
    assert CaseEvent.objects.filter(case=case, action="authority_delegated").exists()
    deputy = signed_in("vice", "en")
    assert case.reference in html(deputy.get(reverse("inbox")))
    response = deputy.post(
        reverse("case_action", args=[case.pk, "approve"]), {"approve-step_id": case.current_step_id}
    )
    assert response.status_code == 302
    decision = Decision.objects.get(case=case)
    assert decision.on_behalf_of == world.users["authority"]
    assert "Under delegation from" in html(deputy.get(reverse("case_detail", args=[case.pk])))


def test_a_delegation_ending_before_it_starts_is_refused(world: Any) -> None:
    today = timezone.localdate()
    response = signed_in("authority", "en").post(
        reverse("delegations"),
        {
            "unit": world.province.pk,
            "deputy": world.users["deputy"].pk,
            "valid_from": today.isoformat(),
            "valid_to": (today - datetime.timedelta(days=1)).isoformat(),
            "reason": "Nghỉ phép.",
        },
    )
    assert response.status_code == 400
    assert "The end date is before the start date." in html(response)
    assert not Delegation.objects.exists()


def test_a_clerk_reassigns_a_waiting_step_to_another_member(world: Any, file_case: Any) -> None:
    User = get_user_model()
    second = User.objects.create_user(
        "clerk2", password="cadre-demo", first_name="Lê", last_name="Hai"
    )
    Membership.objects.create(user=second, unit=world.province, role=Role.CLERK)
    case = file_case("dismissal")
    client = signed_in("clerk", "en")
    page = html(client.get(reverse("case_detail", args=[case.pk])))
    select = re.search(r'<select name="reassign-assignee".*?</select>', page, re.S).group(0)
    assert f'value="{second.pk}"' in select
    assert f'value="{world.users["auditor"].pk}"' not in select
    response = client.post(
        reverse("case_action", args=[case.pk, "reassign"]),
        {
            "reassign-step_id": case.current_step_id,
            "reassign-assignee": second.pk,
            "reassign-reason": "Cân đối công việc.",
        },
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.current_step.assignee == second
    assert case.reference in html(signed_in("clerk2", "en").get(reverse("inbox")))


# --- auditor --------------------------------------------------------------------------------


def test_auditor_searches_with_filters(world: Any, file_case: Any) -> None:
    today = timezone.localdate()
    dismissal = file_case("dismissal")
    late = file_case(
        "termination",
        official=world.official_deputy,
        position=world.post_deputy,
        grounds=["R377-T-3"],
        filed_on=today - datetime.timedelta(days=40),
    )
    other = file_case(
        "dismissal", official=world.official_other, position=world.post_other, by="clerk_other"
    )
    client = signed_in("auditor", "en")
    everything = html(client.get(reverse("case_search")))
    assert dismissal.reference in everything and late.reference in everything
    assert other.reference not in everything
    checks = {
        "form": ("termination", late, dismissal),
        "ground": ("R377-D-4", dismissal, late),
        "level": ("commune", late, dismissal),
        "overdue": ("on", late, dismissal),
        "unit": (world.commune.pk, late, dismissal),
        "q": ("Trần Văn", dismissal, late),
        "filed_to": ((today - datetime.timedelta(days=10)).isoformat(), late, dismissal),
        "filed_from": ((today - datetime.timedelta(days=10)).isoformat(), dismissal, late),
    }
    for field, (value, present, absent) in checks.items():
        body = html(client.get(reverse("case_search"), {field: value}))
        assert present.reference in body, field
        assert absent.reference not in body, field
    assert other.reference not in html(client.get(reverse("case_search"), {"q": "Phạm"}))


def test_history_shows_who_when_what_why_and_verifies_the_chain(world: Any, file_case: Any) -> None:
    case = file_case("dismissal", statement="Vi phạm nghiêm trọng.")
    pass_exchange(case, world.users["clerk"])
    client = signed_in("auditor", "en")
    body = html(client.get(reverse("case_history", args=[case.pk])))
    assert "Case filed" in body and "Collective vote recorded" in body and "Step completed" in body
    assert "Vũ Thị Thanh Hương" in body
    assert "Vi phạm nghiêm trọng." in body
    assert "chain-result" not in body
    verified = html(client.get(reverse("case_history", args=[case.pk]), {"verify": "1"}))
    assert "The chain holds: 4 events verified" in verified


def test_history_reports_a_broken_chain(world: Any, file_case: Any) -> None:
    case = file_case("dismissal")
    # Removing the newest event's head reference is what tampering at the end looks like.
    Case.objects.filter(pk=case.pk).update(event_count=5)
    body = html(
        signed_in("auditor", "en").get(reverse("case_history", args=[case.pk]), {"verify": "1"})
    )
    assert "The chain is broken at event" in body


def test_history_exports_as_csv_and_json(world: Any, file_case: Any) -> None:
    case = file_case("dismissal", statement="Lý do có dấu, phẩy")
    client = signed_in("auditor")
    response = client.get(reverse("case_history_csv", args=[case.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="{case.reference}-history.csv"'
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [r["action"] for r in rows] == ["case_filed"]
    assert rows[0]["reason"] == "Lý do có dấu, phẩy"
    assert json.loads(rows[0]["data"])["form"] == "dismissal"
    response = client.get(reverse("case_history_json", args=[case.pk]))
    payload = json.loads(response.content)
    assert payload["case"] == case.reference and payload["chain_valid"] is True
    assert payload["events"][0]["hash"] == CaseEvent.objects.get(case=case).hash


def test_the_case_as_it_stood_on_a_date(world: Any, file_case: Any) -> None:
    import time_machine

    filed = datetime.date(2026, 3, 2)
    with time_machine.travel(
        datetime.datetime(2026, 3, 2, 9, 0, tzinfo=timezone.get_current_timezone()), tick=False
    ):
        case = file_case("dismissal", filed_on=filed, today=filed)
    with time_machine.travel(
        datetime.datetime(2026, 3, 5, 9, 0, tzinfo=timezone.get_current_timezone()), tick=False
    ):
        pass_exchange(case, world.users["clerk"], day=datetime.date(2026, 3, 5))
    client = signed_in("auditor", "en")
    url = reverse("case_as_of", args=[case.pk])
    before = html(client.get(url, {"on": "2026-03-01"}))
    assert "The case had not been filed yet." in before
    first = html(client.get(url, {"on": "2026-03-03"}))
    assert "R377-S-1" in first and "In progress" in first
    assert first.count("state-current") == 1
    later = html(client.get(url, {"on": "2026-03-06"}))
    assert re.search(r"Current step</dt><dd>R377-S-2", later)
    assert "Collective vote recorded" in later and "Collective vote recorded" not in first
    assert client.get(url, {"on": "not-a-date"}).status_code == 400


# --- notifications, documents, language -------------------------------------------------


def test_notifications_badge_and_mark_as_read(world: Any, file_case: Any) -> None:
    case = file_case("dismissal")
    user = world.users["clerk"]
    first = Notification.objects.create(
        user=user, case=case, kind="step", subject="Bước mới", body="Hồ sơ chờ xử lý."
    )
    Notification.objects.create(user=user, kind="step", subject="Nhắc hạn", body="Sắp đến hạn.")
    client = signed_in("clerk", "en")
    body = html(client.get(reverse("inbox")))
    assert re.search(r'data-testid="unread-count">.*?2</span>', body, re.S)
    page = html(client.get(reverse("notifications")))
    assert "Bước mới" in page and reverse("case_detail", args=[case.pk]) in page
    assert client.post(reverse("notification_read", args=[first.pk])).status_code == 302
    first.refresh_from_db()
    assert first.read_at is not None
    assert re.search(
        r'data-testid="unread-count">.*?1</span>', html(client.get(reverse("inbox"))), re.S
    )
    client.post(reverse("notifications_read_all"))
    assert 'data-testid="unread-count"' not in html(client.get(reverse("inbox")))


def test_the_official_is_offered_only_the_withdrawal_of_their_application(
    world: Any, file_case: Any
) -> None:
    case = file_case(
        "resignation", official=world.official_self, position=world.post_superior, by="official"
    )
    page = html(signed_in("official", "en").get(reverse("case_detail", args=[case.pk])))
    assert re.findall(r'action="/cases/\d+/act/([a-z_]+)/', page) == ["withdraw"]


def test_the_language_switch_sets_the_language(world: Any) -> None:
    client = signed_in("clerk", "vi")
    assert "Hộp công việc" in html(client.get(reverse("inbox")))
    response = client.post(reverse("set_language"), {"language": "en", "next": reverse("inbox")})
    assert response.status_code == 302
    assert client.cookies["django_language"].value == "en"
    body = html(client.get(reverse("inbox")))
    assert '<html lang="en">' in body and ">Inbox<" in body


PAGES = [
    ("clerk", "inbox", False),
    ("clerk", "case_new", False),
    ("clerk", "case_search", False),
    ("clerk", "overdue", False),
    ("clerk", "notifications", False),
    ("clerk", "case_detail", True),
    ("official", "my_posts", False),
    ("official", "case_detail", True),
    ("authority", "decisions", False),
    ("authority", "delegations", False),
    ("authority", "case_detail", True),
    ("auditor", "case_history", True),
    ("auditor", "case_as_of", True),
]


def test_pages_in_vietnamese_show_no_untranslated_string(world: Any, file_case: Any) -> None:
    case = file_case("dismissal")
    pass_exchange(case, world.users["clerk"])
    own = file_case(
        "resignation", official=world.official_self, position=world.post_superior, by="official"
    )
    Notification.objects.create(
        user=world.users["clerk"], case=case, kind="step", subject="S", body="B"
    )
    for username, name, needs_case in PAGES:
        target = own if username == "official" and needs_case else case
        url = reverse(name, args=[target.pk]) if needs_case else reverse(name)
        response = signed_in(username, "vi").get(
            url, {"on": "2026-11-01"} if name == "case_as_of" else {}
        )
        assert response.status_code == 200, url
        assert '<html lang="vi">' in html(response)
        leaks = untranslated_in(page_texts(html(response)))
        assert not leaks, f"{url}: {leaks}"


def test_pages_carry_no_inline_script_or_event_handler(world: Any, file_case: Any) -> None:
    case = file_case("dismissal")
    for username, name, needs_case in PAGES:
        if username == "official" and needs_case:
            continue
        url = reverse(name, args=[case.pk]) if needs_case else reverse(name)
        body = html(signed_in(username, "en").get(url))
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", body), url
        assert not re.search(r"\son[a-z]+\s*=", body), url
        assert not re.search(r"\sstyle\s*=", body), url
        assert "//cdn" not in body and "https://" not in body.split("<footer")[0], url
    login = html(Client().get(reverse("login")))
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", login)


def test_every_form_field_has_a_label(world: Any, file_case: Any) -> None:
    case = file_case("dismissal")
    for username, name, needs_case in PAGES:
        if username == "official" and needs_case:
            continue
        url = reverse(name, args=[case.pk]) if needs_case else reverse(name)
        body = html(signed_in(username, "en").get(url))
        ids = re.findall(
            r'<(?:input|select|textarea)\b(?![^>]*type="(?:hidden|submit)")[^>]*\bid="([^"]+)"',
            body,
        )
        for field_id in ids:
            assert f'for="{field_id}"' in body, f"{url}: #{field_id} has no label"


def test_the_translation_check_catches_an_english_page(
    world: Any, settings: Any, tmp_path: Any
) -> None:
    """A page in English (as a Vietnamese page would look without its catalog) is caught."""
    leaks = untranslated_in(page_texts(html(signed_in("clerk", "en").get(reverse("inbox")))))
    assert "Inbox" in leaks and "Waiting for you" in leaks
