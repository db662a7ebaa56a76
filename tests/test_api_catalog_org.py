"""The catalog and the organisation register through the API: scope, roles, field errors."""

from __future__ import annotations

from collections.abc import Callable

from cases.models import Appointment, Case, CatalogVersion, Official, OrgUnit, Position
from cases.ops.demo import DemoWorld
from tests.api_helpers import (  # noqa: F401 - api_translations is an autouse fixture
    API,
    api_translations,
    as_user,
    error,
)

# --- catalog --------------------------------------------------------------------------


def test_catalog_lists_the_regimes_of_the_current_version(
    world: DemoWorld, catalog: CatalogVersion
) -> None:
    response = as_user(world, "official").get(f"{API}/catalog/regulations/")
    assert response.status_code == 200
    regimes = {r["code"]: r for r in response.json()}
    assert [code for code in regimes if code.startswith("R")] == ["R260", "R41", "R377"]
    # The State regimes of the tracks (issue 13) are listed too, with their track.
    assert {"ND138", "ND138-24", "ND170", "LGL25"} <= set(regimes)
    assert regimes["ND170"]["track"] == "state_appointed" and regimes["R377"]["track"] == "party"
    r377 = regimes["R377"]
    assert r377["catalog_version"] == catalog.label
    assert set(r377["forms"]) == {"termination", "dismissal", "resignation"}
    grounds = {g["code"]: g for g in r377["grounds"]}
    assert {"R377-R-1", "R377-D-4", "R377-T-3"} <= set(grounds)
    ground = grounds["R377-R-1"]
    assert ground["form"] == "resignation"
    assert ground["text"] == ground["text_vi"] and ground["text_en"]
    assert ground["verification"] in {"V", "P", "U"} and isinstance(
        ground["needs_legal_review"], bool
    )
    assert {e["code"] for e in r377["exclusions"]} >= {"R377-P-2"}
    process = next(
        p for p in r377["processes"] if p["form"] == "resignation" and p["scope"] == "superior"
    )
    first = process["steps"][0]
    assert (
        first["code"] == "R377-S-1"
        and first["actor_role"] == "clerk"
        and first["actor_unit"] == "employing"
    )
    assert first["requires_documents"] == ["minutes"] and first["requires_vote"] is True
    assert first["time_limit"]["code"] == "TL-377-1" and first["time_limit"]["days"] == 10
    assert first["time_limit"]["unit"] == "working_days"
    decision = next(s for s in process["steps"] if s["kind"] == "decision")
    assert decision["time_limit"]["extension_ceiling_days"] == 15


def test_catalog_texts_follow_accept_language(world: DemoWorld) -> None:
    english = as_user(world, "clerk", lang="en").get(f"{API}/catalog/regulations/").json()
    r41 = next(r for r in english if r["code"] == "R41")
    assert r41["title"] == r41["title_en"] != r41["title_vi"]
    assert all(g["text"] == g["text_en"] for g in r41["grounds"])


# --- organisation units ---------------------------------------------------------------


def _ids(response: object) -> set[int]:
    body = response.json()
    return {row["id"] for row in body["results"]}


def test_units_are_scoped_to_the_users_subtree(world: DemoWorld) -> None:
    clerk = _ids(as_user(world, "clerk").get(f"{API}/org-units/"))
    assert clerk == {world.province.pk, world.district.pk, world.commune.pk}
    commune = _ids(as_user(world, "clerk_commune").get(f"{API}/org-units/"))
    assert commune == {world.commune.pk}
    other = _ids(as_user(world, "clerk_other").get(f"{API}/org-units/"))
    assert other == {world.other_province.pk, world.other_commune.pk}
    assert _ids(as_user(world, "official").get(f"{API}/org-units/")) == set()
    assert _ids(as_user(world, "admin").get(f"{API}/org-units/")) == set(
        OrgUnit.objects.values_list("pk", flat=True)
    )


def test_unit_outside_scope_is_404_like_a_missing_one(world: DemoWorld) -> None:
    client = as_user(world, "clerk_other", lang="en")
    hidden = error(client.get(f"{API}/org-units/{world.province.pk}/"), 404, "not_found")
    missing = error(client.get(f"{API}/org-units/999999/"), 404, "not_found")
    assert hidden == missing
    assert hidden["detail"] == "Organisation unit not found."
    assert (
        client.get(f"{API}/org-units/{world.other_commune.pk}/").json()["code"] == "UBND-NA-VINHPHU"
    )


