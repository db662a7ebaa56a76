"""MDL-TRK-8: a People's Council track without a vote (docs/REGULATIONS.md 5.7, 12.1).

LGL25-NR-1: the holder was removed from office, stopped working, retires by a decision,
died or is transferred; the HĐND Standing Board reports to the People's Council at its
nearest session instead of a dismissal vote. LGL25-A-3: the removal from office of a
UBND chair or vice-chair is decided by the executive above, not by the Council.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import translation

from cases.audit.chain import verify_case_chain
from cases.core.errors import ActionForbidden, InvalidInput, TransitionNotAllowed
from cases.documents.issuing import issue_decision_document
from cases.models import Case, Decision, Track, Vote
from cases.ops.demo import TwoTrackWorld
from cases.reports.statistics import statistics
from cases.workflow import engine as workflow
from cases.workflow import filing as services
from tests import tracks_support
from tests.api_helpers import api_client
from tests.celery_support import pdf_text, read_file
from tests.conftest import pdf
from tests.tracks_support import act, council_votes, file_chair_resignation, party_decides

two = tracks_support.two  # the shared fixture

NR_1 = ["LGL25-NR-1a", "LGL25-NR-1b", "LGL25-NR-1c", "LGL25-NR-1d", "LGL25-NR-1e"]


def _file(two: TwoTrackWorld, form: str, grounds: list[str]) -> Case:
    return services.file_case(
        form=form,
        official=two.official_chair,
        position=two.post_chair,
        ground_codes=grounds,
        statement="Đồng chí được điều động nhận công tác khác.",
        by=two.users["clerk_muonghum"],
    )


def _state(case: Case) -> Track:
    return case.tracks.get(kind="state_elected")


def _pdf(decision: Decision) -> str:
    document = issue_decision_document(decision_id=decision.pk)
    assert document is not None
    return pdf_text(read_file(document.file))


@pytest.mark.parametrize("ground", NR_1)
def test_every_nr_1_ground_gives_the_state_track_the_report_process(
    two: TwoTrackWorld, ground: str
) -> None:
    case = _file(two, "resignation", ["R377-R-4", ground])
    state = _state(case)
    assert (state.process.situation, state.instrument) == ("report", "report")
    assert state.process.needs_legal_review  # [P]: flagged for the legal reviewer
    codes = [s.template.code for s in case.steps.filter(track=state).order_by("order")]
    assert codes == ["LGL25-NR-1", "MDL-TRK-8"]  # no People's Council vote
    assert not state.process.steps.filter(requires_vote=True).exists()
    filed = case.events.get(action="case_filed").data["tracks"][1]
    assert filed["situation"] == "report" and filed["grounds"] == [ground]


def test_a_transferred_chair_s_state_track_ends_with_the_standing_board_s_report(
    two: TwoTrackWorld,
) -> None:
    case = party_decides(_file(two, "resignation", ["R377-R-4", "LGL25-NR-1e"]), two)
    state = _state(case)
    assert state.status == "open" and case.current_step.template.code == "LGL25-NR-1"
    names = {a.name for a in workflow.available_actions(case, two.users["clerk_muonghum"])}
    assert workflow.RECORD_VOTE not in names  # MDL-TRK-8: nothing to vote on
    # The report rests on the transfer decision: the step needs it attached first.
    with pytest.raises(TransitionNotAllowed):
        act(case, two, "clerk_muonghum", workflow.COMPLETE_STEP)
    act(
        case,
        two,
        "clerk_muonghum",
        workflow.ATTACH_DOCUMENT,
        data={"kind": "evidence"},
        upload=pdf("quyet-dinh-dieu-dong.pdf"),
    )
    case = act(case, two, "clerk_muonghum", workflow.COMPLETE_STEP)
    assert case.current_step.template.code == "MDL-TRK-8"
    assert case.current_step.actor_unit == two.council
    assert not any(a.name == workflow.RECORD_VOTE for a in workflow.available_actions(case, two.users["clerk_muonghum"]))  # fmt: skip

    case = act(case, two, "chair_council", workflow.APPROVE)
    state.refresh_from_db()
    assert state.status == "approved" and state.decided_on == case.decided_on
    assert state.approved_on is None  # a report needs no approval (LGL25-A-2 is a vote's)
    assert case.status == "closed" and case.outcome == "approved"
    assert two.official_chair.appointments.get().ended_on == state.effective_on
    assert not Vote.objects.filter(case=case, step__track=state).exists()
    report = state.decision
    assert report.symbol == "01/BC-HĐND" and report.issuing_unit == two.council
    text = _pdf(report)
    assert "BÁO CÁO" in text and "BC-HĐND" in text
    assert "THƯỜNG TRỰC HỘI ĐỒNG NHÂN DÂN" in text and "Hội đồng nhân dân xã Mường Hum" in text
    assert "NGHỊ QUYẾT" not in text and "QUYẾT NGHỊ" not in text
    assert "điều động" in text  # the ground is the report's reason
    approve = case.events.get(action="approve", step_code="MDL-TRK-8")
    assert approve.data["symbol"] == "01/BC-HĐND" and approve.data["track_status"] == "approved"
    assert verify_case_chain(case.pk).valid


def test_a_plain_resignation_of_the_same_post_still_gets_the_council_vote(
    two: TwoTrackWorld,
) -> None:
    case = file_chair_resignation(two)  # R377-R-1 only: no LGL25-NR-1 situation
    state = _state(case)
    assert (state.process.situation, state.instrument) == ("", "resolution")
    assert [s.template.code for s in case.steps.filter(track=state).order_by("order")] == [
        "LGL25-R-1",
        "LGL25-P-1",
        "LGL25-D-1",
        "LGL25-A-2",
    ]
    case = party_decides(case, two)
    council_votes(case, two, votes_for=20)
    act(case, two, "clerk_muonghum", workflow.COMPLETE_STEP)
    case = act(case, two, "chair_council", workflow.APPROVE)
    assert _state(case).decision.symbol == "01/NQ-HĐND"
    assert Vote.objects.filter(case=case, step__track=state).count() == 1


def test_a_removal_from_office_is_decided_by_the_executive_above_not_by_the_council(
    two: TwoTrackWorld,
) -> None:
    case = party_decides(_file(two, "dismissal", ["R377-D-1", "LGL25-A-3a"]), two)
    state = _state(case)
    assert (state.process.situation, state.instrument) == ("executive", "decision")
    assert [s.template.code for s in case.steps.filter(track=state).order_by("order")] == [
        "LGL25-A-3",
        "MDL-TRK-8",
        "LGL25-NR-1",
    ]
    step = case.current_step
    assert step.template.code == "LGL25-A-3" and step.actor_unit.code == "UBND-LC"
    # The council's clerk and chair do not act on the executive's steps.
    with pytest.raises(TransitionNotAllowed):
        act(case, two, "clerk_muonghum", workflow.COMPLETE_STEP)
    case = act(case, two, "clerk", workflow.COMPLETE_STEP)
    with pytest.raises(ActionForbidden):
        act(case, two, "chair_council", workflow.APPROVE)
    case = act(case, two, "authority", workflow.APPROVE)
    state.refresh_from_db()
    # MDL-TRK-5: the executive's decision is the track's final act; the case is decided.
    assert state.status == "approved" and case.outcome == "approved"
    assert state.decision.symbol == "01/QĐ-UBND"
    assert state.decision.issuing_unit.code == "UBND-LC"
    text = _pdf(state.decision)
    assert "QUYẾT ĐỊNH" in text and "NGHỊ QUYẾT" not in text
    # LGL25-NR-1: the Standing Board then reports it to the Council, and the case closes.
    assert case.status == "implementation" and case.current_step.template.code == "LGL25-NR-1"
    with pytest.raises(TransitionNotAllowed):  # the chair is not the council's clerk
        act(case, two, "chair_council", workflow.COMPLETE_IMPLEMENTATION)
    case = act(case, two, "clerk_muonghum", workflow.COMPLETE_IMPLEMENTATION)
    assert case.status == "closed" and case.outcome == "approved"
    assert not Vote.objects.filter(case=case, step__track=state).exists()
    assert verify_case_chain(case.pk).valid


def test_the_report_step_refuses_the_wrong_actors_in_both_languages(two: TwoTrackWorld) -> None:
    case = party_decides(_file(two, "resignation", ["R377-R-4", "LGL25-NR-1d"]), two)
    act(
        case,
        two,
        "clerk_muonghum",
        workflow.ATTACH_DOCUMENT,
        data={"kind": "evidence"},
        upload=pdf(),
    )
    case = act(case, two, "clerk_muonghum", workflow.COMPLETE_STEP)
    before = (Decision.objects.count(), case.events.count())
    # The council's clerk prepared it and the province's authority is not the Standing
    # Board (403); the Party's authority decided the Party track, not this one (409).
    for username, error, words in (
        ("clerk_muonghum", ActionForbidden, "not allow"),
        ("authority", ActionForbidden, "not allow"),
        ("authority_party", TransitionNotAllowed, "not possible"),
    ):
        with pytest.raises(error) as refused:
            act(case, two, username, workflow.APPROVE)
        assert words in str(refused.value.message)
        with translation.override("vi"), pytest.raises(error) as in_vietnamese:
            act(case, two, username, workflow.APPROVE)
        assert "không" in str(in_vietnamese.value.message).lower()
        assert words not in str(in_vietnamese.value.message)
    assert (Decision.objects.count(), case.events.count()) == before
    assert _state(case).status == "open"


def test_grounds_of_two_situations_are_refused_naming_mdl_trk_8(two: TwoTrackWorld) -> None:
    for lang, words in (("en", "different procedures"), ("vi", "quy trình khác nhau")):
        with translation.override(lang), pytest.raises(InvalidInput) as refused:
            _file(two, "dismissal", ["R377-D-1", "LGL25-NR-1a", "LGL25-A-3a"])
        assert refused.value.rule == "MDL-TRK-8" and "grounds" in refused.value.fields
        assert words in str(refused.value.message)
    assert not Case.objects.filter(official=two.official_chair).exists()


def test_the_report_track_shows_on_the_case_page_the_api_and_the_statistics(
    two: TwoTrackWorld,
) -> None:
    case = party_decides(_file(two, "resignation", ["R377-R-4", "LGL25-NR-1c"]), two)
    act(
        case,
        two,
        "clerk_muonghum",
        workflow.ATTACH_DOCUMENT,
        data={"kind": "evidence"},
        upload=pdf(),
    )
    act(case, two, "clerk_muonghum", workflow.COMPLETE_STEP)
    case = act(case, two, "chair_council", workflow.APPROVE)

    body = (
        api_client(two.users["clerk_muonghum"], lang="en").get(f"/api/v1/cases/{case.pk}/").json()
    )
    party, state = body["tracks"]
    assert (party["instrument"], party["status"]) == ("decision", "approved")
    assert (state["instrument"], state["status"], state["grounds"]) == (
        "report",
        "approved",
        ["LGL25-NR-1c"],
    )
    assert state["decision"]["symbol"] == "01/BC-HĐND"
    assert [s["code"] for s in state["steps"]] == ["LGL25-NR-1", "MDL-TRK-8"]
    assert (body["status"], body["outcome"]) == ("closed", "approved")

    for lang, words in (
        ("vi", ("Báo cáo 01/BC-HĐND", "Không biểu quyết miễn nhiệm", "Đã quyết định: chấp thuận")),
        ("en", ("Report 01/BC-HĐND", "No dismissal vote", "Decided: approved")),
    ):
        client = Client(HTTP_ACCEPT_LANGUAGE=lang)
        client.cookies["django_language"] = lang
        client.force_login(two.users["clerk_muonghum"])
        page = client.get(f"/cases/{case.pk}/").content.decode()
        for word in words:
            assert word in page, (lang, word)
    auditor = Client(HTTP_ACCEPT_LANGUAGE="vi")
    auditor.force_login(two.users["auditor"])
    timeline = auditor.get(f"/cases/{case.pk}/history/").content.decode()
    assert "MDL-TRK-8" in timeline and "LGL25-NR-1" in timeline

    rows = {
        (r["track"], r["track_regulation"], r["outcome"]): r.count
        for r in statistics(
            Case.objects.filter(pk=case.pk), by=["track", "track_regulation", "outcome"]
        )
    }
    assert rows == {("party", "R377", "approved"): 1, ("state_elected", "LGL25", "approved"): 1}
