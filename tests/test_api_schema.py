"""The OpenAPI schema as integrators use it: linted, language-independent, with required
fields, named enums, explicit security, typed downloads and one request per action."""

from __future__ import annotations

import ast
import importlib
import inspect
import json
import pkgutil
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from rest_framework import exceptions as drf_exceptions

import cases
from cases.api.enums import ERROR_CODES, REGIMES
from cases.api.exceptions import CODES
from cases.core.errors import CaseError
from cases.documents.issuing import issue_decision_document
from cases.models import Decision
from cases.ops.demo import DemoWorld
from cases.workflow import engine as workflow
from tests.api_helpers import API, as_user, error
from tests.conftest import pass_exchange
from tests.contract_support import (
    CONTRACT,
    NODE_BIN,
    ROOT,
    node_tools,  # noqa: F401 - the fixture, used by name
    run,
    served_schema,
    served_schema_bytes,
)

REF = "#/components/schemas/"


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"][len(REF) :]]
    return node


def _operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
    ]


# --- linters ---------------------------------------------------------------------------


def test_the_served_schema_passes_openapi_spec_validator() -> None:
    schema = served_schema()
    assert schema["openapi"] == "3.1.0"
    validate(schema)  # raises on the first error


@pytest.mark.usefixtures("node_tools")
def test_the_served_schema_passes_redocly_lint(tmp_path: Path) -> None:
    target = tmp_path / "schema.json"
    target.write_bytes(served_schema_bytes())
    output = run(
        [
            str(NODE_BIN / "redocly"),
            "lint",
            str(target),
            "--config",
            str(CONTRACT / "redocly.yaml"),
            "--format=stylish",
        ],
        cwd=CONTRACT,
    )
    assert "error" not in output.lower().replace("0 errors", ""), output


def test_the_schema_version_is_a_plain_semantic_version() -> None:
    assert re.fullmatch(r"\d+\.\d+\.\d+", served_schema()["info"]["version"])


def test_the_contract_doc_states_the_served_schema_version() -> None:
    doc = (ROOT / "docs" / "api-contract.md").read_text(encoding="utf-8")
    stated = re.search(r"version \*\*(\d+\.\d+\.\d+)\*\*", doc)
    assert stated and stated.group(1) == served_schema()["info"]["version"]


# --- one contract whatever the language ------------------------------------------------


def test_the_schema_is_byte_identical_in_vietnamese_and_english() -> None:
    vietnamese, english = served_schema_bytes("vi"), served_schema_bytes("en")
    assert vietnamese == english
    # And it is the English text, not the Vietnamese.
    assert "Cases in the caller's scope" in english.decode()
    assert served_schema_bytes("fr") == english


# --- required and nullable -------------------------------------------------------------


def test_always_sent_response_fields_are_required() -> None:
    schema = served_schema()
    components = schema["components"]["schemas"]
    assert {"status", "decision", "current_step", "steps"} <= set(
        components["CaseDetail"]["required"]
    )
    assert "version" in components["Document"]["required"]
    assert "at" in components["CaseFiledEvent"]["required"]
    assert "due_on" in components["Step"]["required"]
    assert {"next", "previous", "results"} <= set(
        components["PaginatedCaseSummaryList"]["required"]
    )
    # The documented exceptions only.
    assert "errors" not in components["Error"]["required"]
    assert "ground" not in components["StatisticsRow"]["required"]


def test_nullable_references_are_typed_as_one_of_a_reference_and_null() -> None:
    components = served_schema()["components"]["schemas"]
    for component, field in [
        ("CaseDetail", "decision"),
        ("CaseDetail", "current_step"),
        ("CaseDetail", "process"),
        ("CaseDetail", "filed_by"),
    ]:
        prop = components[component]["properties"][field]
        assert {"type": "null"} in prop["oneOf"], (component, field, prop)
        assert any("$ref" in option for option in prop["oneOf"])
    text = json.dumps(components)
    assert '"nullable"' not in text  # the 3.0 keyword, meaningless in 3.1


# --- downloads, headers, error statuses ------------------------------------------------


