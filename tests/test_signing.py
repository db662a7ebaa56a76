"""Digitally signed decisions (issue #17): PAdES signatures from a SoftHSM2 token, the
signer's and the issuing body's; verification on /verify/ and the API; retries.

Every PDF is rendered for real, signed through PKCS#11 and validated with pyHanko.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from cases import tasks
from cases.core.errors import TransitionNotAllowed
from cases.documents import issuing, keys, signing, verification
from cases.models import (
    Case,
    CaseEvent,
    Decision,
    Document,
    DocumentKind,
    Notification,
    SigningKey,
)
from cases.notifications import sweep
from cases.ops.demo import DemoWorld
from tests.celery_support import approve, eager_tasks, new_post, to_decision  # noqa: F401
from tests.signing_support import (
    Token,
    assert_keys_sensitive_in_the_token,
    assert_no_private_key_material,
    assert_signatures_drawn_in_the_signature_block,
    assert_two_valid_pades_signatures,
    read_document,
    render_page,
    stored_blobs,
)

DAY = datetime.date(2026, 5, 5)
NAME = "Nguyễn Thị Hồng Đường"


@pytest.fixture
def decision(
    world: DemoWorld, file_case: Callable[..., Case], keys_for: Callable[[Decision], None]
) -> Decision:
    official, position = new_post(world, official_name=NAME)
    case = file_case("dismissal", official=official, position=position, filed_on=DAY, today=DAY)
    to_decision(case, world, day=DAY)
    decided = approve(case, world.users["authority"], day=DAY, effective_on="2026-05-15")
    keys_for(decided)
    return decided


def issued(decision: Decision) -> Document:
    document = issuing.issue_decision_document(decision_id=decision.pk)
    assert document is not None
    return document


def flip_one_byte(content: bytes) -> bytes:
    """Change one character of the decision's title in the first (signed) revision."""
    match = re.search(rb"/Title \((.)", content) or re.search(rb"/Title <(.)", content)
    assert match is not None
    position = match.start(1)
    changed = bytearray(content)
    changed[position] = ord("0") if changed[position] != ord("0") else ord("1")
    return bytes(changed)


def outsider_signed_pdf(tmp_path: Path) -> bytes:
    """A PDF signed by a key whose CA is not among the configured trust roots."""
    from weasyprint import HTML

    store = signing.Pkcs12KeyStore(directory=str(tmp_path / "outsider"), passphrase="x")
    now = datetime.datetime.now(tz=datetime.UTC)
    ca_name = signing.build_name(common_name="Outsider CA")
    ca = signing.issue_certificate(
        store=store,
        issuer_label="ca",
        issuer=None,
        subject=ca_name,
        public_key=store.generate("ca"),
        serial=11,
        days=30,
        ca=True,
        now=now,
    )
    certificate = signing.issue_certificate(
        store=store,
        issuer_label="ca",
        issuer=ca,
        subject=signing.build_name(common_name="Kẻ Giả Mạo"),
        public_key=store.generate("signer"),
        serial=12,
        days=30,
        ca=False,
        now=now,
    )
    content, _applied = signing.sign_pdf(
        HTML(string="<p>Quyết định giả</p>").write_pdf(),
        [
            signing.SignatureRequest(
                field_name="signer",
                role="signer",
                key_label="signer",
                certificate=certificate,
                lines=("Kẻ Giả Mạo",),
                placement=None,
            )
        ],
        chain=[ca],
        store=store,
    )
    return content


def api_verify(client: Client, **data: Any) -> Any:
    return client.post(reverse("api:document-verify"), data, HTTP_ACCEPT_LANGUAGE="en")


# --- the signatures -------------------------------------------------------------------


