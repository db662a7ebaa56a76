"""Historic import of closed cases from CSV: the service and the management command."""

from __future__ import annotations

import datetime
import hashlib
import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from cases.audit.chain import verify_case_chain
from cases.core.errors import ActionForbidden
from cases.historic.imports import ImportRejected, import_cases
from cases.models import Case, CaseEvent, Official, OrgUnit, Position
from tests.reports_support import (  # noqa: F401 - fixtures
    HEADER,
    csv_bytes,
    good_rows,
    reports_locale_dir,
    reports_translations,
    row,
)

D = datetime.date


def _messages(exc: ImportRejected) -> list[tuple[int, str]]:
    return [(e.line, e.message) for e in exc.errors]


def test_a_good_file_creates_closed_imported_cases_with_an_audit_event(world) -> None:
    data = csv_bytes(good_rows())
    result = import_cases(data=data, by=world.users["admin"], filename="history.csv")

    assert (result.created, result.skipped, result.rows) == (3, 0, 3)
    assert result.sha256 == hashlib.sha256(data).hexdigest()
    first = Case.objects.get(reference="LS-2015-0001")
    assert first.imported and first.status == "closed" and first.outcome == "approved"
    assert first.process is None and first.current_step is None
    assert first.regulation.code == "R260" and first.form == "resignation"
    assert first.filed_on == D(2015, 3, 2) and first.decided_on == D(2015, 4, 10)
    assert first.level == "provincial" and first.employing_unit == world.province
    assert [g.code for g in first.grounds.all()] == ["R260-R-1"]
    assert first.official.full_name == "Lê Văn Hải"
    assert (
        first.position.title == "Phó Giám đốc Sở Tài chính"
        and first.position.unit == world.province
    )

    second = Case.objects.get(reference="LS-2023-0002")
    assert second.level == "district" and second.employing_unit == world.district
    assert sorted(g.code for g in second.grounds.all()) == ["R41-D-1", "R41-D-4"]

    event = CaseEvent.objects.get(case=first)
    assert event.seq == 1 and event.action == "case_imported"
    assert event.actor == world.users["admin"]
    assert event.data["file_sha256"] == result.sha256
    assert event.data["row"]["case_ref"] == "LS-2015-0001" and event.data["line"] == 2
    assert event.data["row"]["ground_ids"] == "R260-R-1"
    for case in Case.objects.filter(imported=True):
        check = verify_case_chain(case.pk)
        assert check.valid and check.events == 1


def test_a_row_without_a_unit_goes_under_a_historic_import_unit(world) -> None:
    import_cases(data=csv_bytes(good_rows()), by=world.users["admin"])
    case = Case.objects.get(reference="LS-2026-0003")
    unit = case.employing_unit
    assert unit.code.startswith("IMPORT-") and unit.parent is None
    assert case.position.unit == unit and case.level == "commune"


def test_a_clerks_import_without_a_unit_stays_in_their_scope(world) -> None:
    clerk = world.users["clerk"]
    rows = [good_rows()[2]]
    import_cases(data=csv_bytes(rows), by=clerk)
    case = Case.objects.get(reference="LS-2026-0003")
    assert case.employing_unit.parent == world.province
    from cases.organisation.selectors import cases_visible_to

    assert cases_visible_to(clerk).filter(pk=case.pk).exists()
    assert not cases_visible_to(world.users["clerk_other"]).filter(pk=case.pk).exists()


def test_existing_posts_and_officials_are_reused(world) -> None:
    # Trần Văn Đức holds "Chánh Văn phòng Ủy ban nhân dân tỉnh" in the province (demo world).
    data = csv_bytes(
        [
            row(
                official_name=world.official_same.full_name,
                position_title=world.post_same.title,
                org_unit_code="UBND-LC",
            ),
            row(
                case_ref="LS-2016-0009",
                official_name="Người Mới",
                position_title=world.post_same.title,
                filed_on="2016-01-04",
                decided_on="2016-02-01",
            ),
        ]
    )
    officials, posts = Official.objects.count(), Position.objects.count()
    import_cases(data=data, by=world.users["admin"])
    first = Case.objects.get(reference="LS-2015-0001")
    assert first.official == world.official_same and first.position == world.post_same
    assert Case.objects.get(reference="LS-2016-0009").position == world.post_same
    assert Official.objects.count() == officials + 1 and Position.objects.count() == posts


