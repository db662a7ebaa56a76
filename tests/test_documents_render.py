"""Rendering of the case documents to PDF (cases/documents/render.py), without a database.

Each document is rendered for real with WeasyPrint and read back with pypdf (text) and
pypdfium2 (pixels), so the checks are on what a reader of the PDF sees.
"""

from __future__ import annotations

import dataclasses
import io
import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pypdfium2 as pdfium
import pytest
from pypdf import PdfReader
from pytest_django.fixtures import Settings

from cases.documents.render import (
    DecisionContext,
    IssuingBody,
    MinutesContext,
    Person,
    ProposalContext,
    ReminderContext,
    Signer,
    VoteTallyContext,
    document_symbol_for,
    format_dateline,
    format_number_symbol,
    render_decision,
    render_minutes,
    render_proposal,
    render_reminder_notice,
    render_vote_tally,
)

VN = ZoneInfo("Asia/Ho_Chi_Minh")

PROVINCE_PEOPLES_COMMITTEE = IssuingBody(
    name="ỦY BAN NHÂN DÂN TỈNH LÀO CAI",
    superior_name=None,
    kind="state",
    place="Lào Cai",
    symbol="UBND",
    collective_name="ỦY BAN NHÂN DÂN",
)
PROVINCIAL_PARTY_COMMITTEE = IssuingBody(
    name="TỈNH ỦY LÀO CAI",
    superior_name="ĐẢNG BỘ TỈNH LÀO CAI",
    kind="party",
    place="Lào Cai",
    symbol="TU",
    collective_name="BAN THƯỜNG VỤ",
)
ORGANISATION_COMMISSION = IssuingBody(
    name="BAN TỔ CHỨC TỈNH ỦY",
    superior_name="TỈNH ỦY LÀO CAI",
    kind="party",
    place="Lào Cai",
    symbol="BTCTU",
)

DUC = Person(full_name="Trần Văn Đức", honorific="ông")
QUYNH = Person(full_name="Nguyễn Thị Diễm Quỳnh", honorific="bà")
NHUNG = "Lê Thị Hồng Nhung"
TUONG = "Phạm Ngọc Tường"

GROUNDS = [
    (
        "R41-D-1",
        "Có 02 năm liên tiếp được xếp loại chất lượng ở mức không hoàn thành nhiệm vụ",
    ),
    (
        "R41-D-2",
        "Có trên 50% tổng số thành viên được lấy phiếu tín nhiệm đánh giá tín nhiệm thấp",
    ),
]


# ------------------------------------------------------------------------- helpers


def pdf_text(pdf: bytes) -> str:
    """All pages' text, whitespace collapsed (justified lines break anywhere)."""
    reader = PdfReader(io.BytesIO(pdf))
    pages = [page.extract_text() or "" for page in reader.pages]
    for page in pages:
        lines = page.splitlines()
        for line, following in zip(lines, lines[1:], strict=False):
            # A lone word whose sentence goes on in lower case on the next line is the
            # early line break that template white space causes in WeasyPrint.
            assert not (len(line.split()) == 1 and following[:1].islower()), (line, following)
    text = re.sub(r"\s+", " ", " ".join(pages))
    # Template white space must never end up before punctuation ("Đức , kể từ").
    assert not re.search(r" [,.;:]", text), re.search(r".{30} [,.;:].{10}", text)
    return text


def page_count(pdf: bytes) -> int:
    return len(PdfReader(io.BytesIO(pdf)).pages)


def top_margin_text(pdf: bytes, index: int) -> str:
    """Text printed in the 20 mm top margin of a page (where the page number goes)."""
    document = pdfium.PdfDocument(pdf)
    try:
        page = document[index]
        width, height = page.get_size()
        top_margin = 20 / 25.4 * 72
        text = page.get_textpage().get_text_bounded(0, height - top_margin, width, height)
    finally:
        document.close()
    return text.strip()


def dark_pixel_share(pdf: bytes) -> float:
    """Share of dark pixels on page 1 rendered at 72 dpi."""
    document = pdfium.PdfDocument(pdf)
    try:
        image = document[0].render(scale=1).to_pil().convert("L")
    finally:
        document.close()
    histogram = image.histogram()
    dark = sum(histogram[:128])
    return dark / (image.width * image.height)


