"""The regulation catalog as versioned data (issue: foundation, point 4)."""

from __future__ import annotations

import datetime
import json
import re
import shutil
from pathlib import Path

import pytest
from django.conf import settings

from cases.catalog.loader import CATALOG_DIR, CatalogFrozen, CatalogInvalid, load_catalog
from cases.models import (
    CatalogVersion,
    Exclusion,
    Ground,
    ProcessTemplate,
    Provision,
    Regulation,
    StepTemplate,
    TimeLimit,
)

# Every ID of docs/REGULATIONS.md's ground, exclusion, step and time-limit tables for
# R260, R41 and R377 (R377-R/D are the provisional copies the issue names).
GROUND_IDS = (
    [
        "R260-T-1",
        "R260-T-2",
        "R260-D-1a",
        "R260-D-1b",
        "R260-D-2a",
        "R260-D-2b",
        "R260-D-2c",
        "R260-D-3",
    ]
    + [f"R260-R-{i}" for i in range(1, 8)]
    + [f"R41-D-{i}" for i in range(1, 7)]
    + [f"R41-R-{i}" for i in range(1, 5)]
    + [f"R377-T-{i}" for i in range(1, 7)]
    + [f"R377-R-{i}" for i in range(1, 5)]
    + [f"R377-D-{i}" for i in range(1, 7)]
)
EXCLUSION_IDS = ["R260-NR-1", "R260-NR-2", "R41-NR-1", "R41-NR-2", "R41-NR-3", "R377-P-2"]
STEP_IDS = (
    [f"R260-S-R-SUP-{i}" for i in range(1, 5)]
    + [f"R260-S-R-SAME-{i}" for i in range(1, 4)]
    + [f"R260-S-D-SAME-{i}" for i in range(1, 5)]
    + [f"R260-S-D-SUP-{i}" for i in range(1, 5)]
    + [f"R260-S-T-SAME-{i}" for i in range(1, 4)]
    + [f"R260-S-T-SUP-{i}" for i in range(1, 5)]
    + ["R41-S-1", "R41-S-2", "R41-S-3", "R377-S-1", "R377-S-2"]
)
TIME_LIMIT_IDS = ["TL-41-1", "TL-41-2", "TL-377-1", "TL-377-2", "TL-377-3"]
PROVISION_IDS = (
    [
        "R41-DEF-1",
        "R41-DEF-2",
        "R41-DEF-3",
        "R41-P-1",
        "R41-P-2",
        "R41-P-3",
        "R41-A-1",
        "R41-A-2",
        "R41-A-3",
    ]
    + [
        "R41-H-1",
        "R41-H-2",
        "R41-PO-1",
        "R41-PO-2",
        "R41-PO-3",
        "R260-DEF-1",
        "R260-DEF-2",
        "R260-DEF-3",
    ]
    + [
        "R260-P-4",
        "R260-H-1",
        "R260-H-2",
        "R260-H-3",
        "R260-H-4",
        "R377-P-1",
        "R377-P-2",
        "R377-P-3",
    ]
    + ["R377-P-4", "R377-PO-1", "R377-PO-2", "R377-PO-3", "R377-PO-4", "R377-TR-1"]
)


def _bilingual(obj: object, vi: str = "text_vi", en: str = "text_en") -> bool:
    return bool(getattr(obj, vi).strip()) and bool(getattr(obj, en).strip())


def test_catalog_holds_every_ground_with_both_languages(catalog: CatalogVersion) -> None:
    grounds = {g.code: g for g in Ground.objects.filter(regulation__version=catalog)}
    missing = [code for code in GROUND_IDS if code not in grounds]
    assert missing == []
    assert all(_bilingual(grounds[code]) for code in GROUND_IDS)


def test_catalog_holds_every_exclusion_step_time_limit_and_provision(
    catalog: CatalogVersion,
) -> None:
    exclusions = set(Exclusion.objects.values_list("code", flat=True))
    steps = {s.code: s for s in StepTemplate.objects.all()}
    limits = {t.code: t for t in TimeLimit.objects.all()}
    provisions = {p.code: p for p in Provision.objects.all()}
    assert [c for c in EXCLUSION_IDS if c not in exclusions] == []
    assert [c for c in STEP_IDS if c not in steps] == []
    assert [c for c in TIME_LIMIT_IDS if c not in limits] == []
    assert [c for c in PROVISION_IDS if c not in provisions] == []
    assert all(
        _bilingual(s, "name_vi", "name_en") and _bilingual(s, "description_vi", "description_en")
        for s in steps.values()
    )
    assert all(_bilingual(t) and _bilingual(t, "anchor_vi", "anchor_en") for t in limits.values())
    assert all(_bilingual(p) for p in provisions.values())


