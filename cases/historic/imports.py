"""Historic import of closed cases from a CSV file (UTF-8, header row).

One service, ``import_cases``, shared by the management command, the API and the
background job of the web page. It reads every row, checks every row, and only when no
row is at fault creates all the new cases in one transaction (all or nothing): closed,
``imported=True``, with their outcome, decision date, level as given, regulation and
grounds, and an audit chain of one ``case_imported`` event holding the source row and the
file's SHA-256. A ``case_ref`` already imported is skipped, so importing the same file
twice creates nothing new.

Memory: the file is streamed, never held. Rows are read and checked ``BATCH`` at a time
(the units and existing references of a batch in two queries) and each checked row goes
into a temporary staging table (``_Staging``); duplicates across the whole file are found
there with one query. Only then, when no row is at fault, one transaction moves the
staged rows into cases, grounds, events, posts and officials, again ``BATCH`` at a time.
The peak memory is therefore that of a batch, whatever the file's size; the errors are
kept, all of them, as before.

Speed: cases, grounds, events, posts and officials are written through ``fast_insert``
(ids reserved up front, ``COPY`` or one ``executemany`` per batch, tuples not model
instances); the officials of a batch come from a keyed temporary table
(``_Staging.PEOPLE``), and the event hashes are computed in Python from texts
(``_Sealer``).
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime
import functools
import hashlib
import hmac
import io
import json
import re
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any, NamedTuple, cast

from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cases.audit.events import EventType
from cases.catalog import rules
from cases.core.audit_keys import current_hmac_key
from cases.core.enqueue import RUN_CASE_IMPORT, enqueue
from cases.core.errors import ActionForbidden, CaseError, InvalidInput
from cases.core.types import AnyUser, signed_in
from cases.historic.fast_insert import (
    EncodedJSON,
    insert_rows,
    insert_values,
    query_chunk,
    reserve_ids,
)
from cases.models import (
    DISTRICT_LEVEL_ENDS,
    GENESIS_HASH,
    Appointment,
    Case,
    CaseEvent,
    CaseOutcome,
    CaseStatus,
    Form,
    Ground,
    ImportJob,
    Level,
    Official,
    OrgUnit,
    Position,
    Regulation,
    Role,
    TrackKind,
    UnitKind,
)
from cases.models.org import fold
from cases.organisation.selectors import cases_visible_to, is_admin, scope_units

Progress = Callable[[str, int, int], None]

COLUMNS: tuple[str, ...] = (
    "case_ref",
    "regulation",
    "form",
    "ground_ids",
    "official_name",
    "position_title",
    "org_unit_code",
    "level",
    "filed_on",
    "decided_on",
    "outcome",
    "track",
)
# ``track`` (issue 13): party, state_appointed or state_elected; a row without it (or a
# file without the column) is the Party track, as before tracks existed.
OPTIONAL_COLUMNS = frozenset({"org_unit_code", "track"})
TRACKS = frozenset(TrackKind.values)
OUTCOMES = frozenset(
    {CaseOutcome.APPROVED.value, CaseOutcome.REJECTED.value, CaseOutcome.WITHDRAWN.value}
)
FORMS = frozenset(Form.values)
LEVELS = frozenset(Level.values)
IMPORTED_ACTION = EventType.CASE_IMPORTED.value
BATCH = 2000
# SQLite's page cache during the move, in KiB: a fixed size, so the import's memory does
# not grow with the file. The case indexes keyed by filing date and by official take the
# inserts at random places; 96 MiB keeps most of their pages at 1,000,000 cases (300,000
# rows: 3,900 rows/s with SQLite's 2 MB, 4,500 with 64 MiB, 5,200 with 96 MiB).
SQLITE_CACHE_KIB = 96 * 1024
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
SYSTEM_REFERENCE = re.compile(r"^HS-\d{4}-\d+$", re.IGNORECASE)
# How many errors a background job keeps for its page (the count is always exact).
JOB_ERRORS_KEPT = 1000
# A running job not finished after this long is taken to have lost its worker.
STALE_AFTER = datetime.timedelta(minutes=30)


@dataclass(frozen=True)
class RowError:
    line: int
    message: str
    column: str = ""

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"line": self.line, "message": self.message}
        if self.column:
            out["column"] = self.column
        return out


class ImportRejected(CaseError):
    """The file has at least one bad row; nothing was created. ``errors`` lists them all."""

    code = "import_rejected"
    http_status = 400

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(
            _("The file was not imported: %(count)s problems; correct them and import it again.")
            % {"count": len(errors)}
        )
        self.errors = errors


@dataclass(frozen=True)
class ImportResult:
    created: int
    skipped: int
    rows: int
    sha256: str


@dataclass
class _Row:
    line: int
    raw: dict[str, str]
    regulation: Regulation | None = None
    grounds: list[Ground] = field(default_factory=list)
    unit: OrgUnit | None = None
    filed_on: datetime.date | None = None
    decided_on: datetime.date | None = None
    skip: bool = False
    ref_ok: bool = False
    ok: bool = False


def _date_text(day: datetime.date) -> str:
    return day.strftime("%d/%m/%Y")


# --------------------------------------------------------------------------- reading


def _not_utf8(line: int) -> ImportRejected:
    return ImportRejected(
        [
            RowError(
                line,
                gettext("The file is not UTF-8 text: save it as “CSV UTF-8” and try again."),
            )
        ]
    )


def _has_nul(line: int) -> ImportRejected:
    # PostgreSQL stores no NUL in text: refuse it here rather than fail on insert.
    return ImportRejected(
        [
            RowError(
                line,
                gettext(
                    "This line contains a null character (NUL); save the file again as “CSV UTF-8”."
                ),
            )
        ]
    )


class _Reader:
    """The rows of a CSV byte stream, read one physical line at a time, never all at once.

    Each line is decoded on its own (a newline byte is never part of a UTF-8 sequence),
    so a bad byte or a NUL is reported with its line number, as for a file read whole.
    ``errors`` collects the header's and the rows' shape errors; ``sha256`` is the digest
    of every byte of the stream once ``finish`` has been called.
    """

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream
        self._hasher = hashlib.sha256()
        self.errors: list[RowError] = []
        self.count = 0

    def _lines(self) -> Iterator[str]:
        for number, raw in enumerate(self._stream, start=1):
            self._hasher.update(raw)
            if number == 1:
                raw = raw.removeprefix(codecs.BOM_UTF8)
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise _not_utf8(number) from exc
            if "\x00" in text:
                raise _has_nul(number)
            yield text

    def finish(self) -> str:
        """Read what is left of the stream (after a CSV error) and give the file's SHA-256."""
        for raw in iter(lambda: self._stream.read(1 << 20), b""):
            self._hasher.update(raw)
        return self._hasher.hexdigest()

    def header(self, reader: Any) -> list[str] | None:
        errors = self.errors
        try:
            header = next(reader)
        except StopIteration:
            errors.append(
                RowError(1, gettext("The file is empty: the first line must name the columns."))
            )
            return None
        except csv.Error:
            # The csv module's own text is English and technical; say what to check instead.
            errors.append(
                RowError(
                    1,
                    gettext(
                        "The header line cannot be read as CSV: check the quotes, and that no value is longer than 100,000 characters."
                    ),
                )
            )
            return None
        names = [h.strip().lower() for h in header]
        unknown = [n for n in names if n not in COLUMNS]
        missing = [c for c in COLUMNS if c not in names and c not in OPTIONAL_COLUMNS]
        duplicated = sorted({n for n in names if names.count(n) > 1})
        if unknown:
            errors.append(
                RowError(
                    1,
                    gettext("Unknown columns: %(columns)s. The columns are: %(expected)s.")
                    % {"columns": ", ".join(unknown), "expected": ", ".join(COLUMNS)},
                )
            )
        if missing:
            errors.append(
                RowError(
                    1, gettext("Missing columns: %(columns)s.") % {"columns": ", ".join(missing)}
                )
            )
        if duplicated:
            errors.append(
                RowError(
                    1,
                    gettext("Columns named twice: %(columns)s.")
                    % {"columns": ", ".join(duplicated)},
                )
            )
        return None if errors else names

    def rows(self) -> Iterator[_Row]:
        """The data rows with their first line number (the header is line 1)."""
        reader = csv.reader(self._lines())
        names = self.header(reader)
        if names is None:
            return
        line = reader.line_num + 1
        while True:
            try:
                values = next(reader)
            except StopIteration:
                break
            except csv.Error:
                self.errors.append(
                    RowError(
                        line,
                        gettext(
                            "This line cannot be read as CSV: check the quotes, and that no value is longer than 100,000 characters."
                        ),
                    )
                )
                break
            start, line = line, reader.line_num + 1
            if not values or all(not v.strip() for v in values):
                continue  # blank lines (often at the end of a file) are not rows
            if len(values) != len(names):
                self.errors.append(
                    RowError(
                        start,
                        gettext("Expected %(expected)s values, found %(found)s.")
                        % {"expected": len(names), "found": len(values)},
                    )
                )
                continue
            raw = {name: value.strip() for name, value in zip(names, values, strict=True)}
            for name in OPTIONAL_COLUMNS:
                raw.setdefault(name, "")
            self.count += 1
            yield _Row(line=start, raw=raw)
        if not self.count and not self.errors:
            self.errors.append(RowError(1, gettext("The file has no data rows under the header.")))