def test_the_download_is_typed_with_its_real_types_and_headers() -> None:
    schema = served_schema()
    responses = schema["paths"]["/api/v1/documents/{id}/download/"]["get"]["responses"]
    content = responses["200"]["content"]
    assert set(content) == {
        "application/octet-stream",
        "application/pdf",
        "image/png",
        "image/jpeg",
    }
    assert all(
        media["schema"] == {"type": "string", "format": "binary"} for media in content.values()
    )
    assert "Content-Disposition" in responses["200"]["headers"]
    assert "WWW-Authenticate" in responses["401"]["headers"]
    assert "405" in responses and "406" not in responses  # the file is not JSON


def test_error_statuses_are_declared_where_they_can_happen() -> None:
    schema = served_schema()
    for path, method, operation in _operations(schema):
        responses = operation["responses"]
        assert "405" in responses, (path, method)
        if "requestBody" in operation:
            assert "415" in responses, (path, method)
        if operation["security"]:
            assert "401" in responses, (path, method)
        for code, response in responses.items():
            if code[0] in "45":
                assert response["content"]["application/json"]["schema"] == {"$ref": REF + "Error"}
    token = schema["paths"]["/api/v1/auth/token/"]["post"]["responses"]
    assert "Retry-After" in token["429"]["headers"]


# --- security --------------------------------------------------------------------------


def test_security_is_explicit_with_the_token_prefix_and_the_csrf_header() -> None:
    schema = served_schema()
    assert schema["security"] == [{"tokenAuth": []}, {"cookieAuth": []}]
    schemes = schema["components"]["securitySchemes"]
    assert "`Token`" in schemes["tokenAuth"]["description"]
    assert schemes["tokenAuth"]["name"] == "Authorization"
    assert schemes["csrfToken"] == {**schemes["csrfToken"], "in": "header", "name": "X-CSRFToken"}
    assert schema["paths"]["/api/v1/auth/token/"]["post"]["security"] == []
    post = schema["paths"]["/api/v1/cases/"]["post"]["security"]
    assert {"cookieAuth": [], "csrfToken": []} in post
    get = schema["paths"]["/api/v1/cases/"]["get"]["security"]
    assert get == [{"tokenAuth": []}, {"cookieAuth": []}]


# --- one request component per action --------------------------------------------------


def test_each_action_has_its_own_request_component_with_action_as_discriminator() -> None:
    schema = served_schema()
    body = schema["paths"]["/api/v1/cases/{id}/actions/"]["post"]["requestBody"]["content"]
    as_json = _resolve(schema, body["application/json"]["schema"])
    multipart = _resolve(schema, body["multipart/form-data"]["schema"])
    assert as_json["discriminator"]["propertyName"] == "action"
    needs_file = {workflow.ATTACH_DOCUMENT}
    assert set(as_json["discriminator"]["mapping"]) == set(workflow.SPECS) - needs_file
    for name, ref in as_json["discriminator"]["mapping"].items():
        component = _resolve(schema, {"$ref": ref})
        assert component["properties"]["action"] == {"type": "string", "const": name}
        assert "file" not in component["properties"]  # JSON cannot carry a file
        spec = workflow.SPECS[name]
        assert ("reason" in component["required"]) is spec.requires_reason
    # The form: one object for the actions that carry a file, nothing nullable (a form
    # cannot say null, and generated clients would send "None").
    assert "discriminator" not in multipart
    assert _resolve(schema, multipart["properties"]["action"])["enum"] == [
        workflow.ATTACH_DOCUMENT,
        workflow.RECORD_TALK,
    ]
    assert {"file", "kind", "held_on", "summary", "step"} <= set(multipart["properties"])
    assert multipart["required"] == ["action"]
    assert "null" not in json.dumps(multipart)
    # Every form, whichever operation takes it.
    for path, method, operation in _operations(schema):
        form = operation.get("requestBody", {}).get("content", {}).get("multipart/form-data")
        if form:
            assert '"null"' not in json.dumps(_resolve(schema, form["schema"])), (path, method)
    vote = _resolve(schema, {"$ref": as_json["discriminator"]["mapping"]["record_vote"]})
    assert {"present", "votes_for", "votes_against"} <= set(vote["required"])
    # MDL-COL-2: the member count comes from the roster; a client need not send it.
    assert "members" not in vote["required"]


