"""JSON errors for every API failure, answered by a real gunicorn (issue 16, point 6)."""

from __future__ import annotations

import json

import pytest

from tests.server_support import gunicorn, production_env, raw_request

# PostgreSQL on a port nothing listens on: the database is down.
DEAD_DATABASE = "postgres://cadre:x@127.0.0.1:1/cadre_exit"


@pytest.fixture(scope="module")
def server_without_database(tmp_path_factory):
    log = tmp_path_factory.mktemp("gunicorn") / "gunicorn.log"
    env = production_env(DATABASE_URL=DEAD_DATABASE, REDIS_URL="")
    with gunicorn(env, log) as port:
        yield port


def _error(body: bytes) -> dict[str, object]:
    data = json.loads(body)
    assert set(data) == {"code", "detail", "fields"} and data["detail"]
    return data


def test_the_api_answers_503_json_with_retry_after_when_the_database_is_down(
    server_without_database,
) -> None:
    for headers in (
        {"Authorization": "Token 0123456789abcdef", "Accept-Language": "en"},
        {"Cookie": "sessionid=abcdefghijklmnopqrstuvwxyz012345", "Accept-Language": "en"},
    ):
        status, head, body = raw_request(
            server_without_database, b"GET /api/v1/cases/ HTTP/1.1", headers
        )
        assert status == 503, (head, body)
        assert head["content-type"] == "application/json" and head["retry-after"] == "5"
        assert head.get("cache-control") == "no-store", (head, body)
        assert _error(body)["code"] == "database_unavailable"


def test_a_newline_in_an_api_path_answers_the_json_404(server_without_database) -> None:
    status, head, body = raw_request(
        server_without_database, b"GET /api/v1/cases/%0A1/ HTTP/1.1", {"Accept-Language": "en"}
    )
    assert status == 404 and head["content-type"] == "application/json"
    assert _error(body)["code"] == "not_found"
    status, _head, body = raw_request(server_without_database, b"GET /api/v2%0A HTTP/1.1")
    assert status == 404 and _error(body)["code"] == "not_found"


def test_an_over_long_request_line_answers_json(server_without_database) -> None:
    status, head, body = raw_request(
        server_without_database, b"GET /api/v1/cases/?q=" + b"a" * 9000 + b" HTTP/1.1"
    )
    assert status == 414 and head["content-type"] == "application/json"
    assert _error(body)["code"] == "request_line_too_long"
    too_many_headers = {f"X-H{i}": "v" for i in range(120)}
    status, head, body = raw_request(
        server_without_database, b"GET /api/v1/ HTTP/1.1", too_many_headers
    )
    assert status in (400, 431) and head["content-type"] == "application/json"
    _error(body)


def test_api_responses_are_not_stored_by_caches(client, world, file_case) -> None:
    from cases.models import Document
    from tests.conftest import pass_exchange

    case = pass_exchange(file_case("dismissal"), world.users["clerk"])
    client.force_login(world.users["clerk"])
    document = Document.objects.filter(case=case).first()
    assert document is not None
    for url in (
        "/api/v1/cases/",
        f"/api/v1/cases/{case.pk}/",
        f"/api/v1/documents/{document.pk}/download/",
        "/api/v1/no-such-thing/",
    ):
        response = client.get(url)
        assert response["Cache-Control"] == "no-store", url
