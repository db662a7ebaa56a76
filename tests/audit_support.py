"""What a database owner can do to the audit trail, for the tamper-evidence tests.

Not a test module. Each helper uses the owner's rights: it drops the append-only triggers
(on PostgreSQL the test database's superuser may), writes, and puts them back.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection

from cases.audit import sql as audit_sql
from cases.models import Case, CaseEvent


@contextmanager
def owner_rights() -> Iterator[Any]:
    audit_sql.uninstall(connection)
    try:
        with connection.cursor() as cursor:
            yield cursor
    finally:
        audit_sql.install(connection)


def rechain(case_id: int, *, key_id: str = "", key: bytes | None = None) -> None:
    """Recompute every seal of a case as an attacker can: the plain SHA-256 (no key), or
    an HMAC with a key of their own; then set the case's head to match."""
    import hmac

    prev = "0" * 64
    with owner_rights() as cursor:
        for event in CaseEvent.objects.filter(case_id=case_id).order_by("seq"):
            event.prev_hash = prev
            message = prev.encode("ascii") + event.canonical_content().encode("utf-8")
            digest = (
                hmac.new(key, message, hashlib.sha256).hexdigest()
                if key is not None
                else hashlib.sha256(message).hexdigest()
            )
            cursor.execute(
                "UPDATE cases_caseevent SET prev_hash = %s, hash = %s, key_id = %s WHERE id = %s",
                [prev, digest, key_id, event.pk],
            )
            prev = digest
        count = CaseEvent.objects.filter(case_id=case_id).count()
        Case.objects.filter(pk=case_id).update(event_count=count, last_event_hash=prev)


def rewrite_data(event: CaseEvent, **changes: Any) -> None:
    import json

    data = {**event.data, **changes}
    with owner_rights() as cursor:
        cursor.execute(
            "UPDATE cases_caseevent SET data = %s WHERE id = %s",
            [json.dumps(data, ensure_ascii=False), event.pk],
        )


def drop_newest_events(case_id: int, keep: int) -> None:
    with owner_rights() as cursor:
        cursor.execute(
            "DELETE FROM cases_caseevent WHERE case_id = %s AND seq > %s", [case_id, keep]
        )
        last = CaseEvent.objects.get(case_id=case_id, seq=keep)
        Case.objects.filter(pk=case_id).update(event_count=keep, last_event_hash=last.hash)


def erase_case(case_id: int) -> None:
    """Remove a case and every row that refers to it (steps, votes, events...), as the
    owner can. The foreign keys are deferred, so the order of the deletes is free."""
    doomed: dict[type[Any], set[int]] = {}

    def collect(model: type[Any], ids: set[int]) -> None:
        new = ids - doomed.setdefault(model, set())
        if not new:
            return
        doomed[model] |= new
        for rel in model._meta.related_objects:
            if rel.one_to_many or rel.one_to_one:
                children = set(
                    rel.related_model._base_manager.filter(
                        **{f"{rel.field.name}__in": new}
                    ).values_list("pk", flat=True)
                )
                collect(rel.related_model, children)

    collect(Case, {case_id})
    with owner_rights() as cursor:
        cursor.execute("UPDATE cases_case SET current_step_id = NULL WHERE id = %s", [case_id])
        for field in Case._meta.many_to_many:
            cursor.execute(
                f"DELETE FROM {field.remote_field.through._meta.db_table} "  # noqa: S608
                f"WHERE {field.m2m_column_name()} = %s",
                [case_id],
            )
        for model, ids in doomed.items():
            for field in model._meta.many_to_many:  # a track's grounds, and the like
                through = field.remote_field.through._meta.db_table
                for pk in ids:
                    cursor.execute(
                        f"DELETE FROM {through} WHERE {field.m2m_column_name()} = %s",  # noqa: S608
                        [pk],
                    )
            for pk in ids:
                cursor.execute(f"DELETE FROM {model._meta.db_table} WHERE id = %s", [pk])  # noqa: S608
