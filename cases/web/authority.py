"""The authority's register of decisions taken by their bodies."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from cases.models import Decision, Role
from cases.organisation import selectors
from cases.web.common import AUTHORITY, role_required


@require_GET
@role_required(AUTHORITY)
def decisions(request: HttpRequest) -> HttpResponse:
    visible = selectors.cases_visible_to(request.user).values("pk")
    qs = Decision.objects.filter(case__in=visible)
    if not selectors.is_admin(request.user):
        units = selectors.acting_units(request.user, Role.AUTHORITY)
        qs = qs.filter(Q(issuing_unit_id__in=units) | Q(signer=request.user))
    qs = qs.select_related(
        "case", "case__official", "case__position", "issuing_unit", "on_behalf_of"
    ).order_by("-decided_on", "-pk")
    page = Paginator(qs, 30).get_page(request.GET.get("page"))
    return render(request, "cases/decisions.html", {"page": page})
