"""Hardening of issue 16: the second factor on every session, the stale assignee."""

from __future__ import annotations

import datetime

import pyotp
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from pypdf.generic import DictionaryObject, NameObject, TextStringObject

from cases.core.errors import CaseError, InvalidInput
from cases.models import Decision, Membership, Role, TOTPDevice
from cases.security import totp
from cases.security.enrolment import issue_enrolment_code, redeem_enrolment_code
from cases.workflow import engine as workflow
from tests.conftest import PDF_BYTES, pass_exchange


def test_a_stale_assignee_cannot_approve_after_their_membership_ended(file_case, world) -> None:
    case = pass_exchange(file_case("resignation", grounds=["R377-R-1"]), world.users["clerk"])
    deputy = world.users["deputy"]
    workflow.perform(
        case_id=case.pk,
        user=world.users["clerk"],
        action=workflow.REASSIGN,
        data={"step_id": case.current_step_id, "assignee": deputy.pk},
        reason="Cân đối công việc.",
    )
    ended = timezone.localdate() - datetime.timedelta(days=1)
    Membership.objects.filter(user=deputy, role=Role.AUTHORITY).update(valid_to=ended)
    events_before = case.events.count()
    with pytest.raises(CaseError):
        workflow.perform(case_id=case.pk, user=deputy, action=workflow.APPROVE)
    case.refresh_from_db()
    assert case.outcome == "" and case.events.count() == events_before
    assert workflow.APPROVE not in {a.name for a in workflow.available_actions(case, deputy)}


def _authority_with_password_only(client, world, settings):
    settings.REQUIRE_TOTP = True
    client.force_login(world.users["authority"])
    return world.users["authority"]


def test_a_token_header_does_not_exempt_a_session_from_the_second_factor_on_approval(
    client, world, settings, file_case
) -> None:
    case = pass_exchange(file_case("resignation", grounds=["R377-R-1"]), world.users["clerk"])
    _authority_with_password_only(client, world, settings)
    response = client.post(
        reverse("case_action", args=[case.pk, "approve"]),
        {"approve-step_id": case.current_step_id, "approve-signer_post": "Chủ tịch"},
        HTTP_AUTHORIZATION="Token x",
    )
    assert response.status_code == 302 and response["Location"].startswith("/account/2fa/")
    case.refresh_from_db()
    assert case.outcome == "" and not Decision.objects.filter(case=case).exists()
    api = client.post(
        f"/api/v1/cases/{case.pk}/actions/", {"action": "approve"}, HTTP_AUTHORIZATION="Token x"
    )
    assert api.status_code == 403 and api.json()["code"] == "second_factor_required"


def test_a_token_header_does_not_let_an_auditor_read_a_history_without_the_second_factor(
    client, world, settings, file_case
) -> None:
    settings.REQUIRE_TOTP = True
    case = file_case("dismissal")
    client.force_login(world.users["auditor"])
    for url in (reverse("case_history", args=[case.pk]), f"/cases/{case.pk}/history.json"):
        response = client.get(url, HTTP_AUTHORIZATION="Token anything")
        assert response.status_code == 302 and response["Location"].startswith("/account/2fa/")


def test_the_password_alone_shows_no_authenticator_secret_and_sets_none_up(
    client, world, settings
) -> None:
    user = _authority_with_password_only(client, world, settings)
    page = client.get("/account/2fa/")
    assert page.status_code == 200 and "enrol_form" in page.context
    assert b"totp-secret" not in page.content
    assert not TOTPDevice.objects.filter(user=user).exists()
    # A device made some other way (an old pending one) takes no code without enrolment.
    device = totp.device_for(user)
    refused = client.post("/account/2fa/", {"code": pyotp.TOTP(device.secret).now()})
    assert refused.status_code == 400 and "enrolment_code" in refused.context["enrol_form"].errors
    assert not totp.verify(user, pyotp.TOTP(device.secret).now())
    device.refresh_from_db()
    assert device.confirmed_at is None and not totp.is_verified(refused.wsgi_request)


def test_a_wrong_spent_or_foreign_enrolment_code_is_refused(client, world, settings) -> None:
    user = _authority_with_password_only(client, world, settings)
    foreign = issue_enrolment_code(user=world.users["auditor"], by=world.users["admin"])
    for code in ("AAAA-BBBB-CCCC", foreign):
        response = client.post("/account/2fa/", {"enrolment_code": code})
        assert response.status_code == 400
        assert "enrolment_code" in response.context["enrol_form"].errors
    assert not TOTPDevice.objects.filter(user=user).exists()
    mine = issue_enrolment_code(user=user, by=world.users["admin"])
    assert client.post("/account/2fa/", {"enrolment_code": mine}).status_code == 302
    assert redeem_enrolment_code(user=user, code=mine) is None  # spent


