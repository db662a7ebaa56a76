"""Recording facts about officials in tests, through the clerks' service (no shortcuts)."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib.auth import get_user_model

from cases.models import Official, OfficialFact
from cases.organisation.facts import record_fact

LONG_AGO = datetime.date(2020, 1, 1)

DEFAULT_DETAILS: dict[str, dict[str, Any]] = {
    "discipline": {
        "form": "warning",
        "body": "Ủy ban Kiểm tra Tỉnh ủy",
        "document": "QĐ 12-QĐ/UBKT",
    },
    "inspection": {"body": "Thanh tra tỉnh"},
    "investigation": {"body": "Cơ quan Cảnh sát điều tra"},
    "prosecution": {"body": "Viện kiểm sát nhân dân tỉnh"},
    "protected_task": {"task": "Nhiệm vụ quốc phòng trọng yếu"},
    "dismissal_ground": {"body": "Ủy ban Kiểm tra Tỉnh ủy", "document": "KL 5-KL/UBKT"},
    "annual_rating": {"rating": "not_completed", "body": "Ban Thường vụ Tỉnh ủy"},
}


def admin_user() -> Any:
    return get_user_model().objects.get(username="admin")


def record(
    official: Official,
    kind: str,
    start: datetime.date = LONG_AGO,
    *,
    by: Any = None,
    ended_on: datetime.date | None = None,
    today: datetime.date | None = None,
    **details: Any,
) -> OfficialFact:
    data: dict[str, Any] = {"kind": kind, "started_on": start, "ended_on": ended_on}
    data.update(DEFAULT_DETAILS.get(kind, {}))
    data.update(details)
    return record_fact(
        official=official,
        by=by or admin_user(),
        data=data,
        today=today or datetime.date(2030, 1, 1),
    )


def poll(
    official: Official,
    start: datetime.date,
    *,
    low: int,
    issued: int,
    valid: int | None = None,
    regime: str = "QD96",
    by: Any = None,
) -> OfficialFact:
    """A confidence poll whose valid ballots are split into high / confidence / low."""
    valid = issued if valid is None else valid
    rest = valid - low
    return record(
        official,
        "confidence_poll",
        start,
        by=by,
        regime=regime,
        body="Hội nghị Ban Chấp hành",
        ballots_issued=issued,
        ballots_valid=valid,
        high=rest // 2,
        confidence=rest - rest // 2,
        low=low,
    )
