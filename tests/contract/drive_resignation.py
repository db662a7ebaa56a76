"""Drive a resignation from filing to the downloaded decision and the auditor's check,
through the Python client generated from the served schema only: run by
tests/test_api_generated_client.py in a temporary venv that holds the generated package,
its own dependencies and pyotp (the integrator's authenticator), nothing of the project.

Input: one JSON argument, ``{"base_url", "password", "official", "position",
"otp_secrets": {username: secret}, "pdf": path, "today": "YYYY-MM-DD"}``. Output: one JSON line on stdout
with what the run saw, for the test to check.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import sys
import time
from io import BytesIO
from typing import Any

import pyotp  # the integrator's own authenticator, not part of the client
from cadre_exit_api_client import AuthenticatedClient, Client
from cadre_exit_api_client.api.audit import cases_events_list, cases_events_verify_retrieve
from cadre_exit_api_client.api.auth import auth_token_create
from cadre_exit_api_client.api.cases import cases_actions_create, cases_create, cases_retrieve
from cadre_exit_api_client.api.documents import cases_documents_list, documents_download_retrieve
from cadre_exit_api_client.models import (
    ActionMultipartRequest,
    ApproveActionRequest,
    CaseDetail,
    CaseFileRequest,
    CompleteImplementationActionRequest,
    CompleteStepActionRequest,
    DocumentIssuedEvent,
    DocumentKindEnum,
    Error,
    ErrorCodeEnum,
    FileActionEnum,
    FormEnum,
    RecordVoteActionRequest,
    RecordVoteEvent,
    TokenRequestRequest,
)
from cadre_exit_api_client.types import File

config: dict[str, Any] = json.loads(sys.argv[1])
base_url: str = config["base_url"]
seen: dict[str, Any] = {"calls": 0, "steps": [], "refusals": []}


def call(module: Any, **kwargs: Any) -> Any:
    """One call through the generated module; its parsed body (a model or an Error)."""
    seen["calls"] += 1
    response = module.sync_detailed(**kwargs)
    return response.status_code, response.parsed, response.headers


def sign_in(username: str) -> AuthenticatedClient:
    anonymous = Client(base_url=base_url)
    secret = config["otp_secrets"].get(username)
    otp = ""
    if secret:
        # A code never used before: wait for the next 30-second window if needed.
        while True:
            otp = pyotp.TOTP(secret).now()
            if otp not in seen.setdefault("otps", []):
                break
            time.sleep(1)
        seen["otps"].append(otp)
    body = TokenRequestRequest(username=username, password=config["password"], otp=otp)
    status, parsed, _ = call(auth_token_create, client=anonymous, body=body)
    assert status == 200, (status, parsed)
    # The scheme's prefix is "Token" (securitySchemes.tokenAuth), not the default Bearer.
    return AuthenticatedClient(base_url=base_url, token=parsed.token, prefix="Token")


def act(client: AuthenticatedClient, case_id: int, body: Any) -> CaseDetail:
    status, parsed, _ = call(cases_actions_create, id=case_id, client=client, body=body)
    assert status == 200 and isinstance(parsed, CaseDetail), (status, parsed)
    return parsed


def pdf_file(name: str) -> File:
    with open(config["pdf"], "rb") as handle:
        return File(payload=BytesIO(handle.read()), file_name=name, mime_type="application/pdf")


official = sign_in("official")
clerk_commune = sign_in("clerk_commune")
clerk = sign_in("clerk")
authority = sign_in("authority")
auditor = sign_in("auditor")

# A refusal parses into the documented Error, with a code from the enum.
status, refused, _ = call(
    cases_create,
    client=official,
    body=CaseFileRequest(
        form=FormEnum.RESIGNATION,
        official=config["official"],
        position=config["position"],
        grounds=["R377-D-4"],
    ),
)
assert status == 400 and isinstance(refused, Error), (status, refused)
assert isinstance(refused.code, ErrorCodeEnum)
seen["refusals"].append({"status": status, "code": refused.code.value})

# 1. The official files their resignation (JSON: no file).
status, case, _ = call(
    cases_create,
    client=official,
    body=CaseFileRequest(
        form=FormEnum.RESIGNATION,
        official=config["official"],
        position=config["position"],
        grounds=["R377-R-1"],
        statement="Xin thôi giữ chức vụ vì lý do sức khỏe.",
    ),
)
assert status == 201 and isinstance(case, CaseDetail), (status, case)
seen["filed"] = {"status": case.status.value, "form": case.form.value, "steps": len(case.steps)}
case_id = case.id

# 2. The talk (multipart, with the signed minutes), the vote and the submission (JSON).
step = case.current_step
assert step is not None
seen["steps"].append(step.code)
today = datetime.date.fromisoformat(config["today"])
act(
    clerk_commune,
    case_id,
    ActionMultipartRequest(
        action=FileActionEnum.RECORD_TALK,
        held_on=today,
        summary="Đã trao đổi với đồng chí.",
        step=step.id,
        file=pdf_file("bien-ban.pdf"),
    ),
)
act(
    clerk_commune,
    case_id,
    RecordVoteActionRequest(
        action="record_vote", present=5, votes_for=4, votes_against=1, step=step.id
    ),
)
case = act(clerk_commune, case_id, CompleteStepActionRequest(action="complete_step", step=step.id))

# 3. The decision (the province's People's Committee: no collective vote), then the
# implementation.
step = case.current_step
assert step is not None
seen["steps"].append(step.code)
case = act(
    authority,
    case_id,
    ApproveActionRequest(action="approve", step=step.id, signer_post="Chủ tịch"),
)
assert case.decision is not None
seen["decision"] = {
    "approved": case.decision.approved,
    "symbol": case.decision.symbol,
    "number": case.decision.number,
}
step = case.current_step
assert step is not None
seen["steps"].append(step.code)
case = act(clerk, case_id, CompleteImplementationActionRequest(action="complete_implementation"))
seen["closed"] = {"status": case.status.value, "outcome": str(case.outcome)}

# 4. The decision document, downloaded.
status, documents, _ = call(cases_documents_list, id=case_id, client=official)
assert status == 200, (status, documents)
decision = [d for d in documents if d.kind == DocumentKindEnum.DECISION]
assert len(decision) == 1, [d.kind for d in documents]
status, download, headers = call(documents_download_retrieve, id=decision[0].id, client=official)
assert status == 200 and isinstance(download, File), (status, download)
content = download.payload.read()
seen["download"] = {
    "bytes": len(content),
    "pdf": content.startswith(b"%PDF"),
    "size_matches": len(content) == decision[0].size,
    "content_type": headers.get("content-type"),
    "disposition": headers.get("content-disposition"),
}

# 5. The auditor reads the trail and verifies the chain.
status, events, _ = call(cases_events_list, id=case_id, client=auditor)
assert status == 200, (status, events)
# Each event is typed by its action (Event is a oneOf discriminated by ``action``).
seen["events"] = [event.action for event in events]
vote = [event for event in events if isinstance(event, RecordVoteEvent)]
issued = [event for event in events if isinstance(event, DocumentIssuedEvent)]
assert len(vote) == 1 and len(issued) == 1, [type(event).__name__ for event in events]
seen["vote"] = {"passed": vote[0].data.passed, "members": vote[0].data.members}
seen["download"]["sha256_matches"] = hashlib.sha256(content).hexdigest() == issued[0].data.sha256
status, check, _ = call(cases_events_verify_retrieve, id=case_id, client=auditor)
assert status == 200, (status, check)
seen["verify"] = {"valid": check.valid, "events": check.events, "broken": check.first_broken_event}

# A case outside the caller's scope (or missing) parses into the Error too.
status, missing, _ = call(cases_retrieve, id=case_id + 10**6, client=auditor)
assert status == 404 and isinstance(missing, Error), (status, missing)
seen["refusals"].append({"status": status, "code": missing.code.value})

print(json.dumps(seen, ensure_ascii=False))
