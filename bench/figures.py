"""The measurements. Each returns ``Row``s: figure, size, median, p95, target, pass/fail.

Latencies are wall-clock milliseconds of repeated calls after a warm-up, against the bench
database with the data set of the given size. Nothing is estimated: every number in a row
comes from a run in this process (or from gunicorn and wrk for the HTTP figures).
"""

from __future__ import annotations

import datetime
import multiprocessing
import statistics as stats
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection, connections
from django.test import Client
from django.test.utils import CaptureQueriesContext

LIST_FILTER = {"form": "resignation"}


@dataclass
class Row:
    figure: str
    size: int
    median: float | None
    p95: float | None
    unit: str
    target: str
    passed: bool | None
    note: str = ""
    # The machine's state measured right after the figure (bench.machine); {} when none.
    machine: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def sample(fn: Callable[[], Any], *, repeat: int, warmup: int = 3) -> list[float]:
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def count_queries(fn: Callable[[], Any]) -> int:
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


# --------------------------------------------------------------------------- subjects


@dataclass
class Subjects:
    """Who and what the figures use, picked from the generated data."""

    list_user: Any
    list_unit_path: str
    inbox_user: Any
    inbox_units: list[int]
    detail_ids: list[int]
    vote_cases: list[tuple[int, int]]  # (case id, clerk user id) of open cases on a vote step


def pick_subjects(today: datetime.date) -> Subjects:
    from cases.models import CaseStep, Membership, OrgUnit

    User = get_user_model()  # noqa: N806
    # The case list: the clerk of the first province (about 1/34 of the country's cases).
    province = (
        OrgUnit.objects.filter(level="provincial", code__startswith="BENCH-P")
        .order_by("code")
        .first()
    )
    assert province is not None, "no bench data: run the generator first"
    list_user = User.objects.get(username=f"clerk-{province.code.lower()}")
    # The inbox: the clerk whose unit has the most steps waiting (the busiest inbox).
    busiest = (
        CaseStep.objects.filter(status="active", actor_role="clerk", assignee__isnull=True)
        .values("actor_unit_id")
        .order_by()
        .annotate(n=__import__("django.db.models", fromlist=["Count"]).Count("id"))
        .order_by("-n", "actor_unit_id")
        .first()
    )
    unit_id = busiest["actor_unit_id"] if busiest else province.pk
    member = Membership.objects.filter(unit_id=unit_id, role="clerk").select_related("user").first()
    assert member is not None
    from cases.organisation.selectors import cases_visible_to

    visible = cases_visible_to(list_user)
    closed = list(visible.filter(status="closed").order_by("-id").values_list("id", flat=True)[:60])
    open_ = list(visible.exclude(status="closed").order_by("-id").values_list("id", flat=True)[:40])
    vote_steps = (
        CaseStep.objects.filter(
            status="active", actor_role="clerk", template__requires_vote=True, assignee__isnull=True
        )
        .order_by("case_id")
        .values_list("case_id", "actor_unit_id")
    )
    clerks = dict(Membership.objects.filter(role="clerk").values_list("unit_id", "user_id"))
    return Subjects(
        list_user=list_user,
        list_unit_path=province.path,
        inbox_user=member.user,
        inbox_units=[unit_id],
        detail_ids=closed + open_,
        vote_cases=[(case_id, clerks[unit]) for case_id, unit in vote_steps if unit in clerks],
    )


# --------------------------------------------------------------------------- the API


def api_mode() -> str:
    return "REST API (cases.api via Django test Client)"


@contextmanager
def page_size(n: int) -> Iterator[None]:
    """The page size of the API's list endpoints."""
    from cases.api.pagination import CasePagination, Pagination

    old = Pagination.page_size, CasePagination.page_size
    Pagination.page_size = CasePagination.page_size = n
    try:
        yield
    finally:
        Pagination.page_size, CasePagination.page_size = old


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _get(client: Client, url: str, data: dict[str, str] | None = None) -> Any:
    response = client.get(url, data or {}, secure=True)
    if response.status_code != 200:
        raise RuntimeError(f"GET {url} answered {response.status_code}: {response.content[:300]!r}")
    return response


