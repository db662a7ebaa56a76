"""Use cases. Views, the API and tasks call these; they own every write."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.audit.chain import record_event
from cases.catalog import rules
from cases.core.errors import ActionForbidden, InvalidInput, NotFound, RuleViolation
from cases.models import (
    Appointment,
    AuthorityScope,
    Case,
    CaseStatus,
    Delegation,
    DocumentKind,
    Form,
    Ground,
    Official,
    OfficialCircumstance,
    Position,
    ProcessTemplate,
    Role,
)
from cases.organisation.selectors import acting_units, is_admin, official_of
from cases.workflow import engine as workflow
from cases.workflow.deadlines import WorkingCalendar

AnyUser = AbstractBaseUser | AnonymousUser

EARLIEST_FILING = datetime.date(2009, 10, 2)


def authority_scope_for(position: Position) -> str:
    """Same level when the official's own body appoints to the post, else superior (R41-A-1/2)."""
    return (
        AuthorityScope.SAME_LEVEL
        if position.appointing_unit_id == position.unit_id
        else AuthorityScope.SUPERIOR
    )


def _check_filer(
    *, form: str, official: Official, position: Position, by: AnyUser, day: datetime.date
) -> None:
    if not by.is_authenticated:
        raise ActionForbidden(_("Sign in to file a case."))
    own = official_of(by)
    clerk_units = set(acting_units(by, Role.CLERK, on=day))
    is_clerk_here = bool({position.unit_id, position.appointing_unit_id} & clerk_units) or is_admin(
        by
    )
    if own is not None and own.pk == official.pk:
        if form != Form.RESIGNATION:
            raise ActionForbidden(
                _("You cannot file a dismissal or termination case about yourself.")
            )
        return
    if not is_clerk_here:
        if form == Form.RESIGNATION and own is not None:
            raise ActionForbidden(_("You can only submit a resignation application for yourself."))
        raise ActionForbidden(
            _("Only clerks of the official's unit or of the deciding unit can file this case.")
        )


