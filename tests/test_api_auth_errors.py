"""API authentication, the one error format in both languages, the schema and the docs."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pyotp
import pytest
from django.contrib.staticfiles import finders
from django.core.cache import cache
from django.utils import timezone
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

from cases.models import Case
from cases.ops.demo import DemoWorld
from cases.security import totp
from tests.api_helpers import (  # noqa: F401 - api_translations is an autouse fixture
    API,
    act,
    api_client,
    api_translations,
    as_user,
    current_step,
    error,
)

PROTECTED = [
    ("get", "/catalog/regulations/"),
    ("get", "/org-units/"),
    ("post", "/org-units/"),
    ("get", "/org-units/1/"),
    ("patch", "/org-units/1/"),
    ("get", "/officials/"),
    ("post", "/officials/"),
    ("get", "/officials/1/"),
    ("patch", "/officials/1/"),
    ("get", "/positions/"),
    ("post", "/positions/"),
    ("get", "/positions/1/"),
    ("patch", "/positions/1/"),
    ("get", "/cases/"),
    ("post", "/cases/"),
    ("get", "/cases/1/"),
    ("post", "/cases/1/actions/"),
    ("get", "/cases/1/events/"),
    ("get", "/cases/1/events/verify/"),
    ("get", "/cases/1/documents/"),
    ("post", "/cases/1/documents/"),
    ("get", "/documents/1/download/"),
    ("get", "/inbox/"),
    ("get", "/calendar/due-date/?start=2026-01-02&working_days=3"),
]


@pytest.fixture(autouse=True)
def _fresh_throttle_cache() -> None:
    cache.clear()


# --- tokens and authentication --------------------------------------------------------


def test_token_is_issued_for_valid_credentials_and_authenticates(world: DemoWorld) -> None:
    response = APIClient().post(
        f"{API}/auth/token/", {"username": "clerk", "password": "cadre-demo"}, format="json"
    )
    assert response.status_code == 200
    token = response.json()["token"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get(f"{API}/cases/").status_code == 200
    # The same token comes back on a second request.
    again = APIClient().post(
        f"{API}/auth/token/", {"username": "clerk", "password": "cadre-demo"}, format="json"
    )
    assert again.json()["token"] == token


def test_token_refused_for_a_wrong_password_in_the_error_format(world: DemoWorld) -> None:
    response = APIClient(HTTP_ACCEPT_LANGUAGE="en").post(
        f"{API}/auth/token/", {"username": "clerk", "password": "wrong"}, format="json"
    )
    body = error(response, 400, "invalid_credentials")
    assert body["detail"] == "Wrong username or password, or the account is inactive."


def test_token_refused_for_an_inactive_account(world: DemoWorld) -> None:
    user = world.users["clerk"]
    user.is_active = False
    user.save(update_fields=["is_active"])
    response = APIClient().post(
        f"{API}/auth/token/", {"username": "clerk", "password": "cadre-demo"}, format="json"
    )
    error(response, 400, "invalid_credentials")


def test_token_request_without_fields_lists_them_in_vietnamese(world: DemoWorld) -> None:
    response = APIClient().post(f"{API}/auth/token/", {}, format="json")
    body = error(response, 400, "invalid")
    assert body["detail"] == "Một số trường không hợp lệ; hãy sửa lại rồi gửi yêu cầu lần nữa."
    assert body["fields"] == {
        "username": ["Trường này là bắt buộc."],
        "password": ["Trường này là bắt buộc."],
    }


def test_token_endpoint_is_throttled_with_429_and_retry_after(
    world: DemoWorld, settings: Any
) -> None:
    settings.API_TOKEN_RATE = "3/minute"
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    for _ in range(3):
        client.post(f"{API}/auth/token/", {"username": "clerk", "password": "wrong"}, format="json")
    response = client.post(
        f"{API}/auth/token/", {"username": "clerk", "password": "cadre-demo"}, format="json"
    )
    body = error(response, 429, "throttled")
    assert int(response["Retry-After"]) > 0
    assert body["detail"].startswith("Too many requests; try again in ")


def test_failed_token_requests_lock_the_account_like_the_web_sign_in(world: DemoWorld) -> None:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    for _ in range(5):
        error(
            client.post(
                f"{API}/auth/token/", {"username": "clerk", "password": "wrong"}, format="json"
            ),
            400,
        )
    body = error(
        client.post(
            f"{API}/auth/token/", {"username": "clerk", "password": "cadre-demo"}, format="json"
        ),
        429,
        "locked_out",
    )
    assert body["detail"].startswith("Too many failed sign-ins; try again after ")
    # Another user is not locked out by the clerk's failures.
    assert (
        client.post(
            f"{API}/auth/token/", {"username": "auditor", "password": "cadre-demo"}, format="json"
        ).status_code
        == 200
    )


def test_roles_with_a_second_factor_need_their_code_for_a_token(
    world: DemoWorld, settings: Any
) -> None:
    settings.REQUIRE_TOTP = True
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    credentials = {"username": "authority", "password": "cadre-demo"}
    no_device = error(
        client.post(f"{API}/auth/token/", credentials, format="json"), 403, "forbidden"
    )
    assert "authenticator" in no_device["detail"]
    device = totp.device_for(world.users["authority"])
    device.confirmed_at = timezone.now()
    device.save(update_fields=["confirmed_at"])
    missing = error(client.post(f"{API}/auth/token/", credentials, format="json"), 400, "invalid")
    assert missing["fields"] == {"otp": ["Enter the 6-digit code from your authenticator."]}
    wrong = error(
        client.post(f"{API}/auth/token/", {**credentials, "otp": "000000"}, format="json"),
        400,
        "invalid",
    )
    assert list(wrong["fields"]) == ["otp"]
    good = client.post(
        f"{API}/auth/token/", {**credentials, "otp": pyotp.TOTP(device.secret).now()}, format="json"
    )
    assert good.status_code == 200 and good.json()["token"]
    # A clerk's role needs no second factor.
    clerk = client.post(
        f"{API}/auth/token/", {"username": "clerk", "password": "cadre-demo"}, format="json"
    )
    assert clerk.status_code == 200


def test_a_session_without_the_second_factor_gets_403_in_the_api_format(
    world: DemoWorld, settings: Any
) -> None:
    settings.REQUIRE_TOTP = True
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(world.users["auditor"])
    body = error(client.get(f"{API}/cases/"), 403, "second_factor_required")
    assert body["detail"]


@pytest.mark.parametrize(("method", "path"), PROTECTED)
def test_every_endpoint_answers_401_without_credentials(
    world: DemoWorld, method: str, path: str
) -> None:
    response = getattr(APIClient(), method)(f"{API}{path}")
    body = error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == "Token"
    assert body["detail"].startswith("Hãy đăng nhập trước")


def test_an_unknown_token_answers_401_in_english(world: DemoWorld) -> None:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef0123456789abcdef01234567")
    body = error(client.get(f"{API}/cases/"), 401, "authentication_failed")
    assert (
        body["detail"]
        == "The token or the credentials are not valid, or the account is inactive; get a new token."
    )


def test_session_authentication_works_and_unsafe_requests_need_csrf(world: DemoWorld) -> None:
    client = APIClient(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(world.users["clerk"])
    assert client.get(f"{API}/cases/").status_code == 200
    response = client.post(f"{API}/cases/", {"form": "dismissal"}, format="json")
    body = error(response, 403, "csrf_failed")
    assert "X-CSRFToken" in body["detail"]


# --- the error format for REST framework's own errors ----------------------------------


def test_unknown_address_under_the_api_answers_404_json(world: DemoWorld) -> None:
    client = as_user(world, "clerk")
    body = error(client.get(f"{API}/no-such-thing/"), 404, "not_found")
    assert body["detail"] == "Không tìm thấy, hoặc nằm ngoài phạm vi của bạn."
    # Not even a POST without a slash or CSRF token escapes the format.
    error(APIClient().post(f"{API}/cases"), 404, "not_found")


def test_method_not_allowed_is_405_in_both_languages(world: DemoWorld) -> None:
    vi = error(as_user(world, "clerk").delete(f"{API}/cases/"), 405, "method_not_allowed")
    en = error(
        as_user(world, "clerk", lang="en").delete(f"{API}/cases/"), 405, "method_not_allowed"
    )
    assert vi["detail"] == "Phương thức DELETE không được phép ở địa chỉ này."
    assert en["detail"] == "The method DELETE is not allowed here."


def test_unsupported_media_type_is_415(world: DemoWorld) -> None:
    client = as_user(world, "clerk", lang="en")
    response = client.post(f"{API}/cases/", "form=dismissal", content_type="text/plain")
    body = error(response, 415, "unsupported_media_type")
    assert "text/plain" in body["detail"]


def test_malformed_json_is_a_400_parse_error(world: DemoWorld) -> None:
    client = as_user(world, "clerk")
    response = client.post(f"{API}/cases/", "{not json", content_type="application/json")
    body = error(response, 400, "parse_error")
    assert (
        body["detail"]
        == "Không đọc được nội dung yêu cầu; hãy gửi JSON hợp lệ hoặc dữ liệu biểu mẫu multipart."
    )


def test_a_json_list_instead_of_an_object_is_a_field_error(world: DemoWorld) -> None:
    response = as_user(world, "clerk", lang="en").post(f"{API}/cases/", [1, 2], format="json")
    body = error(response, 400, "invalid")
    assert body["fields"] == {
        "non_field_errors": ["Send an object (JSON or form fields), not list."]
    }


def test_domain_errors_keep_their_status_and_code(
    world: DemoWorld, file_case: Callable[..., Case]
) -> None:
    """A CaseError (here StepMovedOn) becomes its http_status and code in the format."""
    case = file_case("dismissal")
    clerk = as_user(world, "clerk", lang="en")
    stale = current_step(clerk, case)
    act(clerk, case, "reject", reason="Không đủ căn cứ.", step=stale)
    body = error(act(clerk, case, "complete_step", step=stale), 409, "step_moved_on")
    assert body["detail"].startswith("This step has already moved on")


def test_out_of_range_page_is_404_in_the_format(world: DemoWorld) -> None:
    body = error(as_user(world, "clerk", lang="en").get(f"{API}/inbox/?page=9"), 404, "not_found")
    assert body["detail"] == "That page does not exist."
    assert (
        error(as_user(world, "clerk").get(f"{API}/inbox/?page=0"), 404)["detail"]
        == "Trang này không tồn tại."
    )
    # The case list pages by cursor: a forged or truncated one is a 404 in the format too.
    for cursor in ("%%%", "WzEsMiwzXQ", "WyIyMDI2LTEzLTQ1IiwxLDBd", "WyIyMDI2LTAxLTAxIiwwLDBd"):
        forged = error(
            as_user(world, "clerk").get(f"{API}/cases/", {"cursor": cursor}), 404, "not_found"
        )
        assert forged["detail"] == "Trang này không tồn tại (liên kết không hợp lệ)."


def test_ids_too_large_for_the_database_are_404_not_500(world: DemoWorld) -> None:
    client = as_user(world, "clerk")
    error(client.get(f"{API}/cases/99999999999999999999999/"), 404, "not_found")
    error(client.get(f"{API}/cases/0/"), 404, "not_found")
    body = error(
        client.post(
            f"{API}/cases/",
            {"form": "dismissal", "official": 10**30, "position": 1, "grounds": ["R377-D-4"]},
            format="json",
        ),
        400,
        "invalid",
    )
    assert "official" in body["fields"]


# --- the contract and its documentation -----------------------------------------------


def _schema(client: APIClient) -> dict[str, Any]:
    response = client.get(f"{API}/schema/?format=json")
    assert response.status_code == 200
    return json.loads(response.content)


def test_schema_is_valid_openapi_3_with_every_endpoint(world: DemoWorld) -> None:
    schema = _schema(APIClient())
    validate_schema(schema)
    assert schema["openapi"].startswith("3.")
    paths = set(schema["paths"])
    for path in [
        "/api/v1/auth/token/",
        "/api/v1/catalog/regulations/",
        "/api/v1/org-units/",
        "/api/v1/org-units/{id}/",
        "/api/v1/officials/",
        "/api/v1/officials/{id}/",
        "/api/v1/positions/",
        "/api/v1/positions/{id}/",
        "/api/v1/cases/",
        "/api/v1/cases/{id}/",
        "/api/v1/cases/{id}/actions/",
        "/api/v1/cases/{id}/events/",
        "/api/v1/cases/{id}/events/verify/",
        "/api/v1/cases/{id}/documents/",
        "/api/v1/documents/{id}/download/",
        "/api/v1/inbox/",
        "/api/v1/calendar/due-date/",
    ]:
        assert path in paths
    assert set(schema["components"]["securitySchemes"]) == {"tokenAuth", "cookieAuth", "csrfToken"}


def test_schema_documents_the_error_format_for_every_4xx(world: DemoWorld) -> None:
    schema = _schema(APIClient())
    error_ref = {"$ref": "#/components/schemas/Error"}
    assert schema["components"]["schemas"]["Error"]["required"] == ["code", "detail", "fields"]
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            codes = {int(c) for c in responses}
            assert any(200 <= c < 300 for c in codes), (path, method)
            assert {c for c in codes if c >= 400}, (path, method)
            for code, response in responses.items():
                if int(code) >= 400:
                    body = response["content"]["application/json"]["schema"]
                    if body != error_ref:
                        # A superset of the error format (the import's row errors add `errors`).
                        component = schema["components"]["schemas"][body["$ref"].rsplit("/", 1)[-1]]
                        assert {"code", "detail", "fields"} <= set(component["required"]), (
                            path,
                            method,
                            code,
                        )
            public = path in ("/api/v1/auth/token/", "/api/v1/documents/verify/")
            if not public:
                assert {401, 403} <= codes, (path, method)
            if "{id}" in path:
                assert 404 in codes, (path, method)
            if method in ("post", "patch") and not public:
                assert {400, 403} <= codes, (path, method)


def test_schema_describes_the_action_and_filing_bodies_for_json_and_multipart(
    world: DemoWorld,
) -> None:
    schema = _schema(APIClient())
    action = schema["paths"]["/api/v1/cases/{id}/actions/"]["post"]
    assert set(action["requestBody"]["content"]) == {"application/json", "multipart/form-data"}
    assert set(action["responses"]) == {
        "200",
        "400",
        "401",
        "403",
        "404",
        "405",
        "406",
        "409",
        "415",
    }
    documents = schema["paths"]["/api/v1/cases/{id}/documents/"]["post"]
    assert set(documents["requestBody"]["content"]) == {"multipart/form-data"}
    download = schema["paths"]["/api/v1/documents/{id}/download/"]["get"]["responses"]["200"][
        "content"
    ]
    assert set(download) == {
        "application/octet-stream",
        "application/pdf",
        "image/png",
        "image/jpeg",
    }
    filters = {p.get("name") for p in schema["paths"]["/api/v1/cases/"]["get"]["parameters"]}
    assert {
        "form",
        "regime",
        "status",
        "level",
        "unit",
        "overdue",
        "ground",
        "filed_from",
        "filed_to",
        "cursor",
    } <= filters


def test_swagger_ui_is_served_from_the_sidecar_without_a_cdn(world: DemoWorld, client: Any) -> None:
    response = client.get(f"{API}/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui.css" in html
    assert "cdn" not in html.lower() and "https://" not in html
    # No inline script or style: the site's content-security policy would block them.
    assert re.findall(r"<script(?![^>]*\bsrc=)", html) == [] and "<style" not in html
    init = client.get(f"{API}/docs/?script=")
    assert init["Content-Type"].startswith("application/javascript")
    assert "/api/v1/schema/" in init.content.decode()
    # The bundle is a local static file (collected with collectstatic), not a CDN download.
    assert finders.find("drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")


def test_schema_lists_languages_for_every_operation(world: DemoWorld) -> None:
    schema = _schema(APIClient())
    for operations in schema["paths"].values():
        for operation in operations.values():
            # One shared parameter, pointing at the named enum of languages.
            assert {"$ref": "#/components/parameters/AcceptLanguage"} in operation["parameters"]
    header = schema["components"]["parameters"]["AcceptLanguage"]
    assert header["name"] == "Accept-Language" and header["in"] == "header"
    language = header["schema"]["$ref"].rsplit("/", 1)[1]
    assert sorted(schema["components"]["schemas"][language]["enum"]) == ["en", "vi"]


def test_api_client_helper_sends_the_language(world: DemoWorld) -> None:
    body = error(api_client(lang="en").get(f"{API}/cases/"), 401)
    assert body["detail"].startswith("Sign in first")