def test_catalog_matches_the_ids_in_the_shared_regulations_document(
    catalog: CatalogVersion,
) -> None:
    """When ../shared/REGULATIONS.md is beside the clone, every table ID in it is here."""
    doc = Path(settings.BASE_DIR).parent / "shared" / "REGULATIONS.md"
    if not doc.exists():
        doc = Path("/work/shared/REGULATIONS.md")
    text = doc.read_text(encoding="utf-8")
    ids = set(
        re.findall(
            r"^\| (R(?:260|41|377)-(?:[DRT]|NR|S-[RDT]-(?:SUP|SAME))-\w+|TL-(?:41|377)-\d) \|",
            text,
            re.M,
        )
    )
    ids |= set(re.findall(r"^\| (R(?:41|377)-S-\d) \|", text, re.M))
    # The State regimes and the elected-post rules (issue 13), with their time limits.
    state = set(
        re.findall(
            r"^\| ((?:ND138|ND170|NQ96|LGL25|LCBCC25|TL-138|TL-ND170|TL-ND138|TL-NQ96|TL-LGL25)-[-\w.*]+) \|",
            text,
            re.M,
        )
    )
    assert {"ND170-NR-b", "ND138-S-D-3", "NQ96-LC-2", "LGL25-A-2", "LCBCC25-D-1"} <= state
    ids |= state
    assert len(ids) > 60
    known = (
        set(Ground.objects.values_list("code", flat=True))
        | set(Exclusion.objects.values_list("code", flat=True))
        | set(StepTemplate.objects.values_list("code", flat=True))
        | set(TimeLimit.objects.values_list("code", flat=True))
        | set(Provision.objects.values_list("code", flat=True))  # R377-T-1a is a detail list
    )
    assert sorted(ids - known) == []


def test_verification_labels_drive_needs_legal_review(catalog: CatalogVersion) -> None:
    assert Ground.objects.get(code="R41-D-1").needs_legal_review is False
    assert Ground.objects.get(code="R260-T-1").verification == "P"
    assert Ground.objects.get(code="R260-T-1").needs_legal_review is True
    assert Ground.objects.get(code="R260-D-2c").needs_legal_review is True
    copy = Ground.objects.get(code="R377-R-3")
    assert copy.provisional_copy_of == "R41-R-3" and copy.needs_legal_review is True
    assert all(g.needs_legal_review for g in Ground.objects.filter(code__regex=r"^R377-[RD]-"))
    # [U] items are configurable and off by default (docs/rules.md, status labels).
    assert Exclusion.objects.get(code="R41-NR-2").enabled is False
    assert Exclusion.objects.get(code="R41-NR-3").mode == "warning"
    # R260 termination is fileable with the best-known process, flagged [P] (issue #14).
    r260_termination = ProcessTemplate.objects.get(
        regulation__code="R260", form="termination", scope="same_level"
    )
    assert r260_termination.enabled is True and r260_termination.needs_legal_review is True


def test_regimes_have_their_periods_and_forms(catalog: CatalogVersion) -> None:
    regs = {r.code: r for r in Regulation.objects.filter(version=catalog)}
    assert (
        str(regs["R260"].in_force_from) == "2009-10-02"
        and str(regs["R260"].in_force_to) == "2021-11-02"
    )
    assert (
        str(regs["R41"].in_force_from) == "2021-11-03"
        and str(regs["R41"].in_force_to) == "2025-10-07"
    )
    assert str(regs["R377"].in_force_from) == "2025-10-08" and regs["R377"].in_force_to is None
    assert sorted(regs["R41"].forms) == ["dismissal", "resignation"]
    assert (
        sorted(regs["R260"].forms)
        == sorted(regs["R377"].forms)
        == ["dismissal", "resignation", "termination"]
    )


def test_load_catalog_is_idempotent(catalog: CatalogVersion) -> None:
    before = (Ground.objects.count(), StepTemplate.objects.count(), CatalogVersion.objects.count())
    result = load_catalog()
    assert result.created is False and result.updated is False
    assert (
        Ground.objects.count(),
        StepTemplate.objects.count(),
        CatalogVersion.objects.count(),
    ) == before


def _copy_catalog(tmp_path: Path) -> Path:
    target = tmp_path / "catalog"
    shutil.copytree(CATALOG_DIR, target)
    return target


