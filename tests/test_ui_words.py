"""Words on the pages (issue #15, point 4): labels, forms of address, the rule text."""

from __future__ import annotations

from typing import Any

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from cases.audit.events import EventType
from cases.documents.issuing import issue_decision_document
from cases.models import CaseEvent
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
    assert actions <= set(EventType.values), actions - set(EventType.values)
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


# --- styled error pages, also with DEBUG on (make run) ------------------------------------


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_error_pages_are_styled_and_translated_even_with_debug_on(
    world: Any, settings: Any, lang: str
) -> None:
    from django.test import Client

    settings.DEBUG = True
    client = Client()
    client.cookies["django_language"] = lang
    missing = client.get("/no-such-page/")
    body = missing.content.decode()
    assert missing.status_code == 404
    assert 'data-testid="error-404"' in body and f'<html lang="{lang}"' in body
    assert "Using the URLconf" not in body
    assert ("Không tìm thấy" if lang == "vi" else "Not found") in body
    auditor = signed_in("auditor", lang)
    case_url = reverse("case_search")
    refused = auditor.post(case_url)
    assert refused.status_code in (403, 405)
    clerk_only = auditor.get(reverse("case_new"))
    assert clerk_only.status_code == 403
    assert 'data-testid="error-403"' in clerk_only.content.decode()


def test_a_crash_with_debug_on_shows_the_styled_server_error_page(settings: Any) -> None:
    from django.http import HttpResponse
    from django.test import RequestFactory

    from cases.web.errors import StyledErrorPagesMiddleware

    settings.DEBUG = True
    technical = HttpResponse("<h1>Traceback</h1>", status=500, content_type="text/html")
    middleware = StyledErrorPagesMiddleware(lambda request: technical)
    response = middleware(RequestFactory().get("/cases/1/"))
    body = response.content.decode()
    assert response.status_code == 500
    assert "Traceback" not in body
    assert "Lỗi máy chủ" in body and "Server error" in body
