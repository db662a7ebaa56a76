"""The access matrix (issue #7, point 1): every role × every URL of the web interface and
the API × an object inside and outside the role's scope, with the expected answer.

How to read ``TABLE``: one row per URL pattern of the project, keyed by its route name
(``api:`` for API v1) or, when unnamed, by its route. ``expect`` gives, per HTTP method,
each role's answer: a single value for a URL without an object, ``(in scope, out of
scope)`` for a URL with one. ``LOGIN`` is a redirect to the sign-in page, ``ADMIN_LOGIN``
one to the admin's. Writes send an empty or invalid body, so 400 (or a form shown again
with 200) means "let through to input checking"; the only changes the walks make are
marking one's own notification read, signing out, issuing an API token and the TOTP
record the 2FA page creates — and each walk runs in a savepoint that is rolled back.

Rules the walk enforces besides the table:

* an object out of scope answers exactly like an object that does not exist (the same
  status for an id no row has), so its existence does not leak — checked for every role
  but the administrator, who has no scope limit;
* a refused write (401, 403, 404, 405, a redirect to sign in) changes nothing;
* every URL pattern of the project has a row, and no row names a pattern that is gone.

Django admin's own URLs count as one row (``admin/``): they share one gate, checked on a
page inside the administrator's permissions (a unit's change page) and one outside them
(adding an audit event, which nobody may). The API's catch-all ``re_path(r"^.*$")`` is
its own row, by its route. The second factor (``REQUIRE_TOTP``) is switched off here so
that each request shows the role's rights, not the 2FA redirect; test_security.py and
test_api_auth_errors.py cover the second factor itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.test import TestCase, override_settings
from django.urls import reverse

from cases.catalog.loader import load_catalog
from cases.models import CatalogVersion
from cases.ops.demo import build_demo_world
from cases.ops.health import record_heartbeat
from tests.access_support import (
    ADMIN,
    ADMIN_INCLUDE,
    ANONYMOUS,
    AUDITOR,
    AUTHORITY,
    CLERK,
    OFFICIAL,
    ROLES,
    USERNAMES,
    MatrixObjects,
    api_client,
    build_matrix_objects,
    fingerprint,
    project_url_keys,
    web_client,
)

pytestmark = pytest.mark.django_db

LOGIN = "302→login"
ADMIN_LOGIN = "302→admin login"
REFUSALS = {401, 403, 404, 405, LOGIN, ADMIN_LOGIN}

Expect = int | str
Expected = Expect | tuple[Expect, Expect]

GET, POST, PATCH = "GET", "POST", "PATCH"


@dataclass(frozen=True)
class Row:
    """One URL pattern: what each role gets, per method (and per scope with an object)."""

    expect: dict[str, dict[str, Expected]]
    obj: str | None = None  # the kind of object in the URL (tests/access_support.KIND_KWARGS)
    api: bool = False  # token-authenticated API client instead of a browser session
    kwargs: dict[str, str] = field(default_factory=dict)  # fixed URL arguments
    query: str = ""
    paths: tuple[str, ...] = ()  # literal paths instead of reverse(): (path,) or (in, out)
    data: dict[str, dict[str, Any]] = field(default_factory=dict)  # body per method
    multipart: bool = False


def each(value: Expected) -> dict[str, Expected]:
    """The same answer for every role."""
    return dict.fromkeys(ROLES, value)


def signed_in(value: Expected, anonymous: Expected = LOGIN) -> dict[str, Expected]:
    """One answer for every signed-in role, another for the anonymous visitor."""
    return {**dict.fromkeys(ROLES, value), ANONYMOUS: anonymous}


# Out-of-scope answers 404 wherever a role reaches the object at all; a wrong role gets
# 403 before any lookup, whatever the object (so in and out look the same).
IN_OUT = (200, 404)
ROLE_403 = (403, 403)
WEB_ANON = (LOGIN, LOGIN)
API_ANON = (401, 401)

TABLE: dict[str, Row] = {
    # --- outside the apps: language switch, second factor, health, Django admin --------
    "set_language": Row(expect={GET: each(302), POST: each(302)}, data={POST: {"language": "en"}}),
    "second_factor": Row(expect={GET: signed_in(200)}),
    "healthz": Row(expect={GET: each(200)}),
    # --- public: verification of signed decisions (empty form: 400) and the CRL (none
    # published in the tests: 404) ------------------------------------------------------
    "verify": Row(expect={GET: each(200), POST: each(400)}),
    "verify_crl": Row(expect={GET: each(404)}),
    ADMIN_INCLUDE: Row(
        paths=("/admin/cases/orgunit/{org_unit}/change/", "/admin/cases/caseevent/add/"),
        expect={
            GET: {
                ADMIN: (200, 403),
                CLERK: (ADMIN_LOGIN, ADMIN_LOGIN),
                AUTHORITY: (ADMIN_LOGIN, ADMIN_LOGIN),
                OFFICIAL: (ADMIN_LOGIN, ADMIN_LOGIN),
                AUDITOR: (ADMIN_LOGIN, ADMIN_LOGIN),
                ANONYMOUS: (ADMIN_LOGIN, ADMIN_LOGIN),
            }
        },
    ),
    # --- web: everyone signed in ---------------------------------------------------------
    "inbox": Row(expect={GET: signed_in(200)}),
    "login": Row(expect={GET: signed_in(302, anonymous=200)}),
    "logout": Row(expect={GET: each(405), POST: each(302)}),
    "case_detail": Row(
        obj="case",
        expect={
            GET: {
                ADMIN: (200, 200),
                CLERK: IN_OUT,
                AUTHORITY: IN_OUT,
                OFFICIAL: IN_OUT,
                AUDITOR: IN_OUT,
                ANONYMOUS: WEB_ANON,
            },
        },
    ),
    "case_action": Row(
        obj="case",
        kwargs={"action": "attach_document"},
        expect={
            GET: each((405, 405)),
            POST: {
                ADMIN: (400, 400),
                CLERK: (400, 404),
                AUTHORITY: (400, 404),
                OFFICIAL: (400, 404),
                AUDITOR: ROLE_403,
                ANONYMOUS: WEB_ANON,
            },
        },
    ),
    "document_download": Row(
        obj="case_document",
        expect={
            GET: {
                ADMIN: (200, 200),
                CLERK: IN_OUT,
                AUTHORITY: IN_OUT,
                OFFICIAL: IN_OUT,
                AUDITOR: IN_OUT,
                ANONYMOUS: WEB_ANON,
            },
        },
    ),
    # The draft decision exists only for whoever may sign it now: the matrix's case is
    # not at its decision step, so it is not found for everyone (test_ui_panel.py has the
    # authority's 200).
    "draft_decision": Row(
        obj="case",
        expect={
            GET: {
                ADMIN: (404, 404),
                CLERK: (404, 404),
                AUTHORITY: (404, 404),
                OFFICIAL: (404, 404),
                AUDITOR: (404, 404),
                ANONYMOUS: WEB_ANON,
            },
        },
    ),
    "notifications": Row(expect={GET: signed_in(200)}),
    "notification_read": Row(
        obj="notification",
        expect={
            GET: each((405, 405)),
            POST: {
                ADMIN: (302, 404),
                CLERK: (302, 404),
                AUTHORITY: (302, 404),
                OFFICIAL: (302, 404),
                AUDITOR: (302, 404),
                ANONYMOUS: WEB_ANON,
            },
        },
    ),
    "notifications_read_all": Row(expect={GET: each(405), POST: signed_in(302)}),
    # --- web: staff, official, clerk, authority ------------------------------------------
    "case_search": Row(
        expect={
            GET: {
                ADMIN: 200,
                CLERK: 200,
                AUTHORITY: 200,
                OFFICIAL: 403,
                AUDITOR: 200,
                ANONYMOUS: LOGIN,
            }
        }
    ),
    "overdue": Row(
        expect={
            GET: {
                ADMIN: 200,
                CLERK: 200,
                AUTHORITY: 200,
                OFFICIAL: 403,
                AUDITOR: 200,
                ANONYMOUS: LOGIN,
            }
        }
    ),
    # The administrator has no official record: the official's pages answer 404 to them.
    "my_posts": Row(
        expect={
            GET: {
                ADMIN: 404,
                CLERK: 403,
                AUTHORITY: 403,
                OFFICIAL: 200,
                AUDITOR: 403,
                ANONYMOUS: LOGIN,
            }
        }
    ),
    "resignation_new": Row(
        obj="appointment",
        expect={
            GET: {
                ADMIN: (404, 404),
                CLERK: ROLE_403,
                AUTHORITY: ROLE_403,
                OFFICIAL: IN_OUT,
                AUDITOR: ROLE_403,
                ANONYMOUS: WEB_ANON,
            },
            POST: {
                ADMIN: (404, 404),
                CLERK: ROLE_403,
                AUTHORITY: ROLE_403,
                OFFICIAL: (400, 404),
                AUDITOR: ROLE_403,
                ANONYMOUS: WEB_ANON,
            },
        },
    ),
    "case_new": Row(
        expect={
            GET: {
                ADMIN: 200,
                CLERK: 200,
                AUTHORITY: 403,
                OFFICIAL: 403,
                AUDITOR: 403,
                ANONYMOUS: LOGIN,
            },
            POST: {
                ADMIN: 400,
                CLERK: 400,
                AUTHORITY: 403,
                OFFICIAL: 403,
                AUDITOR: 403,
                ANONYMOUS: LOGIN,
            },
        }
    ),
    "decisions": Row(
        expect={
            GET: {
                ADMIN: 200,
                CLERK: 403,
                AUTHORITY: 200,
                OFFICIAL: 403,
                AUDITOR: 403,
                ANONYMOUS: LOGIN,
            }
        }
    ),
    "delegations": Row(
        expect={
            GET: {
                ADMIN: 200,
                CLERK: 403,
                AUTHORITY: 200,
                OFFICIAL: 403,
                AUDITOR: 403,
                ANONYMOUS: LOGIN,
            },
            POST: {
                ADMIN: 400,
                CLERK: 403,
                AUTHORITY: 400,
                OFFICIAL: 403,
                AUDITOR: 403,
                ANONYMOUS: LOGIN,
            },
        }
    ),
    # --- web: facts about an official, collective bodies (issue #14) ----------------------
    "official_facts": Row(
        obj="official",
        expect={
            GET: {
                ADMIN: (200, 200),
                CLERK: IN_OUT,
                AUTHORITY: IN_OUT,
                OFFICIAL: IN_OUT,
                AUDITOR: IN_OUT,
                ANONYMOUS: WEB_ANON,
            },
            POST: {
                ADMIN: (400, 400),
                CLERK: (400, 404),
                AUTHORITY: (403, 404),
                OFFICIAL: (403, 404),
                AUDITOR: ROLE_403,
                ANONYMOUS: WEB_ANON,
            },
        },
    ),
    "collectives": Row(
        expect={
            GET: signed_in(200),
            POST: {
                ADMIN: 400,
                CLERK: 400,
                AUTHORITY: 403,
                OFFICIAL: 403,
                AUDITOR: 403,
                ANONYMOUS: LOGIN,
            },
        }
    ),
    "collective_detail": Row(
        obj="collective",
        expect={
            GET: {
                ADMIN: (200, 200),
                CLERK: IN_OUT,
                AUTHORITY: IN_OUT,
                OFFICIAL: (404, 404),
                AUDITOR: IN_OUT,
                ANONYMOUS: WEB_ANON,
            },
            POST: {
                ADMIN: (400, 400),
                CLERK: (400, 404),
                AUTHORITY: (403, 404),
                OFFICIAL: (404, 404),
                AUDITOR: ROLE_403,
                ANONYMOUS: WEB_ANON,
            },
        },
        data={POST: {"form": "add"}},
    ),
    # --- web: auditor --------------------------------------------------------------------
    **{
        name: Row(
            obj="case",
            expect={
                GET: {
                    ADMIN: (200, 200),
                    CLERK: ROLE_403,
                    AUTHORITY: ROLE_403,
                    OFFICIAL: ROLE_403,
                    AUDITOR: IN_OUT,
                    ANONYMOUS: WEB_ANON,
                },
            },
        )
        for name in ("case_history", "case_history_csv", "case_history_json", "case_as_of")
    },
    # --- web: statistics and the historic import -----------------------------------------
    "reports": Row(
        expect={
            GET: {
                ADMIN: 200,
                CLERK: 200,
                AUTHORITY: 200,
                OFFICIAL: 403,
                AUDITOR: 200,
                ANONYMOUS: LOGIN,
            }
        }
    ),
    "report_export": Row(
        kwargs={"table": "grounds-levels", "fmt": "csv"},
        expect={
            GET: {
                ADMIN: 200,
                CLERK: 200,
                AUTHORITY: 200,
                OFFICIAL: 403,
                AUDITOR: 200,
                ANONYMOUS: LOGIN,
            },
        },
    ),
    "national_table": Row(
        expect={
            GET: {
                ADMIN: 200,
                CLERK: 200,
                AUTHORITY: 200,
                OFFICIAL: 403,
                AUDITOR: 200,
                ANONYMOUS: LOGIN,
            }
        }
    ),
    "national_table_pdf": Row(
        expect={
            GET: {
                ADMIN: 200,
                CLERK: 200,
                AUTHORITY: 200,
                OFFICIAL: 403,
                AUDITOR: 200,
                ANONYMOUS: LOGIN,
            }
        }
    ),
    # An invalid upload shows the form again (200).
    "import_cases": Row(
        expect={
            GET: {
                ADMIN: 200,
                CLERK: 200,
                AUTHORITY: 403,
                OFFICIAL: 403,
                AUDITOR: 403,
                ANONYMOUS: LOGIN,
            },
            POST: {
                ADMIN: 200,
                CLERK: 200,
                AUTHORITY: 403,
                OFFICIAL: 403,
                AUDITOR: 403,
                ANONYMOUS: LOGIN,
            },
        }
    ),
    **{
        name: Row(
            obj="import_job",
            expect={
                GET: {
                    ADMIN: (200, 200),
                    CLERK: IN_OUT,
                    AUTHORITY: ROLE_403,
                    OFFICIAL: ROLE_403,
                    AUDITOR: ROLE_403,
                    ANONYMOUS: WEB_ANON,
                },
            },
        )
        for name in ("import_job", "import_job_status")
    },
    # --- API v1 --------------------------------------------------------------------------
    # Each role asks for a token with its own password; the anonymous caller with a wrong one.
    "api:token": Row(api=True, expect={GET: each(405), POST: {**each(200), ANONYMOUS: 400}}),
    "api:document-verify": Row(api=True, expect={GET: each(405), POST: each(400)}),
    "api:regulations": Row(api=True, expect={GET: signed_in(200, anonymous=401)}),
    "api:org-units": Row(
        api=True,
        expect={
            GET: signed_in(200, anonymous=401),
            POST: {
                ADMIN: 400,
                CLERK: 403,
                AUTHORITY: 403,
                OFFICIAL: 403,
                AUDITOR: 403,
                ANONYMOUS: 401,
            },
        },
    ),
    "api:org-unit": Row(
        api=True,
        obj="org_unit",
        expect={
            GET: {
                ADMIN: (200, 200),
                CLERK: IN_OUT,
                AUTHORITY: IN_OUT,
                OFFICIAL: (404, 404),
                AUDITOR: IN_OUT,
                ANONYMOUS: API_ANON,
            },
            PATCH: {
                ADMIN: (200, 200),
                CLERK: ROLE_403,
                AUTHORITY: ROLE_403,
                OFFICIAL: ROLE_403,
                AUDITOR: ROLE_403,
                ANONYMOUS: API_ANON,
            },
        },
    ),
    **{
        collection: Row(
            api=True,
            expect={
                GET: signed_in(200, anonymous=401),
                POST: {
                    ADMIN: 400,
                    CLERK: 400,
                    AUTHORITY: 403,
                    OFFICIAL: 403,
                    AUDITOR: 403,
                    ANONYMOUS: 401,
                },
            },
        )
        for collection in ("api:officials", "api:positions")
    },
    **{
        detail: Row(
            api=True,
            obj=detail.removeprefix("api:"),
            expect={
                GET: {
                    ADMIN: (200, 200),
                    CLERK: IN_OUT,
                    AUTHORITY: IN_OUT,
                    OFFICIAL: IN_OUT,
                    AUDITOR: IN_OUT,
                    ANONYMOUS: API_ANON,
                },
                PATCH: {
                    ADMIN: (200, 200),
                    CLERK: IN_OUT,
                    AUTHORITY: ROLE_403,
                    OFFICIAL: ROLE_403,
                    AUDITOR: ROLE_403,
                    ANONYMOUS: API_ANON,
                },
            },
        )
        for detail in ("api:official", "api:position")
    },
    "api:official-circumstances": Row(
        api=True,
        obj="official",
        expect={
            GET: {
                ADMIN: (200, 200),
                CLERK: IN_OUT,
                AUTHORITY: IN_OUT,
                OFFICIAL: IN_OUT,
                AUDITOR: IN_OUT,
                ANONYMOUS: API_ANON,
            },
            POST: {
                ADMIN: (400, 400),
                CLERK: (400, 404),
                AUTHORITY: (403, 404),
                OFFICIAL: (403, 404),
                AUDITOR: (403, 404),
                ANONYMOUS: API_ANON,
            },
        },
    ),
    "api:collectives": Row(
        api=True, expect={GET: signed_in(200, anonymous=401), POST: signed_in(400, anonymous=401)}
    ),
    "api:collective": Row(
        api=True,
        obj="collective",
        expect={
            GET: {
                ADMIN: (200, 200),
                CLERK: IN_OUT,
                AUTHORITY: IN_OUT,
                OFFICIAL: (404, 404),
                AUDITOR: IN_OUT,
                ANONYMOUS: API_ANON,
            },
        },
    ),
    **{
        name: Row(
            api=True,
            obj=kind,
            expect={
                GET: {role: (405, 405) if role != ANONYMOUS else API_ANON for role in ROLES},
                POST: {
                    ADMIN: (400, 400),
                    CLERK: (400, 404),
                    AUTHORITY: (403, 404),
                    OFFICIAL: (404, 404),
                    AUDITOR: (403, 404),
                    ANONYMOUS: API_ANON,
                },
            },
        )
        for name, kind in (
            ("api:collective-members", "collective"),
            ("api:collective-member-end", "collective_member"),
            ("api:collective-quorum", "collective"),
        )
    },
    "api:cases": Row(
        api=True, expect={GET: signed_in(200, anonymous=401), POST: signed_in(400, anonymous=401)}
    ),
    **{
        name: Row(
            api=True,
            obj="case",
            expect={
                GET: {
                    ADMIN: (200, 200),
                    CLERK: IN_OUT,
                    AUTHORITY: IN_OUT,
                    OFFICIAL: IN_OUT,
                    AUDITOR: IN_OUT,
                    ANONYMOUS: API_ANON,
                },
            },
        )
        for name in ("api:case", "api:case-events", "api:case-events-verify")
    },
    "api:case-actions": Row(
        api=True,
        obj="case",
        expect={
            GET: {
                ADMIN: (405, 405),
                CLERK: (405, 405),
                AUTHORITY: (405, 405),
                OFFICIAL: (405, 405),
                AUDITOR: (405, 405),
                ANONYMOUS: API_ANON,
            },
            POST: {
                ADMIN: (400, 400),
                CLERK: (400, 404),
                AUTHORITY: (400, 404),
                OFFICIAL: (400, 404),
                AUDITOR: (400, 404),
                ANONYMOUS: API_ANON,
            },
        },
    ),
    "api:case-documents": Row(
        api=True,
        obj="case",
        multipart=True,
        expect={
            GET: {
                ADMIN: (200, 200),
                CLERK: IN_OUT,
                AUTHORITY: IN_OUT,
                OFFICIAL: IN_OUT,
                AUDITOR: IN_OUT,
                ANONYMOUS: API_ANON,
            },
            POST: {
                ADMIN: (400, 400),
                CLERK: (400, 404),
                AUTHORITY: (400, 404),
                OFFICIAL: (400, 404),
                AUDITOR: (400, 404),
                ANONYMOUS: API_ANON,
            },
        },
    ),
    "api:document-download": Row(
        api=True,
        obj="document",
        expect={
            GET: {
                ADMIN: (200, 200),
                CLERK: IN_OUT,
                AUTHORITY: IN_OUT,
                OFFICIAL: IN_OUT,
                AUDITOR: IN_OUT,
                ANONYMOUS: API_ANON,
            },
        },
    ),
    "api:inbox": Row(api=True, expect={GET: signed_in(200, anonymous=401)}),
    "api:due-date": Row(
        api=True,
        query="start=2026-01-02&working_days=3",
        expect={GET: signed_in(200, anonymous=401)},
    ),
    **{
        name: Row(
            api=True,
            query=query,
            expect={
                GET: {
                    ADMIN: 200,
                    CLERK: 200,
                    AUTHORITY: 200,
                    OFFICIAL: 403,
                    AUDITOR: 200,
                    ANONYMOUS: 401,
                },
            },
        )
        for name, query in (
            ("api:report-statistics", "by=ground"),
            ("api:report-decision-times", ""),
            ("api:report-late-steps", ""),
            ("api:report-national-table", "form=resignation&regulation=R377"),
        )
    },
    # Permissions run before the method check: only importers learn that GET is not allowed.
    "api:import-cases": Row(
        api=True,
        multipart=True,
        expect={
            GET: {
                ADMIN: 405,
                CLERK: 405,
                AUTHORITY: 403,
                OFFICIAL: 403,
                AUDITOR: 403,
                ANONYMOUS: 401,
            },
            POST: {
                ADMIN: 400,
                CLERK: 400,
                AUTHORITY: 403,
                OFFICIAL: 403,
                AUDITOR: 403,
                ANONYMOUS: 401,
            },
        },
    ),
    # The schema and its documentation page are public, like the API's contract.
    "api:schema": Row(api=True, expect={GET: each(200)}),
    "api:docs": Row(api=True, expect={GET: each(200)}),
    "api/v1/^.*$": Row(api=True, paths=("/api/v1/no-such-endpoint/",), expect={GET: each(404)}),
}


# --------------------------------------------------------------------------- walking


@pytest.fixture(scope="module")
def matrix_objects(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[MatrixObjects]:
    """The world and its objects, built once for the ~340 walks of this module.

    Like Django's ``setUpTestData``: the rows are written inside a transaction that is
    rolled back after the module, and each test runs in a savepoint inside it (the
    ``db`` fixture), so what one walk changes is gone before the next. Files go to the
    same private storage the autouse ``_private_storage`` fixture of conftest.py sets.
    """
    storages = {
        **django_settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {
                "location": str(tmp_path_factory.getbasetemp() / "private"),
                "base_url": None,
            },
        },
    }
    with django_db_blocker.unblock(), override_settings(STORAGES=storages):
        atomics = TestCase._enter_atomics()
        try:
            if not CatalogVersion.objects.filter(is_current=True).exists():
                load_catalog()
            yield build_matrix_objects(build_demo_world(password="cadre-demo"))
        finally:
            TestCase._rollback_atomics(atomics)


@pytest.fixture
def matrix(matrix_objects: MatrixObjects, db: None, settings: Any) -> MatrixObjects:
    settings.REQUIRE_TOTP = False  # see the module docstring
    cache.clear()  # the token endpoint's throttle counts in the cache
    record_heartbeat()  # so /healthz reports a live worker
    return matrix_objects


def _scoped(row: Row) -> bool:
    """Whether the row asks for an object in and out of scope (else: one URL)."""
    return row.obj is not None or len(row.paths) == 2


def _path(key: str, row: Row, objects: MatrixObjects, role: str, scope: str) -> str:
    if row.paths:
        template = row.paths[0 if scope == "in" else 1]
        return template.format(org_unit=objects.world.province.pk)
    kwargs: dict[str, Any] = dict(row.kwargs)
    if row.obj is not None:
        kwargs.update(objects.kwargs(row.obj, role, scope))
    path = reverse(key, kwargs=kwargs or None)
    return f"{path}?{row.query}" if row.query else path


def _body(key: str, row: Row, method: str, role: str) -> dict[str, Any]:
    if key == "api:token" and method == POST:
        username = USERNAMES[role]
        if username is None:
            return {"username": "nobody", "password": "not-the-password"}
        return {"username": username, "password": "cadre-demo"}
    return row.data.get(method, {})


def _request(client: Any, method: str, path: str, body: dict[str, Any], row: Row) -> Any:
    if method == GET:
        return client.get(path)
    if row.api:
        fmt = "multipart" if row.multipart else "json"
        return getattr(client, method.lower())(path, body, format=fmt)
    return getattr(client, method.lower())(path, body)


def _answer(response: Any) -> Expect:
    """The status, with redirects to a sign-in page named as such."""
    if response.status_code == 302:
        location = response["Location"]
        if location.startswith(reverse("admin:login") + "?next="):
            return ADMIN_LOGIN
        if location.startswith(reverse("login") + "?next="):
            return LOGIN
    return int(response.status_code)


# Each row × role is its own test id, e.g. ``test_role_gets_what_the_matrix_says[api:case-official]``.
WALK: list[tuple[str, str]] = [(key, role) for key in TABLE for role in ROLES]


@pytest.mark.parametrize(("key", "role"), WALK, ids=[f"{key}-{role}" for key, role in WALK])
def test_role_gets_what_the_matrix_says(key: str, role: str, matrix: MatrixObjects) -> None:
    """Walk one row for one role: every method, in and out of scope, and a missing id."""
    row = TABLE[key]
    username = USERNAMES[role]
    user = matrix.world.users[username] if username else None
    client = api_client(user) if row.api else web_client(user)
    got: dict[str, Any] = {}
    wanted: dict[str, Any] = {}
    for method, by_role in row.expect.items():
        expected = by_role[role]
        scopes = ("in", "out") if _scoped(row) else ("in",)
        wants = expected if isinstance(expected, tuple) else (expected,)
        assert len(wants) == len(scopes), (
            f"{key} {method} {role}: {expected!r} does not fit the row"
        )
        body = _body(key, row, method, role)
        for scope, want in zip(scopes, wants, strict=True):
            before = fingerprint() if method != GET and want in REFUSALS else None
            answer = _answer(
                _request(client, method, _path(key, row, matrix, role, scope), body, row)
            )
            got[f"{method} {scope}"], wanted[f"{method} {scope}"] = answer, want
            if before is not None and answer in REFUSALS:
                assert fingerprint() == before, (
                    f"{method} {key} refused for {role} ({scope}) but changed data"
                )
        # Out of scope must look exactly like "does not exist" (the administrator has no scope).
        if row.obj is not None and role != ADMIN:
            before = fingerprint() if method != GET else None
            missing = _request(client, method, _path(key, row, matrix, role, "missing"), body, row)
            got[f"{method} missing"] = _answer(missing)
            wanted[f"{method} missing"] = wants[1]
            if before is not None:
                assert fingerprint() == before, f"{method} {key} on a missing id changed data"
    assert got == wanted


# --------------------------------------------------------------------------- coverage


def test_every_url_pattern_of_the_project_has_a_row() -> None:
    """A new URL without a row fails here; so does a row whose URL is gone."""
    keys = project_url_keys()
    assert len(keys) == len(set(keys)), "two URL patterns share a name"
    assert sorted(set(keys) - set(TABLE)) == [], "URL patterns without a row in the access matrix"
    assert sorted(set(TABLE) - set(keys)) == [], "rows of the access matrix for URLs that are gone"
    assert len(TABLE) == len(keys)


def test_every_row_names_every_role_for_every_method() -> None:
    for key, row in TABLE.items():
        assert row.expect, key
        for method, by_role in row.expect.items():
            assert set(by_role) == set(ROLES), (key, method)
            for role, expected in by_role.items():
                assert isinstance(expected, tuple) == _scoped(row), (key, method, role, expected)


def test_the_walk_covers_every_url_and_role() -> None:
    """The acceptance of issue #7: the walk (test_role_gets_what_the_matrix_says) visits
    every row for every role, and the number of URLs it visits equals the project's
    number of URL patterns."""
    assert len(WALK) == len(TABLE) * len(ROLES)
    assert {key for key, _role in WALK} == set(TABLE)
    assert len({key for key, _role in WALK}) == len(project_url_keys())


def test_a_new_url_without_a_row_would_be_reported(settings: Any) -> None:
    """The guard itself: a pattern added to the URL conf shows up as a key with no row."""
    settings.ROOT_URLCONF = "tests.access_extra_urls"
    keys = project_url_keys()
    assert set(keys) - set(TABLE) == {"matrix-probe"}
