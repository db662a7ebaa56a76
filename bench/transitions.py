"""Transition rates through ``workflow.perform``: record_vote and complete_step, 1 and 2 processes.

Both processes of the 2-process figures act on the *same* cases (each starts half-way
through the list from the other), so they wait on each other's row locks; a figure then
checks that no transition was lost (events and votes counted against the successes) and
that every touched case's audit chain verifies.

``complete_step`` moves a case on, so it is measured in rounds: before each round (not
timed) the pool's steps and cases are put back as they were. One process completes the
vote step of every case of the pool; two sweep the same pool from its two ends and meet
in the middle, where one waits for the other's lock and is refused (the step moved on):
refusals are counted, not transitions.
"""

from __future__ import annotations

import datetime
import io
import multiprocessing
import time
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from pypdf import PdfWriter

from bench.figures import Row, Subjects

VOTE = {"members": 9, "present": 9, "votes_for": 7, "votes_against": 2}
STEP_FIELDS = [
    "status",
    "started_on",
    "started_at",
    "due_on",
    "original_due_on",
    "ceiling_on",
    "due_rule",
    "completed_at",
    "completed_by",
    "outcome",
]


def _fresh(user: Any) -> Any:
    """The user as a new request sees them: memberships and delegations read again."""
    for attr in [a for a in vars(user) if a.startswith(("_memberships_", "_delegations_"))]:
        delattr(user, attr)
    return user


def _users(cases: list[tuple[int, int]]) -> dict[int, Any]:
    return {u.pk: u for u in get_user_model().objects.filter(pk__in={uid for _c, uid in cases})}


def _act(action: str, case_id: int, user: Any, today: datetime.date) -> bool:
    from cases.core.errors import CaseError
    from cases.workflow import engine as workflow

    try:
        workflow.perform(
            case_id=case_id,
            user=_fresh(user),
            action=action,
            data=VOTE if action == workflow.RECORD_VOTE else {},
            today=today,
        )
    except CaseError:
        return False
    return True


def _timed_worker(
    action: str,
    cases: list[tuple[int, int]],
    offset: int,
    seconds: float,
    today: datetime.date,
    start: Any,
    out: Any,
) -> None:
    connections.close_all()
    users = _users(cases)
    start.wait()
    done = refused = 0
    cpu0 = time.process_time()
    deadline = time.perf_counter() + seconds
    i = offset
    while time.perf_counter() < deadline:
        case_id, user_id = cases[i % len(cases)]
        i += 1
        if _act(action, case_id, users[user_id], today):
            done += 1
        else:
            refused += 1
    cpu = time.process_time() - cpu0
    connections.close_all()
    out.put((done, refused, cpu))


def _round_worker(
    action: str,
    cases: list[tuple[int, int]],
    offset: int,
    rounds: int,
    today: datetime.date,
    barrier: Any,
    out: Any,
) -> None:
    connections.close_all()
    users = _users(cases)
    done = refused = 0
    # With two processes, the second sweeps the pool from its end backwards: they meet on
    # the same cases in the middle (lock waits, one refusal each), and a process stops its
    # round at its first refusal, as the rest of its way is the other's work done.
    order = cases if offset == 0 else cases[::-1]
    cpu = 0.0
    for _ in range(rounds):
        barrier.wait()
        cpu0 = time.process_time()
        for case_id, user_id in order:
            if _act(action, case_id, users[user_id], today):
                done += 1
            else:
                refused += 1
                break
        cpu += time.process_time() - cpu0
        barrier.wait()
    connections.close_all()
    out.put((done, refused, cpu))