# --------------------------------------------------------------------------- checking


class _Checker:
    """Checks rows against the catalog, the organisation and the importer's scope.

    Rows come in batches (``check_batch``): the units and the existing cases a batch
    names are read for that batch only. A duplicate ``case_ref`` across batches is found
    afterwards in the staging table (``_Staging.duplicates``); ``ref_ok`` marks the rows
    whose reference takes part in that check.
    """

    def __init__(self, *, by: AnyUser | None) -> None:
        self.by = by
        self.errors: list[RowError] = []
        self.today = timezone.localdate()
        self.regulations = {r.code: r for r in Regulation.objects.filter(version__is_current=True)}
        self.grounds = {
            g.code: g
            for g in Ground.objects.filter(regulation__version__is_current=True).select_related(
                "regulation"
            )
        }
        self.units: dict[str, OrgUnit] = {}
        self.scope_paths = _import_scope_paths(by)
        self.existing: dict[str, tuple[bool, int]] = {}
        self.visible_existing: set[int] = set()

    def _prepare(self, rows: list[_Row]) -> None:
        codes = {r.raw["org_unit_code"] for r in rows if r.raw["org_unit_code"]} - set(self.units)
        for chunk in _chunks(sorted(codes), query_chunk()):
            self.units.update({u.code: u for u in OrgUnit.objects.filter(code__in=chunk)})
        refs = {r.raw["case_ref"] for r in rows if r.raw["case_ref"]}
        self.existing = {}
        # Plain SQL: compiling a 2,000-value IN through the ORM costs more than running it.
        table = connection.ops.quote_name(Case._meta.db_table)
        with connection.cursor() as cursor:
            for chunk in _chunks(sorted(refs), query_chunk()):
                marks = ", ".join(["%s"] * len(chunk))
                cursor.execute(
                    f"SELECT reference, imported, id FROM {table} WHERE reference IN ({marks})",  # noqa: S608
                    chunk,
                )
                self.existing.update(
                    (ref, (bool(imported), pk)) for ref, imported, pk in cursor.fetchall()
                )
        self.visible_existing = _visible_case_ids(
            self.by, [pk for _i, pk in self.existing.values()]
        )

    def check_batch(self, rows: list[_Row]) -> None:
        self._prepare(rows)
        for row in rows:
            before = len(self.errors)
            self.check(row)
            row.ok = len(self.errors) == before

    def add(self, row: _Row, column: str, message: Any) -> None:
        self.errors.append(RowError(row.line, str(message), column))

    def in_scope(self, unit: OrgUnit) -> bool:
        return self.scope_paths is None or any(unit.path.startswith(p) for p in self.scope_paths)

    def check(self, row: _Row) -> None:  # noqa: C901 - one rule per branch
        raw = row.raw
        ref = raw["case_ref"]
        if not ref:
            self.add(row, "case_ref", gettext("case_ref is empty."))
        elif len(ref) > 40:
            self.add(row, "case_ref", gettext("case_ref is longer than 40 characters."))
        elif SYSTEM_REFERENCE.match(ref):
            # services.file_case numbers new cases HS-<year>-<id>; an imported one there
            # would one day collide with a new filing.
            self.add(
                row,
                "case_ref",
                gettext(
                    "case_ref %(ref)s has the form of the references this system gives to new cases (HS-year-number); keep the original reference of the historic case."
                )
                % {"ref": ref},
            )
        else:
            row.ref_ok = True  # a duplicate of an earlier line is found in the staging table
            existing = self.existing.get(ref)
            if existing is not None:
                imported, pk = existing
                if imported and pk in self.visible_existing:
                    row.skip = True
                else:
                    self.add(
                        row,
                        "case_ref",
                        gettext("case_ref %(ref)s is already the reference of another case.")
                        % {"ref": ref},
                    )

        regulation = self.regulations.get(raw["regulation"])
        if regulation is None:
            self.add(
                row,
                "regulation",
                gettext("Unknown regulation “%(value)s”: use R260, R41 or R377.")
                % {"value": raw["regulation"]},
            )
        track = raw.get("track", "") or TrackKind.PARTY
        if track not in TRACKS:
            self.add(
                row,
                "track",
                gettext("Unknown track “%(value)s”: use party, state_appointed or state_elected.")
                % {"value": track},
            )
        elif regulation is not None and regulation.track != track:
            # MDL-TRK-3: the regime names its track; an imported case keeps that regime.
            self.add(
                row,
                "track",
                gettext("%(reg)s is not a regime of the %(track)s.")
                % {"reg": regulation.code, "track": TrackKind(track).label.lower()},
            )
        row.regulation = regulation

        form = raw["form"]
        if form not in FORMS:
            self.add(
                row,
                "form",
                gettext("Unknown form “%(value)s”: use termination, dismissal or resignation.")
                % {"value": form},
            )
            form = ""
        elif regulation is not None and form not in regulation.forms:
            self.add(
                row,
                "form",
                gettext("%(reg)s does not provide %(form)s.")
                % {"reg": regulation.code, "form": Form(form).label.lower()},
            )

        self.check_grounds(row, regulation, form)

        if not raw["official_name"]:
            self.add(row, "official_name", gettext("official_name is empty."))
        elif len(raw["official_name"]) > 120:
            self.add(row, "official_name", gettext("official_name is longer than 120 characters."))
        if not raw["position_title"]:
            self.add(row, "position_title", gettext("position_title is empty."))
        elif len(raw["position_title"]) > 200:
            self.add(
                row, "position_title", gettext("position_title is longer than 200 characters.")
            )

        code = raw["org_unit_code"]
        if code:
            unit = self.units.get(code)
            if unit is None or not self.in_scope(unit):
                self.add(
                    row,
                    "org_unit_code",
                    gettext("Unit %(code)s does not exist or is outside your scope.")
                    % {"code": code},
                )
            row.unit = unit

        level = raw["level"]
        if level not in LEVELS:
            self.add(
                row,
                "level",
                gettext("Unknown level “%(value)s”: use central, provincial, district or commune.")
                % {"value": level},
            )

        row.filed_on = self.parse_date(row, "filed_on")
        row.decided_on = self.parse_date(row, "decided_on")
        if row.filed_on is not None and regulation is not None:
            start, end = regulation.in_force_from, regulation.in_force_to
            if row.filed_on < start or (end is not None and row.filed_on > end):
                period = (
                    gettext("from %(start)s to %(end)s")
                    % {"start": _date_text(start), "end": _date_text(end)}
                    if end is not None
                    else gettext("from %(start)s") % {"start": _date_text(start)}
                )
                self.add(
                    row,
                    "filed_on",
                    gettext("filed_on %(date)s is outside the period of %(reg)s (%(period)s).")
                    % {"date": _date_text(row.filed_on), "reg": regulation.code, "period": period},
                )
        if (
            row.filed_on is not None
            and row.decided_on is not None
            and row.decided_on < row.filed_on
        ):
            self.add(
                row,
                "decided_on",
                gettext("decided_on %(decided)s is before filed_on %(filed)s.")
                % {"decided": _date_text(row.decided_on), "filed": _date_text(row.filed_on)},
            )
        if (
            level == Level.DISTRICT
            and row.filed_on is not None
            and row.filed_on > DISTRICT_LEVEL_ENDS
        ):
            # docs/domain.md: district level is valid only up to 30/06/2025.
            self.add(
                row,
                "level",
                gettext(
                    "The district level ended on 30/06/2025; it cannot be the level of a case filed on %(date)s."
                )
                % {"date": _date_text(row.filed_on)},
            )

        outcome = raw["outcome"]
        if outcome not in OUTCOMES:
            self.add(
                row,
                "outcome",
                gettext("Unknown outcome “%(value)s”: use approved, rejected or withdrawn.")
                % {"value": outcome},
            )
        elif outcome == CaseOutcome.WITHDRAWN and form and form != Form.RESIGNATION:
            self.add(row, "outcome", gettext("Only a resignation can be withdrawn."))

    def check_grounds(self, row: _Row, regulation: Regulation | None, form: str) -> None:
        codes = list(
            dict.fromkeys(c.strip() for c in row.raw["ground_ids"].split(";") if c.strip())
        )
        if not codes:
            self.add(
                row,
                "ground_ids",
                gettext("ground_ids is empty: give at least one ground, separated by “;”."),
            )
            return
        for code in codes:
            ground = self.grounds.get(code)
            if ground is None:
                self.add(row, "ground_ids", gettext("Unknown ground %(code)s.") % {"code": code})
                continue
            if regulation is not None and ground.regulation_id != regulation.pk:
                self.add(
                    row,
                    "ground_ids",
                    gettext("Ground %(code)s belongs to %(ground_reg)s, not to %(reg)s.")
                    % {"code": code, "ground_reg": ground.regulation.code, "reg": regulation.code},
                )
                continue
            if form and ground.form != form:
                self.add(
                    row,
                    "ground_ids",
                    gettext("Ground %(code)s is a ground for %(ground_form)s, not for %(form)s.")
                    % {
                        "code": code,
                        "ground_form": Form(ground.form).label.lower(),
                        "form": Form(form).label.lower(),
                    },
                )
                continue
            row.grounds.append(ground)

    def parse_date(self, row: _Row, column: str) -> datetime.date | None:
        value = row.raw[column]
        day = None
        if ISO_DATE.match(value):
            try:
                day = datetime.date.fromisoformat(value)
            except ValueError:
                day = None
        if day is None:
            self.add(
                row,
                column,
                gettext("%(column)s “%(value)s” is not a date in the form YYYY-MM-DD.")
                % {"column": column, "value": value},
            )
            return None
        if day > self.today:
            self.add(
                row,
                column,
                gettext("%(column)s %(date)s is in the future.")
                % {"column": column, "date": _date_text(day)},
            )
            return None
        return day