@pytest.mark.django_db
def test_an_optional_multipart_field_sent_empty_is_ignored_not_refused(
    world: DemoWorld, file_case: Any
) -> None:
    case = file_case("dismissal")
    clerk = as_user(world, "clerk", lang="en")
    response = clerk.post(
        f"{API}/cases/{case.pk}/actions/",
        {
            "action": "record_vote",
            "step": "",
            "reason": "",
            "members": "9",
            "present": "9",
            "votes_for": "7",
            "votes_against": "2",
        },
        format="multipart",
    )
    assert response.status_code == 200, response.content
    stale = clerk.post(
        f"{API}/cases/{case.pk}/actions/",
        {"action": "record_vote", "step": "None", "members": "9"},
        format="multipart",
    )
    assert error(stale, 400, "invalid")["fields"]["step"]


# --- enums -----------------------------------------------------------------------------


def test_parameters_point_at_named_enums_and_no_enum_is_inlined_in_a_parameter() -> None:
    schema = served_schema()
    components = schema["components"]
    assert "AcceptLanguage" in components["parameters"]
    for path, method, operation in _operations(schema):
        for parameter in operation["parameters"]:
            if "$ref" in parameter:
                assert parameter["$ref"] == "#/components/parameters/AcceptLanguage"
                continue
            assert "enum" not in parameter["schema"], (path, method, parameter["name"])
    cases_list = {p.get("name"): p for p in schema["paths"]["/api/v1/cases/"]["get"]["parameters"]}
    assert cases_list["regime"]["schema"] == {"$ref": REF + "RegimeEnum"}
    assert cases_list["form"]["schema"] == {"$ref": REF + "FormEnum"}
    statistics = {
        p.get("name"): p
        for p in schema["paths"]["/api/v1/reports/statistics/"]["get"]["parameters"]
    }
    assert statistics["regulation"]["schema"] == {"$ref": REF + "RegimeEnum"}
    assert components["schemas"]["RegimeEnum"]["enum"] == REGIMES


def test_closed_sets_in_responses_are_named_enums() -> None:
    components = served_schema()["components"]["schemas"]
    # Events: one component per EventActionEnum value, discriminated by action.
    event = components["Event"]
    assert event["discriminator"]["propertyName"] == "action"
    assert set(event["discriminator"]["mapping"]) == set(components["EventActionEnum"]["enum"])
    code = components["Error"]["properties"]["code"]
    assert code.get("allOf", [code])[0] == {"$ref": REF + "ErrorCodeEnum"}
    outcome = components["Step"]["properties"]["outcome"]["oneOf"]
    assert {"$ref": REF + "StepOutcomeEnum"} in outcome
    row = components["StatisticsRow"]["properties"]
    assert {"$ref": REF + "LevelEnum"} in row["level"]["oneOf"]
    assert components["CompleteStepEvent"]["properties"]["data"]["type"] == "object"
    choice = components["ActionField"]["properties"]["choices"]["items"]
    assert _resolve({"components": {"schemas": components}}, choice)["required"] == [
        "label",
        "value",
    ]


def test_the_regimes_enum_holds_the_catalogs_regulations() -> None:
    catalog = ROOT / "fixtures" / "catalog"
    listed = json.loads((catalog / "catalog.json").read_text())["regulations"]
    codes = sorted(json.loads((catalog / name).read_text())["code"] for name in listed)
    assert sorted(REGIMES) == codes
    assert {"R377", "ND170", "LGL25"} <= set(REGIMES)  # Party and State regimes alike


