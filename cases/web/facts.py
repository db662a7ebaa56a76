"""The official's facts page (MDL-COL-8) and the collective bodies' roster pages (MDL-COL-1/2)."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases.catalog import rules
from cases.core.errors import CaseError, NotFound
from cases.models import (
    AnnualRating,
    BodyType,
    DisciplineForm,
    FactKind,
    OfficialFact,
    PollRegime,
    RosterMember,
)
from cases.models.facts import fact_summary
from cases.organisation import collectives as collective_service
from cases.organisation import facts as fact_service
from cases.organisation import selectors
from cases.web.common import apply_case_error, local_today, posted, signed_in
from cases.web.forms import DateInput

# Typed dd/mm/yyyy whatever the browser's locale (forms.DateInput says why).
DATE_INPUT = {
    "input_formats": ["%d/%m/%Y", "%Y-%m-%d"],
    "widget": DateInput,
}


def _blank(choices: Any) -> list[tuple[str, Any]]:
    return [("", gettext_lazy("Choose..."))] + list(choices)


class FactForm(forms.Form):
    """Every kind's fields; the service checks the ones the chosen kind needs."""

    kind = forms.ChoiceField(label=gettext_lazy("Kind of fact"), choices=_blank(FactKind.choices))
    started_on = forms.DateField(label=gettext_lazy("Date or start"), required=False, **DATE_INPUT)
    ended_on = forms.DateField(label=gettext_lazy("End (if any)"), required=False, **DATE_INPUT)
    body = forms.CharField(
        label=gettext_lazy("Deciding or competent body"), required=False, max_length=300
    )
    document = forms.CharField(
        label=gettext_lazy("Document (number and date)"), required=False, max_length=300
    )
    form = forms.ChoiceField(
        label=gettext_lazy("Disciplinary form"),
        required=False,
        choices=_blank(DisciplineForm.choices),
    )
    effective_on = forms.DateField(
        label=gettext_lazy("Discipline effective on"), required=False, **DATE_INPUT
    )
    task = forms.CharField(label=gettext_lazy("Protected task"), required=False, max_length=1000)
    regime = forms.ChoiceField(
        label=gettext_lazy("Poll rules"), required=False, choices=_blank(PollRegime.choices)
    )
    ballots_issued = forms.IntegerField(
        label=gettext_lazy("Ballots issued"), required=False, min_value=0
    )
    ballots_valid = forms.IntegerField(
        label=gettext_lazy("Valid ballots"), required=False, min_value=0
    )
    high = forms.IntegerField(label=gettext_lazy("High confidence"), required=False, min_value=0)
    confidence = forms.IntegerField(label=gettext_lazy("Confidence"), required=False, min_value=0)
    low = forms.IntegerField(label=gettext_lazy("Low confidence"), required=False, min_value=0)
    no_confidence = forms.IntegerField(
        label=gettext_lazy("No confidence"), required=False, min_value=0
    )
    rating = forms.ChoiceField(
        label=gettext_lazy("Annual rating"), required=False, choices=_blank(AnnualRating.choices)
    )
    year = forms.IntegerField(
        label=gettext_lazy("Assessed year"), required=False, min_value=1990, max_value=2100
    )
    ground_code = forms.CharField(
        label=gettext_lazy("Dismissal ground (stable ID)"), required=False, max_length=32
    )
    corrects = forms.IntegerField(
        label=gettext_lazy("Corrects fact no."), required=False, min_value=1
    )
    withdraw = forms.BooleanField(label=gettext_lazy("Withdraw the corrected fact"), required=False)
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def engine_data(self) -> dict[str, Any]:
        data = {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}
        if data.get("corrects"):
            corrected = OfficialFact.objects.filter(pk=data["corrects"]).first()
            data.setdefault("kind", corrected.kind if corrected else "")
        return data


def _official_or_404(request: HttpRequest, pk: int) -> Any:
    try:
        return fact_service.get_official_for_user(request.user, pk)
    except NotFound as exc:
        raise Http404(_("Official not found.")) from exc


