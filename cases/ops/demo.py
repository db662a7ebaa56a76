"""The demo organisation, shared by ``seed_demo`` and the test suite.

Two provinces (Lào Cai with a historic district and a commune; Nghệ An), a central
body, Party and State bodies, posts, officials and one user per role. Idempotent.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from django.db import transaction

from cases.models import (
    Appointment,
    BodyType,
    CollectiveBody,
    Level,
    Membership,
    Official,
    OrgUnit,
    Position,
    Role,
    RosterMember,
    UnitKind,
)

User = get_user_model()


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
    users: dict[str, AbstractUser]


def _unit(code: str, **fields: object) -> OrgUnit:
    unit, created = OrgUnit.objects.get_or_create(code=code, defaults=fields)
    if not created:
        for key, value in fields.items():
            setattr(unit, key, value)
        unit.save()
    return unit


def _user(
    username: str, password: str, first: str, last: str, *, superuser: bool = False
) -> AbstractUser:
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
    user: AbstractUser | None = None,
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
