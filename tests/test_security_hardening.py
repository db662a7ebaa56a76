"""Hardening of issue 16: the second factor on every session, the stale assignee."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from cases.core.errors import CaseError
from cases.models import Membership, Role
from cases.workflow import engine as workflow
from tests.conftest import pass_exchange


def test_a_stale_assignee_cannot_approve_after_their_membership_ended(file_case, world) -> None:  # type: ignore[no-untyped-def]
    case = pass_exchange(file_case("resignation", grounds=["R377-R-1"]), world.users["clerk"])
    deputy = world.users["deputy"]
    workflow.perform(
        case_id=case.pk,
        user=world.users["clerk"],
        action=workflow.REASSIGN,
        data={"step_id": case.current_step_id, "assignee": deputy.pk},
        reason="Cân đối công việc.",
    )
    ended = timezone.localdate() - datetime.timedelta(days=1)
    Membership.objects.filter(user=deputy, role=Role.AUTHORITY).update(valid_to=ended)
    events_before = case.events.count()
    with pytest.raises(CaseError):
        workflow.perform(case_id=case.pk, user=deputy, action=workflow.APPROVE)
    case.refresh_from_db()
    assert case.outcome == "" and case.events.count() == events_before
    assert workflow.APPROVE not in {a.name for a in workflow.available_actions(case, deputy)}