def assert_printed_page(pdf: bytes) -> None:
    assert pdf.startswith(b"%PDF-")
    document = pdfium.PdfDocument(pdf)
    try:
        width, height = document[0].get_size()
    finally:
        document.close()
    # A4 portrait in points (210 x 297 mm).
    assert (round(width), round(height)) == (595, 842)
    share = dark_pixel_share(pdf)
    # Text on white: clearly some ink, but mostly paper.
    assert 0.005 < share < 0.25, share


@pytest.fixture(autouse=True)
def _vietnam_time(settings: Settings) -> None:
    # Minutes print local clock times; pin the zone whatever the environment says.
    settings.TIME_ZONE = "Asia/Ho_Chi_Minh"


def state_decision(**changes: object) -> DecisionContext:
    ctx = DecisionContext(
        form="dismissal",
        regulation_code="R41",
        regulation_symbol="41-QĐ/TW",
        regulation_title="về miễn nhiệm, từ chức đối với cán bộ",
        body=PROVINCE_PEOPLES_COMMITTEE,
        number=5,
        year=2026,
        issued_on=date(2026, 2, 5),
        effective_on=date(2026, 2, 15),
        official=DUC,
        post_title="Giám đốc",
        unit_name="Sở Tài chính tỉnh Lào Cai",
        grounds=GROUNDS,
        bases=[
            "Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 02 năm 2025",
            "Căn cứ Nghị định số 170/2025/NĐ-CP ngày 30 tháng 6 năm 2025 của Chính phủ "
            "quy định về tuyển dụng, sử dụng và quản lý công chức;",
        ],
        proposal_by="Giám đốc Sở Nội vụ",
        signer=Signer(full_name=NHUNG, post="PHÓ CHỦ TỊCH", head_post="CHỦ TỊCH", prefix="KT"),
        recipients=[
            "Như Điều 3;",
            "Thường trực Tỉnh ủy;",
            "Chủ tịch, các PCT UBND tỉnh;",
            "Lưu: VT, TCCB.",
        ],
        case_reference="HS-2026-0005",
        implementers=("Chánh Văn phòng Ủy ban nhân dân tỉnh", "Giám đốc Sở Nội vụ"),
    )
    return dataclasses.replace(ctx, **changes)


def party_decision(**changes: object) -> DecisionContext:
    ctx = DecisionContext(
        form="resignation",
        regulation_code="R377",
        regulation_symbol="377-QĐ/TW",
        regulation_title="về phân cấp quản lý cán bộ và quy hoạch, bổ nhiệm, giới thiệu "
        "cán bộ ứng cử, tạm đình chỉ công tác, cho thôi giữ chức vụ, từ chức, miễn nhiệm "
        "đối với cán bộ",
        body=PROVINCIAL_PARTY_COMMITTEE,
        number=127,
        year=2026,
        issued_on=date(2026, 11, 15),
        effective_on=date(2026, 11, 15),
        official=QUYNH,
        post_title="Phó Trưởng ban",
        unit_name="Ban Tuyên giáo và Dân vận Tỉnh ủy",
        grounds=[("R41-R-1", "Tự nhận thấy hạn chế về năng lực, không đủ sức khỏe")],
        bases=["Căn cứ Điều lệ Đảng Cộng sản Việt Nam"],
        proposal_by="Ban Tổ chức Tỉnh ủy",
        signer=Signer(full_name=TUONG, post="BÍ THƯ", prefix="TM"),
        recipients=["Như Điều 3", "Lưu Văn phòng Tỉnh ủy"],
        case_reference="HS-2026-0127",
        implementers=("Văn phòng Tỉnh ủy", "Ban Tổ chức Tỉnh ủy"),
    )
    return dataclasses.replace(ctx, **changes)


# ---------------------------------------------------------------- number, dateline


def test_state_number_has_colon_slash_and_leading_zero() -> None:
    body = PROVINCE_PEOPLES_COMMITTEE
    assert format_number_symbol("state", 5, 2026, body) == "Số: 05/QĐ-UBND"
    assert format_number_symbol("state", 15, 2026, body) == "Số: 15/QĐ-UBND"
    assert format_number_symbol("state", 3, 2026, body, "TTr") == "Số: 03/TTr-UBND"


def test_regulatory_state_number_carries_the_year() -> None:
    body = PROVINCE_PEOPLES_COMMITTEE
    assert format_number_symbol("state_regulatory", 12, 2025, body) == "Số: 12/2025/QĐ-UBND"


