"""The bad-input sweep (issue #7): every form and API endpoint that takes input, given
empty, overlong, wrong-type, malformed-date and script-injection values, answers with a
form error or a 4xx naming the field, never a 500, and writes nothing.

How it works: ``WEB`` and ``API`` are the tables of write surfaces; ``QUERIES`` the
tables of filter forms and query parameters. Each row names the role that may use the
surface, how to build a *valid* request, and its fields with their kind. For every
field the sweep derives the bad values of its kind (``bad_values``), sends the valid
request with that one field spoiled, and checks:

* the answer: web forms re-show the form (200/400/409) with an error on that field;
  the API answers 400 (409 for a value the regulation refuses) in its error format
  with the field named; in Vietnamese, so an untranslated English message shows;
* the echo: the script payload never comes back unescaped in a page;
* nothing written: the row count of every model (sessions aside) and the number of
  stored files are the same before and after.

``test_baseline_is_accepted`` sends each valid request once, so a field's errors are
known to come from that field. ``test_every_post_view_is_in_the_table`` and
``test_every_api_write_is_in_the_table`` fail when a view that accepts input is added
without a row here.

Free text (reasons, statements, names) may contain ``<script>``: it is data, stored as
typed and escaped wherever it is shown. For those fields the script kind spoils another
field too, so the form comes back with the text in it, and checks it is escaped there;
``test_script_text_that_is_accepted_is_shown_escaped`` checks the stored text.
"""

from __future__ import annotations

import datetime
import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyotp
import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLResolver, get_resolver, reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from cases.models import Appointment, Case, Membership, Role
from cases.ops.demo import DemoWorld
from cases.security.enrolment import issue_enrolment_code, redeem_enrolment_code
from cases.workflow import engine as workflow
from tests.conftest import PDF_BYTES, pdf
from tests.reports_support import DEFAULT_ROW, HEADER
from tests.web_support import PASSWORD

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "cases" / "locale"

MISSING = object()  # the field is left out of the request
SCRIPT_ECHO = object()  # the script in this field while another field is spoilt
SCRIPT = "<script>alert(1)</script>"
HUGE = "9" * 30  # beyond any 64-bit integer
JUST_BEYOND = str(2**63)  # one more than the largest 64-bit id


# --------------------------------------------------------------------------- catalog


