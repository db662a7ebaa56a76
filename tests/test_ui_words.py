"""Words on the pages (issue #15, point 4): labels, forms of address, the rule text."""

from __future__ import annotations

from typing import Any

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from cases.documents.issuing import issue_decision_document
from cases.models import CaseEvent
from cases.web.common import EVENT_LABELS
from cases.workflow import engine as workflow
from tests.conftest import pass_exchange
from tests.web_support import parse_po, signed_in

pytestmark = pytest.mark.django_db


def test_every_event_on_the_case_page_is_named_in_words(world: Any, file_case: Any) -> None:
    case = file_case("dismissal")
    pass_exchange(case, world.users["clerk"])
    case = workflow.perform(case_id=case.pk, user=world.users["authority"], action=workflow.APPROVE)
    issue_decision_document(decision_id=case.decision.pk)
    actions = set(CaseEvent.objects.filter(case=case).values_list("action", flat=True))
    assert "document_issued" in actions
    assert actions <= set(EVENT_LABELS), actions - set(EVENT_LABELS)
    page = signed_in("clerk", "vi").get(reverse("case_detail", args=[case.pk])).content.decode()
    assert "Đã ban hành văn bản quyết định" in page and "— hệ thống" in page
    for action in actions:
        assert f"<strong>{action}</strong>" not in page
    assert "— system" not in page


def test_the_vietnamese_interface_says_dong_chi_never_ban() -> None:
    offenders = [
        msgid for msgid, strs in parse_po() if any("bạn" in s.lower() or "Bạn" in s for s in strs)
    ]
    assert not offenders


def test_notifications_address_the_official_as_dong_chi(world: Any) -> None:
    with translation.override("vi"):
        text = render_to_string(
            "notifications/_greeting.txt", {"recipient": world.users["official"]}
        )
    assert text.strip() == "Kính gửi đồng chí Nguyễn Thị Diễm Quỳnh,"


def test_the_due_date_rule_is_shown_in_the_readers_language(world: Any, file_case: Any) -> None:
    # The step was started by an English-speaking session: its rule is stored in English.
    case = file_case("dismissal")
    step = case.steps.get(status="active")
    assert "working days after" in step.due_rule
    page = signed_in("clerk", "vi").get(reverse("case_detail", args=[case.pk])).content.decode()
    assert "ngày làm việc kể từ ngày" in page
    assert "working days after" not in page
