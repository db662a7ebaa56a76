"""Every web view refuses what it must: anonymous users go to the sign-in page, a wrong
role gets 403, an object out of scope gets 404, and auditors cannot change anything.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from cases.models import Appointment, Document, Notification
from cases.workflow import engine as workflow
from tests.conftest import pdf
from tests.web_support import signed_in, web_locale_dir, web_translations  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def cases(world: Any, file_case: Any) -> dict[str, Any]:
    """A case in Lào Cai (with a document), one in Nghệ An, and the official's own."""
    lao_cai = file_case("dismissal")
    workflow.perform(
        case_id=lao_cai.pk,
        user=world.users["clerk"],
        action=workflow.ATTACH_DOCUMENT,
        data={"kind": "evidence"},
        upload=pdf("evidence.pdf"),
    )
    other = file_case(
        "dismissal", official=world.official_other, position=world.post_other, by="clerk_other"
    )
    own = file_case(
        "resignation", official=world.official_self, position=world.post_superior, by="official"
    )
    return {
        "lao_cai": lao_cai,
        "document": Document.objects.get(case=lao_cai),
        "other": other,
        "own": own,
    }


def get_urls(c: dict[str, Any], world: Any) -> list[str]:
    case = c["lao_cai"].pk
    appointment = Appointment.objects.get(official=world.official_self).pk
    return [
        reverse("inbox"),
        reverse("case_detail", args=[case]),
        reverse("document_download", args=[case, c["document"].pk]),
        reverse("notifications"),
        reverse("case_search"),
        reverse("overdue"),
        reverse("my_posts"),
        reverse("resignation_new", args=[appointment]),
        reverse("case_new"),
        reverse("decisions"),
        reverse("delegations"),
        reverse("case_history", args=[case]),
        reverse("case_history_csv", args=[case]),
        reverse("case_history_json", args=[case]),
        reverse("case_as_of", args=[case]),
    ]


def test_anonymous_users_are_sent_to_sign_in_from_every_page(
    world: Any, cases: dict[str, Any]
) -> None:
    client = Client()
    for url in get_urls(cases, world):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login") + "?next="), url