@signed_in
def official_facts(request: HttpRequest, pk: int) -> HttpResponse:
    official = _official_or_404(request, pk)
    may_record = fact_service.may_record_facts(request.user, official)
    if request.method == "POST" and not may_record:
        raise PermissionDenied(
            _("Only a clerk of the official's units records facts about the official.")
        )
    form = FactForm(*posted(request)) if may_record else None
    status = 200
    if request.method == "POST" and form is not None:
        status = 400
        if form.is_valid():
            try:
                fact = fact_service.record_fact(
                    official=official,
                    by=request.user,
                    data=form.engine_data(),
                    reason=form.cleaned_data.get("reason") or "",
                )
            except CaseError as exc:
                apply_case_error(form, exc)
                status = exc.http_status
            else:
                messages.success(
                    request,
                    _("The fact was recorded as no. %(seq)s of the history.") % {"seq": fact.seq},
                )
                return redirect("official_facts", pk=official.pk)
    facts = list(official.facts.select_related("corrects").order_by("-seq"))
    current = {f.pk for f in fact_service.current_facts(official)}
    rows = []
    for fact in facts:
        bands = (
            rules.poll_bands(fact)
            if fact.kind == FactKind.CONFIDENCE_POLL
            else rules.confidence_vote_bands(fact)
            if fact.kind == FactKind.CONFIDENCE_VOTE
            else []
        )
        rows.append(
            {
                "fact": fact,
                "summary": fact_summary(fact),
                "current": fact.pk in current,
                "bands": bands,
            }
        )
    return render(
        request,
        "cases/official_facts.html",
        {
            "official": official,
            "rows": rows,
            "form": form,
            "chain": fact_service.verify_official_chain(official.pk),
            "wait": fact_service.reappointment_wait(official),
        },
        status=status,
    )


# --- collective bodies ---------------------------------------------------------------------


class CollectiveForm(forms.Form):
    unit = forms.ChoiceField(label=gettext_lazy("Unit"))
    body_type = forms.ChoiceField(label=gettext_lazy("Type"), choices=BodyType.choices)
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    term = forms.CharField(label=gettext_lazy("Term"), max_length=40, required=False)
    valid_from = forms.DateField(label=gettext_lazy("Valid from"), **DATE_INPUT)

    def __init__(
        self, *args: Any, units: list[tuple[int, str]] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [(str(pk), name) for pk, name in units or []]


class MemberForm(forms.Form):
    full_name = forms.CharField(label=gettext_lazy("Full name"), max_length=120)
    role_in_body = forms.CharField(
        label=gettext_lazy("Role in the body"), max_length=80, required=False
    )
    valid_from = forms.DateField(label=gettext_lazy("Member from"), **DATE_INPUT)
    valid_to = forms.DateField(label=gettext_lazy("Member until"), required=False, **DATE_INPUT)
    decision = forms.CharField(label=gettext_lazy("Decision"), max_length=120, required=False)


class EndMemberForm(forms.Form):
    member = forms.IntegerField(widget=forms.HiddenInput)
    valid_to = forms.DateField(label=gettext_lazy("Last day of membership"), **DATE_INPUT)
    end_decision = forms.CharField(label=gettext_lazy("Decision"), max_length=120, required=False)
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=4000)


class QuorumForm(forms.Form):
    """MDL-COL-6: a share of the roster that must be present; both empty: no quorum."""

    quorum_numerator = forms.IntegerField(
        label=gettext_lazy("Quorum: numerator"), min_value=1, max_value=1000, required=False
    )
    quorum_denominator = forms.IntegerField(
        label=gettext_lazy("Quorum: denominator"), min_value=1, max_value=1000, required=False
    )
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=4000)


def _clerk_units(request: HttpRequest) -> list[tuple[int, str]]:
    units = selectors.units_visible_to(request.user).order_by("path")
    return [(u.pk, u.name) for u in units if collective_service.may_keep_roster(request.user, u)]


