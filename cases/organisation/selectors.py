"""The read side: what a user may see, their inbox, timelines.

HTML views and the API share these, so both enforce the same scope rules.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any, TypeVar

from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.core.errors import NotFound
from cases.core.types import AnyUser
from cases.models import (
    Appointment,
    Case,
    CaseEvent,
    CaseStep,
    Delegation,
    Document,
    Membership,
    Official,
    OrgUnit,
    Position,
    Role,
    StepStatus,
)
from cases.models.calendar import overdue_cutoff, use_overrides
from cases.models.org import fold
from cases.refdata import catalog as catalog_cache
from cases.refdata import units as org_cache
from cases.refdata.rawsql import columns
from cases.refdata.refcache import generation_expression, read_generations


def is_admin(user: AnyUser) -> bool:
    return bool(user.is_authenticated and user.is_superuser)


def memberships(user: AnyUser, *, on: datetime.date | None = None) -> list[Membership]:
    """The user's memberships valid on ``on`` (today by default), cached per request."""
    if not user.is_authenticated:
        return []
    day = on or timezone.localdate()
    cache_key = f"_memberships_{day.isoformat()}"
    cached = getattr(user, cache_key, None)
    if cached is None:
        cached = _read_memberships(user.pk, day)
        setattr(user, cache_key, cached)
    return cached


_MEMBERSHIP = columns(Membership)
_UNIT = columns(OrgUnit)


def _read_memberships(user_id: int, day: datetime.date) -> list[Membership]:
    """``Membership.objects.current(on=day).filter(user=…).select_related("unit")`` in
    plain SQL: every transition and page asks it once (issue 18)."""
    qn = connection.ops.quote_name
    m, u = qn(Membership._meta.db_table), qn(OrgUnit._meta.db_table)
    sql = (
        f"SELECT {_MEMBERSHIP.select(connection)}, {_UNIT.select(connection)} FROM {m} "
        f"INNER JOIN {u} ON ({m}.{qn('unit_id')} = {u}.{qn('id')}) "
        f"WHERE {m}.{qn('user_id')} = %s AND {m}.{qn('valid_from')} <= %s "
        f"AND ({m}.{qn('valid_to')} IS NULL OR {m}.{qn('valid_to')} >= %s) "
        f"ORDER BY {m}.{qn('id')}"
    )
    iso = connection.ops.adapt_datefield_value(day)
    with connection.cursor() as cursor:
        cursor.execute(sql, [user_id, iso, iso])
        rows = cursor.fetchall()
    found = []
    for row in rows:
        membership = _MEMBERSHIP.build(connection, row)
        membership.unit = _UNIT.build(connection, row, _MEMBERSHIP.width)
        found.append(membership)
    return found


def roles_of(user: AnyUser) -> set[str]:
    roles = {m.role for m in memberships(user)}
    if is_admin(user):
        roles.add(Role.ADMIN)
    if user.is_authenticated and hasattr(user, "official"):
        try:
            if user.official is not None:
                roles.add("official")
        except Exception:  # noqa: BLE001 - RelatedObjectDoesNotExist
            pass
    return roles


def official_of(user: AnyUser) -> Official | None:
    if not user.is_authenticated:
        return None
    try:
        official: Official = user.official
        return official
    except Exception:  # noqa: BLE001 - RelatedObjectDoesNotExist
        return None


def delegations(user: AnyUser, *, on: datetime.date | None = None) -> list[Delegation]:
    """The delegations to this user current on ``on`` (today by default), cached per request.

    Like the memberships, they are read once per request (the user object lives as long
    as the request), however many questions a page or a transition asks about them.
    """
    if not user.is_authenticated:
        return []
    day = on or timezone.localdate()
    cache_key = f"_delegations_{day.isoformat()}"
    cached = getattr(user, cache_key, None)
    if cached is None:
        cached = list(
            Delegation.objects.current(on=day).filter(deputy=user).select_related("unit").order_by()
        )
        setattr(user, cache_key, cached)
    return cached