def test_party_number_has_no_colon_and_a_hyphen() -> None:
    body = PROVINCIAL_PARTY_COMMITTEE
    assert format_number_symbol("party", 127, 2026, body) == "Số 127-QĐ/TU"
    assert format_number_symbol("party", 7, 2026, body, "TB") == "Số 07-TB/TU"


def test_number_convention_must_match_the_body() -> None:
    with pytest.raises(ValueError):
        format_number_symbol("party", 5, 2026, PROVINCE_PEOPLES_COMMITTEE)
    with pytest.raises(ValueError):
        format_number_symbol("state", 0, 2026, PROVINCE_PEOPLES_COMMITTEE)


def test_document_symbol_for_forms_and_document_kinds() -> None:
    assert document_symbol_for("dismissal", PROVINCE_PEOPLES_COMMITTEE) == "QĐ-UBND"
    assert document_symbol_for("resignation", PROVINCIAL_PARTY_COMMITTEE) == "QĐ/TU"
    assert document_symbol_for("proposal", ORGANISATION_COMMISSION) == "TTr/BTCTU"
    with pytest.raises(ValueError):
        document_symbol_for("appointment", PROVINCE_PEOPLES_COMMITTEE)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 2, 5), "Hà Nội, ngày 05 tháng 02 năm 2026"),
        (date(2026, 1, 31), "Hà Nội, ngày 31 tháng 01 năm 2026"),
        (date(2026, 3, 9), "Hà Nội, ngày 09 tháng 3 năm 2026"),
        (date(2026, 11, 15), "Hà Nội, ngày 15 tháng 11 năm 2026"),
        (date(2026, 12, 1), "Hà Nội, ngày 01 tháng 12 năm 2026"),
    ],
)
def test_dateline_pads_days_below_ten_and_january_february_only(day: date, expected: str) -> None:
    assert format_dateline("Hà Nội", day) == expected


# ------------------------------------------------------------------------ decisions


def test_state_dismissal_decision_follows_decree_30() -> None:
    pdf = render_decision(state_decision())
    text = pdf_text(pdf)

    assert "ỦY BAN NHÂN DÂN TỈNH LÀO CAI" in text
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text
    assert "Độc lập - Tự do - Hạnh phúc" in text
    assert "Số: 05/QĐ-UBND" in text
    assert "Lào Cai, ngày 05 tháng 02 năm 2026" in text
    assert "QUYẾT ĐỊNH" in text
    assert (
        "Về việc miễn nhiệm chức vụ Giám đốc Sở Tài chính tỉnh Lào Cai "
        "đối với ông Trần Văn Đức" in text
    )
    assert "CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH LÀO CAI" in text
    assert "Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 02 năm 2025;" in text
    assert (
        "Căn cứ Quy định số 41-QĐ/TW ngày 03 tháng 11 năm 2021 của Bộ Chính trị "
        "về miễn nhiệm, từ chức đối với cán bộ;" in text
    )
    assert "Theo đề nghị của Giám đốc Sở Nội vụ." in text
    assert "QUYẾT ĐỊNH:" in text
    assert (
        "Điều 1. Miễn nhiệm chức vụ Giám đốc Sở Tài chính tỉnh Lào Cai đối với "
        "ông Trần Văn Đức, kể từ ngày 15 tháng 02 năm 2026." in text
    )
    for _ground_id, ground in GROUNDS:
        assert ground in text
    assert "Điều 2." in text
    assert "Điều 3." in text
    assert "chịu trách nhiệm thi hành Quyết định này" in text
    assert "Nơi nhận:" in text
    assert "- Như Điều 3;" in text
    assert "- Lưu: VT, TCCB." in text
    assert "KT. CHỦ TỊCH" in text
    assert "PHÓ CHỦ TỊCH" in text
    assert NHUNG in text
    assert_printed_page(pdf)


def test_state_decision_keeps_every_vietnamese_letter() -> None:
    text = pdf_text(render_decision(state_decision()))
    for letter in ("ễ", "ị", "ồ", "ư", "đ", "Đ", "ứ", "ạ", "ổ", "ờ", "Ủ", "Ộ"):
        assert letter in text, letter


