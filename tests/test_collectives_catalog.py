"""The catalog as the texts say, R260 fileable, R377-T-1b, abolished units (issue #14)."""

from __future__ import annotations

import datetime
import re
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from cases.core.errors import ActionForbidden, InvalidInput, NotFound, RuleViolation
from cases.documents.issuing import render_decision_pdf
from cases.models import (
    Appointment,
    Decision,
    Exclusion,
    Ground,
    Official,
    Position,
    ProcessTemplate,
    Provision,
    StepTemplate,
    TimeLimit,
)
from cases.workflow import deadlines
from cases.workflow import engine as workflow
from tests.celery_support import pdf_text
from tests.conftest import pass_exchange, pdf
from tests.review_support import NOTE_MARKERS

D = datetime.date
ROOT = Path(__file__).resolve().parent.parent


def _user_facing_texts() -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for model in (Ground, Exclusion, Provision, TimeLimit):
        for item in model.objects.all():
            out += [(item.code, item.text_vi), (item.code, item.text_en)]
            if model is TimeLimit:
                out += [(item.code, item.anchor_vi), (item.code, item.anchor_en)]
    for step in StepTemplate.objects.all():
        out += [(step.code, step.name_vi), (step.code, step.name_en)]
        out += [(step.code, step.description_vi), (step.code, step.description_en)]
    return out


def test_no_catalog_text_shown_to_users_holds_a_review_note(catalog: Any) -> None:
    found = [
        (code, marker)
        for code, text in _user_facing_texts()
        for marker in NOTE_MARKERS
        if marker in text.lower()
    ]
    assert found == []
    # The notes were kept, apart from the texts, for the administrators.
    assert "Nghệ An" in Ground.objects.get(code="R377-T-6").review_note
    assert "cần rà soát" in StepTemplate.objects.filter(code="R377-S-3").first().review_note


def _drive_to_decision(
    case: Any, world: Any, clerk: Any, authority: Any, day: datetime.date
) -> Any:
    """Walk any process: documents each step needs, talk and vote where asked, approve."""
    for _ in range(6):
        case.refresh_from_db()
        step = case.current_step
        assert step is not None
        if step.template.kind == "decision":
            break
        actor = clerk if step.actor_role == "clerk" else authority
        for kind in step.template.requires_documents:
            workflow.perform(
                case_id=case.pk,
                user=actor,
                action=workflow.ATTACH_DOCUMENT,
                data={"kind": kind},
                upload=pdf(f"{kind}.pdf"),
                today=day,
            )
        if step.template.requires_vote:
            pass_exchange(case, actor, day=day)
        else:
            workflow.perform(case_id=case.pk, user=actor, action=workflow.COMPLETE_STEP, today=day)
    workflow.perform(case_id=case.pk, user=authority, action=workflow.APPROVE, today=day)
    return Decision.objects.get(case=case)


@pytest.fixture
def official_since_2010(world: Any) -> tuple[Official, Position]:
    post = Position.objects.create(
        title="Phó Giám đốc Sở Nội vụ", unit=world.province, appointing_unit=world.province
    )
    official = Official.objects.create(
        full_name="Lê Văn Toàn", honorific="ông", personnel_number="LC-2010"
    )
    Appointment.objects.create(official=official, position=post, term_start=D(2010, 1, 4))
    return official, post


def test_r260_termination_filed_in_2015_goes_through_to_a_decision(
    world: Any, file_case: Any, official_since_2010: Any
) -> None:
    official, post = official_since_2010
    day = D(2015, 3, 2)
    case = file_case(
        "termination",
        official=official,
        position=post,
        grounds=["R260-T-1"],
        filed_on=day,
        today=day,
    )
    assert case.regulation.code == "R260" and case.process.needs_legal_review is True
    assert [s.template.code for s in case.steps.order_by("order")] == [
        "R260-S-T-SAME-1",
        "R260-S-T-SAME-2",
        "R260-S-T-SAME-3",
    ]
    decision = _drive_to_decision(case, world, world.users["clerk"], world.users["authority"], day)
    assert decision.approved is True
    case.refresh_from_db()
    assert case.outcome == "approved"


def test_r260_dismissal_at_superior_level_is_fileable(world: Any, file_case: Any) -> None:
    process = ProcessTemplate.objects.get(
        regulation__code="R260", form="dismissal", scope="superior"
    )
    assert process.enabled and process.needs_legal_review
    post = Position.objects.create(
        title="Phó Chủ tịch UBND huyện", unit=world.district, appointing_unit=world.province
    )
    official = Official.objects.create(
        full_name="Hà Văn Lả", honorific="ông", personnel_number="BT-1"
    )
    Appointment.objects.create(official=official, position=post, term_start=D(2011, 5, 1))
    case = file_case(
        "dismissal", official=official, position=post, grounds=["R260-D-1a"], filed_on=D(2016, 4, 4)
    )
    assert case.scope == "superior" and case.steps.count() == 4