def test_invalid_catalog_is_refused_with_every_problem(
    catalog: CatalogVersion, tmp_path: Path
) -> None:
    target = _copy_catalog(tmp_path)
    data = json.loads((target / "R41.json").read_text(encoding="utf-8"))
    data["grounds"][0]["form"] = "termination"  # R41 has no termination
    data["grounds"][1]["text"]["en"] = ""
    data["processes"][0]["steps"][0]["time_limit"] = "TL-99-9"
    (target / "R41.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(CatalogInvalid) as info:
        load_catalog(target)
    problems = "\n".join(info.value.problems)
    assert "is not a form of R41" in problems
    assert "needs non-empty 'vi' and 'en'" in problems
    assert "TL-99-9" in problems


def test_catalog_version_used_by_a_case_can_no_longer_be_edited(file_case, tmp_path: Path) -> None:
    file_case("dismissal")
    target = _copy_catalog(tmp_path)
    data = json.loads((target / "R377.json").read_text(encoding="utf-8"))
    data["grounds"][0]["text"]["vi"] += " (sửa)"
    (target / "R377.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(CatalogFrozen):
        load_catalog(target)
    # Under a new version label the change loads, and becomes current for new cases.
    manifest = json.loads((target / "catalog.json").read_text(encoding="utf-8"))
    manifest["version"] = new_label = f"{manifest['version']}-edited"
    (target / "catalog.json").write_text(json.dumps(manifest), encoding="utf-8")
    result = load_catalog(target)
    assert result.created is True
    assert CatalogVersion.objects.get(is_current=True).label == new_label
    assert Ground.objects.filter(code="R377-T-1").count() == 2


def test_used_catalog_rows_refuse_edits_but_allow_enabling(file_case) -> None:
    from cases.catalog.loader import CatalogFrozen as Frozen

    file_case("dismissal")
    ground = Ground.objects.get(code="R377-D-4")
    ground.text_vi = "đã sửa"
    with pytest.raises(Frozen):
        ground.save()
    exclusion = Exclusion.objects.get(code="R377-NR-3")
    exclusion.enabled = True
    exclusion.save()  # configuration, not content
    assert Exclusion.objects.get(code="R377-NR-3").enabled is True


def test_every_state_regime_id_of_the_regulations_document_is_in_the_catalog(
    catalog: CatalogVersion,
) -> None:
    """Issue 13: ND138, ND170, NQ96, LGL25, LCBCC25 and their time limits, all of them."""
    doc = Path(settings.BASE_DIR).parent / "shared" / "REGULATIONS.md"
    if not doc.exists():
        doc = Path("/work/shared/REGULATIONS.md")
    text = doc.read_text(encoding="utf-8")
    ids = set(
        re.findall(
            r"^\| ((?:ND138|ND170|NQ96|LGL25|LCBCC25|TL-138|TL-ND170|TL-ND138|TL-NQ96|TL-LGL25)-[-\w.*]+) \|",
            text,
            re.M,
        )
    )
    assert len(ids) >= 75
    known = (
        set(Ground.objects.values_list("code", flat=True))
        | set(Exclusion.objects.values_list("code", flat=True))
        | set(StepTemplate.objects.values_list("code", flat=True))
        | set(TimeLimit.objects.values_list("code", flat=True))
        | set(Provision.objects.values_list("code", flat=True))
    )
    assert sorted(ids - known) == []
    # The eight 2024 dismissal grounds are encoded one by one under ND138-D-2024.
    assert Ground.objects.filter(code__startswith="ND138-D-2024.").count() == 8


def test_state_regimes_carry_their_day_units_and_are_pinned_by_date(
    catalog: CatalogVersion,
) -> None:
    from cases.catalog.rules import regulation_in_force

    assert regulation_in_force(datetime.date(2024, 1, 10), "state_appointed").code == "ND138"
    assert regulation_in_force(datetime.date(2025, 6, 30), "state_appointed").code == "ND138-24"
    assert regulation_in_force(datetime.date(2025, 7, 1), "state_appointed").code == "ND170"
    assert regulation_in_force(datetime.date(2025, 7, 1), "state_elected").code == "LGL25"
    assert regulation_in_force(datetime.date(2025, 7, 1)).code == "R41"  # the Party track
    assert TimeLimit.objects.get(code="TL-138-1").unit == "unqualified_days"
    assert TimeLimit.objects.get(code="TL-138-5").unit == "working_days"
    assert TimeLimit.objects.get(code="TL-ND170-1").unit == "unqualified_days"
    assert TimeLimit.objects.get(code="TL-LGL25-1").unit == "sitting"
    # [U] limits are configurable and off by default (docs/REGULATIONS.md 0.1).
    assert TimeLimit.objects.get(code="TL-ND170-3").enabled is False
    assert Exclusion.objects.get(code="ND170-NR-b").mode == "block"
    band = Exclusion.objects.get(code="NQ96-LC-2")
    assert (band.band_numerator, band.band_denominator, band.band_inclusive) == (2, 3, True)
