"""The demo organisation, shared by ``seed_demo`` and the test suite.

Two provinces (Lào Cai with a historic district and a commune; Nghệ An), a central
body, Party and State bodies, posts, officials and one user per role. Idempotent.
"""

from __future__ import annotations

import datetime
import io
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from pypdf import PdfWriter

from cases.models import (
    Appointment,
    BodyType,
    Case,
    CollectiveBody,
    Level,
    Membership,
    Official,
    OrgUnit,
    Position,
    PostTrack,
    Role,
    RosterMember,
    TrackKind,
    UnitKind,
)
from cases.workflow import engine as workflow
from cases.workflow import filing as services


@dataclass
class DemoWorld:
    central: OrgUnit
    province: OrgUnit
    province_party: OrgUnit
    district: OrgUnit
    commune: OrgUnit
    commune_party: OrgUnit
    other_province: OrgUnit
    other_commune: OrgUnit
    post_same: Position  # decided by the province itself (3 steps under R41/R377)
    post_superior: Position  # commune post decided by the province (4 steps)
    post_deputy: Position
    post_party: Position
    post_other: Position
    post_district: Position
    official_self: Official  # linked to the "official" user
    official_same: Official
    official_deputy: Official
    official_party: Official
    official_other: Official
    official_district: Official
    users: dict[str, User]


def _unit(code: str, **fields: object) -> OrgUnit:
    unit, created = OrgUnit.objects.get_or_create(code=code, defaults=fields)
    if not created:
        for key, value in fields.items():
            setattr(unit, key, value)
        unit.save()
    return unit


def _user(username: str, password: str, first: str, last: str, *, superuser: bool = False) -> User:
    user, created = User.objects.get_or_create(
        username=username,
        defaults={"first_name": first, "last_name": last, "email": f"{username}@example.vn"},
    )
    if created:
        user.set_password(password)
        user.is_staff = superuser
        user.is_superuser = superuser
        user.save()
    return user


def _post(title: str, unit: OrgUnit, appointing: OrgUnit) -> Position:
    post, _ = Position.objects.get_or_create(
        title=title, unit=unit, defaults={"appointing_unit": appointing}
    )
    return post


def _official(
    number: str,
    name: str,
    honorific: str,
    post: Position,
    since: datetime.date,
    user: User | None = None,
) -> Official:
    official, _ = Official.objects.get_or_create(
        personnel_number=number, defaults={"full_name": name, "honorific": honorific, "user": user}
    )
    if not Appointment.objects.filter(official=official, position=post).exists():
        Appointment.objects.create(official=official, position=post, term_start=since)
    return official


FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương"]
MIDDLE = ["Văn", "Thị", "Minh", "Quốc", "Thu", "Đức", "Hồng", "Thanh", "Ngọc"]
GIVEN = ["An", "Bình", "Cường", "Dung", "Giang", "Hải", "Hạnh", "Khoa", "Linh", "Long", "Mai"]
GIVEN += ["Nam", "Phúc", "Quân", "Sơn", "Tâm", "Thảo", "Trung", "Tuấn", "Vân", "Yến"]


def _collective(
    unit: OrgUnit,
    body_type: str,
    name: str,
    size: int,
    *,
    since: datetime.date,
    until: datetime.date | None = None,
    roles: tuple[str, ...] = ("Bí thư", "Phó Bí thư"),
) -> CollectiveBody:
    """A body with a realistic roster: ``size`` members on every date of its life, with one
    seat that changed hands in 2021 so the roster on a date matters (MDL-COL-2)."""
    body, created = CollectiveBody.objects.get_or_create(
        unit=unit,
        body_type=body_type,
        name=name,
        defaults={"valid_from": since, "valid_to": until},
    )
    if created or not body.members.exists():
        turnover = datetime.date(2021, 5, 31)
        seed = unit.pk or 0
        for i in range(size):
            full_name = (
                f"{FAMILY[(seed + i) % len(FAMILY)]} {MIDDLE[(seed * 3 + i) % len(MIDDLE)]} "
                f"{GIVEN[(seed * 7 + i * 5) % len(GIVEN)]}"
            )
            role = roles[i] if i < len(roles) else "Ủy viên"
            last = i == size - 1 and since < turnover and (until is None or until > turnover)
            RosterMember.objects.create(
                body=body,
                full_name=full_name,
                role_in_body=role,
                valid_from=since,
                valid_to=turnover if last else until,
                decision=f"Quyết định chuẩn y số {100 + i}",
            )
            if last:
                RosterMember.objects.create(
                    body=body,
                    full_name=f"{FAMILY[(seed + i + 5) % len(FAMILY)]} Thị {GIVEN[(seed + i) % len(GIVEN)]}",
                    role_in_body=role,
                    valid_from=turnover + datetime.timedelta(days=1),
                    valid_to=until,
                    decision="Quyết định chuẩn y số 215",
                )
    return body