def test_issued_decision_carries_the_signers_and_the_bodys_valid_pades_signatures(
    decision: Decision,
) -> None:
    document = issued(decision)
    content = read_document(document)
    assert_two_valid_pades_signatures(
        content,
        trust_root=keys.load_certificate(keys.current_ca()),
        signer_name=decision.signer_name,
        body_name=decision.issuing_unit.name,
    )
    document.refresh_from_db()
    assert document.sha256 == hashlib.sha256(content).hexdigest()
    assert [s["role"] for s in document.signatures] == ["signer", "body"]
    assert all("BEGIN CERTIFICATE" in s["certificate"] for s in document.signatures)
    assert document.signed_at is not None and document.verification_code


def test_visible_signatures_are_drawn_inside_the_signature_block(decision: Decision) -> None:
    document = issued(decision)
    rendered = issuing._render_decision(decision, version=document.version)
    assert_signatures_drawn_in_the_signature_block(
        signed=read_document(document),
        unsigned=rendered.content,
        slots=rendered.slots,
        signer_name=decision.signer_name,
    )


def test_qr_code_decodes_to_the_verification_address_of_the_document(
    decision: Decision, client: Client
) -> None:
    import pypdfium2 as pdfium
    import zxingcpp

    document = issued(decision)
    content = read_document(document)
    page_count = len(pdfium.PdfDocument(content))
    texts = []
    for index in range(page_count):
        texts += [r.text for r in zxingcpp.read_barcodes(render_page(content, index, scale=3))]
    expected = f"https://cadre.example.vn/verify/?code={document.verification_code}"
    assert texts == [expected]
    page = client.get(expected.removeprefix("https://cadre.example.vn"))
    assert page.status_code == 200
    body = page.content.decode()
    assert 'data-status="valid"' in body
    assert decision.symbol in body and decision.issuing_unit.name in body
    assert NAME not in body  # nothing else about the case: not the official's name


# --- verification ---------------------------------------------------------------------


def test_one_changed_byte_after_signing_is_reported_altered_by_the_page_and_the_api(
    decision: Decision, client: Client
) -> None:
    content = read_document(issued(decision))
    assert verification.verify_file(content=content).status == "valid"
    altered = flip_one_byte(content)
    assert len(altered) == len(content) and altered != content
    page = client.post(
        reverse("verify"), {"file": SimpleUploadedFile("qd.pdf", altered, "application/pdf")}
    )
    assert page.status_code == 200 and 'data-status="altered"' in page.content.decode()
    answer = api_verify(client, file=SimpleUploadedFile("qd.pdf", altered, "application/pdf"))
    assert answer.status_code == 200
    assert answer.json()["status"] == "altered"
    assert answer.json()["message"] == "The file was altered after it was signed."
    assert answer.json()["decision"] is None  # not the issued file any more


def test_altered_stored_file_is_reported_altered_by_its_code(
    decision: Decision, client: Client
) -> None:
    document = issued(decision)
    path = Path(document.file.path)
    path.write_bytes(flip_one_byte(path.read_bytes()))
    answer = api_verify(client, code=document.verification_code)
    assert answer.status_code == 200 and answer.json()["status"] == "altered"
    assert answer.json()["decision"]["symbol"] == decision.symbol


def test_intact_file_is_reported_valid_with_its_signers_and_decision(
    decision: Decision, client: Client
) -> None:
    document = issued(decision)
    upload = SimpleUploadedFile("qd.pdf", read_document(document), "application/pdf")
    answer = api_verify(client, file=upload).json()
    assert answer["status"] == "valid"
    assert [s["name"] for s in answer["signatures"]] == [
        decision.signer_name,
        decision.issuing_unit.name,
    ]
    assert all(s["intact"] and s["trusted"] and not s["revoked"] for s in answer["signatures"])
    assert answer["decision"] == {
        "symbol": decision.symbol,
        "decided_on": decision.decided_on.isoformat(),
        "issuing_body": decision.issuing_unit.name,
        "version": 1,
    }


