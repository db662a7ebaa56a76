"""Each page's limit: one hand-written SQL statement returning every field the page shows.

The ratio "API time ÷ its SELECTs replayed" shrinks its own denominator as queries are
removed, so it is not the limit. These reference queries are: for the inbox, the case
list and the case detail, one statement (PostgreSQL) that computes the user's scope from
their memberships, applies the page's filter and order, and returns every field of the
page's JSON, nested rows as ``json_agg``; the figure is API time ÷ reference time
(medians of the same number of runs, one after the other, in the same process).
"""

from __future__ import annotations

import statistics as stats
from typing import Any

from django.db import connection
from django.utils import timezone

from bench.figures import LIST_FILTER, Row, Subjects, _get, client_for, percentile, sample

# The user's scope: every unit under one of their current memberships (by path).
SCOPE = """
scope AS (
  SELECT u.id FROM cases_orgunit u
  WHERE EXISTS (
    SELECT 1 FROM cases_membership m JOIN cases_orgunit top ON top.id = m.unit_id
    WHERE m.user_id = %(user)s AND m.valid_from <= %(day)s
      AND (m.valid_to IS NULL OR m.valid_to >= %(day)s)
      AND u.path LIKE top.path || '%%'
  )
)"""

UNIT = "json_build_object('id', {a}.id, 'code', {a}.code, 'name', {a}.name, 'level', {a}.level)"

CASE_FIELDS = f"""
  c.id, c.reference, c.form, c.status, c.outcome, r.code AS regulation_code, r.symbol,
  c.scope, c.level, o.id AS official_id, o.full_name, p.id AS position_id, p.title,
  {UNIT.format(a="eu")} AS employing_unit, {UNIT.format(a="du")} AS deciding_unit,
  c.filed_on, c.needs_review,
  CASE WHEN s.id IS NULL THEN NULL ELSE json_build_object(
    'id', s.id, 'code', st.code, 'name', st.name_vi, 'actor_role', s.actor_role,
    'actor_unit', {UNIT.format(a="su")}, 'started_on', s.started_on, 'due_on', s.due_on,
    'is_overdue', s.due_on < %(day)s) END AS current_step"""

CASE_JOINS = """
  JOIN cases_regulation r ON r.id = c.regulation_id
  JOIN cases_official o ON o.id = c.official_id
  JOIN cases_position p ON p.id = c.position_id
  JOIN cases_orgunit eu ON eu.id = c.employing_unit_id
  JOIN cases_orgunit du ON du.id = c.deciding_unit_id
  LEFT JOIN cases_casestep s ON s.id = c.current_step_id
  LEFT JOIN cases_steptemplate st ON st.id = s.template_id
  LEFT JOIN cases_orgunit su ON su.id = s.actor_unit_id"""

CASE_LIST_SQL = f"""
WITH {SCOPE},
page AS (
  -- The API pages by cursor and counts nothing, so neither does its reference. The scope
  -- as an array, not IN (subquery): the planner then walks the index of each unit's cases
  -- instead of the whole (filed_on, id) index (4.7 s at 1 M, against the API's 32 ms).
  SELECT c.id FROM cases_case c
  WHERE (c.employing_unit_id = ANY(ARRAY(SELECT id FROM scope))
         OR c.deciding_unit_id = ANY(ARRAY(SELECT id FROM scope)))
    AND c.form = %(form)s
  ORDER BY c.filed_on DESC, c.id DESC LIMIT 50
)
SELECT {CASE_FIELDS}
FROM page JOIN cases_case c ON c.id = page.id {CASE_JOINS}
ORDER BY c.filed_on DESC, c.id DESC"""

STEP_FIELDS = f"""
  w.id, w."order", t.code, t.name_vi, t.kind, w.actor_role, {UNIT.format(a="wu")} AS actor_unit,
  w.assignee_id, w.status, w.started_on, w.started_at, w.due_on, w.original_due_on,
  w.ceiling_on, w.due_rule, w.extension_reason, w.due_on < %(day)s AS is_overdue,
  w.due_on - %(day)s AS days_left, w.completed_at, w.completed_by_id, w.outcome"""

