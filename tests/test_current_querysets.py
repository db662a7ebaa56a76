"""``current(on=)``: the one rule for "in force on this day" of memberships and delegations."""

from __future__ import annotations

import datetime

from django.utils import timezone

from cases.models import Delegation, Membership, Role
from cases.ops.demo import DemoWorld
from cases.organisation.selectors import acting_units

DAY = datetime.date(2026, 5, 5)


def test_a_membership_is_current_from_its_first_to_its_last_day(world: DemoWorld) -> None:
    membership = Membership.objects.create(
        user=world.users["auditor"],
        unit=world.other_commune,
        role=Role.CLERK,
        valid_from=DAY,
        valid_to=DAY + datetime.timedelta(days=2),
    )
    current = Membership.objects.filter(pk=membership.pk)
    assert not current.current(on=DAY - datetime.timedelta(days=1)).exists()
    assert current.current(on=DAY).exists()
    assert current.current(on=DAY + datetime.timedelta(days=2)).exists()
    assert not current.current(on=DAY + datetime.timedelta(days=3)).exists()


def test_a_membership_without_an_end_runs_on(world: DemoWorld) -> None:
    membership = Membership.objects.create(
        user=world.users["auditor"], unit=world.other_commune, role=Role.CLERK, valid_from=DAY
    )
    assert (
        Membership.objects.current(on=DAY + datetime.timedelta(days=3650))
        .filter(pk=membership.pk)
        .exists()
    )


def test_a_revoked_or_ended_delegation_is_not_current(world: DemoWorld) -> None:
    delegation = Delegation.objects.create(
        delegator=world.users["authority"],
        deputy=world.users["clerk"],
        unit=world.province,
        valid_from=DAY,
        valid_to=DAY + datetime.timedelta(days=5),
        reason="Công tác nước ngoài.",
    )
    one = Delegation.objects.filter(pk=delegation.pk)
    assert one.current(on=DAY).exists()
    assert not one.current(on=DAY + datetime.timedelta(days=6)).exists()
    assert world.province.pk in acting_units(world.users["clerk"], Role.AUTHORITY, on=DAY)
    delegation.revoked_at = timezone.now()
    delegation.save(update_fields=["revoked_at"])
    assert not one.current(on=DAY).exists()
    clerk = type(world.users["clerk"]).objects.get(pk=world.users["clerk"].pk)
    assert world.province.pk not in acting_units(clerk, Role.AUTHORITY, on=DAY)