def test_decision_page_number_only_from_page_two() -> None:
    # A long list of recipients pushes the signature block to a second page.
    pdf = render_decision(state_decision(recipients=[f"Sở, ngành số {n}" for n in range(1, 40)]))
    assert page_count(pdf) >= 2
    assert top_margin_text(pdf, 0) == ""
    assert top_margin_text(pdf, 1) == "2"


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {
                "regulation_code": "ND138",
                "regulation_symbol": "138/2020/NĐ-CP",
                "regulation_title": "quy định về tuyển dụng, sử dụng và quản lý công chức",
            },
            "Căn cứ Nghị định số 138/2020/NĐ-CP ngày 27 tháng 11 năm 2020 của Chính phủ "
            "quy định về tuyển dụng, sử dụng và quản lý công chức;",
        ),
        (
            {
                "regulation_code": "QD96",
                "regulation_symbol": "96-QĐ/TW",
                "regulation_title": "Quy định về việc lấy phiếu tín nhiệm",
                "regulation_issued_on": date(2023, 2, 2),
                "regulation_issuer": "Bộ Chính trị",
            },
            "Căn cứ Quy định số 96-QĐ/TW ngày 02 tháng 02 năm 2023 của Bộ Chính trị "
            "về việc lấy phiếu tín nhiệm;",
        ),
    ],
)
def test_regulation_basis_line(changes: dict[str, object], expected: str) -> None:
    assert expected in pdf_text(render_decision(state_decision(**changes)))


def test_state_termination_and_resignation_subject_lines() -> None:
    termination = pdf_text(render_decision(state_decision(form="termination")))
    assert (
        "Về việc cho thôi giữ chức vụ Giám đốc Sở Tài chính tỉnh Lào Cai "
        "đối với ông Trần Văn Đức" in termination
    )
    assert "Cho ông Trần Văn Đức thôi giữ chức vụ Giám đốc Sở Tài chính" in termination

    resignation = pdf_text(
        render_decision(
            state_decision(
                form="resignation",
                official=QUYNH,
                post_title="Phó Giám đốc",
                unit_name="Sở Y tế tỉnh Lào Cai",
                signer=Signer(full_name=TUONG, post="CHỦ TỊCH", prefix="TM"),
            )
        )
    )
    assert "Về việc chấp thuận đơn từ chức của bà Nguyễn Thị Diễm Quỳnh" in resignation
    assert "Lý do từ chức:" in resignation
    assert "TM. ỦY BAN NHÂN DÂN" in resignation
    assert "CHỦ TỊCH" in resignation
    # Signed on behalf of the collective: the collective decides (FMT30-5c).
    assert "CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH LÀO CAI" not in resignation


def test_party_decision_follows_guidance_36() -> None:
    pdf = render_decision(party_decision())
    text = pdf_text(pdf)

    assert "ĐẢNG CỘNG SẢN VIỆT NAM" in text
    assert "ĐẢNG BỘ TỈNH LÀO CAI" in text
    assert "TỈNH ỦY LÀO CAI" in text
    assert "*" in text
    assert "Số 127-QĐ/TU" in text
    assert "Số: " not in text
    assert "Lào Cai, ngày 15 tháng 11 năm 2026" in text
    assert "QUYẾT ĐỊNH" in text
    # FMT36-5b: lower-case first letter; Party documents say "đồng chí".
    assert "về việc chấp thuận đơn từ chức của đồng chí Nguyễn Thị Diễm Quỳnh" in text
    assert "Căn cứ Quy định số 377-QĐ/TW ngày 08 tháng 10 năm 2025 của Bộ Chính trị" in text
    assert "Xét đề nghị của Ban Tổ chức Tỉnh ủy," in text
    assert "BAN THƯỜNG VỤ TỈNH ỦY LÀO CAI QUYẾT ĐỊNH" in text
    assert "Phó Trưởng ban Ban Tuyên giáo và Dân vận Tỉnh ủy" in text
    assert "kể từ ngày ký Quyết định này" in text
    assert "Tự nhận thấy hạn chế về năng lực, không đủ sức khỏe." in text
    assert "căn cứ Quyết định thi hành" in text
    assert "Nơi nhận:" in text
    assert "- Như Điều 3;" in text
    assert "- Lưu Văn phòng Tỉnh ủy." in text
    assert "T/M BAN THƯỜNG VỤ" in text
    assert "BÍ THƯ" in text
    assert TUONG in text
    assert "TM." not in text
    assert_printed_page(pdf)


