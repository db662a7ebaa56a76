"""Loading the regulation catalog from ``fixtures/catalog`` — idempotent and validating."""

from __future__ import annotations

import datetime
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction

from cases.models import (
    ActorRole,
    ActorUnit,
    AuthorityScope,
    BallotType,
    BodyType,
    CatalogFrozen,
    CatalogVersion,
    DayUnit,
    DocumentKind,
    Evidence,
    Exclusion,
    ExclusionCondition,
    ExclusionMode,
    Form,
    Ground,
    Instrument,
    ProcessTemplate,
    Provision,
    Regulation,
    StepKind,
    StepTemplate,
    TieRule,
    TimeLimit,
    TrackKind,
    Verification,
    VoteCollective,
    VoteRequiredWhen,
)

CATALOG_DIR = Path(settings.BASE_DIR) / "fixtures" / "catalog"


class CatalogInvalid(Exception):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class LoadResult:
    version: str
    created: bool
    updated: bool
    counts: dict[str, int] = field(default_factory=dict)


def _needs_review(verification: str) -> bool:
    # [P] and [U] items are flagged for a legal reviewer (status labels: docs/rules.md).
    return verification in (Verification.PARTIAL, Verification.UNVERIFIED)


def read_catalog(directory: Path = CATALOG_DIR) -> tuple[dict[str, Any], list[dict[str, Any]], str]:
    manifest = json.loads((directory / "catalog.json").read_text(encoding="utf-8"))
    regulations = [
        json.loads((directory / name).read_text(encoding="utf-8"))
        for name in manifest["regulations"]
    ]
    canonical = json.dumps(
        {"manifest": manifest, "regulations": regulations}, sort_keys=True, ensure_ascii=False
    )
    checksum = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    return manifest, regulations, checksum


def _bilingual(value: Any, where: str, problems: list[str]) -> None:
    if (
        not isinstance(value, dict)
        or not str(value.get("vi", "")).strip()
        or not str(value.get("en", "")).strip()
    ):
        problems.append(f"{where}: needs non-empty 'vi' and 'en' text")


def _review_notes(reg: dict[str, Any], problems: list[str]) -> None:
    items = [
        *reg.get("provisions", []),
        *reg.get("grounds", []),
        *reg.get("exclusions", []),
        *reg.get("time_limits", []),
        *(s for p in reg.get("processes", []) for s in p.get("steps", [])),
    ]
    for item in items:
        if not isinstance(item.get("review_note", ""), str):
            problems.append(f"{item.get('id', '?')}: review_note must be a string")


def validate(regulations: list[dict[str, Any]]) -> list[str]:
    """Every problem in the catalog, as sentences naming the stable ID."""
    problems: list[str] = []
    for reg in regulations:
        _review_notes(reg, problems)
    codes = set()
    for reg in regulations:
        code = reg.get("code", "?")
        if code in codes:
            problems.append(f"{code}: regulation listed twice")
        codes.add(code)
        problems += _regulation_problems(reg, code)
        forms = reg.get("forms", [])
        problems += _provision_problems(reg.get("provisions", []), code, forms)
        problems += _ground_problems(reg.get("grounds", []), code, forms)
        # A State regime's exclusions may name the case's form it maps (MDL-TRK-9).
        mapped = [*forms, *(reg.get("track_forms") or {})]
        problems += _exclusion_problems(reg.get("exclusions", []), code, mapped)
        limits = [item.get("id", "?") for item in reg.get("time_limits", [])]
        problems += _time_limit_problems(reg.get("time_limits", []))
        problems += _process_problems(reg.get("processes", []), code, forms, set(limits))
        problems += _situation_problems(reg, code)
    return problems


def _verified(item: dict[str, Any], where: str) -> list[str]:
    if item.get("verification") not in Verification.values:
        return [f"{where}: verification must be V, P or U"]
    return []


def _duplicates(items: list[dict[str, Any]], what: str) -> list[str]:
    seen: set[str] = set()
    problems = []
    for item in items:
        item_id = item.get("id", "?")
        if item_id in seen:
            problems.append(f"{item_id}: duplicate {what}")
        seen.add(item_id)
    return problems


