"""gunicorn settings: ``gunicorn -c python:cadre_exit.gunicorn_conf cadre_exit.wsgi``.

Every error gunicorn answers itself, before Django sees the request (a request line or
headers over the limits, a malformed request), is written in the API's error format
``{"code", "detail", "fields"}`` instead of gunicorn's HTML page.
"""

from __future__ import annotations

import json
import os
import socket

from gunicorn import util

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "3"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
# The limits stay gunicorn's (a request line of 4094 bytes, 100 headers of 8190 bytes);
# only the answer changes.
limit_request_line = int(os.environ.get("GUNICORN_LIMIT_REQUEST_LINE", "4094"))
# X-Forwarded-* are believed only from the proxy in front (TRUSTED_PROXIES for Django).
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")

CODES = {
    400: ("bad_request", "Yêu cầu không hợp lệ. / The request is malformed."),
    403: ("forbidden", "Yêu cầu bị từ chối. / The request is forbidden."),
    414: (
        "request_line_too_long",
        "Địa chỉ yêu cầu quá dài. / The request line is too long.",
    ),
    417: ("expectation_failed", "Không đáp ứng được Expect. / Expectation failed."),
    431: (
        "headers_too_large",
        "Phần đầu yêu cầu quá lớn. / The request headers are too large.",
    ),
    500: ("server_error", "Lỗi máy chủ; hãy thử lại. / Server error; try again."),
    501: ("not_implemented", "Không hỗ trợ. / Not implemented."),
}


def write_json_error(sock: socket.socket, status_int: int, reason: str, mesg: str) -> None:
    """gunicorn's ``util.write_error``, answering JSON. gunicorn has not read the request's
    language yet, so the detail is in Vietnamese and English."""
    code, detail = CODES.get(status_int, ("error", reason))
    body = json.dumps({"code": code, "detail": detail, "fields": {}}, ensure_ascii=False)
    payload = body.encode("utf-8")
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\n"
        "Connection: close\r\n"
        "Content-Type: application/json\r\n"
        "Cache-Control: no-store\r\n"
        f"Content-Length: {len(payload)}\r\n\r\n"
    )
    util.write_nonblock(sock, head.encode("latin-1") + payload)


util.write_error = write_json_error