def test_the_same_official_on_two_rows_is_created_once(world) -> None:
    data = csv_bytes(
        [row(), row(case_ref="LS-2017-0001", filed_on="2017-01-03", decided_on="2017-02-03")]
    )
    import_cases(data=data, by=None)
    a, b = Case.objects.filter(imported=True).order_by("reference")
    assert a.official_id == b.official_id and a.position_id == b.position_id
    assert a.events.get().actor is None and a.events.get().actor_name == "system"


def test_a_file_with_errors_in_several_rows_creates_nothing_and_reports_every_line(world) -> None:
    rows = [
        row(),  # line 2: good
        row(case_ref="LS-X-3", regulation="R99"),  # line 3
        row(case_ref="LS-X-4", ground_ids="R260-R-99"),  # line 4
        row(case_ref="LS-X-5", filed_on="2015-05-10", decided_on="2015-05-01"),  # line 5
        row(case_ref="LS-X-6", org_unit_code="NO-SUCH-UNIT"),  # line 6
        row(case_ref="LS-X-7", filed_on="2008-01-01", decided_on="2008-02-01"),  # line 7
        row(case_ref="LS-2015-0001"),  # line 8: duplicate of line 2
        row(case_ref="LS-X-9", outcome="done", level="ward"),  # line 9: two problems
        row(case_ref="LS-X-10", filed_on="02/03/2015"),  # line 10
        row(
            case_ref="LS-X-11", form="dismissal", outcome="withdrawn", ground_ids="R260-D-1a"
        ),  # line 11
    ]
    cases, officials, units = (
        Case.objects.count(),
        Official.objects.count(),
        OrgUnit.objects.count(),
    )
    with pytest.raises(ImportRejected) as caught:
        import_cases(data=csv_bytes(rows), by=world.users["admin"])
    errors = _messages(caught.value)
    assert [line for line, _m in errors] == [3, 4, 5, 6, 7, 8, 9, 9, 10, 11]
    by_line = dict(errors)
    assert "Unknown regulation “R99”" in by_line[3]
    assert "Unknown ground R260-R-99" in by_line[4]
    assert by_line[5] == "decided_on 01/05/2015 is before filed_on 10/05/2015."
    assert by_line[6] == "Unit NO-SUCH-UNIT does not exist or is outside your scope."
    assert "outside the period of R260 (from 02/10/2009 to 02/11/2021)" in by_line[7]
    assert by_line[8] == "case_ref LS-2015-0001 is already used on line 2."
    assert {m for line, m in errors if line == 9} == {
        "Unknown outcome “done”: use approved, rejected or withdrawn.",
        "Unknown level “ward”: use central, provincial, district or commune.",
    }
    assert "is not a date in the form YYYY-MM-DD" in by_line[10]
    assert by_line[11] == "Only a resignation can be withdrawn."
    assert (Case.objects.count(), Official.objects.count(), OrgUnit.objects.count()) == (
        cases,
        officials,
        units,
    )


def test_the_same_file_twice_creates_nothing_new(world) -> None:
    data = csv_bytes(good_rows())
    first = import_cases(data=data, by=world.users["admin"])
    counts = (
        Case.objects.count(),
        CaseEvent.objects.count(),
        Official.objects.count(),
        OrgUnit.objects.count(),
    )
    second = import_cases(data=data, by=world.users["admin"])
    assert (first.created, first.skipped) == (3, 0)
    assert (second.created, second.skipped) == (0, 3)
    assert (
        Case.objects.count(),
        CaseEvent.objects.count(),
        Official.objects.count(),
        OrgUnit.objects.count(),
    ) == counts


def test_a_file_adding_rows_to_an_imported_one_creates_only_the_new_rows(world) -> None:
    import_cases(data=csv_bytes(good_rows(2)), by=world.users["admin"])
    result = import_cases(data=csv_bytes(good_rows(3)), by=world.users["admin"])
    assert (result.created, result.skipped) == (1, 2)