def file_case(
    *,
    form: str,
    official: Official,
    position: Position,
    ground_codes: list[str],
    statement: str,
    by: AnyUser,
    filed_on: datetime.date | None = None,
    application: UploadedFile | None = None,
    today: datetime.date | None = None,
) -> Case:
    """File a case: pins the regime by the filing date, derives the authority scope and
    the process, checks the rules, creates the steps with their due dates, and audits it.
    """
    day = today or timezone.localdate()
    filed_on = filed_on or day
    errors: dict[str, list[Any]] = {}
    if form not in Form.values:
        errors["form"] = [_("Choose termination, dismissal or resignation.")]
    if filed_on > day:
        errors["filed_on"] = [_("The filing date cannot be in the future.")]
    if filed_on < EARLIEST_FILING:
        errors["filed_on"] = [_("Cases can be filed from 02/10/2009 (Regulation 260-QĐ/TW).")]
    codes = [c.strip() for c in ground_codes if c and c.strip()]
    if not codes:
        errors["grounds"] = [_("Choose at least one ground.")]
    if len(statement or "") > 20000:
        errors["statement"] = [_("At most 20000 characters.")]
    if errors:
        raise InvalidInput(
            _("The case could not be filed; correct the fields shown."), fields=errors
        )

    _check_filer(form=form, official=official, position=position, by=by, day=day)

    with transaction.atomic(durable=True):
        regulation = rules.regulation_in_force(filed_on)
        if form not in regulation.forms:
            raise RuleViolation(
                _("%(reg)s does not provide %(form)s; it recognises only: %(forms)s.")
                % {
                    "reg": regulation.symbol,
                    "form": Form(form).label.lower(),
                    "forms": ", ".join(str(Form(f).label).lower() for f in regulation.forms),
                },
                rule=regulation.code,
                fields={"form": [_("Not a form of the regulation in force on the filing date.")]},
            )
        grounds = list(
            Ground.objects.filter(regulation=regulation, code__in=codes, deprecated=False)
        )
        found = {g.code: g for g in grounds}
        bad = [c for c in codes if c not in found or found[c].form != form]
        if bad:
            raise InvalidInput(
                _("These grounds are not grounds for %(form)s under %(reg)s: %(codes)s.")
                % {
                    "form": Form(form).label.lower(),
                    "reg": regulation.symbol,
                    "codes": ", ".join(bad),
                },
                fields={
                    "grounds": [_("Choose grounds of the regulation in force and of this form.")]
                },
            )
        Position.objects.select_for_update().filter(pk=position.pk).first()
        position = Position.objects.select_related("unit", "appointing_unit").get(pk=position.pk)
        holding = (
            Appointment.objects.filter(
                official=official, position=position, term_start__lte=filed_on
            )
            .order_by("-term_start")
            .first()
        )
        if holding is None or not holding.is_current_on(filed_on):
            raise InvalidInput(
                _("%(official)s does not hold the post %(post)s on %(date)s.")
                % {
                    "official": official,
                    "post": position.title,
                    "date": filed_on.strftime("%d/%m/%Y"),
                },
                fields={"position": [_("The official must hold this post on the filing date.")]},
            )
        for unit in (position.unit, position.appointing_unit):
            if not unit.is_valid_on(filed_on):
                raise InvalidInput(
                    _(
                        "The unit %(unit)s did not exist on %(date)s and cannot be chosen for a case filed then (district units ended on 30/06/2025)."
                    )
                    % {"unit": unit.name, "date": filed_on.strftime("%d/%m/%Y")},
                    fields={"position": [_("The unit is not valid on the filing date.")]},
                )
        scope = authority_scope_for(position)
        process = ProcessTemplate.objects.filter(
            regulation=regulation, form=form, scope=scope
        ).first()
        if process is None or not process.enabled:
            raise RuleViolation(
                _(
                    "The %(scope)s process for %(form)s under %(reg)s is not verified against the official text and is disabled; an administrator must enable it after legal review."
                )
                % {
                    "scope": AuthorityScope(scope).label.lower(),
                    "form": Form(form).label.lower(),
                    "reg": regulation.symbol,
                },
                rule=f"{regulation.code}-S",
            )
        open_same = Case.objects.filter(official=official, position=position, form=form).exclude(
            status=CaseStatus.CLOSED
        )
        if open_same.exists():
            raise RuleViolation(
                _("A %(form)s case (%(ref)s) is already open for this official and post.")
                % {"form": Form(form).label.lower(), "ref": open_same.first().reference},  # type: ignore[union-attr]
                rule="DUP-1",
            )
        warnings: list[str] = []
        if form in (Form.RESIGNATION, Form.TERMINATION):
            warnings = rules.enforce_exclusions(
                regulation=regulation, form=form, official=official, position=position, on=filed_on
            )
        rules.check_ground_evidence(grounds=grounds, official=official, on=filed_on)
        rules.check_ground_conditions(
            grounds=grounds, official=official, position=position, on=filed_on
        )

        case = Case(
            reference=f"tmp-{timezone.now().timestamp()}-{official.pk}",
            form=form,
            official=official,
            position=position,
            regulation=regulation,
            process=process,
            scope=scope,
            employing_unit=position.unit,
            deciding_unit=position.appointing_unit,
            level=position.unit.level,
            statement=(statement or "").strip(),
            filed_on=filed_on,
            filed_by=by,  # type: ignore[misc]
            warnings=warnings,
        )
        case.save(force_insert=True)
        case.reference = f"HS-{filed_on.year}-{case.pk:06d}"
        if regulation.in_force_to is not None and day > regulation.in_force_to:
            case.needs_review = True
            case.review_reason = str(
                _(
                    "R377-TR-1: filed under %(reg)s, which ended on %(end)s; no transitional rule is known. Review it manually."
                )
                % {"reg": regulation.symbol, "end": regulation.in_force_to.strftime("%d/%m/%Y")}
            )
        case.save(update_fields=["reference", "needs_review", "review_reason"])
        case.grounds.set(grounds)
        steps = workflow.start_case(case, user=by, calendar=WorkingCalendar())
        case.save(update_fields=["current_step"])
        data: dict[str, Any] = {
            "form": form,
            "regulation": regulation.code,
            "scope": scope,
            "grounds": sorted(codes),
            "official": official.pk,
            "position": position.pk,
            "filed_on": filed_on,
            "steps": [
                {
                    "code": s.template.code,
                    "status": s.status,
                    "due_on": s.due_on,
                    "due_rule": s.due_rule,
                }
                for s in steps
            ],
        }
        if warnings:
            data["warnings"] = warnings
        if case.needs_review:
            data["flagged_for_review"] = case.review_reason
        event = record_event(
            case=case,
            actor=by,
            action="case_filed",
            to_state=f"{case.status}:{case.current_step.template.code if case.current_step else ''}",
            reason=case.statement[:1000],
            data=data,
        )
        if application is not None:
            from cases.documents.storage import store_upload

            document = store_upload(
                case=case, step=steps[0], kind=DocumentKind.APPLICATION, upload=application, by=by
            )
            document.event = event
            document.save(update_fields=["event"])
        current = case.current_step
        if current is not None:
            step_id = current.pk
            transaction.on_commit(lambda: _notify_started(step_id))
    return case


