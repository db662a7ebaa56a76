"""Two tracks in one case: the Party decision and the State decision (docs/REGULATIONS.md 12)."""

from __future__ import annotations

import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.utils import translation

from cases.audit.chain import verify_case_chain
from cases.core.errors import RuleViolation
from cases.documents.issuing import issue_decision_document
from cases.models import (
    Case,
    CaseEvent,
    CaseStep,
    Decision,
    Document,
    OfficialFact,
    Reminder,
    Track,
)
from cases.notifications import sweep as reminders
from cases.ops.demo import TwoTrackWorld
from cases.workflow import engine as workflow
from tests import tracks_support
from tests.celery_support import (  # noqa: F401 - eager_tasks: the fixture, used by name
    eager_tasks,
    pdf_text,
    read_file,
)
from tests.conftest import pass_exchange
from tests.tracks_support import (
    act,
    council_votes,
    file_chair_resignation,
    file_director_resignation,
    party_decides,
    record_fact,
)

two = tracks_support.two  # the shared fixture

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def _pdf(decision: Decision) -> str:
    document = issue_decision_document(decision_id=decision.pk)
    assert document is not None
    return pdf_text(read_file(document.file))


def test_commune_chair_resignation_runs_the_party_track_then_the_state_track(
    two: TwoTrackWorld,
) -> None:
    case = file_chair_resignation(two)
    party, state = list(case.tracks.order_by("order"))
    assert (party.kind, party.regulation.code, party.form) == ("party", "R377", "resignation")
    # MDL-TRK-9: on the People's Council track the resignation is a dismissal vote.
    assert (state.kind, state.regulation.code, state.form) == (
        "state_elected",
        "LGL25",
        "dismissal",
    )
    assert (party.status, state.status) == ("open", "waiting")
    assert state.deciding_unit == two.council and state.approving_unit.code == "UBND-LC"
    codes = [s.template.code for s in case.steps.order_by("order")]
    assert codes == [
        "R377-S-1", "R377-S-2", "R377-S-3",
        "LGL25-R-1", "LGL25-P-1", "LGL25-D-1", "LGL25-A-2",
    ]  # fmt: skip

    case = party_decides(case, two)
    party.refresh_from_db()
    state.refresh_from_db()
    assert party.status == "approved" and state.status == "open"
    assert case.status == "open" and case.outcome == ""  # MDL-TRK-5: not decided yet
    assert case.current_step.template.code == "LGL25-R-1" and case.current_step.track == state
    # The Party implementation step is the State track itself (R41-S-3).
    assert case.steps.get(template__code="R377-S-3").status == "cancelled"

    council_votes(case, two, votes_for=20)
    case = act(case, two, "clerk_muonghum", workflow.COMPLETE_STEP)
    case = act(case, two, "chair_council", workflow.APPROVE)
    state.refresh_from_db()
    assert state.status == "voted_pending_approval" and case.outcome == ""
    assert case.current_step.template.code == "LGL25-A-2"
    case = act(case, two, "authority", workflow.APPROVE)
    state.refresh_from_db()
    assert state.status == "approved" and state.approved_on is not None
    assert state.effective_on == state.decided_on  # LGL25-S-1: from the vote by default
    assert case.status == "closed" and case.outcome == "approved"

    party_decision, state_decision = (party.decision, state.decision)
    assert party_decision.symbol == "1-QĐ/TU"
    assert state_decision.symbol == "01/NQ-HĐND"  # the People's Council's own register
    assert party_decision.issuing_unit != state_decision.issuing_unit
    party_text = _pdf(party_decision)
    state_text = _pdf(state_decision)
    assert "ĐẢNG CỘNG SẢN VIỆT NAM" in party_text and "Độc lập" not in party_text
    assert "Độc lập - Tự do - Hạnh phúc" in state_text and "NGHỊ QUYẾT" in state_text
    assert "ĐẢNG CỘNG SẢN VIỆT NAM" not in state_text
    assert Document.objects.filter(case=case, kind="decision").count() == 2
    assert Document.objects.get(case=case, kind="decision", step__track=state).version == 2
    assert verify_case_chain(case.pk).valid