def _chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _import_scope_paths(by: AnyUser | None) -> list[str] | None:
    """The unit paths an importer may import into (None: everywhere)."""
    if by is None or is_admin(by):
        return None
    return [u.path for u in scope_units(by, {Role.CLERK})]


def _visible_case_ids(by: AnyUser | None, ids: list[int]) -> set[int]:
    if not ids:
        return set()
    if by is None or is_admin(by):
        return set(ids)
    visible: set[int] = set()
    for chunk in _chunks(ids, query_chunk()):
        visible.update(cases_visible_to(by).filter(pk__in=chunk).values_list("pk", flat=True))
    return visible


def may_import(user: AnyUser) -> bool:
    """Clerks and administrators import historic cases."""
    return is_admin(user) or bool(user.is_authenticated and scope_units(user, {Role.CLERK}))


# --------------------------------------------------------------------------- writing


def _json_safe(data: dict[str, Any]) -> dict[str, Any]:
    safe: dict[str, Any] = json.loads(json.dumps(data, cls=DjangoJSONEncoder))
    return safe


def _container_unit(rows: list[_Row], *, by: AnyUser | None, sha256: str) -> OrgUnit:
    """The per-import "historic import" unit for rows without an org_unit_code.

    It hangs under the importer's clerk unit, so the importer keeps the cases in scope;
    for an administrator or the command it is a top-level unit.
    """
    code = f"IMPORT-{sha256[:16]}"
    existing = OrgUnit.objects.filter(code=code).first()
    if existing is not None:
        return existing
    parent = None
    if by is not None and not is_admin(by):
        parent = min(scope_units(by, {Role.CLERK}), key=lambda u: u.path)
    with translation.override(settings.LANGUAGE_CODE):
        name = gettext("Historic import of %(date)s (file %(sha)s)") % {
            "date": _date_text(timezone.localdate()),
            "sha": sha256[:8],
        }
    unit = OrgUnit(
        code=code,
        name=name,
        level=parent.level if parent is not None else Level.CENTRAL,
        kind=parent.kind if parent is not None else UnitKind.STATE,
        parent=parent,
    )
    unit.save()
    return unit


