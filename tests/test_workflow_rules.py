"""The rules the engine enforces, each citing its stable ID (foundation, point 8)."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from cases.core.errors import ActionForbidden, RuleViolation, TransitionNotAllowed
from cases.models import Decision, Exclusion, OfficialFact
from cases.workflow import engine as workflow
from cases.workflow import filing as services
from tests.conftest import pass_exchange, pdf
from tests.facts_support import poll, record

D = datetime.date
LONG_AGO = D(2020, 1, 1)


def _circumstance(official, kind: str, start: datetime.date = LONG_AGO, **extra) -> OfficialFact:
    """A fact recorded through the clerks' service (the rules read nothing else)."""
    if kind == "confidence_poll":
        return poll(official, start, low=extra["low_votes"], issued=extra["total_ballots"])
    return record(official, kind, start, **extra)


def test_r41_nr_1_resignation_refused_when_a_dismissal_ground_is_established(
    file_case, world
) -> None:
    _circumstance(world.official_same, "dismissal_ground", ground_code="R41-D-2")
    with pytest.raises(RuleViolation) as info:
        file_case("resignation", grounds=["R41-R-1"], filed_on=D(2024, 5, 6))
    assert info.value.rule == "R41-NR-1"
    assert "R41-D-2" in str(info.value)


def test_r41_nr_1_resignation_refused_while_a_dismissal_case_is_open_for_the_post(
    file_case,
) -> None:
    file_case("dismissal", grounds=["R41-D-4"], filed_on=D(2024, 5, 6))
    with pytest.raises(RuleViolation) as info:
        file_case("resignation", grounds=["R41-R-1"], filed_on=D(2024, 5, 7))
    assert info.value.rule == "R41-NR-1"


@pytest.mark.parametrize("form,ground", [("resignation", "R377-R-1"), ("termination", "R377-T-3")])
def test_r377_p_2_no_resignation_or_termination_where_dismissal_is_required(
    file_case, world, form: str, ground: str
) -> None:
    _circumstance(world.official_same, "dismissal_ground", ground_code="R377-D-5")
    with pytest.raises(RuleViolation) as info:
        file_case(form, grounds=[ground])
    assert info.value.rule == "R377-P-2"


def test_r377_p_2_also_refuses_the_approval(file_case, world) -> None:
    case = file_case("resignation", grounds=["R377-R-1"])
    case = pass_exchange(case, world.users["clerk"])
    _circumstance(world.official_same, "dismissal_ground", ground_code="R377-D-5")
    with pytest.raises(RuleViolation) as info:
        workflow.perform(case_id=case.pk, user=world.users["authority"], action=workflow.APPROVE)
    assert info.value.rule == "R377-P-2"
    case.refresh_from_db()
    assert case.outcome == "" and case.status == "open"
    assert not Decision.objects.filter(case=case).exists()
    assert case.events.count() == 4  # nothing written by the refused approval


def test_r260_nr_2_resignation_refused_while_under_inspection(file_case, world) -> None:
    _circumstance(world.official_same, "inspection", start=D(2021, 9, 1))
    with pytest.raises(RuleViolation) as info:
        file_case("resignation", grounds=["R260-R-2"], filed_on=D(2021, 10, 4))
    assert info.value.rule == "R260-NR-2"


def test_r260_nr_1_resignation_refused_on_a_protected_task(file_case, world) -> None:
    _circumstance(world.official_same, "protected_task", start=D(2021, 9, 1))
    with pytest.raises(RuleViolation) as info:
        file_case("resignation", grounds=["R260-R-2"], filed_on=D(2021, 10, 4))
    assert info.value.rule == "R260-NR-1"


def test_r260_nr_2_does_not_apply_once_the_inspection_ended(file_case, world) -> None:
    _circumstance(
        world.official_same,
        "inspection",
        start=D(2021, 1, 1),
        ended_on=D(2021, 6, 30),
    )
    case = file_case("resignation", grounds=["R260-R-2"], filed_on=D(2021, 10, 4))
    assert case.regulation.code == "R260"


def test_r41_nr_3_is_a_configurable_warning_off_by_default(file_case, world) -> None:
    _circumstance(world.official_same, "inspection", start=D(2024, 1, 1))
    quiet = file_case("resignation", grounds=["R41-R-1"], filed_on=D(2024, 5, 6))
    assert quiet.warnings == []
    services_case = quiet  # a second case for the same post needs the first closed
    workflow.perform(
        case_id=services_case.pk,
        user=world.users["clerk"],
        action=workflow.REJECT,
        reason="Không đề xuất",
    )
    Exclusion.objects.filter(code="R41-NR-3").update(enabled=True)
    warned = file_case("resignation", grounds=["R41-R-1"], filed_on=D(2024, 5, 7))
    assert len(warned.warnings) == 1 and warned.warnings[0].startswith("R41-NR-3")
    assert warned.events.get(seq=1).data["warnings"] == warned.warnings


