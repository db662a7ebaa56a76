"""Statistics dashboard, its exports, the national table, and the historic import pages.

Clerks, authorities and auditors see the figures of their own scope
(``cases_visible_to``); clerks and administrators import historic cases.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from cases.core.errors import CaseError
from cases.historic.imports import (
    COLUMNS,
    file_problems,
    job_progress,
    read_limited,
    start_import_job,
)
from cases.models import Form, ImportJob, Level, Regulation
from cases.organisation import selectors
from cases.reports.exports import (
    CSV_CONTENT_TYPE,
    XLSX_CONTENT_TYPE,
    national_table_pdf,
    table_csv,
    table_xlsx,
)
from cases.reports.statistics import (
    COUNTING_NOTE,
    LEVEL_VIEWS,
    TABLE_KEYS,
    ReportFilters,
    dashboard_tables,
    filter_report_cases,
    national_table,
)
from cases.web.common import (
    ADMIN,
    AUDITOR,
    AUTHORITY,
    CLERK,
    local_today,
    posted,
    role_required,
    roles_for,
)
from cases.web.forms import DateInput
from cases.web.inbox import regime_choices, unit_choices

REPORT_ROLES = (CLERK, AUTHORITY, AUDITOR)


def _choices(items: list[tuple[Any, Any]], blank: Any = None) -> list[tuple[Any, Any]]:
    return [("", blank if blank is not None else gettext_lazy("All"))] + items


class ReportFilterForm(forms.Form):
    form = forms.ChoiceField(label=gettext_lazy("Form"), required=False)
    regulation = forms.ChoiceField(label=gettext_lazy("Regulation"), required=False)
    unit = forms.ChoiceField(label=gettext_lazy("Unit"), required=False)
    date_from = forms.DateField(label=gettext_lazy("From"), required=False, widget=DateInput)
    date_to = forms.DateField(label=gettext_lazy("To"), required=False, widget=DateInput)
    date = forms.ChoiceField(
        label=gettext_lazy("Dates and years by"),
        required=False,
        choices=[
            ("filed", gettext_lazy("Filing date")),
            ("decided", gettext_lazy("Decision date")),
        ],
    )
    levels = forms.ChoiceField(
        label=gettext_lazy("Levels"),
        required=False,
        choices=[
            ("event", gettext_lazy("At the time of the case (four levels)")),
            ("current", gettext_lazy("Current structure (districts rolled up to their province)")),
        ],
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["form"].choices = _choices(list(Form.choices))
        self.fields["regulation"].choices = _choices(regime_choices())
        self.fields["unit"].choices = _choices([(str(pk), name) for pk, name in unit_choices(user)])

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date is before the start date."))
        return data

    def filters(self) -> ReportFilters:
        """The filters asked for, or none when the form is not valid (errors are shown)."""
        if not self.is_bound or not self.is_valid():
            return ReportFilters()
        data = self.cleaned_data
        unit = None
        if data.get("unit"):
            unit = selectors.units_visible_to(self.user).filter(pk=data["unit"]).first()
        return ReportFilters(
            form=data.get("form") or "",
            regulation=data.get("regulation") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            unit=unit,
            date_basis=data.get("date") or "filed",
            levels=data.get("levels") if data.get("levels") in LEVEL_VIEWS else "event",
        )


def _filters(request: HttpRequest) -> tuple[ReportFilterForm, ReportFilters]:
    form = ReportFilterForm(request.GET or None, user=request.user)
    return form, form.filters()


def _query(request: HttpRequest) -> str:
    query = request.GET.copy()
    for key in ("page", "format"):
        query.pop(key, None)
    return query.urlencode()


def filters_text(filters: ReportFilters) -> str:
    """The filters in words, printed above exported tables."""
    parts = []
    if filters.form:
        parts.append(str(Form(filters.form).label))
    if filters.regulation:
        parts.append(filters.regulation)
    if filters.unit is not None:
        parts.append(filters.unit.name)
    if filters.date_from or filters.date_to:
        basis = _("decided") if filters.date_basis == "decided" else _("filed")
        start = filters.date_from.strftime("%d/%m/%Y") if filters.date_from else "…"
        end = filters.date_to.strftime("%d/%m/%Y") if filters.date_to else "…"
        parts.append(f"{basis} {start} – {end}")
    if filters.levels == "current":
        parts.append(_("levels in the current structure"))
    return " · ".join(parts) if parts else _("All cases in your scope")


@require_GET
@role_required(*REPORT_ROLES)
def dashboard(request: HttpRequest) -> HttpResponse:
    form, filters = _filters(request)
    today = local_today()
    cases = filter_report_cases(selectors.cases_visible_to(request.user), filters)
    tables = dashboard_tables(cases, filters, today=today)
    return render(
        request,
        "reports/dashboard.html",
        {
            "form": form,
            "filters": filters,
            "filters_text": filters_text(filters),
            "tables": tables,
            "charts": {t.key: t.chart for t in tables},
            "total": cases.count(),
            "imported": cases.filter(imported=True).count(),
            "counting_note": COUNTING_NOTE,
            "query": _query(request),
            "may_import": bool(roles_for(request.user) & {CLERK, ADMIN}),
        },
    )


@require_GET
@role_required(*REPORT_ROLES)
def export(request: HttpRequest, table: str, fmt: str) -> HttpResponse:
    if table not in TABLE_KEYS or fmt not in ("csv", "xlsx"):
        raise Http404(_("No such table."))
    _form, filters = _filters(request)
    cases = filter_report_cases(selectors.cases_visible_to(request.user), filters)
    (report,) = dashboard_tables(cases, filters, today=local_today(), only=table)
    stamp = local_today().strftime("%Y%m%d")
    if fmt == "csv":
        response = HttpResponse(table_csv(report), content_type=CSV_CONTENT_TYPE)
    else:
        response = HttpResponse(
            table_xlsx(report, filters_text=filters_text(filters)), content_type=XLSX_CONTENT_TYPE
        )
    response["Content-Disposition"] = f'attachment; filename="{table}-{stamp}.{fmt}"'
    return response


class NationalTableForm(ReportFilterForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["form"].choices = list(Form.choices)
        self.fields["form"].required = True
        self.fields["regulation"].choices = regime_choices()
        self.fields["regulation"].required = True
        del self.fields["date"]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        form, code = data.get("form"), data.get("regulation")
        if form and code:
            regulation = Regulation.objects.filter(version__is_current=True, code=code).first()
            if regulation is not None and form not in regulation.forms:
                self.add_error(
                    "form", _("%(reg)s does not provide this form.") % {"reg": regulation.symbol}
                )
        return data


def _national(request: HttpRequest) -> tuple[NationalTableForm, Any, ReportFilters]:
    data = request.GET.copy()
    today = local_today()
    current = (
        Regulation.objects.filter(version__is_current=True, in_force_from__lte=today)
        .order_by("-in_force_from")
        .first()
    )
    data.setdefault("form", Form.RESIGNATION)
    data.setdefault("regulation", current.code if current else "")
    form = NationalTableForm(data, user=request.user)
    if not form.is_valid():
        return form, None, ReportFilters()
    filters = form.filters()
    scoped = filter_report_cases(
        selectors.cases_visible_to(request.user),
        ReportFilters(date_from=filters.date_from, date_to=filters.date_to, unit=filters.unit),
    )
    table = national_table(
        scoped, form=filters.form, regulation=filters.regulation, levels=filters.levels
    )
    return form, table, filters


def _national_titles(table: Any, filters: ReportFilters) -> tuple[str, str]:
    regulation = Regulation.objects.filter(version__is_current=True, code=table.regulation).first()
    title = _("%(form)s by ground and level") % {"form": Form(table.form).label}
    subtitle = " · ".join(
        p
        for p in [
            regulation.symbol if regulation else table.regulation,
            filters.unit.name if filters.unit else "",
            _("levels at the time of the case")
            if filters.levels != "current"
            else _("levels in the current structure"),
        ]
        if p
    )
    return title, subtitle


@require_GET
@role_required(*REPORT_ROLES)
def national(request: HttpRequest) -> HttpResponse:
    form, table, filters = _national(request)
    context: dict[str, Any] = {"form": form, "table": table, "query": _query(request)}
    if table is not None:
        context["title"], context["subtitle"] = _national_titles(table, filters)
        context["level_labels"] = [Level(lv).label for lv in table.levels]
    return render(request, "reports/national_table.html", context)


@require_GET
@role_required(*REPORT_ROLES)
def national_pdf(request: HttpRequest) -> HttpResponse:
    form, table, filters = _national(request)
    if table is None:
        return redirect(f"{reverse('national_table')}?{_query(request)}")
    title, subtitle = _national_titles(table, filters)
    pdf = national_table_pdf(
        table,
        title=title,
        subtitle=subtitle,
        scope=filters_text(filters),
        generated_on=local_today(),
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    stamp = local_today().strftime("%Y%m%d")
    response["Content-Disposition"] = (
        f'attachment; filename="national-table-{table.regulation}-{table.form}-{stamp}.pdf"'
    )
    return response


# --------------------------------------------------------------------------- historic import


class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("CSV file"),
        help_text=gettext_lazy("UTF-8, with a header row naming the columns."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if not upload.size:
            raise forms.ValidationError(_("The file is empty."))
        if upload.size > settings.IMPORT_MAX_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(mb)s MB; split it into smaller files.")
                % {"mb": settings.IMPORT_MAX_BYTES // (1024 * 1024)}
            )
        problems = file_problems(read_limited(upload, settings.IMPORT_MAX_BYTES))
        if problems:
            raise forms.ValidationError([p.message for p in problems])
        upload.seek(0)
        return upload


@role_required(CLERK)
def import_page(request: HttpRequest) -> HttpResponse:
    form = ImportForm(*posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            job = start_import_job(upload=form.cleaned_data["file"], by=request.user)
        except CaseError as exc:
            form.add_error("file", str(exc.message))
        else:
            return redirect("import_job", pk=job.pk)
    jobs = ImportJob.objects.filter(created_by=request.user).order_by("-created_at")[:10]
    return render(request, "reports/import.html", {"form": form, "jobs": jobs, "columns": COLUMNS})


def _job_for(request: HttpRequest, pk: int) -> ImportJob:
    job = get_object_or_404(ImportJob, pk=pk)
    if job.created_by_id != request.user.pk and ADMIN not in roles_for(request.user):
        raise Http404(_("Import not found."))
    return job


@require_GET
@role_required(CLERK)
def import_job(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job_for(request, pk)
    return render(request, "reports/import_job.html", {"job": job, "progress": job_progress(job)})


@require_GET
@role_required(CLERK)
def import_job_status(request: HttpRequest, pk: int) -> JsonResponse:
    return JsonResponse(job_progress(_job_for(request, pk)))