def read_scope(user: AnyUser, *, on: datetime.date | None = None) -> None:
    """Read the memberships, and whether any delegation is current, in one query.

    For the pages, which ask for both: what it finds is cached where ``memberships`` and
    ``delegations`` keep theirs, so those two helpers answer from it. When a delegation is
    current (or the user has no membership to carry the answer), ``delegations`` reads
    them as before.
    """
    if not user.is_authenticated:
        return
    day = on or timezone.localdate()
    memberships_key = f"_memberships_{day.isoformat()}"
    delegations_key = f"_delegations_{day.isoformat()}"
    if getattr(user, memberships_key, None) is not None:
        return
    deputy = Delegation.objects.current(on=day).filter(deputy=user)
    found = list(
        Membership.objects.current(on=day)
        .filter(user=user)
        .select_related("unit")
        .annotate(deputy_now=Exists(deputy))
    )
    setattr(user, memberships_key, found)
    deputy_now = found and found[0].deputy_now  # type: ignore[attr-defined]  # the annotation above
    if found and not deputy_now and getattr(user, delegations_key, None) is None:
        setattr(user, delegations_key, [])


def delegated_units(user: AnyUser, *, on: datetime.date | None = None) -> list[OrgUnit]:
    """Units whose decisions were delegated to this user for ``on`` (today by default)."""
    return [d.unit for d in delegations(user, on=on)]


def scope_units(user: AnyUser, roles: set[str] | None = None) -> list[OrgUnit]:
    """The units at the top of the user's scope, for the given roles (all by default).

    A deputy under a current delegation sees the delegating unit as an authority.
    """
    units = [m.unit for m in memberships(user) if roles is None or m.role in roles]
    if roles is None or Role.AUTHORITY in roles:
        units += delegated_units(user)
    return units


def _subtree_q(prefix: str, units: list[OrgUnit]) -> Q:
    q = Q(pk__in=[])
    for unit in units:
        q |= Q(**{f"{prefix}path__startswith": unit.path})
    return q


def _unit_ids(units: list[OrgUnit]) -> list[int]:
    """The ids of ``units`` and of every unit below them (one query on the path index)."""
    if not units:
        return []
    return list(OrgUnit.objects.filter(_subtree_q("", units)).values_list("pk", flat=True))


def units_visible_to(user: AnyUser) -> QuerySet[OrgUnit]:
    if is_admin(user):
        return OrgUnit.objects.all()
    return OrgUnit.objects.filter(_subtree_q("", scope_units(user)))


def cases_visible_to(user: AnyUser) -> QuerySet[Case]:
    """Cases in the user's scope: their units' subtrees, plus an official's own cases."""
    if not user.is_authenticated:
        return Case.objects.none()
    if is_admin(user):
        return Case.objects.all()
    unit_ids = _unit_ids(scope_units(user))
    # The units' ids are read first, so PostgreSQL can use the case indexes on both unit
    # columns; a join on the units' paths (or an IN-subquery under OR) scans every case.
    q = Q(employing_unit_id__in=unit_ids) | Q(deciding_unit_id__in=unit_ids)
    official = official_of(user)
    if official is not None:
        q |= Q(official=official)
    return Case.objects.filter(q)


def can_see_case(user: AnyUser, case: Case) -> bool:
    """``cases_visible_to(user)`` for one case already read with both its units.

    The engine locks the case row first and asks this afterwards: the memberships are
    cached per request, so the check costs no query for the subtree's unit ids.
    """
    if not user.is_authenticated:
        return False
    if is_admin(user):
        return True
    if is_official_of(user, case):
        return True
    units = (case.employing_unit, case.deciding_unit)

    def covered(tops: list[OrgUnit]) -> bool:
        return any(unit.path.startswith(top.path) for unit in units for top in tops)

    # The memberships are cached per request; delegations are read only when they matter.
    return covered([m.unit for m in memberships(user)]) or covered(delegated_units(user))


def is_official_of(user: AnyUser, case: Case) -> bool:
    """Whether the case is about this user; no query when the case's official is loaded."""
    if not user.is_authenticated:
        return False
    if Case.official.is_cached(case):
        return case.official.user_id == user.pk
    official = official_of(user)
    return official is not None and official.pk == case.official_id


RowT = TypeVar("RowT", bound=Any)

# The cache generations as columns of a page's own query (uncorrelated scalar subqueries,
# evaluated once per statement): the page then needs no statement of its own for them.
GENERATION_COLUMNS = {
    "generation_catalog": catalog_cache.NAME,
    "generation_org": org_cache.NAME,
}