def _run_timed(
    action: str, cases: list[tuple[int, int]], procs: int, seconds: float, today: datetime.date
) -> tuple:
    ctx = multiprocessing.get_context("fork")
    connections.close_all()
    start, out = ctx.Event(), ctx.Queue()
    workers = [
        ctx.Process(
            target=_timed_worker,
            args=(action, cases, k * len(cases) // procs, seconds, today, start, out),
        )
        for k in range(procs)
    ]
    for w in workers:
        w.start()
    time.sleep(0.5)
    t0 = time.perf_counter()
    start.set()
    results = [out.get() for _ in workers]
    elapsed = time.perf_counter() - t0
    for w in workers:
        w.join()
    return (
        sum(r[0] for r in results),
        sum(r[1] for r in results),
        max(elapsed, seconds),
        sum(r[2] for r in results),
    )


class _Snapshot:
    """The pool's steps and cases as they were, to put back between rounds (not timed)."""

    def __init__(self, case_ids: list[int]) -> None:
        from cases.models import Case, CaseStep

        self.steps = list(CaseStep.objects.filter(case_id__in=case_ids).only(*STEP_FIELDS))
        self.cases = list(Case.objects.filter(pk__in=case_ids).only("current_step", "status"))

    def restore(self) -> None:
        from cases.models import Case, CaseStep

        # Steps that leave "active" first: one active step per case is a unique constraint.
        inactive = [s for s in self.steps if s.status != "active"]
        CaseStep.objects.bulk_update(inactive, STEP_FIELDS, batch_size=500)
        active = [s for s in self.steps if s.status == "active"]
        CaseStep.objects.bulk_update(active, STEP_FIELDS, batch_size=500)
        Case.objects.bulk_update(self.cases, ["current_step", "status"], batch_size=500)


def _run_rounds(
    action: str,
    cases: list[tuple[int, int]],
    procs: int,
    rounds: int,
    snapshot: _Snapshot,
    today: datetime.date,
) -> tuple:
    ctx = multiprocessing.get_context("fork")
    connections.close_all()
    barrier, out = ctx.Barrier(procs + 1), ctx.Queue()
    workers = [
        ctx.Process(
            target=_round_worker,
            args=(action, cases, k, rounds, today, barrier, out),
        )
        for k in range(procs)
    ]
    for w in workers:
        w.start()
    elapsed = 0.0
    try:
        for _ in range(rounds):
            snapshot.restore()
            connections.close_all()
            t0 = time.perf_counter()
            barrier.wait(timeout=120)
            barrier.wait(timeout=120)
            elapsed += time.perf_counter() - t0
        results = [out.get(timeout=60) for _ in workers]
    finally:
        for w in workers:
            w.join(timeout=10)
            if w.is_alive():
                w.terminate()
        snapshot.restore()  # the data set as it was, for the next figure and the next run
    return (
        sum(r[0] for r in results),
        sum(r[1] for r in results),
        elapsed,
        sum(r[2] for r in results),
    )


def _counts(case_ids: list[int]) -> tuple[int, int]:
    from cases.models import CaseEvent, Vote

    return (
        CaseEvent.objects.filter(case_id__in=case_ids).count(),
        Vote.objects.filter(case_id__in=case_ids).count(),
    )


def _blank_pdf() -> bytes:
    """A one-page well-formed PDF: uploads are parsed, a PDF-looking header is refused."""
    writer = PdfWriter()
    writer.add_blank_page(72, 72)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


PDF_BYTES = _blank_pdf()


ROSTER_SIZE = VOTE["members"]


def _give_rosters(cases: list[tuple[int, int]], today: datetime.date) -> int:
    """A voting body of ``ROSTER_SIZE`` members for each vote step's unit that has none.

    MDL-COL-2: a vote is counted against the body's roster on the meeting date, and the
    generated data set holds no collective bodies. Set-up, not timed; the unit's clerk
    creates them through the roster services (their own audit chain). Returns how many.
    """
    from cases.models import CaseStep
    from cases.organisation.collectives import add_member, create_collective, voting_candidates

    users = _users(cases)
    steps = CaseStep.objects.filter(
        case_id__in=[c for c, _u in cases], status="active"
    ).select_related("template", "actor_unit")
    clerk_of = dict(cases)
    created = 0
    done: set[tuple[int, str]] = set()
    for step in steps:
        template, unit = step.template, step.actor_unit
        body_type = (list(template.vote_body_types or []) or ["peoples_committee"])[0]
        if (unit.pk, body_type) in done or voting_candidates(template, unit, today):
            continue
        done.add((unit.pk, body_type))
        clerk = users[clerk_of[step.case_id]]
        since = today - datetime.timedelta(days=365)
        body = create_collective(
            unit=unit, body_type=body_type, name=f"Bench {unit.pk}", valid_from=since, by=clerk
        )
        for k in range(ROSTER_SIZE):
            add_member(
                body=body, by=clerk, data={"full_name": f"Thành viên {k + 1}", "valid_from": since}
            )
        created += 1
    return created


def _complete_pool(subjects: Subjects, today: datetime.date) -> list[tuple[int, int]]:
    """Cases on a vote step, each given its minutes and a passing vote (setup, not timed)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from cases.models import Document
    from cases.workflow import engine as workflow

    users = _users(subjects.vote_cases)
    with_minutes = set(
        Document.objects.filter(
            case_id__in=[c for c, _u in subjects.vote_cases], kind="minutes"
        ).values_list("case_id", flat=True)
    )
    pool = []
    for case_id, user_id in subjects.vote_cases:
        if case_id not in with_minutes:
            workflow.perform(
                case_id=case_id,
                user=_fresh(users[user_id]),
                action=workflow.ATTACH_DOCUMENT,
                data={"kind": "minutes"},
                upload=SimpleUploadedFile("minutes.pdf", PDF_BYTES, "application/pdf"),
                today=today,
            )
        if _act(workflow.RECORD_VOTE, case_id, users[user_id], today):
            pool.append((case_id, user_id))
    return pool


def _cpu_row(action: str, size: int, cpu: float, done: int) -> Row:
    """The client process's own CPU per transition: what the code costs, load or not."""
    return Row(
        f"transitions: {action}, Python CPU per transition (1 process)",
        size,
        1000 * cpu / max(done, 1),
        None,
        "ms",
        "",
        None,
        "time.process_time of the acting process (the server's CPU and the waits excluded)",
    )


def transitions(
    subjects: Subjects, size: int, seconds: float, today: datetime.date, reference: Any
) -> list[Row]:
    from cases.audit.chain import verify_case_chain
    from cases.workflow import engine as workflow

    rows: list[Row] = []
    cases = subjects.vote_cases
    if len(cases) < 2:
        return [Row("transitions", size, None, None, "tx/s", "runs", False, "no open vote steps")]
    _give_rosters(cases, today)
    ids = [c for c, _u in cases]
    rates: dict[tuple[str, int], float] = {}
    for procs in (1, 2):
        events0, votes0 = _counts(ids)
        done, refused, elapsed, cpu = _run_timed(workflow.RECORD_VOTE, cases, procs, seconds, today)
        events1, votes1 = _counts(ids)
        lost = (done - (events1 - events0)) + (done - (votes1 - votes0))
        rate = done / elapsed
        rates[("record_vote", procs)] = rate
        rows.append(
            reference.mark(
                Row(
                    f"transitions: record_vote, {procs} process{'es' if procs > 1 else ''}"
                    + (" on the same cases" if procs > 1 else ""),
                    size,
                    rate,
                    None,
                    "tx/s",
                    "≥ 400/s" if procs == 1 else "≥ 1.7 × 1 process",
                    (rate >= 400) if procs == 1 else (rate >= 1.7 * rates[("record_vote", 1)]),
                    f"{done} transitions ({refused} refused) on {len(cases)} cases in "
                    f"{elapsed:.1f} s; Python CPU {1000 * cpu / max(done, 1):.2f} ms per "
                    f"transition; events and votes not written: {lost}",
                )
            )
        )
        if lost:
            rows[-1].passed = False
        if procs == 1:
            rows.append(_cpu_row("record_vote", size, cpu, done))
    pool = _complete_pool(subjects, today)
    if len(pool) >= 2:
        pool_ids = [c for c, _u in pool]
        snapshot = _Snapshot(pool_ids)
        rounds = max(3, int(seconds * 400 / len(pool) / 2))
        for procs in (1, 2):
            events0, _v = _counts(pool_ids)
            done, refused, elapsed, cpu = _run_rounds(
                workflow.COMPLETE_STEP, pool, procs, rounds, snapshot, today
            )
            events1, _v = _counts(pool_ids)
            rate = done / elapsed if elapsed else float("nan")
            rates[("complete_step", procs)] = rate
            lost = done - (events1 - events0)
            rows.append(
                reference.mark(
                    Row(
                        f"transitions: complete_step, {procs} process{'es' if procs > 1 else ''}"
                        + (" on the same cases" if procs > 1 else ""),
                        size,
                        rate,
                        None,
                        "tx/s",
                        "≥ 400/s" if procs == 1 else "≥ 1.7 × 1 process",
                        (rate >= 400 and not lost)
                        if procs == 1
                        else (rate >= 1.7 * rates[("complete_step", 1)] and not lost),
                        f"{done} transitions, {refused} refused (step moved on), {rounds} rounds "
                        f"of {len(pool)} cases in {elapsed:.1f} s (steps put back between "
                        f"rounds, not timed); Python CPU {1000 * cpu / max(done, 1):.2f} ms per "
                        f"transition; events not written: {lost}",
                    )
                )
            )
            if procs == 1:
                rows.append(_cpu_row("complete_step", size, cpu, done))
    else:
        rows.append(
            Row("transitions: complete_step", size, None, None, "tx/s", "≥ 400/s", False, "no pool")
        )
    case_id, user_id = cases[0]
    user = get_user_model().objects.get(pk=user_id)
    _act(workflow.RECORD_VOTE, case_id, user, today)  # this process's caches warm
    with CaptureQueriesContext(connection) as ctx:
        _act(workflow.RECORD_VOTE, case_id, _fresh(user), today)
    rows.append(
        Row(
            "transitions: queries per record_vote (fresh user, warm process)",
            size,
            len(ctx.captured_queries),
            None,
            "queries",
            "",
            None,
            "begin and commit included: " + "; ".join(q["sql"][:40] for q in ctx.captured_queries),
        )
    )
    touched = ids[:50] + [c for c, _u in pool[:50]]
    broken = [c for c in (verify_case_chain(cid) for cid in touched) if not c.valid]
    rows.append(
        Row(
            "transitions: audit chains of the touched cases",
            size,
            len(touched) - len(broken),
            len(broken),
            "valid / broken",
            "none broken",
            not broken,
        )
    )
    return rows