@pytest.mark.parametrize(
    ("low", "total", "allowed"), [(51, 100, True), (50, 100, False), (2, 3, True)]
)
def test_r41_r_3_needs_more_than_half_low_confidence_votes(
    file_case, world, low: int, total: int, allowed: bool
) -> None:
    _circumstance(
        world.official_same,
        "confidence_poll",
        start=D(2024, 4, 1),
        low_votes=low,
        total_ballots=total,
    )
    if allowed:
        assert file_case("resignation", grounds=["R41-R-3"], filed_on=D(2024, 5, 6)).pk
    else:
        with pytest.raises(RuleViolation) as info:
            file_case("resignation", grounds=["R41-R-3"], filed_on=D(2024, 5, 6))
        assert info.value.rule == "R41-R-3"


def test_r41_r_3_refused_without_any_poll(file_case) -> None:
    with pytest.raises(RuleViolation):
        file_case("resignation", grounds=["R41-R-3"], filed_on=D(2024, 5, 6))


def test_more_than_two_thirds_low_confidence_is_r41_d_3_and_blocks_resignation(
    file_case, world
) -> None:
    _circumstance(
        world.official_same,
        "confidence_poll",
        start=D(2024, 4, 1),
        low_votes=67,
        total_ballots=100,
    )
    with pytest.raises(RuleViolation) as info:
        file_case("resignation", grounds=["R41-R-3"], filed_on=D(2024, 5, 6))
    assert info.value.rule == "R41-NR-1"
    dismissal = file_case("dismissal", grounds=["R41-D-3"], filed_on=D(2024, 5, 6))
    assert [g.code for g in dismissal.grounds.all()] == ["R41-D-3"]


def test_exactly_two_thirds_is_not_r41_d_3(file_case, world) -> None:
    _circumstance(
        world.official_same,
        "confidence_poll",
        start=D(2024, 4, 1),
        low_votes=66,
        total_ballots=99,
    )
    with pytest.raises(RuleViolation) as info:
        file_case("dismissal", grounds=["R41-D-3"], filed_on=D(2024, 5, 6))
    assert info.value.rule == "R41-D-3"
    assert file_case("resignation", grounds=["R41-R-3"], filed_on=D(2024, 5, 6)).pk


# --- withdrawal ----------------------------------------------------------------------


def _resignation(world, **kwargs):
    return services.submit_resignation(
        official=world.official_self,
        position=world.post_superior,
        ground_codes=["R377-R-4"],
        statement="Tôi xin từ chức vì lý do gia đình.",
        by=world.users["official"],
        **kwargs,
    )


def test_official_may_withdraw_until_the_decision_step_starts(world) -> None:
    case = _resignation(world)
    offered = {a.name for a in workflow.available_actions(case, world.users["official"])}
    assert workflow.WITHDRAW in offered
    case = workflow.perform(
        case_id=case.pk,
        user=world.users["official"],
        action=workflow.WITHDRAW,
        reason="Đã suy nghĩ lại",
    )
    assert case.status == "closed" and case.outcome == "withdrawn"
    # R41/R377 have no withdrawal clause: an administrative outcome flagged for review.
    assert case.needs_review and "377-QĐ/TW" in case.review_reason
    assert set(case.steps.values_list("status", flat=True)) <= {"done", "cancelled"}
    assert case.events.order_by("-seq").first().action == "withdraw"


def test_withdrawal_refused_once_the_decision_step_started(world) -> None:
    case = _resignation(world)
    pass_exchange(case, world.users["clerk_commune"], votes_for=3)
    case.refresh_from_db()
    assert case.current_step.template.code == "R377-S-2"
    assert workflow.WITHDRAW not in {
        a.name for a in workflow.available_actions(case, world.users["official"])
    }
    with pytest.raises(TransitionNotAllowed):
        workflow.perform(
            case_id=case.pk, user=world.users["official"], action=workflow.WITHDRAW, reason="Muộn"
        )


def test_only_the_official_may_withdraw(world) -> None:
    case = _resignation(world)
    with pytest.raises(ActionForbidden):
        workflow.perform(
            case_id=case.pk, user=world.users["clerk_commune"], action=workflow.WITHDRAW, reason="x"
        )