def test_a_party_rejection_closes_the_state_track_as_superseded(two: TwoTrackWorld) -> None:
    case = file_chair_resignation(two)
    case = party_decides(case, two, approve=False)
    party, state = list(case.tracks.order_by("order"))
    assert party.status == "rejected" and state.status == "superseded"
    assert "MDL-TRK-6" in state.status_reason
    assert case.status == "closed" and case.outcome == "rejected"
    assert not case.steps.filter(track=state, status="active").exists()
    event = case.events.get(action="reject")
    assert event.data["superseded_tracks"] == ["state_elected"]


def test_a_failed_council_vote_after_party_approval_leaves_the_case_partially_decided(
    two: TwoTrackWorld,
) -> None:
    case = party_decides(file_chair_resignation(two), two)
    council_votes(case, two, votes_for=12)  # 12 of 25 delegates: not more than half
    with pytest.raises(workflow.TransitionNotAllowed):
        act(case, two, "clerk_muonghum", workflow.COMPLETE_STEP)
    case = act(case, two, "clerk_muonghum", workflow.REJECT, reason="HĐND không thông qua.")
    party, state = list(case.tracks.order_by("order"))
    # MDL-TRK-6(b): the Party decision stands; the official keeps the State post.
    assert party.status == "approved" and state.status == "failed"
    assert case.status == "partially_decided" and case.needs_review
    assert "MDL-TRK-6(b)" in case.review_reason
    assert party.decision.approved is True
    assert two.official_chair.appointments.get().ended_on is None
    assert workflow.available_actions(case, two.users["clerk_muonghum"]) == []
    assert verify_case_chain(case.pk).valid


def test_a_refused_approval_after_the_council_vote_also_leaves_it_partially_decided(
    two: TwoTrackWorld,
) -> None:
    case = party_decides(file_chair_resignation(two), two)
    council_votes(case, two, votes_for=20)
    act(case, two, "clerk_muonghum", workflow.COMPLETE_STEP)
    act(case, two, "chair_council", workflow.APPROVE)
    case = act(case, two, "authority", workflow.REJECT, reason="Không phê chuẩn.")
    state = case.tracks.get(kind="state_elected")
    assert state.status == "failed" and case.status == "partially_decided"
    assert state.decision.symbol == "01/NQ-HĐND"  # the resolution is not rolled back


@pytest.mark.parametrize(
    ("filed_on", "rule", "regime"),
    [
        (datetime.date(2025, 6, 20), "ND138-NR-b", "ND138-24"),
        (datetime.date(2025, 8, 4), "ND170-NR-b", "ND170"),
    ],
)
@pytest.mark.parametrize("kind", ["under_inspection", "under_prosecution"])
def test_state_track_refuses_a_resignation_under_inspection_or_prosecution(
    two: TwoTrackWorld, filed_on: datetime.date, rule: str, regime: str, kind: str
) -> None:
    grounds = ["R41-R-1", "ND170-R-a" if regime == "ND170" else "ND138-R-a"]
    record_fact(two, kind, filed_on - datetime.timedelta(days=10))
    before = (Case.objects.count(), Track.objects.count(), CaseEvent.objects.count())
    with pytest.raises(RuleViolation) as refused:
        file_director_resignation(two, filed_on=filed_on, grounds=grounds)
    assert refused.value.rule == rule
    assert "Resignation is not allowed" in str(refused.value.message)
    with translation.override("vi"), pytest.raises(RuleViolation) as in_vietnamese:
        file_director_resignation(two, filed_on=filed_on, grounds=grounds)
    assert in_vietnamese.value.rule == rule
    assert "không" in str(in_vietnamese.value.message).lower()
    assert "not allowed" not in str(in_vietnamese.value.message)
    assert (Case.objects.count(), Track.objects.count(), CaseEvent.objects.count()) == before


@pytest.mark.parametrize(
    ("filed_on", "rule"),
    [(datetime.date(2025, 6, 20), "ND138-NR-a"), (datetime.date(2025, 8, 4), "ND170-NR-a")],
)
def test_state_track_refuses_a_resignation_on_a_protected_task(
    two: TwoTrackWorld, filed_on: datetime.date, rule: str
) -> None:
    record_fact(two, "protected_task", filed_on - datetime.timedelta(days=30))
    ground = "ND170-R-a" if rule.startswith("ND170") else "ND138-R-a"
    with pytest.raises(RuleViolation) as refused:
        file_director_resignation(two, filed_on=filed_on, grounds=["R41-R-1", ground])
    assert refused.value.rule == rule
    assert not Case.objects.filter(official=two.official_director).exists()