def test_pdf_signed_outside_the_trust_roots_is_reported_untrusted(
    signing_token: Token, db: None, client: Client, tmp_path: Path
) -> None:
    keys.ensure_ca()
    content = outsider_signed_pdf(tmp_path)
    result = verification.verify_file(content=content)
    assert result.status == "untrusted"
    assert result.check.signatures[0].intact and not result.check.signatures[0].trusted
    answer = api_verify(client, file=SimpleUploadedFile("x.pdf", content, "application/pdf"))
    assert answer.json()["status"] == "untrusted"
    page = client.post(
        reverse("verify"), {"file": SimpleUploadedFile("x.pdf", content, "application/pdf")}
    )
    assert 'data-status="untrusted"' in page.content.decode()


def test_certificate_revoked_by_the_administrator_is_reported_revoked(
    decision: Decision, world: DemoWorld, client: Client
) -> None:
    document = issued(decision)
    assert verification.verify_code(code=document.verification_code).status == "valid"
    signer_key = keys.current_key(user=decision.signer)
    assert signer_key is not None
    admin = Client()
    admin.force_login(world.users["admin"])
    response = admin.post(
        reverse("admin:cases_signingkey_changelist"),
        {"action": "revoke_and_publish", "_selected_action": [signer_key.pk]},
    )
    assert response.status_code == 302
    signer_key.refresh_from_db()
    assert signer_key.revoked_at is not None
    answer = api_verify(client, code=document.verification_code).json()
    assert answer["status"] == "revoked"
    assert [s["revoked"] for s in answer["signatures"]] == [True, False]
    # The published list is served where the certificates say it is.
    crl = client.get(reverse("verify_crl"))
    assert crl.status_code == 200 and crl["Content-Type"] == "application/pkix-crl"


def test_verification_refuses_bad_input_with_translated_errors(
    signing_token: Token, db: None, client: Client
) -> None:
    nothing = api_verify(client)
    assert nothing.status_code == 400
    assert set(nothing.json()) == {"code", "detail", "fields"}
    malformed = api_verify(client, code="not-a-code")
    assert malformed.status_code == 400 and "code" in malformed.json()["fields"]
    unknown = api_verify(client, code="A" * 16)
    assert unknown.status_code == 404 and unknown.json()["code"] == "not_found"
    in_vietnamese = Client(HTTP_ACCEPT_LANGUAGE="vi")
    in_vietnamese.cookies["django_language"] = "vi"
    vietnamese = in_vietnamese.post(reverse("api:document-verify"), {"code": "A" * 16})
    assert vietnamese.status_code == 404
    assert vietnamese.json()["detail"] == "Không có quyết định đã ký số nào mang mã kiểm tra này."
    not_pdf = api_verify(client, file=SimpleUploadedFile("a.pdf", b"hello", "application/pdf"))
    assert not_pdf.status_code == 400 and "file" in not_pdf.json()["fields"]
    broken = b"%PDF-1.7\n" + b"\x00" * 64
    unreadable = api_verify(client, file=SimpleUploadedFile("b.pdf", broken, "application/pdf"))
    assert unreadable.status_code == 200 and unreadable.json()["status"] == "unreadable"
    both = api_verify(
        client, code="A" * 16, file=SimpleUploadedFile("b.pdf", broken, "application/pdf")
    )
    assert both.status_code == 400 and "code" in both.json()["fields"]
    page = client.get(reverse("verify"), {"code": "bad"})
    assert page.status_code == 400 and "form-error" in page.content.decode()
    empty_form = client.post(reverse("verify"), {})
    assert empty_form.status_code == 400


def test_verify_page_is_public(client: Client, db: None) -> None:
    page = client.get(reverse("verify"))
    assert page.status_code == 200
    assert b'enctype="multipart/form-data"' in page.content


# --- the task, the sweep and re-issues ------------------------------------------------