def _demo_collectives(world: DemoWorld) -> None:
    early = datetime.date(2009, 1, 1)
    state_roles = ("Chủ tịch", "Phó Chủ tịch")
    _collective(
        world.central, BodyType.POLITBURO, "Bộ Chính trị", 17, since=early, roles=("Tổng Bí thư",)
    )
    _collective(
        world.province_party,
        BodyType.PARTY_STANDING,
        "Ban Thường vụ Tỉnh ủy Lào Cai",
        15,
        since=early,
    )
    _collective(
        world.province_party,
        BodyType.PARTY_EXECUTIVE,
        "Ban Chấp hành Đảng bộ tỉnh Lào Cai",
        49,
        since=early,
    )
    _collective(
        world.province,
        BodyType.PEOPLES_COMMITTEE,
        "Ủy ban nhân dân tỉnh Lào Cai",
        9,
        since=early,
        roles=state_roles,
    )
    _collective(
        world.commune,
        BodyType.PEOPLES_COMMITTEE,
        "Ủy ban nhân dân xã Cốc San",
        5,
        since=world.commune.valid_from,
        roles=state_roles,
    )
    _collective(
        world.commune_party,
        BodyType.PARTY_STANDING,
        "Ban Thường vụ Đảng ủy xã Cốc San",
        7,
        since=world.commune_party.valid_from,
    )
    _collective(
        world.district,
        BodyType.PEOPLES_COMMITTEE,
        "Ủy ban nhân dân huyện Bảo Thắng",
        7,
        since=early,
        until=world.district.valid_to,
        roles=state_roles,
    )
    _collective(
        world.other_province,
        BodyType.PEOPLES_COMMITTEE,
        "Ủy ban nhân dân tỉnh Nghệ An",
        9,
        since=early,
        roles=state_roles,
    )
    _collective(
        world.other_commune,
        BodyType.PEOPLES_COMMITTEE,
        "Ủy ban nhân dân phường Vinh Phú",
        5,
        since=world.other_commune.valid_from,
        roles=state_roles,
    )