def with_generations(queryset: QuerySet[RowT]) -> QuerySet[RowT]:
    """``queryset`` whose rows carry the cache generations (see ``attach_units``)."""
    annotated: QuerySet[RowT] = queryset.annotate(
        **{column: generation_expression(name) for column, name in GENERATION_COLUMNS.items()}
    )
    return annotated


def _generations_of(rows: Sequence[Any]) -> dict[str, int]:
    """The generations a row read with ``with_generations`` carries; else one query."""
    for row in rows:
        if hasattr(row, "generation_catalog"):
            return {name: getattr(row, column) for column, name in GENERATION_COLUMNS.items()}
    return read_generations()


def attach_units(cases: Sequence[Case], steps: Sequence[CaseStep] = ()) -> None:
    """Give a page of cases (and steps) their units, regulations and step templates.

    They come from this process's caches (``cases.refdata.units``,
    ``cases.refdata.catalog``), checked against the generations read in one query: the
    page's one statement for all of them, instead of one per table, and no row objects
    built again on every request; none when the page's rows carry them
    (``with_generations``). A case names up to three units (employing, deciding,
    its current step's actor) and a step one. A current step is given its unit and
    template only when it is already loaded (``select_related``); this never reads one.
    """

    generations = _generations_of([*cases, *steps])
    catalog_cache.sync(generations.get(catalog_cache.NAME, 0))
    org_cache.sync(generations.get(org_cache.NAME, 0))
    # The overdue badges and days left read the holiday overrides: from the synced cache.
    use_overrides(catalog_cache.holidays())
    current = [
        case.current_step
        for case in cases
        if Case.current_step.is_cached(case) and case.current_step
    ]
    all_steps = [*current, *steps]
    wanted = {
        unit_id for case in cases for unit_id in (case.employing_unit_id, case.deciding_unit_id)
    }
    wanted |= {step.actor_unit_id for step in all_steps}
    units = org_cache.units.get_many(wanted)
    regulations = catalog_cache.regulations.get_many({case.regulation_id for case in cases})
    templates = catalog_cache.step_templates.get_many({step.template_id for step in all_steps})
    for case in cases:
        case.employing_unit = units[case.employing_unit_id]
        case.deciding_unit = units[case.deciding_unit_id]
        if not Case.regulation.is_cached(case):
            case.regulation = regulations[case.regulation_id]
    for step in all_steps:
        step.actor_unit = units[step.actor_unit_id]
        if not CaseStep.template.is_cached(step):
            step.template = templates[step.template_id]