@pytest.mark.parametrize("failure", ["module", "pin"])
def test_hsm_unavailable_leaves_the_decision_pending_and_the_sweep_signs_it_once(
    decision: Decision,
    world: DemoWorld,
    settings: Any,
    eager_tasks: None,  # noqa: F811
    failure: str,
    django_capture_on_commit_callbacks: Any,
) -> None:
    good_module, good_pin = settings.SIGNING_PKCS11_MODULE, settings.SIGNING_PIN
    if failure == "module":
        settings.SIGNING_PKCS11_MODULE = "/nonexistent/libsofthsm2.so"
    else:
        settings.SIGNING_PIN = "wrong-pin"
    with django_capture_on_commit_callbacks(execute=True):
        tasks.render_decision_document.apply(args=(decision.pk,)).get()
        tasks.render_decision_document.apply(args=(decision.pk,)).get()  # runs twice
    decision.refresh_from_db()
    assert decision.document_status == Decision.DocumentStatus.SIGNATURE_PENDING
    assert decision.signing_error
    assert not Document.objects.filter(case_id=decision.case_id, kind=DocumentKind.DECISION)
    events = CaseEvent.objects.filter(case_id=decision.case_id)
    assert events.filter(action="document_signature_pending").count() == 1
    assert not events.filter(action="document_issued").exists()
    told = Notification.objects.filter(kind="signature_pending", case_id=decision.case_id)
    assert told.filter(user=world.users["clerk"]).count() == 1
    notice = told.first()
    assert decision.symbol in notice.subject and decision.signing_error in notice.body
    # Still down: the sweep tries, nothing is stored, the clerks are not told again.
    sweep.sweep()
    assert not Document.objects.filter(case_id=decision.case_id, kind=DocumentKind.DECISION)
    assert told.count() == told.values("user").distinct().count()
    # Back: the sweep signs it, exactly once.
    settings.SIGNING_PKCS11_MODULE, settings.SIGNING_PIN = good_module, good_pin
    report = sweep.sweep()
    assert report.signatures_retried == [decision.pk]
    sweep.sweep()
    documents = Document.objects.filter(case_id=decision.case_id, kind=DocumentKind.DECISION)
    assert documents.count() == 1
    assert documents.get().is_signed
    assert verification.verify_code(code=documents.get().verification_code).status == "valid"
    decision.refresh_from_db()
    assert decision.document_status == Decision.DocumentStatus.ISSUED
    assert decision.signing_error == ""


def test_missing_key_for_the_signer_leaves_the_signature_pending(
    decision: Decision,
) -> None:
    SigningKey.objects.filter(user=decision.signer).update(
        superseded_at=datetime.datetime.now(tz=datetime.UTC)
    )
    assert issuing.issue_decision_document(decision_id=decision.pk) is None
    decision.refresh_from_db()
    assert decision.document_status == Decision.DocumentStatus.SIGNATURE_PENDING
    assert decision.signer_name in decision.signing_error


def test_reissue_keeps_the_old_signed_versions_and_signs_the_new_one(
    decision: Decision, world: DemoWorld
) -> None:
    first = issued(decision)
    first_bytes = read_document(first)
    second = issuing.reissue_decision_document(
        decision_id=decision.pk, by=world.users["clerk"], reason="Sửa lỗi chính tả"
    )
    first.refresh_from_db()
    assert read_document(first) == first_bytes  # untouched
    assert second.version == 2 and second.is_signed
    assert second.verification_code != first.verification_code
    assert second.sha256 != first.sha256
    for document in (first, second):
        assert verification.verify_code(code=document.verification_code).status == "valid"
        assert verification.verify_code(code=document.verification_code).decision.version == (
            document.version
        )


def test_reissue_while_the_hsm_is_down_is_refused_and_keeps_the_old_version(
    decision: Decision, world: DemoWorld, settings: Any
) -> None:
    issued(decision)
    settings.SIGNING_PIN = "wrong-pin"
    with pytest.raises(signing.SigningUnavailable):
        issuing.reissue_decision_document(
            decision_id=decision.pk, by=world.users["clerk"], reason="Ký lại"
        )
    assert Document.objects.filter(case_id=decision.case_id, kind="decision").count() == 1
    assert not CaseEvent.objects.filter(action="document_reissued").exists()


