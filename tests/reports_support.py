"""Helpers shared by the import and report tests (not a test module)."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
FRAGMENT = ROOT / "cases" / "locale" / "fragments" / "reports.po"
CORE_CATALOG = ROOT / "cases" / "locale" / "vi" / "LC_MESSAGES" / "django.po"

HEADER = [
    "case_ref",
    "regulation",
    "form",
    "ground_ids",
    "official_name",
    "position_title",
    "org_unit_code",
    "level",
    "filed_on",
    "decided_on",
    "outcome",
]

DEFAULT_ROW: dict[str, str] = {
    "case_ref": "LS-2015-0001",
    "regulation": "R260",
    "form": "resignation",
    "ground_ids": "R260-R-1",
    "official_name": "Lê Văn Hải",
    "position_title": "Phó Giám đốc Sở Tài chính",
    "org_unit_code": "UBND-LC",
    "level": "provincial",
    "filed_on": "2015-03-02",
    "decided_on": "2015-04-10",
    "outcome": "approved",
}


def row(**overrides: Any) -> dict[str, str]:
    return {**DEFAULT_ROW, **{k: str(v) for k, v in overrides.items()}}


def csv_bytes(
    rows: Iterable[dict[str, str]], header: list[str] | None = None, bom: bool = False
) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    columns = header or HEADER
    writer.writerow(columns)
    for r in rows:
        writer.writerow([r.get(c, "") for c in columns])
    data = out.getvalue().encode("utf-8")
    return (b"\xef\xbb\xbf" + data) if bom else data


def good_rows(n: int = 3) -> list[dict[str, str]]:
    """Closed cases under the three regimes, at several levels, with and without a unit."""
    rows = [
        row(),
        row(
            case_ref="LS-2023-0002",
            regulation="R41",
            form="dismissal",
            ground_ids="R41-D-1;R41-D-4",
            official_name="Phạm Thị Thu",
            position_title="Phó Chủ tịch Ủy ban nhân dân huyện",
            org_unit_code="UBND-LC-BAOTHANG",
            level="district",
            filed_on="2023-05-04",
            decided_on="2023-06-20",
            outcome="approved",
        ),
        row(
            case_ref="LS-2026-0003",
            regulation="R377",
            form="termination",
            ground_ids="R377-T-1",
            official_name="Hoàng Minh Đức",
            position_title="Chủ tịch Ủy ban nhân dân xã",
            org_unit_code="",
            level="commune",
            filed_on="2026-01-05",
            decided_on="2026-02-01",
            outcome="rejected",
        ),
    ]
    return rows[:n]


def compile_catalog(target: Path) -> Path:
    """The core Vietnamese catalog with this area's fragment (and the other areas'),
    compiled under ``target``. This fragment comes first, so its entries win; the
    integrator merges the fragments into the shared catalog for real.
    """
    out = target / "vi" / "LC_MESSAGES"
    out.mkdir(parents=True, exist_ok=True)
    msgcat, msgfmt = shutil.which("msgcat"), shutil.which("msgfmt")
    assert msgcat and msgfmt, "gettext's msgcat and msgfmt compile the translation fragment"
    merged = target / "merged.po"
    others = sorted(str(p) for p in FRAGMENT.parent.glob("*.po") if p != FRAGMENT)
    subprocess.run(
        [msgcat, "--use-first", "-o", str(merged), str(FRAGMENT), *others, str(CORE_CATALOG)],
        check=True,
    )
    subprocess.run(
        [msgfmt, "--check-format", "-o", str(out / "django.mo"), str(merged)], check=True
    )
    return target


@pytest.fixture(scope="session")
def reports_locale_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return compile_catalog(tmp_path_factory.mktemp("reports-locale"))


@pytest.fixture
def reports_translations(settings: Any, reports_locale_dir: Path) -> None:
    settings.LOCALE_PATHS = [str(reports_locale_dir)]


def new_post(
    world: Any,
    *,
    official_name: str,
    title: str = "Phó Chánh Văn phòng Ủy ban nhân dân tỉnh",
    unit: Any = None,
) -> tuple[Any, Any]:
    """A post of the province decided by the province itself, and an official holding it."""
    import datetime

    from cases.models import Appointment, Official, Position

    unit = unit or world.province
    position = Position.objects.create(title=title, unit=unit, appointing_unit=unit)
    official = Official.objects.create(
        full_name=official_name, honorific="bà", personnel_number=f"R-{position.pk:06d}"
    )
    Appointment.objects.create(
        official=official, position=position, term_start=datetime.date(2021, 6, 1)
    )
    return official, position


def known_rows() -> list[dict[str, str]]:
    """Three R260 resignations: two in Lào Cai (provincial, district), one in Nghệ An."""
    return [
        row(
            case_ref="K-1",
            ground_ids="R260-R-1",
            org_unit_code="UBND-LC",
            level="provincial",
            filed_on="2015-03-02",
            decided_on="2015-03-12",
            outcome="approved",
        ),
        row(
            case_ref="K-2",
            ground_ids="R260-R-1;R260-R-2",
            org_unit_code="UBND-LC-BAOTHANG",
            level="district",
            official_name="Phạm Thị Thu",
            position_title="Phó Chủ tịch Ủy ban nhân dân huyện",
            filed_on="2015-06-01",
            decided_on="2015-06-21",
            outcome="approved",
        ),
        row(
            case_ref="K-3",
            ground_ids="R260-R-2",
            org_unit_code="UBND-NA",
            level="provincial",
            official_name="Hồ Văn Tâm",
            filed_on="2016-01-04",
            decided_on="2016-02-03",
            outcome="rejected",
        ),
    ]