def _positions(keys: set[tuple[int, str]]) -> dict[tuple[int, str], tuple[int, int, int]]:
    """Posts by (unit, title) as (id, unit, appointing unit): existing ones, and
    placeholders (appointed by their own unit) created for the rest."""
    found: dict[tuple[int, str], tuple[int, int, int]] = {}
    unit_ids = sorted({u for u, _t in keys})
    for chunk in _chunks(unit_ids, query_chunk()):
        for pk, unit_id, title, appointing in (
            Position.objects.filter(unit_id__in=chunk)
            .order_by("pk")
            .values_list("pk", "unit_id", "title", "appointing_unit_id")
        ):
            found.setdefault((unit_id, title), (pk, unit_id, appointing))
    missing = [k for k in sorted(keys) if k not in found]
    ids = reserve_ids(Position, len(missing))
    insert_rows(
        Position,
        [
            {
                "id": pk,
                "title": title,
                "unit_id": unit_id,
                "appointing_unit_id": unit_id,
                "is_leadership": True,
            }
            for pk, (unit_id, title) in zip(ids, missing, strict=True)
        ],
        batch=BATCH,
    )
    for pk, (unit_id, title) in zip(ids, missing, strict=True):
        found[(unit_id, title)] = (pk, unit_id, unit_id)
    return found


def _create_officials(keys: list[tuple[int, str]], sha256: str) -> dict[tuple[int, str], int]:
    """Placeholder officials (no honorific, a generated personnel number) for the
    (unit id, full name) ``keys`` that no existing official matches."""
    prefix = f"IMP-{sha256[:8]}-{uuid.uuid4().hex[:8]}"
    ids = reserve_ids(Official, len(keys))
    insert_rows(
        Official,
        [
            {
                "id": pk,
                "full_name": name,
                "honorific": "",
                "personnel_number": f"{prefix}-{index:07d}",
                # As Official.save: the case search finds officials by their folded name.
                "search_name": fold(name),
            }
            for index, (pk, (_unit, name)) in enumerate(zip(ids, keys, strict=True), start=1)
        ],
        batch=BATCH,
    )
    return dict(zip(keys, ids, strict=True))