INBOX_SQL = f"""
WITH clerk_units AS (
  SELECT m.unit_id, m.role FROM cases_membership m
  WHERE m.user_id = %(user)s AND m.role IN ('clerk', 'authority') AND m.valid_from <= %(day)s
    AND (m.valid_to IS NULL OR m.valid_to >= %(day)s)
),
mine AS (SELECT id FROM cases_official WHERE user_id = %(user)s),
waiting AS (
  SELECT w.id, w.case_id, w.due_on, w.actor_role FROM cases_casestep w
   WHERE w.status = 'active' AND w.assignee_id = %(user)s
  UNION
  SELECT w.id, w.case_id, w.due_on, w.actor_role FROM cases_casestep w
    JOIN clerk_units m ON m.unit_id = w.actor_unit_id AND m.role = w.actor_role
   WHERE w.status = 'active' AND w.assignee_id IS NULL
  UNION
  SELECT w.id, w.case_id, w.due_on, w.actor_role FROM cases_casestep w
    JOIN cases_case c ON c.id = w.case_id
   WHERE w.status = 'active' AND w.actor_role = 'official'
     AND c.official_id IN (SELECT id FROM mine)
),
page AS (
  SELECT w.id, count(*) OVER () AS total FROM waiting w JOIN cases_case c ON c.id = w.case_id
   WHERE NOT (w.actor_role IN ('clerk', 'authority') AND c.official_id IN (SELECT id FROM mine))
   ORDER BY w.due_on, c.filed_on, w.id LIMIT 50
)
SELECT page.total, {STEP_FIELDS}, json_build_object(
  'id', c.id, 'reference', c.reference, 'form', c.form, 'status', c.status,
  'outcome', c.outcome, 'regulation', json_build_object('code', r.code, 'symbol', r.symbol),
  'scope', c.scope, 'level', c.level,
  'official', json_build_object('id', o.id, 'full_name', o.full_name),
  'position', json_build_object('id', p.id, 'title', p.title),
  'employing_unit', {UNIT.format(a="eu")}, 'deciding_unit', {UNIT.format(a="du")},
  'filed_on', c.filed_on, 'needs_review', c.needs_review,
  'current_step', json_build_object('id', s.id, 'code', st.code, 'name', st.name_vi,
     'actor_role', s.actor_role, 'actor_unit', {UNIT.format(a="su")},
     'started_on', s.started_on, 'due_on', s.due_on)) AS case
FROM page
JOIN cases_casestep w ON w.id = page.id
JOIN cases_steptemplate t ON t.id = w.template_id
JOIN cases_orgunit wu ON wu.id = w.actor_unit_id
JOIN cases_case c ON c.id = w.case_id {CASE_JOINS}
ORDER BY w.due_on, c.filed_on, w.id"""

DETAIL_SQL = f"""
WITH {SCOPE}
SELECT {CASE_FIELDS},
  json_build_object('id', pt.id, 'form', pt.form, 'scope', pt.scope,
                    'needs_legal_review', pt.needs_legal_review) AS process,
  c.statement, c.filed_by_id, fb.first_name, fb.last_name, c.decided_on, c.closed_on,
  c.review_reason, c.warnings, c.imported, c.event_count,
  (SELECT json_agg(json_build_object('code', g.code, 'text', g.text_vi,
          'verification', g.verification, 'needs_legal_review', g.needs_legal_review)
          ORDER BY g.code)
     FROM cases_case_grounds cg JOIN cases_ground g ON g.id = cg.ground_id
    WHERE cg.case_id = c.id) AS grounds,
  (SELECT row_to_json(d) FROM cases_decision d WHERE d.case_id = c.id LIMIT 1) AS decision,
  (SELECT json_agg(x ORDER BY x."order") FROM (
     SELECT {STEP_FIELDS}
       FROM cases_casestep w JOIN cases_steptemplate t ON t.id = w.template_id
       JOIN cases_orgunit wu ON wu.id = w.actor_unit_id
      WHERE w.case_id = c.id) x) AS steps
FROM cases_case c {CASE_JOINS}
LEFT JOIN cases_processtemplate pt ON pt.id = c.process_id
LEFT JOIN auth_user fb ON fb.id = c.filed_by_id
WHERE c.id = %(case)s
  AND (c.employing_unit_id IN (SELECT id FROM scope) OR c.deciding_unit_id IN (SELECT id FROM scope))"""