def test_no_review_note_on_the_case_page_of_a_non_admin_nor_in_the_decision_pdf(
    world: Any, file_case: Any, official_since_2010: Any
) -> None:
    """Two cases driven through the engine to an issued decision; every other process of
    the catalog is swept in tests/test_collectives_review_notes.py."""
    official, post = official_since_2010
    notes = [
        n
        for model in (Ground, Exclusion, Provision, TimeLimit, StepTemplate)
        for n in model.objects.exclude(review_note="").values_list("review_note", flat=True)
    ]
    snippets = {re.sub(r"^(VI|EN): ", "", line)[:40] for n in notes for line in n.splitlines()}
    day = D(2015, 3, 2)
    r260 = file_case(
        "termination",
        official=official,
        position=post,
        grounds=["R260-T-1"],
        filed_on=day,
        today=day,
    )
    r377 = file_case("termination", grounds=["R377-T-6"])  # a ground with a review note
    pages = []
    for username in ("clerk", "authority", "auditor"):
        client = Client(HTTP_ACCEPT_LANGUAGE="vi")
        client.force_login(world.users[username])
        for case in (r260, r377):
            pages.append(client.get(f"/cases/{case.pk}/").content.decode())
    for page in pages:
        assert 'data-testid="review-note"' not in page
        assert 'data-testid="legal-review"' in page  # the marker everybody sees instead
        assert not [s for s in snippets if s and s in page]
    admin = Client(HTTP_ACCEPT_LANGUAGE="vi")
    admin.force_login(world.users["admin"])
    admin_page = admin.get(f"/cases/{r377.pk}/").content.decode()
    assert 'data-testid="review-note"' in admin_page  # positive control: notes exist and show
    decision = _drive_to_decision(r260, world, world.users["clerk"], world.users["authority"], day)
    text = pdf_text(render_decision_pdf(decision)).lower()
    assert not [m for m in NOTE_MARKERS if m in text]
    assert not [s for s in snippets if s and s.lower() in text]


# --- TL-377-2 starts where the regulation says --------------------------------------------


@pytest.mark.parametrize("scope", ["same_level", "superior"])
def test_tl_377_2_is_due_10_working_days_after_the_proposal_step_ends(
    world: Any, file_case: Any, scope: str
) -> None:
    filed = D(2026, 3, 2)
    proposed = D(2026, 3, 5)
    if scope == "same_level":
        case = file_case("dismissal", filed_on=filed, today=filed)
        clerk = world.users["clerk"]
    else:
        case = file_case(
            "dismissal",
            official=world.official_self,
            position=world.post_superior,
            by="clerk_commune",
            filed_on=filed,
            today=filed,
        )
        clerk = world.users["clerk_commune"]
    assert case.scope == scope
    pass_exchange(case, clerk, day=proposed)
    case.refresh_from_db()
    step = case.current_step
    assert step.template.code == "R377-S-2" and step.started_on == proposed
    assert step.due_on == deadlines.add_working_days(proposed, 10) == D(2026, 3, 19)
    assert "TL-377-2" in step.due_rule
    assert not StepTemplate.objects.filter(code__in=["R41-S-1a", "R377-S-1a"]).exists()


def test_the_waits_and_exceptions_of_r377_are_in_the_catalog(catalog: Any) -> None:
    months = {
        t.code: (t.days, t.unit) for t in TimeLimit.objects.filter(code__startswith="TL-377-")
    }
    assert months["TL-377-4"] == (24, "months") and months["TL-377-6"] == (60, "months")
    assert Provision.objects.filter(code="R377-T-1b").exists()


# --- R377-T-1b: less than a year in the post ------------------------------------------------


def test_r377_t_1_with_less_than_a_year_in_post_is_refused(world: Any, file_case: Any) -> None:
    # In post since 01/07/2025: on 31/12/2025 (the assessed year's end) not yet a year.
    with pytest.raises(RuleViolation) as info:
        file_case(
            "termination",
            official=world.official_self,
            position=world.post_superior,
            by="clerk_commune",
            grounds=["R377-T-1"],
            filed_on=D(2026, 3, 2),
            today=D(2026, 3, 2),
        )
    assert info.value.rule == "R377-T-1b" and "01/07/2025" in str(info.value)
    # In post since 2021: the ground may be used.
    case = file_case(
        "termination", grounds=["R377-T-1"], filed_on=D(2026, 3, 2), today=D(2026, 3, 2)
    )
    assert [g.code for g in case.grounds.all()] == ["R377-T-1"]


