"""The bench generator writes audit events whose hash chain is the model's own."""

from __future__ import annotations

import datetime
import json

import pytest

from bench.generate import _Chain, _line
from cases.models import GENESIS_HASH, CaseEvent

COLUMNS = [
    "id",
    "case_id",
    "seq",
    "at",
    "actor_id",
    "actor_name",
    "action",
    "from_state",
    "to_state",
    "step_code",
    "reason",
    "data",
    "prev_hash",
    "hash",
]


def _unescape(cell: str) -> str:
    return cell.replace("\\n", "\n").replace("\\t", "\t").replace("\\r", "\r").replace("\\\\", "\\")


def test_generated_chain_matches_the_models_canonical_hash() -> None:
    chain = _Chain(case_id=42, event_base=1000)
    at = datetime.datetime(2019, 3, 4, 1, 0, tzinfo=datetime.UTC)
    chain.add(
        at=at,
        actor=(7, 'Nguyễn Thị "Hà"'),
        action="case_filed",
        from_state="",
        to_state="open:R41-S-1",
        step="",
        reason="Đề nghị\nxem xét\t(tab) \\ gạch",
        data={"grounds": ["R41-R-1"], "n": 3, "x": None},
    )
    chain.add(
        at=at,
        actor=(8, "Trần Văn Đức"),
        action="record_vote",
        from_state="open:R41-S-1",
        to_state="open:R41-S-1",
        step="R41-S-1",
        data={"members": 9, "for": 7, "passed": True},
    )
    prev = GENESIS_HASH
    for number, text in enumerate(chain.rows, start=1):
        cells = dict(zip(COLUMNS, text.rstrip("\n").split("\t"), strict=True))
        event = CaseEvent(
            case_id=int(cells["case_id"]),
            seq=int(cells["seq"]),
            at=datetime.datetime.fromisoformat(cells["at"]),
            actor_id=int(cells["actor_id"]),
            actor_name=_unescape(cells["actor_name"]),
            action=cells["action"],
            from_state=_unescape(cells["from_state"]),
            to_state=_unescape(cells["to_state"]),
            step_code=_unescape(cells["step_code"]),
            reason=_unescape(cells["reason"]),
            data=json.loads(_unescape(cells["data"])),
            prev_hash=cells["prev_hash"],
        )
        assert event.seq == number
        assert event.prev_hash == prev
        assert event.compute_hash() == cells["hash"]
        prev = cells["hash"]
    assert chain.prev == prev


def test_generated_events_move_forward_in_time() -> None:
    chain = _Chain(case_id=1, event_base=0)
    at = datetime.datetime(2020, 1, 1, 1, 0, tzinfo=datetime.UTC)
    first = chain.add(
        at=at, actor=(1, "a"), action="x", from_state="", to_state="", step="", data={}
    )
    second = chain.add(
        at=at, actor=(1, "a"), action="y", from_state="", to_state="", step="", data={}
    )
    assert second > first


def test_copy_lines_escape_what_copy_text_format_reserves() -> None:
    assert _line(["a\tb", "c\nd", "e\\f", None, True, 3, datetime.date(2020, 1, 2)]) == (
        "a\\tb\tc\\nd\te\\\\f\t\\N\tt\t3\t2020-01-02\n"
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_generator_loads_cases_the_models_accept() -> None:
    """A small data set through ``generate.load`` (COPY into every table the models have).

    A column added to a model without the generator knowing (as the tracks' deciding act
    once was) fails this load, not the next 1 M-case bench.
    """
    from django.db import connection

    from bench import generate
    from cases.audit.chain import verify_case_chain
    from cases.catalog.loader import load_catalog
    from cases.models import Case, Track

    load_catalog()
    conf = connection.settings_dict
    dsn = (
        f"host={conf['HOST']} port={conf['PORT'] or 5432} user={conf['USER']} dbname={conf['NAME']}"
    )
    report = generate.load(dsn, n_cases=300, seed=7, workers=1)
    assert report.rows["cases"] == 300
    assert Case.objects.count() == 300
    assert Track.objects.filter(kind="party").count() == 300
    assert set(Track.objects.values_list("instrument", flat=True)) <= {"decision", "resolution"}
    sample = list(Case.objects.order_by("id").values_list("id", flat=True)[:20])
    assert all(verify_case_chain(pk).valid for pk in sample)