@pytest.fixture(scope="session")
def sweep_locale(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every fragment over the project catalog, compiled: the messages as a Vietnamese
    user would read them once the integrator has merged the fragments."""
    target = tmp_path_factory.mktemp("sweep-locale")
    out = target / "vi" / "LC_MESSAGES"
    out.mkdir(parents=True)
    msgcat, msgfmt = shutil.which("msgcat"), shutil.which("msgfmt")
    assert msgcat and msgfmt, "gettext's msgcat and msgfmt are needed to compile the catalog"
    sources = [str(LOCALE / "fragments" / "sweep.po")]
    sources += sorted(str(p) for p in (LOCALE / "fragments").glob("*.po") if p.name != "sweep.po")
    sources.append(str(LOCALE / "vi" / "LC_MESSAGES" / "django.po"))
    merged = target / "merged.po"
    subprocess.run([msgcat, "--use-first", "-o", str(merged), *sources], check=True)
    subprocess.run(
        [msgfmt, "--check-format", "-o", str(out / "django.mo"), str(merged)], check=True
    )
    return target


@pytest.fixture(autouse=True)
def _sweep_settings(settings: Any, sweep_locale: Path) -> None:
    settings.LOCALE_PATHS = [str(sweep_locale)]
    # Many failed sign-ins in a row are the point here, not the lock-out or the throttle.
    settings.LOCKOUT_MAX_FAILURES_PER_USER = 100_000
    settings.LOCKOUT_MAX_FAILURES_PER_USER_ADDRESS = 100_000
    settings.LOCKOUT_SLOW_AFTER_FAILURES_PER_ADDRESS = 100_000
    settings.API_TOKEN_RATE = "100000/minute"
    settings.REQUIRE_TOTP = False


# --------------------------------------------------------------------------- bad values


@dataclass(frozen=True)
class Field:
    """One input of a surface. ``kind``: text (free text), code (short token), int, id,
    date, choice, bool, list (of ground codes), file, csv (an import file)."""

    name: str
    kind: str
    required: bool = True
    max_length: int = 0


def text(name: str, max_length: int, required: bool = True) -> Field:
    return Field(name, "text", required, max_length)


def bad_values(f: Field, *, json: bool) -> list[tuple[str, Any]]:
    """(label, value) pairs that must all be refused for a field of ``f.kind``."""
    out: list[tuple[str, Any]] = []
    if f.required and f.kind not in ("file", "csv"):
        out += [("missing", MISSING), ("empty", "")]
        if f.kind in ("text", "code"):
            out.append(("blank", "   "))
    if f.kind in ("text", "code"):
        out += [("overlong", "x" * max(10_000, f.max_length + 1)), ("nul_char", "a\x00b")]
        # Free text may hold "<script>" (it is data, escaped when shown): it must come back
        # escaped in the re-shown form. A code (user name, authenticator code) is refused.
        out.append(("script", SCRIPT) if f.kind == "code" else ("script_echoed", SCRIPT_ECHO))
        if json:
            out += [
                ("wrong_type_list", ["a"]),
                ("wrong_type_object", {"a": 1}),
                ("wrong_type_bool", True),
            ]
    elif f.kind in ("int", "id"):
        out += [
            ("wrong_type_text", "abc"),
            ("wrong_type_decimal", "1.5"),
            ("negative", "-1"),
            ("beyond_64_bit", HUGE),
            ("just_beyond_64_bit", JUST_BEYOND),
            ("script", SCRIPT),
        ]
        if f.kind == "id":
            out.append(("zero", "0"))
        if json:
            out += [
                ("wrong_type_bool", True),
                ("wrong_type_list", [1]),
                ("wrong_type_object", {"a": 1}),
                ("beyond_64_bit_number", 10**30),
            ]
    elif f.kind == "date":
        out += [
            ("malformed_date_31_02_2026", "31/02/2026"),
            ("malformed_date_2026_02_31", "2026-02-31"),
            ("malformed_date_month_13", "2026-13-01"),
            ("malformed_date_abc", "abc"),
            ("malformed_date_zeros", "0000-00-00"),
            ("malformed_date_year_10000", "10000-01-01"),
            ("overlong", "2026-01-01" * 1000),
            ("script", SCRIPT),
        ]
        if json:
            out += [
                ("wrong_type_number", 20260101),
                ("wrong_type_bool", True),
                ("wrong_type_list", ["2026-01-01"]),
            ]
    elif f.kind == "choice":
        out += [("unknown", "nope"), ("overlong", "x" * 10_000), ("script", SCRIPT)]
        if json:
            out += [
                ("wrong_type_number", 1),
                ("wrong_type_bool", True),
                ("wrong_type_list", []),
                ("wrong_type_object", {}),
            ]
    elif f.kind == "bool":
        out += [("unknown", "maybe"), ("script", SCRIPT), ("overlong", "x" * 10_000)]
        if json:
            out += [("wrong_type_number", 2), ("wrong_type_list", []), ("wrong_type_object", {})]
    elif f.kind == "list":
        out += [
            ("missing", MISSING),
            ("empty_list", []),
            ("empty_item", [""]),
            ("unknown_item", ["NOPE-1"]),
            ("overlong_item", ["x" * 10_000]),
            ("too_many_items", ["R377-D-4"] * 25),
            ("script", [SCRIPT]),
        ]
        if json:
            out += [
                ("wrong_type_text", "R377-D-4"),
                ("wrong_type_object", {"a": 1}),
                ("wrong_type_nested", [["R377-D-4"]]),
                ("null_item", [None]),
            ]
    elif f.kind == "file":
        out += [
            (
                "empty_file",
                lambda: SimpleUploadedFile("empty.pdf", b"", content_type="application/pdf"),
            ),
            (
                "script_as_pdf",
                lambda: SimpleUploadedFile(
                    "x.pdf", SCRIPT.encode(), content_type="application/pdf"
                ),
            ),
            (
                "html_file",
                lambda: SimpleUploadedFile(
                    f"{SCRIPT}.html", f"<html>{SCRIPT}</html>".encode(), content_type="text/html"
                ),
            ),
            (
                "text_file",
                lambda: SimpleUploadedFile("notes.txt", b"x" * 10_000, content_type="text/plain"),
            ),
        ]
        if f.required:
            out.insert(0, ("missing", MISSING))
        if json:
            out += [("wrong_type_text", "abc"), ("wrong_type_object", {"name": "x.pdf"})]
    elif f.kind == "csv":
        out += [
            ("missing", MISSING),
            ("empty_file", lambda: SimpleUploadedFile("empty.csv", b"", content_type="text/csv")),
            (
                "binary",
                lambda: SimpleUploadedFile(
                    "x.csv", PDF_BYTES + b"\xff\xfe\x00", content_type="text/csv"
                ),
            ),
            (
                "script",
                lambda: SimpleUploadedFile(
                    f"{SCRIPT}.csv", SCRIPT.encode(), content_type="text/csv"
                ),
            ),
            (
                "header_only",
                lambda: SimpleUploadedFile(
                    "h.csv", IMPORT_HEADER.encode(), content_type="text/csv"
                ),
            ),
            (
                "wrong_columns",
                lambda: SimpleUploadedFile("w.csv", b"a,b,c\n1,2,3\n", content_type="text/csv"),
            ),
            (
                "overlong_line",
                lambda: SimpleUploadedFile("o.csv", b"x" * 200_000, content_type="text/csv"),
            ),
        ]
    else:  # pragma: no cover - a typo in the tables
        raise AssertionError(f"unknown kind {f.kind}")
    return out


# The import tests' columns and good row (tests/reports_support.py), every value quoted.
IMPORT_HEADER = ",".join(HEADER) + "\n"


def import_row(**override: str) -> str:
    values = {**DEFAULT_ROW, **override}
    return ",".join(f'"{values[column]}"' for column in HEADER) + "\n"


# Bad values inside the rows of an otherwise valid import file, column by column.
IMPORT_ROW_VALUES: list[tuple[str, str, str]] = [
    ("filed_on", "malformed_date_31_02_2026", "31/02/2026"),
    ("filed_on", "malformed_date_month_13", "2026-13-01"),
    ("filed_on", "malformed_date_abc", "abc"),
    ("filed_on", "empty", ""),
    ("decided_on", "malformed_date_2026_02_31", "2026-02-31"),
    ("decided_on", "year_10000", "10000-01-01"),
    ("regulation", "unknown", SCRIPT),
    ("form", "unknown", "nope"),
    ("ground_ids", "unknown", "NOPE-1"),
    ("ground_ids", "overlong", "x" * 10_000),
    ("official_name", "empty", ""),
    ("official_name", "overlong", "x" * 10_000),
    ("position_title", "overlong", "x" * 10_000),
    ("org_unit_code", "unknown", SCRIPT),
    ("level", "unknown", "nope"),
    ("outcome", "unknown", SCRIPT),
    ("case_ref", "overlong", "x" * 10_000),
    ("case_ref", "empty", ""),
    ("case_ref", "nul_char", "a\x00b"),
]


# --------------------------------------------------------------------------- surfaces


@dataclass
class Env:
    world: DemoWorld
    file_case: Callable[..., Case]

    def user(self, name: str) -> Any:
        return self.world.users[name]


@dataclass
class Target:
    """A valid request: who sends it where, and a function making a fresh body."""

    client: Any
    url: str
    body: Callable[[], dict[str, Any]]
    prefix: str = ""
    method: str = "post"
    fmt: str = "multipart"  # multipart, json or query
    form_of: Callable[[Any], Any] | None = None


@dataclass(frozen=True)
class Surface:
    name: str
    setup: Callable[[Env], Target]
    fields: tuple[Field, ...]
    web: bool = True
    # Credentials: a bad value reads as a wrong password, on purpose not naming the field.
    names_field: bool = True
    # Models a refused attempt writes by design (the lock-out counts failed sign-ins).
    also_written: frozenset[str] = frozenset()
    urls: tuple[str, ...] = ()  # the URL names this row covers (for the coverage tests)
    methods: tuple[str, ...] = ("post",)
    success: tuple[int, ...] = (302,)


def web_client(username: str) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="vi")
    client.cookies["django_language"] = "vi"
    assert client.login(username=username, password=PASSWORD)
    return client


def api(user: Any) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}", HTTP_ACCEPT_LANGUAGE="vi")
    return client


def today() -> datetime.date:
    return timezone.localdate()


def at_exchange(env: Env) -> Case:
    return env.file_case("dismissal")


def exchange_done(env: Env) -> Case:
    case = env.file_case("dismissal")
    clerk = env.user("clerk")
    workflow.perform(
        case_id=case.pk,
        user=clerk,
        action=workflow.RECORD_TALK,
        upload=pdf(),
        data={"held_on": today().isoformat(), "summary": "Đã trao đổi."},
    )
    workflow.perform(
        case_id=case.pk,
        user=clerk,
        action=workflow.RECORD_VOTE,
        data={"members": 9, "present": 9, "votes_for": 7, "votes_against": 2},
    )
    return Case.objects.get(pk=case.pk)


def at_decision(env: Env) -> Case:
    case = exchange_done(env)
    workflow.perform(case_id=case.pk, user=env.user("clerk"), action=workflow.COMPLETE_STEP)
    return Case.objects.get(pk=case.pk)


def at_implementation(env: Env) -> Case:
    case = at_decision(env)
    workflow.perform(case_id=case.pk, user=env.user("authority"), action=workflow.APPROVE)
    return Case.objects.get(pk=case.pk)


def at_abolished_district(env: Env) -> Case:
    """A step still waiting at the district that ended on 30/06/2025 (issue #14)."""
    return env.file_case(
        "resignation",
        official=env.world.official_district,
        position=env.world.post_district,
        grounds=["R41-R-1"],
        filed_on=datetime.date(2024, 3, 1),
        today=datetime.date(2024, 3, 1),
    )


def own_resignation(env: Env) -> Case:
    return env.file_case(
        "resignation",
        official=env.world.official_self,
        position=env.world.post_superior,
        by="official",
    )


def second_clerk(env: Env) -> Any:
    user = get_user_model().objects.create_user(
        "clerk2", password=PASSWORD, first_name="Lê", last_name="Hai"
    )
    Membership.objects.create(user=user, unit=env.world.province, role=Role.CLERK)
    return user


def case_form(response: Any) -> Any:
    """The bound action form on a re-shown case page."""
    context = response.context
    for block in context.get("actions") or []:
        if block.open:
            return block.form
    return context.get("orphan_form")


# How each engine action is reached: the case at the right step, who acts, a valid body.
ACTIONS: dict[
    str, tuple[Callable[[Env], Case], str, Callable[[Env, Case], dict[str, Any]], tuple[Field, ...]]
] = {
    workflow.ATTACH_DOCUMENT: (
        at_exchange,
        "clerk",
        lambda env, case: {"kind": "evidence", "file": pdf()},
        (Field("kind", "choice"), Field("file", "file")),
    ),
    workflow.RECORD_TALK: (
        at_exchange,
        "clerk",
        lambda env, case: {
            "held_on": today().isoformat(),
            "summary": "Đã trao đổi.",
            "file": pdf(),
        },
        (Field("held_on", "date"), text("summary", 10_000), Field("file", "file", required=False)),
    ),
    workflow.RECORD_VOTE: (
        at_exchange,
        "clerk",
        # MDL-COL-2: the roster gives the members; the tally is checked against it.
        lambda env, case: {
            "collective": env.world.province.collectives.get().pk,
            "meeting_on": today().isoformat(),
            "present": 8,
            "votes_for": 6,
            "votes_against": 1,
            "invalid": 1,
        },
        (
            Field("collective", "id", required=False),
            Field("meeting_on", "date", required=False),
            Field("present", "int"),
            Field("votes_for", "int"),
            Field("votes_against", "int"),
            Field("invalid", "int", required=False),
        ),
    ),
    workflow.COMPLETE_STEP: (exchange_done, "clerk", lambda env, case: {}, ()),
    workflow.APPROVE: (
        at_decision,
        "authority",
        lambda env, case: {
            "effective_on": today().isoformat(),
            "signer_post": "PHÓ CHỦ TỊCH",
            "reason": "Ghi chú.",
        },
        (
            Field("effective_on", "date", required=False),
            text("signer_post", 120, required=False),
            text("reason", 4000, required=False),
        ),
    ),
    workflow.REJECT: (
        at_exchange,
        "clerk",
        lambda env, case: {"reason": "Chưa đủ căn cứ."},
        (text("reason", 4000),),
    ),
    workflow.EXTEND_DEADLINE: (
        at_decision,
        "clerk",
        lambda env, case: {
            "extend_to": case.current_step.ceiling_on.isoformat(),
            "reason": "Chờ ý kiến.",
        },
        (Field("extend_to", "date"), text("reason", 4000)),
    ),
    workflow.WITHDRAW: (
        own_resignation,
        "official",
        lambda env, case: {"reason": "Tôi đổi ý."},
        (text("reason", 4000),),
    ),
    workflow.COMPLETE_IMPLEMENTATION: (at_implementation, "clerk", lambda env, case: {}, ()),
    workflow.REASSIGN: (
        at_exchange,
        "clerk",
        lambda env, case: {"assignee": second_clerk(env).pk, "reason": "Cân đối công việc."},
        (Field("assignee", "id"), text("reason", 4000)),
    ),
    workflow.TAKE_OVER: (
        at_abolished_district,
        "clerk",
        lambda env, case: {"unit": env.world.province.pk, "reason": "Huyện đã kết thúc hoạt động."},
        (Field("unit", "id", required=False), text("reason", 4000)),
    ),
}


def web_action(action: str) -> Surface:
    make_case, username, body, fields = ACTIONS[action]

    def setup(env: Env) -> Target:
        case = make_case(env)
        values = body(env, case)
        step = case.current_step_id
        return Target(
            client=web_client(username),
            url=reverse("case_action", args=[case.pk, action]),
            body=lambda: {
                "step_id": step,
                **{k: (pdf() if k == "file" else v) for k, v in values.items()},
            },
            prefix=f"{action}-",
            form_of=case_form,
        )

    return Surface(
        f"web_action_{action}",
        setup,
        (*fields, Field("step_id", "int", required=False)),
        urls=("case_action",),
    )


def api_action(action: str) -> Surface:
    make_case, username, body, fields = ACTIONS[action]
    multipart = any(f.kind == "file" for f in fields)

    def setup(env: Env) -> Target:
        case = make_case(env)
        values = body(env, case)
        step = case.current_step_id
        return Target(
            client=api(env.user(username)),
            url=f"/api/v1/cases/{case.pk}/actions/",
            body=lambda: {
                "action": action,
                "step": step,
                **{k: (pdf() if k == "file" else v) for k, v in values.items()},
            },
            fmt="multipart" if multipart else "json",
        )

    extra = (Field("step", "int", required=False),)
    if action == workflow.REJECT:
        extra += (Field("action", "choice"),)
    return Surface(
        f"api_action_{action}",
        setup,
        (*fields, *extra),
        web=False,
        urls=("api:case-actions",),
        success=(200,),
    )


# --- web forms -----------------------------------------------------------------------


def login_setup(env: Env) -> Target:
    return Target(
        Client(HTTP_ACCEPT_LANGUAGE="vi"),
        reverse("login"),
        lambda: {"username": "clerk", "password": PASSWORD},
    )


def second_factor_setup(env: Env) -> Target:
    user = env.user("authority")
    client = web_client("authority")
    # Enrolled with the administrator's code; a bad code then creates nothing more.
    device = redeem_enrolment_code(user=user, code=issue_enrolment_code(user=user, by=None))
    assert device is not None
    return Target(
        client, reverse("second_factor"), lambda: {"code": pyotp.TOTP(device.secret).now()}
    )


def file_case_setup(env: Env) -> Target:
    appointment = Appointment.objects.get(
        official=env.world.official_same, position=env.world.post_same
    )
    return Target(
        web_client("clerk"),
        reverse("case_new"),
        lambda: {
            "form": "dismissal",
            "appointment": appointment.pk,
            "grounds": ["R377-D-4"],
            "statement": "Đề nghị xem xét.",
            "filed_on": today().isoformat(),
            "document": pdf(),
        },
    )


def resignation_setup(env: Env) -> Target:
    appointment = Appointment.objects.get(
        official=env.world.official_self, position=env.world.post_superior
    )
    return Target(
        web_client("official"),
        reverse("resignation_new", args=[appointment.pk]),
        lambda: {
            "grounds": ["R377-R-1"],
            "statement": "Tôi xin thôi giữ chức vụ.",
            "application": pdf("don.pdf"),
        },
    )


def delegation_setup(env: Env) -> Target:
    return Target(
        web_client("authority"),
        reverse("delegations"),
        lambda: {
            "unit": env.world.province.pk,
            "deputy": env.user("clerk").pk,
            "valid_from": today().isoformat(),
            "valid_to": (today() + datetime.timedelta(days=7)).isoformat(),
            "reason": "Đi công tác.",
        },
    )


def official_facts_setup(env: Env) -> Target:
    return Target(
        web_client("clerk"),
        reverse("official_facts", args=[env.world.official_same.pk]),
        lambda: {
            "kind": "inspection",
            "started_on": today().isoformat(),
            "body": "Thanh tra tỉnh",
            "reason": "Theo quyết định thanh tra.",
        },
    )


def collectives_setup(env: Env) -> Target:
    return Target(
        web_client("clerk"),
        reverse("collectives"),
        lambda: {
            "unit": env.world.province.pk,
            "body_type": "leadership",
            "name": "Tập thể lãnh đạo Văn phòng",
            "term": "2021-2026",
            "valid_from": "2021-06-01",
        },
    )


def collective_member_setup(env: Env) -> Target:
    body = env.world.province.collectives.get()
    return Target(
        web_client("clerk"),
        reverse("collective_detail", args=[body.pk]),
        lambda: {
            "full_name": "Sùng A Lử",
            "role_in_body": "Ủy viên",
            "valid_from": today().isoformat(),
            "decision": "QĐ 12/QĐ-TTg",
        },
        prefix="add-",
    )


def collective_quorum_setup(env: Env) -> Target:
    body = env.world.province.collectives.get()
    return Target(
        web_client("clerk"),
        reverse("collective_detail", args=[body.pk]),
        lambda: {"quorum_numerator": "2", "quorum_denominator": "3", "reason": "Quy chế làm việc"},
        prefix="quorum-",
    )


def import_page_setup(env: Env) -> Target:
    content = (IMPORT_HEADER + import_row()).encode()
    return Target(
        web_client("clerk"),
        reverse("import_cases"),
        lambda: {"file": SimpleUploadedFile("lich-su.csv", content, content_type="text/csv")},
    )


def verify_page_setup(env: Env) -> Target:
    """The public check of a signed decision: anyone, any PDF (here an unsigned one)."""
    client = Client(HTTP_ACCEPT_LANGUAGE="vi")
    client.cookies["django_language"] = "vi"
    return Target(client, reverse("verify"), lambda: {"file": pdf("quyet-dinh.pdf")})


def verify_api_setup(env: Env) -> Target:
    return Target(
        APIClient(HTTP_ACCEPT_LANGUAGE="vi"),
        "/api/v1/documents/verify/",
        lambda: {"file": pdf("quyet-dinh.pdf")},
    )


WEB: list[Surface] = [
    Surface(
        "web_login",
        login_setup,
        (text("username", 150), text("password", 4096)),
        names_field=False,
        also_written=frozenset({"cases.SignInThrottle"}),
        urls=("login",),
    ),
    Surface(
        "web_second_factor",
        second_factor_setup,
        (Field("code", "code", max_length=10),),
        urls=("second_factor",),
    ),
    Surface(
        "web_file_case",
        file_case_setup,
        (
            Field("form", "choice"),
            Field("appointment", "id"),
            Field("grounds", "list"),
            text("statement", 20_000, required=False),
            Field("filed_on", "date", required=False),
            Field("document", "file", required=False),
        ),
        urls=("case_new",),
    ),
    Surface(
        "web_resignation",
        resignation_setup,
        (
            Field("grounds", "list"),
            text("statement", 20_000),
            Field("application", "file"),
        ),
        urls=("resignation_new",),
    ),
    Surface(
        "web_delegation",
        delegation_setup,
        (
            Field("unit", "id"),
            Field("deputy", "id"),
            Field("valid_from", "date"),
            Field("valid_to", "date"),
            text("reason", 4000),
        ),
        urls=("delegations",),
    ),
    Surface("web_import", import_page_setup, (Field("file", "csv"),), urls=("import_cases",)),
    Surface(
        "web_verify",
        verify_page_setup,
        (Field("file", "file"), Field("code", "code", required=False, max_length=32)),
        urls=("verify",),
        success=(200,),
    ),
    Surface(
        "web_official_facts",
        official_facts_setup,
        (
            Field("kind", "choice"),
            Field("started_on", "date"),
            Field("ended_on", "date", required=False),
            text("body", 300),
            text("reason", 4000, required=False),
        ),
        urls=("official_facts",),
    ),
    Surface(
        "web_collectives",
        collectives_setup,
        (
            Field("unit", "id"),
            Field("body_type", "choice"),
            text("name", 200),
            text("term", 40, required=False),
            Field("valid_from", "date"),
        ),
        urls=("collectives",),
    ),
    Surface(
        "web_collective_member",
        collective_member_setup,
        (
            text("full_name", 120),
            text("role_in_body", 80, required=False),
            Field("valid_from", "date"),
            Field("valid_to", "date", required=False),
            text("decision", 120, required=False),
        ),
        urls=("collective_detail",),
    ),
    Surface(
        "web_collective_quorum",
        collective_quorum_setup,
        (
            Field("quorum_numerator", "int", required=False),
            Field("quorum_denominator", "int", required=False),
            text("reason", 4000),
        ),
        urls=("collective_detail",),
    ),
    *(web_action(name) for name in workflow.SPECS),
]

# POST views that take no input but the address (covered by test_ids_in_addresses_beyond_range).
WEB_NO_INPUT = {"logout", "notification_read", "notifications_read_all"}


# --- API -------------------------------------------------------------------------------


def token_setup(env: Env) -> Target:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="vi")
    return Target(
        client,
        "/api/v1/auth/token/",
        lambda: {"username": "clerk", "password": PASSWORD},
        fmt="json",
    )


def case_json_setup(env: Env) -> Target:
    world = env.world
    return Target(
        api(env.user("clerk")),
        "/api/v1/cases/",
        lambda: {
            "form": "dismissal",
            "official": world.official_same.pk,
            "position": world.post_same.pk,
            "grounds": ["R377-D-4"],
            "statement": "Đề nghị.",
            "filed_on": today().isoformat(),
        },
        fmt="json",
    )


def case_multipart_setup(env: Env) -> Target:
    world = env.world
    return Target(
        api(env.user("clerk")),
        "/api/v1/cases/",
        lambda: {
            "form": "resignation",
            "official": world.official_same.pk,
            "position": world.post_same.pk,
            "grounds": ["R377-R-1"],
            "statement": "Đơn xin thôi.",
            "application": pdf("don.pdf"),
        },
    )


def documents_setup(env: Env) -> Target:
    case = at_exchange(env)
    return Target(
        api(env.user("clerk")),
        f"/api/v1/cases/{case.pk}/documents/",
        lambda: {
            "kind": "evidence",
            "file": pdf(),
            "reason": "Bổ sung.",
            "step": case.current_step_id,
        },
    )


def unit_create_setup(env: Env) -> Target:
    return Target(
        api(env.user("admin")),
        "/api/v1/org-units/",
        lambda: {
            "code": "UBND-LC-MOI",
            "name": "Ủy ban nhân dân xã Mới",
            "kind": "state",
            "level": "commune",
            "parent": env.world.province.pk,
            "valid_from": "2025-07-01",
            "members_count": 5,
        },
        fmt="json",
    )


def unit_update_setup(env: Env) -> Target:
    return Target(
        api(env.user("admin")),
        f"/api/v1/org-units/{env.world.district.pk}/",
        lambda: {
            "name": "Ủy ban nhân dân huyện Bảo Thắng",
            "valid_to": "2025-06-30",
            "members_count": 6,
            "successor": env.world.commune.pk,
        },
        method="patch",
        fmt="json",
    )


def position_create_setup(env: Env) -> Target:
    return Target(
        api(env.user("clerk")),
        "/api/v1/positions/",
        lambda: {
            "title": "Phó Giám đốc Sở",
            "unit": env.world.province.pk,
            "appointing_unit": env.world.province.pk,
            "is_leadership": True,
        },
        fmt="json",
    )


def position_update_setup(env: Env) -> Target:
    return Target(
        api(env.user("clerk")),
        f"/api/v1/positions/{env.world.post_same.pk}/",
        lambda: {
            "title": "Chánh Văn phòng",
            "unit": env.world.province.pk,
            "appointing_unit": env.world.province.pk,
            "is_leadership": False,
        },
        method="patch",
        fmt="json",
    )


def official_create_setup(env: Env) -> Target:
    from cases.models import Position

    vacant = Position.objects.create(
        title="Phó Chánh Văn phòng", unit=env.world.province, appointing_unit=env.world.province
    )
    return Target(
        api(env.user("clerk")),
        "/api/v1/officials/",
        lambda: {
            "full_name": "Lý Văn Mới",
            "honorific": "ông",
            "personnel_number": "LC-0099",
            "date_of_birth": "1975-05-05",
            "position": vacant.pk,
            "term_start": "2025-08-01",
            "term_end": "2030-07-31",
        },
        fmt="json",
    )


def official_update_setup(env: Env) -> Target:
    return Target(
        api(env.user("clerk")),
        f"/api/v1/officials/{env.world.official_same.pk}/",
        lambda: {
            "full_name": "Trần Văn Đức",
            "honorific": "ông",
            "personnel_number": "LC-0002",
            "date_of_birth": "1970-01-01",
        },
        method="patch",
        fmt="json",
    )


def fact_api_setup(env: Env) -> Target:
    return Target(
        api(env.user("clerk")),
        f"/api/v1/officials/{env.world.official_same.pk}/circumstances/",
        lambda: {
            "kind": "inspection",
            "started_on": today().isoformat(),
            "body": "Thanh tra tỉnh",
            "reason": "Theo quyết định thanh tra.",
        },
        fmt="json",
    )


def poll_api_setup(env: Env) -> Target:
    return Target(
        api(env.user("clerk")),
        f"/api/v1/officials/{env.world.official_same.pk}/circumstances/",
        lambda: {
            "kind": "confidence_poll",
            "started_on": today().isoformat(),
            "regime": "QD96",
            "body": "Hội nghị Ban Chấp hành",
            "ballots_issued": 50,
            "ballots_valid": 48,
            "high": 20,
            "confidence": 20,
            "low": 8,
        },
        fmt="json",
    )


def collective_api_setup(env: Env) -> Target:
    return Target(
        api(env.user("clerk")),
        "/api/v1/collectives/",
        lambda: {
            "unit": env.world.province.pk,
            "body_type": "leadership",
            "name": "Tập thể lãnh đạo Văn phòng",
            "valid_from": "2021-06-01",
        },
        fmt="json",
    )


def member_api_setup(env: Env) -> Target:
    body = env.world.province.collectives.get()
    return Target(
        api(env.user("clerk")),
        f"/api/v1/collectives/{body.pk}/members/",
        lambda: {
            "full_name": "Sùng A Lử",
            "valid_from": today().isoformat(),
            "role_in_body": "Ủy viên",
            "decision": "QĐ 12",
        },
        fmt="json",
    )


def member_end_api_setup(env: Env) -> Target:
    body = env.world.province.collectives.get()
    member = body.members.order_by("pk").first()
    assert member is not None
    return Target(
        api(env.user("clerk")),
        f"/api/v1/collectives/{body.pk}/members/{member.pk}/end/",
        lambda: {"valid_to": today().isoformat(), "reason": "Nghỉ hưu.", "end_decision": "QĐ 13"},
        fmt="json",
    )


def quorum_api_setup(env: Env) -> Target:
    body = env.world.province.collectives.get()
    return Target(
        api(env.user("clerk")),
        f"/api/v1/collectives/{body.pk}/quorum/",
        lambda: {"quorum_numerator": 2, "quorum_denominator": 3, "reason": "Quy chế làm việc"},
        fmt="json",
    )


def import_api_setup(env: Env) -> Target:
    content = (IMPORT_HEADER + import_row()).encode()
    return Target(
        api(env.user("clerk")),
        "/api/v1/imports/cases/",
        lambda: {"file": SimpleUploadedFile("lich-su.csv", content, content_type="text/csv")},
    )


UNIT_FIELDS = (
    Field("code", "code", max_length=40),
    text("name", 200),
    Field("kind", "choice"),
    Field("level", "choice"),
    Field("valid_from", "date", required=False),
    Field("valid_to", "date", required=False),
    text("place", 80, required=False),
    text("symbol", 20, required=False),
    text("superior_name", 200, required=False),
    text("collective_name", 120, required=False),
    text("head_title", 80, required=False),
    Field("members_count", "int", required=False),
)

API: list[Surface] = [
    Surface(
        "api_official_fact",
        fact_api_setup,
        (
            Field("kind", "choice"),
            Field("started_on", "date"),
            Field("ended_on", "date", required=False),
            text("body", 300),
            text("reason", 4000, required=False),
            Field("corrects", "id", required=False),
        ),
        web=False,
        urls=("api:official-circumstances",),
        success=(201,),
    ),
    Surface(
        "api_official_poll",
        poll_api_setup,
        (
            Field("regime", "choice"),
            Field("ballots_issued", "int"),
            Field("ballots_valid", "int"),
            Field("high", "int"),
            Field("confidence", "int"),
            Field("low", "int"),
        ),
        web=False,
        urls=("api:official-circumstances",),
        success=(201,),
    ),
    Surface(
        "api_collective_create",
        collective_api_setup,
        (
            Field("unit", "id"),
            Field("body_type", "choice"),
            text("name", 200),
            text("term", 40, required=False),
            Field("valid_from", "date"),
            Field("valid_to", "date", required=False),
            text("reason", 4000, required=False),
        ),
        web=False,
        urls=("api:collectives",),
        success=(201,),
    ),
    Surface(
        "api_collective_member",
        member_api_setup,
        (
            text("full_name", 120),
            Field("valid_from", "date"),
            Field("valid_to", "date", required=False),
            text("role_in_body", 80, required=False),
            text("decision", 120, required=False),
            text("reason", 4000, required=False),
            Field("official", "id", required=False),
        ),
        web=False,
        urls=("api:collective-members",),
        success=(201,),
    ),
    Surface(
        "api_collective_member_end",
        member_end_api_setup,
        (
            Field("valid_to", "date"),
            text("reason", 4000),
            text("end_decision", 120, required=False),
        ),
        web=False,
        urls=("api:collective-member-end",),
        success=(200,),
    ),
    Surface(
        "api_collective_quorum",
        quorum_api_setup,
        (
            Field("quorum_numerator", "int"),
            Field("quorum_denominator", "int"),
            text("reason", 4000),
        ),
        web=False,
        urls=("api:collective-quorum",),
        success=(200,),
    ),
    Surface(
        "api_token",
        token_setup,
        (text("username", 150), text("password", 4096), Field("otp", "code", False, 12)),
        web=False,
        names_field=False,
        also_written=frozenset({"cases.SignInThrottle"}),
        urls=("api:token",),
        success=(200,),
    ),
    Surface(
        "api_case_file_json",
        case_json_setup,
        (
            Field("form", "choice"),
            Field("official", "id"),
            Field("position", "id"),
            Field("grounds", "list"),
            text("statement", 20_000, required=False),
            Field("filed_on", "date", required=False),
            Field("application", "file", required=False),
        ),
        web=False,
        urls=("api:cases",),
        success=(201,),
    ),
    Surface(
        "api_case_file_multipart",
        case_multipart_setup,
        (
            Field("form", "choice"),
            Field("official", "id"),
            Field("position", "id"),
            Field("grounds", "list"),
            text("statement", 20_000, required=False),
            Field("application", "file", required=False),
        ),
        web=False,
        urls=("api:cases",),
        success=(201,),
    ),
    Surface(
        "api_documents",
        documents_setup,
        (
            Field("kind", "choice"),
            Field("file", "file"),
            text("reason", 4000, required=False),
            Field("step", "int", required=False),
        ),
        web=False,
        urls=("api:case-documents",),
        success=(201,),
    ),
    Surface(
        "api_org_unit_create",
        unit_create_setup,
        (*UNIT_FIELDS, Field("parent", "id", required=False)),
        web=False,
        urls=("api:org-units",),
        success=(201,),
    ),
    Surface(
        "api_org_unit_update",
        unit_update_setup,
        (
            *(Field(f.name, f.kind, False, f.max_length) for f in UNIT_FIELDS),
            Field("successor", "id", required=False),
        ),
        web=False,
        urls=("api:org-unit",),
        methods=("patch",),
        success=(200,),
    ),
    Surface(
        "api_position_create",
        position_create_setup,
        (
            text("title", 200),
            Field("unit", "id"),
            Field("appointing_unit", "id"),
            Field("is_leadership", "bool", False),
        ),
        web=False,
        urls=("api:positions",),
        success=(201,),
    ),
    Surface(
        "api_position_update",
        position_update_setup,
        (
            text("title", 200, False),
            Field("unit", "id", False),
            Field("appointing_unit", "id", False),
            Field("is_leadership", "bool", False),
        ),
        web=False,
        urls=("api:position",),
        methods=("patch",),
        success=(200,),
    ),
    Surface(
        "api_official_create",
        official_create_setup,
        (
            text("full_name", 120),
            Field("honorific", "choice"),
            Field("personnel_number", "code", max_length=40),
            Field("date_of_birth", "date", required=False),
            Field("position", "id"),
            Field("term_start", "date"),
            Field("term_end", "date", required=False),
        ),
        web=False,
        urls=("api:officials",),
        success=(201,),
    ),
    Surface(
        "api_official_update",
        official_update_setup,
        (
            text("full_name", 120, False),
            Field("honorific", "choice", False),
            Field("personnel_number", "code", False, 40),
            Field("date_of_birth", "date", required=False),
        ),
        web=False,
        urls=("api:official",),
        methods=("patch",),
        success=(200,),
    ),
    Surface(
        "api_import",
        import_api_setup,
        (Field("file", "csv"),),
        web=False,
        urls=("api:import-cases",),
        success=(201,),
    ),
    Surface(
        "api_verify",
        verify_api_setup,
        (Field("file", "file"), Field("code", "code", required=False, max_length=32)),
        web=False,
        urls=("api:document-verify",),
        success=(200,),
    ),
    *(api_action(name) for name in workflow.SPECS),
]

SURFACES = {s.name: s for s in [*WEB, *API]}
CASES = [(s.name, f.name) for s in SURFACES.values() for f in s.fields]


# --------------------------------------------------------------------------- checks


def snapshot(skip: frozenset[str] = frozenset()) -> dict[str, int]:
    """Rows of every model (sessions aside: signing in is not under test) and stored files."""
    counts = {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models()
        if not model._meta.proxy and model._meta.label not in {"sessions.Session", *skip}
    }
    from django.conf import settings

    location = Path(settings.STORAGES["default"]["OPTIONS"]["location"])
    counts["stored files"] = (
        sum(1 for p in location.rglob("*") if p.is_file()) if location.exists() else 0
    )
    return counts


def send(target: Target, values: dict[str, Any]) -> Any:
    body = {f"{target.prefix}{k}": v for k, v in values.items()}
    if target.fmt == "query":
        return target.client.get(target.url, body)
    if isinstance(target.client, APIClient):
        return getattr(target.client, target.method)(target.url, body, format=target.fmt)
    return getattr(target.client, target.method)(target.url, body)


def spoil(target: Target, name: str, value: Any) -> dict[str, Any]:
    body = target.body()
    if value is MISSING:
        body.pop(name, None)
    else:
        body[name] = value() if callable(value) else value
    return body


VIETNAMESE = re.compile(r"[À-ỹĐđ]")


def check_web(surface: Surface, target: Target, f: Field, label: str, response: Any) -> list[str]:
    problems = []
    if response.status_code not in (200, 400, 409):
        return [f"answered {response.status_code}, not a form error"]
    page = response.content.decode()
    if target.form_of:
        form = target.form_of(response)
    else:
        form = response.context.get("form") or response.context.get("filter_form")
    if form is None or not form.errors:
        return [f"answered {response.status_code} without a form error"]
    named = f.name in form.errors
    if surface.names_field and not named:
        problems.append(f"the error does not name {f.name!r}: {dict(form.errors)}")
    messages = form.errors.get(f.name) or form.errors.get("__all__") or []
    english = [m for m in messages if not VIETNAMESE.search(str(m))]
    if english:
        problems.append(f"untranslated message: {english}")
    if SCRIPT in page:
        problems.append("the script payload is echoed unescaped")
    return problems


def check_api(surface: Surface, f: Field, label: str, response: Any) -> list[str]:
    if response.status_code not in (400, 409):
        return [f"answered {response.status_code}: {response.content[:300]!r}"]
    if not response["Content-Type"].startswith("application/json"):
        return [f"answered {response['Content-Type']}"]
    if response.get("X-Content-Type-Options") != "nosniff":
        return ["the JSON error is not marked nosniff"]
    body = response.json()
    if not {"code", "detail", "fields"} <= set(body):
        return [f"not the API's error format: {body}"]
    problems = []
    keys = set(body["fields"])
    named = any(k == f.name or k.startswith(f"{f.name}.") for k in keys)
    if surface.names_field and not named:
        problems.append(f"the error does not name {f.name!r}: {body}")
    messages = [body["detail"]] + [
        m for k, v in body["fields"].items() if k == f.name or k.startswith(f"{f.name}.") for m in v
    ]
    english = [m for m in messages if not VIETNAMESE.search(m)]
    if english:
        problems.append(f"untranslated message: {english}")
    return problems


@pytest.fixture
def env(world: DemoWorld, file_case: Callable[..., Case]) -> Env:
    return Env(world, file_case)


@pytest.mark.parametrize(("surface_name", "field_name"), CASES, ids=[f"{s}-{f}" for s, f in CASES])
def test_bad_values_are_refused_and_write_nothing(
    env: Env, surface_name: str, field_name: str
) -> None:
    surface = SURFACES[surface_name]
    f = next(x for x in surface.fields if x.name == field_name)
    target = surface.setup(env)
    failures = []
    for label, value in bad_values(f, json=target.fmt == "json"):
        before = snapshot(surface.also_written)
        if value is SCRIPT_ECHO:
            other = next(
                (
                    x
                    for x in surface.fields
                    if x.kind in ("int", "id", "date", "choice") and x is not f
                ),
                None,
            )
            if other is None:  # pragma: no cover - every surface with free text has one
                continue
            body = spoil(target, other.name, "abc")
            body[f.name] = SCRIPT
            response = send(target, body)
            check_field = other
        else:
            response = send(target, spoil(target, f.name, value))
            check_field = f
        if surface.web:
            problems = check_web(surface, target, check_field, label, response)
        else:
            problems = check_api(surface, check_field, label, response)
        after = snapshot(surface.also_written)
        changed = {k: (before[k], after[k]) for k in before if before[k] != after[k]}
        if changed:
            problems.append(f"rows written: {changed}")
        failures += [f"{surface_name} · {f.name} · {label}: {p}" for p in problems]
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("surface_name", list(SURFACES))
def test_baseline_is_accepted(env: Env, surface_name: str) -> None:
    """The valid request each sweep spoils is accepted, so each refusal is the spoilt field's."""
    surface = SURFACES[surface_name]
    target = surface.setup(env)
    response = send(target, target.body())
    expected = surface.success or (201,)
    assert response.status_code in expected, response.content[:2000]


@pytest.mark.parametrize(
    ("column", "label", "value"),
    IMPORT_ROW_VALUES,
    ids=[f"{c}-{lbl}" for c, lbl, _v in IMPORT_ROW_VALUES],
)
def test_bad_values_in_an_imported_row_are_refused_and_write_nothing(
    env: Env, column: str, label: str, value: str
) -> None:
    content = (
        IMPORT_HEADER + import_row() + import_row(**{"case_ref": "LS-2015-0002", column: value})
    ).encode()
    client = api(env.user("clerk"))
    before = snapshot()
    response = client.post(
        "/api/v1/imports/cases/",
        {"file": SimpleUploadedFile("x.csv", content, content_type="text/csv")},
        format="multipart",
    )
    assert response.status_code == 400, response.content[:500]
    body = response.json()
    assert body["code"] == "import_rejected"
    lines = {e["line"] for e in body["errors"]}
    assert 3 in lines, body
    assert all(VIETNAMESE.search(e["message"]) for e in body["errors"]), body["errors"]
    assert_unchanged(before)


def assert_unchanged(before: dict[str, int], skip: frozenset[str] = frozenset()) -> None:
    after = snapshot(skip)
    assert after == before, {
        k: (before.get(k), after.get(k)) for k in after if before.get(k) != after[k]
    }


# --------------------------------------------------------------------------- filters


@dataclass(frozen=True)
class Query:
    """A page or endpoint that reads filters from its query string (it writes nothing,
    but a bad filter must still be a clear error, not a 500 or a silently wider result)."""

    name: str
    url: Callable[[Env], str]
    username: str
    fields: tuple[Field, ...]
    web: bool = True
    base: Callable[[Env], dict[str, Any]] = lambda env: {}  # noqa: E731


def _report_fields(*, national: bool = False) -> tuple[Field, ...]:
    names = ("from", "to") if national is None else ("from", "to")
    fields = (
        Field("form", "choice", False),
        Field("regulation", "choice", False),
        Field("unit", "id", False),
        Field("levels", "choice", False),
        *(Field(n, "date", False) for n in names),
    )
    return fields if national else (*fields, Field("date", "choice", False))


def _web_report_fields(*, national: bool = False) -> tuple[Field, ...]:
    fields = (
        Field("form", "choice", False),
        Field("regulation", "choice", False),
        Field("unit", "id", False),
        Field("levels", "choice", False),
        Field("date_from", "date", False),
        Field("date_to", "date", False),
    )
    return fields if national else (*fields, Field("date", "choice", False))


def _as_of_url(env: Env) -> str:
    return reverse("case_as_of", args=[at_exchange(env).pk])


QUERIES: list[Query] = [
    Query(
        "web_inbox",
        lambda env: reverse("inbox"),
        "clerk",
        (
            Field("form", "choice", False),
            Field("regime", "choice", False),
            Field("status", "choice", False),
            Field("unit", "id", False),
        ),
    ),
    Query(
        "web_case_search",
        lambda env: reverse("case_search"),
        "clerk",
        (
            Field("q", "code", False, 100),
            Field("form", "choice", False),
            Field("regime", "choice", False),
            Field("status", "choice", False),
            Field("level", "choice", False),
            Field("unit", "id", False),
            Field("ground", "code", False, 32),
            Field("filed_from", "date", False),
            Field("filed_to", "date", False),
        ),
    ),
    Query("web_reports", lambda env: reverse("reports"), "clerk", _web_report_fields()),
    Query(
        "web_national_table",
        lambda env: reverse("national_table"),
        "clerk",
        _web_report_fields(national=True),
    ),
    Query("web_case_as_of", _as_of_url, "auditor", (Field("on", "date"),)),
    Query(
        "api_cases",
        lambda env: "/api/v1/cases/",
        "clerk",
        (
            Field("form", "choice", False),
            Field("regime", "code", False, 8),
            Field("status", "choice", False),
            Field("level", "choice", False),
            Field("unit", "id", False),
            Field("overdue", "bool", False),
            Field("ground", "code", False, 32),
            Field("filed_from", "date", False),
            Field("filed_to", "date", False),
        ),
        web=False,
    ),
    Query(
        "api_due_date",
        lambda env: "/api/v1/calendar/due-date/",
        "clerk",
        (Field("start", "date"), Field("working_days", "int")),
        web=False,
        base=lambda env: {"start": "2026-01-05", "working_days": 5},
    ),
    Query(
        "api_statistics",
        lambda env: "/api/v1/reports/statistics/",
        "clerk",
        (*_report_fields(), Field("by", "code", False, 200)),
        web=False,
    ),
    Query(
        "api_decision_times",
        lambda env: "/api/v1/reports/decision-times/",
        "clerk",
        _report_fields(),
        web=False,
    ),
    Query(
        "api_late_steps",
        lambda env: "/api/v1/reports/late-steps/",
        "clerk",
        _report_fields(),
        web=False,
    ),
    Query(
        "api_national_table",
        lambda env: "/api/v1/reports/national-table/",
        "clerk",
        (
            Field("form", "choice"),
            Field("regulation", "choice"),
            *_report_fields(national=True)[2:],
        ),
        web=False,
        base=lambda env: {"form": "resignation", "regulation": "R377"},
    ),
]


@pytest.mark.parametrize("query", QUERIES, ids=[q.name for q in QUERIES])
def test_bad_filters_are_refused(env: Env, query: Query) -> None:
    client = web_client(query.username) if query.web else api(env.user(query.username))
    url = query.url(env)
    base = query.base(env)
    surface = Surface(query.name, lambda env: Target(client, url, dict), query.fields)
    assert client.get(url, base).status_code == 200
    failures = []
    for f in query.fields:
        for label, value in bad_values(f, json=False):
            if value is MISSING or (value == "" and not f.required):
                continue
            if f.kind in ("code", "text") and label in ("script", "script_echoed", "blank"):
                continue  # free search text: any text is a valid search
            params = {**base}
            if value is MISSING:
                params.pop(f.name, None)
            else:
                params[f.name] = value
            before = snapshot()
            response = client.get(url, params)
            if query.web:
                problems = check_web(surface, Target(client, url, dict), f, label, response)
            else:
                problems = check_api(surface, f, label, response)
            if snapshot() != before:
                problems.append("rows written")
            failures += [f"{query.name} · {f.name} · {label}: {p}" for p in problems]
    assert not failures, "\n".join(failures)


# --------------------------------------------------------------------------- coverage


def _patterns(resolver: Any, prefix: str = "", namespace: str = "") -> list[tuple[str, Any]]:

    out = []
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace or namespace
            out += _patterns(entry, prefix + str(entry.pattern), ns)
        elif entry.name:
            out.append((f"{namespace}:{entry.name}" if namespace else entry.name, entry))
    return out


def test_every_post_view_is_in_the_table(world: DemoWorld) -> None:
    """Each web view that does not answer a POST with 405 has a row in ``WEB`` (or takes
    no input but its address). Django's admin and the language switch are Django's own."""

    covered = {name for s in WEB for name in s.urls} | WEB_NO_INPUT
    client = web_client("admin")
    accepting = []
    for name, pattern in _patterns(get_resolver()):
        if name.startswith(("admin:", "api:")) or name in ("set_language", "healthz"):
            continue
        kwargs = {
            key: (1 if conv.__class__.__name__ in ("IntConverter", "IdConverter") else "csv")
            for key, conv in pattern.pattern.converters.items()
        }
        response = client.post(reverse(name, kwargs=kwargs))
        if response.status_code != 405:
            accepting.append(name)
    assert accepting, "the probe found no view at all"
    assert set(accepting) <= covered, sorted(set(accepting) - covered)


def test_every_api_write_is_in_the_table() -> None:

    covered = {(name, method) for s in API for name in s.urls for method in s.methods}
    writes = set()
    for name, pattern in _patterns(get_resolver()):
        cls = getattr(pattern.callback, "cls", None)
        if not name.startswith("api:") or cls is None:
            continue
        writes |= {(name, m) for m in ("post", "put", "patch", "delete") if hasattr(cls, m)}
    assert writes and writes <= covered, sorted(writes - covered)


def test_ids_in_addresses_beyond_range_answer_404(world: DemoWorld) -> None:
    client, token_client = web_client("clerk"), api(world.users["clerk"])
    before = snapshot()
    for huge in (HUGE, JUST_BEYOND, "999999999999999999"):
        for url in (f"/cases/{huge}/", f"/reports/import/{huge}/", f"/cases/{huge}/history/"):
            assert client.get(url).status_code in (403, 404), url
        for url in (f"/cases/{huge}/act/reject/", f"/notifications/{huge}/read/"):
            assert client.post(url, {"reject-reason": "x"}).status_code == 404, url
        for url in (f"/api/v1/cases/{huge}/", f"/api/v1/documents/{huge}/download/"):
            assert token_client.get(url).status_code == 404, url
        response = token_client.post(
            f"/api/v1/cases/{huge}/actions/", {"action": "reject", "reason": "x"}, format="json"
        )
        assert response.status_code == 404
    assert_unchanged(before)


def test_the_language_switch_ignores_bad_values(world: DemoWorld) -> None:
    """Django's ``set_language``: an unknown language or a foreign ``next`` is ignored."""
    client = Client()
    before = snapshot()
    for language in ("", SCRIPT, "x" * 10_000, "xx"):
        response = client.post(
            "/i18n/setlang/", {"language": language, "next": "https://evil.example/"}
        )
        assert response.status_code == 302 and response["Location"] == "/"
        assert "django_language" not in response.cookies
    assert_unchanged(before)


def test_script_text_that_is_accepted_is_shown_escaped(env: Env) -> None:
    case = env.file_case("dismissal", statement=SCRIPT)
    page = web_client("clerk").get(reverse("case_detail", args=[case.pk])).content.decode()
    assert SCRIPT not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    response = api(env.user("clerk")).get(f"/api/v1/cases/{case.pk}/")
    assert response.json()["statement"] == SCRIPT
    assert response["Content-Type"].startswith("application/json")
    assert response["X-Content-Type-Options"] == "nosniff"
