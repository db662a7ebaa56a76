"""Fixtures for two-track cases: the commune chair (Party + People's Council) and the
department director (Party + Decree 170), and a helper that drives the Party track."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from cases.models import Case
from cases.ops.demo import DemoWorld, TwoTrackWorld, build_two_track_world
from cases.workflow import engine as workflow
from cases.workflow import filing as services
from tests import facts_support
from tests.conftest import pass_exchange


@pytest.fixture
def two(world: DemoWorld) -> TwoTrackWorld:
    return build_two_track_world(world, password="cadre-demo")


def file_chair_resignation(two: TwoTrackWorld, **kwargs: Any) -> Case:
    return services.file_case(
        form="resignation",
        official=two.official_chair,
        position=two.post_chair,
        ground_codes=kwargs.pop("grounds", ["R377-R-1"]),
        statement="Xin từ chức vì lý do sức khỏe.",
        by=two.users["clerk_muonghum"],
        **kwargs,
    )


def file_director_resignation(
    two: TwoTrackWorld, *, filed_on: datetime.date, grounds: list[str]
) -> Case:
    return services.file_case(
        form="resignation",
        official=two.official_director,
        position=two.post_director,
        ground_codes=grounds,
        statement="Xin từ chức.",
        by=two.users["clerk_department"],
        filed_on=filed_on,
        today=filed_on,
    )


# The kinds the State-track tests name, as the official's recorded facts (issue #14).
FACT_KINDS = {"under_inspection": "inspection", "under_prosecution": "prosecution"}


def record_fact(two: TwoTrackWorld, kind: str, since: datetime.date, **fields: Any) -> None:
    """A fact recorded through the clerks' service (the rules read nothing else)."""
    official = fields.pop("official", two.official_director)
    if kind == "confidence_poll":
        facts_support.poll(official, since, low=fields["low_votes"], issued=fields["total_ballots"])
        return
    facts_support.record(official, FACT_KINDS.get(kind, kind), since, **fields)


def act(case: Case, two: TwoTrackWorld, username: str, action: str, **kwargs: Any) -> Case:
    return workflow.perform(case_id=case.pk, user=two.users[username], action=action, **kwargs)


def party_decides(case: Case, two: TwoTrackWorld, *, approve: bool = True) -> Case:
    """The Party track of the commune chair's case to its decision (R377, superior level)."""
    pass_exchange(case, two.users["clerk_muonghum"], votes_for=4)
    # MDL-COL-7: the province's standing committee (15 on its roster) votes on the decision.
    act(
        case,
        two,
        "clerk_party",
        workflow.RECORD_VOTE,
        data={"present": 15, "votes_for": 12, "votes_against": 3},
    )
    if approve:
        return act(case, two, "authority_party", workflow.APPROVE)
    return act(case, two, "authority_party", workflow.REJECT, reason="Có căn cứ miễn nhiệm.")


def council_votes(case: Case, two: TwoTrackWorld, *, votes_for: int) -> Case:
    """The State track: the submission to the People's Council, then its vote (25 seats)."""
    act(case, two, "clerk_muonghum", workflow.COMPLETE_STEP)
    return act(
        case,
        two,
        "clerk_muonghum",
        workflow.RECORD_VOTE,
        data={
            "present": 25,
            "votes_for": votes_for,
            "votes_against": 25 - votes_for,
        },
    )


__all__ = [
    "act",
    "council_votes",
    "file_chair_resignation",
    "file_director_resignation",
    "party_decides",
    "record_fact",
    "two",
]
