"""Collective bodies, votes against the roster, facts about an official (issue #14)."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from cases.core.errors import ActionForbidden, InvalidInput, RuleViolation, TransitionNotAllowed
from cases.models import BodyType, CollectiveBody, OfficialFact, RosterMember, StepTemplate, Vote
from cases.organisation import collectives
from cases.organisation.facts import reappointment_wait, record_fact, verify_official_chain
from cases.workflow import engine as workflow
from tests.conftest import pass_exchange, pdf
from tests.facts_support import poll, record

D = datetime.date
DAY = D(2026, 3, 2)


def api(user: Any) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def _talk(case: Any, user: Any, day: datetime.date = DAY) -> None:
    workflow.perform(
        case_id=case.pk,
        user=user,
        action=workflow.RECORD_TALK,
        upload=pdf(),
        data={"held_on": day.isoformat(), "summary": "Đã trao đổi."},
        today=day,
    )


def _vote(case: Any, user: Any, day: datetime.date = DAY, **data: Any) -> Any:
    return workflow.perform(
        case_id=case.pk, user=user, action=workflow.RECORD_VOTE, data=data, today=day
    )


def _replace_commune_committee(world: Any) -> None:
    """Set aside the demo's commune committee (7 members); a test body takes its place."""
    RosterMember.objects.filter(body__unit=world.commune_party).delete()
    world.commune_party.collectives.all().delete()


TERM_START = D(2021, 6, 1)


def _standing_committee(world: Any, size: int, *, since: datetime.date = TERM_START) -> Any:
    """A Party unit's 9-member standing committee (a provincial one has 9 or more)."""
    body = CollectiveBody.objects.create(
        unit=world.commune_party,
        body_type=BodyType.PARTY_STANDING,
        name="Ban Thường vụ (kiểm thử)",
        valid_from=since,
    )
    for i in range(size):
        collectives.add_member(
            body=body,
            by=world.users["admin"],
            data={"full_name": f"Ủy viên {i + 1}", "valid_from": since},
        )
    return body


# --- votes against the roster on the meeting date (MDL-COL-2..5) --------------------------


@pytest.fixture
def party_case(world: Any, file_case: Any) -> Any:
    """A commune Party post, proposed by the commune's standing committee (replaced here
    by a 9-member one), decided by the provincial standing committee."""
    _replace_commune_committee(world)
    _standing_committee(world, 9)
    return file_case(
        "dismissal",
        official=world.official_party,
        position=world.post_party,
        by="clerk_party",
        filed_on=DAY,
        today=DAY,
    )


def test_two_votes_for_of_a_nine_member_roster_fail(party_case: Any, world: Any) -> None:
    clerk = world.users["clerk_party"]
    _talk(party_case, clerk)
    _vote(party_case, clerk, present=9, votes_for=2, votes_against=7)
    vote = party_case.votes.get()
    assert (vote.members, vote.passed) == (9, False)
    with pytest.raises(TransitionNotAllowed) as info:
        workflow.perform(
            case_id=party_case.pk, user=clerk, action=workflow.COMPLETE_STEP, today=DAY
        )
    assert info.value.rule == "R377-S-1" and "2 for out of 9 members" in str(info.value)


def test_five_of_nine_passes_and_the_event_keeps_the_roster_size_date_and_rule(
    party_case: Any, world: Any
) -> None:
    clerk = world.users["clerk_party"]
    _vote(party_case, clerk, present=7, votes_for=5, votes_against=1, invalid=1)
    vote = party_case.votes.get()
    assert (vote.members, vote.present, vote.invalid, vote.passed) == (9, 7, 1, True)
    event = party_case.events.order_by("-seq").first()
    assert event.data["members"] == 9 and event.data["roster_on"] == DAY.isoformat()
    assert event.data["collective_name"] == "Ban Thường vụ (kiểm thử)"
    assert "MDL-COL-4" in event.data["decided_by"] and "all 9 members" in event.data["threshold"]


