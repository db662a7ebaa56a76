"""The rule reference: ``docs/rules.md`` written from the catalog files.

A pure function of the JSON under ``fixtures/catalog/`` (the data the loader validates
and loads), so the reference can be regenerated and checked without a database:
``python manage.py catalog_doc`` writes it, and a test fails when the committed file
differs from what the catalog says.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from cases.catalog.loader import CATALOG_DIR

STATUS = {
    "V": "[V] verified",
    "P": "[P] partial, needs legal review",
    "U": "[U] unverified, configurable and off by default",
}
SCOPES = {"same_level": "same level", "superior": "superior level"}
UNITS = {"working_days": "working days", "days": "days", "unqualified_days": "days"}
# A limit without a number of days says when in its unit alone (Vietnamese / English, as
# the step names and anchors are written).
NO_DAYS = {
    "sitting": "tại kỳ họp / at a sitting",
    "none": "không quy định thời hạn / no time limit",
}
# Keys rendered by name below; any other key of an item is listed as it is, so the
# reference never hides data the catalog carries.
KNOWN = {
    "id", "code", "text", "verification", "enabled", "kind", "article", "form", "forms",
    "clause", "evidence", "provisional_copy_of", "condition", "mode", "anchor", "days",
    "unit", "extension_ceiling_days", "name", "description", "actor_role", "actor_unit",
    "requires_documents", "requires_vote", "vote_threshold", "time_limit",
    "internal_target_days", "completed_by_filing", "review_note",
}  # fmt: skip


def github_slug(heading: str) -> str:
    """The anchor GitHub gives a Markdown heading (lower case, punctuation dropped)."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def _date(value: str | None) -> str:
    if not value:
        return "—"
    return datetime.date.fromisoformat(value).strftime("%d/%m/%Y")


def _bullet(text: str) -> list[str]:
    """One list item; the lines after the first are indented under its text, so a
    multi-line value stays inside its item."""
    first, *rest = str(text).splitlines() or [""]
    return [f"  - {first}", *[f"    {line}" if line.strip() else "" for line in rest]]