@pytest.mark.django_db
def test_an_unknown_regime_or_status_in_the_case_list_is_400(world: DemoWorld) -> None:
    clerk = as_user(world, "clerk", lang="en")
    body = error(clerk.get(f"{API}/cases/?regime=BAD"), 400, "invalid")
    assert "regime" in body["fields"]
    assert "“BAD” is not one of the choices." in body["fields"]["regime"]
    error(clerk.get(f"{API}/cases/?status=BAD"), 400, "invalid")
    assert clerk.get(f"{API}/cases/?regime=R377").status_code == 200


def _leading_string(node: ast.expr | None) -> str | None:
    """``"code"`` or ``("code", detail, ...)``: the code a table entry or a fallback holds."""
    if isinstance(node, ast.Tuple) and node.elts:
        node = node.elts[0]
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _codes_of_a_code_table(node: ast.AST) -> set[str]:
    """The codes of a ``CODES = {status or exception: code or (code, detail)}`` table, and
    the fallback of ``CODES.get(key, fallback)`` (gunicorn_conf's "error")."""
    if isinstance(node, (ast.Assign, ast.AnnAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        if "CODES" in {getattr(t, "id", "") for t in targets} and isinstance(node.value, ast.Dict):
            return {code for value in node.value.values if (code := _leading_string(value))}
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "get"
        and getattr(node.func.value, "id", "") == "CODES"
        and len(node.args) == 2
        and (code := _leading_string(node.args[1]))
    ):
        return {code}
    return set()


def _error_codes_in_the_code() -> set[str]:
    """Every error code the server can send, read from the code itself."""
    found: set[str] = set()
    # 1. Domain errors: every CaseError subclass, in every module of the project.
    for module in pkgutil.walk_packages(cases.__path__, "cases."):
        if ".migrations" not in module.name and not module.name.endswith("management.commands"):
            importlib.import_module(module.name)
    todo = [CaseError]
    while todo:
        klass = todo.pop()
        found.add(klass.code)
        todo.extend(klass.__subclasses__())
    # 2. REST framework's errors, through the API's handler (its code map included).
    for _name, klass in inspect.getmembers(drf_exceptions, inspect.isclass):
        if (
            issubclass(klass, drf_exceptions.APIException)
            and klass is not drf_exceptions.APIException
        ):
            code = CODES.get(klass, klass.default_code)
            found.add("invalid" if issubclass(klass, drf_exceptions.ValidationError) else code)
    # 3. Literal codes written into error bodies anywhere in the project's source: the app
    # and the server's own configuration (gunicorn answers some errors before Django).
    for path in sorted([*(ROOT / "cases").rglob("*.py"), *(ROOT / "cadre_exit").rglob("*.py")]):
        if "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            found |= _codes_of_a_code_table(node)
            if isinstance(node, ast.Dict):
                for key, value in zip(node.keys, node.values, strict=True):
                    if (
                        isinstance(key, ast.Constant)
                        and key.value == "code"
                        and isinstance(value, ast.Constant)
                        and isinstance(value.value, str)
                        and {"detail", "fields"}
                        <= {k.value for k in node.keys if isinstance(k, ast.Constant)}
                    ):
                        found.add(value.value)
            elif isinstance(node, ast.Call) and getattr(node.func, "id", "") == "error_body":
                if node.args and isinstance(node.args[0], ast.Constant):
                    found.add(node.args[0].value)
            elif (
                isinstance(node, ast.Assign)
                and path.name == "exceptions.py"
                and any(getattr(t, "id", "") == "code" for t in node.targets)
                and isinstance(node.value, ast.Constant)
            ):
                found.add(node.value.value)
    return found


def test_every_error_code_the_server_raises_is_in_the_enum() -> None:
    found = _error_codes_in_the_code()
    # The collector sees the codes it must (a broken collector would pass anything).
    assert {
        "step_moved_on",
        "invalid_credentials",
        "csrf_failed",
        "second_factor_required",
    } <= found
    assert {"throttled", "method_not_allowed", "import_rejected", "forbidden"} <= found
    # gunicorn's own answers (cadre_exit/gunicorn_conf.py), its fallback included.
    assert {"request_line_too_long", "headers_too_large", "not_implemented", "error"} <= found
    assert found - set(ERROR_CODES) == set()
    enum = served_schema()["components"]["schemas"]["ErrorCodeEnum"]["enum"]
    assert enum == ERROR_CODES


# --- TypeScript ------------------------------------------------------------------------


def _typescript_check(schema: dict[str, Any], target: Path) -> subprocess.CompletedProcess[str]:
    target.mkdir()
    (target / "schema.json").write_text(json.dumps(schema))
    shutil.copy(CONTRACT / "usage.ts", target / "usage.ts")
    run(
        [str(NODE_BIN / "openapi-typescript"), str(target / "schema.json"), "-o", "schema.d.ts"],
        cwd=target,
    )
    return subprocess.run(
        [str(NODE_BIN / "tsc"), *TSC_OPTIONS, "usage.ts"],
        cwd=target,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


TSC_OPTIONS = ["--strict", "--noEmit", "--target", "es2022", "--module", "esnext"]
TSC_OPTIONS += ["--moduleResolution", "bundler"]


@pytest.mark.contract
@pytest.mark.usefixtures("node_tools")
def test_typescript_types_of_the_schema_compile_under_strict(tmp_path: Path) -> None:
    schema = served_schema()
    done = _typescript_check(schema, tmp_path / "served")
    assert done.returncode == 0, done.stdout + done.stderr
    # The check can fail: with `due_on` no longer required, reading it is an error.
    schema["components"]["schemas"]["Step"]["required"].remove("due_on")
    broken = _typescript_check(schema, tmp_path / "broken")
    assert broken.returncode != 0 and "usage.ts" in broken.stdout, broken.stdout


# --- Event.data per action -------------------------------------------------------------


def _validator(schema: dict[str, Any], component: str) -> Draft202012Validator:
    registry = Registry().with_resource(
        "urn:cadre-exit-api", Resource.from_contents(schema, default_specification=DRAFT202012)
    )
    return Draft202012Validator(
        {"$ref": f"urn:cadre-exit-api#/components/schemas/{component}"}, registry=registry
    )


@pytest.mark.django_db
def test_events_match_the_schema_of_their_action(world: DemoWorld, file_case: Any) -> None:
    schema = served_schema()
    events = _validator(schema, "Event")
    clerk, authority = world.users["clerk"], world.users["authority"]
    case = pass_exchange(file_case("dismissal"), clerk)
    workflow.perform(
        case_id=case.pk,
        user=clerk,
        action=workflow.EXTEND_DEADLINE,
        reason="Chờ kết luận của cơ quan kiểm tra",
        data={"extend_to": case.current_step.ceiling_on.isoformat()},
    )
    workflow.perform(
        case_id=case.pk, user=authority, action=workflow.APPROVE, data={"signer_post": "Chủ tịch"}
    )
    decision = Decision.objects.get(case=case)
    issue_decision_document(decision_id=decision.pk)
    other = file_case(
        "resignation", official=world.official_self, position=world.post_superior, by="official"
    )
    workflow.perform(
        case_id=other.pk,
        user=world.users["official"],
        action=workflow.WITHDRAW,
        reason="Đồng chí rút đơn.",
    )

    seen: dict[str, dict[str, Any]] = {}
    for target in (case, other):
        response = as_user(world, "auditor").get(f"{API}/cases/{target.pk}/events/")
        assert response.status_code == 200
        for event in response.json():
            problems = [e.message for e in events.iter_errors(event)]
            assert problems == [], (event["action"], problems)
            seen[event["action"]] = event
    typed = {"case_filed", "record_talk", "record_vote", "extend_deadline", "approve"}
    assert typed | {"document_issued", "complete_step", "withdraw"} <= set(seen)
    components = schema["components"]["schemas"]
    for action in typed | {"document_issued"}:
        name = "".join(part.capitalize() for part in action.split("_"))
        data = components[f"{name}Event"]["properties"]["data"]
        assert data == {"$ref": f"{REF}{name}Data"}, action
    # A wrong shape is refused: the check is not vacuous.
    vote = dict(seen["record_vote"], data={**seen["record_vote"]["data"], "for": "seven"})
    assert list(events.iter_errors(vote))