def test_exactly_half_fails_where_the_regime_has_no_tie_rule(party_case: Any, world: Any) -> None:
    body = world.commune_party.collectives.get()
    member = body.roster_on(DAY).last()
    collectives.end_member(
        member=member,
        valid_to=DAY - datetime.timedelta(days=1),
        by=world.users["admin"],
        reason="x",
    )
    _vote(party_case, world.users["clerk_party"], present=8, votes_for=4, votes_against=4)
    vote = party_case.votes.get()
    assert (vote.members, vote.passed, vote.head_decision) == (8, False, "")


def test_the_roster_is_read_on_the_meeting_date(party_case: Any, world: Any) -> None:
    """A member whose term ended the day before the meeting is not counted."""
    body = world.commune_party.collectives.get()
    leaving = body.roster_on(DAY).first()
    collectives.end_member(
        member=leaving,
        valid_to=DAY - datetime.timedelta(days=1),
        by=world.users["clerk_party"],
        reason="Chuyển công tác",
    )
    assert body.size_on(DAY) == 8 and body.size_on(DAY - datetime.timedelta(days=1)) == 9
    clerk = world.users["clerk_party"]
    # 5 of the 8 counted on the meeting date pass; the day before, 9 were on the roster.
    _vote(party_case, clerk, present=8, votes_for=5, votes_against=3)
    assert party_case.votes.get().members == 8
    earlier = DAY - datetime.timedelta(days=1)
    _vote(
        party_case, clerk, present=9, votes_for=5, votes_against=4, meeting_on=earlier.isoformat()
    )
    assert party_case.votes.order_by("-pk").first().members == 9
    assert collectives.verify_collective_chain(body.pk)


def test_a_tie_is_decided_by_the_head_where_the_tie_rule_says_so(
    world: Any, file_case: Any
) -> None:
    # MDL-COL-5: the ND138 (2020) tie rule, set as data on a step template.
    StepTemplate.objects.filter(code="R377-S-1").update(tie_rule="head_decides")
    _replace_commune_committee(world)
    _standing_committee(world, 8)
    case = file_case(
        "dismissal",
        official=world.official_party,
        position=world.post_party,
        by="clerk_party",
        filed_on=DAY,
        today=DAY,
    )
    clerk = world.users["clerk_party"]
    with pytest.raises(InvalidInput) as info:
        _vote(case, clerk, present=8, votes_for=4, votes_against=4)
    assert "head_decision" in info.value.fields
    _vote(case, clerk, present=8, votes_for=4, votes_against=4, head_decision="for")
    vote = case.votes.get()
    assert vote.passed is True and vote.head_decision == "for" and "MDL-COL-5" in vote.decided_by


def test_a_client_sending_members_gets_a_field_error_when_it_disagrees_with_the_roster(
    party_case: Any, world: Any
) -> None:
    client = api(world.users["clerk_party"])
    body = {"action": "record_vote", "present": 9, "votes_for": 6, "votes_against": 3}
    wrong = client.post(
        f"/api/v1/cases/{party_case.pk}/actions/", {**body, "members": 3}, format="json"
    )
    assert wrong.status_code == 400
    assert "9 members" in wrong.json()["fields"]["members"][0]
    assert Vote.objects.count() == 0
    ok = client.post(f"/api/v1/cases/{party_case.pk}/actions/", body, format="json")
    assert ok.status_code == 200, ok.content
    assert ok.json()["vote"]["members"] == 9 and ok.json()["vote"]["passed"] is True


def test_the_tally_is_checked_against_the_roster(party_case: Any, world: Any) -> None:
    clerk = world.users["clerk_party"]
    with pytest.raises(InvalidInput) as info:
        _vote(party_case, clerk, present=10, votes_for=6, votes_against=3)
    assert "present" in info.value.fields
    with pytest.raises(InvalidInput) as info:
        _vote(party_case, clerk, present=9, votes_for=6, votes_against=3, invalid=1)
    assert "votes_for" in info.value.fields
    with pytest.raises(InvalidInput) as info:
        _vote(party_case, clerk, present=9, votes_for=6, votes_against=3, collective=999999)
    assert "collective" in info.value.fields
    assert Vote.objects.count() == 0


def test_the_database_refuses_a_tally_beyond_those_present(party_case: Any, world: Any) -> None:
    clerk = world.users["clerk_party"]
    _vote(party_case, clerk, present=9, votes_for=6, votes_against=3)
    with pytest.raises(IntegrityError), transaction.atomic():
        Vote.objects.filter(case=party_case).update(invalid=2)