def test_director_resignation_without_a_state_fact_gets_both_tracks_and_state_grounds(
    two: TwoTrackWorld,
) -> None:
    case = file_director_resignation(
        two, filed_on=datetime.date(2025, 8, 4), grounds=["R41-R-1", "ND170-R-a"]
    )
    party, state = list(case.tracks.order_by("order"))
    assert (party.regulation.code, state.regulation.code) == ("R41", "ND170")
    assert [g.code for g in party.grounds.all()] == ["R41-R-1"]
    assert [g.code for g in state.grounds.all()] == ["ND170-R-a"]
    assert state.scope == "superior" and state.deciding_unit.code == "UBND-LC"
    # TL-ND170-3 is [U]: off by default, so the State steps carry no due date.
    assert case.steps.get(template__code="ND138-S-R-5").track == state


def test_the_stricter_low_confidence_band_decides_and_names_its_rule(two: TwoTrackWorld) -> None:
    # Exactly 2/3 low: R377 sees no dismissal ground (> 2/3), NQ96-LC-2 does (2/3 or more).
    record_fact(
        two,
        "confidence_poll",
        datetime.date(2025, 9, 1),
        official=two.official_chair,
        low_votes=20,
        total_ballots=30,
    )
    with pytest.raises(RuleViolation) as refused:
        file_chair_resignation(two)
    assert refused.value.rule == "NQ96-LC-2"
    assert "20 of 30" in str(refused.value.message)


def test_a_party_dismissal_ground_refuses_both_tracks_by_r377_p_2(two: TwoTrackWorld) -> None:
    record_fact(
        two,
        "confidence_poll",
        datetime.date(2025, 9, 1),
        official=two.official_chair,
        low_votes=21,
        total_ballots=30,
    )
    with pytest.raises(RuleViolation) as refused:
        file_chair_resignation(two)
    assert refused.value.rule == "R377-P-2"
    assert not Track.objects.exists()


def test_a_post_without_track_rules_keeps_its_one_party_track(world, file_case) -> None:
    case = file_case("dismissal")
    assert [(t.kind, t.regulation.code, t.order) for t in case.tracks.all()] == [
        ("party", "R377", 1)
    ]
    assert set(case.steps.values_list("track", flat=True)) == {case.tracks.get().pk}


def _at(day: datetime.date, hour: int = 9) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=VN)


def test_reminders_escalation_and_extension_on_a_state_track_step(two: TwoTrackWorld) -> None:
    day = datetime.date(2025, 6, 23)  # Monday; ND138 as amended in 2024 (TL-138-6)
    with time_machine.travel(_at(day), tick=False):
        case = file_director_resignation(two, filed_on=day, grounds=["R41-R-1", "ND138-R-a"])
        pass_exchange(case, two.users["clerk_department"], day=day, votes_for=3)
        # MDL-COL-7: the provincial standing committee votes on the Party decision.
        act(
            case,
            two,
            "clerk_party",
            workflow.RECORD_VOTE,
            data={"present": 15, "votes_for": 12, "votes_against": 3},
            today=day,
        )
        case = act(case, two, "authority_party", workflow.APPROVE, today=day)
    step = case.current_step
    assert step.template.code == "ND138-S-R-5" and step.track.kind == "state_appointed"
    assert step.due_on == datetime.date(2025, 7, 7) and "TL-138-6a" in step.due_rule
    for n in range(0, 22):
        with time_machine.travel(_at(day + datetime.timedelta(days=n)), tick=False):
            reminders.sweep()
    kinds = set(Reminder.objects.filter(step=step).values_list("kind", flat=True))
    assert {"before", "due_today", "overdue", "escalation"} <= kinds
    step.refresh_from_db()
    assert step.escalated_at is not None
    assert case.events.filter(action="step_escalated", step_code="ND138-S-R-5").count() == 1

    later = datetime.date(2025, 7, 15)
    with time_machine.travel(_at(later), tick=False):
        case = act(case, two, "clerk_department", workflow.COMPLETE_STEP, today=later)
        decision = case.current_step
        assert decision.template.code == "ND138-S-R-5d" and decision.ceiling_on is not None
        with pytest.raises(RuleViolation) as beyond:
            act(
                case,
                two,
                "clerk",
                workflow.EXTEND_DEADLINE,
                reason="Chờ ý kiến.",
                data={"extend_to": (decision.ceiling_on + datetime.timedelta(days=1)).isoformat()},
                today=later,
            )
        assert beyond.value.rule == "TL-138-6"
        act(
            case,
            two,
            "clerk",
            workflow.EXTEND_DEADLINE,
            reason="Chờ ý kiến.",
            data={"extend_to": decision.ceiling_on.isoformat()},
            today=later,
        )
    decision.refresh_from_db()
    assert decision.due_on == decision.ceiling_on and decision.is_extended
    assert verify_case_chain(case.pk).valid


