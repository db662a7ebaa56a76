"""A national-scale data set for the benchmarks, loaded with PostgreSQL COPY.

The organisation is the country's: 34 provinces, 3,321 communes and ~700 historic
districts (ended 30/06/2025), each with posts, a clerk and an approving authority. N cases
are spread evenly over 02/10/2009 … yesterday; the regime is the one in force on the filing
date (R260, R41, R377) and the process is the catalog's for the form and the authority
scope. Cases filed in about the last 25 days are open (0.4 % of N) with an active step, a
share of them overdue; all others are closed (approved, a few rejected). Every case has its
steps and its audit events, hash-chained exactly as ``cases.audit.chain.record_event`` chains them
(the canonical JSON of ``CaseEvent.canonical_content``).

Generation is a pure function of (chunk, seed), so chunks are built in worker processes
while the main process streams the previous chunk into PostgreSQL with COPY. Nothing the
migrations own is dropped or disabled: rows go in through the normal tables, indexes,
constraints and triggers (the audit triggers refuse UPDATE/DELETE, not INSERT/COPY).
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import json
import multiprocessing
import random
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import psycopg

from cases.models.audit import GENESIS_HASH
from cases.workflow.deadlines import WorkingCalendar

FIRST_FILING = datetime.date(2009, 10, 2)
DISTRICTS_END = datetime.date(2025, 6, 30)
PROVINCES = 34
COMMUNES = 3321
DISTRICTS = 700
OPEN_SHARE = 0.004  # "a few thousand open" at a million cases
CHUNK = 20_000
# Fixed id blocks per case, so chunks are independent (gaps in the ids are harmless).
STEPS_PER_CASE = 5
EVENTS_PER_CASE = 12
GROUNDS_PER_CASE = 3
PASSWORD = "cadre-demo"
UTC = datetime.UTC

SURNAMES = [
    "Nguyễn",
    "Trần",
    "Lê",
    "Phạm",
    "Hoàng",
    "Huỳnh",
    "Phan",
    "Vũ",
    "Võ",
    "Đặng",
    "Bùi",
    "Đỗ",
    "Hồ",
    "Ngô",
    "Dương",
    "Lý",
]
MIDDLE = ["Văn", "Thị", "Hữu", "Đức", "Minh", "Quang", "Thanh", "Ngọc", "Xuân", "Thu"]
GIVEN = [
    "An",
    "Bình",
    "Cường",
    "Dũng",
    "Giang",
    "Hà",
    "Hải",
    "Hạnh",
    "Hoa",
    "Hùng",
    "Huyền",
    "Khánh",
    "Lan",
    "Linh",
    "Long",
    "Mai",
    "Nam",
    "Nga",
    "Nhung",
    "Phong",
    "Phương",
    "Quân",
    "Quỳnh",
    "Sơn",
    "Tâm",
    "Thảo",
    "Thắng",
    "Trang",
    "Tuấn",
    "Tùng",
    "Vân",
    "Yến",
]
PROVINCE_NAMES = [
    "Hà Nội",
    "Huế",
    "Lai Châu",
    "Điện Biên",
    "Sơn La",
    "Lạng Sơn",
    "Quảng Ninh",
    "Thanh Hóa",
    "Nghệ An",
    "Hà Tĩnh",
    "Cao Bằng",
    "Tuyên Quang",
    "Lào Cai",
    "Thái Nguyên",
    "Phú Thọ",
    "Bắc Ninh",
    "Hưng Yên",
    "Hải Phòng",
    "Ninh Bình",
    "Quảng Trị",
    "Đà Nẵng",
    "Quảng Ngãi",
    "Gia Lai",
    "Khánh Hòa",
    "Lâm Đồng",
    "Đắk Lắk",
    "Thành phố Hồ Chí Minh",
    "Đồng Nai",
    "Tây Ninh",
    "Cần Thơ",
    "Vĩnh Long",
    "Đồng Tháp",
    "Cà Mau",
    "An Giang",
]
PROVINCE_POSTS = [
    "Giám đốc Sở Tài chính",
    "Giám đốc Sở Nội vụ",
    "Giám đốc Sở Xây dựng",
    "Giám đốc Sở Y tế",
    "Giám đốc Sở Giáo dục và Đào tạo",
    "Giám đốc Sở Công Thương",
    "Giám đốc Sở Nông nghiệp và Môi trường",
    "Giám đốc Sở Tư pháp",
    "Giám đốc Sở Văn hóa, Thể thao và Du lịch",
    "Giám đốc Sở Khoa học và Công nghệ",
    "Chánh Thanh tra tỉnh",
    "Chánh Văn phòng Ủy ban nhân dân tỉnh",
    "Phó Giám đốc Sở Tài chính",
    "Phó Giám đốc Sở Nội vụ",
    "Phó Giám đốc Sở Y tế",
    "Phó Giám đốc Sở Xây dựng",
    "Phó Giám đốc Sở Công Thương",
    "Phó Chánh Văn phòng Ủy ban nhân dân tỉnh",
    "Trưởng Ban Quản lý dự án",
    "Giám đốc Trung tâm Phục vụ hành chính công",
]
LOCAL_POSTS_SAME = ["Chủ tịch", "Phó Chủ tịch", "Trưởng phòng Nội vụ"]
LOCAL_POSTS_SUPERIOR = [
    "Chủ tịch Ủy ban nhân dân",
    "Phó Chủ tịch Ủy ban nhân dân",
    "Chỉ huy trưởng Ban Chỉ huy quân sự",
]
FORM_WEIGHTS = {"resignation": 5, "dismissal": 3, "termination": 2}


# --------------------------------------------------------------------------- COPY text


def _esc(value: str) -> str:
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        value = (
            value.replace("\\", "\\\\")
            .replace("\t", "\\t")
            .replace("\n", "\\n")
            .replace("\r", "\\r")
        )
    return value


def _cell(value: Any) -> str:
    kind = value.__class__
    if kind is str:
        return _esc(value)
    if kind is int:
        return str(value)
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    return _DATES(value) if kind is datetime.date else str(value)


@functools.lru_cache(maxsize=65536)
def _DATES(day: datetime.date) -> str:  # noqa: N802 - a cached formatter
    return day.isoformat()


def _line(values: Sequence[Any]) -> str:
    return "\t".join(map(_cell, values)) + "\n"


@functools.lru_cache(maxsize=65536)
def _js(text: str) -> str:
    """A JSON string literal as ``json.dumps(..., ensure_ascii=False)`` writes it."""
    return json.dumps(text, ensure_ascii=False)


_dumps = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode


@functools.lru_cache(maxsize=262144)
def _iso(at: datetime.datetime) -> str:
    return at.isoformat(timespec="microseconds")


# --------------------------------------------------------------------------- the world


@dataclass(frozen=True)
class StepSpec:
    template_id: int
    order: int
    code: str
    kind: str
    actor_role: str
    on_deciding: bool
    limit_code: str | None
    limit_days: int | None
    ceiling_days: int | None
    requires_vote: bool
    documents: tuple[str, ...]
    by_filing: bool


@dataclass(frozen=True)
class Process:
    id: int
    regulation_id: int
    regulation_code: str
    form: str
    scope: str
    steps: tuple[StepSpec, ...]


@dataclass(frozen=True)
class Post:
    id: int
    unit_id: int
    appointing_id: int
    level: str
    district: bool


@dataclass
class World:
    """What every chunk needs to know; built once, shared with the workers by fork."""

    n_cases: int
    seed: int
    today: datetime.date
    bases: dict[str, int]
    regimes: list[tuple[datetime.date, datetime.date | None, int, str]]
    processes: dict[tuple[str, str, str], Process]
    forms_by_regime_scope: dict[tuple[str, str], list[str]]
    grounds: dict[tuple[str, str], list[tuple[int, str]]]
    posts_all: list[Post]
    posts_current: list[Post]
    clerk_of: dict[int, tuple[int, str]]
    authority_of: dict[int, tuple[int, str]]
    working_days: dict[tuple[datetime.date, int], datetime.date] = field(default_factory=dict)

    @property
    def n_open(self) -> int:
        return (
            max(20, round(self.n_cases * OPEN_SHARE))
            if self.n_cases >= 200
            else max(1, self.n_cases // 10)
        )


@dataclass
class LoadReport:
    cases: int
    open_cases: int
    rows: dict[str, int]
    seconds: float
    world_seconds: float
    copy_seconds: float


def _name(rng: random.Random) -> tuple[str, str]:
    middle = rng.choice(MIDDLE)
    honorific = "bà" if middle == "Thị" or rng.random() < 0.3 else "ông"
    return f"{rng.choice(SURNAMES)} {middle} {rng.choice(GIVEN)}", honorific


def _max_id(cur: psycopg.Cursor[Any], table: str) -> int:
    cur.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")  # noqa: S608 - fixed table names
    row = cur.fetchone()
    return int(row[0]) if row else 0


def _catalog(
    cur: psycopg.Cursor[Any],
) -> tuple[list[Any], dict[Any, Process], dict[Any, list[Any]]]:
    cur.execute(
        "SELECT r.id, r.code, r.in_force_from, r.in_force_to FROM cases_regulation r "
        # The Party regimes: every generated case is decided on its Party track (MDL-TRK-1).
        "JOIN cases_catalogversion v ON v.id = r.version_id WHERE v.is_current "
        "AND r.track = 'party' ORDER BY r.in_force_from"
    )
    regimes = [(row[2], row[3], row[0], row[1]) for row in cur.fetchall()]
    codes = {r[2]: r[3] for r in regimes}
    cur.execute(
        "SELECT p.id, p.regulation_id, p.form, p.scope, s.id, s.order, s.code, s.kind, s.actor_role, "
        "s.actor_unit, t.code, t.days, t.unit, t.extension_ceiling_days, t.enabled, s.requires_vote, "
        "s.requires_documents, s.completed_by_filing FROM cases_processtemplate p "
        "JOIN cases_steptemplate s ON s.process_id = p.id "
        "LEFT JOIN cases_timelimit t ON t.id = s.time_limit_id "
        "WHERE p.enabled AND p.regulation_id = ANY(%s) ORDER BY p.id, s.order",
        [list(codes)],
    )
    steps: dict[int, list[StepSpec]] = {}
    heads: dict[int, tuple[int, str, str]] = {}
    for row in cur.fetchall():
        (
            pid,
            reg_id,
            form,
            scope,
            sid,
            order,
            code,
            kind,
            role,
            unit,
            tl_code,
            days,
            tl_unit,
            ceiling,
            tl_enabled,
            vote,
            docs,
            by_filing,
        ) = row
        heads[pid] = (reg_id, form, scope)
        counted = (
            tl_code is not None
            and tl_enabled
            and days
            and tl_unit in ("working_days", "unqualified_days")
        )
        steps.setdefault(pid, []).append(
            StepSpec(
                template_id=sid,
                order=order,
                code=code,
                kind=kind,
                actor_role=role,
                on_deciding=unit == "deciding",
                limit_code=tl_code if counted else None,
                limit_days=days if counted else None,
                ceiling_days=ceiling if counted else None,
                requires_vote=vote,
                documents=tuple(docs if isinstance(docs, list) else json.loads(docs)),
                by_filing=by_filing,
            )
        )
    processes = {
        (codes[reg_id], form, scope): Process(
            pid, reg_id, codes[reg_id], form, scope, tuple(steps[pid])
        )
        for pid, (reg_id, form, scope) in heads.items()
    }
    cur.execute(
        "SELECT g.id, g.code, g.form, g.regulation_id FROM cases_ground g WHERE NOT g.deprecated "
        "AND g.regulation_id = ANY(%s) ORDER BY g.code",
        [list(codes)],
    )
    grounds: dict[tuple[str, str], list[tuple[int, str]]] = {}
    for gid, code, form, reg_id in cur.fetchall():
        grounds.setdefault((codes[reg_id], form), []).append((gid, code))
    return regimes, processes, grounds


def build_world(
    conn: psycopg.Connection[Any], *, n_cases: int, seed: int, today: datetime.date
) -> World:
    """Insert the organisation, posts, users and memberships; return what chunks need."""
    from django.contrib.auth.hashers import make_password

    rng = random.Random(seed)
    with conn.cursor() as cur:
        regimes, processes, grounds = _catalog(cur)
        bases = {
            t: _max_id(cur, t)
            for t in (
                "cases_orgunit",
                "cases_position",
                "auth_user",
                "cases_membership",
                "cases_official",
                "cases_appointment",
                "cases_case",
                "cases_casestep",
                "cases_caseevent",
                "cases_case_grounds",
                "cases_track",
                "cases_track_grounds",
            )
        }
        units: list[tuple[Any, ...]] = []
        next_unit = bases["cases_orgunit"]

        def unit(
            code: str,
            name: str,
            level: str,
            parent: tuple[int, str] | None,
            *,
            kind: str = "state",
            valid_from: datetime.date = datetime.date(1945, 9, 2),
            valid_to: datetime.date | None = None,
            place: str = "",
            collective: str = "",
            head: str = "",
            members: int = 0,
        ) -> tuple[int, str]:
            nonlocal next_unit
            next_unit += 1
            path = f"{parent[1] if parent else '/'}{next_unit}/"
            units.append(
                (
                    next_unit,
                    code,
                    name,
                    kind,
                    level,
                    parent[0] if parent else None,
                    path,
                    valid_from,
                    valid_to,
                    None,
                    place,
                    "UBND" if kind == "state" else "TU",
                    "",
                    collective,
                    head,
                    members,
                )
            )
            return next_unit, path

        central = unit(
            "BENCH-TW",
            "Ban Chấp hành Trung ương",
            "central",
            None,
            kind="party",
            place="Hà Nội",
            collective="BỘ CHÍNH TRỊ",
            head="TỔNG BÍ THƯ",
            members=17,
        )
        provinces = [
            unit(
                f"BENCH-P{p:02d}",
                f"Ủy ban nhân dân tỉnh {PROVINCE_NAMES[p]}",
                "provincial",
                central,
                place=PROVINCE_NAMES[p],
                collective="ỦY BAN NHÂN DÂN",
                head="CHỦ TỊCH",
                members=9,
            )
            for p in range(PROVINCES)
        ]
        districts = [
            unit(
                f"BENCH-D{d:03d}",
                f"Ủy ban nhân dân huyện số {d + 1}",
                "district",
                provinces[d % PROVINCES],
                valid_from=datetime.date(1976, 7, 2),
                valid_to=DISTRICTS_END,
                place=f"Huyện {d + 1}",
                collective="ỦY BAN NHÂN DÂN",
                head="CHỦ TỊCH",
                members=7,
            )
            for d in range(DISTRICTS)
        ]
        communes = [
            unit(
                f"BENCH-X{c:04d}",
                f"Ủy ban nhân dân xã số {c + 1}",
                "commune",
                provinces[c % PROVINCES],
                place=f"Xã {c + 1}",
                collective="ỦY BAN NHÂN DÂN",
                head="CHỦ TỊCH",
                members=5,
            )
            for c in range(COMMUNES)
        ]
        level_of = {u[0]: u[4] for u in units}
        parent_of = {u[0]: u[5] for u in units}

        posts: list[Post] = []
        post_rows: list[tuple[Any, ...]] = []
        next_post = bases["cases_position"]

        def post(title: str, unit_id: int, appointing: int) -> None:
            nonlocal next_post
            next_post += 1
            posts.append(
                Post(
                    next_post,
                    unit_id,
                    appointing,
                    level_of[unit_id],
                    level_of[unit_id] == "district",
                )
            )
            post_rows.append((next_post, title, unit_id, appointing, True))

        for pid, _ in provinces:
            for title in PROVINCE_POSTS:
                post(title, pid, pid)
        for uid, _ in districts + communes:
            for title in LOCAL_POSTS_SAME:
                post(title, uid, uid)
            for title in LOCAL_POSTS_SUPERIOR[:2]:
                post(title, uid, parent_of[uid])

        # Users: an administrator, and a clerk and an authority in every unit.
        password = make_password(PASSWORD)
        user_rows: list[tuple[Any, ...]] = []
        member_rows: list[tuple[Any, ...]] = []
        next_user = bases["auth_user"]
        next_member = bases["cases_membership"]
        joined = datetime.datetime(2009, 1, 1, tzinfo=UTC).isoformat()
        clerk_of: dict[int, tuple[int, str]] = {}
        authority_of: dict[int, tuple[int, str]] = {}

        def user(username: str, first: str, last: str, *, superuser: bool = False) -> int:
            nonlocal next_user
            next_user += 1
            user_rows.append(
                (
                    next_user,
                    password,
                    None,
                    superuser,
                    username,
                    first,
                    last,
                    f"{username}@bench.invalid",
                    superuser,
                    True,
                    joined,
                )
            )
            return next_user

        user("bench-admin", "Quản trị", "hệ thống", superuser=True)
        for u in units[1:]:
            uid = u[0]
            for role, store in (("clerk", clerk_of), ("authority", authority_of)):
                full, _h = _name(rng)
                last, first = full.split(" ", 1)[0], full.split(" ", 1)[1]
                user_id = user(f"{role}-{u[1].lower()}", first, last)
                store[uid] = (user_id, f"{first} {last}")
                next_member += 1
                member_rows.append(
                    (next_member, user_id, uid, role, datetime.date(2000, 1, 1), None)
                )

        def copy(table: str, columns: str, rows: list[tuple[Any, ...]]) -> None:
            with cur.copy(f"COPY {table} ({columns}) FROM STDIN") as out:  # noqa: S608
                out.write("".join(_line(r) for r in rows).encode("utf-8"))

        copy(
            "cases_orgunit",
            "id, code, name, kind, level, parent_id, path, valid_from, valid_to, successor_id, "
            "place, symbol, superior_name, collective_name, head_title, members_count",
            units,
        )
        copy("cases_position", "id, title, unit_id, appointing_unit_id, is_leadership", post_rows)
        copy(
            "auth_user",
            "id, password, last_login, is_superuser, username, first_name, last_name, email, "
            "is_staff, is_active, date_joined",
            user_rows,
        )
        copy("cases_membership", "id, user_id, unit_id, role, valid_from, valid_to", member_rows)
    conn.commit()
    return World(
        n_cases=n_cases,
        seed=seed,
        today=today,
        bases=bases,
        regimes=regimes,
        processes=processes,
        forms_by_regime_scope={
            (reg, scope): [f for f in FORM_WEIGHTS if (reg, f, scope) in processes]
            for reg in {r[3] for r in regimes}
            for scope in ("same_level", "superior")
        },
        grounds=grounds,
        posts_all=posts,
        posts_current=[p for p in posts if not p.district],
        clerk_of=clerk_of,
        authority_of=authority_of,
    )


# --------------------------------------------------------------------------- one chunk

_WORLD: World | None = None
_CALENDAR: WorkingCalendar | None = None


def _init_worker(world: World) -> None:
    global _WORLD, _CALENDAR
    _WORLD = world
    # No overrides: the bench database has none, and the workers have no connection.
    _CALENDAR = WorkingCalendar(overrides={})


def _add_wd(start: datetime.date, days: int) -> datetime.date:
    assert _WORLD is not None and _CALENDAR is not None
    key = (start, days)
    found = _WORLD.working_days.get(key)
    if found is None:
        found = _CALENDAR.add_working_days(start, days)
        _WORLD.working_days[key] = found
    return found


def _dmy(day: datetime.date) -> str:
    return day.strftime("%d/%m/%Y")


@functools.lru_cache(maxsize=262144)
def _at(day: datetime.date, minute: int) -> datetime.datetime:
    # 08:00 local (UTC+7) is 01:00 UTC; each action of a day a few minutes later.
    return datetime.datetime(day.year, day.month, day.day, 1, 0, tzinfo=UTC) + datetime.timedelta(
        minutes=minute
    )


class _Chain:
    """Builds one case's events and their hash chain (``record_event``'s canonical JSON)."""

    __slots__ = ("case_id", "event_base", "prev", "seq", "rows", "last_at")

    def __init__(self, case_id: int, event_base: int) -> None:
        self.case_id = case_id
        self.event_base = event_base
        self.prev = GENESIS_HASH
        self.seq = 0
        self.rows: list[str] = []
        self.last_at: datetime.datetime | None = None

    def add(
        self,
        *,
        at: datetime.datetime,
        actor: tuple[int, str],
        action: str,
        from_state: str,
        to_state: str,
        step: str,
        reason: str = "",
        data: dict[str, Any],
    ) -> datetime.datetime:
        """Append one event; times only move forward. Returns the event's time.

        The canonical text is ``CaseEvent.canonical_content`` (sorted keys, compact, not
        ASCII-escaped) assembled from pre-encoded parts; the loader verifies sampled chains
        with ``cases.audit.chain.verify_case_chain`` after the load.
        """
        if self.last_at is not None and at <= self.last_at:
            at = self.last_at + datetime.timedelta(minutes=1)
        self.last_at = at
        self.seq += 1
        at_text = _iso(at)
        data_json = _dumps(data)
        content = (
            f'{{"action":{_js(action)},"actor":{actor[0]},"actor_name":{_js(actor[1])},"at":"{at_text}",'
            f'"case":{self.case_id},"data":{data_json},"from":{_js(from_state)},"reason":{_js(reason)},'
            f'"seq":{self.seq},"step":{_js(step)},"to":{_js(to_state)}}}'
        )
        digest = hashlib.sha256(self.prev.encode("ascii"))
        digest.update(content.encode("utf-8"))
        current = digest.hexdigest()
        self.rows.append(
            f"{self.event_base + self.seq}\t{self.case_id}\t{self.seq}\t{at_text}\t{actor[0]}\t{_esc(actor[1])}\t"
            f"{action}\t{_esc(from_state)}\t{_esc(to_state)}\t{_esc(step)}\t{_esc(reason)}\t{_esc(data_json)}\t"
            f"{self.prev}\t{current}\n"
        )
        self.prev = current
        return at


def _regime(day: datetime.date) -> tuple[int, str]:
    assert _WORLD is not None
    for start, end, reg_id, code in _WORLD.regimes:
        if start <= day and (end is None or day <= end):
            return reg_id, code
    raise ValueError(f"no regime on {day}")


def build_chunk(index: int) -> dict[str, bytes]:
    """The COPY text of cases ``index*CHUNK`` … for every table, deterministically."""
    world = _WORLD
    assert world is not None
    rng = random.Random(world.seed * 1_000_003 + index)
    n, n_open = world.n_cases, world.n_open
    first_open = n - n_open
    span = (world.today - datetime.timedelta(days=1) - FIRST_FILING).days
    open_span = 25
    b = world.bases
    out: dict[str, list[str]] = {
        k: []
        for k in (
            "officials",
            "cases",
            "grounds",
            "tracks",
            "track_grounds",
            "steps",
            "events",
            "appointments",
        )
    }
    open_steps: list[str] = []
    for i in range(index * CHUNK, min(n, (index + 1) * CHUNK)):
        case_id = b["cases_case"] + i + 1
        is_open = i >= first_open
        if is_open:
            # The newest filings, evenly over the last ~25 days, each on its own current post.
            j = i - first_open
            filed = world.today - datetime.timedelta(days=open_span - (j * open_span) // n_open)
            post = world.posts_current[(j * 7919) % len(world.posts_current)]
        else:
            filed = FIRST_FILING + datetime.timedelta(
                days=(i * (span - open_span)) // max(1, first_open)
            )
            pool = world.posts_all if filed <= DISTRICTS_END else world.posts_current
            post = pool[rng.randrange(len(pool))]
        reg_id, reg = _regime(filed)
        scope = "same_level" if post.appointing_id == post.unit_id else "superior"
        forms = world.forms_by_regime_scope[(reg, scope)]
        if not forms:
            scope = "same_level"
            forms = world.forms_by_regime_scope[(reg, scope)]
        form = rng.choices(forms, weights=[FORM_WEIGHTS[f] for f in forms])[0]
        process = world.processes[(reg, form, scope)]
        choices = world.grounds[(reg, form)]
        picked = rng.sample(choices, k=1 if rng.random() < 0.7 or len(choices) < 2 else 2)
        employing, deciding = post.unit_id, post.appointing_id
        clerk_emp = world.clerk_of[employing]

        official_id = b["cases_official"] + i + 1
        full_name, honorific = _name(rng)
        born = datetime.date(1960 + rng.randrange(25), 1 + rng.randrange(12), 1 + rng.randrange(28))
        out["officials"].append(
            _line((official_id, full_name, honorific, born, f"BENCH-{i + 1:08d}", None, 0, ""))
        )

        # The timeline: each step takes some days; closed cases end before today.
        steps = process.steps
        n_steps = len(steps)
        if is_open:
            current = rng.randrange(n_steps - 1) if n_steps > 1 else 0
            stale = rng.random() < 0.25
        else:
            current = -1
            stale = False
        outcome = "approved"
        if not is_open and rng.random() < 0.06:
            outcome = "rejected"
        durations = [rng.randint(1, 9) for _ in steps]
        starts: list[datetime.date] = []
        day = filed
        for k in range(n_steps):
            starts.append(day)
            day = day + datetime.timedelta(days=0 if steps[k].by_filing else durations[k])
        if is_open:
            # The current step started some days ago; a quarter of them long ago (overdue).
            back = rng.randint(15, 60) if stale else rng.randint(0, 12)
            cur_start = max(filed, world.today - datetime.timedelta(days=back))
            starts[current] = cur_start
            for k in range(current):
                starts[k] = min(starts[k], cur_start)
        else:
            last = world.today - datetime.timedelta(days=1)
            if day > last:
                starts = [min(s, last) for s in starts]
                day = last

        ref = f"HS-{filed.year}-{case_id:06d}"
        step_base = b["cases_casestep"] + i * STEPS_PER_CASE
        chain = _Chain(case_id, b["cases_caseevent"] + i * EVENTS_PER_CASE)
        step_rows: list[tuple[Any, ...]] = []
        due: list[tuple[datetime.date | None, str, datetime.date | None]] = []
        for k, spec in enumerate(steps):
            d, rule, ceiling = None, "", None
            if spec.limit_days:
                d = _add_wd(starts[k], spec.limit_days)
                rule = f"{spec.limit_code}: {spec.limit_days} working days after {_dmy(starts[k])}"
                if spec.ceiling_days:
                    ceiling = _add_wd(starts[k], spec.ceiling_days)
            due.append((d, rule, ceiling))

        def state(k: int | None, status: str = "open", steps: tuple[StepSpec, ...] = steps) -> str:
            return f"{status}:{steps[k].code if k is not None else ''}"

        first_active = 1 if steps[0].by_filing else 0
        filed_at = _at(filed, 0)
        filer = clerk_emp
        chain.add(
            at=filed_at,
            actor=filer,
            action="case_filed",
            from_state="",
            to_state=state(first_active),
            step="",
            reason="Đề nghị xem xét theo quy định.",
            data={
                "form": form,
                "regulation": reg,
                "scope": scope,
                "grounds": sorted(c for _g, c in picked),
                "official": official_id,
                "position": post.id,
                "filed_on": filed.isoformat(),
                "steps": [
                    {
                        "code": s.code,
                        "status": "done"
                        if s.by_filing
                        else ("active" if k == first_active else "pending"),
                        "due_on": due[k][0].isoformat()
                        if k == first_active and due[k][0]
                        else None,
                        "due_rule": due[k][1] if k == first_active else "",
                    }
                    for k, s in enumerate(steps)
                ],
            },
        )
        decided = None
        closed = None
        status = "open"
        final_outcome = ""
        for k, spec in enumerate(steps):
            start = starts[k]
            actor_unit = deciding if spec.on_deciding else employing
            actor = (
                world.authority_of[actor_unit]
                if spec.actor_role == "authority"
                else world.clerk_of[actor_unit]
            )
            if spec.actor_role == "official":
                actor = filer
            end_day = starts[k + 1] if k + 1 < n_steps else day
            finish_at = _at(end_day if not spec.by_filing else filed, 30)
            if is_open and k > current:
                step_rows.append(
                    (
                        step_base + k + 1,
                        case_id,
                        spec.template_id,
                        spec.order,
                        "pending",
                        spec.actor_role,
                        actor_unit,
                        None,
                        None,
                        None,
                        None,
                        "",
                        None,
                        None,
                        "",
                        None,
                        None,
                        "",
                        None,
                    )
                )
                continue
            if spec.by_filing:
                step_rows.append(
                    (
                        step_base + k + 1,
                        case_id,
                        spec.template_id,
                        spec.order,
                        "done",
                        spec.actor_role,
                        actor_unit,
                        None,
                        filed,
                        filed_at.isoformat(),
                        None,
                        "",
                        None,
                        None,
                        "",
                        filed_at.isoformat(),
                        filer[0],
                        "done",
                        None,
                    )
                )
                continue
            d, rule, ceiling = due[k]
            started_at = _at(start, 1).isoformat()
            if is_open and k == current:
                step_rows.append(
                    (
                        step_base + k + 1,
                        case_id,
                        spec.template_id,
                        spec.order,
                        "active",
                        spec.actor_role,
                        actor_unit,
                        None,
                        start,
                        started_at,
                        d,
                        rule,
                        ceiling,
                        d,
                        "",
                        None,
                        None,
                        "",
                        None,
                    )
                )
                open_steps.append(f"{case_id}\t{step_base + k + 1}\n")
                continue
            # Work on the step, then its closing action.
            minute = 60
            if spec.kind == "decision":
                if outcome == "rejected":
                    finish_at = chain.add(
                        at=finish_at,
                        actor=actor,
                        action="reject",
                        from_state=state(k),
                        to_state="closed:rejected",
                        step=spec.code,
                        reason="Không đủ căn cứ để xem xét.",
                        data={"at_step": spec.code},
                    )
                    step_rows.append(
                        (
                            step_base + k + 1,
                            case_id,
                            spec.template_id,
                            spec.order,
                            "done",
                            spec.actor_role,
                            actor_unit,
                            None,
                            start,
                            started_at,
                            d,
                            rule,
                            ceiling,
                            d,
                            "",
                            finish_at.isoformat(),
                            actor[0],
                            "rejected",
                            None,
                        )
                    )
                    for m in range(k + 1, n_steps):
                        rest = steps[m]
                        step_rows.append(
                            (
                                step_base + m + 1,
                                case_id,
                                rest.template_id,
                                rest.order,
                                "cancelled",
                                rest.actor_role,
                                deciding if rest.on_deciding else employing,
                                None,
                                None,
                                None,
                                None,
                                "",
                                None,
                                None,
                                "",
                                None,
                                None,
                                "",
                                None,
                            )
                        )
                    decided, closed, status, final_outcome = end_day, end_day, "closed", "rejected"
                    break
                number = 1 + (case_id * 37) % 900
                nxt = k + 1 if k + 1 < n_steps else None
                finish_at = chain.add(
                    at=finish_at,
                    actor=actor,
                    action="approve",
                    from_state=state(k),
                    to_state=state(nxt, "implementation") if nxt is not None else "closed:approved",
                    step=spec.code,
                    data={
                        "decision": None,
                        "number": number,
                        "symbol": f"{number:02d}/QĐ-UBND",
                        "effective_on": end_day.isoformat(),
                        "prefix": "TM.",
                        "on_behalf_of": None,
                        "late": bool(d and end_day > d),
                    },
                )
                step_rows.append(
                    (
                        step_base + k + 1,
                        case_id,
                        spec.template_id,
                        spec.order,
                        "done",
                        spec.actor_role,
                        actor_unit,
                        None,
                        start,
                        started_at,
                        d,
                        rule,
                        ceiling,
                        d,
                        "",
                        finish_at.isoformat(),
                        actor[0],
                        "approved",
                        None,
                    )
                )
                decided, final_outcome = end_day, "approved"
                if nxt is None:
                    closed, status = end_day, "closed"
                continue
            if spec.kind == "implementation":
                finish_at = chain.add(
                    at=finish_at,
                    actor=actor,
                    action="complete_implementation",
                    from_state=state(k, "implementation"),
                    to_state="closed:approved",
                    step=spec.code,
                    data={},
                )
                step_rows.append(
                    (
                        step_base + k + 1,
                        case_id,
                        spec.template_id,
                        spec.order,
                        "done",
                        spec.actor_role,
                        actor_unit,
                        None,
                        start,
                        started_at,
                        d,
                        rule,
                        ceiling,
                        d,
                        "",
                        finish_at.isoformat(),
                        actor[0],
                        "done",
                        None,
                    )
                )
                closed, status = end_day, "closed"
                continue
            if spec.kind in ("exchange", "consultation"):
                chain.add(
                    at=_at(start, minute),
                    actor=actor,
                    action="record_talk",
                    from_state=state(k),
                    to_state=state(k),
                    step=spec.code,
                    data={
                        "held_on": start.isoformat(),
                        "summary": "Đã trao đổi với cán bộ về nội dung đề nghị.",
                        "documents": [
                            {
                                "kind": "minutes",
                                "version": 1,
                                "filename": "bien-ban.pdf",
                                "sha256": hashlib.sha256(f"{case_id}-{k}".encode()).hexdigest(),
                            }
                        ],
                    },
                )
                minute += 10
            elif spec.documents:
                chain.add(
                    at=_at(start, minute),
                    actor=actor,
                    action="attach_document",
                    from_state=state(k),
                    to_state=state(k),
                    step=spec.code,
                    data={
                        "documents": [
                            {
                                "kind": spec.documents[0],
                                "version": 1,
                                "filename": f"{spec.documents[0]}.pdf",
                                "sha256": hashlib.sha256(f"{case_id}-{k}".encode()).hexdigest(),
                            }
                        ]
                    },
                )
                minute += 10
            if spec.requires_vote:
                members = 7 + rng.randrange(9)
                votes_for = members // 2 + 1 + rng.randrange((members + 1) // 2)
                chain.add(
                    at=_at(start, minute),
                    actor=actor,
                    action="record_vote",
                    from_state=state(k),
                    to_state=state(k),
                    step=spec.code,
                    data={
                        "members": members,
                        "present": members,
                        "for": votes_for,
                        "against": members - votes_for,
                        "threshold": "> 1/2 of members",
                        "passed": True,
                    },
                )
            nxt_k = k + 1 if k + 1 < n_steps else None
            nd = due[nxt_k] if nxt_k is not None else (None, "", None)
            finish_at = chain.add(
                at=finish_at,
                actor=actor,
                action="complete_step",
                from_state=state(k),
                to_state=state(nxt_k),
                step=spec.code,
                data={
                    "next_step": steps[nxt_k].code if nxt_k is not None else None,
                    "due_on": nd[0].isoformat() if nd[0] else None,
                    "due_rule": nd[1],
                },
            )
            step_rows.append(
                (
                    step_base + k + 1,
                    case_id,
                    spec.template_id,
                    spec.order,
                    "done",
                    spec.actor_role,
                    actor_unit,
                    None,
                    start,
                    started_at,
                    d,
                    rule,
                    ceiling,
                    d,
                    "",
                    finish_at.isoformat(),
                    actor[0],
                    "done",
                    None,
                )
            )
        if is_open:
            status = "implementation" if steps[current].kind == "implementation" else "open"
            final_outcome = ""
        created = filed_at.isoformat()
        updated = (
            _at(closed, 30) if closed else _at(starts[current] if is_open else filed, 1)
        ).isoformat()
        out["cases"].append(
            _line(
                (
                    case_id,
                    ref,
                    form,
                    official_id,
                    post.id,
                    reg_id,
                    process.id,
                    scope,
                    employing,
                    deciding,
                    post.level,
                    "Đề nghị xem xét theo quy định.",
                    filed,
                    filer[0],
                    status,
                    final_outcome,
                    None,
                    decided,
                    closed,
                    False,
                    "",
                    "[]",
                    False,
                    chain.seq,
                    chain.prev,
                    created,
                    updated,
                )
            )
        )
        for g, (gid, _code) in enumerate(picked):
            out["grounds"].append(
                _line((b["cases_case_grounds"] + i * GROUNDS_PER_CASE + g + 1, case_id, gid))
            )
        # MDL-TRK-1: every case has its Party track (filing creates it), with the case's
        # regime, process, grounds and steps; its status follows the case's outcome.
        track_id = b["cases_track"] + i + 1
        track_status = final_outcome if final_outcome in ("approved", "rejected") else "open"
        out["tracks"].append(
            _line(
                (
                    track_id,
                    case_id,
                    "party",
                    1,
                    form,
                    reg_id,
                    process.id,
                    scope,
                    deciding,
                    None,
                    filed,
                    track_status,
                    "",
                    filed,
                    decided,
                    decided if final_outcome == "approved" else None,
                    None,
                    "decision",  # MDL-TRK-3: a Party track decides by a decision
                )
            )
        )
        for g, (gid, _code) in enumerate(picked):
            out["track_grounds"].append(
                _line((b["cases_track_grounds"] + i * GROUNDS_PER_CASE + g + 1, track_id, gid))
            )
        out["steps"].extend(_line((*r, track_id)) for r in step_rows)
        out["events"].extend(chain.rows)
        term_start = filed - datetime.timedelta(days=200 + rng.randrange(1600))
        ended = (
            None
            if is_open
            else (
                decided
                if final_outcome == "approved"
                else min(
                    world.today - datetime.timedelta(days=1),
                    filed + datetime.timedelta(days=400 + rng.randrange(800)),
                )
            )
        )
        out["appointments"].append(
            _line(
                (
                    b["cases_appointment"] + i + 1,
                    official_id,
                    post.id,
                    term_start,
                    None,
                    ended,
                    case_id if final_outcome == "approved" else None,
                )
            )
        )
    result = {k: "".join(v).encode("utf-8") for k, v in out.items()}
    result["open_steps"] = "".join(open_steps).encode("utf-8")
    result["_counts"] = json.dumps({k: len(v) for k, v in out.items()}).encode()
    return result


COPY_SQL = {
    "officials": (
        "COPY cases_official (id, full_name, honorific, date_of_birth, personnel_number, user_id, "
        "fact_count, last_fact_hash) FROM STDIN"
    ),
    "cases": (
        "COPY cases_case (id, reference, form, official_id, position_id, regulation_id, process_id, scope, "
        "employing_unit_id, deciding_unit_id, level, statement, filed_on, filed_by_id, status, outcome, "
        "current_step_id, decided_on, closed_on, needs_review, review_reason, warnings, imported, event_count, "
        "last_event_hash, created_at, updated_at) FROM STDIN"
    ),
    "grounds": "COPY cases_case_grounds (id, case_id, ground_id) FROM STDIN",
    "tracks": (
        'COPY cases_track (id, case_id, kind, "order", form, regulation_id, process_id, scope, '
        "deciding_unit_id, approving_unit_id, filed_on, status, status_reason, started_on, "
        "decided_on, approved_on, effective_on, instrument) FROM STDIN"
    ),
    "track_grounds": "COPY cases_track_grounds (id, track_id, ground_id) FROM STDIN",
    "steps": (
        'COPY cases_casestep (id, case_id, template_id, "order", status, actor_role, actor_unit_id, assignee_id, '
        "started_on, started_at, due_on, due_rule, ceiling_on, original_due_on, extension_reason, completed_at, "
        "completed_by_id, outcome, escalated_at, track_id) FROM STDIN"
    ),
    "events": (
        "COPY cases_caseevent (id, case_id, seq, at, actor_id, actor_name, action, from_state, to_state, step_code, "
        "reason, data, prev_hash, hash) FROM STDIN"
    ),
    "appointments": (
        "COPY cases_appointment (id, official_id, position_id, term_start, term_end, ended_on, ended_by_case_id) "
        "FROM STDIN"
    ),
}
SEQUENCED = (
    "cases_orgunit",
    "cases_position",
    "auth_user",
    "cases_membership",
    "cases_official",
    "cases_appointment",
    "cases_case",
    "cases_casestep",
    "cases_caseevent",
    "cases_case_grounds",
    "cases_track",
    "cases_track_grounds",
)


LOADED_TABLES = (
    "cases_orgunit",
    "cases_position",
    "auth_user",
    "cases_membership",
    "cases_official",
    "cases_appointment",
    "cases_case",
    "cases_case_grounds",
    "cases_track",
    "cases_track_grounds",
    "cases_casestep",
    "cases_caseevent",
)


def check_foreign_keys(conn: psycopg.Connection[Any]) -> dict[str, int]:
    """Rows of the loaded tables whose foreign key points at no row (empty when all hold)."""
    found: dict[str, int] = {}
    with conn.cursor() as cur:
        cur.execute(
            "SELECT c.conname, c.conrelid::regclass::text, a.attname, c.confrelid::regclass::text, fa.attname "
            "FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] "
            "JOIN pg_attribute fa ON fa.attrelid = c.confrelid AND fa.attnum = c.confkey[1] "
            "WHERE c.contype = 'f' AND c.conrelid::regclass::text = ANY(%s)",
            [list(LOADED_TABLES)],
        )
        for name, table, column, parent, parent_column in cur.fetchall():
            cur.execute(
                f'SELECT COUNT(*) FROM {table} t WHERE t."{column}" IS NOT NULL AND NOT EXISTS '  # noqa: S608
                f'(SELECT 1 FROM {parent} p WHERE p."{parent_column}" = t."{column}")'
            )
            row = cur.fetchone()
            if row and row[0]:
                found[name] = int(row[0])
    return found


def _chunks(world: World, workers: int) -> Iterator[dict[str, bytes]]:
    count = (world.n_cases + CHUNK - 1) // CHUNK
    if workers <= 1:
        _init_worker(world)
        for index in range(count):
            yield build_chunk(index)
        return
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(workers, initializer=_init_worker, initargs=(world,)) as pool:
        yield from pool.imap(build_chunk, range(count))


def load(
    dsn: str,
    *,
    n_cases: int,
    seed: int = 2009,
    today: datetime.date | None = None,
    workers: int = 2,
    progress: Any = None,
) -> LoadReport:
    """Generate and COPY ``n_cases`` cases into a migrated database with the catalog loaded."""
    from django.utils import timezone

    today = today or timezone.localdate()
    started = time.perf_counter()
    rows: dict[str, int] = {}
    with psycopg.connect(dsn) as conn:
        # This session only: no WAL flush wait per chunk, and no per-row foreign-key triggers
        # (replica role); every foreign key of the loaded tables is then checked in bulk by
        # ``check_foreign_keys``, and the constraints stay in force for everything else.
        conn.execute("SET synchronous_commit = off")
        conn.execute("SET session_replication_role = replica")
        world = build_world(conn, n_cases=n_cases, seed=seed, today=today)
        world_seconds = time.perf_counter() - started
        copy_seconds = 0.0
        open_pairs: list[bytes] = []
        for chunk in _chunks(world, workers):
            t0 = time.perf_counter()
            with conn.cursor() as cur:
                for table in (
                    "officials",
                    "cases",
                    "grounds",
                    "tracks",
                    "track_grounds",
                    "steps",
                    "events",
                    "appointments",
                ):
                    with cur.copy(COPY_SQL[table]) as out:
                        out.write(chunk[table])
            conn.commit()
            copy_seconds += time.perf_counter() - t0
            for key, value in json.loads(chunk["_counts"]).items():
                rows[key] = rows.get(key, 0) + value
            open_pairs.append(chunk["open_steps"])
            if progress is not None:
                progress(rows.get("cases", 0), n_cases)
        with conn.cursor() as cur:
            cur.execute("CREATE TEMP TABLE bench_open (case_id bigint, step_id bigint)")
            with cur.copy("COPY bench_open (case_id, step_id) FROM STDIN") as out:
                out.write(b"".join(open_pairs))
            cur.execute(
                "UPDATE cases_case c SET current_step_id = o.step_id FROM bench_open o WHERE c.id = o.case_id"
            )
            for table in SEQUENCED:
                cur.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                    f"GREATEST((SELECT COALESCE(MAX(id), 0) FROM {table}), 1))"
                )
        conn.commit()
        conn.execute("SET session_replication_role = origin")
        t0 = time.perf_counter()
        dangling = check_foreign_keys(conn)
        conn.commit()
        if dangling:
            raise RuntimeError(f"generated rows break foreign keys: {dangling}")
        conn.autocommit = True
        conn.execute("VACUUM (ANALYZE)")
        analyze_seconds = time.perf_counter() - t0
    return LoadReport(
        cases=n_cases,
        open_cases=world.n_open,
        rows=rows,
        seconds=time.perf_counter() - started,
        world_seconds=world_seconds,
        copy_seconds=copy_seconds + analyze_seconds,
    )