def test_party_advisory_body_deputy_signs_k_t() -> None:
    ctx = party_decision(
        form="dismissal",
        body=ORGANISATION_COMMISSION,
        number=9,
        official=DUC,
        post_title="Trưởng phòng",
        unit_name="Phòng Tổ chức cán bộ",
        signer=Signer(full_name=NHUNG, post="PHÓ TRƯỞNG BAN", head_post="TRƯỞNG BAN", prefix="KT"),
    )
    text = pdf_text(render_decision(ctx))
    assert "Số 09-QĐ/BTCTU" in text
    assert "K/T TRƯỞNG BAN" in text
    assert "PHÓ TRƯỞNG BAN" in text
    assert "KT." not in text
    assert "BAN TỔ CHỨC TỈNH ỦY QUYẾT ĐỊNH" in text
    assert (
        "về việc miễn nhiệm chức vụ Trưởng phòng Phòng Tổ chức cán bộ đối với đồng chí Trần Văn Đức"
        in text
    )


def test_party_refuses_a_state_only_signing_form() -> None:
    with pytest.raises(ValueError):
        render_decision(party_decision(signer=Signer(full_name=TUONG, post="BÍ THƯ", prefix="Q")))


def test_signing_for_a_head_needs_the_heads_post() -> None:
    with pytest.raises(ValueError):
        render_decision(
            state_decision(signer=Signer(full_name=NHUNG, post="PHÓ CHỦ TỊCH", prefix="KT"))
        )


def test_decomposed_input_renders_as_precomposed_text() -> None:
    import unicodedata

    decomposed = Person(full_name=unicodedata.normalize("NFD", "Lê Thị Hồng Nhung"), honorific="bà")
    text = pdf_text(render_decision(state_decision(official=decomposed)))
    assert "bà Lê Thị Hồng Nhung" in text


def test_same_decision_renders_to_the_same_bytes() -> None:
    # Documents are stored with their SHA-256: rendering must be reproducible.
    assert render_decision(state_decision()) == render_decision(state_decision())


# ------------------------------------------------------------------ other documents


def test_proposal() -> None:
    ctx = ProposalContext(
        form="dismissal",
        body=ORGANISATION_COMMISSION,
        number=3,
        year=2026,
        issued_on=date(2026, 1, 20),
        addressees=["Ban Thường vụ Tỉnh ủy"],
        official=DUC,
        post_title="Giám đốc",
        unit_name="Sở Tài chính tỉnh Lào Cai",
        grounds=GROUNDS,
        bases=["Căn cứ Quy định số 377-QĐ/TW ngày 08 tháng 10 năm 2025 của Bộ Chính trị"],
        background=[
            "Ngày 12 tháng 01 năm 2026, Ban Tổ chức Tỉnh ủy đã trao đổi với đồng chí Trần Văn Đức."
        ],
        proposed_effective_on=date(2026, 2, 15),
        signer=Signer(full_name=NHUNG, post="PHÓ TRƯỞNG BAN", head_post="TRƯỞNG BAN", prefix="KT"),
        recipients=["Như trên", "Lưu VT"],
        case_reference="HS-2026-0005",
    )
    pdf = render_proposal(ctx)
    text = pdf_text(pdf)
    assert "ĐẢNG CỘNG SẢN VIỆT NAM" in text
    assert "BAN TỔ CHỨC TỈNH ỦY" in text
    assert "Số 03-TTr/BTCTU" in text
    assert "Lào Cai, ngày 20 tháng 01 năm 2026" in text
    assert "TỜ TRÌNH" in text
    assert "về việc đề nghị miễn nhiệm chức vụ Giám đốc Sở Tài chính tỉnh Lào Cai" in text
    assert "Kính gửi: Ban Thường vụ Tỉnh ủy." in text
    assert "Họ và tên: Trần Văn Đức." in text
    for _ground_id, ground in GROUNDS:
        assert ground in text
    assert "kể từ ngày 15 tháng 02 năm 2026" in text
    assert "K/T TRƯỞNG BAN" in text
    assert NHUNG in text
    assert "Nơi nhận:" in text
    assert_printed_page(pdf)


