"""The bugs a first real use of the interface found (issue #15, point 6)."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from cases.core.errors import CaseError
from cases.models import Appointment, CaseStep, HolidayOverride, HolidayOverrideKind
from cases.models.calendar import overdue_cutoff
from cases.notifications.sweep import effective_due_on as sweep_effective_due_on
from cases.workflow import engine as workflow
from cases.workflow import filing as services
from cases.workflow.deadlines import WorkingCalendar
from tests.conftest import pass_exchange, pdf

pytestmark = pytest.mark.django_db

D = datetime.date


def at(day: datetime.date, hour: int = 9) -> datetime.datetime:
    return datetime.datetime(
        day.year, day.month, day.day, hour, tzinfo=timezone.get_current_timezone()
    )


def _resign(world: Any, *, today: datetime.date | None = None) -> Any:
    return services.submit_resignation(
        official=world.official_self,
        position=world.post_superior,
        ground_codes=["R377-R-4"],
        statement="Tôi xin từ chức vì lý do gia đình.",
        by=world.users["official"],
        today=today,
    )


# --- Appointment.is_current_on ---------------------------------------------------------


def test_a_post_is_no_longer_held_on_the_day_its_appointment_ended() -> None:
    appointment = Appointment(term_start=D(2025, 7, 1), ended_on=D(2026, 12, 1))
    assert appointment.is_current_on(D(2026, 11, 30))
    assert not appointment.is_current_on(D(2026, 12, 1))
    assert not appointment.is_current_on(D(2026, 12, 2))
    assert Appointment(term_start=D(2025, 7, 1)).is_current_on(D(2030, 1, 1))


def test_no_second_resignation_from_a_post_on_the_day_it_ended(world: Any) -> None:
    day = D(2026, 12, 1)
    with time_machine.travel(at(day), tick=False):
        case = _resign(world)
        pass_exchange(case, world.users["clerk_commune"], votes_for=4)
        case = workflow.perform(
            case_id=case.pk,
            user=world.users["authority"],
            action=workflow.APPROVE,
            data={"effective_on": day.isoformat()},
        )
        if case.status == "implementation":
            workflow.perform(
                case_id=case.pk,
                user=world.users["clerk"],
                action=workflow.COMPLETE_IMPLEMENTATION,
            )
        assert (
            Appointment.objects.get(
                official=world.official_self, position=world.post_superior
            ).ended_on
            == day
        )
        with pytest.raises(CaseError) as refused:
            _resign(world)
        assert "does not hold the post" in str(refused.value.message)
    assert world.official_self.cases.filter(form="resignation").count() == 1


def test_the_ended_post_is_not_offered_for_a_resignation(world: Any, client: Any) -> None:
    today = timezone.localdate()
    Appointment.objects.filter(official=world.official_self).update(ended_on=today)
    client.force_login(world.users["official"])
    page = client.get("/my-posts/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "/resign/" not in page


# --- the overdue badge and filters agree with the sweep ----------------------------------


def _step_due(file_case: Any, due: datetime.date) -> CaseStep:
    case = file_case("dismissal")
    step = case.steps.get(status="active")
    CaseStep.objects.filter(pk=step.pk).update(due_on=due)
    return CaseStep.objects.get(pk=step.pk)


def test_a_due_date_on_a_saturday_moves_to_monday_like_the_sweep(file_case: Any) -> None:
    saturday = D(2026, 12, 5)
    step = _step_due(file_case, saturday)
    assert step.effective_due_on == D(2026, 12, 7)
    assert step.effective_due_on == sweep_effective_due_on(saturday, WorkingCalendar())
    with time_machine.travel(at(D(2026, 12, 6)), tick=False):
        assert not step.is_overdue and step.days_left == 1
    with time_machine.travel(at(D(2026, 12, 8)), tick=False):
        assert step.is_overdue


def test_a_compensatory_day_off_moves_the_due_date_too(file_case: Any) -> None:
    friday = D(2026, 12, 4)
    HolidayOverride.objects.create(date=friday, kind=HolidayOverrideKind.DAY_OFF, name="Nghỉ bù")
    step = _step_due(file_case, friday)
    assert step.effective_due_on == D(2026, 12, 7)
    assert step.effective_due_on == sweep_effective_due_on(friday, WorkingCalendar())


def test_the_overdue_filters_do_not_list_a_step_the_sweep_does_not_see_as_late(
    world: Any, file_case: Any, client: Any
) -> None:
    step = _step_due(file_case, D(2026, 12, 5))
    assert overdue_cutoff(D(2026, 12, 6)) == D(2026, 12, 4)
    assert overdue_cutoff(D(2026, 12, 8)) == D(2026, 12, 7)
    with time_machine.travel(at(D(2026, 12, 6)), tick=True):
        client.force_login(world.users["clerk"])
        page = client.get("/overdue/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert step.case.reference not in page
        search = client.get("/cases/", {"overdue": "on"}).content.decode()
        assert step.case.reference not in search
    with time_machine.travel(at(D(2026, 12, 8)), tick=True):
        client.force_login(world.users["clerk"])
        page = client.get("/overdue/").content.decode()
        assert step.case.reference in page
        assert step.case.reference in client.get("/cases/", {"overdue": "on"}).content.decode()


# --- the case on a date -------------------------------------------------------------------


def test_a_case_filed_with_an_earlier_date_exists_on_the_dates_after_it(
    world: Any, file_case: Any
) -> None:
    from django.urls import reverse

    from tests.web_support import signed_in

    filed = timezone.localdate() - datetime.timedelta(days=10)
    case = file_case("dismissal", filed_on=filed)
    client = signed_in("auditor", "en")
    url = reverse("case_as_of", args=[case.pk])
    between = client.get(url, {"on": (filed + datetime.timedelta(days=3)).isoformat()})
    body = between.content.decode()
    assert between.status_code == 200
    assert "The case had not been filed yet." not in body
    assert "In progress" in body and body.count("state-current") == 1
    before = client.get(url, {"on": (filed - datetime.timedelta(days=1)).isoformat()})
    assert "The case had not been filed yet." in before.content.decode()


# --- words on the case page ---------------------------------------------------------------


def test_the_signer_line_puts_the_collective_after_tm_and_the_name_last(
    world: Any, file_case: Any
) -> None:
    from django.urls import reverse

    from tests.web_support import signed_in

    case = file_case("dismissal")
    pass_exchange(case, world.users["clerk"])
    workflow.perform(case_id=case.pk, user=world.users["authority"], action=workflow.APPROVE)
    page = signed_in("clerk", "en").get(reverse("case_detail", args=[case.pk])).content.decode()
    assert 'data-testid="signer">TM. ỦY BAN NHÂN DÂN · CHỦ TỊCH · Đặng Quốc Khánh<' in page
    assert "TM. Đặng Quốc Khánh" not in page


def test_a_clerks_scan_of_the_application_is_not_a_new_version_by_the_official(
    world: Any,
) -> None:
    from django.urls import reverse

    from tests.web_support import signed_in

    case = services.submit_resignation(
        official=world.official_self,
        position=world.post_superior,
        ground_codes=["R377-R-4"],
        statement="Tôi xin từ chức vì lý do gia đình.",
        by=world.users["official"],
        application=pdf("don.pdf"),
    )
    workflow.perform(
        case_id=case.pk,
        user=world.users["clerk_commune"],
        action=workflow.ATTACH_DOCUMENT,
        data={"kind": "application"},
        upload=pdf("ban-quet.pdf"),
    )
    page = signed_in("clerk", "vi").get(reverse("case_detail", args=[case.pk])).content.decode()
    assert "Bản quét đơn, do Đỗ Văn Bình tiếp nhận" in page
    assert "v2" not in page and "phiên bản 2" not in page


# --- the decision document (FMT30 subject line, Article 1, "Lý do") ------------------------


def _decision_text(case: Any) -> str:
    import io

    from pypdf import PdfReader

    from cases.documents.issuing import decision_context
    from cases.documents.render import render_decision

    pdf_bytes = render_decision(decision_context(case.decision))
    reader = PdfReader(io.BytesIO(pdf_bytes))
    return "\n".join(page.extract_text() or "" for page in reader.pages).replace("\u00a0", " ")


def _approved_resignation(world: Any, statement: str) -> Any:
    case = services.submit_resignation(
        official=world.official_self,
        position=world.post_superior,
        ground_codes=["R377-R-4"],
        statement=statement,
        by=world.users["official"],
    )
    pass_exchange(case, world.users["clerk_commune"], votes_for=4)
    return workflow.perform(case_id=case.pk, user=world.users["authority"], action=workflow.APPROVE)


def test_the_decision_keeps_the_title_whole_names_once_and_gives_the_officials_reason(
    world: Any,
) -> None:
    reason = "Tôi xin từ chức để chăm sóc cha mẹ già yếu."
    case = _approved_resignation(world, reason)
    text = _decision_text(case)
    lines = [line.strip() for line in text.splitlines()]
    # The subject line never breaks the title "Chủ tịch" (nor the name) across lines.
    for first, second in zip(lines, lines[1:], strict=False):
        assert not (first.endswith("Chủ") and second.startswith("tịch")), (first, second)
    article = text[text.index("Điều 1.") : text.index("Điều 2.")]
    assert article.count("Nguyễn Thị Diễm Quỳnh") == 1, article
    # "Lý do": the official's own reason from the application, not the catalog's ground.
    assert "Lý do từ chức" in article
    assert "chăm sóc cha mẹ già yếu" in " ".join(article.split())
    from cases.models import Ground

    ground_text = Ground.objects.get(code="R377-R-4", regulation=case.regulation).text_vi
    assert ground_text[:30] not in " ".join(article.split())


# --- the reports' charts --------------------------------------------------------------------


def test_the_report_charts_name_grounds_and_steps_instead_of_codes(
    world: Any, file_case: Any
) -> None:
    from cases.models import Case
    from cases.reports.statistics import ReportFilters, dashboard_tables

    case = file_case("dismissal")
    pass_exchange(case, world.users["clerk"])
    workflow.perform(case_id=case.pk, user=world.users["authority"], action=workflow.APPROVE)
    tables = {t.key: t for t in dashboard_tables(Case.objects.all(), ReportFilters())}
    grounds = tables["grounds-levels"].chart["labels"]
    assert grounds and not any(label.startswith("R377-") for label in grounds), grounds
    steps = tables["late-steps"].chart["labels"]
    assert steps and not any(label.startswith("R377-") for label in steps), steps