def _replay(client: Client, url: str, data: dict[str, str] | None = None) -> Callable[[], None]:
    """The same page as raw SQL: the SELECTs one request ran, replayed on a plain cursor.

    The ratio API / raw SQL is then what routing, middleware, authentication, the ORM and
    the serialisation add to the database's own work (planning included in both).
    """
    with CaptureQueriesContext(connection) as ctx:
        _get(client, url, data)
    statements = [
        q["sql"] for q in ctx.captured_queries if q["sql"].lstrip().upper().startswith("SELECT")
    ]

    def run() -> None:
        with connection.cursor() as cur:
            for sql in statements:
                cur.execute(sql)
                cur.fetchall()

    return run


def _latency_rows(
    *,
    figure: str,
    size: int,
    api: Callable[[], Any],
    raw: Callable[[], None],
    repeat: int,
    note: str,
) -> tuple[list[Row], dict[str, float]]:
    api_ms = sample(api, repeat=repeat)
    raw_ms = sample(raw, repeat=repeat)
    p95, raw_p95 = percentile(api_ms, 0.95), percentile(raw_ms, 0.95)
    median, raw_median = stats.median(api_ms), stats.median(raw_ms)
    ratio = median / raw_median if raw_median else float("nan")
    rows = [
        Row(
            figure,
            size,
            median,
            p95,
            "ms",
            "p95 ≤ 50 ms at 1 M",
            p95 <= 50 if size >= 1_000_000 else None,
            note,
        ),
        Row(
            f"{figure}: raw SQL of the same page (its SELECTs replayed)",
            size,
            raw_median,
            raw_p95,
            "ms",
            "",
            None,
        ),
        Row(
            f"{figure}: ratio API / raw SQL (medians)",
            size,
            ratio,
            None,
            "×",
            "≤ 3 × at 1 M",
            ratio <= 3 if size >= 1_000_000 else None,
        ),
    ]
    return rows, {"median": median, "p95": p95}


def case_list(subjects: Subjects, size: int, repeat: int) -> tuple[list[Row], dict[str, float]]:
    client = client_for(subjects.list_user)
    url = "/api/v1/cases/"
    api = lambda: _get(client, url, LIST_FILTER)  # noqa: E731
    raw = _replay(client, url, LIST_FILTER)
    rows, p = _latency_rows(
        figure="case list (clerk of a province, form=resignation, 50 a page)",
        size=size,
        api=api,
        raw=raw,
        repeat=repeat,
        note=api_mode(),
    )
    rows += _queries_by_page_size("case list", size, client, url, LIST_FILTER)
    return rows, p


def inbox(subjects: Subjects, size: int, repeat: int) -> tuple[list[Row], dict[str, float]]:
    client = client_for(subjects.inbox_user)
    url = "/api/v1/inbox/"
    api = lambda: _get(client, url)  # noqa: E731
    raw = _replay(client, url)
    count = _get(client, url).json()["count"]
    rows, p = _latency_rows(
        figure=f"inbox (busiest clerk, {count} waiting, 50 a page)",
        size=size,
        api=api,
        raw=raw,
        repeat=repeat,
        note=api_mode(),
    )
    rows += _queries_by_page_size("inbox", size, client, url, {})
    return rows, p


def _queries_by_page_size(
    name: str, size: int, client: Client, url: str, data: dict[str, str]
) -> list[Row]:
    counts = {}
    shown = {}
    for n in (10, 100):
        with page_size(n):
            _get(client, url, data)
            counts[n] = count_queries(lambda: _get(client, url, data))  # noqa: B023
            shown[n] = len(_get(client, url, data).json()["results"])
    return [
        Row(
            f"{name}: queries per request, page size 10 / 100",
            size,
            counts[10],
            counts[100],
            "queries",
            "equal",
            counts[10] == counts[100],
            f"rows on the page: {shown[10]} / {shown[100]}",
        )
    ]