@contextlib.contextmanager
def _page_cache() -> Iterator[None]:
    """On SQLite, a page cache of ``SQLITE_CACHE_KIB`` for the move (see there)."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        previous = cursor.fetchone()[0]
        cursor.execute(f"PRAGMA cache_size = -{int(SQLITE_CACHE_KIB)}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(previous)}")


class _Staged(NamedTuple):
    """A checked row read back from the staging table, with what its case is made of."""

    line: int
    ref: str
    raw: str  # the source row as canonical JSON
    regulation_id: int
    ground_ids: list[int]
    unit_id: int
    filed_on: datetime.date
    decided_on: datetime.date
    official_name: str
    position_title: str
    form: str
    level: str
    outcome: str
    official_id: int | None  # None: no official of that name in that unit yet


class _Staging:
    """The checked rows of one import, in temporary tables of this connection.

    Rows whose ``case_ref`` is well formed are staged (with ``ok`` telling whether the row
    passed every check), so that a reference used twice anywhere in the file is found
    with one query; the move into cases then reads the good rows back ``BATCH`` at a time.
    The source row is kept whole, as canonical JSON (``_canonical_json``: the text its
    audit event is sealed over), so a new column is one entry in ``COLUMNS``; the values
    a case is made of have their own columns, so the move decodes no JSON.

    ``PEOPLE`` holds the officials of the move by (full name, unit): those that exist are
    found for the whole file in one statement per source, those the move creates are
    added as it goes, so a batch finds its officials through that table's key, however
    many cases the units already have.
    """

    TABLE = "cases_import_staging"
    PEOPLE = "cases_import_people"

    def __enter__(self) -> _Staging:
        table, people = self.TABLE, self.PEOPLE
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {table}")
            cursor.execute(f"DROP TABLE IF EXISTS {people}")
            cursor.execute(
                f"CREATE TEMPORARY TABLE {table} (line integer PRIMARY KEY, ref varchar(40) NOT NULL, "
                "ok integer NOT NULL, skip integer NOT NULL, raw text NOT NULL, regulation_id bigint, "
                "ground_ids text NOT NULL, unit_id bigint, filed_on varchar(10), decided_on varchar(10), "
                "official_name text NOT NULL, position_title text NOT NULL, form text NOT NULL, "
                "level text NOT NULL, outcome text NOT NULL)"
            )
            cursor.execute(f"CREATE INDEX {table}_ref ON {table} (ref)")
            cursor.execute(
                f"CREATE TEMPORARY TABLE {people} (name text NOT NULL, unit_id bigint NOT NULL, "
                "official_id bigint, PRIMARY KEY (name, unit_id))"
            )
        return self

    def __exit__(self, *exc: object) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {self.TABLE}")
            cursor.execute(f"DROP TABLE IF EXISTS {self.PEOPLE}")

    def add(self, rows: list[_Row]) -> None:
        staged = [
            (
                r.line,
                r.raw["case_ref"],
                int(r.ok),
                int(r.skip),
                _canonical_json(r.raw),
                r.regulation.pk if r.regulation is not None else None,
                ";".join(str(g.pk) for g in r.grounds),
                r.unit.pk if r.unit is not None else None,
                r.filed_on.isoformat() if r.filed_on else None,
                r.decided_on.isoformat() if r.decided_on else None,
                r.raw["official_name"],
                r.raw["position_title"],
                r.raw["form"],
                r.raw["level"],
                r.raw["outcome"],
            )
            for r in rows
            if r.ref_ok
        ]
        if staged:
            # One transaction per batch (a savepoint inside a caller's): the staging is not
            # the import's data, so it need not wait for the move's one transaction.
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.executemany(
                    f"INSERT INTO {self.TABLE} VALUES ({', '.join(['%s'] * 15)})",  # noqa: S608
                    staged,
                )

    def duplicates(self) -> list[RowError]:
        """Every line whose ``case_ref`` an earlier line of the file already used."""
        table = self.TABLE
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT s.line, s.ref, f.first FROM {table} s JOIN ("  # noqa: S608
                f"SELECT ref, MIN(line) AS first FROM {table} GROUP BY ref HAVING COUNT(*) > 1"
                ") f ON f.ref = s.ref WHERE s.line > f.first ORDER BY s.line"
            )
            return [
                RowError(
                    line,
                    gettext("case_ref %(ref)s is already used on line %(line)s.")
                    % {"ref": ref, "line": first},
                    "case_ref",
                )
                for line, ref, first in cursor.fetchall()
            ]

    def count_new(self) -> int:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*) FROM {self.TABLE} WHERE ok = 1 AND skip = 0")  # noqa: S608
            return int(cursor.fetchone()[0])

    def any_without_unit(self) -> bool:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT 1 FROM {self.TABLE} WHERE ok = 1 AND skip = 0 AND unit_id IS NULL LIMIT 1"  # noqa: S608
            )
            return cursor.fetchone() is not None

    def find_officials(self, container_id: int | None) -> None:
        """Fill ``PEOPLE`` with the (name, unit) of every row to create, and the official
        already found for it: through a post of that unit (first), else through a case
        in that unit; the lowest id when there are several."""
        table, people = self.TABLE, self.PEOPLE
        official = Official._meta.db_table
        position = Position._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {people} (name, unit_id) SELECT DISTINCT official_name, "  # noqa: S608
                f"COALESCE(unit_id, %s) FROM {table} WHERE ok = 1 AND skip = 0",
                [container_id],
            )
            for source in (Appointment._meta.db_table, Case._meta.db_table):
                # CROSS JOIN keeps SQLite's loops in this order (PostgreSQL plans them
                # freely): every official once, its name looked up in PEOPLE's key, then
                # its posts or cases; never every case of a unit.
                cursor.execute(
                    f"UPDATE {people} SET official_id = f.official_id FROM ("  # noqa: S608
                    "SELECT k.name AS name, k.unit_id AS unit_id, MIN(s.official_id) AS official_id "
                    f"FROM {official} o CROSS JOIN {people} k CROSS JOIN {source} s "
                    f"CROSS JOIN {position} p WHERE k.name = o.full_name AND k.official_id IS NULL "
                    "AND s.official_id = o.id AND p.id = s.position_id AND p.unit_id = k.unit_id "
                    f"GROUP BY k.name, k.unit_id) f WHERE {people}.name = f.name "
                    f"AND {people}.unit_id = f.unit_id"
                )

    def set_officials(self, created: dict[tuple[int, str], int]) -> None:
        if created:
            with connection.cursor() as cursor:
                cursor.executemany(
                    f"UPDATE {self.PEOPLE} SET official_id = %s WHERE name = %s AND unit_id = %s",  # noqa: S608
                    [(pk, name, unit_id) for (unit_id, name), pk in created.items()],
                )

    def new_rows(self, container_id: int | None) -> Iterator[list[_Staged]]:
        """The rows to create, ``BATCH`` at a time, in file order (keyset on the line),
        each with its official when ``PEOPLE`` has one."""
        last = 0
        while True:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT s.line, s.ref, s.raw, s.regulation_id, s.ground_ids, "  # noqa: S608
                    "COALESCE(s.unit_id, %s), s.filed_on, s.decided_on, s.official_name, "
                    "s.position_title, s.form, s.level, s.outcome, k.official_id "
                    f"FROM {self.TABLE} s "
                    f"LEFT JOIN {self.PEOPLE} k ON k.name = s.official_name "
                    "AND k.unit_id = COALESCE(s.unit_id, %s) "
                    "WHERE s.ok = 1 AND s.skip = 0 AND s.line > %s ORDER BY s.line LIMIT %s",
                    [container_id, container_id, last, BATCH],
                )
                fetched = cursor.fetchall()
            if not fetched:
                return
            last = fetched[-1][0]
            yield [
                _Staged(
                    line,
                    ref,
                    raw,
                    regulation_id,
                    [int(x) for x in ground_ids.split(";") if x],
                    unit_id,
                    _day(filed_on),
                    _day(decided_on),
                    official_name,
                    position_title,
                    form,
                    level,
                    outcome,
                    official_id,
                )
                for (
                    line,
                    ref,
                    raw,
                    regulation_id,
                    ground_ids,
                    unit_id,
                    filed_on,
                    decided_on,
                    official_name,
                    position_title,
                    form,
                    level,
                    outcome,
                    official_id,
                ) in fetched
            ]


def _canonical_json(value: Any) -> str:
    """JSON as ``CaseEvent.canonical_content`` writes it (sorted keys, no spaces)."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


