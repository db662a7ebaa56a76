"""Routes of the web interface (included at "/" by ``cadre_exit/urls.py``)."""

from django.urls import path

from cases.web import (
    auditor,
    auth,
    authority,
    cases,
    clerk,
    delegation,
    facts,
    inbox,
    official,
    reports,
    verify,
)

urlpatterns = [
    path("", inbox.inbox, name="inbox"),
    path("login/", auth.SignInView.as_view(), name="login"),
    path("logout/", auth.SignOutView.as_view(), name="logout"),
    # Public: verification of signed decisions (no sign-in) and the signing CA's CRL
    path("verify/", verify.verify, name="verify"),
    path("verify/crl/", verify.crl, name="verify_crl"),
    # Everyone who may see a case
    path("cases/<int:pk>/", cases.case_detail, name="case_detail"),
    path("cases/<int:pk>/act/<slug:action>/", cases.case_action, name="case_action"),
    path(
        "cases/<int:pk>/documents/<int:document_pk>/",
        cases.document_download,
        name="document_download",
    ),
    path("cases/<int:pk>/draft-decision.pdf", cases.draft_decision_pdf, name="draft_decision"),
    path("notifications/", cases.notifications, name="notifications"),
    path("notifications/<int:pk>/read/", cases.notification_read, name="notification_read"),
    path("notifications/read-all/", cases.notifications_read_all, name="notifications_read_all"),
    # Staff (clerk, authority, auditor)
    path("cases/", cases.case_search, name="case_search"),
    path("overdue/", cases.overdue, name="overdue"),
    # Official
    path("my-posts/", official.my_posts, name="my_posts"),
    path("my-posts/<int:appointment_pk>/resign/", official.resignation_new, name="resignation_new"),
    # Clerk
    path("cases/new/", clerk.file_case, name="case_new"),
    path("officials/<int:pk>/facts/", facts.official_facts, name="official_facts"),
    path("collectives/", facts.collectives, name="collectives"),
    path("collectives/<int:pk>/", facts.collective_detail, name="collective_detail"),
    # Authority
    path("decisions/", authority.decisions, name="decisions"),
    path("delegations/", delegation.delegations, name="delegations"),
    # Auditor
    path("cases/<int:pk>/history/", auditor.case_history, name="case_history"),
    path("cases/<int:pk>/history.csv", auditor.case_history_csv, name="case_history_csv"),
    path("cases/<int:pk>/history.json", auditor.case_history_json, name="case_history_json"),
    path("cases/<int:pk>/as-of/", auditor.case_as_of, name="case_as_of"),
    # Statistics (clerk, authority, auditor) and the historic import (clerk)
    path("reports/", reports.dashboard, name="reports"),
    path("reports/export/<slug:table>.<slug:fmt>", reports.export, name="report_export"),
    path("reports/national/", reports.national, name="national_table"),
    path("reports/national.pdf", reports.national_pdf, name="national_table_pdf"),
    path("reports/import/", reports.import_page, name="import_cases"),
    path("reports/import/<int:pk>/", reports.import_job, name="import_job"),
    path("reports/import/<int:pk>/status/", reports.import_job_status, name="import_job_status"),
]
