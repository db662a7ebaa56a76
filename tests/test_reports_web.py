"""The statistics dashboard, its exports, the national table (HTML and PDF) and the
historic import pages, through Django's test client."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from cadre_exit.celery import app as celery_app
from cases.historic.imports import import_cases, run_import_job
from cases.models import Case, ImportJob
from tests.reports_support import (  # noqa: F401 - fixtures
    csv_bytes,
    good_rows,
    known_rows,
    reports_locale_dir,
    reports_translations,
    row,
)

PASSWORD = "cadre-demo"


def client_for(username: str, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.cookies["django_language"] = language
    assert client.login(username=username, password=PASSWORD)
    return client


@pytest.fixture
def known(world):
    import_cases(data=csv_bytes(known_rows()), by=world.users["admin"])


@pytest.fixture
def eager_celery() -> Any:
    """Run queued tasks in the calling process (the real task, without a worker)."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.mark.parametrize("username", ["clerk", "authority", "auditor", "admin"])
def test_staff_see_the_dashboard(world, known, username: str) -> None:
    response = client_for(username).get(reverse("reports"))
    assert response.status_code == 200
    assert b'id="report-charts"' in response.content and b"js/reports.js" in response.content
    for key in ("grounds-levels", "years-forms", "outcomes", "decision-times", "late-steps"):
        assert f'data-testid="report-{key}"'.encode() in response.content


def test_the_dashboard_shows_the_figures_of_the_users_scope(world, known) -> None:
    response = client_for("clerk").get(reverse("reports"))
    assert response.context["total"] == 2
    charts = json.loads(
        response.content.split(b'id="report-charts" type="application/json">')[1].split(
            b"</script>"
        )[0]
    )
    levels = charts["grounds-levels"]
    # The chart names the grounds by their text (issue #15); the table keeps the codes.
    from cases.models import Ground

    assert levels["labels"] == [
        Ground.objects.get(code=code, regulation__version__is_current=True).text
        for code in ("R260-R-1", "R260-R-2")
    ]
    assert {s["name"]: s["values"] for s in levels["series"]} == {
        "Central": [0, 0],
        "Provincial": [1, 0],
        "District": [1, 1],
        "Commune": [0, 0],
    }
    assert b"Total is the number of cases" in response.content
    other = client_for("clerk_other").get(reverse("reports"))
    assert other.context["total"] == 1


def test_dashboard_filters_narrow_the_figures(world, known) -> None:
    admin = client_for("admin")
    assert admin.get(reverse("reports"), {"date_from": "2016-01-01"}).context["total"] == 1
    assert admin.get(reverse("reports"), {"unit": world.district.pk}).context["total"] == 1
    response = admin.get(reverse("reports"), {"date_from": "2016-01-01", "date_to": "2015-01-01"})
    assert response.status_code == 200 and response.context["form"].errors["date_to"]
    # A unit outside the user's scope is not a choice for them.
    refused = client_for("clerk").get(reverse("reports"), {"unit": world.other_province.pk})
    assert "unit" in refused.context["form"].errors


def test_an_official_is_refused_and_an_anonymous_visitor_is_sent_to_sign_in(world, known) -> None:
    assert client_for("official").get(reverse("reports")).status_code == 403
    assert (
        client_for("official").get(reverse("report_export", args=["outcomes", "csv"])).status_code
        == 403
    )
    assert client_for("official").get(reverse("national_table")).status_code == 403
    anonymous = Client().get(reverse("reports"))
    assert anonymous.status_code == 302 and reverse("login") in anonymous["Location"]


def test_a_table_downloads_as_csv(world, known) -> None:
    response = client_for("admin").get(reverse("report_export", args=["grounds-levels", "csv"]))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["Ground", "Ground text", "Level", "Cases", "Share of all cases (%)"]
    assert [(r[0], r[2], r[3], r[4]) for r in rows[1:]] == [
        ("R260-R-1", "Provincial", "1", "33.33"),
        ("R260-R-1", "District", "1", "33.33"),
        ("R260-R-2", "Provincial", "1", "33.33"),
        ("R260-R-2", "District", "1", "33.33"),
    ]