def _regulation_problems(reg: dict[str, Any], code: str) -> list[str]:
    problems: list[str] = []
    _bilingual(reg.get("title"), f"{code} title", problems)
    try:
        start = datetime.date.fromisoformat(reg["in_force_from"])
        end = datetime.date.fromisoformat(reg["in_force_to"]) if reg.get("in_force_to") else None
        if end is not None and end < start:
            problems.append(f"{code}: in_force_to is before in_force_from")
    except (KeyError, ValueError) as exc:
        problems.append(f"{code}: bad in-force dates ({exc})")
    for form in reg.get("forms", []):
        if form not in Form.values:
            problems.append(f"{code}: unknown form {form!r}")
    if not isinstance(reg.get("withdrawal_needs_review", True), bool):
        problems.append(f"{code}: withdrawal_needs_review must be true or false")
    if reg.get("track", "party") not in ("", *TrackKind.values):
        problems.append(f"{code}: unknown track {reg.get('track')!r}")
    for source, target in (reg.get("track_forms") or {}).items():
        if source not in Form.values or target not in reg.get("forms", []):
            problems.append(f"{code}: track_forms maps {source!r} to a form {code} lacks")
    return problems


def _provision_problems(items: list[dict[str, Any]], code: str, forms: list[str]) -> list[str]:
    problems = _duplicates(items, "provision")
    for item in items:
        pid = item.get("id", "?")
        if not set(item.get("after_forms") or []) <= set(forms):
            problems.append(f"{pid}: after_forms names a form {code} does not have")
        if item.get("kind") not in Provision.Kind.values:
            problems.append(f"{pid}: unknown provision kind {item.get('kind')!r}")
        problems += _verified(item, pid)
        _bilingual(item.get("text"), pid, problems)
    return problems


def _ground_problems(items: list[dict[str, Any]], code: str, forms: list[str]) -> list[str]:
    problems = _duplicates(items, "ground")
    for item in items:
        gid = item.get("id", "?")
        if item.get("form") not in forms:
            problems.append(f"{gid}: form {item.get('form')!r} is not a form of {code}")
        if (item.get("evidence") or "") not in Evidence.values:
            problems.append(f"{gid}: unknown evidence rule {item.get('evidence')!r}")
        problems += _verified(item, gid)
        _bilingual(item.get("text"), gid, problems)
    return problems


def _exclusion_problems(items: list[dict[str, Any]], code: str, forms: list[str]) -> list[str]:
    problems = _duplicates(items, "exclusion")
    for item in items:
        eid = item.get("id", "?")
        if not set(item.get("forms", [])) <= set(forms):
            problems.append(f"{eid}: applies to a form {code} does not have")
        if item.get("condition") not in ExclusionCondition.values:
            problems.append(f"{eid}: unknown condition {item.get('condition')!r}")
        if item.get("mode") not in ExclusionMode.values:
            problems.append(f"{eid}: mode must be block or warning")
        band = item.get("band")
        if (item.get("condition") == ExclusionCondition.LOW_CONFIDENCE_BAND) != bool(band):
            problems.append(f"{eid}: a low-confidence band needs 'band' and only then")
        if band and not (0 < band.get("numerator", 0) < band.get("denominator", 0)):
            problems.append(f"{eid}: band must be a fraction between 0 and 1")
        _bilingual(item.get("text"), eid, problems)
    return problems


def _time_limit_problems(items: list[dict[str, Any]]) -> list[str]:
    problems: list[str] = []
    for item in items:
        tid = item.get("id", "?")
        if item.get("unit") not in DayUnit.values:
            problems.append(f"{tid}: unknown unit {item.get('unit')!r}")
        if item.get("unit") in (
            DayUnit.WORKING_DAYS,
            DayUnit.UNQUALIFIED_DAYS,
        ) and not item.get("days"):
            problems.append(f"{tid}: a day-counted limit needs 'days'")
        ceiling = item.get("extension_ceiling_days")
        if ceiling is not None and item.get("days") and ceiling < item["days"]:
            problems.append(f"{tid}: extension ceiling is below the limit")
        _bilingual(item.get("text"), tid, problems)
        _bilingual(item.get("anchor"), f"{tid} anchor", problems)
    return problems