def test_every_track_rule_is_cited_where_the_code_enforces_it() -> None:
    code = "\n".join(
        p.read_text(encoding="utf-8") for p in (Path(settings.BASE_DIR) / "cases").rglob("*.py")
    )
    for n in (1, 2, 3, 4, 5, 6, 7, 9):
        assert f"MDL-TRK-{n}" in code, n


def test_a_state_step_id_names_its_track(two: TwoTrackWorld) -> None:
    case = party_decides(file_chair_resignation(two), two)
    party_step = CaseStep.objects.get(case=case, template__code="R377-S-2")
    with pytest.raises(workflow.StepMovedOn):
        act(case, two, "clerk_muonghum", workflow.COMPLETE_STEP, step_id=party_step.pk)
    state_step = case.current_step
    case = act(case, two, "clerk_muonghum", workflow.COMPLETE_STEP, step_id=state_step.pk)
    assert case.current_step.template.code == "LGL25-P-1"
    assert OfficialFact.objects.count() == 0


def test_the_api_case_detail_shows_both_tracks_side_by_side(two: TwoTrackWorld) -> None:
    from tests.api_helpers import api_client

    case = party_decides(file_chair_resignation(two), two)
    response = api_client(two.users["clerk_muonghum"], lang="en").get(f"/api/v1/cases/{case.pk}/")
    assert response.status_code == 200
    body = response.json()
    party, state = body["tracks"]
    assert (party["kind"], party["regulation"]["code"], party["status"]) == (
        "party",
        "R377",
        "approved",
    )
    assert party["decision"]["symbol"] == "1-QĐ/TU" and party["grounds"] == ["R377-R-1"]
    assert (state["kind"], state["regulation"]["code"], state["status"]) == (
        "state_elected",
        "LGL25",
        "open",
    )
    assert state["decision"] is None and state["approving_unit"]["code"] == "UBND-LC"
    assert [s["code"] for s in state["steps"]] == [
        "LGL25-R-1",
        "LGL25-P-1",
        "LGL25-D-1",
        "LGL25-A-2",
    ]
    assert all(s["track"] == "state_elected" for s in state["steps"])
    # Actions keep naming their step: the current step id is a State-track step.
    assert body["current_step"]["id"] == state["steps"][0]["id"]
    response = api_client(two.users["clerk_muonghum"], lang="en").post(
        f"/api/v1/cases/{case.pk}/actions/",
        {"action": "complete_step", "step": party["steps"][2]["id"]},
        format="json",
    )
    assert response.status_code == 409 and response.json()["code"]


def test_the_openapi_schema_documents_the_tracks(two: TwoTrackWorld) -> None:
    from tests.api_helpers import api_client

    schema = api_client(two.users["admin"]).get("/api/v1/schema/?format=json").json()
    track = schema["components"]["schemas"]["Track"]
    assert {"kind", "regulation", "status", "steps", "decision"} <= set(track["required"])
    assert "tracks" in schema["components"]["schemas"]["CaseDetail"]["properties"]
    kind = track["properties"]["kind"]
    ref = (kind.get("allOf") or [kind])[0]["$ref"].rsplit("/", 1)[-1]
    assert schema["components"]["schemas"][ref]["enum"] == [
        "party",
        "state_appointed",
        "state_elected",
    ]


def test_an_api_refusal_of_the_state_track_is_a_translated_4xx_naming_its_rule(
    two: TwoTrackWorld,
) -> None:
    from tests.api_helpers import api_client

    record_fact(two, "under_inspection", datetime.date(2025, 7, 20))
    payload = {
        "form": "resignation",
        "official": two.official_director.pk,
        "position": two.post_director.pk,
        "grounds": ["R41-R-1", "ND170-R-a"],
        "filed_on": "2025-08-04",
    }
    for lang, words in (("en", "not allowed"), ("vi", "không")):
        response = api_client(two.users["clerk_department"], lang=lang).post(
            "/api/v1/cases/", payload, format="json"
        )
        assert response.status_code in (409, 422), response.content
        body = response.json()
        assert "ND170-NR-b" in str(body) and words in body["detail"].lower()
    assert not Case.objects.filter(official=two.official_director).exists()