def test_concurrent_reissue_of_the_same_version_is_refused(
    decision: Decision, world: DemoWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    issued(decision)
    real_render = issuing._render_decision

    def render_while_another_reissue_lands(target: Decision, *, version: int) -> Any:
        rendered = real_render(target, version=version)
        monkeypatch.setattr(issuing, "_render_decision", real_render)
        issuing.reissue_decision_document(
            decision_id=target.pk, by=world.users["clerk"], reason="Lần khác"
        )
        return rendered

    monkeypatch.setattr(issuing, "_render_decision", render_while_another_reissue_lands)
    with pytest.raises(TransitionNotAllowed):
        issuing.reissue_decision_document(
            decision_id=decision.pk, by=world.users["clerk"], reason="Lần này"
        )
    assert Document.objects.filter(case_id=decision.case_id, kind="decision").count() == 2


# --- keys -----------------------------------------------------------------------------


def test_no_private_key_material_in_the_database_or_the_media_folder(
    decision: Decision, settings: Any
) -> None:
    from django.core.files.storage import default_storage

    issued(decision)
    media = Path(default_storage.location)
    public = Path(settings.SIGNING_PUBLIC_DIR)
    files = [p for folder in (media, public) for p in folder.rglob("*") if p.is_file()]
    assert any(p.read_bytes().startswith(b"%PDF-") for p in files)
    assert (public / "ca.pem").is_file()
    assert SigningKey.objects.count() >= 3
    assert_no_private_key_material(stored_blobs(media, public))
    # The keys in the HSM are sensitive and cannot be extracted.
    store = signing.key_store()
    assert isinstance(store, signing.Pkcs11KeyStore)
    assert_keys_sensitive_in_the_token(
        store, list(SigningKey.objects.values_list("key_label", flat=True))
    )


def test_pkcs12_fallback_signs_a_valid_decision(
    world: DemoWorld,
    file_case: Callable[..., Case],
    signing_token: Token,
    settings: Any,
    tmp_path: Path,
) -> None:
    settings.DOCUMENT_SIGNING_BACKEND = "pkcs12"
    settings.SIGNING_PKCS12_DIR = str(tmp_path / "p12")
    settings.SIGNING_PKCS12_PASSPHRASE = "small-office"
    official, position = new_post(world, official_name=NAME)
    case = file_case("dismissal", official=official, position=position, filed_on=DAY, today=DAY)
    to_decision(case, world, day=DAY)
    decided = approve(case, world.users["authority"], day=DAY)
    keys.ensure_key(user=decided.signer)
    keys.ensure_key(unit=decided.issuing_unit)
    document = issued(decided)
    assert verification.verify_code(code=document.verification_code).status == "valid"
    assert len(list((tmp_path / "p12").glob("*.p12"))) == 3  # CA, signer, body


def test_signing_off_issues_an_unsigned_document_not_marked_signed(
    world: DemoWorld, file_case: Callable[..., Case], settings: Any
) -> None:
    settings.DOCUMENT_SIGNING_BACKEND = "off"
    official, position = new_post(world, official_name=NAME)
    case = file_case("dismissal", official=official, position=position, filed_on=DAY, today=DAY)
    to_decision(case, world, day=DAY)
    document = issued(approve(case, world.users["authority"], day=DAY))
    assert not document.is_signed and document.signatures == [] and not document.verification_code
    assert verification.verify_file(content=read_document(document)).status == "unsigned"
    assert io.BytesIO(read_document(document)).read(5) == b"%PDF-"


def test_bench_reports_the_render_and_sign_cost_per_decision(signing_token: Token) -> None:
    from bench import signing_bench

    rows = {row.figure: row for row in signing_bench.rows(signing_bench._sample_context(), 0, 2)}
    signed = rows["PDF decision rendered + signed (2 PAdES signatures, SoftHSM2)"]
    alone = rows["PDF decision: the two signatures alone"]
    assert signed.unit == "ms" and 0 < alone.median < signed.median <= signed.p95
    assert rows["Signed decisions per second per worker (render + sign)"].median > 0
    # The session's own token is in use again afterwards.
    assert signing.key_store().has_key("no-such-key") is False