# --- the deciding collective (MDL-COL-7) -------------------------------------------------


def test_approval_without_the_deciding_collectives_vote_is_refused_with_the_rule_id(
    party_case: Any, world: Any
) -> None:
    pass_exchange(party_case, world.users["clerk_party"], day=DAY)
    party_case.refresh_from_db()
    step = party_case.current_step
    assert step.template.code == "R377-S-2" and step.actor_unit == world.province_party
    with pytest.raises(TransitionNotAllowed) as info:
        workflow.perform(
            case_id=party_case.pk,
            user=world.users["authority_party"],
            action=workflow.APPROVE,
            today=DAY,
        )
    assert info.value.rule == "R377-S-2" and "MDL-COL-7" in str(info.value)
    assert not hasattr(party_case, "decision") or party_case.outcome == ""
    # The province's standing committee (15 on its roster) votes; then the approval passes.
    clerk = world.users["clerk_party"]
    _vote(party_case, clerk, present=15, votes_for=8, votes_against=7)
    vote = party_case.votes.order_by("-pk").first()
    assert vote.collective.body_type == BodyType.PARTY_STANDING and vote.members == 15
    workflow.perform(
        case_id=party_case.pk,
        user=world.users["authority_party"],
        action=workflow.APPROVE,
        today=DAY,
    )
    party_case.refresh_from_db()
    assert party_case.outcome == "approved"


def test_a_state_body_decides_without_a_collective_vote(world: Any, file_case: Any) -> None:
    case = pass_exchange(
        file_case("dismissal", filed_on=DAY, today=DAY), world.users["clerk"], day=DAY
    )
    case.refresh_from_db()
    assert workflow.RECORD_VOTE not in {
        a.name for a in workflow.available_actions(case, world.users["authority"], today=DAY)
    }
    workflow.perform(
        case_id=case.pk, user=world.users["authority"], action=workflow.APPROVE, today=DAY
    )


# --- rosters kept by the unit's clerks ----------------------------------------------------


def test_only_the_units_clerks_keep_its_rosters(world: Any) -> None:
    body = world.province.collectives.get()
    for username in ("authority", "auditor", "official", "clerk_other", "clerk_commune"):
        with pytest.raises(ActionForbidden):
            collectives.add_member(
                body=body,
                by=world.users[username],
                data={"full_name": "X", "valid_from": DAY},
            )
    member = collectives.add_member(
        body=body, by=world.users["clerk"], data={"full_name": "Lò Văn Páo", "valid_from": DAY}
    )
    assert body.size_on(DAY) == 10
    assert body.events.order_by("-seq").first().data["member"] == member.pk


def test_the_collectives_api_lists_bodies_with_their_roster_size_on_a_date(world: Any) -> None:
    client = api(world.users["clerk"])
    body = world.province.collectives.get()
    collectives.end_member(
        member=body.roster_on(DAY).first(),
        valid_to=D(2026, 3, 1),
        by=world.users["clerk"],
        reason="Nghỉ hưu",
    )
    listed = client.get(f"/api/v1/collectives/?unit={world.province.pk}&on=2026-03-02").json()
    assert [(b["name"], b["roster_size"]) for b in listed] == [(body.name, 8)]
    before = client.get(f"/api/v1/collectives/?unit={world.province.pk}&on=2026-03-01").json()
    assert before[0]["roster_size"] == 9
    outside = client.get(f"/api/v1/collectives/?unit={world.other_province.pk}").json()
    assert outside == []
    bad = client.get("/api/v1/collectives/?on=31/02/2026")
    assert bad.status_code == 400 and "on" in bad.json()["fields"]
    added = client.post(
        f"/api/v1/collectives/{body.pk}/members/",
        {"full_name": "Sùng A Lử", "valid_from": "2026-03-02", "decision": "QĐ 7"},
        format="json",
    )
    assert added.status_code == 201, added.content
    refused = api(world.users["authority"]).post(
        f"/api/v1/collectives/{body.pk}/members/",
        {"full_name": "X", "valid_from": "2026-03-02"},
        format="json",
    )
    assert refused.status_code == 403


