"""The OpenAPI contract: shared error responses, the language header, and the hook that
finishes the generated schema so clients can be generated from it (docs/api-contract.md).

drf-spectacular builds the schema from the views and serializers; ``finish_schema``
(a POSTPROCESSING_HOOK in settings.SPECTACULAR_SETTINGS) then applies the rules that
hold for every operation, so an endpoint added later follows them without annotations:

- every property of a response component is ``required`` (they are always sent),
  except those listed in ``OPTIONAL_RESPONSE_PROPERTIES``;
- every closed set is a named enum component; inline enums (query parameters) are
  replaced by a ``$ref`` to the component with the same values, or to a new one;
- the error responses that can happen on any operation are declared (401, 405, 406,
  415, 429 with the ``Error`` body) with their headers (``WWW-Authenticate``,
  ``Retry-After``);
- security is explicit: the root ``security``, ``security: []`` where no sign-in is
  needed, the CSRF header with the session for unsafe methods;
- the schema is generated in English whatever the request's language.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from django.utils import translation
from django.utils.functional import Promise
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse

from cases.api.enums import EVENT_ACTIONS
from cases.api.serializers import ErrorSerializer

ERROR_DESCRIPTIONS = {
    400: "Invalid input: `fields` names each field at fault (code `invalid`, or a domain code).",
    401: "Not signed in, or the token is not valid (`WWW-Authenticate: Token`).",
    403: "The caller's role or scope does not allow this; with a session, also a missing CSRF token or a second factor not yet confirmed (authorities and auditors).",
    404: "No such object, or it is outside the caller's scope (the two are indistinguishable).",
    405: "The method is not allowed on this path (code `method_not_allowed`).",
    406: "The response is only available as JSON (code `not_acceptable`).",
    409: "Not possible now: the step has moved on (`step_moved_on`), the action is not allowed at this point (`transition_not_allowed`), or a regulation forbids it (`rule_violation`).",
    415: "Unsupported content type; send JSON or multipart form data (code `unsupported_media_type`).",
    429: "Too many requests; `Retry-After` says when to try again (code `throttled`).",
}


def errors(*statuses: int) -> dict[int, OpenApiResponse]:
    """The documented error responses of an operation, all in the one error format."""
    return {
        status: OpenApiResponse(ErrorSerializer, description=ERROR_DESCRIPTIONS[status])
        for status in statuses
    }


LANGUAGE_HEADER = OpenApiParameter(
    name="Accept-Language",
    type=str,
    location=OpenApiParameter.HEADER,
    required=False,
    enum=["vi", "en"],
    description="Language of messages and catalog texts: `vi` (default) or `en`.",
)


class ApiSchema(AutoSchema):
    """Every operation answers in the language of ``Accept-Language``."""

    def get_override_parameters(self) -> list[Any]:
        return [*super().get_override_parameters(), LANGUAGE_HEADER]


class EnglishSchemaGenerator(SchemaGenerator):
    """The schema in English whatever the request's language: one contract for all.

    Translated labels are data in the responses (``label``, ``name``, ``text``), not part
    of the schema, so a client generated from any request is the same.
    """

    def get_schema(self, request: Any = None, public: bool = False) -> dict[str, Any]:
        with translation.override("en"):
            return _plain(super().get_schema(request=request, public=public))


# --- the rules applied to the whole schema ---------------------------------------------

REF = "#/components/schemas/"

# Response properties that are not always sent (all others are required).
OPTIONAL_RESPONSE_PROPERTIES: dict[str, set[str]] = {
    # Only with code ``import_rejected``.
    "Error": {"errors"},
    "ImportProblem": {"column"},
    # Only the dimensions named in ``by``.
    "StatisticsRow": {
        "ground",
        "level",
        "year",
        "form",
        "regulation",
        "outcome",
        "status",
        "track",
        "track_regulation",
    },
}

# Names for the enums of query parameters that match no model choice set.
PARAMETER_ENUM_NAMES = {
    ("date", ("decided", "filed")): "ReportDateEnum",
    ("levels", ("current", "event")): "ReportLevelsEnum",
    ("Accept-Language", ("en", "vi")): "LanguageEnum",
}

SECURITY_SCHEMES = {
    "tokenAuth": {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": "An API token from `POST /api/v1/auth/token/`, sent with the prefix "
        "`Token` (not `Bearer`): `Authorization: Token <token>`. Generated clients: set the "
        "prefix to `Token`.",
        "x-token-prefix": "Token",
    },
    "cookieAuth": {
        "type": "apiKey",
        "in": "cookie",
        "name": "sessionid",
        "description": "The web sign-in's session cookie. Unsafe methods (POST, PATCH) also "
        "need the `csrfToken` header.",
    },
    "csrfToken": {
        "type": "apiKey",
        "in": "header",
        "name": "X-CSRFToken",
        "description": "With the session cookie only: the value of the `csrftoken` cookie, "
        "on every POST and PATCH.",
    },
}
SAFE_METHODS = {"get", "head", "options"}

ERROR_HEADERS = {
    "401": {
        "WWW-Authenticate": {
            "description": "`Token`: the scheme to authenticate with.",
            "schema": {"type": "string"},
        }
    },
    "429": {
        "Retry-After": {
            "description": "Seconds to wait before trying again.",
            "schema": {"type": "integer", "minimum": 0},
        }
    },
}


DOWNLOAD_HEADERS = {
    "Content-Disposition": {
        "description": '`attachment; filename="…"`: the document\'s file name.',
        "required": True,
        "schema": {"type": "string"},
    }
}


def _plain(value: Any) -> Any:
    """Lazy translations evaluated (in the active language), so the output is plain data."""
    if isinstance(value, Promise):
        return str(value)
    if isinstance(value, dict):
        return {_plain(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _nullable_as_31(node: Any) -> None:
    """``nullable: true`` (OpenAPI 3.0, still written by REST framework's paginators) as
    3.1 says it: ``null`` among the types; and their made-up examples dropped."""
    if isinstance(node, dict):
        if node.pop("nullable", False):
            kind = node.get("type")
            if isinstance(kind, str):
                node["type"] = [kind, "null"]
            elif isinstance(kind, list) and "null" not in kind:
                kind.append("null")
        if "api.example.org" in str(node.get("example", "")):
            node.pop("example")
        for value in node.values():
            _nullable_as_31(value)
    elif isinstance(node, list):
        for value in node:
            _nullable_as_31(value)


def _operations(result: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, item in result.get("paths", {}).items()
        for method, operation in item.items()
        if method in {"get", "put", "post", "patch", "delete", "head", "options"}
    ]


def _refs(node: Any) -> set[str]:
    out: set[str] = set()
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(REF):
            out.add(ref[len(REF) :])
        for value in node.values():
            out |= _refs(value)
    elif isinstance(node, list):
        for value in node:
            out |= _refs(value)
    return out


def _closure(names: set[str], schemas: dict[str, Any]) -> set[str]:
    seen: set[str] = set()
    todo = list(names)
    while todo:
        name = todo.pop()
        if name in seen or name not in schemas:
            continue
        seen.add(name)
        todo.extend(_refs(schemas[name]))
    return seen


def _require_response_properties(result: dict[str, Any]) -> None:
    schemas = result["components"]["schemas"]
    response_roots: set[str] = set()
    request_roots: set[str] = set()
    for _path, _method, operation in _operations(result):
        response_roots |= _refs(operation.get("responses", {}))
        request_roots |= _refs(operation.get("requestBody", {}))
    responses = _closure(response_roots, schemas)
    requests = _closure(request_roots, schemas)
    for name in sorted(responses - requests):
        schema = schemas[name]
        if schema.get("type") != "object" or "properties" not in schema:
            continue
        optional = OPTIONAL_RESPONSE_PROPERTIES.get(name, set())
        schema["required"] = sorted(set(schema["properties"]) - optional)
        # Read-only makes no sense in a response-only component (and some generators
        # drop read-only properties from the model).
        for prop in schema["properties"].values():
            if isinstance(prop, dict):
                prop.pop("readOnly", None)


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in re.split(r"[^0-9A-Za-z]+", name) if part)


def _name_enums(result: dict[str, Any]) -> None:
    """Inline enums of parameters become ``$ref``s to named components."""
    schemas = result["components"]["schemas"]
    by_values = {
        tuple(sorted(map(str, schema["enum"]))): name
        for name, schema in schemas.items()
        if "enum" in schema and "" not in schema["enum"]
    }
    for _path, _method, operation in _operations(result):
        for parameter in operation.get("parameters", []):
            schema = parameter.get("schema", {})
            if "enum" not in schema:
                continue
            values = tuple(sorted(map(str, schema["enum"])))
            name = by_values.get(values) or PARAMETER_ENUM_NAMES.get(
                (str(parameter["name"]), values),  # type: ignore[arg-type]  # any length of values
                f"{_camel(parameter['name'])}Enum",
            )
            if name not in schemas:
                schemas[name] = {
                    "type": schema.get("type", "string"),
                    "enum": list(schema["enum"]),
                }
                by_values[values] = name
            description = schema.get("description")
            parameter["schema"] = {"$ref": REF + name}
            if description and "description" not in parameter:
                parameter["description"] = description


def _without_null(prop: dict[str, Any]) -> dict[str, Any]:
    prop = copy.deepcopy(prop)
    if isinstance(prop.get("type"), list):
        kinds = [kind for kind in prop["type"] if kind != "null"]
        prop["type"] = kinds[0] if len(kinds) == 1 else kinds
    if "oneOf" in prop:
        options = [option for option in prop["oneOf"] if option != {"type": "null"}]
        prop.pop("oneOf")
        prop.update(options[0] if len(options) == 1 else {"oneOf": options})
    return prop


def _split_bodies(result: dict[str, Any]) -> None:
    """A body accepted as JSON and as multipart gets two components: JSON without the
    file fields, the form with them and without null (a form field is sent or left out;
    generated clients would send a null as the text "None")."""
    schemas = result["components"]["schemas"]
    for _path, _method, operation in _operations(result):
        content = operation.get("requestBody", {}).get("content", {})
        as_json = content.get("application/json", {}).get("schema", {}).get("$ref", "")
        as_form = content.get("multipart/form-data", {}).get("schema", {}).get("$ref", "")
        if not as_json or as_json != as_form:
            continue
        name = as_json[len(REF) :]
        source = schemas[name]
        if "properties" not in source:
            continue
        base = name.removesuffix("Request")
        form = copy.deepcopy(source)
        form["properties"] = {k: _without_null(v) for k, v in form["properties"].items()}
        files = {
            k
            for k, v in source["properties"].items()
            if isinstance(v, dict) and v.get("format") == "binary"
        }
        source["properties"] = {k: v for k, v in source["properties"].items() if k not in files}
        if "required" in source:
            source["required"] = [k for k in source["required"] if k not in files]
        schemas[f"{base}MultipartRequest"] = form
        content["multipart/form-data"]["schema"] = {"$ref": f"{REF}{base}MultipartRequest"}
    # Forms that only multipart accepts: nothing nullable either.
    as_json_names: set[str] = set()
    as_form_names: set[str] = set()
    for _path, _method, operation in _operations(result):
        content = operation.get("requestBody", {}).get("content", {})
        as_json_names |= _refs(content.get("application/json", {}))
        as_form_names |= _refs(content.get("multipart/form-data", {}))
    for name in sorted(as_form_names - as_json_names):
        form = schemas[name]
        if "properties" in form:
            form["properties"] = {k: _without_null(v) for k, v in form["properties"].items()}


def _share_language_parameter(result: dict[str, Any]) -> None:
    parameters = result["components"].setdefault("parameters", {})
    for _path, _method, operation in _operations(result):
        for index, parameter in enumerate(operation.get("parameters", [])):
            if parameter.get("in") == "header" and parameter.get("name") == "Accept-Language":
                parameters["AcceptLanguage"] = parameter
                operation["parameters"][index] = {"$ref": "#/components/parameters/AcceptLanguage"}


def _error_response(status: int) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": ERROR_DESCRIPTIONS[status],
        "content": {"application/json": {"schema": {"$ref": REF + "Error"}}},
    }
    return response


def _declare_errors(result: dict[str, Any]) -> None:
    for _path, _method, operation in _operations(result):
        responses = operation.setdefault("responses", {})
        json_success = any(
            "application/json" in (response.get("content") or {})
            for code, response in responses.items()
            if code.startswith("2")
        )
        # Any other method on the path answers 405; OpenAPI can only say so here.
        responses.setdefault("405", _error_response(405))
        if json_success:
            # JSONRenderer only: an Accept header that excludes JSON answers 406.
            responses.setdefault("406", _error_response(406))
        if "requestBody" in operation:
            responses.setdefault("415", _error_response(415))
        if operation.get("security") not in (None, [], [{}]):
            responses.setdefault("401", _error_response(401))
        for code, response in responses.items():
            content = response.get("content") or {}
            if code.startswith("2") and any(
                (media.get("schema") or {}).get("format") == "binary" for media in content.values()
            ):
                response.setdefault("headers", {}).update(DOWNLOAD_HEADERS)
        for code, headers in ERROR_HEADERS.items():
            if code in responses:
                responses[code].setdefault("headers", {}).update(headers)
        operation["responses"] = dict(sorted(responses.items()))


def _security(result: dict[str, Any]) -> None:
    result["components"]["securitySchemes"] = SECURITY_SCHEMES
    result["security"] = [{"tokenAuth": []}, {"cookieAuth": []}]
    for _path, method, operation in _operations(result):
        security = operation.get("security")
        if security in (None, [{}], []):
            operation["security"] = []
        elif method in SAFE_METHODS:
            operation["security"] = [{"tokenAuth": []}, {"cookieAuth": []}]
        else:
            operation["security"] = [{"tokenAuth": []}, {"cookieAuth": [], "csrfToken": []}]


def _name_event_actions(result: dict[str, Any]) -> None:
    """``Event`` is a ``oneOf`` whose branches each hold one ``action`` (a ``const``, so a
    validator picks exactly one); the whole set is named too, for clients to switch on."""
    schemas = result["components"]["schemas"]
    if "Event" in schemas:
        schemas["EventActionEnum"] = {
            "type": "string",
            "enum": list(EVENT_ACTIONS),
            "description": "`Event.action`: the discriminator of `Event`.",
        }


def finish_schema(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    """drf-spectacular POSTPROCESSING_HOOK: the rules of the module docstring."""
    result = _plain(result)
    _nullable_as_31(result)
    result["servers"] = [{"url": "/", "description": "This server (paths start with /api/v1/)."}]
    _name_enums(result)
    _share_language_parameter(result)
    _split_bodies(result)
    _declare_errors(result)
    _security(result)
    _require_response_properties(result)
    _name_event_actions(result)
    result["components"]["schemas"] = dict(sorted(result["components"]["schemas"].items()))
    return result