def _process_problems(
    processes: list[dict[str, Any]], code: str, forms: list[str], limits: set[str]
) -> list[str]:
    problems: list[str] = []
    pairs = set()
    for process in processes:
        key = (process.get("form"), process.get("scope"), process.get("situation") or "")
        where = " ".join(str(part) for part in (code, *key) if part)
        if key in pairs:
            problems.append(f"{where}: process listed twice")
        pairs.add(key)
        if (process.get("instrument") or Instrument.DECISION) not in Instrument.values:
            problems.append(f"{where}: unknown instrument {process.get('instrument')!r}")
        if key[0] not in forms:
            problems.append(f"{where}: form is not a form of {code}")
        if key[1] not in AuthorityScope.values:
            problems.append(f"{where}: unknown scope")
        steps = process.get("steps", [])
        if not steps:
            problems.append(f"{where}: has no steps")
        if sum(1 for s in steps if s.get("kind") == StepKind.DECISION) != 1:
            problems.append(f"{where}: needs exactly one decision step")
        for step in steps:
            problems += _step_problems(step, code, limits)
    return problems


def _situation_problems(reg: dict[str, Any], code: str) -> list[str]:
    """MDL-TRK-8: a process for a situation names the grounds that select it; each is a
    ground of the regime for that form, and selects one process per form and scope."""
    problems: list[str] = []
    grounds = {g.get("id"): g.get("form") for g in reg.get("grounds", [])}
    chosen: dict[tuple[str, str, str], str] = {}
    for process in reg.get("processes", []):
        situation = process.get("situation") or ""
        when = process.get("when_grounds") or []
        where = f"{code} {process.get('form')} {process.get('scope')} {situation}".strip()
        if bool(situation) != bool(when):
            problems.append(f"{where}: a situation needs when_grounds, and only a situation")
        for ground in when:
            if grounds.get(ground) != process.get("form"):
                problems.append(
                    f"{where}: {ground} is not a {process.get('form')} ground of {code}"
                )
            key = (str(process.get("form")), str(process.get("scope")), ground)
            if key in chosen:
                problems.append(f"{where}: {ground} already selects {chosen[key]}")
            chosen[key] = situation
    return problems


def _vote_problems(step: dict[str, Any], sid: str) -> list[str]:
    """MDL-COL-7 / MDL-COL-5: which collective votes, when, and the tie rule."""
    problems: list[str] = []
    if (step.get("vote_collective") or "") not in VoteCollective.values:
        problems.append(f"{sid}: unknown vote_collective {step.get('vote_collective')!r}")
    if (step.get("vote_required_when") or "always") not in VoteRequiredWhen.values:
        problems.append(f"{sid}: unknown vote_required_when")
    if (step.get("tie_rule") or "") not in TieRule.values:
        problems.append(f"{sid}: unknown tie_rule {step.get('tie_rule')!r}")
    if (step.get("ballot") or "") not in ("", *BallotType.values):
        problems.append(f"{sid}: unknown ballot {step.get('ballot')!r}")
    for body_type in step.get("vote_body_types") or []:
        if body_type not in BodyType.values:
            problems.append(f"{sid}: unknown body type {body_type!r}")
    return problems