class _Sealer:
    """The hash of each import event, from texts: ``CaseEvent.canonical_content`` of the
    one event every case gets, cut around its case id and its data, so that a row costs
    two string joins and an HMAC. ``check`` compares it with the model's own
    ``compute_hash`` (once a batch), so a change of the canonical form fails the import
    instead of sealing events no verification would accept.
    """

    _CASE = 987654321987654321  # a case id no text of the event contains
    _DATA = "data-0b9a1c2e-4f6d-4e8a-9c3b-7d5e6f1a2b3c"

    def __init__(self, event: CaseEvent, key: bytes, *, sha256: str, filename: str) -> None:
        self.event, self.key = event, key
        event.case_id, event.data = self._CASE, self._DATA
        head, rest = event.canonical_content().split(str(self._CASE))
        middle, tail = rest.split(json.dumps(self._DATA))
        self.head = event.prev_hash + head
        self.middle, self.tail = middle, tail
        # The data's keys in sorted order: file_name, file_sha256, line, row.
        self.file = (
            f'{{"file_name":{_canonical_json(filename)},"file_sha256":{_canonical_json(sha256)},'
        )

    def data(self, *, raw: str, line: int) -> str:
        """The event's data, ``{"row": …, "line": …, "file_sha256": …, "file_name": …}``,
        as canonical JSON (``raw``: the source row's)."""
        return f'{self.file}"line":{line},"row":{raw}}}'

    def seal(self, case_id: int, data: str) -> str:
        message = f"{self.head}{case_id}{self.middle}{data}{self.tail}".encode()
        return hmac.new(self.key, message, hashlib.sha256).hexdigest()

    def check(self, case_id: int, data: str, digest: str) -> None:
        self.event.case_id, self.event.data = case_id, json.loads(data)
        if self.event.compute_hash(self.key) != digest:
            raise RuntimeError("The import's event hash differs from CaseEvent.compute_hash.")


# The columns of an imported case, in the order _create builds them.
_CASE_COLUMNS = (
    "id",
    "reference",
    "form",
    "official_id",
    "position_id",
    "regulation_id",
    "scope",
    "employing_unit_id",
    "deciding_unit_id",
    "level",
    "filed_on",
    "outcome",
    "decided_on",
    "closed_on",
    "last_event_hash",
    "statement",
    "filed_by_id",
    "status",
    "current_step_id",
    "imported",
    "event_count",
    "created_at",
    "updated_at",
)


@functools.lru_cache(maxsize=65536)
def _day(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)