def test_the_demo_provincial_standing_committee_has_at_least_nine_members(world: Any) -> None:
    body = world.province_party.collectives.get(body_type=BodyType.PARTY_STANDING)
    assert body.size_on(DAY) >= 9
    # Every demo unit has its collective.
    for unit in (world.province, world.commune, world.district, world.commune_party):
        assert unit.collectives.exists()


# --- facts about an official (MDL-COL-8) ----------------------------------------------------

FACTS: list[tuple[str, dict[str, Any]]] = [
    ("discipline", {"form": "warning", "body": "UBKT Tỉnh ủy", "document": "QĐ 1"}),
    ("inspection", {"body": "Thanh tra tỉnh", "ended_on": "2026-06-30"}),
    ("investigation", {"body": "Cơ quan điều tra"}),
    ("prosecution", {"body": "Viện kiểm sát"}),
    ("protected_task", {"task": "Nhiệm vụ an ninh"}),
    (
        "confidence_poll",
        {
            "regime": "QD96",
            "body": "BCH Đảng bộ",
            "ballots_issued": 50,
            "ballots_valid": 48,
            "high": 20,
            "confidence": 20,
            "low": 8,
        },
    ),
    (
        "confidence_vote",
        {
            "body": "HĐND tỉnh",
            "ballots_issued": 50,
            "ballots_valid": 50,
            "confidence": 30,
            "no_confidence": 20,
        },
    ),
    ("annual_rating", {"rating": "not_completed", "year": 2025}),
]