def test_a_table_downloads_as_xlsx_with_the_filters_applied(world, known) -> None:
    response = client_for("clerk").get(
        reverse("report_export", args=["outcomes", "xlsx"]), {"form": "resignation"}
    )
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    sheet = book.active
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    header = values.index(["Outcome", "Cases", "Share of all cases (%)"])
    assert values[header + 1] == ["Approved", 2, 100.0]
    assert values[0][0] == "Cases by outcome"
    assert values[1][0] == "Resignation"


def test_an_unknown_table_or_format_is_not_found(world, known) -> None:
    admin = client_for("admin")
    assert admin.get(reverse("report_export", args=["secrets", "csv"])).status_code == 404
    assert admin.get("/reports/export/outcomes.json").status_code == 404


def test_the_national_table_page_and_its_pdf(world, known) -> None:
    admin = client_for("admin")
    response = admin.get(reverse("national_table"), {"form": "resignation", "regulation": "R260"})
    assert response.status_code == 200
    table = response.context["table"]
    assert table.grand_total == 4 and table.cases_total == 3
    assert b'data-testid="national-table"' in response.content
    pdf = admin.get(reverse("national_table_pdf"), {"form": "resignation", "regulation": "R260"})
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(pdf.content))
    page = reader.pages[0]
    assert page.mediabox.width > page.mediabox.height  # landscape A4
    text = page.extract_text()
    assert "RESIGNATION BY GROUND AND LEVEL" in text and "R260-R-1" in text and "50.00" in text
    fonts = {str(f.get("/BaseFont", "")) for f in page["/Resources"]["/Font"].values()}
    assert any("Tinos" in f for f in fonts)


def test_the_national_table_refuses_a_form_the_regulation_lacks(world, known) -> None:
    response = client_for("admin").get(
        reverse("national_table"), {"form": "termination", "regulation": "R41"}
    )
    assert response.status_code == 200 and response.context["table"] is None
    assert "form" in response.context["form"].errors
    pdf = client_for("admin").get(
        reverse("national_table_pdf"), {"form": "termination", "regulation": "R41"}
    )
    assert pdf.status_code == 302


@pytest.mark.usefixtures("reports_translations")
def test_the_dashboard_in_vietnamese(world, known) -> None:
    response = client_for("clerk", "vi").get(reverse("reports"))
    assert response.status_code == 200
    text = response.content.decode()
    assert "Thống kê" in text and "Hồ sơ theo căn cứ và cấp" in text and "Tải CSV" in text


# --------------------------------------------------------------------------- import pages


def test_a_clerk_uploads_a_file_and_the_background_job_imports_it(
    world, eager_celery, django_capture_on_commit_callbacks
) -> None:
    clerk = client_for("clerk")
    assert clerk.get(reverse("import_cases")).status_code == 200
    upload = io.BytesIO(csv_bytes(good_rows()))
    upload.name = "history.csv"
    with django_capture_on_commit_callbacks(execute=True):
        response = clerk.post(reverse("import_cases"), {"file": upload})
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "import_job", args=[job.pk]
    )
    assert job.status == "done" and (job.created_count, job.skipped_count) == (3, 0)
    status = clerk.get(reverse("import_job_status", args=[job.pk])).json()
    assert status["finished"] and status["percent"] == 100.0 and status["created"] == 3
    page = clerk.get(reverse("import_job", args=[job.pk]))
    assert b'data-testid="import-done"' in page.content
    assert Case.objects.filter(imported=True).count() == 3


