"""The web and the API answer the same question with the same function."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse

from cases.catalog.loader import read_catalog, validate
from cases.models import Case, Notification, Regulation
from cases.notifications import notices
from cases.ops.demo import DemoWorld
from cases.organisation import selectors
from cases.refdata import catalog as catalog_cache
from cases.refdata.refcache import bump
from cases.workflow import engine as workflow
from cases.workflow import filing
from tests.api_helpers import API, as_user
from tests.conftest import PDF_BYTES
from tests.web_support import signed_in


def _spy(monkeypatch: pytest.MonkeyPatch, module: Any, name: str) -> list[dict[str, Any]]:
    """Replace ``module.name`` by a wrapper that records its keyword arguments."""
    real = getattr(module, name)
    calls: list[dict[str, Any]] = []

    def recording(*args: Any, **kwargs: Any) -> Any:
        calls.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, recording)
    return calls


def test_the_web_search_and_the_api_list_both_filter_with_the_one_selector(
    monkeypatch: pytest.MonkeyPatch, world: DemoWorld, file_case: Callable[..., Case]
) -> None:
    case = file_case("dismissal")
    calls = _spy(monkeypatch, selectors, "filter_cases")

    page = signed_in("auditor", "en").get(reverse("case_search"), {"form": "dismissal"})
    assert page.status_code == 200
    assert case.reference in page.content.decode()
    assert len(calls) == 1 and calls[0]["form"] == "dismissal"

    listed = as_user(world, "auditor").get(f"{API}/cases/", {"form": "dismissal"})
    assert listed.status_code == 200
    assert [c["reference"] for c in listed.json()["results"]] == [case.reference]
    assert len(calls) == 2 and calls[1]["form"] == "dismissal"


def test_the_web_and_the_api_match_a_ground_code_in_any_letter_case(
    world: DemoWorld, file_case: Callable[..., Case]
) -> None:
    case = file_case("dismissal")
    code = case.grounds.values_list("code", flat=True).first()
    assert code
    page = signed_in("auditor", "en").get(reverse("case_search"), {"ground": code.lower()})
    assert case.reference in page.content.decode()
    listed = as_user(world, "auditor").get(f"{API}/cases/", {"ground": code.lower()})
    assert [c["reference"] for c in listed.json()["results"]] == [case.reference]


def test_the_web_marks_notifications_read_through_the_notifications_service(
    monkeypatch: pytest.MonkeyPatch, world: DemoWorld, file_case: Callable[..., Case]
) -> None:
    case = file_case("dismissal")
    assert case.current_step is not None
    notices.step_started(case.current_step.pk)
    note = Notification.objects.get(user=world.users["clerk"])
    one = _spy(monkeypatch, notices, "mark_read")
    every = _spy(monkeypatch, notices, "mark_all_read")
    client = signed_in("clerk", "en")

    assert client.post(reverse("notification_read", args=[note.pk])).status_code == 302
    assert one == [{"user": world.users["clerk"], "notification_id": note.pk}]
    note.refresh_from_db()
    assert note.read_at is not None

    assert client.post(reverse("notifications_read_all")).status_code == 302
    assert len(every) == 1


def test_the_web_refuses_to_mark_someone_elses_notification_read(
    world: DemoWorld, file_case: Callable[..., Case]
) -> None:
    case = file_case("dismissal")
    assert case.current_step is not None
    notices.step_started(case.current_step.pk)
    note = Notification.objects.get(user=world.users["clerk"])
    response = signed_in("auditor", "en").post(reverse("notification_read", args=[note.pk]))
    assert response.status_code == 404
    note.refresh_from_db()
    assert note.read_at is None


def _withdraw_own_resignation(world: DemoWorld) -> Case:
    case = filing.submit_resignation(
        official=world.official_self,
        position=world.post_superior,
        ground_codes=["R377-R-4"],
        statement="Tôi xin từ chức vì lý do gia đình.",
        by=world.users["official"],
    )
    return workflow.perform(
        case_id=case.pk, user=world.users["official"], action=workflow.WITHDRAW, reason="Thôi."
    )


def test_whether_a_withdrawal_needs_review_is_read_from_the_catalog(world: DemoWorld) -> None:
    assert not Regulation.objects.get(code="R260").withdrawal_needs_review
    assert Regulation.objects.get(code="R377").withdrawal_needs_review
    assert _withdraw_own_resignation(world).needs_review
    # The same regulation marked as providing withdrawal: the engine follows the data.
    Regulation.objects.filter(code="R377").update(withdrawal_needs_review=False)
    # A raw UPDATE skips the model signals: tell every process's catalog cache (refdata).
    bump(catalog_cache.NAME)
    second = _withdraw_own_resignation(world)
    assert second.outcome == "withdrawn" and not second.needs_review


def test_the_catalog_refuses_a_withdrawal_flag_that_is_not_true_or_false() -> None:
    _manifest, regulations, _checksum = read_catalog()
    assert validate(regulations) == []
    regulations[0]["withdrawal_needs_review"] = "no"
    code = regulations[0]["code"]
    assert validate(regulations) == [f"{code}: withdrawal_needs_review must be true or false"]


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (PDF_BYTES, None),
        (b"%PDF-1.4\n" + b"x" * 64, "not_well_formed"),  # parsed, not judged by its head
        (b"GIF89a" + b"x" * 64, "bad_type"),
        (b"%PDF-1.4\n" + b"x" * 2048, "too_large"),
    ],
)
def test_the_web_form_the_api_field_and_the_store_refuse_the_same_uploads(
    settings: Any, content: bytes, code: str | None
) -> None:
    from django import forms
    from django.core.files.uploadedfile import SimpleUploadedFile
    from rest_framework import serializers

    from cases.api.fields import UploadField
    from cases.core.errors import InvalidInput
    from cases.documents import storage
    from cases.web.forms import check_upload

    settings.UPLOAD_MAX_BYTES = 1024

    def upload() -> SimpleUploadedFile:
        return SimpleUploadedFile("scan.pdf", content, content_type="application/pdf")

    refusal = storage.upload_refusal(upload())
    assert (refusal[0] if refusal else None) == code
    if code is None:
        assert check_upload(upload()) is not None
        assert UploadField().to_internal_value(upload()) is not None
        return
    with pytest.raises(forms.ValidationError) as web:
        check_upload(upload())
    assert web.value.code == code
    with pytest.raises(serializers.ValidationError) as api:
        UploadField().to_internal_value(upload())
    assert api.value.detail[0].code == code
    with pytest.raises(InvalidInput) as store:
        storage.store_upload(
            case=None, step=None, kind="minutes", upload=upload(), by=None
        )  # refused before the case is read
    assert store.value.fields["file"] == [storage.FIELD_MESSAGES[code]]


def test_the_web_form_and_the_api_offer_the_kinds_the_engine_accepts() -> None:
    from cases.api.serializers import ATTACHABLE_KINDS
    from cases.models import DocumentKind
    from cases.web.forms import ACTION_FORMS

    engine = [kind.value for kind in workflow.attachable_kinds()]
    web = ACTION_FORMS[workflow.ATTACH_DOCUMENT]().fields["kind"].choices
    assert [value for value, _label in web if value] == engine
    assert [value for value, _label in ATTACHABLE_KINDS] == engine
    assert DocumentKind.DECISION not in engine and DocumentKind.MINUTES in engine
    assert workflow.attachable_kinds(subject=True) == [DocumentKind.APPLICATION, DocumentKind.OTHER]


def test_the_engine_stores_and_the_renderer_reads_one_table_of_signing_prefixes() -> None:
    from cases.documents.render import prefix_of, printed_prefix

    assert printed_prefix("KT", party=False) == "KT." and printed_prefix("KT", party=True) == "K/T"
    assert printed_prefix("TM", party=False) == "TM." and printed_prefix("TM", party=True) == "T/M"
    assert printed_prefix("", party=True) == ""
    for prefix in ("TM", "KT"):
        for party in (False, True):
            assert prefix_of(printed_prefix(prefix, party=party)) == prefix
    assert prefix_of("") == "" and prefix_of("XX.") == ""