def test_conference_minutes() -> None:
    ctx = MinutesContext(
        kind="conference",
        form="dismissal",
        body=PROVINCIAL_PARTY_COMMITTEE,
        number=4,
        year=2026,
        started_at=datetime(2026, 2, 3, 8, 30, tzinfo=VN),
        ended_at=datetime(2026, 2, 3, 10, 15, tzinfo=VN),
        location="Phòng họp số 1, Tỉnh ủy Lào Cai",
        official=DUC,
        post_title="Giám đốc",
        unit_name="Sở Tài chính tỉnh Lào Cai",
        chair=f"Đồng chí {TUONG}, Bí thư Tỉnh ủy",
        secretary=f"Đồng chí {NHUNG}, Phó Trưởng Ban Tổ chức Tỉnh ủy",
        attendees=["13/15 đồng chí Ủy viên Ban Thường vụ Tỉnh ủy"],
        proceedings=["Ban Tổ chức Tỉnh ủy trình bày Tờ trình số 03-TTr/BTCTU."],
        conclusions=["Hội nghị thống nhất biểu quyết bằng phiếu kín."],
        signatures=[("Thư ký", NHUNG), ("Chủ trì", TUONG)],
        case_reference="HS-2026-0005",
        meeting_body="Ban Thường vụ Tỉnh ủy",
    )
    pdf = render_minutes(ctx)
    text = pdf_text(pdf)
    assert "ĐẢNG CỘNG SẢN VIỆT NAM" in text
    assert "CỘNG HÒA" not in text
    assert "TỈNH ỦY LÀO CAI" in text
    assert "Số 04-BB/TU" in text
    assert "Lào Cai, ngày 03 tháng 02 năm 2026" in text
    assert "BIÊN BẢN" in text
    assert (
        "hội nghị Ban Thường vụ Tỉnh ủy xem xét việc miễn nhiệm chức vụ Giám đốc "
        "Sở Tài chính tỉnh Lào Cai đối với đồng chí Trần Văn Đức" in text
    )
    assert "Vào hồi 08 giờ 30 phút, ngày 03 tháng 02 năm 2026" in text
    assert "kết thúc vào hồi 10 giờ 15 phút cùng ngày" in text
    assert "THƯ KÝ" in text
    assert "CHỦ TRÌ" in text
    assert TUONG in text
    assert NHUNG in text
    assert_printed_page(pdf)


def test_exchange_minutes_in_a_state_body() -> None:
    ctx = MinutesContext(
        kind="exchange",
        form="resignation",
        body=PROVINCE_PEOPLES_COMMITTEE,
        number=2,
        year=2026,
        started_at=datetime(2026, 11, 9, 14, 0, tzinfo=VN),
        ended_at=None,
        location="Sở Nội vụ tỉnh Lào Cai",
        official=QUYNH,
        post_title="Phó Giám đốc",
        unit_name="Sở Y tế tỉnh Lào Cai",
        chair=f"Ông {TUONG}, Giám đốc Sở Nội vụ",
        secretary=f"Bà {NHUNG}, chuyên viên Sở Nội vụ",
        attendees=[],
        proceedings=["Bà Nguyễn Thị Diễm Quỳnh trình bày lý do xin từ chức."],
        conclusions=[],
        signatures=[("Người được trao đổi", QUYNH.full_name), ("Đại diện Sở Nội vụ", TUONG)],
        case_reference="HS-2026-0031",
    )
    text = pdf_text(render_minutes(ctx))
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text
    assert "Số: 02/BB-UBND" in text
    assert "Lào Cai, ngày 09 tháng 11 năm 2026" in text
    assert "Trao đổi với bà Nguyễn Thị Diễm Quỳnh, Phó Giám đốc Sở Y tế tỉnh Lào Cai" in text
    assert "Vào hồi 14 giờ 00 phút, ngày 09 tháng 11 năm 2026" in text
    assert "NGƯỜI ĐƯỢC TRAO ĐỔI" in text


