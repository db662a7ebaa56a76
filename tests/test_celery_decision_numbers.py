"""Decision numbers: one gapless register per issuing body and year, safe under concurrency."""

from __future__ import annotations

import datetime
import threading
from collections.abc import Callable

import pytest
from django.db import connection, connections

from cases.models import Case, Decision, DecisionRegister
from cases.ops.demo import DemoWorld
from tests.celery_support import UNREACHABLE_BROKER, approve, new_post, to_decision, use_broker

DAY = datetime.date(2026, 5, 5)
NAMES = [
    "Nguyễn Văn Ấn", "Trần Thị Bảo Châu", "Lê Hữu Đạt", "Phạm Thị Ngọc Ễnh",
    "Hoàng Minh Giang", "Vũ Thị Hường", "Đặng Văn Khởi", "Bùi Thị Lệ Thủy",
]  # fmt: skip


def cases_at_decision(world: DemoWorld, file_case: Callable[..., Case]) -> list[Case]:
    cases = []
    for index, name in enumerate(NAMES):
        official, position = new_post(
            world,
            official_name=name,
            title=f"Phó Giám đốc Trung tâm số {index + 1} Ủy ban nhân dân tỉnh",
        )
        case = file_case("dismissal", official=official, position=position, filed_on=DAY, today=DAY)
        cases.append(to_decision(case, world, day=DAY))
    return cases


@pytest.mark.django_db(transaction=True)
def test_concurrent_approvals_of_one_body_get_consecutive_numbers(
    world: DemoWorld, file_case: Callable[..., Case]
) -> None:
    """On PostgreSQL, eight threads approve eight cases of the province at the same moment;
    the register row lock serialises them. SQLite has no row locks (one writer at a time),
    so there the same approvals run one after another and must give the same result."""
    # No broker: the approvals must not wait on one (documents stay pending; not under test).
    with use_broker(UNREACHABLE_BROKER):
        cases = cases_at_decision(world, file_case)
        authorities = [world.users["authority"], world.users["deputy"]]
        if connection.vendor == "postgresql":
            barrier = threading.Barrier(len(cases))
            errors: list[BaseException] = []

            def sign(case: Case, user: object) -> None:
                try:
                    barrier.wait(timeout=60)
                    approve(case, user, day=DAY)
                except BaseException as exc:  # noqa: BLE001 - reported by the main thread
                    errors.append(exc)
                finally:
                    connections.close_all()

            threads = [
                threading.Thread(target=sign, args=(case, authorities[i % 2]))
                for i, case in enumerate(cases)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=120)
            assert errors == []
        else:
            for i, case in enumerate(cases):
                approve(case, authorities[i % 2], day=DAY)

    numbers = sorted(
        Decision.objects.filter(issuing_unit=world.province, year=2026).values_list(
            "number", flat=True
        )
    )
    assert numbers == list(range(1, len(cases) + 1))  # no gap, no duplicate
    symbols = set(Decision.objects.values_list("symbol", flat=True))
    assert symbols == {f"{n:02d}/QĐ-UBND" for n in numbers}
    register = DecisionRegister.objects.get(unit=world.province, year=2026)
    assert register.last_number == len(cases)


def test_each_body_and_year_has_its_own_register(
    world: DemoWorld, file_case: Callable[..., Case]
) -> None:
    official, position = new_post(world, official_name="Tạ Thị Thu Hằng")
    case = file_case("dismissal", official=official, position=position, filed_on=DAY, today=DAY)
    to_decision(case, world, day=DAY)
    assert approve(case, world.users["authority"], day=DAY).symbol == "01/QĐ-UBND"

    party = file_case(
        "termination",
        official=world.official_party,
        position=world.post_party,
        by="clerk_party",
        filed_on=DAY,
        today=DAY,
    )
    to_decision(party, world, day=DAY)
    assert approve(party, world.users["authority_party"], day=DAY).symbol == "1-QĐ/TU"

    next_year = datetime.date(2027, 1, 5)
    official, position = new_post(
        world,
        official_name="Lục Văn Phúc",
        honorific="ông",
        title="Phó Chánh Thanh tra Ủy ban nhân dân tỉnh",
    )
    later = file_case(
        "dismissal", official=official, position=position, filed_on=next_year, today=next_year
    )
    to_decision(later, world, day=next_year)
    decision = approve(later, world.users["authority"], day=next_year)
    assert (decision.year, decision.number, decision.symbol) == (2027, 1, "01/QĐ-UBND")
    assert DecisionRegister.objects.get(unit=world.province, year=2026).last_number == 1