def _step_problems(step: dict[str, Any], code: str, limits: set[str]) -> list[str]:
    problems: list[str] = []
    sid = step.get("id", "?")
    if step.get("kind") not in StepKind.values:
        problems.append(f"{sid}: unknown step kind {step.get('kind')!r}")
    if step.get("actor_role") not in ActorRole.values:
        problems.append(f"{sid}: unknown actor role {step.get('actor_role')!r}")
    if step.get("actor_unit") not in ActorUnit.values:
        problems.append(f"{sid}: unknown actor unit {step.get('actor_unit')!r}")
    for kind in step.get("requires_documents", []):
        if kind not in DocumentKind.values:
            problems.append(f"{sid}: unknown document kind {kind!r}")
    if step.get("time_limit") and step["time_limit"] not in limits:
        problems.append(f"{sid}: time limit {step['time_limit']} is not in {code}")
    if step.get("requires_vote") and not step.get("vote_threshold"):
        problems.append(f"{sid}: a vote step needs a vote_threshold")
    problems += _verified(step, sid)
    problems += _vote_problems(step, sid)
    _bilingual(step.get("name"), f"{sid} name", problems)
    _bilingual(step.get("description"), f"{sid} description", problems)
    return problems


def _create_regulation(version: CatalogVersion, reg: dict[str, Any]) -> dict[str, int]:
    regulation = Regulation.objects.create(
        version=version,
        code=reg["code"],
        symbol=reg["symbol"],
        title_vi=reg["title"]["vi"],
        title_en=reg["title"]["en"],
        issuer_vi=reg.get("issuer", {}).get("vi", ""),
        issuer_en=reg.get("issuer", {}).get("en", ""),
        signed_on=reg["signed_on"],
        in_force_from=reg["in_force_from"],
        in_force_to=reg.get("in_force_to"),
        forms=reg["forms"],
        withdrawal_needs_review=reg.get("withdrawal_needs_review", True),
        track=reg.get("track", "party"),
        track_forms=reg.get("track_forms") or {},
    )
    Provision.objects.bulk_create(
        Provision(
            regulation=regulation,
            code=p["id"],
            kind=p["kind"],
            article=p.get("article") or "",
            text_vi=p["text"]["vi"],
            text_en=p["text"]["en"],
            verification=p["verification"],
            needs_legal_review=_needs_review(p["verification"]),
            review_note=p.get("review_note") or "",
            after_forms=p.get("after_forms") or [],
        )
        for p in reg.get("provisions", [])
    )
    Ground.objects.bulk_create(
        Ground(
            regulation=regulation,
            code=g["id"],
            form=g["form"],
            clause=g.get("clause") or "",
            evidence=g.get("evidence") or "",
            provisional_copy_of=g.get("provisional_copy_of") or "",
            text_vi=g["text"]["vi"],
            text_en=g["text"]["en"],
            verification=g["verification"],
            needs_legal_review=_needs_review(g["verification"])
            or bool(g.get("provisional_copy_of")),
            review_note=g.get("review_note") or "",
        )
        for g in reg.get("grounds", [])
    )
    Exclusion.objects.bulk_create(
        Exclusion(
            regulation=regulation,
            code=e["id"],
            forms=e["forms"],
            condition=e["condition"],
            mode=e["mode"],
            band_numerator=(e.get("band") or {}).get("numerator"),
            band_denominator=(e.get("band") or {}).get("denominator"),
            band_inclusive=bool((e.get("band") or {}).get("inclusive")),
            enabled=e.get("enabled", True),
            text_vi=e["text"]["vi"],
            text_en=e["text"]["en"],
            verification=e["verification"],
            needs_legal_review=_needs_review(e["verification"]),
            review_note=e.get("review_note") or "",
        )
        for e in reg.get("exclusions", [])
    )
    limits = {}
    for t in reg.get("time_limits", []):
        limits[t["id"]] = TimeLimit.objects.create(
            regulation=regulation,
            code=t["id"],
            anchor_vi=t["anchor"]["vi"],
            anchor_en=t["anchor"]["en"],
            days=t.get("days"),
            unit=t["unit"],
            extension_ceiling_days=t.get("extension_ceiling_days"),
            enabled=t.get("enabled", True),
            text_vi=t["text"]["vi"],
            text_en=t["text"]["en"],
            verification=t["verification"],
            needs_legal_review=_needs_review(t["verification"]),
            review_note=t.get("review_note") or "",
        )
    steps = 0
    for p in reg.get("processes", []):
        process = ProcessTemplate.objects.create(
            regulation=regulation,
            form=p["form"],
            scope=p["scope"],
            situation=p.get("situation") or "",
            when_grounds=p.get("when_grounds") or [],
            instrument=p.get("instrument") or Instrument.DECISION,
            enabled=p.get("enabled", True),
            needs_legal_review=any(_needs_review(s["verification"]) for s in p["steps"]),
        )
        for order, s in enumerate(p["steps"], start=1):
            threshold = s.get("vote_threshold") or {}
            StepTemplate.objects.create(
                process=process,
                order=order,
                code=s["id"],
                name_vi=s["name"]["vi"],
                name_en=s["name"]["en"],
                description_vi=s["description"]["vi"],
                description_en=s["description"]["en"],
                kind=s["kind"],
                actor_role=s["actor_role"],
                actor_unit=s["actor_unit"],
                requires_documents=s.get("requires_documents", []),
                requires_vote=bool(s.get("requires_vote")),
                vote_numerator=threshold.get("numerator", 1),
                vote_denominator=threshold.get("denominator", 2),
                vote_basis=threshold.get("basis", "members"),
                vote_collective=s.get("vote_collective") or "",
                vote_required_when=s.get("vote_required_when") or "always",
                vote_body_types=s.get("vote_body_types") or [],
                tie_rule=s.get("tie_rule") or "",
                ballot=s.get("ballot") or "",
                time_limit=limits.get(s["time_limit"]) if s.get("time_limit") else None,
                internal_target_days=s.get("internal_target_days"),
                completed_by_filing=bool(s.get("completed_by_filing")),
                verification=s["verification"],
                needs_legal_review=_needs_review(s["verification"]),
                review_note=s.get("review_note") or "",
            )
            steps += 1
    return {
        "provisions": len(reg.get("provisions", [])),
        "grounds": len(reg.get("grounds", [])),
        "exclusions": len(reg.get("exclusions", [])),
        "time_limits": len(limits),
        "processes": len(reg.get("processes", [])),
        "steps": steps,
    }