def _notify_started(step_id: int) -> None:
    try:
        from cases.notifications import notices as notifications
    except ImportError:  # pragma: no cover
        return
    notifications.step_started(step_id)


def submit_resignation(
    *,
    official: Official,
    position: Position,
    ground_codes: list[str],
    statement: str,
    by: AnyUser,
    application: UploadedFile | None = None,
    today: datetime.date | None = None,
) -> Case:
    """An official's own resignation application (or a clerk receiving it for them)."""
    return file_case(
        form=Form.RESIGNATION,
        official=official,
        position=position,
        ground_codes=ground_codes,
        statement=statement,
        by=by,
        application=application,
        today=today,
    )


def perform_action(**kwargs: Any) -> Case:
    return workflow.perform(**kwargs)


def record_circumstance(
    *,
    official: Official,
    kind: str,
    started_on: datetime.date,
    by: AnyUser,
    ended_on: datetime.date | None = None,
    ground_code: str = "",
    low_votes: int | None = None,
    total_ballots: int | None = None,
    note: str = "",
) -> OfficialCircumstance:
    """Record a fact the engine's rules read (inspection, protected task, poll, ground)."""
    if not (is_admin(by) or acting_units(by, Role.CLERK)):
        raise ActionForbidden(_("Only clerks record an official's circumstances."))
    if low_votes is not None and (
        total_ballots is None or low_votes > total_ballots or total_ballots < 1
    ):
        raise InvalidInput(
            _("Low-confidence votes must be between 0 and the number of ballots."),
            fields={"low_votes": [_("Invalid poll result.")]},
        )
    return OfficialCircumstance.objects.create(
        official=official,
        kind=kind,
        started_on=started_on,
        ended_on=ended_on,
        ground_code=ground_code,
        low_votes=low_votes,
        total_ballots=total_ballots,
        note=note,
    )


def delegate_authority(
    *,
    delegator: AnyUser,
    deputy: AnyUser,
    unit_id: int,
    valid_from: datetime.date,
    valid_to: datetime.date,
    reason: str,
) -> Delegation:
    """An authority names a deputy to decide in their name for a date range (audited)."""
    if unit_id not in acting_units(delegator, Role.AUTHORITY, on=valid_from) and not is_admin(
        delegator
    ):
        raise ActionForbidden(_("Only an authority of this unit can delegate its decisions."))
    if delegator.pk == deputy.pk:
        raise InvalidInput(
            _("Choose someone else as deputy."), fields={"deputy": [_("Choose someone else.")]}
        )
    if valid_to < valid_from:
        raise InvalidInput(
            _("The end date is before the start date."),
            fields={"valid_to": [_("Before the start date.")]},
        )
    if not reason.strip():
        raise InvalidInput(
            _("A reason is required."), fields={"reason": [_("This field is required.")]}
        )
    with transaction.atomic():
        delegation = Delegation.objects.create(
            delegator=delegator,
            deputy=deputy,
            unit_id=unit_id,
            valid_from=valid_from,
            valid_to=valid_to,
            reason=reason,
        )
        # Every delegation is audited on each open case it can touch.
        for case in (
            Case.objects.select_for_update()
            .filter(deciding_unit_id=unit_id)
            .exclude(status=CaseStatus.CLOSED)
        ):
            record_event(
                case=case,
                actor=delegator,
                action="authority_delegated",
                reason=reason,
                data={
                    "delegation": delegation.pk,
                    "deputy": deputy.pk,
                    "from": valid_from,
                    "to": valid_to,
                },
            )
    return delegation


def get_official(pk: Any) -> Official:
    try:
        return Official.objects.get(pk=pk)
    except (Official.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("Official not found.")) from None


def get_position(pk: Any) -> Position:
    try:
        return Position.objects.select_related("unit", "appointing_unit").get(pk=pk)
    except (Position.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("Post not found.")) from None