def get_case_for_user(user: AnyUser, pk: int | str) -> Case:
    """The case if the user may see it; otherwise NotFound, so existence does not leak."""
    # Read by id, then checked on its units' paths (``can_see_case``): no list of every
    # unit id in the user's subtree (thousands for a national auditor) in the query.
    # PostgreSQL plans a query longer the more tables it joins, steeply past four, even by
    # id (bench/: 3 joins 0.3 ms, 7 joins 4.6 ms); the small shared rows come separately.
    # The regulation and the process come from the catalog cache, the cache generations
    # with the row; the filer is joined (the detail names them).
    try:
        case: Case = with_generations(
            Case.objects.select_related("official", "position", "filed_by")
        ).get(pk=pk)
    except (Case.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound("Case not found.") from exc
    attach_units([case])
    if case.process_id is not None:
        case.process = catalog_cache.processes.get(case.process_id)
    if not can_see_case(user, case):
        raise NotFound("Case not found.")
    return case


def acting_units(user: AnyUser, role: str, *, on: datetime.date | None = None) -> list[int]:
    """Units in which the user may act in ``role`` on ``on``: their own, and delegated ones."""
    day = on or timezone.localdate()
    units = [m.unit_id for m in memberships(user, on=day) if m.role == role]
    if role == Role.AUTHORITY:
        units += [d.unit_id for d in delegations(user, on=day)]
    return units


def waiting_steps_for(user: AnyUser) -> QuerySet[CaseStep]:
    """Active steps waiting for this user, most urgent first."""
    if not user.is_authenticated:
        return CaseStep.objects.none()
    q = Q(assignee=user)
    for role in (Role.CLERK, Role.AUTHORITY):
        units = acting_units(user, role)
        if units:
            q |= Q(actor_role=role, actor_unit_id__in=units, assignee__isnull=True)
    official = official_of(user)
    if official is not None:
        q |= Q(actor_role="official", case__official=official)
    return (
        CaseStep.objects.filter(status=StepStatus.ACTIVE)
        .filter(q)
        .exclude(case__official__user=user, actor_role__in=[Role.CLERK, Role.AUTHORITY])
        .select_related("case", "case__official", "case__position")
        .prefetch_related("case__regulation", "template", "actor_unit")
        .order_by("due_on", "case__filed_on", "pk")
    )


def timeline(case: Case, *, until: datetime.datetime | None = None) -> QuerySet[CaseEvent]:
    events = CaseEvent.objects.filter(case=case).select_related("actor").order_by("seq")
    if until is not None:
        events = events.filter(at__lte=until)
    return events


# --- the organisation register and case search (shared by the web views and the API) ---


def officials_visible_to(user: AnyUser) -> QuerySet[Official]:
    """Officials appointed (now or before) to a post in the user's scope, and their own record."""
    if not user.is_authenticated:
        return Official.objects.none()
    if is_admin(user):
        return Official.objects.all()
    in_scope = Appointment.objects.filter(_subtree_q("position__unit__", scope_units(user)))
    q = Q(pk__in=in_scope.values("official_id"))
    own = official_of(user)
    if own is not None:
        q |= Q(pk=own.pk)
    return Official.objects.filter(q)


def positions_visible_to(user: AnyUser) -> QuerySet[Position]:
    """Posts of the units in the user's scope, and the posts an official holds or held."""
    if not user.is_authenticated:
        return Position.objects.none()
    if is_admin(user):
        return Position.objects.all()
    q = _subtree_q("unit__", scope_units(user))
    own = official_of(user)
    if own is not None:
        q |= Q(pk__in=Appointment.objects.filter(official=own).values("position_id"))
    return Position.objects.filter(q)


def get_document_for_user(user: AnyUser, pk: int | str) -> Document:
    """A document of a case the user may see; otherwise NotFound (existence does not leak)."""
    try:
        return Document.objects.select_related("case").get(
            pk=pk, case__in=cases_visible_to(user).values("pk")
        )
    except (Document.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound(_("Document not found.")) from exc


def filter_cases(
    cases: QuerySet[Case],
    *,
    text: str | None = None,
    form: str | None = None,
    regulation_code: str | None = None,
    status: str | None = None,
    level: str | None = None,
    unit: OrgUnit | None = None,
    overdue: bool | None = None,
    ground_code: str | None = None,
    filed_from: datetime.date | None = None,
    filed_to: datetime.date | None = None,
    today: datetime.date | None = None,
) -> QuerySet[Case]:
    """Narrow an already scoped queryset; the one case search of the web and the API.

    ``text`` matches a part of the reference or of the official's name, ``unit`` covers
    its whole subtree, ``ground_code`` is a stable ID in any letter case.
    """
    text = (text or "").strip()
    if text:
        # Diacritics and case are ignored: "Quynh" finds "Quỳnh" (the folded name column).
        cases = cases.filter(
            Q(reference__icontains=text)
            | Q(official__search_name__contains=fold(text))
            | Q(official__full_name__icontains=text)
        )
    if form:
        cases = cases.filter(form=form)
    if regulation_code:
        cases = cases.filter(regulation__code=regulation_code)
    if status:
        cases = cases.filter(status=status)
    if level:
        cases = cases.filter(level=level)
    if unit is not None:
        cases = cases.filter(
            Q(employing_unit__path__startswith=unit.path)
            | Q(deciding_unit__path__startswith=unit.path)
        )
    if overdue is not None:
        late = CaseStep.objects.filter(
            case=OuterRef("pk"),
            status=StepStatus.ACTIVE,
            due_on__lte=overdue_cutoff(today or timezone.localdate()),
        )
        cases = cases.filter(Exists(late)) if overdue else cases.exclude(Exists(late))
    ground_code = (ground_code or "").strip()
    if ground_code:
        cases = cases.filter(
            Exists(
                Case.grounds.through.objects.filter(
                    case=OuterRef("pk"), ground__code__iexact=ground_code
                )
            )
        )
    if filed_from is not None:
        cases = cases.filter(filed_on__gte=filed_from)
    if filed_to is not None:
        cases = cases.filter(filed_on__lte=filed_to)
    return cases
