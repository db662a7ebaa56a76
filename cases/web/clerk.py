"""The clerk's filing page: dismissal and termination cases, and resignations received."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from cases.core.errors import CaseError
from cases.models import Appointment, DocumentKind, Form, Ground, Role
from cases.organisation import selectors
from cases.web.common import CLERK, apply_case_error, local_today, posted, role_required
from cases.web.forms import FileCaseForm
from cases.workflow import engine as workflow
from cases.workflow import filing as services


def appointments_in_scope(user: Any) -> list[Appointment]:
    """Current holders of posts that the user's clerk bodies may file cases about."""
    today = local_today()
    qs = (
        Appointment.objects.filter(term_start__lte=today)
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gt=today))
        .select_related("official", "position", "position__unit")
        .order_by("position__unit__path", "official__full_name")
    )
    if not selectors.is_admin(user):
        units = selectors.acting_units(user, Role.CLERK)
        qs = qs.filter(Q(position__unit_id__in=units) | Q(position__appointing_unit_id__in=units))
    own = selectors.official_of(user)
    if own is not None:
        qs = qs.exclude(official=own)
    return list(qs)


def appointment_label(appointment: Appointment) -> str:
    return f"{appointment.official.full_name} — {appointment.position.title} ({appointment.position.unit.name})"


def filing_grounds() -> list[Ground]:
    return list(
        Ground.objects.filter(regulation__version__is_current=True, deprecated=False)
        .select_related("regulation")
        .order_by("regulation__in_force_from", "form", "code")
    )


def _case_forms(regulation: Any, track_form: str) -> str:
    """The case forms whose track carries ``track_form`` under ``regulation`` (MDL-TRK-9):
    a State regime's grounds are offered for every form its track maps (a resignation of
    an elected post is a dismissal on the Council's track, where LGL25-NR-1 is chosen)."""
    return " ".join(f for f in Form.values if regulation.form_on_track(f) == track_form)


@role_required(CLERK)
def file_case(request: HttpRequest) -> HttpResponse:
    appointments = {a.pk: a for a in appointments_in_scope(request.user)}
    grounds = filing_grounds()
    form = FileCaseForm(
        *posted(request),
        appointments=[(pk, appointment_label(a)) for pk, a in appointments.items()],
        grounds=grounds,
        initial={"form": request.GET.get("form", "")},
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            appointment = appointments[int(data["appointment"])]
            is_resignation = data["form"] == Form.RESIGNATION
            try:
                case = services.file_case(
                    form=data["form"],
                    official=appointment.official,
                    position=appointment.position,
                    ground_codes=data["grounds"],
                    statement=data["statement"],
                    by=request.user,
                    filed_on=data.get("filed_on"),
                    application=data["document"] if is_resignation else None,
                )
            except CaseError as exc:
                apply_case_error(form, exc)
                status = exc.http_status
            else:
                messages.success(request, _("Case %(ref)s was filed.") % {"ref": case.reference})
                if data.get("document") and not is_resignation:
                    try:
                        workflow.perform(
                            case_id=case.pk,
                            user=request.user,
                            action=workflow.ATTACH_DOCUMENT,
                            data={"kind": DocumentKind.EVIDENCE},
                            upload=data["document"],
                        )
                    except CaseError as exc:
                        messages.error(
                            request,
                            _(
                                "The evidence could not be attached: %(error)s Attach it from the case page."
                            )
                            % {"error": exc},
                        )
                return redirect("case_detail", pk=case.pk)
    chosen = set(form["grounds"].value() or [])
    regimes: dict[str, dict[str, Any]] = {}
    for ground in grounds:
        entry = regimes.setdefault(
            ground.regulation.code, {"regulation": ground.regulation, "forms": {}}
        )
        entry["forms"].setdefault(ground.form, []).append(ground)
    groups = [
        {
            "regulation": entry["regulation"],
            "forms": [
                (code, Form(code).label, items, _case_forms(entry["regulation"], code))
                for code, items in entry["forms"].items()
            ],
        }
        for entry in regimes.values()
    ]
    return render(
        request,
        "cases/file_case.html",
        {"form": form, "groups": groups, "chosen": chosen, "today": local_today()},
        status=status,
    )