@transaction.atomic
def build_demo_world(password: str | None = None) -> DemoWorld:
    password = password or settings.DEMO_PASSWORD
    central = _unit(
        "TW",
        name="Ban Chấp hành Trung ương",
        kind=UnitKind.PARTY,
        level=Level.CENTRAL,
        place="Hà Nội",
        symbol="TW",
        collective_name="BỘ CHÍNH TRỊ",
        head_title="TỔNG BÍ THƯ",
        members_count=17,
    )
    province = _unit(
        "UBND-LC",
        name="Ủy ban nhân dân tỉnh Lào Cai",
        kind=UnitKind.STATE,
        level=Level.PROVINCIAL,
        parent=central,
        place="Lào Cai",
        symbol="UBND",
        superior_name="",
        collective_name="ỦY BAN NHÂN DÂN",
        head_title="CHỦ TỊCH",
        members_count=9,
    )
    province_party = _unit(
        "TU-LC",
        name="Tỉnh ủy Lào Cai",
        kind=UnitKind.PARTY,
        level=Level.PROVINCIAL,
        parent=central,
        place="Lào Cai",
        symbol="TU",
        superior_name="ĐẢNG BỘ TỈNH LÀO CAI",
        collective_name="BAN THƯỜNG VỤ",
        head_title="BÍ THƯ",
        members_count=15,
    )
    commune = _unit(
        "UBND-LC-COCSAN",
        name="Ủy ban nhân dân xã Cốc San",
        kind=UnitKind.STATE,
        level=Level.COMMUNE,
        parent=province,
        place="Cốc San",
        symbol="UBND",
        collective_name="ỦY BAN NHÂN DÂN",
        head_title="CHỦ TỊCH",
        members_count=5,
        valid_from=datetime.date(2025, 7, 1),
    )
    district = _unit(
        "UBND-LC-BAOTHANG",
        name="Ủy ban nhân dân huyện Bảo Thắng",
        kind=UnitKind.STATE,
        level=Level.DISTRICT,
        parent=province,
        place="Bảo Thắng",
        symbol="UBND",
        collective_name="ỦY BAN NHÂN DÂN",
        head_title="CHỦ TỊCH",
        members_count=7,
        valid_from=datetime.date(1991, 10, 1),
        valid_to=datetime.date(2025, 6, 30),
        successor=commune,
    )
    commune_party = _unit(
        "DU-LC-COCSAN",
        name="Đảng ủy xã Cốc San",
        kind=UnitKind.PARTY,
        level=Level.COMMUNE,
        parent=province_party,
        place="Cốc San",
        symbol="ĐU",
        superior_name="ĐẢNG BỘ TỈNH LÀO CAI",
        collective_name="BAN THƯỜNG VỤ",
        head_title="BÍ THƯ",
        members_count=7,
        valid_from=datetime.date(2025, 7, 1),
    )
    other_province = _unit(
        "UBND-NA",
        name="Ủy ban nhân dân tỉnh Nghệ An",
        kind=UnitKind.STATE,
        level=Level.PROVINCIAL,
        parent=central,
        place="Nghệ An",
        symbol="UBND",
        collective_name="ỦY BAN NHÂN DÂN",
        head_title="CHỦ TỊCH",
        members_count=9,
    )
    other_commune = _unit(
        "UBND-NA-VINHPHU",
        name="Ủy ban nhân dân phường Vinh Phú",
        kind=UnitKind.STATE,
        level=Level.COMMUNE,
        parent=other_province,
        place="Vinh Phú",
        symbol="UBND",
        collective_name="ỦY BAN NHÂN DÂN",
        head_title="CHỦ TỊCH",
        members_count=5,
        valid_from=datetime.date(2025, 7, 1),
    )

    post_same = _post("Chánh Văn phòng Ủy ban nhân dân tỉnh", province, province)
    post_superior = _post("Chủ tịch Ủy ban nhân dân xã", commune, province)
    post_deputy = _post("Phó Chủ tịch Ủy ban nhân dân xã", commune, province)
    post_party = _post("Phó Bí thư Đảng ủy xã", commune_party, province_party)
    post_other = _post("Chủ tịch Ủy ban nhân dân phường", other_commune, other_province)
    post_district = _post("Phó Chủ tịch Ủy ban nhân dân huyện", district, province)

    users = {
        "admin": _user("admin", password, "Quản trị", "hệ thống", superuser=True),
        "clerk": _user("clerk", password, "Vũ Thị", "Thanh Hương"),
        "clerk_commune": _user("clerk_commune", password, "Đỗ Văn", "Bình"),
        "clerk_party": _user("clerk_party", password, "Ngô Thị", "Lan"),
        "authority": _user("authority", password, "Đặng Quốc", "Khánh"),
        "deputy": _user("deputy", password, "Bùi Minh", "Tuấn"),
        "authority_party": _user("authority_party", password, "Lương Văn", "Sơn"),
        "official": _user("official", password, "Nguyễn Thị", "Diễm Quỳnh"),
        "auditor": _user("auditor", password, "Trịnh Thu", "Hà"),
        "clerk_other": _user("clerk_other", password, "Hồ Sĩ", "Nam"),
        "auditor_other": _user("auditor_other", password, "Phan Thị", "Mai"),
    }
    memberships = [
        ("clerk", province, Role.CLERK),
        ("clerk_commune", commune, Role.CLERK),
        ("clerk_party", province_party, Role.CLERK),
        ("clerk_party", commune_party, Role.CLERK),
        ("authority", province, Role.AUTHORITY),
        ("deputy", province, Role.AUTHORITY),
        ("authority_party", province_party, Role.AUTHORITY),
        ("auditor", province, Role.AUDITOR),
        ("auditor", province_party, Role.AUDITOR),
        ("clerk_other", other_province, Role.CLERK),
        ("auditor_other", other_province, Role.AUDITOR),
    ]
    for username, unit, role in memberships:
        Membership.objects.get_or_create(user=users[username], unit=unit, role=role)

    since = datetime.date(2021, 6, 1)
    official_self = _official(
        "LC-0001",
        "Nguyễn Thị Diễm Quỳnh",
        "bà",
        post_superior,
        datetime.date(2025, 7, 1),
        users["official"],
    )
    official_same = _official("LC-0002", "Trần Văn Đức", "ông", post_same, since)
    official_deputy = _official(
        "LC-0003", "Lê Thị Hồng Nhung", "bà", post_deputy, datetime.date(2025, 7, 1)
    )
    official_party = _official(
        "LC-0004", "Hoàng Văn Dũng", "ông", post_party, datetime.date(2025, 7, 1)
    )
    official_other = _official(
        "NA-0001", "Phạm Ngọc Tường", "ông", post_other, datetime.date(2025, 7, 1)
    )
    official_district = _official(
        "LC-0005", "Võ Thị Ánh Tuyết", "bà", post_district, datetime.date(2020, 5, 1)
    )
    world = DemoWorld(
        central=central,
        province=province,
        province_party=province_party,
        district=district,
        commune=commune,
        commune_party=commune_party,
        other_province=other_province,
        other_commune=other_commune,
        post_same=post_same,
        post_superior=post_superior,
        post_deputy=post_deputy,
        post_party=post_party,
        post_other=post_other,
        post_district=post_district,
        official_self=official_self,
        official_same=official_same,
        official_deputy=official_deputy,
        official_party=official_party,
        official_other=official_other,
        official_district=official_district,
        users=users,
    )
    _demo_collectives(world)
    return world


