"""Delegation of an authority's decisions to a named deputy for a date range."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from cases.core.errors import CaseError
from cases.models import Delegation, Membership, OrgUnit, Role
from cases.organisation import selectors
from cases.web.common import AUTHORITY, apply_case_error, local_today, posted, role_required
from cases.web.forms import DelegationForm
from cases.workflow import filing as services


def own_authority_units(user: Any) -> list[OrgUnit]:
    """Units where the user is an authority in their own right (deputies cannot re-delegate)."""
    if selectors.is_admin(user):
        return list(
            OrgUnit.objects.filter(memberships__role=Role.AUTHORITY).distinct().order_by("path")
        )
    return [m.unit for m in selectors.memberships(user) if m.role == Role.AUTHORITY]


def deputy_choices(user: Any, units: list[OrgUnit]) -> list[tuple[int, str]]:
    today = local_today()
    members = (
        Membership.objects.current(on=today)
        .filter(unit__in=units)
        .exclude(user=user)
        .exclude(role=Role.AUDITOR)
        .select_related("user")
    )
    seen: dict[int, str] = {}
    for membership in members:
        seen[membership.user.pk] = membership.user.get_full_name() or membership.user.get_username()
    return sorted(seen.items(), key=lambda pair: pair[1])


@role_required(AUTHORITY)
def delegations(request: HttpRequest) -> HttpResponse:
    units = own_authority_units(request.user)
    deputies = deputy_choices(request.user, units)
    form = DelegationForm(
        posted(request)[0],
        units=[(u.pk, u.name) for u in units],
        deputies=deputies,
        initial={"valid_from": local_today()},
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            deputy = get_user_model().objects.get(pk=int(data["deputy"]))
            try:
                services.delegate_authority(
                    delegator=request.user,
                    deputy=deputy,
                    unit_id=int(data["unit"]),
                    valid_from=data["valid_from"],
                    valid_to=data["valid_to"],
                    reason=data["reason"],
                )
            except CaseError as exc:
                apply_case_error(form, exc)
                status = exc.http_status
            else:
                messages.success(
                    request,
                    _("%(deputy)s may decide in your name from %(start)s to %(end)s.")
                    % {
                        "deputy": deputy.get_full_name() or deputy.get_username(),
                        "start": data["valid_from"].strftime("%d/%m/%Y"),
                        "end": data["valid_to"].strftime("%d/%m/%Y"),
                    },
                )
                return redirect("delegations")
    given = (
        Delegation.objects.filter(delegator=request.user)
        .select_related("deputy", "unit")
        .order_by("-valid_from")
    )
    received = (
        Delegation.objects.filter(deputy=request.user)
        .select_related("delegator", "unit")
        .order_by("-valid_from")
    )
    return render(
        request,
        "cases/delegations.html",
        {
            "form": form if units else None,
            "given": list(given),
            "received": list(received),
            "today": local_today(),
        },
        status=status,
    )
