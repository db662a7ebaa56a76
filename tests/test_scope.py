"""The engine's one-case scope check agrees with the scoped query every list uses."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser

from cases.models import Case
from cases.organisation import selectors

pytestmark = pytest.mark.django_db


def test_can_see_case_matches_cases_visible_to_for_every_user_and_case(
    world: Any, file_case: Any
) -> None:
    file_case("dismissal")
    file_case(
        "dismissal", official=world.official_other, position=world.post_other, by="clerk_other"
    )
    file_case(
        "resignation", official=world.official_self, position=world.post_superior, by="official"
    )
    # With the case's official loaded (as the engine reads it) and without (a fresh user query).
    cases = [
        *Case.objects.select_related("employing_unit", "deciding_unit"),
        *Case.objects.select_related("employing_unit", "deciding_unit", "official"),
    ]
    users = [*world.users.values(), AnonymousUser()]
    seen_somewhere = set()
    for user in users:
        visible = set(selectors.cases_visible_to(user).values_list("pk", flat=True))
        for case in cases:
            assert selectors.can_see_case(user, case) == (case.pk in visible), (
                user,
                case.reference,
            )
        seen_somewhere |= visible
    # The check is not trivially true or false: some cases are hidden from some users.
    assert seen_somewhere == {c.pk for c in cases}
    assert any(not selectors.can_see_case(u, c) for u in users for c in cases)