@dataclass
class TwoTrackWorld:
    """Posts whose holders leave through a Party and a State track (MDL-TRK-2)."""

    council: OrgUnit  # Hội đồng nhân dân xã Mường Hum
    commune: OrgUnit  # Ủy ban nhân dân xã Mường Hum
    department: OrgUnit  # Sở Nội vụ tỉnh Lào Cai
    post_chair: Position  # commune UBND chair: PARTY + STATE_ELECTED (HĐND, approval)
    post_director: Position  # department director: PARTY + STATE_APPOINTED (Decree 170)
    official_chair: Official
    official_director: Official
    users: dict[str, User]


@transaction.atomic
def build_two_track_world(world: DemoWorld, password: str | None = None) -> TwoTrackWorld:
    """The commune chair and the department director of docs/tracks.md. Idempotent.

    The People's Council sits above its People's Committee in the unit tree (the UBND is
    the HĐND's executive body), so its members see the cases of the committee's posts.
    """

    password = password or settings.DEMO_PASSWORD
    council = _unit(
        "HDND-LC-MUONGHUM",
        name="Hội đồng nhân dân xã Mường Hum",
        kind=UnitKind.STATE,
        level=Level.COMMUNE,
        parent=world.province,
        place="Mường Hum",
        symbol="HĐND",
        collective_name="HỘI ĐỒNG NHÂN DÂN",
        head_title="CHỦ TỊCH",
        members_count=25,
        valid_from=datetime.date(2025, 7, 1),
    )
    commune = _unit(
        "UBND-LC-MUONGHUM",
        name="Ủy ban nhân dân xã Mường Hum",
        kind=UnitKind.STATE,
        level=Level.COMMUNE,
        parent=council,
        place="Mường Hum",
        symbol="UBND",
        collective_name="ỦY BAN NHÂN DÂN",
        head_title="CHỦ TỊCH",
        members_count=5,
        valid_from=datetime.date(2025, 7, 1),
    )
    department = _unit(
        "SNV-LC",
        name="Sở Nội vụ tỉnh Lào Cai",
        kind=UnitKind.STATE,
        level=Level.PROVINCIAL,
        parent=world.province,
        place="Lào Cai",
        symbol="SNV",
        head_title="GIÁM ĐỐC",
        members_count=4,
    )
    # MDL-COL-2: the bodies that vote on these tracks, with their dated rosters.
    _collective(
        commune,
        BodyType.PEOPLES_COMMITTEE,
        "Ủy ban nhân dân xã Mường Hum",
        5,
        since=datetime.date(2025, 7, 1),
        roles=("Chủ tịch", "Phó Chủ tịch"),
    )
    _collective(
        council,
        BodyType.PEOPLES_COUNCIL,
        "Hội đồng nhân dân xã Mường Hum",
        25,
        since=datetime.date(2025, 7, 1),
        roles=("Chủ tịch Hội đồng nhân dân", "Phó Chủ tịch Hội đồng nhân dân"),
    )
    _collective(
        department,
        BodyType.LEADERSHIP,
        "Tập thể lãnh đạo Sở Nội vụ",
        4,
        since=datetime.date(2020, 1, 1),
        roles=("Giám đốc", "Phó Giám đốc"),
    )
    post_chair = _post("Chủ tịch Ủy ban nhân dân xã", commune, world.province_party)
    post_director = _post("Giám đốc Sở Nội vụ", department, world.province_party)
    rules = [
        (post_chair, TrackKind.PARTY, 1, None, None, datetime.date(2025, 7, 1)),
        # LGL25-A-2: a commune UBND chair's dismissal is approved by the provincial chair.
        (
            post_chair,
            TrackKind.STATE_ELECTED,
            2,
            council,
            world.province,
            datetime.date(2025, 7, 1),
        ),
        (post_director, TrackKind.PARTY, 1, None, None, datetime.date(2020, 1, 1)),
        (
            post_director,
            TrackKind.STATE_APPOINTED,
            2,
            world.province,
            None,
            datetime.date(2020, 1, 1),
        ),
    ]
    for post, kind, order, deciding, approving, since in rules:
        PostTrack.objects.get_or_create(
            position=post,
            kind=kind,
            defaults={
                "order": order,
                "deciding_unit": deciding,
                "approving_unit": approving,
                "valid_from": since,
            },
        )
    users = {
        "clerk_muonghum": _user("clerk_muonghum", password, "Sùng A", "Chứ"),
        "chair_council": _user("chair_council", password, "Vàng Thị", "Mai"),
        "clerk_department": _user("clerk_department", password, "Lý Thị", "Sen"),
    }
    for username, unit, role in (
        ("clerk_muonghum", commune, Role.CLERK),
        ("clerk_muonghum", council, Role.CLERK),
        ("chair_council", council, Role.AUTHORITY),
        ("clerk_department", department, Role.CLERK),
    ):
        Membership.objects.get_or_create(user=users[username], unit=unit, role=role)
    official_chair = _official(
        "LC-0006", "Lò Văn Pao", "ông", post_chair, datetime.date(2025, 7, 1)
    )
    official_director = _official(
        "LC-0007", "Trần Thị Thu Hà", "bà", post_director, datetime.date(2021, 6, 1)
    )
    return TwoTrackWorld(
        council=council,
        commune=commune,
        department=department,
        post_chair=post_chair,
        post_director=post_director,
        official_chair=official_chair,
        official_director=official_director,
        users={**world.users, **users},
    )