def test_a_ground_from_the_wrong_regime_is_refused(world) -> None:
    with pytest.raises(ImportRejected) as caught:
        import_cases(data=csv_bytes([row(ground_ids="R41-R-1")]), by=world.users["admin"])
    assert _messages(caught.value) == [(2, "Ground R41-R-1 belongs to R41, not to R260.")]
    assert not Case.objects.filter(imported=True).exists()


def test_a_ground_of_another_form_is_refused(world) -> None:
    with pytest.raises(ImportRejected) as caught:
        import_cases(data=csv_bytes([row(ground_ids="R260-D-1a")]), by=world.users["admin"])
    assert _messages(caught.value) == [
        (2, "Ground R260-D-1a is a ground for dismissal, not for resignation.")
    ]


def test_a_form_the_regime_does_not_provide_is_refused(world) -> None:
    rows = [
        row(
            regulation="R41",
            form="termination",
            ground_ids="R41-D-1",
            filed_on="2022-01-04",
            decided_on="2022-02-01",
        )
    ]
    with pytest.raises(ImportRejected) as caught:
        import_cases(data=csv_bytes(rows), by=world.users["admin"])
    messages = [m for _l, m in _messages(caught.value)]
    assert "R41 does not provide termination of position." in messages


def test_a_district_level_dated_after_30_june_2025_is_refused(world) -> None:
    rows = [
        row(
            case_ref="OK-1",
            regulation="R41",
            form="resignation",
            ground_ids="R41-R-1",
            level="district",
            org_unit_code="UBND-LC-BAOTHANG",
            filed_on="2025-06-30",
            decided_on="2025-07-15",
        ),
        row(
            case_ref="BAD-1",
            regulation="R41",
            form="resignation",
            ground_ids="R41-R-1",
            level="district",
            org_unit_code="UBND-LC-BAOTHANG",
            filed_on="2025-07-01",
            decided_on="2025-07-15",
        ),
    ]
    with pytest.raises(ImportRejected) as caught:
        import_cases(data=csv_bytes(rows), by=world.users["admin"])
    assert _messages(caught.value) == [
        (
            3,
            "The district level ended on 30/06/2025; it cannot be the level of a case filed on 01/07/2025.",
        )
    ]
    # The boundary day itself is the last valid one.
    result = import_cases(data=csv_bytes(rows[:1]), by=world.users["admin"])
    assert result.created == 1


def test_dates_in_the_future_are_refused(world) -> None:
    rows = [
        row(
            regulation="R377", ground_ids="R377-R-1", filed_on="2099-01-02", decided_on="2099-02-02"
        )
    ]
    with pytest.raises(ImportRejected) as caught:
        import_cases(data=csv_bytes(rows), by=world.users["admin"])
    messages = [m for _l, m in _messages(caught.value)]
    assert "filed_on 02/01/2099 is in the future." in messages


def test_a_unit_outside_the_clerks_scope_is_refused(world) -> None:
    with pytest.raises(ImportRejected) as caught:
        import_cases(data=csv_bytes([row(org_unit_code="UBND-NA")]), by=world.users["clerk"])
    assert _messages(caught.value) == [(2, "Unit UBND-NA does not exist or is outside your scope.")]
    # The other province's clerk may import there.
    assert (
        import_cases(
            data=csv_bytes([row(org_unit_code="UBND-NA")]), by=world.users["clerk_other"]
        ).created
        == 1
    )


def test_a_reference_of_a_case_outside_the_importers_scope_is_an_error_not_a_skip(world) -> None:
    import_cases(
        data=csv_bytes([row(case_ref="NA-1", org_unit_code="UBND-NA")]),
        by=world.users["clerk_other"],
    )
    with pytest.raises(ImportRejected) as caught:
        import_cases(data=csv_bytes([row(case_ref="NA-1")]), by=world.users["clerk"])
    assert _messages(caught.value) == [
        (2, "case_ref NA-1 is already the reference of another case.")
    ]


def test_a_case_filed_in_the_system_is_never_skipped_by_an_import(world, file_case) -> None:
    live = file_case("dismissal")
    with pytest.raises(ImportRejected) as caught:
        import_cases(data=csv_bytes([row(case_ref=live.reference)]), by=world.users["admin"])
    assert [e.column for e in caught.value.errors] == ["case_ref"]
    assert Case.objects.filter(reference=live.reference).get().imported is False


