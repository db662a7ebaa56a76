"""Cases through the API: filing, listing and filters, detail, actions, audit, documents,
inbox and the working-day calculator — with every refusal the issue names."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import F
from django.utils import timezone

from cases.models import Appointment, Case, CaseEvent, Document, Official, Position
from cases.ops.demo import DemoWorld
from cases.workflow import deadlines
from tests.api_helpers import (  # noqa: F401 - api_translations is an autouse fixture
    API,
    act,
    api_translations,
    as_user,
    current_step,
    error,
)
from tests.conftest import PDF_BYTES, PNG_BYTES


def _pdf(name: str = "minutes.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf")


def _file_resignation(world: DemoWorld, **extra: Any) -> Any:
    return as_user(world, "official", lang=extra.pop("lang", "vi")).post(
        f"{API}/cases/",
        {
            "form": "resignation",
            "official": world.official_self.pk,
            "position": world.post_superior.pk,
            "grounds": ["R377-R-1"],
            "statement": "Tôi xin từ chức vì lý do sức khỏe.",
            **extra,
        },
        format="json",
    )


# --- filing ---------------------------------------------------------------------------


def test_official_files_their_resignation_and_gets_the_case_with_steps_and_due_dates(
    world: DemoWorld,
) -> None:
    response = _file_resignation(world)
    assert response.status_code == 201
    case = response.json()
    today = timezone.localdate()
    assert case["form"] == "resignation" and case["status"] == "open"
    assert case["regulation"] == {"code": "R377", "symbol": "377-QĐ/TW"}
    assert case["scope"] == "superior" and case["process"]["scope"] == "superior"
    assert (
        case["official"]["id"] == world.official_self.pk
        and case["position"]["id"] == world.post_superior.pk
    )
    assert case["filed_on"] == today.isoformat()
    assert [g["code"] for g in case["grounds"]] == ["R377-R-1"]
    steps = case["steps"]
    assert [s["code"] for s in steps] == ["R377-S-1", "R377-S-2", "R377-S-3"]
    assert [s["status"] for s in steps] == ["active", "pending", "pending"]
    first = steps[0]
    assert first["actor_role"] == "clerk" and first["actor_unit"]["id"] == world.commune.pk
    assert first["started_on"] == today.isoformat()
    assert first["due_on"] == deadlines.add_working_days(today, 10).isoformat()
    assert first["due_rule"].startswith("TL-377-1")
    assert case["current_step"]["id"] == first["id"]
    # The official may only withdraw; the clerk's step is not theirs.
    assert [a["name"] for a in case["available_actions"]] == ["withdraw"]
    assert case["available_actions"][0]["requires_reason"] is True


def test_clerk_files_a_dismissal_with_a_past_filing_date(world: DemoWorld) -> None:
    filed_on = timezone.localdate() - datetime.timedelta(days=20)
    response = as_user(world, "clerk").post(
        f"{API}/cases/",
        {
            "form": "dismissal",
            "official": world.official_same.pk,
            "position": world.post_same.pk,
            "grounds": ["R377-D-4"],
            "statement": "Hai năm liền không hoàn thành nhiệm vụ.",
            "filed_on": filed_on.isoformat(),
        },
        format="json",
    )
    assert response.status_code == 201
    case = response.json()
    assert case["scope"] == "same_level" and [s["code"] for s in case["steps"]] == [
        "R377-S-1",
        "R377-S-2",
        "R377-S-3",
    ]
    assert case["steps"][0]["due_on"] == deadlines.add_working_days(filed_on, 10).isoformat()
    names = [a["name"] for a in case["available_actions"]]
    assert names[:4] == ["attach_document", "record_talk", "record_vote", "complete_step"]
    vote = next(a for a in case["available_actions"] if a["name"] == "record_vote")
    # MDL-COL-2: no "members" field; the roster on the meeting date gives the number.
    assert {f["name"]: (f["type"], f["required"]) for f in vote["fields"]} == {
        "collective": ("integer", False),
        "meeting_on": ("date", False),
        "present": ("integer", True),
        "votes_for": ("integer", True),
        "votes_against": ("integer", True),
        "invalid": ("integer", False),
    }
    talk = next(a for a in case["available_actions"] if a["name"] == "record_talk")
    assert {f["name"]: f["required"] for f in talk["fields"]} == {
        "held_on": True,
        "summary": True,
        "file": False,
    }


def test_filing_with_multipart_stores_the_application(world: DemoWorld) -> None:
    response = as_user(world, "official").post(
        f"{API}/cases/",
        {
            "form": "resignation",
            "official": world.official_self.pk,
            "position": world.post_superior.pk,
            "grounds": ["R377-R-1"],
            "application": _pdf("don.pdf"),
        },
        format="multipart",
    )
    assert response.status_code == 201
    documents = Document.objects.filter(case_id=response.json()["id"])
    assert [(d.kind, d.filename) for d in documents] == [("application", "don.pdf")]


def test_filing_with_bad_data_lists_the_fields_and_writes_nothing(world: DemoWorld) -> None:
    client = as_user(world, "clerk", lang="en")
    body = error(
        client.post(
            f"{API}/cases/",
            {"form": "exile", "official": "abc", "grounds": [], "filed_on": "24/11/2026"},
            format="json",
        ),
        400,
        "invalid",
    )
    assert body["fields"] == {
        "form": ["“exile” is not one of the choices."],
        "official": ["Enter a whole number."],
        "position": ["This field is required."],
        "grounds": ["Choose at least 1."],
        "filed_on": ["Enter a date as YYYY-MM-DD."],
    }
    assert not Case.objects.exists()


def test_filing_field_errors_are_in_vietnamese_by_default(world: DemoWorld) -> None:
    body = error(
        as_user(world, "clerk").post(f"{API}/cases/", {"form": "exile"}, format="json"),
        400,
        "invalid",
    )
    assert body["detail"] == "Một số trường không hợp lệ; hãy sửa lại rồi gửi yêu cầu lần nữa."
    assert body["fields"]["form"] == ["“exile” không phải là một lựa chọn hợp lệ."]


def test_filing_with_grounds_of_another_form_is_a_400_from_the_service(world: DemoWorld) -> None:
    response = _file_resignation(world, grounds=["R377-D-4"], lang="en")
    body = error(response, 400, "invalid")
    assert "R377-D-4" in body["detail"]
    assert body["fields"] == {
        "grounds": ["Choose grounds of the regulation in force and of this form."]
    }
    future = error(_file_resignation(world, filed_on="2999-01-01", lang="en"), 400, "invalid")
    assert "filed_on" in future["fields"]
    assert not Case.objects.exists()


def test_filing_for_an_official_outside_scope_reads_like_a_missing_one(world: DemoWorld) -> None:
    client = as_user(world, "clerk_other", lang="en")
    payload = {"form": "dismissal", "position": world.post_same.pk, "grounds": ["R377-D-4"]}
    hidden = error(
        client.post(
            f"{API}/cases/", {**payload, "official": world.official_same.pk}, format="json"
        ),
        400,
    )
    missing = error(
        client.post(f"{API}/cases/", {**payload, "official": 424242}, format="json"), 400
    )
    assert hidden["fields"]["official"] == [
        f"No such record in your scope (id {world.official_same.pk})."
    ]
    assert missing["fields"]["official"] == ["No such record in your scope (id 424242)."]
    assert hidden["fields"]["position"] == missing["fields"]["position"]


def test_filing_refused_by_role_is_403(world: DemoWorld) -> None:
    auditor = as_user(world, "auditor", lang="en").post(
        f"{API}/cases/",
        {
            "form": "dismissal",
            "official": world.official_same.pk,
            "position": world.post_same.pk,
            "grounds": ["R377-D-4"],
        },
        format="json",
    )
    assert "clerks" in error(auditor, 403, "forbidden")["detail"]
    self_dismissal = as_user(world, "official", lang="en").post(
        f"{API}/cases/",
        {
            "form": "dismissal",
            "official": world.official_self.pk,
            "position": world.post_superior.pk,
            "grounds": ["R377-D-4"],
        },
        format="json",
    )
    error(self_dismissal, 403, "forbidden")
    assert not Case.objects.exists()


def test_a_second_open_case_for_the_same_post_is_409(world: DemoWorld) -> None:
    assert _file_resignation(world).status_code == 201
    body = error(_file_resignation(world, lang="en"), 409, "rule_violation")
    assert "(DUP-1)" in body["detail"]
    assert Case.objects.count() == 1


# --- list and filters -----------------------------------------------------------------


def _refs(response: Any) -> set[str]:
    assert response.status_code == 200, response.content
    return {row["reference"] for row in response.json()["results"]}


def test_case_list_is_scoped_like_the_web_interface(
    world: DemoWorld, file_case: Callable[..., Case]
) -> None:
    own = file_case(
        "resignation", official=world.official_self, position=world.post_superior, by="official"
    )
    same = file_case("dismissal")
    other = file_case(
        "dismissal", official=world.official_other, position=world.post_other, by="clerk_other"
    )
    assert _refs(as_user(world, "clerk").get(f"{API}/cases/")) == {own.reference, same.reference}
    assert _refs(as_user(world, "clerk_commune").get(f"{API}/cases/")) == {own.reference}
    assert _refs(as_user(world, "official").get(f"{API}/cases/")) == {own.reference}
    assert _refs(as_user(world, "auditor").get(f"{API}/cases/")) == {own.reference, same.reference}
    assert _refs(as_user(world, "clerk_other").get(f"{API}/cases/")) == {other.reference}
    assert _refs(as_user(world, "admin").get(f"{API}/cases/")) == {
        own.reference,
        same.reference,
        other.reference,
    }


def test_case_list_filters(world: DemoWorld, file_case: Callable[..., Case]) -> None:
    today = timezone.localdate()
    late = file_case("dismissal", filed_on=today - datetime.timedelta(days=40))
    own = file_case(
        "resignation", official=world.official_self, position=world.post_superior, by="official"
    )
    old = file_case(
        "resignation",
        official=world.official_district,
        position=world.post_district,
        grounds=["R41-R-1"],
        filed_on=datetime.date(2024, 3, 1),
    )
    client = as_user(world, "clerk")

    def refs(query: str) -> set[str]:
        return _refs(client.get(f"{API}/cases/?{query}"))

    assert refs("form=dismissal") == {late.reference}
    assert refs("regime=R41") == {old.reference}
    assert refs("regime=R377&form=resignation") == {own.reference}
    assert refs("level=commune") == {own.reference}
    assert refs("status=open") == {late.reference, own.reference, old.reference}
    assert refs("status=closed") == set()
    assert refs(f"unit={world.commune.pk}") == {own.reference}
    assert refs(f"unit={world.province.pk}") == {late.reference, own.reference, old.reference}
    assert late.reference in refs("overdue=true") and own.reference not in refs("overdue=true")
    assert own.reference in refs("overdue=false") and late.reference not in refs("overdue=false")
    assert refs("ground=R377-R-1") == {own.reference}
    assert refs(f"filed_from={today.isoformat()}") == {own.reference}
    assert refs("filed_to=2024-12-31") == {old.reference}
    assert refs("filed_from=2024-01-01&filed_to=2024-06-30&ground=R41-R-1") == {old.reference}


def test_case_list_filters_reject_bad_values_with_field_errors(world: DemoWorld) -> None:
    client = as_user(world, "clerk", lang="en")
    body = error(
        client.get(
            f"{API}/cases/?form=x&status=y&level=z&overdue=maybe&filed_from=yesterday&unit=abc"
        ),
        400,
        "invalid",
    )
    assert set(body["fields"]) == {"form", "status", "level", "overdue", "filed_from", "unit"}
    reversed_range = error(
        client.get(f"{API}/cases/?filed_from=2026-02-01&filed_to=2026-01-01"), 400
    )
    assert reversed_range["fields"] == {"filed_to": ["The end of the range is before its start."]}
    hidden_unit = error(client.get(f"{API}/cases/?unit={world.other_province.pk}"), 400)
    assert hidden_unit["fields"] == {
        "unit": [f"No such record in your scope (id {world.other_province.pk})."]
    }


def test_case_list_pages_hold_fifty(world: DemoWorld, file_case: Callable[..., Case]) -> None:
    for n in range(51):
        post = Position.objects.create(
            title=f"Phó Giám đốc Sở {n}", unit=world.province, appointing_unit=world.province
        )
        official = Official.objects.create(
            full_name=f"Cán bộ {n}", honorific="ông", personnel_number=f"T-{n}"
        )
        Appointment.objects.create(
            official=official, position=post, term_start=datetime.date(2021, 6, 1)
        )
        file_case("dismissal", official=official, position=post)
    client = as_user(world, "clerk")
    first = client.get(f"{API}/cases/").json()
    assert set(first) == {"next", "previous", "results"}
    assert len(first["results"]) == 50 and first["previous"] is None and "cursor=" in first["next"]
    # A case filed between two pages does not shift the next page (keyset, not offset).
    post = Position.objects.create(
        title="Phó Giám đốc Sở mới", unit=world.province, appointing_unit=world.province
    )
    late = Official.objects.create(full_name="Cán bộ mới", honorific="bà", personnel_number="T-new")
    Appointment.objects.create(official=late, position=post, term_start=datetime.date(2021, 6, 1))
    newest = file_case("dismissal", official=late, position=post)
    second = client.get(first["next"]).json()
    assert len(second["results"]) == 1 and second["next"] is None and second["previous"]
    seen = [c["id"] for c in first["results"] + second["results"]]
    assert len(set(seen)) == 51 and newest.pk not in seen
    expected = list(
        Case.objects.exclude(pk=newest.pk).order_by("-filed_on", "-id").values_list("id", flat=True)
    )
    assert seen == expected
    assert client.get(f"{API}/cases/").json()["results"][0]["id"] == newest.pk
    # Back from the second page: the same 50 as before, and a link further back to the newest.
    back = client.get(second["previous"]).json()
    assert [c["id"] for c in back["results"]] == seen[:50]
    assert [c["id"] for c in client.get(back["previous"]).json()["results"]] == [newest.pk]


# --- detail ---------------------------------------------------------------------------


def test_case_detail_shows_steps_and_the_callers_actions(
    world: DemoWorld, file_case: Callable[..., Case]
) -> None:
    case = file_case(
        "resignation", official=world.official_self, position=world.post_superior, by="official"
    )
    body = as_user(world, "clerk_commune", lang="en").get(f"{API}/cases/{case.pk}/").json()
    step = body["steps"][0]
    assert step["name"] == "Exchange with the official and proposal"
    assert {"id", "name", "actor_role", "status", "started_on", "due_on", "completed_at"} <= set(
        step
    )
    actions = {a["name"]: a for a in body["available_actions"]}
    assert list(actions) == [
        "attach_document",
        "record_talk",
        "record_vote",
        "complete_step",
        "reject",
        "reassign",
    ]
    assert actions["reject"]["requires_reason"] is True and actions["reject"]["label"] == "Reject"
    kind = actions["attach_document"]["fields"][0]
    assert kind["name"] == "kind" and kind["type"] == "choice"
    assert {c["value"] for c in kind["choices"]} >= {"minutes", "proposal", "evidence"}
    assert "decision" not in {c["value"] for c in kind["choices"]}
    # The same case in Vietnamese, seen by the provincial clerk who cannot act yet.
    vi = as_user(world, "clerk").get(f"{API}/cases/{case.pk}/").json()
    assert vi["steps"][0]["name"] == "Trao đổi với cán bộ và đề xuất"
    assert vi["available_actions"] == []


def test_case_outside_scope_is_404_exactly_like_a_missing_case(
    world: DemoWorld, file_case: Callable[..., Case]
) -> None:
    case = file_case("dismissal")
    client = as_user(world, "clerk_other")
    hidden = error(client.get(f"{API}/cases/{case.pk}/"), 404, "not_found")
    missing = error(client.get(f"{API}/cases/{case.pk + 1000}/"), 404, "not_found")
    assert hidden == missing
    assert hidden["detail"] == "Không tìm thấy hồ sơ."
    for suffix in ("events/", "events/verify/", "documents/"):
        assert error(client.get(f"{API}/cases/{case.pk}/{suffix}"), 404) == missing
    assert error(act(client, case, "complete_step"), 404) == missing
    assert (
        error(
            client.post(
                f"{API}/cases/{case.pk}/documents/",
                {"kind": "evidence", "file": _pdf()},
                format="multipart",
            ),
            404,
        )
        == missing
    )
    assert CaseEvent.objects.filter(case=case).count() == 1


# --- actions --------------------------------------------------------------------------


def test_a_dismissal_runs_to_its_decision_through_actions(
    world: DemoWorld, file_case: Callable[..., Case]
) -> None:
    case = file_case("dismissal")
    clerk, authority = as_user(world, "clerk"), as_user(world, "authority")
    step = current_step(clerk, case)
    talk = act(
        clerk,
        case,
        "record_talk",
        multipart=True,
        step=step,
        held_on=timezone.localdate().isoformat(),
        summary="Đã trao đổi với cán bộ.",
        file=_pdf(),
    )
    assert talk.status_code == 200, talk.content
    assert (
        act(
            clerk,
            case,
            "record_vote",
            step=step,
            members=9,
            present=9,
            votes_for=7,
            votes_against=2,
        ).status_code
        == 200
    )
    done = act(clerk, case, "complete_step", step=step)
    assert done.status_code == 200
    decision_step = done.json()["current_step"]
    assert decision_step["code"] == "R377-S-2" and decision_step["actor_role"] == "authority"
    assert (
        decision_step["due_on"] == deadlines.add_working_days(timezone.localdate(), 10).isoformat()
    )
    names = [
        a["name"] for a in authority.get(f"{API}/cases/{case.pk}/").json()["available_actions"]
    ]
    assert names[:2] == ["approve", "reject"]
    approved = act(authority, case, "approve", step=decision_step["id"], signer_post="Chủ tịch")
    assert approved.status_code == 200, approved.content
    body = approved.json()
    assert body["status"] == "implementation" and body["outcome"] == "approved"
    assert body["decision"]["approved"] is True and body["decision"]["symbol"].endswith("/QĐ-UBND")
    closed = act(clerk, case, "complete_implementation", step=body["current_step"]["id"])
    assert closed.json()["status"] == "closed" and closed.json()["available_actions"] == []


def test_acting_on_a_step_that_moved_on_is_409(
    world: DemoWorld, file_case: Callable[..., Case]
) -> None:
    from tests.conftest import pass_exchange

    case = file_case("dismissal")
    clerk = as_user(world, "clerk", lang="en")
    stale = current_step(clerk, case)
    pass_exchange(case, world.users["clerk"])
    body = error(
        act(
            clerk,
            case,
            "record_vote",
            step=stale,
            members=9,
            present=9,
            votes_for=7,
            votes_against=2,
        ),
        409,
        "step_moved_on",
    )
    assert "moved on" in body["detail"]


def test_an_action_not_possible_now_is_409(
    world: DemoWorld, file_case: Callable[..., Case]
) -> None:
    case = file_case("dismissal")
    authority = as_user(world, "authority", lang="en")
    body = error(act(authority, case, "approve"), 409, "transition_not_allowed")
    assert (
        body["detail"]
        == "“Approve and sign the decision” is not possible at this point of the case."
    )
    clerk = as_user(world, "clerk", lang="en")
    missing = error(act(clerk, case, "complete_step"), 409, "transition_not_allowed")
    assert "R377-S-1" in missing["detail"]


def test_an_action_forbidden_by_role_is_403(
    world: DemoWorld, file_case: Callable[..., Case]
) -> None:
    case = file_case("dismissal")
    body = error(act(as_user(world, "auditor", lang="en"), case, "complete_step"), 403, "forbidden")
    assert (
        body["detail"] == "Your role does not allow “Complete this step and submit” on this case."
    )
    own = file_case(
        "resignation", official=world.official_self, position=world.post_superior, by="official"
    )
    error(act(as_user(world, "official"), own, "complete_step"), 403, "forbidden")


def test_bad_action_data_is_400_with_field_errors(
    world: DemoWorld, file_case: Callable[..., Case]
) -> None:
    case = file_case("dismissal")
    clerk = as_user(world, "clerk", lang="en")
    shape = error(act(clerk, case, "record_vote", members="many", present=-1), 400, "invalid")
    assert shape["fields"] == {
        "members": ["Enter a whole number."],
        "present": ["Enter a number no less than 0."],
    }
    engine = error(
        act(clerk, case, "record_vote", members=9, present=5, votes_for=6, votes_against=0),
        400,
        "invalid",
    )
    assert engine["fields"] == {"votes_for": ["More votes than members present."]}
    unknown = error(act(clerk, case, "teleport"), 400, "invalid")
    assert unknown["fields"] == {"action": ["“teleport” is not one of the choices."]}
    no_reason = error(act(clerk, case, "reject"), 400, "invalid")
    assert no_reason["fields"] == {"reason": ["This field is required."]}
    assert CaseEvent.objects.filter(case=case).count() == 1


def test_the_official_withdraws_their_application(world: DemoWorld) -> None:
    case = _file_resignation(world).json()
    client = as_user(world, "official")
    withdrawn = act(
        client, case["id"], "withdraw", reason="Tôi đổi ý.", step=case["current_step"]["id"]
    )
    assert withdrawn.status_code == 200
    assert withdrawn.json()["status"] == "closed" and withdrawn.json()["outcome"] == "withdrawn"


# --- audit trail ----------------------------------------------------------------------


def test_events_list_the_audit_trail_and_verify_the_chain(
    world: DemoWorld, file_case: Callable[..., Case]
) -> None:
    from tests.conftest import pass_exchange

    case = file_case("dismissal")
    pass_exchange(case, world.users["clerk"])
    client = as_user(world, "auditor")
    events = client.get(f"{API}/cases/{case.pk}/events/").json()
    assert [e["action"] for e in events] == [
        "case_filed",
        "record_talk",
        "record_vote",
        "complete_step",
    ]
    assert [e["seq"] for e in events] == [1, 2, 3, 4]
    assert events[1]["prev_hash"] == events[0]["hash"]
    assert events[2]["data"]["passed"] is True
    assert client.get(f"{API}/cases/{case.pk}/events/verify/").json() == {
        "valid": True,
        "first_broken_event": None,
        "events": 4,
        "detail": "",
    }


def test_verify_reports_the_first_broken_event(
    world: DemoWorld, file_case: Callable[..., Case]
) -> None:
    case = file_case("dismissal")
    # The events table refuses changes; a tampered chain head is what an attacker could alter.
    Case.objects.filter(pk=case.pk).update(event_count=F("event_count") + 1)
    last = CaseEvent.objects.filter(case=case).order_by("-seq").first()
    body = as_user(world, "auditor").get(f"{API}/cases/{case.pk}/events/verify/").json()
    assert body["valid"] is False and body["first_broken_event"] == last.pk


# --- documents ------------------------------------------------------------------------


def test_documents_are_attached_through_the_engine_and_downloaded(
    world: DemoWorld, file_case: Callable[..., Case]
) -> None:
    case = file_case("dismissal")
    clerk = as_user(world, "clerk")
    response = clerk.post(
        f"{API}/cases/{case.pk}/documents/",
        {"kind": "evidence", "file": _pdf("bien-ban.pdf"), "reason": "Bổ sung."},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    document = response.json()
    assert (
        document["kind"] == "evidence"
        and document["version"] == 1
        and document["content_type"] == "application/pdf"
    )
    event = CaseEvent.objects.filter(case=case).order_by("-seq").first()
    assert (
        event.action == "attach_document"
        and Document.objects.get(pk=document["id"]).event_id == event.pk
    )
    listed = clerk.get(f"{API}/cases/{case.pk}/documents/").json()
    assert [d["id"] for d in listed] == [document["id"]]
    download = clerk.get(document["download_url"])
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content) == PDF_BYTES
    assert 'filename="bien-ban.pdf"' in download["Content-Disposition"]


def test_png_downloads_with_its_own_type(world: DemoWorld, file_case: Callable[..., Case]) -> None:
    case = file_case("dismissal")
    clerk = as_user(world, "clerk")
    png = SimpleUploadedFile("anh.png", PNG_BYTES, content_type="image/png")
    document = clerk.post(
        f"{API}/cases/{case.pk}/documents/", {"kind": "evidence", "file": png}, format="multipart"
    ).json()
    assert clerk.get(document["download_url"])["Content-Type"] == "image/png"


def test_document_refusals(world: DemoWorld, file_case: Callable[..., Case]) -> None:
    case = file_case("dismissal")
    clerk = as_user(world, "clerk", lang="en")
    fake = SimpleUploadedFile("x.pdf", b"MZ not a pdf", content_type="application/pdf")
    body = error(
        clerk.post(
            f"{API}/cases/{case.pk}/documents/",
            {"kind": "evidence", "file": fake},
            format="multipart",
        ),
        400,
    )
    assert body["fields"] == {"file": ["Only PDF, JPEG and PNG files are accepted."]}
    missing = error(
        clerk.post(f"{API}/cases/{case.pk}/documents/", {"kind": "decision"}, format="multipart"),
        400,
    )
    assert set(missing["fields"]) == {"kind", "file"}
    json_body = error(
        clerk.post(f"{API}/cases/{case.pk}/documents/", {"kind": "evidence"}, format="json"), 415
    )
    assert json_body["code"] == "unsupported_media_type"
    error(
        as_user(world, "auditor").post(
            f"{API}/cases/{case.pk}/documents/",
            {"kind": "evidence", "file": _pdf()},
            format="multipart",
        ),
        403,
    )
    assert not Document.objects.filter(case=case).exists()


def test_download_outside_scope_is_404_like_a_missing_document(
    world: DemoWorld, file_case: Callable[..., Case]
) -> None:
    case = file_case("dismissal")
    document = (
        as_user(world, "clerk")
        .post(
            f"{API}/cases/{case.pk}/documents/",
            {"kind": "evidence", "file": _pdf()},
            format="multipart",
        )
        .json()
    )
    other = as_user(world, "clerk_other")
    hidden = error(
        other.get(document["download_url"], HTTP_ACCEPT="application/pdf"), 404, "not_found"
    )
    assert hidden == error(other.get(f"{API}/documents/{document['id'] + 1000}/download/"), 404)
    assert hidden["detail"] == "Không tìm thấy tài liệu."
    assert as_user(world, "auditor").get(document["download_url"]).status_code == 200


# --- inbox ----------------------------------------------------------------------------


def test_inbox_lists_the_callers_waiting_steps_most_urgent_first(
    world: DemoWorld, file_case: Callable[..., Case]
) -> None:
    today = timezone.localdate()
    newer = file_case("dismissal")
    older = file_case(
        "resignation",
        official=world.official_deputy,
        position=world.post_deputy,
        by="clerk_commune",
        filed_on=today - datetime.timedelta(days=30),
    )
    own = file_case(
        "resignation", official=world.official_self, position=world.post_superior, by="official"
    )
    commune = as_user(world, "clerk_commune").get(f"{API}/inbox/").json()
    assert [row["case"]["reference"] for row in commune["results"]] == [
        older.reference,
        own.reference,
    ]
    first = commune["results"][0]
    assert first["code"] == "R377-S-1" and first["is_overdue"] is True and first["days_left"] < 0
    province = as_user(world, "clerk").get(f"{API}/inbox/").json()
    assert [row["case"]["reference"] for row in province["results"]] == [newer.reference]
    assert as_user(world, "authority").get(f"{API}/inbox/").json()["count"] == 0
    assert as_user(world, "official").get(f"{API}/inbox/").json()["count"] == 0


# --- calendar -------------------------------------------------------------------------


def test_due_date_uses_the_engines_working_day_calculator(world: DemoWorld) -> None:
    client = as_user(world, "official")
    response = client.get(f"{API}/calendar/due-date/?start=2026-01-02&working_days=10")
    assert response.json() == {"start": "2026-01-02", "working_days": 10, "due_on": "2026-01-16"}
    # Across Tết 2026 (16–20 February): the holidays are skipped.
    tet = client.get(f"{API}/calendar/due-date/?start=2026-02-13&working_days=1").json()
    assert tet["due_on"] == deadlines.add_working_days(datetime.date(2026, 2, 13), 1).isoformat()
    assert tet["due_on"] > "2026-02-20"
    assert (
        client.get(f"{API}/calendar/due-date/?start=2026-03-02&working_days=0").json()["due_on"]
        == "2026-03-02"
    )


def test_due_date_validates_its_parameters(world: DemoWorld) -> None:
    client = as_user(world, "clerk", lang="en")
    too_many = error(
        client.get(f"{API}/calendar/due-date/?start=2026-01-02&working_days=366"), 400, "invalid"
    )
    assert too_many["fields"] == {"working_days": ["Enter a number no greater than 365."]}
    negative = error(client.get(f"{API}/calendar/due-date/?start=2026-01-02&working_days=-1"), 400)
    assert negative["fields"] == {"working_days": ["Enter a number no less than 0."]}
    missing = error(client.get(f"{API}/calendar/due-date/"), 400)
    assert set(missing["fields"]) == {"start", "working_days"}
    far = error(client.get(f"{API}/calendar/due-date/?start=9999-12-31&working_days=365"), 400)
    assert far["fields"] == {"start": ["Choose a date between 01/01/1990 and 31/12/2099."]}
    vi = error(as_user(world, "clerk").get(f"{API}/calendar/due-date/?start=x&working_days=1"), 400)
    assert vi["fields"] == {"start": ["Hãy nhập ngày theo dạng YYYY-MM-DD."]}