def _blank_pdf() -> bytes:
    """A one-page blank PDF for the demo's scanned papers (uploads are parsed as PDFs)."""
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def seed_two_track_case(two: TwoTrackWorld) -> Any:
    """The commune chair's resignation with both tracks moved: the Party committee has
    decided (R377) and the People's Council track is at its vote (LGL25). Idempotent."""

    existing = Case.objects.filter(official=two.official_chair).first()
    if existing is not None:
        return existing
    users = two.users

    def upload(name: str) -> SimpleUploadedFile:
        return SimpleUploadedFile(name, _blank_pdf(), content_type="application/pdf")

    def act(username: str, action: str, **kwargs: Any) -> Any:
        return workflow.perform(case_id=case.pk, user=users[username], action=action, **kwargs)

    case = services.file_case(
        form="resignation",
        official=two.official_chair,
        position=two.post_chair,
        ground_codes=["R377-R-1"],
        statement="Xin thôi làm Chủ tịch Ủy ban nhân dân xã vì lý do sức khỏe.",
        by=users["clerk_muonghum"],
    )
    today = timezone.localdate().isoformat()
    act(
        "clerk_muonghum",
        workflow.RECORD_TALK,
        data={"held_on": today, "summary": "Đã trao đổi với đồng chí Lò Văn Pao."},
        upload=upload("bien-ban-trao-doi.pdf"),
    )
    act(
        "clerk_muonghum",
        workflow.RECORD_VOTE,
        data={"present": 5, "votes_for": 4, "votes_against": 1},
    )
    act("clerk_muonghum", workflow.COMPLETE_STEP)
    # MDL-COL-7: the provincial standing committee votes on the decision, then it is signed.
    act(
        "clerk_party",
        workflow.RECORD_VOTE,
        data={"present": 15, "votes_for": 13, "votes_against": 2},
    )
    act("authority_party", workflow.APPROVE)
    # The State track: the submission to the People's Council is made; the vote is next.
    return act("clerk_muonghum", workflow.COMPLETE_STEP)
