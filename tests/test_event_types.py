"""Every event the code records is an ``EventType`` with a label in both languages."""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path

from django.urls import reverse
from django.utils import translation

from cases.audit.events import EventType, event_label
from cases.documents.issuing import issue_decision_document
from cases.models import Case, CaseEvent
from cases.ops.demo import DemoWorld
from cases.workflow.actions import SPECS
from tests.celery_support import approve, new_post, to_decision
from tests.web_support import parse_po, signed_in

ROOT = Path(__file__).resolve().parent.parent
FRAGMENTS = sorted((ROOT / "cases" / "locale" / "fragments").glob("*.po"))


def _vietnamese() -> dict[str, str]:
    out: dict[str, str] = {}
    for fragment in FRAGMENTS:
        for msgid, msgstrs in parse_po(fragment):
            if msgstrs and msgstrs[0]:
                out.setdefault(msgid, msgstrs[0])
    return out


def test_every_event_type_has_an_english_and_a_vietnamese_label() -> None:
    vietnamese = _vietnamese()
    missing = []
    for event in EventType:
        with translation.override("en"):
            english = str(event.label)
        if english == event.value or english not in vietnamese:
            missing.append(event.value)
    assert missing == []


def test_every_engine_action_is_an_event_type() -> None:
    assert set(SPECS) <= set(EventType.values)


def test_an_event_type_without_a_label_shows_its_raw_name_and_fails_the_label_test() -> None:
    # What the label test guards against: the timeline falls back to the raw value.
    assert event_label("made_up_event") == "made_up_event"
    assert event_label(EventType.DOCUMENT_ISSUED) == "Decision document issued"


def _recorded_actions(path: Path) -> list[str]:
    """The ``action=`` of every ``record_event(...)`` call, as written in the source."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "record_event":
            for keyword in node.keywords:
                if keyword.arg == "action":
                    found.append(ast.unparse(keyword.value))
    return found


def test_the_code_records_events_by_their_event_type_not_by_a_loose_string() -> None:
    loose = []
    for path in sorted((ROOT / "cases").rglob("*.py")):
        if "/migrations/" in path.as_posix():
            continue
        for written in _recorded_actions(path):
            if written.startswith(("'", '"')):
                loose.append(f"{path.relative_to(ROOT)}: {written}")
    assert loose == []


def test_a_decided_case_records_only_labelled_events_and_its_page_shows_no_raw_name(
    world: DemoWorld, file_case: Callable[..., Case]
) -> None:
    official, position = new_post(world, official_name="Đinh Thị Huyền Trang")
    case = file_case("dismissal", official=official, position=position)
    to_decision(case, world)
    decision = approve(case, world.users["authority"])
    issue_decision_document(decision_id=decision.pk)
    actions = set(CaseEvent.objects.filter(case=case).values_list("action", flat=True))
    assert EventType.DOCUMENT_ISSUED in actions
    assert actions <= set(EventType.values)

    page = signed_in("clerk", "en").get(reverse("case_detail", args=[case.pk])).content.decode()
    assert "Decision document issued" in page
    for action in actions:
        assert f">{action}<" not in page and f" {action} " not in page