def test_admin_creates_and_edits_a_unit(world: DemoWorld) -> None:
    admin = as_user(world, "admin")
    response = admin.post(
        f"{API}/org-units/",
        {
            "code": "UBND-LC-BANXEO",
            "name": "Ủy ban nhân dân xã Bản Xèo",
            "kind": "state",
            "level": "commune",
            "parent": world.province.pk,
            "valid_from": "2025-07-01",
            "members_count": 5,
        },
        format="json",
    )
    assert response.status_code == 201
    unit = OrgUnit.objects.get(code="UBND-LC-BANXEO")
    assert unit.is_within(world.province) and response.json()["parent"] == world.province.pk
    # The new commune is now in the provincial clerk's scope.
    assert unit.pk in _ids(as_user(world, "clerk").get(f"{API}/org-units/"))
    patched = admin.patch(
        f"{API}/org-units/{unit.pk}/", {"head_title": "CHỦ TỊCH", "members_count": 7}, format="json"
    )
    assert patched.status_code == 200 and patched.json()["members_count"] == 7
    unit.refresh_from_db()
    assert unit.head_title == "CHỦ TỊCH"


def test_unit_with_bad_dates_or_a_taken_code_is_refused_with_field_errors(world: DemoWorld) -> None:
    admin = as_user(world, "admin", lang="en")
    before = OrgUnit.objects.count()
    dates = error(
        admin.post(
            f"{API}/org-units/",
            {
                "code": "X-1",
                "name": "X",
                "kind": "state",
                "level": "commune",
                "valid_from": "2025-07-01",
                "valid_to": "2025-01-01",
            },
            format="json",
        ),
        400,
        "invalid",
    )
    assert dates["fields"] == {"valid_to": ["Before the start date."]}
    taken = error(
        admin.post(
            f"{API}/org-units/",
            {"code": "UBND-LC", "name": "X", "kind": "state", "level": "commune"},
            format="json",
        ),
        400,
        "invalid",
    )
    assert taken["fields"] == {"code": ["This code is already used."]}
    bad = error(
        admin.post(
            f"{API}/org-units/", {"code": "", "kind": "nation", "members_count": -1}, format="json"
        ),
        400,
    )
    assert set(bad["fields"]) == {"code", "name", "kind", "level", "members_count"}
    assert OrgUnit.objects.count() == before


def test_a_unit_too_deep_for_the_tree_path_is_refused(world: DemoWorld) -> None:
    deep = OrgUnit.objects.create(code="DEEP", name="Sâu", level="commune", parent=world.commune)
    OrgUnit.objects.filter(pk=deep.pk).update(path=world.commune.path + "9" * 230 + "/")
    body = error(
        as_user(world, "admin", lang="en").post(
            f"{API}/org-units/",
            {"code": "DEEPER", "name": "X", "kind": "state", "level": "commune", "parent": deep.pk},
            format="json",
        ),
        400,
        "invalid",
    )
    assert body["fields"] == {"parent": ["Choose a unit higher up."]}


def test_only_administrators_change_units(world: DemoWorld) -> None:
    for username in ("clerk", "authority", "auditor", "official"):
        client = as_user(world, username)
        body = error(
            client.post(f"{API}/org-units/", {"code": "Z"}, format="json"), 403, "forbidden"
        )
        assert body["detail"] == "Chỉ quản trị viên mới được thay đổi đơn vị tổ chức."
        error(
            client.patch(f"{API}/org-units/{world.commune.pk}/", {"name": "Z"}, format="json"),
            403,
            "forbidden",
        )
    assert OrgUnit.objects.filter(code="Z").count() == 0


# --- positions ------------------------------------------------------------------------


def test_positions_are_scoped_and_an_official_sees_their_own_posts(world: DemoWorld) -> None:
    commune = _ids(as_user(world, "clerk_commune").get(f"{API}/positions/"))
    assert commune == {world.post_superior.pk, world.post_deputy.pk}
    own = as_user(world, "official").get(f"{API}/positions/").json()["results"]
    assert [p["id"] for p in own] == [world.post_superior.pk]
    assert own[0]["authority_scope"] == "superior"
    assert own[0]["holder"] == {"id": world.official_self.pk, "full_name": "Nguyễn Thị Diễm Quỳnh"}
    assert world.post_same.pk not in _ids(as_user(world, "clerk_other").get(f"{API}/positions/"))
    error(
        as_user(world, "clerk_other").get(f"{API}/positions/{world.post_same.pk}/"),
        404,
        "not_found",
    )