def test_a_bad_file_is_rejected_with_every_line_on_the_job_page(
    world, eager_celery, django_capture_on_commit_callbacks
) -> None:
    clerk = client_for("clerk")
    upload = io.BytesIO(
        csv_bytes(
            [row(), row(case_ref="B-1", level="ward"), row(case_ref="B-2", org_unit_code="UBND-NA")]
        )
    )
    upload.name = "bad.csv"
    with django_capture_on_commit_callbacks(execute=True):
        clerk.post(reverse("import_cases"), {"file": upload})
    job = ImportJob.objects.get()
    assert job.status == "rejected" and job.error_count == 2
    assert [(e["line"], e["column"]) for e in job.errors] == [(3, "level"), (4, "org_unit_code")]
    page = clerk.get(reverse("import_job", args=[job.pk]))
    assert b'data-testid="import-errors"' in page.content and b"UBND-NA" in page.content
    assert not Case.objects.filter(imported=True).exists()


def test_the_import_task_runs_once_even_when_delivered_twice(world) -> None:
    from cases.historic.imports import start_import_job
    from cases.tasks import run_case_import

    upload = io.BytesIO(csv_bytes(good_rows(1)))
    upload.name = "one.csv"
    job = start_import_job(upload=upload, by=world.users["clerk"])
    run_case_import(job.pk)
    run_case_import(job.pk)
    job.refresh_from_db()
    assert job.status == "done" and job.created_count == 1
    assert Case.objects.filter(imported=True).count() == 1


def test_a_job_whose_worker_died_is_claimed_again(world) -> None:
    import datetime

    from django.utils import timezone

    from cases.historic.imports import start_import_job

    upload = io.BytesIO(csv_bytes(good_rows(1)))
    upload.name = "one.csv"
    job = start_import_job(upload=upload, by=world.users["clerk"])
    # Claimed by a worker that died an hour ago (its transaction rolled back: no case).
    ImportJob.objects.filter(pk=job.pk).update(
        status="running", started_at=timezone.now() - datetime.timedelta(hours=1)
    )
    assert run_import_job(job_id=job.pk) is not None
    assert Case.objects.filter(imported=True).count() == 1
    # One that started a minute ago is left to its worker.
    ImportJob.objects.filter(pk=job.pk).update(status="running", started_at=timezone.now())
    assert run_import_job(job_id=job.pk) is None


def test_the_import_form_refuses_an_empty_file(world) -> None:
    upload = io.BytesIO(b"")
    upload.name = "empty.csv"
    response = client_for("clerk").post(reverse("import_cases"), {"file": upload})
    assert response.status_code == 200 and response.context["form"].errors["file"]
    assert not ImportJob.objects.exists()


def test_only_clerks_and_administrators_reach_the_import_pages(world) -> None:
    for username in ("auditor", "authority", "official"):
        assert client_for(username).get(reverse("import_cases")).status_code == 403
    assert Client().get(reverse("import_cases")).status_code == 302
    assert client_for("admin").get(reverse("import_cases")).status_code == 200


def test_a_job_is_visible_only_to_its_uploader_and_administrators(world) -> None:
    from cases.historic.imports import start_import_job

    upload = io.BytesIO(csv_bytes(good_rows(1)))
    upload.name = "one.csv"
    job = start_import_job(upload=upload, by=world.users["clerk"])
    assert client_for("clerk_other").get(reverse("import_job", args=[job.pk])).status_code == 404
    assert (
        client_for("clerk_other").get(reverse("import_job_status", args=[job.pk])).status_code
        == 404
    )
    assert (
        client_for("admin").get(reverse("import_job_status", args=[job.pk])).json()["status"]
        == "queued"
    )


def test_imported_cases_show_their_import_event_on_the_case_page(world) -> None:
    import_cases(data=csv_bytes(good_rows(1)), by=world.users["admin"])
    case = Case.objects.get(reference="LS-2015-0001")
    response = client_for("clerk").get(reverse("case_detail", args=[case.pk]))
    assert response.status_code == 200 and b"Imported from a historic file" in response.content
