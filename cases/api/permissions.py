"""Role gates checked before any input is read (the finer scope checks live in the services)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import SAFE_METHODS, BasePermission

from cases.historic.imports import may_import
from cases.organisation.selectors import is_admin, roles_of
from cases.organisation.services import may_edit_register


class AdminWrites(BasePermission):
    """Everyone signed in reads; only administrators change (organisation units)."""

    message = _("Only administrators change the organisation units.")

    def has_permission(self, request: Any, view: Any) -> bool:
        return request.method in SAFE_METHODS or is_admin(request.user)


class RegisterWrites(BasePermission):
    """Everyone signed in reads; clerks and administrators change (posts and officials)."""

    message = _("Only clerks and administrators change posts and officials.")

    def has_permission(self, request: Any, view: Any) -> bool:
        return request.method in SAFE_METHODS or may_edit_register(request.user)


REPORT_READER_ROLES = frozenset({"clerk", "authority", "auditor", "admin"})


class ReportReaders(BasePermission):
    """Clerks, authorities, auditors and administrators read the figures of their scope."""

    message = _("Statistics are for clerks, authorities and auditors.")

    def has_permission(self, request: Any, view: Any) -> bool:
        return bool({str(r) for r in roles_of(request.user)} & REPORT_READER_ROLES)


class Importers(BasePermission):
    """Clerks and administrators import historic cases (into their own scope)."""

    message = _("Only clerks and administrators import historic cases.")

    def has_permission(self, request: Any, view: Any) -> bool:
        return may_import(request.user)