def _bilingual(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [*_bullet(f"vi: {value.get('vi', '')}"), *_bullet(f"en: {value.get('en', '')}")]
    if not value:
        return []
    # A note written "VI: …" and "EN: …" on lines of its own: one item per line.
    return [line for text in str(value).splitlines() if text.strip() for line in _bullet(text)]


def _flags(item: dict[str, Any]) -> str:
    parts = []
    if "verification" in item:
        parts.append(STATUS.get(item["verification"], f"[{item['verification']}]"))
    if "enabled" in item:
        parts.append("enabled" if item["enabled"] else "**off**")
    return "; ".join(parts)


def _extra(item: dict[str, Any], known: Iterable[str] = KNOWN) -> list[str]:
    rest = {
        k: v for k, v in sorted(item.items()) if k not in set(known) and v not in (None, [], "")
    }
    return [f"  - {k}: `{json.dumps(v, ensure_ascii=False)}`" for k, v in rest.items()]


def _review(item: dict[str, Any]) -> list[str]:
    note = item.get("review_note")
    if not note:
        return []
    return ["  - review note (admins only, never shown to users or printed):", *[
        "  " + line for line in _bilingual(note)
    ]]  # fmt: skip


def _item(item: dict[str, Any], heading: str) -> list[str]:
    flags = _flags(item)
    lines = [
        f"- **{item.get('id') or item.get('code')}** {heading}" + (f" — {flags}" if flags else "")
    ]
    lines += _bilingual(item.get("text"))
    return lines + _review(item) + _extra(item)


def _threshold(vote: dict[str, Any] | None) -> str:
    if not vote:
        return "more than half of all members"
    basis = {"members": "all members", "present": "those present"}.get(
        vote.get("basis", ""), vote.get("basis", "")
    )
    return f"more than {vote.get('numerator')}/{vote.get('denominator')} of {basis}"


def _step(number: int, step: dict[str, Any]) -> list[str]:
    name = step.get("name", {})
    flags = _flags(step)
    lines = [
        f"{number}. **{step['id']}** {name.get('vi', '')} / {name.get('en', '')}"
        + (f" — {flags}" if flags else ""),
    ]
    facts = [
        f"kind {step.get('kind')}",
        f"actor {step.get('actor_role')} of the {step.get('actor_unit')} unit",
    ]
    if step.get("requires_documents"):
        facts.append("needs " + ", ".join(step["requires_documents"]))
    if step.get("requires_vote"):
        facts.append("vote: " + _threshold(step.get("vote_threshold")))
    if step.get("time_limit"):
        facts.append(f"time limit {step['time_limit']}")
    elif step.get("internal_target_days"):
        facts.append(f"internal target {step['internal_target_days']} working days")
    else:
        facts.append("untimed")
    if step.get("completed_by_filing"):
        facts.append("completed by the filing")
    lines.append("   - " + "; ".join(facts))
    lines += ["   " + line for line in _bilingual(step.get("description"))]
    lines += ["   " + line for line in _review(step) + _extra(step)]
    return lines


def _limit(limit: dict[str, Any]) -> str:
    unit = limit.get("unit", "")
    if limit.get("days") is None:
        text = NO_DAYS.get(unit, unit or NO_DAYS["none"])
    else:
        text = f"{limit['days']} {UNITS.get(unit, unit)}"
    if limit.get("extension_ceiling_days"):
        text += f", extendable to {limit['extension_ceiling_days']}"
    return text


def _heading(reg: dict[str, Any]) -> str:
    return f"{reg['code']} — {reg.get('symbol', '')}"


def _regulation(reg: dict[str, Any]) -> list[str]:
    title = reg.get("title", {})
    out = [
        f"## {_heading(reg)}",
        "",
        f"{title.get('vi', '')}",
        "",
        f"*{title.get('en', '')}*",
        "",
        f"In force {_date(reg.get('in_force_from'))} – {_date(reg.get('in_force_to'))}; "
        f"signed {_date(reg.get('signed_on'))}"
        + (f" by {reg['issuer'].get('en', '')}" if isinstance(reg.get("issuer"), dict) else "")
        + f". Forms: {', '.join(reg.get('forms', []))}.",
    ]
    extra = _extra(reg, KNOWN | {"symbol", "title", "signed_on", "in_force_from", "in_force_to",
                                 "issuer", "forms", "provisions", "grounds", "exclusions",
                                 "time_limits", "processes"})  # fmt: skip
    if extra:
        out += ["", *extra]
    sections: list[tuple[str, str, Callable[[dict[str, Any]], str]]] = [
        ("Provisions", "provisions", lambda p: f"{p.get('kind', '')}" + (f", {p['article']}" if p.get("article") else "")),
        ("Grounds", "grounds", lambda g: f"{g.get('form', '')}" + (f", clause {g['clause']}" if g.get("clause") else "")),
        ("Exclusions", "exclusions", lambda e: f"{', '.join(e.get('forms', []))} — {e.get('condition', '')} ({e.get('mode', '')})"),
        ("Time limits", "time_limits", _limit),
    ]  # fmt: skip
    for title_, key, heading in sections:
        items = reg.get(key) or []
        if not items:
            continue
        out += ["", f"### {title_}", ""]
        for item in items:
            out += _item(item, heading(item))
            if key == "time_limits" and item.get("anchor"):
                anchor = item["anchor"]
                out.append(f"  - counted from: {anchor.get('vi', '')} / {anchor.get('en', '')}")
    processes = reg.get("processes") or []
    if processes:
        out += ["", "### Processes"]
        for proc in processes:
            scope = SCOPES.get(proc.get("scope", ""), proc.get("scope", ""))
            state = "enabled" if proc.get("enabled", True) else "**off**"
            # MDL-TRK-8: a process for a situation is named by it (the usual one is not).
            variant = f", {proc['situation']}" if proc.get("situation") else ""
            out += ["", f"#### {proc.get('form')}, {scope}{variant} ({state})", ""]
            for n, step in enumerate(proc.get("steps", []), start=1):
                out += _step(n, step)
            out += _extra(proc, KNOWN | {"steps", "scope"})
    return out


def render_reference(directory: Path = CATALOG_DIR) -> str:
    manifest = json.loads((directory / "catalog.json").read_text(encoding="utf-8"))
    regulations = [
        json.loads((directory / name).read_text(encoding="utf-8"))
        for name in manifest["regulations"]
    ]
    out = [
        "# Rule reference",
        "",
        "Generated from `fixtures/catalog/` by `python manage.py catalog_doc` "
        f"(catalog version {manifest['version']}). Do not edit it by hand: a test fails when it "
        "differs from the catalog. Every ID is the stable ID the code cites in its comments.",
        "",
        "Status labels: " + "; ".join(STATUS.values()) + ".",
        "",
        "Contents: "
        + ", ".join(f"[{reg['code']}](#{github_slug(_heading(reg))})" for reg in regulations)
        + ".",
    ]
    for reg in regulations:
        out += ["", *_regulation(reg)]
    return "\n".join(out).rstrip() + "\n"