def _delete_version_rows(version: CatalogVersion) -> None:
    regs = Regulation.objects.filter(version=version)
    StepTemplate.objects.filter(process__regulation__in=regs).delete()
    ProcessTemplate.objects.filter(regulation__in=regs).delete()
    TimeLimit.objects.filter(regulation__in=regs).delete()
    for model in (Provision, Ground, Exclusion):
        model.objects.filter(regulation__in=regs).delete()
    regs.delete()


@transaction.atomic
def load_catalog(directory: Path = CATALOG_DIR) -> LoadResult:
    """Load the catalog; a no-op when the same version with the same content is loaded.

    Changed content under a version that a case already uses is refused: give it a new
    version label instead, and the new version becomes current for new cases.
    """
    manifest, regulations, checksum = read_catalog(directory)
    problems = validate(regulations)
    if problems:
        raise CatalogInvalid(problems)
    label = str(manifest["version"])
    existing = CatalogVersion.objects.select_for_update().filter(label=label).first()
    if existing is not None and existing.checksum == checksum:
        if not existing.is_current:
            CatalogVersion.objects.filter(is_current=True).update(is_current=False)
            CatalogVersion.objects.filter(pk=existing.pk).update(is_current=True)
        return LoadResult(version=label, created=False, updated=False)
    if existing is not None and existing.is_used:
        raise CatalogFrozen(
            f"Catalog version {label} is used by cases and can no longer be edited; "
            "load the changed catalog under a new version label."
        )
    totals: dict[str, int] = {}
    if existing is not None:
        _delete_version_rows(existing)
        existing.checksum = checksum
        existing.save(update_fields=["checksum"])
        version = existing
    else:
        version = CatalogVersion.objects.create(label=label, checksum=checksum)
    for reg in regulations:
        for key, value in _create_regulation(version, reg).items():
            totals[key] = totals.get(key, 0) + value
    CatalogVersion.objects.filter(is_current=True).exclude(pk=version.pk).update(is_current=False)
    CatalogVersion.objects.filter(pk=version.pk).update(is_current=True)
    return LoadResult(
        version=label, created=existing is None, updated=existing is not None, counts=totals
    )
