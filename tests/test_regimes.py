"""Regime pinning by filing date and the process shapes of each regime (foundation 4, 5, 7)."""

from __future__ import annotations

import datetime

import pytest

from cases.core.errors import InvalidInput, RuleViolation
from cases.models import StepStatus

D = datetime.date


@pytest.mark.parametrize(
    ("filed_on", "regime"),
    [
        (D(2021, 11, 2), "R260"),
        (D(2021, 11, 3), "R41"),
        (D(2025, 10, 7), "R41"),
        (D(2025, 10, 8), "R377"),
        (D(2026, 11, 20), "R377"),
    ],
)
def test_the_regime_is_pinned_by_the_filing_date(
    file_case, filed_on: datetime.date, regime: str
) -> None:
    grounds = {"R260": ["R260-R-7"], "R41": ["R41-R-4"], "R377": ["R377-R-4"]}[regime]
    case = file_case("resignation", grounds=grounds, filed_on=filed_on, today=D(2026, 11, 23))
    assert case.regulation.code == regime
    assert case.events.get(seq=1).data["regulation"] == regime


def test_an_r41_case_keeps_r41_rules_and_is_flagged_not_switched(file_case) -> None:
    case = file_case(
        "resignation", grounds=["R41-R-4"], filed_on=D(2025, 9, 1), today=D(2026, 11, 23)
    )
    assert case.regulation.code == "R41"
    assert case.needs_review and "R377-TR-1" in case.review_reason
    assert case.current_step.template.code == "R41-S-1"


def _shape(case) -> list[str]:
    return [s.template.code for s in case.steps.order_by("order")]


def test_r260_resignation_same_level_has_3_steps_and_superior_has_4(file_case, world) -> None:
    same = file_case("resignation", grounds=["R260-R-1"], filed_on=D(2021, 10, 1))
    assert same.scope == "same_level"
    assert _shape(same) == ["R260-S-R-SAME-1", "R260-S-R-SAME-2", "R260-S-R-SAME-3"]
    superior = file_case(
        "resignation",
        official=world.official_district,
        position=world.post_district,
        grounds=["R260-R-3"],
        filed_on=D(2021, 10, 1),
    )
    assert superior.scope == "superior"
    assert _shape(superior) == [
        "R260-S-R-SUP-1",
        "R260-S-R-SUP-2",
        "R260-S-R-SUP-3",
        "R260-S-R-SUP-4",
    ]
    # The official's application is step 1 itself (R260-S-R-SUP-1): done at filing.
    first, second = superior.steps.order_by("order")[:2]
    assert first.status == StepStatus.DONE and second.status == StepStatus.ACTIVE
    # R260 set no statutory time limits: no due date unless an internal target is set.
    assert second.due_on is None


@pytest.mark.parametrize("form", ["dismissal", "resignation"])
def test_r41_superior_level_has_the_three_steps_of_art_8_decided_above(
    file_case, world, form: str
) -> None:
    ground = {"dismissal": "R41-D-4", "resignation": "R41-R-4"}[form]
    same = file_case(form, grounds=[ground], filed_on=D(2024, 5, 6))
    assert _shape(same) == ["R41-S-1", "R41-S-2", "R41-S-3"]
    superior = file_case(
        form,
        official=world.official_district,
        position=world.post_district,
        grounds=[ground],
        filed_on=D(2024, 5, 6),
    )
    # No untimed bookkeeping step between the proposal and the decision (issue #14).
    assert _shape(superior) == ["R41-S-1", "R41-S-2", "R41-S-3"]
    step = superior.steps.get(order=2)
    assert step.actor_unit == world.province and step.actor_role == "authority"


@pytest.mark.parametrize("form", ["termination", "dismissal", "resignation"])
def test_r377_superior_level_has_the_same_three_steps_decided_above(
    file_case, world, form: str
) -> None:
    same = file_case(form)
    assert _shape(same) == ["R377-S-1", "R377-S-2", "R377-S-3"]
    superior = file_case(form, official=world.official_self, position=world.post_superior)
    assert _shape(superior) == ["R377-S-1", "R377-S-2", "R377-S-3"]
    first = superior.steps.get(order=1)
    assert first.actor_unit == world.commune  # the employing unit talks and proposes (R41-A-2)
    assert (
        superior.steps.get(order=2).actor_unit == world.province
    )  # the appointing level decides (R41-A-1)


def test_r41_has_no_termination(file_case) -> None:
    with pytest.raises(RuleViolation) as info:
        file_case("termination", grounds=["R260-T-1"], filed_on=D(2024, 5, 6))
    assert "41-QĐ/TW" in str(info.value)


def test_grounds_must_belong_to_the_regime_and_form(file_case) -> None:
    with pytest.raises(InvalidInput) as wrong_regime:
        file_case("resignation", grounds=["R41-R-1"])  # an R41 ground on an R377 case
    assert "R41-R-1" in str(wrong_regime.value)
    with pytest.raises(InvalidInput):
        file_case("resignation", grounds=["R377-D-1"])  # a dismissal ground on a resignation
    with pytest.raises(InvalidInput):
        file_case("resignation", grounds=[])


def test_disabled_processes_cannot_be_filed_until_enabled(file_case) -> None:
    from cases.models import ProcessTemplate

    ProcessTemplate.objects.filter(regulation__code="R260", form="termination").update(
        enabled=False
    )
    with pytest.raises(RuleViolation) as info:
        file_case("termination", grounds=["R260-T-2"], filed_on=D(2021, 10, 4))
    assert "legal review" in str(info.value)
    ProcessTemplate.objects.filter(regulation__code="R260", form="termination").update(enabled=True)
    case = file_case("termination", grounds=["R260-T-2"], filed_on=D(2021, 10, 4))
    assert _shape(case) == ["R260-S-T-SAME-1", "R260-S-T-SAME-2", "R260-S-T-SAME-3"]


def test_a_district_unit_cannot_be_chosen_after_30_june_2025(file_case, world) -> None:
    with pytest.raises(InvalidInput) as info:
        file_case(
            "resignation",
            official=world.official_district,
            position=world.post_district,
            grounds=["R377-R-4"],
            filed_on=D(2025, 10, 9),
        )
    assert "30/06/2025" in str(info.value)
    # ...but a historic case keeps its district unit and level.
    old = file_case(
        "resignation",
        official=world.official_district,
        position=world.post_district,
        grounds=["R41-R-4"],
        filed_on=D(2025, 6, 30),
    )
    assert old.level == "district" and old.employing_unit == world.district


def test_filing_date_cannot_be_in_the_future_or_before_r260(file_case) -> None:
    with pytest.raises(InvalidInput):
        file_case("dismissal", filed_on=D(2026, 12, 1), today=D(2026, 11, 23))
    with pytest.raises(InvalidInput):
        file_case("dismissal", filed_on=D(2009, 10, 1))


def test_the_official_must_hold_the_post_on_the_filing_date(file_case, world) -> None:
    with pytest.raises(InvalidInput) as info:
        file_case("dismissal", official=world.official_same, position=world.post_superior)
    assert "position" in info.value.fields