def test_a_reference_in_the_systems_own_numbering_is_refused(world) -> None:
    with pytest.raises(ImportRejected) as caught:
        import_cases(data=csv_bytes([row(case_ref="HS-2015-000042")]), by=world.users["admin"])
    assert caught.value.errors[0].column == "case_ref"
    assert (
        "has the form of the references this system gives to new cases"
        in caught.value.errors[0].message
    )


@pytest.mark.parametrize("username", ["official", "auditor", "authority"])
def test_only_clerks_and_administrators_import(world, username: str) -> None:
    with pytest.raises(ActionForbidden):
        import_cases(data=csv_bytes(good_rows(1)), by=world.users[username])
    assert not Case.objects.filter(imported=True).exists()


def test_header_problems_are_reported_on_line_1(world) -> None:
    header = [c for c in HEADER if c != "outcome"] + ["notes"]
    with pytest.raises(ImportRejected) as caught:
        import_cases(data=csv_bytes([row()], header=header), by=world.users["admin"])
    assert [line for line, _m in _messages(caught.value)] == [1, 1]
    assert "Unknown columns: notes." in caught.value.errors[0].message
    assert caught.value.errors[1].message == "Missing columns: outcome."


def test_the_org_unit_code_column_is_optional_and_a_bom_is_accepted(world) -> None:
    header = [c for c in HEADER if c != "org_unit_code"]
    result = import_cases(data=csv_bytes([row()], header=header, bom=True), by=world.users["admin"])
    assert result.created == 1
    assert Case.objects.get(reference="LS-2015-0001").employing_unit.code.startswith("IMPORT-")


def test_a_file_that_is_not_utf8_is_refused_with_its_line(world) -> None:
    data = csv_bytes([row()]).replace("Lê Văn Hải".encode(), "Lê Van Hai".encode("latin-1"))
    with pytest.raises(ImportRejected) as caught:
        import_cases(data=data, by=world.users["admin"])
    assert caught.value.errors[0].line == 2 and "not UTF-8" in caught.value.errors[0].message


def test_a_row_with_the_wrong_number_of_values_is_reported(world) -> None:
    data = csv_bytes([row()]) + b"LS-1,R260,resignation\n"
    with pytest.raises(ImportRejected) as caught:
        import_cases(data=data, by=world.users["admin"])
    assert _messages(caught.value) == [(3, "Expected 11 values, found 3.")]


@pytest.mark.usefixtures("reports_translations")
def test_row_errors_are_translated_into_vietnamese(world) -> None:
    with translation.override("vi"), pytest.raises(ImportRejected) as caught:
        import_cases(data=csv_bytes([row(org_unit_code="KHONG-CO")]), by=world.users["admin"])
    assert (
        caught.value.errors[0].message
        == "Đơn vị KHONG-CO không tồn tại hoặc nằm ngoài phạm vi của bạn."
    )


def test_the_command_imports_a_file_and_reports_counts(world, tmp_path) -> None:
    path = tmp_path / "history.csv"
    path.write_bytes(csv_bytes(good_rows()))
    out = io.StringIO()
    call_command("import_cases", str(path), stdout=out)
    assert "3 cases created, 0 skipped" in out.getvalue()
    out = io.StringIO()
    call_command("import_cases", str(path), "--user", "admin", stdout=out)
    assert "0 cases created, 3 skipped" in out.getvalue()


def test_the_command_lists_every_error_and_fails(world, tmp_path) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(
        csv_bytes([row(), row(case_ref="B-1", level="ward"), row(case_ref="B-2", outcome="x")])
    )
    err = io.StringIO()
    with pytest.raises(CommandError, match="2 problems in bad.csv; nothing was imported"):
        call_command("import_cases", str(path), stderr=err)
    assert "line 3 [level]: Unknown level “ward”" in err.getvalue()
    assert "line 4 [outcome]: Unknown outcome “x”" in err.getvalue()
    assert not Case.objects.filter(imported=True).exists()


def test_the_command_applies_a_users_scope(world, tmp_path) -> None:
    path = tmp_path / "other.csv"
    path.write_bytes(csv_bytes([row(org_unit_code="UBND-NA")]))
    with pytest.raises(CommandError):
        call_command("import_cases", str(path), "--user", "clerk", stderr=io.StringIO())