def test_an_enrolment_code_from_the_administrator_sets_up_the_authenticator(
    client, world, settings
) -> None:
    user = _authority_with_password_only(client, world, settings)
    code = issue_enrolment_code(user=user, by=world.users["admin"])
    redeemed = client.post("/account/2fa/", {"enrolment_code": code.lower().replace("-", " ")})
    assert redeemed.status_code == 302
    setup = client.get("/account/2fa/")
    assert setup.context["setup"] and b"totp-secret" in setup.content
    secret = TOTPDevice.objects.get(user=user).secret
    done = client.post("/account/2fa/", {"code": pyotp.TOTP(secret).now(), "next": "/"})
    assert done.status_code == 302 and done["Location"] == "/"
    assert TOTPDevice.objects.get(user=user).confirmed_at is not None
    assert client.get(reverse("inbox")).status_code == 200


def test_the_administrator_issues_an_enrolment_code_from_the_user_admin(client, world) -> None:
    client.force_login(world.users["admin"])
    target = world.users["auditor"]
    response = client.post(
        "/admin/auth/user/",
        {"action": "issue_enrolment_codes", "_selected_action": [target.pk]},
        follow=True,
    )
    assert response.status_code == 200
    message = next(str(m) for m in response.context["messages"])
    code = message.rsplit(" ", 1)[-1]
    assert redeem_enrolment_code(user=target, code=code) is not None


def _pdf_with(**extra: object) -> bytes:
    """A real PDF with extra entries in its catalog (pypdf objects)."""
    import io

    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(72, 72)
    for key, value in extra.items():
        writer._root_object[NameObject(f"/{key}")] = value  # noqa: SLF001
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _javascript_pdf() -> bytes:
    action = DictionaryObject(
        {
            NameObject("/S"): NameObject("/JavaScript"),
            NameObject("/JS"): TextStringObject("app.alert('x')"),
        }
    )
    return _pdf_with(OpenAction=action)


def _launch_pdf() -> bytes:
    action = DictionaryObject(
        {NameObject("/S"): NameObject("/Launch"), NameObject("/F"): TextStringObject("cmd.exe")}
    )
    return _pdf_with(OpenAction=action)


def _embedded_file_pdf() -> bytes:
    import io

    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(72, 72)
    writer.add_attachment("payload.exe", b"MZ\x90\x00")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: b"%PDF-1.7\n<html><script>alert(1)</script></html>\n", "not a well-formed PDF"),
        (lambda: PDF_BYTES + b"\n<html><script>alert(1)</script></html>\n", "well-formed"),
        (lambda: PDF_BYTES[: len(PDF_BYTES) // 2], "well-formed"),
        (_javascript_pdf, "scripts, actions"),
        (_launch_pdf, "scripts, actions"),
        (_embedded_file_pdf, "scripts, actions"),
    ],
    ids=["polyglot-html", "html-after-eof", "truncated", "javascript", "launch", "embedded-file"],
)
def test_uploaded_pdfs_are_parsed_and_refused_when_malformed_or_active(
    file_case, world, make, message: str
) -> None:
    case = file_case("dismissal")
    with pytest.raises(InvalidInput) as info:
        workflow.perform(
            case_id=case.pk,
            user=world.users["clerk"],
            action=workflow.ATTACH_DOCUMENT,
            data={"kind": "evidence"},
            upload=SimpleUploadedFile("bang-chung.pdf", make()),
        )
    assert message in str(info.value) and list(info.value.fields) == ["file"]
    assert case.documents.count() == 0 and case.events.count() == 1


def test_a_javascript_pdf_is_refused_by_the_api_in_the_error_format(
    client, world, file_case
) -> None:
    case = file_case("dismissal")
    client.force_login(world.users["clerk"])
    response = client.post(
        f"/api/v1/cases/{case.pk}/actions/",
        {
            "action": "attach_document",
            "kind": "evidence",
            "file": SimpleUploadedFile("x.pdf", _javascript_pdf(), "application/pdf"),
        },
    )
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"code", "detail", "fields"} and "file" in body["fields"]
    assert case.documents.count() == 0


def test_a_plain_pdf_is_accepted(file_case, world) -> None:
    case = file_case("dismissal")
    workflow.perform(
        case_id=case.pk,
        user=world.users["clerk"],
        action=workflow.ATTACH_DOCUMENT,
        data={"kind": "evidence"},
        upload=SimpleUploadedFile("bang-chung.pdf", PDF_BYTES),
    )
    assert case.documents.get().content_type == "application/pdf"


def test_the_pdf_and_enrolment_refusals_read_in_vietnamese(file_case, world) -> None:
    from django.utils import translation

    case = file_case("dismissal")
    with pytest.raises(InvalidInput) as info:
        workflow.perform(
            case_id=case.pk,
            user=world.users["clerk"],
            action=workflow.ATTACH_DOCUMENT,
            data={"kind": "evidence"},
            upload=SimpleUploadedFile("x.pdf", _javascript_pdf()),
        )
    with translation.override("vi"):
        assert str(info.value).startswith("Tệp PDF này chứa mã lệnh")
        from cases.security.views import EnrolmentForm

        assert (
            str(EnrolmentForm().fields["enrolment_code"].label) == "Mã đăng ký do quản trị viên cấp"
        )