def case_detail(subjects: Subjects, size: int, repeat: int) -> tuple[list[Row], dict[str, float]]:
    from cases.models import Case

    client = client_for(subjects.list_user)
    ids = subjects.detail_ids
    state = {"i": 0}

    def one() -> None:
        state["i"] = (state["i"] + 1) % len(ids)
        _get(client, f"/api/v1/cases/{ids[state['i']]}/")

    ms = sample(one, repeat=max(repeat, len(ids)))
    p95 = percentile(ms, 0.95)
    rows = [
        Row(
            "case detail (open and closed cases of the province)",
            size,
            stats.median(ms),
            p95,
            "ms",
            "p95 ≤ 30 ms at 1 M",
            p95 <= 30 if size >= 1_000_000 else None,
            api_mode(),
        ),
    ]
    # The count may differ between states (an open case asks which actions the user has);
    # within one state it must not depend on how many steps, events or documents a case has.
    cases = {
        c.pk: c for c in Case.objects.filter(pk__in=ids).select_related("current_step__template")
    }
    groups: dict[str, list[int]] = {}
    for pk in ids:
        c = cases[pk]
        key = (
            c.status if c.current_step is None else f"{c.status} at {c.current_step.template.kind}"
        )
        groups.setdefault(key, []).append(pk)
    spread = []
    constant = True
    for key, members in sorted(groups.items()):
        counts = {count_queries(lambda: _get(client, f"/api/v1/cases/{pk}/")) for pk in members[:8]}  # noqa: B023
        steps = {cases[pk].steps.count() for pk in members[:8]}
        events = {cases[pk].event_count for pk in members[:8]}
        constant &= len(counts) == 1
        spread.append(
            f"{key}: {'/'.join(map(str, sorted(counts)))} queries over {min(len(members), 8)} cases with "
            f"{min(steps)}–{max(steps)} steps, {min(events)}–{max(events)} events"
        )
    all_counts = [int(x.split(": ")[1].split(" ")[0].split("/")[0]) for x in spread]
    rows.append(
        Row(
            "case detail: queries per request (min / max over states)",
            size,
            min(all_counts),
            max(all_counts),
            "queries",
            "constant within a state",
            constant,
            "; ".join(spread),
        )
    )
    return rows, {"median": stats.median(ms), "p95": p95}


def reference(size: int) -> Row:
    """How busy the machine is: a fixed CPU-bound loop (SHA-256 of 200,000 short strings)."""
    import hashlib
    import os

    def work() -> None:
        for i in range(200_000):
            hashlib.sha256(b"%d" % i).digest()

    ms = sample(work, repeat=5, warmup=1)
    load = os.getloadavg()
    return Row(
        "machine reference: 200k SHA-256 in Python",
        size,
        stats.median(ms),
        percentile(ms, 0.95),
        "ms",
        "",
        None,
        f"load average {load[0]:.1f}, {load[1]:.1f}, {load[2]:.1f} (2 CPUs shared with other work)",
    )


# The one indexed query the sweep should be: the same columns, the same rows.
OVERDUE_SQL = "SELECT id, case_id, due_on, escalated_at FROM cases_casestep WHERE status = 'active' AND due_on < %s"


def overdue_sweep(size: int, repeat: int, today: datetime.date) -> list[Row]:
    from cases.workflow.deadlines import overdue_steps

    found = {"n": 0}

    def orm() -> None:
        found["n"] = len(list(overdue_steps(today)))

    def raw() -> None:
        with connection.cursor() as cur:
            cur.execute(OVERDUE_SQL, [today])
            cur.fetchall()

    orm_ms = sample(orm, repeat=repeat)
    raw_ms = sample(raw, repeat=repeat)
    median, raw_median = stats.median(orm_ms), stats.median(raw_ms)
    ratio = median / raw_median if raw_median else float("nan")
    with connection.cursor() as cur:
        cur.execute("EXPLAIN " + OVERDUE_SQL, [today])
        plan = " ".join(r[0].strip() for r in cur.fetchall())
    return [
        Row(
            f"overdue sweep: overdue_steps(today) evaluated ({found['n']} steps)",
            size,
            median,
            percentile(orm_ms, 0.95),
            "ms",
            "≤ 1 s",
            percentile(orm_ms, 0.95) <= 1000,
        ),
        Row(
            "overdue sweep: its raw SQL",
            size,
            raw_median,
            percentile(raw_ms, 0.95),
            "ms",
            "",
            None,
            "index: " + ("step_active_due" if "step_active_due" in plan else plan[:80]),
        ),
        Row(
            "overdue sweep: ratio ORM / raw SQL (medians)",
            size,
            ratio,
            None,
            "×",
            "≤ 1.5 ×",
            ratio <= 1.5,
        ),
    ]