def test_r377_t_1_counts_to_the_filing_date_when_configured(
    world: Any, file_case: Any, settings: Any
) -> None:
    settings.R377_T1_REFERENCE = "filing"
    case = file_case(
        "termination",
        official=world.official_self,
        position=world.post_superior,
        by="clerk_commune",
        grounds=["R377-T-1"],
        filed_on=D(2026, 7, 2),
        today=D(2026, 7, 2),
    )
    assert case.pk


# --- units that no longer exist -------------------------------------------------------------


@pytest.fixture
def district_case(world: Any, file_case: Any) -> Any:
    return file_case(
        "resignation",
        official=world.official_district,
        position=world.post_district,
        grounds=["R41-R-1"],
        filed_on=D(2024, 3, 1),
        today=D(2024, 3, 1),
    )


def test_a_case_at_the_abolished_district_is_taken_over_by_the_province_and_moves_on(
    world: Any, district_case: Any
) -> None:
    day = D(2026, 3, 2)
    clerk = world.users["clerk"]
    step = district_case.current_step
    assert step.actor_unit == world.district and not world.district.is_valid_on(day)
    assert workflow.TAKE_OVER in {
        a.name for a in workflow.available_actions(district_case, clerk, today=day)
    }
    with pytest.raises(InvalidInput):  # a reason is required
        workflow.perform(case_id=district_case.pk, user=clerk, action=workflow.TAKE_OVER, today=day)
    workflow.perform(
        case_id=district_case.pk,
        user=clerk,
        action=workflow.TAKE_OVER,
        data={"unit": world.province.pk},
        reason="Huyện kết thúc hoạt động; tỉnh tiếp nhận.",
        today=day,
    )
    district_case.refresh_from_db()
    step = district_case.current_step
    assert step.actor_unit == world.province
    event = district_case.events.order_by("-seq").first()
    assert event.action == "take_over" and event.data["from_unit"] == world.district.pk
    assert event.reason and event.data["to_unit"] == world.province.pk
    pass_exchange(district_case, clerk, day=day)  # the province's People's Committee votes
    district_case.refresh_from_db()
    assert district_case.current_step.template.code == "R41-S-2"
    vote = district_case.votes.get()
    assert vote.collective.unit == world.province and vote.members == 9


def test_only_the_successors_or_superiors_clerks_take_over(world: Any, district_case: Any) -> None:
    day = D(2026, 3, 2)
    for username in ("authority", "auditor"):
        with pytest.raises((ActionForbidden, NotFound)):
            workflow.perform(
                case_id=district_case.pk,
                user=world.users[username],
                action=workflow.TAKE_OVER,
                reason="x",
                today=day,
            )
    with pytest.raises(NotFound):
        workflow.perform(
            case_id=district_case.pk,
            user=world.users["clerk_other"],
            action=workflow.TAKE_OVER,
            reason="x",
            today=day,
        )
    # Before the district ended, nobody takes over.
    assert workflow.TAKE_OVER not in {
        a.name
        for a in workflow.available_actions(
            district_case, world.users["clerk"], today=D(2025, 6, 30)
        )
    }
    assert district_case.events.count() == 1


def test_the_case_page_shows_the_abolished_unit(world: Any, district_case: Any) -> None:
    client = Client()
    client.cookies["django_language"] = "en"  # pages are Vietnamese until the user switches
    client.force_login(world.users["clerk"])
    page = client.get(f"/cases/{district_case.pk}/").content.decode()
    assert 'data-testid="abolished-unit"' in page and "no longer exists" in page


# --- the regulation IDs of the model are cited where they are enforced ----------------------


def test_every_mdl_col_id_is_cited_where_the_code_enforces_it() -> None:
    sources = {
        p: p.read_text(encoding="utf-8")
        for p in (ROOT / "cases").rglob("*.py")
        if "migrations" not in p.parts
    }
    where = {
        f"MDL-COL-{n}": sorted(
            str(p.relative_to(ROOT)) for p, t in sources.items() if f"MDL-COL-{n}" in t
        )
        for n in range(1, 10)
    }
    assert all(where.values()), where
    assert "cases/workflow/handlers.py" in where["MDL-COL-4"]
    # The quorum is enforced where the vote is recorded (tests/test_collectives_quorum.py).
    assert {"cases/organisation/collectives.py", "cases/workflow/handlers.py"} <= set(
        where["MDL-COL-6"]
    )
    assert "cases/models/collective.py" in where["MDL-COL-2"]
