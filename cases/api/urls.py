"""URLs of API version 1, included at ``/api/v1/`` with the namespace ``api``."""

from __future__ import annotations

from django.urls import path, re_path, register_converter
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from cases.api import collectives, reports, verify, views
from cases.api.exceptions import not_found


class IdConverter:
    """A positive database id: at most 18 digits, so it always fits a 64-bit integer."""

    regex = "[1-9][0-9]{0,17}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(IdConverter, "id")

app_name = "api"

urlpatterns = [
    path("auth/token/", views.TokenView.as_view(), name="token"),
    path("documents/verify/", verify.VerifyDocumentView.as_view(), name="document-verify"),
    path("catalog/regulations/", views.RegulationListView.as_view(), name="regulations"),
    path("org-units/", views.OrgUnitListView.as_view(), name="org-units"),
    path("org-units/<id:pk>/", views.OrgUnitDetailView.as_view(), name="org-unit"),
    path("officials/", views.OfficialListView.as_view(), name="officials"),
    path("officials/<id:pk>/", views.OfficialDetailView.as_view(), name="official"),
    path(
        "officials/<id:pk>/circumstances/",
        collectives.OfficialFactsView.as_view(),
        name="official-circumstances",
    ),
    path("collectives/", collectives.CollectiveListView.as_view(), name="collectives"),
    path("collectives/<id:pk>/", collectives.CollectiveDetailView.as_view(), name="collective"),
    path(
        "collectives/<id:pk>/quorum/",
        collectives.CollectiveQuorumView.as_view(),
        name="collective-quorum",
    ),
    path(
        "collectives/<id:pk>/members/",
        collectives.RosterMemberListView.as_view(),
        name="collective-members",
    ),
    path(
        "collectives/<id:pk>/members/<id:member>/end/",
        collectives.RosterMemberEndView.as_view(),
        name="collective-member-end",
    ),
    path("positions/", views.PositionListView.as_view(), name="positions"),
    path("positions/<id:pk>/", views.PositionDetailView.as_view(), name="position"),
    path("cases/", views.CaseListView.as_view(), name="cases"),
    path("cases/<id:pk>/", views.CaseDetailView.as_view(), name="case"),
    path("cases/<id:pk>/actions/", views.CaseActionView.as_view(), name="case-actions"),
    path("cases/<id:pk>/events/", views.CaseEventsView.as_view(), name="case-events"),
    path("cases/<id:pk>/events/verify/", views.CaseChainView.as_view(), name="case-events-verify"),
    path("cases/<id:pk>/documents/", views.CaseDocumentsView.as_view(), name="case-documents"),
    path(
        "documents/<id:pk>/download/",
        views.DocumentDownloadView.as_view(),
        name="document-download",
    ),
    path("inbox/", views.InboxView.as_view(), name="inbox"),
    path("calendar/due-date/", views.DueDateView.as_view(), name="due-date"),
    path("reports/statistics/", reports.StatisticsView.as_view(), name="report-statistics"),
    path(
        "reports/decision-times/", reports.DecisionTimesView.as_view(), name="report-decision-times"
    ),
    path("reports/late-steps/", reports.LateStepsView.as_view(), name="report-late-steps"),
    path(
        "reports/national-table/", reports.NationalTableView.as_view(), name="report-national-table"
    ),
    path("imports/cases/", reports.CaseImportView.as_view(), name="import-cases"),
    path(
        "schema/",
        SpectacularAPIView.as_view(),
        name="schema",
    ),
    # The split view serves its init script as a file, as the content-security policy requires.
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="api:schema", template_name="api/swagger_ui.html"
        ),
        name="docs",
    ),
    # Anything else under /api/v1/ answers in the API's error format (a path with a
    # newline, which "." does not match, reaches handler404: the same body).
    re_path(r"^.*$", not_found),
]