def statistics_report(size: int, repeat: int) -> list[Row]:
    from cases.models import Case
    from cases.reports.statistics import statistics

    result = {"rows": 0}

    def run() -> None:
        result["rows"] = len(statistics(Case.objects.all(), by=["ground", "level"]))

    ms = sample(run, repeat=repeat, warmup=1)
    median = stats.median(ms)
    return [
        Row(
            f"statistics: ground × level over all cases ({result['rows']} rows)",
            size,
            median,
            percentile(ms, 0.95),
            "ms",
            "≤ 2 s at 1 M",
            median <= 2000 if size >= 1_000_000 else None,
        )
    ]


# --------------------------------------------------------------------------- transitions


def _transition_worker(args: tuple[list[tuple[int, int]], float, Any, Any]) -> int:
    cases, seconds, start_event, today = args
    from django.contrib.auth import get_user_model

    from cases.workflow import engine as workflow

    connections.close_all()
    users = {u.pk: u for u in get_user_model().objects.filter(pk__in={uid for _c, uid in cases})}
    start_event.wait()
    done = 0
    deadline = time.perf_counter() + seconds
    i = 0
    while time.perf_counter() < deadline:
        case_id, user_id = cases[i % len(cases)]
        i += 1
        user = users[user_id]
        for attr in [a for a in vars(user) if a.startswith("_memberships_")]:
            delattr(user, attr)  # as in a fresh request: memberships are read again
        workflow.perform(
            case_id=case_id,
            user=user,
            action=workflow.RECORD_VOTE,
            data={"members": 9, "present": 9, "votes_for": 7, "votes_against": 2},
            today=today,
        )
        done += 1
    connections.close_all()
    return done


def transitions(subjects: Subjects, size: int, seconds: float, today: datetime.date) -> list[Row]:
    """record_vote through ``workflow.perform`` (lock, checks, vote, audit event), 1 and 2 processes."""
    from cases.audit.chain import verify_case_chain

    rows = []
    cases = subjects.vote_cases
    if len(cases) < 2:
        return [
            Row(
                "transitions (record_vote)",
                size,
                None,
                None,
                "tx/s",
                "≥ 300/s",
                False,
                "no open vote steps",
            )
        ]
    ctx = multiprocessing.get_context("fork")
    for procs in (1, 2):
        connections.close_all()
        shares = [cases[k::procs] for k in range(procs)]
        manager = ctx.Manager()
        start = manager.Event()
        with ctx.Pool(procs) as pool:
            pending = pool.map_async(
                _transition_worker, [(share, seconds, start, today) for share in shares]
            )
            time.sleep(0.5)
            t0 = time.perf_counter()
            start.set()
            counts = pending.get()
            elapsed = time.perf_counter() - t0
        manager.shutdown()
        rate = sum(counts) / max(elapsed, seconds)
        rows.append(
            Row(
                f"transitions: record_vote via workflow.perform, {procs} process{'es' if procs > 1 else ''}",
                size,
                rate,
                None,
                "tx/s",
                "≥ 300/s on 1 process" if procs == 1 else "",
                rate >= 300 if procs == 1 else None,
                f"{sum(counts)} transitions on {len(cases)} open cases in {elapsed:.1f} s",
            )
        )
    from cases.workflow import engine as workflow

    case_id, user_id = cases[0]
    user = get_user_model().objects.get(pk=user_id)
    queries = count_queries(
        lambda: workflow.perform(
            case_id=case_id,
            user=user,
            action=workflow.RECORD_VOTE,
            data={"members": 9, "present": 9, "votes_for": 7, "votes_against": 2},
            today=today,
        )
    )
    rows.append(
        Row(
            "transitions: queries per record_vote (fresh user)",
            size,
            queries,
            None,
            "queries",
            "",
            None,
            "begin and commit included",
        )
    )
    rows.append(commit_floor(size))
    broken = [c for c in (verify_case_chain(cid) for cid, _u in cases[:50]) if not c.valid]
    rows.append(
        Row(
            "transitions: audit chains of the touched cases",
            size,
            len(cases[:50]) - len(broken),
            len(broken),
            "valid / broken",
            "none broken",
            not broken,
        )
    )
    return rows