def _run(sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def _ratio_row(
    figure: str, size: int, api_ms: list[float], ref_ms: list[float], note: str
) -> list[Row]:
    api, ref = stats.median(api_ms), stats.median(ref_ms)
    ratio = api / ref if ref else float("nan")
    return [
        Row(
            f"{figure}: its reference query (one SQL statement, every field shown)",
            size,
            ref,
            percentile(ref_ms, 0.95),
            "ms",
            "",
            None,
            note,
        ),
        Row(
            f"{figure}: ratio API / reference query (medians)",
            size,
            ratio,
            None,
            "×",
            "≤ 3 × at 1 M",
            ratio <= 3 if size >= 1_000_000 else None,
            f"API {api:.2f} ms, reference {ref:.2f} ms",
        ),
    ]


def reference_ratios(subjects: Subjects, size: int, repeat: int) -> list[Row]:
    day = timezone.localdate()
    rows: list[Row] = []
    # The case list.
    client = client_for(subjects.list_user)
    params = {"user": subjects.list_user.pk, "day": day, **LIST_FILTER}
    found = _run(CASE_LIST_SQL, params)
    body = _get(client, "/api/v1/cases/", LIST_FILTER).json()
    # The same cases in the same order, not only as many.
    assert [r[0] for r in found] == [c["id"] for c in body["results"]]
    api_ms = sample(lambda: _get(client, "/api/v1/cases/", LIST_FILTER), repeat=repeat)
    ref_ms = sample(lambda: _run(CASE_LIST_SQL, params), repeat=repeat)
    rows += _ratio_row("case list", size, api_ms, ref_ms, f"{len(found)} rows")
    # The inbox.
    client = client_for(subjects.inbox_user)
    params = {"user": subjects.inbox_user.pk, "day": day}
    found = _run(INBOX_SQL, params)
    body = _get(client, "/api/v1/inbox/").json()
    assert len(found) == len(body["results"]), (len(found), len(body["results"]))
    api_ms = sample(lambda: _get(client, "/api/v1/inbox/"), repeat=repeat)
    ref_ms = sample(lambda: _run(INBOX_SQL, params), repeat=repeat)
    rows += _ratio_row("inbox", size, api_ms, ref_ms, f"{len(found)} steps")
    # The case detail, over the same open and closed cases.
    client = client_for(subjects.list_user)
    ids = subjects.detail_ids
    state = {"i": 0, "j": 0}
    for pk in ids[:3]:
        assert len(_run(DETAIL_SQL, {"user": subjects.list_user.pk, "day": day, "case": pk})) == 1

    def api() -> None:
        state["i"] = (state["i"] + 1) % len(ids)
        _get(client, f"/api/v1/cases/{ids[state['i']]}/")

    def ref() -> None:
        state["j"] = (state["j"] + 1) % len(ids)
        _run(DETAIL_SQL, {"user": subjects.list_user.pk, "day": day, "case": ids[state["j"]]})

    n = max(repeat, len(ids))
    rows += _ratio_row(
        "case detail", size, sample(api, repeat=n), sample(ref, repeat=n), f"{len(ids)} cases"
    )
    return rows