def _create(
    staging: _Staging,
    *,
    by: AnyUser | None,
    sha256: str,
    filename: str,
    progress: Progress | None,
) -> int:
    total = staging.count_new()
    if not total:
        return 0
    actor = by if by is not None and by.is_authenticated else None
    actor_id = actor.pk if actor is not None else None
    actor_name = (actor.get_full_name() or actor.get_username()) if actor else "system"
    now = timezone.now()
    to_state = f"{CaseStatus.CLOSED}:"
    with _page_cache(), transaction.atomic(durable=True):
        container = (
            _container_unit([], by=by, sha256=sha256) if staging.any_without_unit() else None
        )
        container_id = container.pk if container is not None else None
        staging.find_officials(container_id)
        key_id, key = current_hmac_key()  # every event is sealed with the audit HMAC key
        # One event instance computes every hash: the chain of each case is this one event.
        fixed = {
            "seq": 1,
            "at": now,
            "actor_id": actor_id,
            "actor_name": actor_name,
            "action": IMPORTED_ACTION,
            "from_state": "",
            "to_state": to_state,
            "step_code": "",
            "reason": "",
            "prev_hash": GENESIS_HASH,
            "key_id": key_id,
        }
        sealer = _Sealer(CaseEvent(**fixed), key, sha256=sha256, filename=filename)
        event_names = (*fixed, "case_id", "data", "hash")
        event_values = tuple(fixed.values())
        # The same for every case (the last columns of _CASE_COLUMNS).
        case_values = (
            "",  # statement
            actor_id,  # filed_by_id
            CaseStatus.CLOSED,
            None,  # current_step_id
            True,  # imported
            1,  # event_count
            now,  # created_at
            now,  # updated_at
        )
        done = 0
        for batch in staging.new_rows(container_id):
            # Posts of this batch; those an earlier batch created are found like the
            # existing ones. Officials come with the rows; the missing ones are made here.
            posts = _positions({(r.unit_id, r.position_title) for r in batch})
            missing = sorted({(r.unit_id, r.official_name) for r in batch if r.official_id is None})
            people = _create_officials(missing, sha256) if missing else {}
            staging.set_officials(people)
            ids = reserve_ids(Case, len(batch))
            cases: list[tuple[Any, ...]] = []
            grounds: list[tuple[int, int]] = []
            events: list[tuple[Any, ...]] = []
            for case_id, r in zip(ids, batch, strict=True):
                post_id, unit_id, appointing_id = posts[(r.unit_id, r.position_title)]
                data = sealer.data(raw=r.raw, line=r.line)
                digest = sealer.seal(case_id, data)
                if not events:
                    sealer.check(case_id, data, digest)
                events.append((*event_values, case_id, EncodedJSON(data), digest))
                official_id = (
                    r.official_id
                    if r.official_id is not None
                    else people[(r.unit_id, r.official_name)]
                )
                # In the order of _CASE_COLUMNS.
                cases.append(
                    (
                        case_id,
                        r.ref,
                        r.form,
                        official_id,
                        post_id,
                        r.regulation_id,
                        # R41-A-1/2, as services.authority_scope_for.
                        rules.authority_scope(unit_id=unit_id, appointing_unit_id=appointing_id),
                        unit_id,
                        appointing_id,
                        r.level,
                        r.filed_on,
                        r.outcome,
                        r.decided_on,
                        r.decided_on,
                        digest,
                        *case_values,
                    )
                )
                grounds.extend((case_id, g) for g in r.ground_ids)
            insert_values(Case, _CASE_COLUMNS, cases, batch=BATCH)
            insert_values(Case.grounds.through, ("case_id", "ground_id"), grounds, batch=BATCH)
            insert_values(CaseEvent, event_names, events, batch=BATCH)
            done += len(batch)
            if progress is not None:
                progress(ImportJob.Phase.SAVING, done, total)
    return total


# --------------------------------------------------------------------------- the service


def _count_lines(stream: IO[bytes]) -> int:
    """The file's data lines (for the progress bar), then back to its start; 0 if unknown."""
    try:
        start = stream.tell()
        lines = sum(chunk.count(b"\n") for chunk in iter(lambda: stream.read(1 << 20), b""))
        stream.seek(start)
    except (AttributeError, OSError, io.UnsupportedOperation):
        return 0
    return max(lines - 1, 0)


def import_cases(
    *,
    data: bytes | None = None,
    stream: IO[bytes] | None = None,
    by: AnyUser | None,
    filename: str = "",
    progress: Progress | None = None,
) -> ImportResult:
    """Import the closed cases of a CSV file, or raise ``ImportRejected`` with every
    row's problems (line numbers count the header as line 1) and create nothing.

    The file is ``data`` or, to keep memory flat for a large file, a binary ``stream``
    read once. ``by`` is the importer: a clerk imports only into units of their scope;
    ``None`` (the management command) imports anywhere, as "system".
    """
    if by is not None and not may_import(by):
        raise ActionForbidden(_("Only clerks and administrators import historic cases."))
    if stream is None:
        stream = io.BytesIO(data or b"")
    total = _count_lines(stream) if progress is not None else 0
    if progress is not None:
        progress(ImportJob.Phase.READING, 0, 0)
    reader = _Reader(stream)
    checker = _Checker(by=by)
    with _Staging() as staging:
        batch: list[_Row] = []
        checked = 0
        for row in reader.rows():
            batch.append(row)
            if len(batch) == BATCH:
                checker.check_batch(batch)
                staging.add(batch)
                checked += len(batch)
                batch = []
                if progress is not None:
                    progress(ImportJob.Phase.CHECKING, checked, max(total, checked + 1))
        if batch:
            checker.check_batch(batch)
            staging.add(batch)
            checked += len(batch)
        if progress is not None and checked:
            progress(ImportJob.Phase.CHECKING, checked, checked)
        sha256 = reader.finish()
        errors = reader.errors + checker.errors
        duplicates = staging.duplicates() if checked else []
        if duplicates:
            # A repeated reference is that row's one case_ref problem, as it is checked first.
            lines = {e.line for e in duplicates}
            errors = [e for e in errors if not (e.line in lines and e.column == "case_ref")]
        if errors or duplicates:
            first = set(duplicates)
            errors = sorted([*duplicates, *errors], key=lambda e: (e.line, e not in first))
            raise ImportRejected(errors)
        created = _create(staging, by=by, sha256=sha256, filename=filename, progress=progress)
    return ImportResult(
        created=created, skipped=reader.count - created, rows=reader.count, sha256=sha256
    )