def commit_floor(size: int) -> Row:
    """What one durable commit costs here: a one-row INSERT and COMMIT, nothing else.

    Every transition ends with one (the audit event must survive a crash), so
    1000 / this is the most transitions one process could make on this disk.
    """

    def one() -> None:
        # Autocommit: each INSERT is its own transaction, committed before execute returns.
        with connection.cursor() as cur:
            cur.execute("INSERT INTO bench_commit_floor VALUES (1)")

    # A plain table, WAL-logged like the events table (a temporary one would not be).
    with connection.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS bench_commit_floor")
        cur.execute("CREATE TABLE bench_commit_floor (x int)")
    try:
        ms = sample(one, repeat=300, warmup=20)
    finally:
        with connection.cursor() as cur:
            cur.execute("DROP TABLE IF EXISTS bench_commit_floor")
    median = stats.median(ms)
    return Row(
        "transitions: one durable INSERT + COMMIT alone (the floor)",
        size,
        median,
        percentile(ms, 0.95),
        "ms",
        "",
        None,
        f"at most {1000 / median:,.0f} commits/s on one process with synchronous_commit on",
    )


# --------------------------------------------------------------------------- PDF


def decision_context(case_id: int) -> Any:
    from cases.documents import render as d
    from cases.models import Case

    case = Case.objects.select_related(
        "official", "position", "regulation", "deciding_unit", "employing_unit"
    ).get(pk=case_id)
    unit = case.deciding_unit
    grounds = [(g.code, g.text_vi) for g in case.grounds.all()]
    return d.DecisionContext(
        form=case.form,
        regulation_code=case.regulation.code,
        regulation_symbol=case.regulation.symbol,
        regulation_title=case.regulation.title_vi,
        body=d.IssuingBody(
            name=unit.name.upper(),
            superior_name=None,
            kind="state",
            place=unit.place or "Hà Nội",
            symbol=unit.symbol or "UBND",
            collective_name=unit.collective_name or None,
        ),
        number=1 + case.pk % 900,
        year=(case.decided_on or case.filed_on).year,
        issued_on=case.decided_on or case.filed_on,
        effective_on=case.decided_on or case.filed_on,
        official=d.Person(full_name=case.official.full_name, honorific=case.official.honorific),
        post_title=case.position.title,
        unit_name=case.employing_unit.name,
        grounds=grounds,
        bases=["Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 02 năm 2025"],
        proposal_by="Giám đốc Sở Nội vụ",
        signer=d.Signer(full_name="Nguyễn Văn Bình", post="CHỦ TỊCH", prefix="TM"),
        recipients=["Như Điều 3;", "Lưu: VT, TCCB."],
        case_reference=case.reference,
        implementers=("Chánh Văn phòng Ủy ban nhân dân", "Giám đốc Sở Nội vụ"),
    )


def pdf(size: int, repeat: int) -> list[Row]:
    from cases.documents.render import render_decision
    from cases.models import Case

    case_id = (
        Case.objects.filter(status="closed", outcome="approved", regulation__code="R41")
        .order_by("id")
        .values_list("id", flat=True)
        .first()
    )
    ctx = decision_context(case_id)
    ms = sample(lambda: render_decision(ctx), repeat=repeat, warmup=2)
    median = stats.median(ms)
    return [
        Row(
            "PDF decision (render_decision)",
            size,
            median,
            percentile(ms, 0.95),
            "ms",
            "median ≤ 300 ms",
            median <= 300,
        ),
        Row(
            "PDF decision: documents per second per worker",
            size,
            1000 / stats.mean(ms),
            None,
            "doc/s",
            "",
            None,
        ),
    ]