def test_r260_withdrawal_is_not_flagged(file_case, world) -> None:
    case = file_case(
        "resignation",
        official=world.official_district,
        position=world.post_district,
        grounds=["R260-R-7"],
        filed_on=D(2021, 10, 1),
    )
    world.official_district.user = world.users["auditor_other"]
    world.official_district.save()
    case = workflow.perform(
        case_id=case.pk,
        user=world.users["auditor_other"],
        action=workflow.WITHDRAW,
        reason="Rút đơn",
    )
    assert case.status == "closed" and case.outcome == "withdrawn"
    # Flagged only by the transitional rule (R260 ended in 2021), never for the withdrawal.
    assert case.review_reason.startswith("R377-TR-1")
    assert "Withdrawal" not in case.review_reason
    withdrawal = case.events.order_by("-seq").first()
    assert withdrawal.action == "withdraw" and "flagged_for_review" not in withdrawal.data


# --- votes ---------------------------------------------------------------------------


def _vote(case, user, present: int, votes_for: int, against: int, **extra):
    return workflow.perform(
        case_id=case.pk,
        user=user,
        action=workflow.RECORD_VOTE,
        data={"present": present, "votes_for": votes_for, "votes_against": against, **extra},
    )


def test_vote_passes_with_more_than_half_of_all_members(file_case, world) -> None:
    case = file_case("dismissal")
    _vote(case, world.users["clerk"], 9, 5, 4)  # the province's People's Committee: 9
    vote = case.votes.get()
    assert vote.passed is True and vote.members == 9


def test_exactly_half_of_the_members_fails_and_blocks_the_proposal(file_case, world) -> None:
    from cases.organisation.collectives import end_member

    clerk = world.users["clerk"]
    case = file_case("dismissal")
    body = world.province.collectives.get()
    end_member(
        member=body.roster_on(D(2026, 1, 5)).last(),
        valid_to=D(2026, 1, 4),
        by=clerk,
        reason="Nghỉ hưu",
    )
    workflow.perform(
        case_id=case.pk,
        user=clerk,
        action=workflow.RECORD_TALK,
        upload=pdf(),
        data={"held_on": "2026-01-05", "summary": "Đã trao đổi."},
    )
    _vote(case, clerk, 8, 4, 4, meeting_on="2026-01-05")  # 8 on the roster that day
    vote = case.votes.get()
    assert (vote.members, vote.passed) == (8, False)
    with pytest.raises(TransitionNotAllowed) as info:
        workflow.perform(case_id=case.pk, user=clerk, action=workflow.COMPLETE_STEP)
    assert "did not pass" in str(info.value)


def test_the_threshold_counts_all_members_not_those_present(file_case, world) -> None:
    case = file_case("dismissal")
    _vote(case, world.users["clerk"], 6, 4, 1)  # 4 of 6 present, but only 4 of 9 members
    assert case.votes.get().passed is False


def test_impossible_vote_counts_are_refused(file_case, world) -> None:
    from cases.core.errors import InvalidInput

    case = file_case("dismissal")
    with pytest.raises(InvalidInput) as info:
        _vote(case, world.users["clerk"], 10, 3, 1)
    assert "present" in info.value.fields
    with pytest.raises(InvalidInput):
        _vote(case, world.users["clerk"], 5, 4, 1, invalid=1)
    with pytest.raises(InvalidInput) as info:
        _vote(case, world.users["clerk"], 9, 5, 4, members="nine")
    assert "members" in info.value.fields
    assert case.votes.count() == 0 and case.events.count() == 1


def test_the_step_needs_its_documents_before_it_is_submitted(file_case, world) -> None:
    case = file_case("dismissal")
    _vote(case, world.users["clerk"], 9, 6, 3)
    with pytest.raises(TransitionNotAllowed) as info:
        workflow.perform(case_id=case.pk, user=world.users["clerk"], action=workflow.COMPLETE_STEP)
    assert info.value.rule == "R377-S-1"


# --- separation of duties and roles ----------------------------------------------------


def test_nobody_acts_on_a_step_of_a_case_about_themselves(file_case, world) -> None:
    world.official_same.user = world.users["clerk"]  # the province clerk is also the official
    world.official_same.save()
    case = file_case("dismissal", by="clerk_party") if False else None
    from cases.models import Membership, Role

    Membership.objects.create(
        user=world.users["clerk_commune"], unit=world.province, role=Role.CLERK
    )
    case = file_case("dismissal", by="clerk_commune")
    assert workflow.available_actions(case, world.users["clerk"]) == []
    with pytest.raises(ActionForbidden) as info:
        _vote(case, world.users["clerk"], 9, 9, 0)
    assert "yourself" in str(info.value)