def test_vote_tally() -> None:
    ctx = VoteTallyContext(
        form="dismissal",
        body=PROVINCIAL_PARTY_COMMITTEE,
        number=5,
        year=2026,
        held_at=datetime(2026, 2, 3, 9, 45, tzinfo=VN),
        location="Phòng họp số 1, Tỉnh ủy Lào Cai",
        meeting_body="Ban Thường vụ Tỉnh ủy",
        official=DUC,
        post_title="Giám đốc",
        unit_name="Sở Tài chính tỉnh Lào Cai",
        members=15,
        present=13,
        votes_for=10,
        votes_against=2,
        abstain=1,
        threshold_text="Quá 50% tổng số thành viên đồng ý",
        passed=True,
        tally_committee=[f"Đồng chí {NHUNG}, Trưởng ban kiểm phiếu"],
        signatures=[("Trưởng ban kiểm phiếu", NHUNG)],
        case_reference="HS-2026-0005",
    )
    pdf = render_vote_tally(ctx)
    text = pdf_text(pdf)
    assert "Số 05-BB/TU" in text
    assert "Lào Cai, ngày 03 tháng 02 năm 2026" in text
    assert "BIÊN BẢN KIỂM PHIẾU" in text
    assert "Trần Văn Đức" in text
    assert "Tổng số thành viên Ban Thường vụ Tỉnh ủy: 15" in text
    assert "Số thành viên có mặt 13 86,67%" in text
    assert "Số phiếu đồng ý 10 66,67%" in text
    assert "Số phiếu không đồng ý 2 13,33%" in text
    assert "Số phiếu không biểu quyết 1 6,67%" in text
    assert "Tỷ lệ cần đạt: Quá 50% tổng số thành viên đồng ý." in text
    assert "nội dung biểu quyết được thông qua" in text
    assert "TRƯỞNG BAN KIỂM PHIẾU" in text
    assert_printed_page(pdf)

    failed = pdf_text(
        render_vote_tally(dataclasses.replace(ctx, votes_for=6, abstain=5, passed=False))
    )
    assert "nội dung biểu quyết không được thông qua" in failed


def test_vote_tally_rejects_more_ballots_than_members_present() -> None:
    with pytest.raises(ValueError):
        VoteTallyContext(
            form="dismissal",
            body=PROVINCIAL_PARTY_COMMITTEE,
            number=5,
            year=2026,
            held_at=datetime(2026, 2, 3, 9, 45, tzinfo=VN),
            location="Tỉnh ủy",
            meeting_body="Ban Thường vụ Tỉnh ủy",
            official=DUC,
            post_title="Giám đốc",
            unit_name="Sở Tài chính",
            members=15,
            present=10,
            votes_for=8,
            votes_against=2,
            abstain=1,
            threshold_text="Quá 50%",
            passed=True,
            tally_committee=[],
            signatures=[],
            case_reference="HS-2026-0005",
        )


def test_reminder_notice() -> None:
    ctx = ReminderContext(
        body=PROVINCE_PEOPLES_COMMITTEE,
        number=7,
        year=2026,
        issued_on=date(2026, 3, 2),
        addressees=["Giám đốc Sở Nội vụ", "Giám đốc Sở Tài chính"],
        case_reference="HS-2026-0005",
        step_name="Trao đổi với cán bộ về việc miễn nhiệm",
        due_on=date(2026, 2, 20),
        days_overdue=6,
        signer=Signer(full_name=NHUNG, post="PHÓ CHỦ TỊCH", head_post="CHỦ TỊCH", prefix="KT"),
        recipients=["Như trên;", "Lưu: VT, TCCB."],
        working_days=True,
        case_title="miễn nhiệm ông Trần Văn Đức, Giám đốc Sở Tài chính",
    )
    pdf = render_reminder_notice(ctx)
    text = pdf_text(pdf)
    assert "ỦY BAN NHÂN DÂN TỈNH LÀO CAI" in text
    assert "Số: 07/TB-UBND" in text
    assert "Lào Cai, ngày 02 tháng 3 năm 2026" in text
    assert "THÔNG BÁO" in text
    assert "Về việc nhắc hạn giải quyết hồ sơ HS-2026-0005" in text
    assert "Trao đổi với cán bộ về việc miễn nhiệm" in text
    assert "ngày 20/02/2026" in text
    assert "đã quá hạn 6 ngày làm việc" in text
    assert "Giám đốc Sở Nội vụ;" in text
    assert "KT. CHỦ TỊCH" in text
    assert NHUNG in text
    assert "Nơi nhận:" in text
    assert_printed_page(pdf)

    due_soon = pdf_text(render_reminder_notice(dataclasses.replace(ctx, days_overdue=-2)))
    assert "còn 2 ngày làm việc đến hạn" in due_soon