@pytest.mark.parametrize(("kind", "details"), FACTS, ids=[k for k, _ in FACTS])
def test_a_clerk_records_each_kind_of_fact_through_the_api(
    world: Any, kind: str, details: dict[str, Any]
) -> None:
    official = world.official_same
    response = api(world.users["clerk"]).post(
        f"/api/v1/officials/{official.pk}/circumstances/",
        {"kind": kind, "started_on": "2026-01-15", "reason": "Theo hồ sơ", **details},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["kind"] == kind and response.json()["actor_name"]
    history = api(world.users["auditor"]).get(f"/api/v1/officials/{official.pk}/circumstances/")
    assert history.json()["chain_valid"] is True and len(history.json()["facts"]) == 1
    assert verify_official_chain(official.pk).valid


@pytest.mark.parametrize(("kind", "details"), FACTS, ids=[k for k, _ in FACTS])
def test_a_clerk_records_each_kind_of_fact_on_the_web(
    world: Any, kind: str, details: dict[str, Any]
) -> None:
    from django.test import Client

    client = Client()
    client.cookies["django_language"] = "en"  # pages are Vietnamese until the user switches
    client.force_login(world.users["clerk"])
    official = world.official_same
    response = client.post(
        f"/officials/{official.pk}/facts/",
        {"kind": kind, "started_on": "2026-01-15", "reason": "Theo hồ sơ", **details},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    fact = OfficialFact.objects.get(official=official)
    assert fact.kind == kind and fact.actor == world.users["clerk"]
    page = client.get(f"/officials/{official.pk}/facts/")
    assert page.status_code == 200 and "History verified" in page.content.decode()


@pytest.mark.parametrize("username", ["official", "auditor", "authority", "clerk_other"])
def test_an_official_an_auditor_an_authority_or_an_out_of_scope_clerk_cannot_record_facts(
    world: Any, username: str
) -> None:
    from django.test import Client

    official = world.official_self if username == "official" else world.official_same
    body = {"kind": "inspection", "started_on": "2026-01-15", "body": "Thanh tra"}
    answer = api(world.users[username]).post(
        f"/api/v1/officials/{official.pk}/circumstances/", body, format="json"
    )
    assert answer.status_code == (404 if username == "clerk_other" else 403)
    web = Client(HTTP_ACCEPT_LANGUAGE="en")
    web.force_login(world.users[username])
    assert web.post(f"/officials/{official.pk}/facts/", body).status_code in (403, 404)
    with pytest.raises((ActionForbidden,)):
        record_fact(official=official, by=world.users[username], data=body)
    assert OfficialFact.objects.count() == 0


def test_a_correction_is_a_new_event_and_the_history_is_append_only(world: Any) -> None:
    official = world.official_same
    first = record(official, "inspection", D(2026, 1, 5), by=world.users["clerk"])
    with pytest.raises(InvalidInput) as info:
        record_fact(
            official=official,
            by=world.users["clerk"],
            data={
                "kind": "inspection",
                "started_on": "2026-01-06",
                "body": "x",
                "corrects": first.pk,
            },
        )
    assert "reason" in info.value.fields
    second = record_fact(
        official=official,
        by=world.users["clerk"],
        data={
            "kind": "inspection",
            "started_on": "2026-01-06",
            "body": "Thanh tra tỉnh",
            "corrects": first.pk,
        },
        reason="Sai ngày bắt đầu",
    )
    assert second.seq == 2 and second.prev_hash == first.hash
    with pytest.raises(Exception), transaction.atomic():  # noqa: B017 - the trigger's error class
        OfficialFact.objects.filter(pk=first.pk).update(reason="sửa")
    assert verify_official_chain(official.pk).valid
    with connection.cursor() as cursor:  # tampering behind the triggers is detected
        from cases.audit import sql as audit_sql

        audit_sql.uninstall(connection)
        try:
            cursor.execute(
                "UPDATE cases_officialfact SET reason = %s WHERE id = %s", ["giả", first.pk]
            )
        finally:
            audit_sql.install(connection)
    assert not verify_official_chain(official.pk).valid


def test_a_resignation_filed_after_an_inspection_fact_is_refused_naming_the_fact(
    world: Any, file_case: Any
) -> None:
    fact = record(world.official_same, "inspection", D(2021, 9, 1), by=world.users["clerk"])
    with pytest.raises(RuleViolation) as info:
        file_case("resignation", grounds=["R260-R-2"], filed_on=D(2021, 10, 4))
    assert info.value.rule == "R260-NR-2"
    assert f"fact #{fact.seq}" in str(info.value) and "Thanh tra tỉnh" in str(info.value)


def test_a_warning_under_r377_is_a_warning_not_a_block_and_names_the_fact(
    world: Any, file_case: Any
) -> None:
    from cases.models import Exclusion

    Exclusion.objects.filter(code="R377-NR-3").update(enabled=True)
    record(world.official_same, "investigation", D(2026, 1, 5), by=world.users["clerk"])
    case = file_case("resignation", grounds=["R377-R-1"], filed_on=DAY, today=DAY)
    assert case.warnings and case.warnings[0].startswith("R377-NR-3")
    assert "fact #1" in case.warnings[0]


# --- poll bands at the exact boundaries (docs/REGULATIONS.md §6) ---------------------------------


@pytest.mark.parametrize(
    ("low", "issued", "bands"),
    [
        (50, 100, []),
        (51, 100, ["R41-R-3", "QD96-LC-1"]),
        (66, 99, ["R41-R-3", "QD96-LC-2"]),  # exactly 2/3: QD96-LC-2 (≥), not R41-D-3 (>)
        (67, 100, ["R41-D-3", "QD96-LC-2"]),
        (2, 3, ["R41-R-3", "QD96-LC-2"]),
    ],
)
def test_party_poll_bands_are_computed_from_the_recorded_counts(
    world: Any, low: int, issued: int, bands: list[str]
) -> None:
    from cases.catalog import rules

    fact = poll(world.official_same, D(2026, 1, 5), low=low, issued=issued)
    assert rules.poll_bands(fact) == bands


@pytest.mark.parametrize(
    ("low", "issued", "bands"),
    [(50, 100, []), (51, 100, ["NQ96-LC-1"]), (66, 99, ["NQ96-LC-2"]), (65, 99, ["NQ96-LC-1"])],
)
def test_elected_post_poll_bands_are_computed_at_the_boundaries(
    world: Any, low: int, issued: int, bands: list[str]
) -> None:
    from cases.catalog import rules

    fact = poll(world.official_same, D(2026, 1, 5), low=low, issued=issued, regime="NQ96")
    assert rules.poll_bands(fact) == bands


@pytest.mark.parametrize(("no", "issued", "band"), [(25, 50, []), (26, 50, ["NQ96-LC-4"])])
def test_a_vote_of_confidence_needs_more_than_half_no_confidence(
    world: Any, no: int, issued: int, band: list[str]
) -> None:
    from cases.catalog import rules

    fact = record(
        world.official_same,
        "confidence_vote",
        D(2026, 1, 5),
        body="HĐND tỉnh",
        ballots_issued=issued,
        ballots_valid=issued,
        confidence=issued - no,
        no_confidence=no,
    )
    assert rules.confidence_vote_bands(fact) == band


def test_the_poll_ground_reads_the_recorded_poll_and_names_it(world: Any, file_case: Any) -> None:
    poll(world.official_same, D(2026, 1, 5), low=50, issued=100)
    with pytest.raises(RuleViolation) as info:
        file_case("resignation", grounds=["R377-R-3"], filed_on=DAY, today=DAY)
    assert info.value.rule == "R377-R-3" and "fact #1" in str(info.value)


def test_poll_counts_that_do_not_add_up_are_refused(world: Any) -> None:
    with pytest.raises(InvalidInput) as info:
        record(
            world.official_same,
            "confidence_poll",
            D(2026, 1, 5),
            regime="QD96",
            body="BCH",
            ballots_issued=10,
            ballots_valid=10,
            high=3,
            confidence=3,
            low=3,
        )
    assert "low" in info.value.fields and OfficialFact.objects.count() == 0


# --- after leaving: the re-appointment wait (TL-377-4..6) ---------------------------------


def test_a_warning_on_15_01_2026_allows_reappointment_from_15_01_2029(world: Any) -> None:
    from django.test import Client

    official = world.official_same
    record(official, "discipline", D(2026, 1, 15), by=world.users["clerk"], form="warning")
    wait = reappointment_wait(official)
    assert wait is not None and (wait.rule, wait.from_date) == ("TL-377-5", D(2029, 1, 15))
    body = api(world.users["clerk"]).get(f"/api/v1/officials/{official.pk}/circumstances/").json()
    assert body["reappointment"]["may_be_reappointed_from"] == "2029-01-15"
    client = Client()
    client.cookies["django_language"] = "en"  # pages are Vietnamese until the user switches
    client.force_login(world.users["clerk"])
    page = client.get(f"/officials/{official.pk}/facts/").content.decode()
    assert "May be re-appointed or nominated to a higher post from 15/01/2029" in page


@pytest.mark.parametrize(
    ("form", "until"), [("reprimand", D(2028, 1, 15)), ("removal", D(2031, 1, 15))]
)
def test_the_other_waits_are_24_and_60_months(world: Any, form: str, until: datetime.date) -> None:
    record(world.official_same, "discipline", D(2026, 1, 15), form=form)
    assert reappointment_wait(world.official_same).from_date == until


def test_the_wait_can_be_counted_from_the_effective_date(world: Any, settings: Any) -> None:
    settings.REAPPOINTMENT_WAIT_ANCHOR = "effective"
    record(
        world.official_same, "discipline", D(2026, 1, 15), form="warning", effective_on="2026-02-01"
    )
    assert reappointment_wait(world.official_same).from_date == D(2029, 2, 1)


def test_the_approved_case_shows_the_consequences_after_leaving(world: Any, file_case: Any) -> None:
    """R377-PO-1 (placement one level lower) and the wait of the discipline on record."""
    from django.test import Client

    from tests.facts_support import record as record_fact_of

    record_fact_of(world.official_same, "discipline", D(2026, 1, 15), form="warning")
    case = pass_exchange(
        file_case("termination", grounds=["R377-T-3"], filed_on=DAY, today=DAY),
        world.users["clerk"],
        day=DAY,
    )
    workflow.perform(
        case_id=case.pk, user=world.users["authority"], action=workflow.APPROVE, today=DAY
    )
    client = Client()
    client.cookies["django_language"] = "en"  # pages are Vietnamese until the user switches
    client.force_login(world.users["clerk"])
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert 'data-testid="consequences"' in page
    assert "R377-PO-1" in page and "TL-377-5" in page and "15/01/2029" in page
