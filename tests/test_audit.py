"""The append-only, hash-chained audit trail (foundation, point 11)."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from cases.audit import sql as audit_sql
from cases.audit.chain import verify_all_chains, verify_case_chain
from cases.models import CaseEvent
from tests.conftest import pass_exchange


def _raw(sql: str, params: list[object]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.fixture
def case(file_case, world):
    return pass_exchange(file_case("dismissal"), world.users["clerk"])


def test_every_event_is_chained_to_the_previous_one(case) -> None:
    events = list(case.events.order_by("seq"))
    assert [e.seq for e in events] == [1, 2, 3, 4]
    assert events[0].prev_hash == "0" * 64
    assert all(b.prev_hash == a.hash for a, b in zip(events, events[1:], strict=False))
    assert verify_case_chain(case.pk).valid


def test_the_database_refuses_an_update(case) -> None:
    event = case.events.first()
    with pytest.raises(DatabaseError), transaction.atomic():
        _raw("UPDATE cases_caseevent SET reason = %s WHERE id = %s", ["sửa lén", event.pk])
    with pytest.raises(DatabaseError), transaction.atomic():
        CaseEvent.objects.filter(pk=event.pk).update(reason="sửa lén")


def test_the_database_refuses_a_delete(case) -> None:
    event = case.events.last()
    with pytest.raises(DatabaseError), transaction.atomic():
        _raw("DELETE FROM cases_caseevent WHERE id = %s", [event.pk])
    assert case.events.count() == 4


def _behind_the_triggers_back(sql: str, params: list[object]) -> None:
    audit_sql.uninstall(connection)
    try:
        _raw(sql, params)
    finally:
        audit_sql.install(connection)


def test_verify_audit_finds_an_altered_event(case) -> None:
    target = case.events.get(seq=3)
    _behind_the_triggers_back(
        "UPDATE cases_caseevent SET reason = %s WHERE id = %s", ["đã bị sửa", target.pk]
    )
    check = verify_case_chain(case.pk)
    assert not check.valid and check.first_broken_event == target.pk
    with pytest.raises(CommandError) as info:
        call_command("verify_audit")
    assert "1 of 1" in str(info.value)


def test_verify_audit_finds_a_deleted_event_in_the_middle_and_at_the_end(
    case, file_case, world
) -> None:
    other = pass_exchange(
        file_case(
            "dismissal",
            official=world.official_self,
            position=world.post_superior,
            by="clerk_commune",
        ),
        world.users["clerk_commune"],
        votes_for=3,
    )
    _behind_the_triggers_back(
        "DELETE FROM cases_caseevent WHERE id = %s", [case.events.get(seq=3).pk]
    )
    _behind_the_triggers_back(
        "DELETE FROM cases_caseevent WHERE id = %s", [other.events.get(seq=4).pk]
    )
    broken = {c.case_id: c for c in verify_all_chains()}
    assert set(broken) == {case.pk, other.pk}
    assert broken[case.pk].first_broken_event == case.events.get(seq=4).pk
    assert "end of the chain" in broken[other.pk].detail


def test_verify_audit_reports_that_all_chains_hold(case, capsys) -> None:
    call_command("verify_audit")
    assert "All 1 audit chains hold" in capsys.readouterr().out
