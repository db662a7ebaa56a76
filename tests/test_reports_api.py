"""The reports API: statistics with every count and percentage, scope, refusals, the
other report endpoints, and the historic import through ``POST /api/v1/imports/cases/``."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from cases.historic.imports import import_cases
from cases.models import Case, CaseEvent
from tests.api_helpers import API, api_client, as_user, error
from tests.reports_support import (  # noqa: F401 - fixtures
    csv_bytes,
    good_rows,
    known_rows,
    reports_locale_dir,
    reports_translations,
    row,
)

STATS = f"{API}/reports/statistics/"
IMPORT = f"{API}/imports/cases/"


@pytest.fixture
def known(world):
    import_cases(data=csv_bytes(known_rows()), by=world.users["admin"])


def stats(client: APIClient, **params: Any) -> dict[str, Any]:
    response = client.get(STATS, params)
    assert response.status_code == 200, response.content[:500]
    return response.json()


def test_statistics_by_ground_level_and_year_with_exact_percentages(world, known) -> None:
    body = stats(as_user(world, "admin", lang="en"), by="ground,level,year")
    assert body["total"] == 3
    assert body["rows"] == [
        {"ground": "R260-R-1", "level": "provincial", "year": 2015, "count": 1, "percent": 33.33},
        {"ground": "R260-R-1", "level": "district", "year": 2015, "count": 1, "percent": 33.33},
        {"ground": "R260-R-2", "level": "provincial", "year": 2016, "count": 1, "percent": 33.33},
        {"ground": "R260-R-2", "level": "district", "year": 2015, "count": 1, "percent": 33.33},
    ]
    assert body["outcomes"] == [
        {"outcome": "approved", "count": 2, "percent": 66.67},
        {"outcome": "rejected", "count": 1, "percent": 33.33},
    ]


def test_ground_rows_count_cases_and_can_sum_above_the_total(world, known) -> None:
    body = stats(as_user(world, "admin"), by="ground")
    assert body["total"] == 3
    assert body["rows"] == [
        {"ground": "R260-R-1", "count": 2, "percent": 66.67},
        {"ground": "R260-R-2", "count": 2, "percent": 66.67},
    ]
    assert sum(r["count"] for r in body["rows"]) == 4


def test_only_the_keys_asked_for_in_by_are_present(world, known) -> None:
    body = stats(as_user(world, "admin"), by="level")
    assert [set(r) for r in body["rows"]] == [{"level", "count", "percent"}] * 2
    assert stats(as_user(world, "admin"))["rows"] == [{"count": 3, "percent": 100.0}]


def test_filters_and_the_current_level_view(world, known) -> None:
    admin = as_user(world, "admin")
    assert stats(admin, **{"from": "2016-01-01"})["total"] == 1
    assert stats(admin, to="2015-12-31", form="resignation", regulation="R260")["total"] == 2
    assert stats(admin, form="dismissal")["total"] == 0
    assert stats(admin, unit=world.district.pk)["total"] == 1
    assert stats(admin, by="level", levels="current")["rows"] == [
        {"level": "provincial", "count": 3, "percent": 100.0}
    ]
    decided = stats(admin, by="year", date="decided")
    assert decided["rows"] == [
        {"year": 2015, "count": 2, "percent": 66.67},
        {"year": 2016, "count": 1, "percent": 33.33},
    ]


def test_a_provincial_clerk_gets_only_their_provinces_figures(world, known) -> None:
    body = stats(as_user(world, "clerk"), by="level")
    assert body["total"] == 2
    assert body["rows"] == [
        {"level": "provincial", "count": 1, "percent": 50.0},
        {"level": "district", "count": 1, "percent": 50.0},
    ]
    other = stats(as_user(world, "auditor_other"), by="ground")
    assert other == {
        "total": 1,
        "rows": [{"ground": "R260-R-2", "count": 1, "percent": 100.0}],
        "outcomes": [{"outcome": "rejected", "count": 1, "percent": 100.0}],
    }
    # A unit outside the caller's scope cannot be asked for.
    refused = as_user(world, "clerk", lang="en").get(STATS, {"unit": world.other_province.pk})
    assert error(refused, 400, "invalid")["fields"] == {"unit": ["No such unit in your scope."]}


def test_an_official_is_refused_and_an_anonymous_caller_must_authenticate(world, known) -> None:
    for path in (
        "reports/statistics/",
        "reports/decision-times/",
        "reports/late-steps/",
        "reports/national-table/?form=resignation&regulation=R260",
    ):
        body = error(as_user(world, "official", lang="en").get(f"{API}/{path}"), 403, "forbidden")
        assert body["detail"] == "Statistics are for clerks, authorities and auditors."
        anonymous = api_client(lang="en").get(f"{API}/{path}")
        error(anonymous, 401, "not_authenticated")
        assert anonymous["WWW-Authenticate"].startswith("Token")


def test_bad_query_parameters_are_refused_with_field_messages(world, known) -> None:
    admin = as_user(world, "admin", lang="en")
    body = error(admin.get(STATS, {"by": "ground,colour"}), 400, "invalid")
    assert "Unknown dimensions: colour." in body["fields"]["by"][0]
    body = error(admin.get(STATS, {"from": "2020-01-01", "to": "2019-01-01"}), 400, "invalid")
    assert body["fields"] == {"to": ["The end date is before the start date."]}
    error(admin.get(STATS, {"levels": "tomorrow"}), 400, "invalid")
    error(admin.get(STATS, {"from": "01/02/2020"}), 400, "invalid")


def test_decision_times_and_late_steps(world, known) -> None:
    admin = as_user(world, "admin")
    times = admin.get(f"{API}/reports/decision-times/").json()
    assert times == [
        {
            "form": "resignation",
            "regulation": "R260",
            "cases": 3,
            "median_days": 20.0,
            "p90_days": 28.0,
        }
    ]
    assert admin.get(f"{API}/reports/late-steps/").json() == []


def test_the_national_table(world, known) -> None:
    response = as_user(world, "auditor").get(
        f"{API}/reports/national-table/", {"form": "resignation", "regulation": "R260"}
    )
    body = response.json()
    # The auditor of Lào Cai: K-1 (provincial) and K-2 (district, two grounds).
    assert body["levels"] == ["central", "provincial", "district", "commune"]
    first = body["rows"][0]
    assert first["ground"] == "R260-R-1" and first["total"] == 2
    assert [(c["count"], c["row_percent"], c["column_percent"]) for c in first["cells"]] == [
        (0, 0.0, 0.0),
        (1, 50.0, 100.0),
        (1, 50.0, 50.0),
        (0, 0.0, 0.0),
    ]
    assert body["grand_total"] == 3 and body["cases_total"] == 2
    assert [c["count"] for c in body["cases_per_level"]] == [0, 1, 1, 0]
    bad = as_user(world, "auditor", lang="en").get(
        f"{API}/reports/national-table/", {"form": "termination", "regulation": "R41"}
    )
    assert "does not provide this form" in error(bad, 400, "invalid")["fields"]["form"][0]


# --------------------------------------------------------------------------- import


def upload(data: bytes, name: str = "history.csv") -> dict[str, Any]:
    return {"file": SimpleUploadedFile(name, data, content_type="text/csv")}


def test_a_good_file_answers_201_with_the_counts(world) -> None:
    client = as_user(world, "clerk")
    response = client.post(IMPORT, upload(csv_bytes(good_rows())), format="multipart")
    assert response.status_code == 201 and response.json() == {"created": 3, "skipped": 0}
    again = client.post(IMPORT, upload(csv_bytes(good_rows())), format="multipart")
    assert again.status_code == 201 and again.json() == {"created": 0, "skipped": 3}
    event = CaseEvent.objects.get(case__reference="LS-2015-0001")
    assert event.action == "case_imported" and event.actor == world.users["clerk"]


def test_a_bad_file_answers_400_with_every_line_and_creates_nothing(world) -> None:
    rows = [
        row(),
        row(case_ref="X-1", ground_ids="R41-R-1"),
        row(
            case_ref="X-2",
            level="district",
            regulation="R377",
            ground_ids="R377-R-1",
            filed_on="2025-11-03",
            decided_on="2025-12-01",
        ),
    ]
    response = as_user(world, "clerk", lang="en").post(
        IMPORT, upload(csv_bytes(rows)), format="multipart"
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "import_rejected" and "2 problems" in body["detail"]
    assert body["errors"] == [
        {
            "line": 3,
            "message": "Ground R41-R-1 belongs to R41, not to R260.",
            "column": "ground_ids",
        },
        {
            "line": 4,
            "message": "The district level ended on 30/06/2025; it cannot be the level of a case filed on 03/11/2025.",
            "column": "level",
        },
    ]
    assert not Case.objects.filter(imported=True).exists()


@pytest.mark.usefixtures("reports_translations")
def test_import_errors_are_in_the_callers_language(world) -> None:
    response = as_user(world, "clerk", lang="vi").post(
        IMPORT, upload(csv_bytes([row(ground_ids="R41-R-1")])), format="multipart"
    )
    body = response.json()
    assert body["detail"] == "Tệp chưa được nhập: có 1 lỗi; hãy sửa rồi nhập lại."
    assert body["errors"] == [
        {
            "line": 2,
            "message": "Căn cứ R41-R-1 thuộc R41, không thuộc R260.",
            "column": "ground_ids",
        }
    ]


def test_the_import_requires_a_file_and_multipart(world) -> None:
    client = as_user(world, "clerk", lang="en")
    assert "file" in error(client.post(IMPORT, {}, format="multipart"), 400, "invalid")["fields"]
    error(client.post(IMPORT, {"file": "x"}, format="json"), 415)


@pytest.mark.parametrize("username", ["authority", "auditor", "official"])
def test_only_clerks_and_administrators_import_through_the_api(world, username: str) -> None:
    response = as_user(world, username, lang="en").post(
        IMPORT, upload(csv_bytes(good_rows())), format="multipart"
    )
    assert (
        error(response, 403, "forbidden")["detail"]
        == "Only clerks and administrators import historic cases."
    )
    error(
        api_client(lang="en").post(IMPORT, upload(csv_bytes(good_rows())), format="multipart"), 401
    )
    assert not Case.objects.filter(imported=True).exists()


def test_the_schema_documents_the_counting_rule(world) -> None:
    schema = as_user(world, "admin").get(f"{API}/schema/", {"format": "json"}).json()
    operation = schema["paths"]["/api/v1/reports/statistics/"]["get"]
    assert "ground rows can add up to more than `total`" in operation["description"]
    assert {p.get("name") for p in operation["parameters"]} >= {
        "form",
        "regulation",
        "from",
        "to",
        "unit",
        "by",
        "levels",
        "date",
    }
    imports = schema["paths"]["/api/v1/imports/cases/"]["post"]
    assert set(imports["responses"]) >= {"201", "400", "401", "403"}