def read_limited(stream: IO[bytes] | Iterable[bytes], limit: int) -> bytes:
    """The bytes of an upload, refusing more than ``limit``."""
    chunks: Iterable[bytes] = (
        stream.chunks()  # an UploadedFile
        if hasattr(stream, "chunks")
        else iter(lambda: cast(IO[bytes], stream).read(1 << 20), b"")
    )
    out = bytearray()
    for chunk in chunks:
        out += chunk
        if len(out) > limit:
            raise InvalidInput(
                _("The file is larger than %(mb)s MB; split it into smaller files.")
                % {"mb": limit // (1024 * 1024)},
                fields={"file": [_("File too large.")]},
            )
    return bytes(out)


# --------------------------------------------------------------------------- background jobs


def file_problems(data: bytes) -> list[RowError]:
    """What is wrong with the file as a whole: not UTF-8, a bad header, no data row.

    Checked while the user waits, so a file that cannot be an import is refused on the
    form and no job is queued for it; the rows themselves are checked by the job.
    """
    reader = _Reader(io.BytesIO(data))
    try:
        for _row in reader.rows():
            pass
    except ImportRejected as exc:
        return list(exc.errors)
    return [e for e in reader.errors if e.line == 1]


def start_import_job(*, upload: Any, by: AnyUser, language: str = "") -> ImportJob:
    """Store an uploaded file and queue its import; the worker runs ``run_import_job``."""
    if not may_import(by):
        raise ActionForbidden(_("Only clerks and administrators import historic cases."))
    data = read_limited(upload, settings.IMPORT_MAX_BYTES)
    job = ImportJob(
        created_by=signed_in(by),
        filename=(getattr(upload, "name", "") or "import.csv")[:255],
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        language=language or translation.get_language() or settings.LANGUAGE_CODE,
    )
    job.file.save("import.csv", ContentFile(data), save=False)
    job.save(force_insert=True)
    job_id = job.pk
    transaction.on_commit(lambda: _enqueue(job_id))
    return job


def _enqueue(job_id: int) -> None:
    enqueue(RUN_CASE_IMPORT, job_id)


def _progress_key(job_id: int) -> str:
    return f"cadre-exit:import-job:{job_id}:progress"


def run_import_job(*, job_id: int) -> ImportJob | None:
    """Run one queued import (a second run of the same job does nothing, unless the first
    one's worker died: see ``STALE_AFTER``).

    Progress of the reading and checking phases is written to the job row. The saving
    phase runs inside the import's transaction, where that row cannot be updated for
    others to see; its progress goes to the cache, which the page reads when the cache is
    shared (Redis); otherwise the page shows the phase without a percentage.
    """
    now = timezone.now()
    # A job still "running" long after it started lost its worker; its transaction was
    # rolled back with it (nothing was written), so it is claimed again.
    stale = Q(status=ImportJob.Status.RUNNING, started_at__lt=now - STALE_AFTER)
    claimed = ImportJob.objects.filter(Q(status=ImportJob.Status.QUEUED) | stale, pk=job_id).update(
        status=ImportJob.Status.RUNNING, started_at=now, phase=ImportJob.Phase.READING
    )
    if not claimed:
        return None
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)

    def progress(phase: str, done: int, total: int) -> None:
        if phase == ImportJob.Phase.SAVING:
            cache.set(_progress_key(job_id), {"phase": phase, "done": done, "total": total}, 3600)
            return
        ImportJob.objects.filter(pk=job_id).update(
            phase=phase, processed_rows=done, total_rows=total
        )
        if phase == ImportJob.Phase.CHECKING and done == total:
            ImportJob.objects.filter(pk=job_id).update(phase=ImportJob.Phase.SAVING)

    language = job.language or settings.LANGUAGE_CODE
    try:
        with job.file.open("rb") as handle, translation.override(language):
            result = import_cases(
                stream=handle, by=job.created_by, filename=job.filename, progress=progress
            )
    except ImportRejected as exc:
        ImportJob.objects.filter(pk=job_id).update(
            status=ImportJob.Status.REJECTED,
            phase=ImportJob.Phase.FINISHED,
            finished_at=timezone.now(),
            error_count=len(exc.errors),
            errors=[e.as_dict() for e in exc.errors[:JOB_ERRORS_KEPT]],
        )
    except CaseError as exc:
        ImportJob.objects.filter(pk=job_id).update(
            status=ImportJob.Status.REJECTED,
            phase=ImportJob.Phase.FINISHED,
            finished_at=timezone.now(),
            error_count=1,
            errors=[RowError(0, str(exc)).as_dict()],
        )
    except Exception as exc:  # noqa: BLE001 - the page must say the job failed, not spin forever
        ImportJob.objects.filter(pk=job_id).update(
            status=ImportJob.Status.FAILED,
            phase=ImportJob.Phase.FINISHED,
            finished_at=timezone.now(),
            failure=f"{type(exc).__name__}: {exc}"[:2000],
        )
        raise
    else:
        ImportJob.objects.filter(pk=job_id).update(
            status=ImportJob.Status.DONE,
            phase=ImportJob.Phase.FINISHED,
            finished_at=timezone.now(),
            total_rows=result.rows,
            processed_rows=result.rows,
            created_count=result.created,
            skipped_count=result.skipped,
        )
    finally:
        cache.delete(_progress_key(job_id))
    job.refresh_from_db()
    return job


def job_progress(job: ImportJob) -> dict[str, Any]:
    """What the progress endpoint answers: status, phase, counts and a percentage.

    ``percent`` is None when it is not known (the saving phase without a shared cache).
    Checking counts for the first half of the bar and saving for the second.
    """
    percent: float | None
    if job.status in (ImportJob.Status.DONE, ImportJob.Status.REJECTED, ImportJob.Status.FAILED):
        percent = 100.0
    elif job.phase == ImportJob.Phase.CHECKING and job.total_rows:
        percent = round(50 * job.processed_rows / job.total_rows, 1)
    elif job.phase == ImportJob.Phase.SAVING:
        saving = cache.get(_progress_key(job.pk))
        percent = (
            round(50 + 50 * saving["done"] / saving["total"], 1)
            if saving and saving["total"]
            else None
        )
    else:
        percent = 0.0
    return {
        "id": job.pk,
        "status": job.status,
        "status_label": str(job.get_status_display()),
        "phase": job.phase,
        "phase_label": str(job.get_phase_display()),
        "finished": job.is_finished,
        "percent": percent,
        "rows": job.total_rows,
        "checked": job.processed_rows,
        "created": job.created_count,
        "skipped": job.skipped_count,
        "error_count": job.error_count,
    }
