"""Django admin: the catalog (read-only once used), organisation, users, holiday overrides."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin  # registers User first: replaced below
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from cases.documents import keys
from cases.models import (
    Appointment,
    CaseEvent,
    CatalogVersion,
    CollectiveBody,
    Exclusion,
    Ground,
    HolidayOverride,
    Membership,
    Official,
    OfficialFact,
    OrgUnit,
    Position,
    ProcessTemplate,
    Provision,
    Regulation,
    SigningKey,
    SignInThrottle,
    StepTemplate,
    TimeLimit,
    TOTPDevice,
)
from cases.security import lockout
from cases.security.enrolment import issue_enrolment_code

admin.site.site_header = _("cadre_exit administration")
admin.site.site_title = _("cadre_exit")


class CatalogAdmin(admin.ModelAdmin):
    """Catalog rows are data from fixtures/: editable only while no case uses their version.

    ``enabled`` stays editable: it is configuration (switching an unverified rule on
    after legal review), not content.
    """

    editable_when_used: tuple[str, ...] = ("enabled",)

    def _used(self, obj: Any) -> bool:
        return (
            obj is not None and obj.catalog_version() is not None and obj.catalog_version().is_used
        )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if self._used(obj):
            return [
                f.name for f in obj._meta.concrete_fields if f.name not in self.editable_when_used
            ]
        return list(super().get_readonly_fields(request, obj))

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not self._used(obj) and super().has_delete_permission(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # the catalog is loaded from fixtures/ with load_catalog


@admin.register(CatalogVersion)
class CatalogVersionAdmin(admin.ModelAdmin):
    list_display = ["label", "is_current", "loaded_at", "checksum"]
    readonly_fields = ["label", "is_current", "loaded_at", "checksum"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Regulation)
class RegulationAdmin(CatalogAdmin):
    list_display = ["code", "symbol", "in_force_from", "in_force_to", "version"]
    list_filter = ["version"]


@admin.register(Ground)
class GroundAdmin(CatalogAdmin):
    list_display = [
        "code",
        "form",
        "regulation",
        "verification",
        "needs_legal_review",
        "deprecated",
    ]
    list_filter = ["regulation__code", "form", "verification", "needs_legal_review"]
    search_fields = ["code", "text_vi", "text_en"]


@admin.register(Exclusion)
class ExclusionAdmin(CatalogAdmin):
    list_display = ["code", "regulation", "condition", "mode", "enabled", "verification"]
    list_filter = ["regulation__code", "mode", "enabled"]


@admin.register(TimeLimit)
class TimeLimitAdmin(CatalogAdmin):
    list_display = [
        "code",
        "regulation",
        "days",
        "unit",
        "extension_ceiling_days",
        "enabled",
        "verification",
    ]


@admin.register(Provision)
class ProvisionAdmin(CatalogAdmin):
    list_display = ["code", "kind", "regulation", "verification", "needs_legal_review"]
    list_filter = ["regulation__code", "kind", "verification"]
    search_fields = ["code", "text_vi", "text_en"]


class StepTemplateInline(admin.TabularInline):
    model = StepTemplate
    extra = 0
    can_delete = False
    fields = [
        "order",
        "code",
        "name_vi",
        "kind",
        "actor_role",
        "actor_unit",
        "time_limit",
        "internal_target_days",
        "requires_vote",
    ]
    readonly_fields = [
        "order",
        "code",
        "name_vi",
        "kind",
        "actor_role",
        "actor_unit",
        "time_limit",
        "requires_vote",
    ]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ProcessTemplate)
class ProcessTemplateAdmin(CatalogAdmin):
    list_display = ["regulation", "form", "scope", "enabled", "needs_legal_review"]
    list_filter = ["regulation__code", "form", "scope", "enabled"]
    inlines = [StepTemplateInline]


@admin.register(StepTemplate)
class StepTemplateAdmin(CatalogAdmin):
    # R260 steps carry an optional internal target, configurable while unused.
    editable_when_used = ("internal_target_days",)
    list_display = ["code", "process", "order", "kind", "actor_role", "actor_unit", "time_limit"]
    list_filter = ["process__regulation__code", "kind"]


@admin.register(OrgUnit)
class OrgUnitAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "kind", "level", "parent", "valid_from", "valid_to"]
    list_filter = ["level", "kind"]
    search_fields = ["name", "code"]
    raw_id_fields = ["parent", "successor"]


@admin.register(Position)
class PositionAdmin(admin.ModelAdmin):
    list_display = ["title", "unit", "appointing_unit", "is_leadership"]
    search_fields = ["title", "unit__name"]
    raw_id_fields = ["unit", "appointing_unit"]


class AppointmentInline(admin.TabularInline):
    model = Appointment
    extra = 0
    raw_id_fields = ["position", "ended_by_case"]


@admin.register(Official)
class OfficialAdmin(admin.ModelAdmin):
    list_display = ["full_name", "personnel_number", "user"]
    search_fields = ["full_name", "personnel_number"]
    raw_id_fields = ["user"]
    inlines = [AppointmentInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "unit", "role", "valid_from", "valid_to"]
    list_filter = ["role"]
    search_fields = ["user__username", "unit__name"]
    raw_id_fields = ["user", "unit"]


@admin.register(OfficialFact)
class OfficialFactAdmin(admin.ModelAdmin):
    """Read-only: facts are recorded by clerks (cases.organisation.facts), never edited."""

    list_display = ["official", "seq", "kind", "started_on", "ended_on", "actor_name", "at"]
    list_filter = ["kind"]
    raw_id_fields = ["official"]

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(CollectiveBody)
class CollectiveBodyAdmin(admin.ModelAdmin):
    list_display = ["name", "unit", "body_type", "valid_from", "valid_to"]
    list_filter = ["body_type"]
    raw_id_fields = ["unit", "successor"]


@admin.register(HolidayOverride)
class HolidayOverrideAdmin(admin.ModelAdmin):
    list_display = ["date", "kind", "name"]
    list_filter = ["kind"]
    date_hierarchy = "date"


@admin.register(CaseEvent)
class CaseEventAdmin(admin.ModelAdmin):
    """Read-only: the trail is append-only (the database refuses changes anyway)."""

    list_display = ["case", "seq", "at", "actor_name", "action", "step_code"]
    list_filter = ["action"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(SignInThrottle)
class SignInThrottleAdmin(admin.ModelAdmin):
    list_display = ["key", "failures", "window_started_at", "locked_until"]
    search_fields = ["key"]
    actions = ["unlock"]

    @admin.action(description=_("Unlock the selected usernames and addresses"))
    def unlock(self, request: HttpRequest, queryset: Any) -> None:
        count = lockout.unlock(list(queryset.values_list("key", flat=True)))
        self.message_user(request, _("%(count)s locks lifted.") % {"count": count})


@admin.register(TOTPDevice)
class TOTPDeviceAdmin(admin.ModelAdmin):
    """Deleting a device makes the user set up a new authenticator at next sign-in."""

    list_display = ["user", "confirmed_at", "created_at"]
    readonly_fields = ["user", "confirmed_at", "created_at", "last_step"]
    exclude = ["secret"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


_User = get_user_model()
if admin.site.is_registered(_User):
    admin.site.unregister(_User)


@admin.register(_User)
class CadreUserAdmin(UserAdmin):
    """Django's user admin, with the enrolment code an authenticator is set up with."""

    actions = ["issue_enrolment_codes"]

    @admin.action(description=_("Issue a one-time authenticator enrolment code"))
    def issue_enrolment_codes(self, request: HttpRequest, queryset: Any) -> None:

        for user in queryset:
            code = issue_enrolment_code(user=user, by=request.user)  # type: ignore[arg-type]  # the admin's request.user is a User
            self.message_user(
                request,
                _("Enrolment code for %(user)s (give it to them in person): %(code)s")
                % {"user": user.get_username(), "code": code},
            )


@admin.register(SigningKey)
class SigningKeyAdmin(admin.ModelAdmin):
    """Keys are issued by ``manage.py signing_keys``; here the administrator revokes them
    and publishes the revocation list that verifiers read."""

    list_display = ("subject", "purpose", "serial", "not_after", "superseded_at", "revoked_at")
    list_filter = ("purpose",)
    search_fields = ("subject", "serial")
    actions = ["revoke_and_publish", "publish_crl"]
    readonly_fields = [f.name for f in SigningKey._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description=_("Revoke the selected certificates and publish the CRL"))
    def revoke_and_publish(self, request: HttpRequest, queryset: Any) -> None:
        reason = _("Revoked by the administrator %(name)s") % {"name": request.user.get_username()}
        for key in queryset.exclude(purpose=SigningKey.Purpose.CA):
            keys.revoke_key(serial=key.serial, reason=str(reason))
        keys.publish_crl()
        self.message_user(request, _("Certificates revoked; the CRL is published."))

    @admin.action(description=_("Publish the certificate revocation list (CRL)"))
    def publish_crl(self, request: HttpRequest, queryset: Any) -> None:
        keys.publish_crl()
        self.message_user(request, _("The CRL is published."))