def test_clerk_creates_a_post_in_a_unit_of_their_scope(world: DemoWorld) -> None:
    client = as_user(world, "clerk_commune")
    response = client.post(
        f"{API}/positions/",
        {
            "title": "Phó Chủ tịch Ủy ban nhân dân xã (thứ hai)",
            "unit": world.commune.pk,
            "appointing_unit": world.province.pk,
        },
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    assert (
        body["unit"]["id"] == world.commune.pk
        and body["appointing_unit"]["id"] == world.province.pk
    )
    assert (
        body["authority_scope"] == "superior"
        and body["holder"] is None
        and body["is_leadership"] is True
    )
    patched = client.patch(
        f"{API}/positions/{body['id']}/", {"title": "Phó Chủ tịch"}, format="json"
    )
    assert patched.status_code == 200 and patched.json()["title"] == "Phó Chủ tịch"


def test_post_outside_the_clerks_units_is_refused(world: DemoWorld) -> None:
    client = as_user(world, "clerk_commune", lang="en")
    before = Position.objects.count()
    hidden = error(
        client.post(
            f"{API}/positions/",
            {"title": "X", "unit": world.province.pk, "appointing_unit": world.province.pk},
            format="json",
        ),
        400,
        "invalid",
    )
    assert hidden["fields"] == {"unit": [f"No such record in your scope (id {world.province.pk})."]}
    # The auditor role shows the province, but only a clerk role there allows changes.
    world.users["clerk_commune"].memberships.create(unit=world.province, role="auditor")
    forbidden = error(
        as_user(world, "clerk_commune", lang="en").post(
            f"{API}/positions/",
            {"title": "X", "unit": world.province.pk, "appointing_unit": world.province.pk},
            format="json",
        ),
        403,
        "forbidden",
    )
    assert "Ủy ban nhân dân tỉnh Lào Cai" in forbidden["detail"]
    assert Position.objects.count() == before


def test_appointing_unit_must_be_the_unit_or_above(world: DemoWorld) -> None:
    client = as_user(world, "clerk", lang="en")
    body = error(
        client.post(
            f"{API}/positions/",
            {"title": "X", "unit": world.province.pk, "appointing_unit": world.commune.pk},
            format="json",
        ),
        400,
        "invalid",
    )
    assert body["fields"] == {"appointing_unit": ["Choose the post's unit or a unit above it."]}
    missing = error(
        client.post(
            f"{API}/positions/",
            {"title": "X", "unit": world.province.pk, "appointing_unit": 987654},
            format="json",
        ),
        400,
    )
    assert missing["fields"] == body["fields"]


def test_roles_without_register_rights_get_403_on_posts_and_officials(world: DemoWorld) -> None:
    for username in ("authority", "auditor", "official"):
        client = as_user(world, username)
        body = error(client.post(f"{API}/positions/", {}, format="json"), 403, "forbidden")
        assert (
            body["detail"]
            == "Chỉ cán bộ tham mưu tổ chức và quản trị viên mới được thay đổi chức vụ và cán bộ."
        )
        error(client.post(f"{API}/officials/", {}, format="json"), 403, "forbidden")
        error(
            client.patch(
                f"{API}/officials/{world.official_self.pk}/", {"full_name": "X"}, format="json"
            ),
            403,
        )
        error(
            client.patch(
                f"{API}/positions/{world.post_superior.pk}/", {"title": "X"}, format="json"
            ),
            403,
        )


def test_a_post_with_cases_keeps_its_units(
    world: DemoWorld, file_case: Callable[..., Case]
) -> None:
    file_case("dismissal")
    client = as_user(world, "admin", lang="en")
    body = error(
        client.patch(
            f"{API}/positions/{world.post_same.pk}/", {"unit": world.district.pk}, format="json"
        ),
        409,
        "rule_violation",
    )
    assert body["detail"].startswith("Cases have been filed for this post") and body[
        "detail"
    ].endswith("(ORG-1)")
    assert body["fields"] == {"unit": ["The post has cases."]}
    renamed = client.patch(
        f"{API}/positions/{world.post_same.pk}/", {"title": "Chánh Văn phòng"}, format="json"
    )
    assert renamed.status_code == 200


# --- officials ------------------------------------------------------------------------


def test_officials_are_scoped_and_an_official_sees_only_their_record(world: DemoWorld) -> None:
    own = as_user(world, "official").get(f"{API}/officials/").json()["results"]
    assert [o["id"] for o in own] == [world.official_self.pk]
    assert own[0]["appointments"][0]["position"]["id"] == world.post_superior.pk
    assert own[0]["appointments"][0]["is_current"] is True
    error(
        as_user(world, "official").get(f"{API}/officials/{world.official_same.pk}/"),
        404,
        "not_found",
    )
    province = _ids(as_user(world, "clerk").get(f"{API}/officials/"))
    assert province == {
        world.official_self.pk,
        world.official_same.pk,
        world.official_deputy.pk,
        world.official_district.pk,
    }
    assert _ids(as_user(world, "clerk_other").get(f"{API}/officials/")) == {world.official_other.pk}


def test_clerk_registers_an_official_with_their_post(world: DemoWorld) -> None:
    clerk = as_user(world, "clerk_commune")
    post = Position.objects.create(
        title="Ủy viên", unit=world.commune, appointing_unit=world.province
    )
    response = clerk.post(
        f"{API}/officials/",
        {
            "full_name": "Hà Văn Mới",
            "honorific": "ông",
            "personnel_number": "LC-0100",
            "date_of_birth": "1980-05-04",
            "position": post.pk,
            "term_start": "2025-07-01",
        },
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    assert body["appointments"][0]["position"]["id"] == post.pk
    official = Official.objects.get(personnel_number="LC-0100")
    assert Appointment.objects.filter(
        official=official, position=post, ended_on__isnull=True
    ).exists()
    patched = clerk.patch(
        f"{API}/officials/{official.pk}/", {"full_name": "Hà Văn Mới (sửa)"}, format="json"
    )
    assert patched.status_code == 200 and patched.json()["full_name"] == "Hà Văn Mới (sửa)"


def test_official_for_a_held_post_or_a_taken_number_is_refused(world: DemoWorld) -> None:
    clerk = as_user(world, "clerk_commune", lang="en")
    before = Official.objects.count()
    held = error(
        clerk.post(
            f"{API}/officials/",
            {
                "full_name": "X",
                "honorific": "bà",
                "personnel_number": "LC-0200",
                "position": world.post_deputy.pk,
                "term_start": "2025-07-01",
            },
            format="json",
        ),
        400,
        "invalid",
    )
    assert held["fields"] == {"position": ["The post is held by someone else."]}
    taken = error(
        clerk.patch(
            f"{API}/officials/{world.official_deputy.pk}/",
            {"personnel_number": "LC-0001"},
            format="json",
        ),
        400,
    )
    assert taken["fields"] == {"personnel_number": ["This personnel number is already used."]}
    bad = error(
        clerk.post(
            f"{API}/officials/", {"honorific": "ngài", "date_of_birth": "2999-01-01"}, format="json"
        ),
        400,
    )
    assert {
        "full_name",
        "honorific",
        "personnel_number",
        "position",
        "term_start",
        "date_of_birth",
    } <= set(bad["fields"])
    assert Official.objects.count() == before


def test_clerk_cannot_edit_an_official_outside_their_units(world: DemoWorld) -> None:
    # The provincial post holder is visible to the commune clerk through no role: 404.
    error(
        as_user(world, "clerk_commune").patch(
            f"{API}/officials/{world.official_same.pk}/", {"full_name": "X"}, format="json"
        ),
        404,
    )
    # An auditor of the province who is a clerk elsewhere sees them, but may not change them.
    world.users["clerk_other"].memberships.create(unit=world.province, role="auditor")
    body = error(
        as_user(world, "clerk_other", lang="en").patch(
            f"{API}/officials/{world.official_same.pk}/", {"full_name": "X"}, format="json"
        ),
        403,
        "forbidden",
    )
    assert body["detail"] == "You can only change officials who hold a post in your scope."
    world.official_same.refresh_from_db()
    assert world.official_same.full_name == "Trần Văn Đức"