def test_anonymous_post_of_an_action_is_sent_to_sign_in_and_changes_nothing(
    cases: dict[str, Any],
) -> None:
    case = cases["lao_cai"]
    response = Client().post(
        reverse("case_action", args=[case.pk, "reject"]), {"reject-reason": "x"}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == "open"


@pytest.mark.parametrize(
    ("username", "names"),
    [
        ("official", ["case_search", "overdue", "case_new", "decisions", "delegations"]),
        ("clerk", ["my_posts", "decisions", "delegations"]),
        ("authority", ["my_posts", "case_new"]),
        ("auditor", ["my_posts", "case_new", "decisions", "delegations"]),
    ],
)
def test_pages_of_another_role_answer_403(
    world: Any, cases: dict[str, Any], username: str, names: list[str]
) -> None:
    client = signed_in(username)
    for name in names:
        response = client.get(reverse(name))
        assert response.status_code == 403, name
        assert "error-403" in response.content.decode()


@pytest.mark.parametrize("username", ["official", "clerk", "authority"])
def test_audit_pages_answer_403_to_other_roles(cases: dict[str, Any], username: str) -> None:
    client = signed_in(username)
    case = cases["own"] if username == "official" else cases["lao_cai"]
    for name in ("case_history", "case_history_csv", "case_history_json", "case_as_of"):
        assert client.get(reverse(name, args=[case.pk])).status_code == 403, name


def test_resignation_form_answers_403_to_staff_and_404_for_someone_elses_post(
    world: Any, cases: dict[str, Any]
) -> None:
    other_post = Appointment.objects.get(official=world.official_same).pk
    assert signed_in("clerk").get(reverse("resignation_new", args=[other_post])).status_code == 403
    assert (
        signed_in("official").get(reverse("resignation_new", args=[other_post])).status_code == 404
    )


def test_cases_out_of_scope_answer_404(cases: dict[str, Any]) -> None:
    lao_cai, other, own = cases["lao_cai"], cases["other"], cases["own"]
    document = cases["document"]
    # The official sees only their own case.
    official = signed_in("official")
    assert official.get(reverse("case_detail", args=[own.pk])).status_code == 200
    response = official.get(reverse("case_detail", args=[lao_cai.pk]))
    assert response.status_code == 404
    assert "error-404" in response.content.decode()
    assert (
        official.get(reverse("document_download", args=[lao_cai.pk, document.pk])).status_code
        == 404
    )
    # A Nghệ An clerk and auditor see nothing of Lào Cai, and the reverse.
    clerk_other = signed_in("clerk_other")
    assert clerk_other.get(reverse("case_detail", args=[lao_cai.pk])).status_code == 404
    assert (
        clerk_other.get(reverse("document_download", args=[lao_cai.pk, document.pk])).status_code
        == 404
    )
    assert signed_in("clerk").get(reverse("case_detail", args=[other.pk])).status_code == 404
    auditor_other = signed_in("auditor_other")
    for name in (
        "case_detail",
        "case_history",
        "case_history_csv",
        "case_history_json",
        "case_as_of",
    ):
        assert auditor_other.get(reverse(name, args=[lao_cai.pk])).status_code == 404, name
    # A document is only reachable through its own case.
    assert (
        signed_in("clerk").get(reverse("document_download", args=[own.pk, document.pk])).status_code
        == 404
    )
    # An unknown case is the same 404.
    assert signed_in("clerk").get(reverse("case_detail", args=[999999])).status_code == 404


def test_an_action_on_a_case_out_of_scope_answers_404_and_changes_nothing(
    cases: dict[str, Any],
) -> None:
    lao_cai = cases["lao_cai"]
    response = signed_in("clerk_other").post(
        reverse("case_action", args=[lao_cai.pk, "reject"]),
        {"reject-reason": "Không thuộc thẩm quyền."},
    )
    assert response.status_code == 404
    lao_cai.refresh_from_db()
    assert lao_cai.status == "open"


def test_auditor_posts_are_refused(world: Any, cases: dict[str, Any]) -> None:
    case = cases["lao_cai"]
    auditor = signed_in("auditor")
    events_before = case.events.count()
    for action in ("record_vote", "reject", "attach_document", "complete_step"):
        response = auditor.post(
            reverse("case_action", args=[case.pk, action]), {f"{action}-reason": "x"}
        )
        assert response.status_code == 403, action
    assert auditor.post(reverse("case_new"), {"form": "dismissal"}).status_code == 403
    assert auditor.post(reverse("delegations"), {}).status_code == 403
    for name in (
        "case_history",
        "case_as_of",
        "case_history_csv",
        "case_history_json",
        "case_detail",
    ):
        assert auditor.post(reverse(name, args=[case.pk])).status_code == 405, name
    assert case.events.count() == events_before


def test_the_auditor_sees_no_action_form_on_the_case_page(cases: dict[str, Any]) -> None:
    html = (
        signed_in("auditor")
        .get(reverse("case_detail", args=[cases["lao_cai"].pk]))
        .content.decode()
    )
    assert 'data-testid="no-actions"' in html
    assert "/act/" not in html


def test_actions_answer_only_post(cases: dict[str, Any]) -> None:
    response = signed_in("clerk").get(reverse("case_action", args=[cases["lao_cai"].pk, "reject"]))
    assert response.status_code == 405


def test_an_unknown_action_answers_404(cases: dict[str, Any]) -> None:
    response = signed_in("clerk").post(
        reverse("case_action", args=[cases["lao_cai"].pk, "explode"])
    )
    assert response.status_code == 404


def test_someone_elses_notification_cannot_be_marked_read(
    world: Any, cases: dict[str, Any]
) -> None:
    note = Notification.objects.create(
        user=world.users["authority"], kind="step", subject="S", body="B"
    )
    response = signed_in("clerk").post(reverse("notification_read", args=[note.pk]))
    assert response.status_code == 404
    note.refresh_from_db()
    assert note.read_at is None
    assert signed_in("clerk").get(reverse("notification_read", args=[note.pk])).status_code == 405
