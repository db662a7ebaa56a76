"""Decision documents issued from real cases, and the other papers built from the models.

Every PDF is rendered for real (WeasyPrint) and read back with pypdf and pypdfium2.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Callable

import pytest
from django.contrib.auth import get_user_model

from cases.audit.chain import verify_case_chain
from cases.core.errors import ActionForbidden, InvalidInput
from cases.documents import issuing as documents_service
from cases.documents import render as documents
from cases.models import (
    Case,
    CaseEvent,
    Decision,
    Delegation,
    Document,
    Membership,
    Reminder,
    Role,
    Vote,
)
from cases.ops.demo import DemoWorld
from cases.workflow import engine as workflow
from tests.celery_support import (
    approve,
    dark_pixel_share,
    new_post,
    pdf_text,
    read_file,
    to_decision,
)
from tests.conftest import pass_exchange

DAY = datetime.date(2026, 5, 5)
NAME = "Nguyễn Thị Hồng Đường"  # ễ ị ồ ư Đ: every one must survive into the PDF


@pytest.fixture
def state_decision(world: DemoWorld, file_case: Callable[..., Case]) -> Decision:
    official, position = new_post(world, official_name=NAME)
    case = file_case("dismissal", official=official, position=position, filed_on=DAY, today=DAY)
    to_decision(case, world, day=DAY)
    return approve(case, world.users["authority"], day=DAY, effective_on="2026-05-15")


def issued_text(decision: Decision) -> str:
    document = documents_service.issue_decision_document(decision_id=decision.pk)
    assert document is not None
    return pdf_text(read_file(document.file))


def test_issued_state_decision_prints_what_the_case_holds(state_decision: Decision) -> None:
    text = issued_text(state_decision)
    case = state_decision.case
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text
    assert "Độc lập - Tự do - Hạnh phúc" in text
    assert "ỦY BAN NHÂN DÂN TỈNH LÀO CAI" in text
    assert state_decision.number == 1
    assert state_decision.symbol == "01/QĐ-UBND"
    assert "Số: 01/QĐ-UBND" in text
    assert "Lào Cai, ngày 05 tháng 5 năm 2026" in text
    assert f"bà {NAME}" in text
    assert "Phó Chánh Văn phòng Ủy ban nhân dân tỉnh Lào Cai" in text
    assert "Miễn nhiệm chức vụ Phó Chánh Văn phòng Ủy ban nhân dân tỉnh Lào Cai" in text
    assert "kể từ ngày 15 tháng 5 năm 2026" in text
    for ground in case.grounds.all():
        assert " ".join(ground.text_vi.split()).rstrip(".;")[:80] in text
    assert "Căn cứ Quy định số 377-QĐ/TW ngày 08 tháng 10 năm 2025 của Bộ Chính trị" in text
    assert "Căn cứ Luật Tổ chức chính quyền địa phương ngày 16 tháng 6 năm 2025" in text
    assert "Theo đề nghị của Giám đốc Sở Nội vụ." in text
    assert "TM. ỦY BAN NHÂN DÂN" in text
    assert "Đặng Quốc Khánh" in text  # the signer
    assert "Nơi nhận:" in text and "Như Điều 3;" in text


def test_party_decision_has_party_heading_and_slash_prefix(
    world: DemoWorld, file_case: Callable[..., Case]
) -> None:
    case = file_case(
        "termination",
        official=world.official_party,
        position=world.post_party,
        by="clerk_party",
        filed_on=DAY,
        today=DAY,
    )
    to_decision(case, world, day=DAY)
    decision = approve(case, world.users["authority_party"], day=DAY)
    assert (decision.prefix, decision.symbol) == ("T/M", "1-QĐ/TU")
    text = issued_text(decision)
    assert "ĐẢNG CỘNG SẢN VIỆT NAM" in text
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" not in text
    assert "TỈNH ỦY LÀO CAI" in text and "ĐẢNG BỘ TỈNH LÀO CAI" in text
    assert "Số 01-QĐ/TU" in text
    assert "Lào Cai, ngày 05 tháng 5 năm 2026" in text
    assert "đồng chí Hoàng Văn Dũng" in text  # Party papers say "đồng chí"
    assert "Phó Bí thư Đảng ủy xã Cốc San" in text
    assert "Căn cứ Điều lệ Đảng Cộng sản Việt Nam" in text
    assert "T/M BAN THƯỜNG VỤ" in text
    assert "TM." not in text
    assert "Lương Văn Sơn" in text


def test_deputy_under_delegation_signs_kt_for_the_head(
    world: DemoWorld, file_case: Callable[..., Case]
) -> None:
    deputy = get_user_model().objects.create_user(
        "pct", first_name="Phạm Thị", last_name="Ngọc Ánh"
    )
    # Case visibility follows memberships only (a delegation alone does not show the case).
    Membership.objects.create(user=deputy, unit=world.province, role=Role.CLERK)
    Delegation.objects.create(
        delegator=world.users["authority"],
        deputy=deputy,
        unit=world.province,
        valid_from=DAY,
        valid_to=DAY + datetime.timedelta(days=30),
        reason="Chủ tịch đi công tác",
    )
    official, position = new_post(world, official_name="Lê Văn Thưởng", honorific="ông")
    case = file_case("resignation", official=official, position=position, filed_on=DAY, today=DAY)
    to_decision(case, world, day=DAY)
    decision = approve(case, deputy, day=DAY)
    assert decision.prefix == "KT." and decision.on_behalf_of == world.users["authority"]
    text = issued_text(decision)
    assert "KT. CHỦ TỊCH" in text
    assert "PHÓ CHỦ TỊCH" in text
    assert "Phạm Thị Ngọc Ánh" in text
    assert "Chấp thuận đơn từ chức của ông Lê Văn Thưởng" in text
    # Signed by a person for the head, so the authority line names the head's post.
    assert "CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH LÀO CAI" in text


def test_page_one_of_the_issued_decision_is_not_blank(state_decision: Decision) -> None:
    document = documents_service.issue_decision_document(decision_id=state_decision.pk)
    assert document is not None
    share = dark_pixel_share(read_file(document.file))
    assert 0.005 < share < 0.25, share


def test_issued_document_records_kind_version_hash_and_its_event(state_decision: Decision) -> None:
    document = documents_service.issue_decision_document(decision_id=state_decision.pk)
    assert document is not None
    content = read_file(document.file)
    assert content.startswith(b"%PDF-")
    assert (document.kind, document.version, document.generated) == ("decision", 1, True)
    assert document.sha256 == hashlib.sha256(content).hexdigest()
    assert document.size == len(content)
    assert document.filename == "quyet-dinh-01qd-ubnd-v1.pdf"
    event = document.event
    assert event is not None and event.action == "document_issued"
    assert event.data["sha256"] == document.sha256 and event.data["version"] == 1
    assert event.actor is None and event.actor_name == "system"
    state_decision.refresh_from_db()
    assert state_decision.document_status == Decision.DocumentStatus.ISSUED
    assert verify_case_chain(state_decision.case_id).valid


def test_issuing_twice_stores_one_document(state_decision: Decision) -> None:
    first = documents_service.issue_decision_document(decision_id=state_decision.pk)
    second = documents_service.issue_decision_document(decision_id=state_decision.pk)
    assert first is not None and second is None
    assert Document.objects.filter(case=state_decision.case, kind="decision").count() == 1
    assert CaseEvent.objects.filter(case=state_decision.case, action="document_issued").count() == 1


def test_reissue_adds_a_version_and_never_touches_the_first_file(
    state_decision: Decision, world: DemoWorld
) -> None:
    first = documents_service.issue_decision_document(decision_id=state_decision.pk)
    assert first is not None
    before = read_file(first.file)
    second = documents_service.reissue_decision_document(
        decision_id=state_decision.pk, by=world.users["clerk"], reason="Bản bị thất lạc, cấp lại."
    )
    assert second.version == 2 and second.file.name != first.file.name
    first.refresh_from_db()
    assert read_file(first.file) == before
    assert hashlib.sha256(before).hexdigest() == first.sha256
    assert second.event is not None and second.event.action == "document_reissued"
    assert second.event.reason == "Bản bị thất lạc, cấp lại."
    assert second.event.actor == world.users["clerk"]
    assert verify_case_chain(state_decision.case_id).valid


def test_reissue_is_refused_outside_the_issuing_body_and_without_a_reason(
    state_decision: Decision, world: DemoWorld
) -> None:
    documents_service.issue_decision_document(decision_id=state_decision.pk)
    with pytest.raises(ActionForbidden):
        documents_service.reissue_decision_document(
            decision_id=state_decision.pk, by=world.users["clerk_other"], reason="Cấp lại"
        )
    with pytest.raises(ActionForbidden):
        documents_service.reissue_decision_document(
            decision_id=state_decision.pk, by=world.users["official"], reason="Cấp lại"
        )
    with pytest.raises(InvalidInput):
        documents_service.reissue_decision_document(
            decision_id=state_decision.pk, by=world.users["clerk"], reason="  "
        )
    assert Document.objects.filter(case=state_decision.case, kind="decision").count() == 1


def test_a_rejection_has_no_decision_document(
    world: DemoWorld, file_case: Callable[..., Case]
) -> None:
    official, position = new_post(world, official_name="Vũ Đình Hải", honorific="ông")
    case = file_case("dismissal", official=official, position=position, filed_on=DAY, today=DAY)
    to_decision(case, world, day=DAY)
    workflow.perform(
        case_id=case.pk,
        user=world.users["authority"],
        action=workflow.REJECT,
        reason="Chưa đủ căn cứ.",
        today=DAY,
    )
    decision = Decision.objects.get(case=case)
    assert documents_service.issue_decision_document(decision_id=decision.pk) is None
    assert not Document.objects.filter(case=case, kind="decision").exists()
    with pytest.raises(InvalidInput):
        documents_service.reissue_decision_document(
            decision_id=decision.pk, by=world.users["clerk"], reason="x"
        )


def test_numbers_follow_the_register_of_the_issuing_body(
    world: DemoWorld, file_case: Callable[..., Case]
) -> None:
    symbols = []
    for index, name in enumerate(["Đỗ Thị Liễu", "Trịnh Văn Khương", "Bùi Thị Ngọc Diệp"]):
        official, position = new_post(
            world, official_name=name, title=f"Phó Giám đốc Trung tâm {index} Ủy ban nhân dân tỉnh"
        )
        case = file_case("dismissal", official=official, position=position, filed_on=DAY, today=DAY)
        to_decision(case, world, day=DAY)
        decision = approve(case, world.users["authority"], day=DAY)
        symbols.append(decision.symbol)
        assert f"Số: {decision.symbol}" in issued_text(decision)
    assert symbols == ["01/QĐ-UBND", "02/QĐ-UBND", "03/QĐ-UBND"]


# --- the other papers, built from the models -----------------------------------------


@pytest.fixture
def case_at_decision(world: DemoWorld, file_case: Callable[..., Case]) -> Case:
    case = file_case(
        "dismissal",
        official=world.official_self,
        position=world.post_superior,
        by="clerk_commune",
        filed_on=DAY,
        today=DAY,
    )
    # 4 of the 5 members of the commune's People's Committee on its roster that day.
    pass_exchange(case, world.users["clerk_commune"], day=DAY, votes_for=4)
    return to_decision(case, world, day=DAY)


def test_proposal_from_the_case(case_at_decision: Case, world: DemoWorld) -> None:
    ctx = documents_service.proposal_context(
        case_at_decision, number=12, by=world.users["clerk_commune"], issued_on=DAY
    )
    text = pdf_text(documents.render_proposal(ctx))
    assert "TỜ TRÌNH" in text
    assert "ỦY BAN NHÂN DÂN XÃ CỐC SAN" in text
    assert "Số: 12/TTr-UBND" in text
    assert "Cốc San, ngày 05 tháng 5 năm 2026" in text
    assert "Kính gửi: Ủy ban nhân dân tỉnh Lào Cai" in text
    assert "bà Nguyễn Thị Diễm Quỳnh" in text
    assert "Chủ tịch Ủy ban nhân dân xã Cốc San" in text
    assert "Đã trao đổi với cán bộ." in text
    assert "4/5 thành viên tán thành" in text
    assert "Đỗ Văn Bình" in text


def test_minutes_of_the_talk_from_its_event(case_at_decision: Case) -> None:
    ctx = documents_service.minutes_context(
        case_at_decision, number=3, chair="Ông Đỗ Văn Bình", secretary="Bà Lò Thị Mai"
    )
    text = pdf_text(documents.render_minutes(ctx))
    assert "BIÊN BẢN" in text and "Số: 03/BB-UBND" in text
    assert "ngày 05 tháng 5 năm 2026" in text
    assert "Đã trao đổi với cán bộ." in text
    assert "Nguyễn Thị Diễm Quỳnh" in text and "Lò Thị Mai" in text


def test_vote_tally_from_the_recorded_vote(case_at_decision: Case) -> None:
    vote = Vote.objects.get(case=case_at_decision)
    text = pdf_text(
        documents.render_vote_tally(documents_service.vote_tally_context(vote, number=4))
    )
    assert "BIÊN BẢN KIỂM PHIẾU" in text
    assert "Quá 1/2 tổng số thành viên" in text
    assert "80,00%" in text  # 4 of the 5 members on the roster
    assert "Nguyễn Thị Diễm Quỳnh" in text


def test_reminder_notice_from_an_escalation(case_at_decision: Case) -> None:
    step = case_at_decision.steps.get(order=1)
    reminder = Reminder.objects.create(
        step=step, kind=Reminder.Kind.ESCALATION, day=DAY, working_days_before=-4
    )
    text = pdf_text(
        documents.render_reminder_notice(documents_service.reminder_context(reminder, number=9))
    )
    assert "THÔNG BÁO" in text
    assert "ỦY BAN NHÂN DÂN TỈNH LÀO CAI" in text  # the superior body issues it
    assert case_at_decision.reference in text
    assert "đã quá hạn 4 ngày làm việc" in text


def test_split_post_says_the_unit_once() -> None:
    assert documents_service.split_post(
        "Chủ tịch Ủy ban nhân dân xã", "Ủy ban nhân dân xã Cốc San"
    ) == ("Chủ tịch Ủy ban nhân dân xã", "Cốc San")
    assert documents_service.split_post("Giám đốc", "Sở Tài chính tỉnh Lào Cai") == (
        "Giám đốc",
        "Sở Tài chính tỉnh Lào Cai",
    )