@signed_in
def collectives(request: HttpRequest) -> HttpResponse:
    on = _day(request.GET.get("on"))
    units = _clerk_units(request)
    form = CollectiveForm(*posted(request), units=units) if units else None
    status = 200
    if request.method == "POST":
        if form is None:
            raise PermissionDenied(_("Only the unit's clerks keep its collective bodies."))
        status = 400
        if form.is_valid():
            unit = selectors.units_visible_to(request.user).get(pk=form.cleaned_data["unit"])
            try:
                body = collective_service.create_collective(
                    unit=unit,
                    body_type=form.cleaned_data["body_type"],
                    name=form.cleaned_data["name"],
                    term=form.cleaned_data["term"],
                    valid_from=form.cleaned_data["valid_from"],
                    by=request.user,
                )
            except CaseError as exc:
                apply_case_error(form, exc)
                status = exc.http_status
            else:
                return redirect("collective_detail", pk=body.pk)
    bodies = collective_service.collectives_visible_to(request.user).order_by(
        "unit__path", "body_type", "pk"
    )
    rows = [(b, b.size_on(on)) for b in bodies]
    return render(
        request, "cases/collectives.html", {"rows": rows, "on": on, "form": form}, status=status
    )


def _day(raw: str | None) -> datetime.date:
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.datetime.strptime(str(raw), fmt).date()
        except (TypeError, ValueError):
            continue
    return local_today()


def _save_roster_form(request: HttpRequest, body: Any, which: str, bound: forms.Form) -> None:
    """Apply one of the collective page's forms through its service (raises CaseError)."""
    data = bound.cleaned_data
    if which == "add":
        collective_service.add_member(body=body, by=request.user, data=data)
    elif which == "quorum":
        collective_service.set_quorum(
            body=body,
            numerator=data["quorum_numerator"],
            denominator=data["quorum_denominator"],
            reason=data["reason"],
            by=request.user,
        )
    else:
        member = RosterMember.objects.filter(body=body, pk=data["member"]).first()
        if member is None:
            raise Http404(_("Member not found."))
        collective_service.end_member(
            member=member,
            valid_to=data["valid_to"],
            end_decision=data["end_decision"],
            reason=data["reason"],
            by=request.user,
        )


ROSTER_FORMS = ("add", "end", "quorum")


@signed_in
def collective_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        body = collective_service.get_collective_for_user(request.user, pk)
    except NotFound as exc:
        raise Http404(_("Collective body not found.")) from exc
    on = _day(request.GET.get("on"))
    may_keep = collective_service.may_keep_roster(request.user, body.unit)
    which = None
    if request.method == "POST":
        # The forms are told apart by their marker field or by their prefix.
        which = request.POST.get("form") or next(
            (p for p in ROSTER_FORMS if any(k.startswith(f"{p}-") for k in request.POST)), None
        )
    if request.method == "POST" and not may_keep:
        raise PermissionDenied(_("Only the unit's clerks keep the roster of its bodies."))
    data = request.POST if which in ROSTER_FORMS else None
    bound_forms: dict[str, forms.Form] = {
        "add": MemberForm(data if which == "add" else None, prefix="add"),
        "end": EndMemberForm(data if which == "end" else None, prefix="end"),
        "quorum": QuorumForm(
            data if which == "quorum" else None,
            prefix="quorum",
            initial={
                "quorum_numerator": body.quorum_numerator,
                "quorum_denominator": body.quorum_denominator,
            },
        ),
    }
    status = 200
    if which in ROSTER_FORMS:
        status = 400
        bound = bound_forms[which]
        if bound.is_valid():
            try:
                _save_roster_form(request, body, which, bound)
            except CaseError as exc:
                apply_case_error(bound, exc)
                status = exc.http_status
            else:
                messages.success(
                    request,
                    _("The quorum was saved.")
                    if which == "quorum"
                    else _("The roster was updated."),
                )
                return redirect("collective_detail", pk=body.pk)
    roster = list(body.roster_on(on))
    return render(
        request,
        "cases/collective_detail.html",
        {
            "body": body,
            "on": on,
            "roster": roster,
            "history": list(body.members.order_by("valid_from", "pk")),
            "events": list(body.events.order_by("-seq")[:50]),
            "chain_valid": collective_service.verify_collective_chain(body.pk),
            "may_keep": may_keep,
            "add": bound_forms["add"],
            "end": bound_forms["end"],
            "quorum": bound_forms["quorum"],
            "quorum_needed": body.quorum_of(len(roster)),
            "form": bound_forms[which] if which in ROSTER_FORMS else bound_forms["add"],
        },
        status=status,
    )