def test_a_user_cannot_file_a_dismissal_about_themselves(world) -> None:
    world.official_same.user = world.users["clerk"]
    world.official_same.save()
    with pytest.raises(ActionForbidden):
        services.file_case(
            form="dismissal",
            official=world.official_same,
            position=world.post_same,
            ground_codes=["R377-D-4"],
            statement="",
            by=world.users["clerk"],
        )


def test_whoever_proposed_may_not_also_decide(file_case, world) -> None:
    from cases.models import Membership, Role

    both = world.users["deputy"]
    Membership.objects.create(user=both, unit=world.province, role=Role.CLERK)
    case = file_case("dismissal", by="clerk")
    pass_exchange(case, both)
    with pytest.raises(RuleViolation) as info:
        workflow.perform(case_id=case.pk, user=both, action=workflow.APPROVE)
    assert info.value.rule == "SOD-1"
    case = workflow.perform(case_id=case.pk, user=world.users["authority"], action=workflow.APPROVE)
    assert case.outcome == "approved"


def test_roles_are_refused_with_403_and_wrong_moments_with_409(file_case, world) -> None:
    case = file_case("dismissal")
    with pytest.raises(ActionForbidden) as forbidden:
        workflow.perform(case_id=case.pk, user=world.users["auditor"], action=workflow.APPROVE)
    assert forbidden.value.http_status == 403
    with pytest.raises(TransitionNotAllowed) as too_early:
        workflow.perform(case_id=case.pk, user=world.users["authority"], action=workflow.APPROVE)
    assert too_early.value.http_status == 409


def test_out_of_scope_users_get_not_found(file_case, world) -> None:
    from cases.core.errors import NotFound

    case = file_case("dismissal")
    with pytest.raises(NotFound):
        workflow.perform(
            case_id=case.pk, user=world.users["clerk_other"], action=workflow.RECORD_VOTE, data={}
        )


def test_a_stale_step_id_is_refused_as_moved_on(file_case, world) -> None:
    from cases.core.errors import StepMovedOn

    case = file_case("dismissal")
    first_step = case.current_step_id
    pass_exchange(case, world.users["clerk"])
    with pytest.raises(StepMovedOn):
        workflow.perform(
            case_id=case.pk,
            user=world.users["authority"],
            action=workflow.APPROVE,
            step_id=first_step,
        )


def test_the_full_journey_writes_one_event_per_action(file_case, world) -> None:
    case = file_case("dismissal")
    case = pass_exchange(case, world.users["clerk"])
    case = workflow.perform(
        case_id=case.pk,
        user=world.users["authority"],
        action=workflow.APPROVE,
        data={"effective_on": "2026-12-01"},
    )
    assert case.status == "implementation" and case.decision.number == 1
    assert case.decision.symbol == "01/QĐ-UBND" and case.decision.prefix == "TM."
    case = workflow.perform(
        case_id=case.pk, user=world.users["clerk"], action=workflow.COMPLETE_IMPLEMENTATION
    )
    assert case.status == "closed" and case.outcome == "approved"
    actions = list(case.events.order_by("seq").values_list("action", flat=True))
    assert actions == [
        "case_filed",
        "record_talk",
        "record_vote",
        "complete_step",
        "approve",
        "complete_implementation",
    ]
    assert all(e.actor_id for e in case.events.all())
    from cases.models import Appointment

    assert Appointment.objects.get(
        official=world.official_same, position=world.post_same
    ).ended_on == D(2026, 12, 1)


def test_a_delegated_deputy_decides_with_the_kt_prefix(file_case, world) -> None:
    from cases.models import Membership, Role

    Membership.objects.filter(user=world.users["deputy"], role=Role.AUTHORITY).delete()
    case = file_case("dismissal")
    pass_exchange(case, world.users["clerk"])
    today = timezone.localdate()
    services.delegate_authority(
        delegator=world.users["authority"],
        deputy=world.users["deputy"],
        unit_id=world.province.pk,
        valid_from=today - datetime.timedelta(days=2),
        valid_to=today + datetime.timedelta(days=30),
        reason="Đi công tác nước ngoài",
    )
    assert case.events.filter(action="authority_delegated").count() == 1
    case = workflow.perform(case_id=case.pk, user=world.users["deputy"], action=workflow.APPROVE)
    assert case.decision.prefix == "KT." and case.decision.on_behalf_of == world.users["authority"]
