"""Decision numbers from the issuing body's register, their symbols and the signing prefix."""

from __future__ import annotations

from typing import Any

from cases.core.types import signed_in
from cases.documents.render import SignerPrefix, printed_prefix
from cases.models import (
    CaseStep,
    DecisionRegister,
    Delegation,
    Instrument,
    Membership,
    Role,
    UnitKind,
)
from cases.workflow.actions import ActionContext


def signing_for(ctx: ActionContext, step: CaseStep) -> tuple[str, Any]:
    """The signing prefix and the head signed for (FMT30 ``TM.``/``KT.``, FMT36 ``T/M``/``K/T``)."""
    unit = step.actor_unit
    own = step.actor_unit_id in [
        m.unit_id
        for m in Membership.objects.current(on=ctx.day).filter(
            user=signed_in(ctx.user), role=Role.AUTHORITY, unit=unit
        )
    ]
    delegation = None
    if not own:
        delegation = (
            Delegation.objects.current(on=ctx.day)
            .filter(deputy=signed_in(ctx.user), unit=unit)
            .select_related("delegator")
            .first()
        )
    party = unit.kind == UnitKind.PARTY
    prefix: SignerPrefix
    if party:  # FMT36: a Party collective signs T/M even when a deputy signs for it
        prefix = "TM" if unit.collective_name else ("KT" if delegation else "")
    else:
        prefix = "KT" if delegation else ("TM" if unit.collective_name else "")
    return printed_prefix(prefix, party=party), delegation.delegator if delegation else None


def next_number(unit_id: int, year: int) -> int:
    """The next number of the register, gapless: taken under the register's row lock."""
    DecisionRegister.objects.get_or_create(unit_id=unit_id, year=year)
    register = DecisionRegister.objects.select_for_update().get(unit_id=unit_id, year=year)
    register.last_number += 1
    register.save(update_fields=["last_number"])
    return register.last_number


# FMT30 type codes of the act that decides a track: Quyết định, Nghị quyết, Báo cáo.
TYPE_CODES = {Instrument.DECISION: "QĐ", Instrument.RESOLUTION: "NQ", Instrument.REPORT: "BC"}


def doc_type_of(track: Any) -> str:
    """MDL-TRK-3: a People's Council decides by a resolution (Nghị quyết, NQ); MDL-TRK-8:
    the track's act comes from its process (a Standing Board's report, BC; the executive
    above's decision, QĐ)."""
    if track is None:
        return "QĐ"
    return TYPE_CODES.get(track.instrument, "QĐ")


def format_symbol(number: int, unit: Any, doc_type: str = "QĐ") -> str:
    code = unit.symbol or ("TU" if unit.kind == UnitKind.PARTY else "UBND")
    if unit.kind == UnitKind.PARTY:
        return f"{number}-{doc_type}/{code}"  # FMT36-3: hyphen, then the body code
    return f"{number:02d}/{doc_type}-{code}"  # FMT30-3: leading zero below 10