def test_the_case_page_shows_both_tracks_and_the_inbox_the_waiting_state_step(
    two: TwoTrackWorld,
) -> None:
    from django.test import Client

    case = party_decides(file_chair_resignation(two), two)
    issue_decision_document(decision_id=case.tracks.get(kind="party").decision.pk)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(two.users["clerk_muonghum"])
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert 'data-testid="track-party"' in page and 'data-testid="track-state_elected"' in page
    assert "1-QĐ/TU" in page and "LGL25-R-1" in page and "72/2025/QH15" in page
    assert 'data-testid="track-document"' in page
    inbox = client.get("/").content.decode()
    assert case.reference in inbox


def test_a_one_track_case_page_has_no_track_panel(world, file_case) -> None:
    from django.test import Client

    case = file_case("dismissal")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(world.users["clerk"])
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert 'data-testid="tracks"' not in page and 'data-testid="step-tracker"' in page


@pytest.mark.django_db
def test_seed_demo_adds_a_two_track_case_with_both_tracks_moved() -> None:
    from django.core.management import call_command

    call_command("seed_demo")
    case = Case.objects.get(official__personnel_number="LC-0006")
    party, state = list(case.tracks.order_by("order"))
    assert (party.kind, party.status) == ("party", "approved")
    assert (state.kind, state.status) == ("state_elected", "open")
    assert case.current_step.template.code == "LGL25-P-1"
    assert verify_case_chain(case.pk).valid


def test_the_historic_import_takes_an_optional_track_column(world) -> None:
    from cases.historic.imports import ImportRejected, import_cases
    from cases.reports.statistics import national_table, statistics
    from tests.reports_support import HEADER, csv_bytes, good_rows, row

    # Without the column: every row is the Party track, as before.
    import_cases(data=csv_bytes(good_rows()), by=world.users["admin"], filename="old.csv")
    before = national_table(Case.objects.all(), form="resignation", regulation="R260").as_dict()
    state = row(
        case_ref="ND-2026-0001",
        regulation="ND170",
        form="resignation",
        ground_ids="ND170-R-a",
        filed_on="2025-08-04",
        decided_on="2025-09-10",
        track="state_appointed",
    )
    import_cases(
        data=csv_bytes([state], header=[*HEADER, "track"]),
        by=world.users["admin"],
        filename="tracks.csv",
    )
    imported = Case.objects.get(reference="ND-2026-0001")
    assert imported.regulation.code == "ND170" and imported.regulation.track == "state_appointed"
    # The national table (a Party regime's) is the same figure as before the State row.
    after = national_table(Case.objects.all(), form="resignation", regulation="R260").as_dict()
    assert after == before
    # An empty track value is the Party track too.
    import_cases(
        data=csv_bytes([row(case_ref="LS-2016-0009", track="")], header=[*HEADER, "track"]),
        by=world.users["admin"],
        filename="party.csv",
    )
    assert Case.objects.get(reference="LS-2016-0009").regulation.code == "R260"
    by_track = statistics(Case.objects.all(), by=["track", "track_regulation"])
    counts = {(r["track"], r["track_regulation"]): r.count for r in by_track}
    assert counts[("state_appointed", "ND170")] == 1 and counts[("party", "R260")] == 2
    # A track that does not match the regime's, or an unknown one, is refused.
    for bad, message in (
        ("party", "is not a regime of the party track"),
        ("council", "Unknown track"),
    ):
        with pytest.raises(ImportRejected) as refused:
            import_cases(
                data=csv_bytes(
                    [{**state, "case_ref": "ND-2026-0002", "track": bad}], header=[*HEADER, "track"]
                ),
                by=world.users["admin"],
                filename="bad.csv",
            )
        assert any(message in e.message and e.column == "track" for e in refused.value.errors)


