"""The official's pages: their current posts and a resignation application for one."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from cases.catalog import rules
from cases.core.errors import CaseError
from cases.models import Appointment, Case, CaseStatus, Form, Ground
from cases.organisation import selectors
from cases.web.common import OFFICIAL, apply_case_error, local_today, posted, role_required
from cases.web.forms import ResignationForm
from cases.workflow import filing as services


def current_appointments(official: object) -> list[Appointment]:
    today = local_today()
    return list(
        Appointment.objects.filter(official=official, term_start__lte=today)
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gt=today))
        .select_related("position", "position__unit", "position__appointing_unit")
        .order_by("term_start")
    )


@require_GET
@role_required(OFFICIAL)
def my_posts(request: HttpRequest) -> HttpResponse:
    official = selectors.official_of(request.user)
    if official is None:  # an administrator without an official record
        raise Http404(_("No official record is linked to your account."))
    posts = []
    for appointment in current_appointments(official):
        open_case = (
            Case.objects.filter(official=official, position=appointment.position)
            .exclude(status=CaseStatus.CLOSED)
            .first()
        )
        posts.append((appointment, open_case))
    cases = (
        Case.objects.filter(official=official)
        .select_related("position", "current_step__template")
        .order_by("-filed_on", "-pk")
    )
    return render(
        request, "cases/my_posts.html", {"official": official, "posts": posts, "cases": list(cases)}
    )


def resignation_grounds() -> list[Ground]:
    regulation = rules.regulation_in_force(local_today())
    return list(regulation.grounds.filter(form=Form.RESIGNATION, deprecated=False).order_by("code"))


@role_required(OFFICIAL)
def resignation_new(request: HttpRequest, appointment_pk: int) -> HttpResponse:
    official = selectors.official_of(request.user)
    if official is None:
        raise Http404(_("No official record is linked to your account."))
    appointment = get_object_or_404(
        Appointment.objects.select_related("position", "position__unit"),
        pk=appointment_pk,
        official=official,
    )
    if appointment not in current_appointments(official):
        raise Http404(_("You no longer hold this post."))
    regulation = rules.regulation_in_force(local_today())
    grounds = resignation_grounds()
    form = ResignationForm(*posted(request), grounds=grounds)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                case = services.submit_resignation(
                    official=official,
                    position=appointment.position,
                    ground_codes=form.cleaned_data["grounds"],
                    statement=form.cleaned_data["statement"],
                    by=request.user,
                    application=form.cleaned_data["application"],
                )
            except CaseError as exc:
                apply_case_error(form, exc)
                status = exc.http_status
            else:
                messages.success(
                    request,
                    _("Your application %(ref)s was submitted. You can follow its progress here.")
                    % {"ref": case.reference},
                )
                return redirect("case_detail", pk=case.pk)
    return render(
        request,
        "cases/resignation_form.html",
        {
            "form": form,
            "appointment": appointment,
            "regulation": regulation,
            "grounds": grounds,
            "chosen": set(form["grounds"].value() or []),
        },
        status=status,
    )