def test_statistics_count_a_two_track_case_under_each_track_and_the_national_table_once(
    two: TwoTrackWorld, world
) -> None:
    from cases.reports.statistics import national_table, statistics

    one = file_director_resignation(two, filed_on=datetime.date(2025, 8, 4), grounds=["R41-R-1"])
    both = file_chair_resignation(two)
    cases = Case.objects.filter(pk__in=[one.pk, both.pk])
    rows = {
        (r["track"], r["track_regulation"]): r.count
        for r in statistics(cases, by=["track", "track_regulation"])
    }
    assert rows == {
        ("party", "R41"): 1,
        ("party", "R377"): 1,
        ("state_appointed", "ND170"): 1,
        ("state_elected", "LGL25"): 1,
    }
    assert statistics(cases, by=["track"]).total == 2
    table = national_table(cases, form="resignation", regulation="R377").as_dict()
    assert table["cases_total"] == 1  # the two-track case counts once, with its Party grounds


def test_a_withdrawal_is_shown_on_every_track(two: TwoTrackWorld) -> None:
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user("lo_van_pao", password="cadre-demo")
    two.official_chair.user = user
    two.official_chair.save(update_fields=["user"])
    case = file_chair_resignation(two)
    case = workflow.perform(
        case_id=case.pk, user=user, action=workflow.WITHDRAW, reason="Tôi rút đơn."
    )
    assert case.outcome == "withdrawn"
    # MDL-TRK-7: the withdrawal recorded on the Party track closes the State track too.
    assert sorted(case.tracks.values_list("status", flat=True)) == ["withdrawn", "withdrawn"]
    assert not case.steps.filter(status__in=["active", "pending"]).exists()


def test_a_state_decision_before_the_party_decision_is_a_warning_not_a_block(
    two: TwoTrackWorld,
) -> None:
    from cases.models import PostTrack

    # The order is data: this post's State track is configured to run first.
    PostTrack.objects.filter(position=two.post_director, kind="party").update(order=2)
    PostTrack.objects.filter(position=two.post_director, kind="state_appointed").update(order=1)
    day = datetime.date(2025, 8, 4)
    case = file_director_resignation(two, filed_on=day, grounds=["R41-R-1", "ND170-R-a"])
    state, party = list(case.tracks.order_by("order"))
    assert (state.kind, party.kind) == ("state_appointed", "party")
    act(case, two, "clerk_department", workflow.COMPLETE_STEP, today=day)
    case = act(case, two, "authority", workflow.APPROVE, today=day)
    assert any("MDL-TRK-4" in w for w in case.warnings)
    assert case.current_step.track.kind == "party" and case.outcome == ""
    assert case.events.filter(action="approve").get().data["warning"].startswith("MDL-TRK-4")


def test_separation_of_duties_holds_within_a_track(two: TwoTrackWorld) -> None:
    from cases.models import Membership, Role

    # The council's clerk is also made an authority of the council: having moved the
    # State track to its decision, they may not decide it (SOD-1, per track).
    Membership.objects.create(
        user=two.users["clerk_muonghum"], unit=two.council, role=Role.AUTHORITY
    )
    case = party_decides(file_chair_resignation(two), two)
    council_votes(case, two, votes_for=20)
    act(case, two, "clerk_muonghum", workflow.COMPLETE_STEP)
    with pytest.raises(RuleViolation) as refused:
        act(case, two, "clerk_muonghum", workflow.APPROVE)
    assert refused.value.rule == "SOD-1"
    # Another authority of the council may decide it.
    assert act(case, two, "chair_council", workflow.APPROVE).tracks.get(
        kind="state_elected"
    ).status == ("voted_pending_approval")


@pytest.mark.usefixtures("eager_tasks")  # the notices are written by tasks
def test_the_case_is_told_decided_once_when_its_last_track_is(
    two: TwoTrackWorld, django_capture_on_commit_callbacks
) -> None:
    from cases.models import Notification

    with django_capture_on_commit_callbacks(execute=True):
        case = party_decides(file_chair_resignation(two), two)
    assert not Notification.objects.filter(case=case, kind="case_decided").exists()
    with django_capture_on_commit_callbacks(execute=True):
        council_votes(case, two, votes_for=20)
        act(case, two, "clerk_muonghum", workflow.COMPLETE_STEP)
        act(case, two, "chair_council", workflow.APPROVE)
    assert not Notification.objects.filter(case=case, kind="case_decided").exists()
    with django_capture_on_commit_callbacks(execute=True):
        act(case, two, "authority", workflow.APPROVE)
    assert Notification.objects.filter(case=case, kind="case_decided").exists()
