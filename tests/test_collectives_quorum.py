"""MDL-COL-6: a body's quorum, off by default, set by its roster keepers, enforced on votes."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from django.utils import translation
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from cases.core.errors import ActionForbidden, InvalidInput
from cases.models import BodyType, CollectiveBody, CollectiveEvent, RosterMember, Vote
from cases.organisation import collectives
from cases.workflow import engine as workflow

D = datetime.date
DAY = D(2026, 3, 2)
TERM_START = D(2021, 6, 1)


def api(user: Any, language: str = "en") -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE=language)
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def web(user: Any, language: str = "en") -> Client:
    client = Client()
    client.cookies["django_language"] = language  # pages are Vietnamese until switched
    client.force_login(user)
    return client


def _committee(world: Any, size: int) -> CollectiveBody:
    """The commune Party unit's standing committee, replaced by one of ``size`` members."""
    RosterMember.objects.filter(body__unit=world.commune_party).delete()
    world.commune_party.collectives.all().delete()
    body = CollectiveBody.objects.create(
        unit=world.commune_party,
        body_type=BodyType.PARTY_STANDING,
        name="Ban Thường vụ (kiểm thử)",
        valid_from=TERM_START,
    )
    for i in range(size):
        collectives.add_member(
            body=body,
            by=world.users["admin"],
            data={"full_name": f"Ủy viên {i + 1}", "valid_from": TERM_START},
        )
    return body


def _two_thirds(body: CollectiveBody, world: Any) -> CollectiveBody:
    return collectives.set_quorum(
        body=body,
        numerator=2,
        denominator=3,
        by=world.users["clerk_party"],
        reason="Quy chế làm việc của Ban Thường vụ",
    )


def _case(world: Any, file_case: Any) -> Any:
    """A commune Party post: the commune's standing committee votes at R377-S-1."""
    return file_case(
        "dismissal",
        official=world.official_party,
        position=world.post_party,
        by="clerk_party",
        filed_on=DAY,
        today=DAY,
    )


def _vote(case: Any, user: Any, **data: Any) -> Any:
    return workflow.perform(
        case_id=case.pk, user=user, action=workflow.RECORD_VOTE, data=data, today=DAY
    )


def _state(case: Any, body: CollectiveBody) -> tuple[Any, ...]:
    """Everything a refused vote must leave as it was."""
    case.refresh_from_db()
    body.refresh_from_db()
    return (
        Vote.objects.count(),
        case.event_count,
        case.last_event_hash,
        case.events.count(),
        body.event_count,
        body.last_event_hash,
        CollectiveEvent.objects.count(),
    )


# --- off by default ---------------------------------------------------------------------------


def test_no_demo_or_fixture_body_has_a_quorum(world: Any) -> None:
    assert CollectiveBody.objects.exists()
    assert not CollectiveBody.objects.filter(quorum_numerator__isnull=False).exists()
    assert not CollectiveBody.objects.filter(quorum_denominator__isnull=False).exists()


def test_without_a_quorum_a_vote_with_few_present_counts_as_before(
    world: Any, file_case: Any
) -> None:
    _committee(world, 9)
    case = _case(world, file_case)
    _vote(case, world.users["clerk_party"], present=5, votes_for=5, votes_against=0)
    vote = case.votes.get()
    # 5 for of all 9 members passes (MDL-COL-4), though only 5 of 9 came.
    assert (vote.members, vote.present, vote.passed) == (9, 5, True)


# --- enforced on the vote, at the exact boundary --------------------------------------------


@pytest.mark.parametrize(
    ("size", "present", "accepted"),
    [(9, 5, False), (9, 6, True), (15, 9, False), (15, 10, True)],
    ids=["9-members-5-present", "9-members-6-present", "15-members-9", "15-members-10"],
)
def test_two_thirds_of_the_roster_must_be_present(
    world: Any, file_case: Any, size: int, present: int, accepted: bool
) -> None:
    body = _two_thirds(_committee(world, size), world)
    case = _case(world, file_case)
    before = _state(case, body)
    clerk = world.users["clerk_party"]
    if accepted:
        _vote(case, clerk, present=present, votes_for=present, votes_against=0)
        vote = case.votes.get()
        assert (vote.members, vote.present) == (size, present)
        return
    with pytest.raises(InvalidInput) as info:
        _vote(case, clerk, present=present, votes_for=present, votes_against=0)
    needed = -(-size * 2 // 3)
    assert info.value.rule == "MDL-COL-6" and list(info.value.fields) == ["present"]
    assert f"at least {needed} of the {size}" in str(info.value)
    assert f"{present} members were present" in str(info.value)
    assert "MDL-COL-6" in str(info.value.fields["present"][0])
    # Nothing written: no vote row, no case event, both chains unchanged.
    assert _state(case, body) == before
    assert collectives.verify_collective_chain(body.pk)


def test_the_quorum_counts_the_roster_on_the_meeting_date(world: Any, file_case: Any) -> None:
    """Three members left the day before the meeting: 6 on the roster, 4 present suffice."""
    body = _two_thirds(_committee(world, 9), world)
    for member in body.roster_on(DAY)[:3]:
        collectives.end_member(
            member=member,
            valid_to=DAY - datetime.timedelta(days=1),
            by=world.users["admin"],
            reason="x",
        )
    case = _case(world, file_case)
    _vote(case, world.users["clerk_party"], present=4, votes_for=4, votes_against=0)
    assert (case.votes.get().members, case.votes.get().present) == (6, 4)


def test_present_above_the_roster_and_votes_above_present_are_still_refused(
    world: Any, file_case: Any
) -> None:
    _two_thirds(_committee(world, 9), world)
    case = _case(world, file_case)
    clerk = world.users["clerk_party"]
    with pytest.raises(InvalidInput) as info:
        _vote(case, clerk, present=10, votes_for=6, votes_against=3)
    assert "present" in info.value.fields and info.value.rule == ""
    with pytest.raises(InvalidInput) as info:
        _vote(case, clerk, present=6, votes_for=6, votes_against=1)
    assert "votes_for" in info.value.fields
    assert Vote.objects.count() == 0


def test_the_database_refuses_a_half_set_or_improper_quorum(world: Any) -> None:
    body = _committee(world, 9)
    for values in (
        {"quorum_numerator": 2},
        {"quorum_denominator": 3},
        {"quorum_numerator": 4, "quorum_denominator": 3},
        {"quorum_numerator": 0, "quorum_denominator": 3},
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            CollectiveBody.objects.filter(pk=body.pk).update(**values)


# --- the API and the web answer the refusal on the field, in both languages ----------------------


@pytest.mark.parametrize("language", ["en", "vi"])
def test_the_api_refuses_a_vote_below_the_quorum_naming_the_field(
    world: Any, file_case: Any, language: str
) -> None:
    body = _two_thirds(_committee(world, 9), world)
    case = _case(world, file_case)
    before = _state(case, body)
    answer = api(world.users["clerk_party"], language).post(
        f"/api/v1/cases/{case.pk}/actions/",
        {"action": "record_vote", "present": 5, "votes_for": 5, "votes_against": 0},
        format="json",
    )
    assert answer.status_code == 400, answer.content
    body_json = answer.json()
    assert body_json["code"] == "invalid" and list(body_json["fields"]) == ["present"]
    assert "MDL-COL-6" in body_json["detail"] and "MDL-COL-6" in body_json["fields"]["present"][0]
    if language == "vi":
        assert "túc số" in body_json["detail"] and "có mặt" in body_json["fields"]["present"][0]
    else:
        assert "quorum" in body_json["detail"] and "at least 6 of the 9" in body_json["detail"]
    assert _state(case, body) == before


def test_the_api_needs_the_number_present(world: Any, file_case: Any) -> None:
    _two_thirds(_committee(world, 9), world)
    case = _case(world, file_case)
    answer = api(world.users["clerk_party"]).post(
        f"/api/v1/cases/{case.pk}/actions/",
        {"action": "record_vote", "votes_for": 6, "votes_against": 0},
        format="json",
    )
    assert answer.status_code == 400 and "present" in answer.json()["fields"]
    assert Vote.objects.count() == 0


@pytest.mark.parametrize("language", ["en", "vi"])
def test_the_vote_form_shows_the_quorum_and_its_refusal_on_the_present_field(
    world: Any, file_case: Any, language: str
) -> None:
    body = _two_thirds(_committee(world, 9), world)
    case = _case(world, file_case)
    client = web(world.users["clerk_party"], language)
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert 'data-testid="vote-quorum"' in page and 'data-quorum="6"' in page
    before = _state(case, body)
    answer = client.post(
        reverse("case_action", args=[case.pk, "record_vote"]),
        {
            "record_vote-step_id": case.current_step_id,
            "record_vote-present": "5",
            "record_vote-votes_for": "5",
            "record_vote-votes_against": "0",
        },
    )
    assert answer.status_code == 400
    html = answer.content.decode()
    # The refusal sits on the "present" field (and, with its rule, above the form).
    error = html.split('id="id_record_vote-present_error">', 1)[1].split("</p>", 1)[0]
    assert "MDL-COL-6" in error
    assert "id_record_vote-votes_for_error" not in html
    if language == "vi":
        assert "túc số" in html and "Below the quorum" not in error
    else:
        assert "Below the quorum: at least 6 of the 9 members must be present" in error
    assert _state(case, body) == before


def test_the_vote_form_says_nothing_of_a_quorum_when_there_is_none(
    world: Any, file_case: Any
) -> None:
    _committee(world, 9)
    case = _case(world, file_case)
    page = web(world.users["clerk_party"]).get(f"/cases/{case.pk}/").content.decode()
    assert 'data-testid="roster-size"' in page and 'data-testid="vote-quorum"' not in page


# --- set by the roster keepers, audited ---------------------------------------------------------


def test_setting_the_quorum_is_an_event_of_the_bodys_history(world: Any) -> None:
    body = _committee(world, 9)
    seq = body.event_count
    _two_thirds(body, world)
    collectives.set_quorum(
        body=body, numerator=None, denominator=None, by=world.users["admin"], reason="Bỏ túc số"
    )
    body.refresh_from_db()
    assert (body.quorum_numerator, body.quorum_denominator) == (None, None)
    set_on, cleared = body.events.filter(seq__gt=seq).order_by("seq")
    assert (set_on.action, set_on.data["quorum"], set_on.data["from_quorum"]) == (
        "set_quorum",
        [2, 3],
        None,
    )
    assert set_on.actor == world.users["clerk_party"]
    assert set_on.reason == "Quy chế làm việc của Ban Thường vụ"
    assert (cleared.data["quorum"], cleared.data["from_quorum"], cleared.reason) == (
        None,
        [2, 3],
        "Bỏ túc số",
    )
    assert collectives.verify_collective_chain(body.pk)


@pytest.mark.parametrize(
    ("numerator", "denominator", "field"),
    [
        (2, None, "quorum_denominator"),
        (None, 3, "quorum_numerator"),
        (4, 3, "quorum_numerator"),
        (0, 3, "quorum_numerator"),
        (2, 0, "quorum_denominator"),
        (2, 1001, "quorum_denominator"),
        (True, 3, "quorum_numerator"),
        ("2", "x", "quorum_denominator"),
    ],
)
def test_a_quorum_needs_both_terms_and_a_proper_fraction(
    world: Any, numerator: Any, denominator: Any, field: str
) -> None:
    body = _committee(world, 9)
    before = body.event_count
    with pytest.raises(InvalidInput) as info:
        collectives.set_quorum(
            body=body,
            numerator=numerator,
            denominator=denominator,
            by=world.users["clerk_party"],
            reason="Quy chế",
        )
    assert field in info.value.fields and info.value.rule == "MDL-COL-6"
    body.refresh_from_db()
    assert body.quorum_numerator is None and body.event_count == before


def test_a_quorum_change_needs_a_reason(world: Any) -> None:
    body = _committee(world, 9)
    with pytest.raises(InvalidInput) as info:
        collectives.set_quorum(
            body=body, numerator=2, denominator=3, by=world.users["clerk_party"], reason="  "
        )
    assert list(info.value.fields) == ["reason"]


@pytest.mark.parametrize(
    "username", ["authority_party", "auditor", "official", "clerk", "clerk_commune", "clerk_other"]
)
def test_only_the_units_clerks_and_administrators_set_the_quorum(world: Any, username: str) -> None:
    body = _committee(world, 9)
    before = (body.event_count, CollectiveEvent.objects.count())
    user = world.users[username]
    with pytest.raises(ActionForbidden):
        collectives.set_quorum(body=body, numerator=2, denominator=3, by=user, reason="Quy chế")
    payload = {"quorum_numerator": 2, "quorum_denominator": 3, "reason": "Quy chế"}
    visible = collectives.collectives_visible_to(user).filter(pk=body.pk).exists()
    answer = api(user).post(f"/api/v1/collectives/{body.pk}/quorum/", payload, format="json")
    assert answer.status_code == (403 if visible else 404), answer.content
    page = web(user).post(
        f"/collectives/{body.pk}/",
        {"form": "quorum", **{f"quorum-{k}": v for k, v in payload.items()}},
    )
    assert page.status_code == (403 if visible else 404)
    body.refresh_from_db()
    assert body.quorum_numerator is None
    assert (body.event_count, CollectiveEvent.objects.count()) == before


def test_a_clerk_sets_and_clears_the_quorum_through_the_api(world: Any) -> None:
    body = _committee(world, 9)
    client = api(world.users["clerk_party"])
    url = f"/api/v1/collectives/{body.pk}/quorum/"
    answer = client.post(
        url, {"quorum_numerator": 2, "quorum_denominator": 3, "reason": "Quy chế"}, format="json"
    )
    assert answer.status_code == 200, answer.content
    data = answer.json()
    assert (data["quorum_numerator"], data["quorum_denominator"], data["roster_size"]) == (2, 3, 9)
    assert data["quorum"] == 6
    listed = client.get(f"/api/v1/collectives/{body.pk}/?on=2026-03-02").json()
    assert listed["quorum"] == 6
    bad = client.post(
        url, {"quorum_numerator": 3, "quorum_denominator": 2, "reason": "Sai"}, format="json"
    )
    assert bad.status_code == 400 and list(bad.json()["fields"]) == ["quorum_numerator"]
    half = client.post(
        url, {"quorum_numerator": 2, "quorum_denominator": None, "reason": "Sai"}, format="json"
    )
    assert half.status_code == 400 and "quorum_denominator" in half.json()["fields"]
    cleared = client.post(
        url,
        {"quorum_numerator": None, "quorum_denominator": None, "reason": "Bỏ"},
        format="json",
    )
    assert cleared.status_code == 200 and cleared.json()["quorum"] is None
    assert body.events.filter(action="set_quorum").count() == 2


@pytest.mark.parametrize("language", ["en", "vi"])
def test_a_clerk_sets_the_quorum_on_the_collective_page(world: Any, language: str) -> None:
    body = _committee(world, 9)
    client = web(world.users["clerk_party"], language)
    page = client.get(f"/collectives/{body.pk}/").content.decode()
    assert 'data-testid="set-quorum"' in page and "MDL-COL-6" in page
    refused = client.post(
        f"/collectives/{body.pk}/",
        {"form": "quorum", "quorum-quorum_numerator": "2", "quorum-reason": "Quy chế"},
    )
    assert refused.status_code == 400
    assert "quorum_denominator" in refused.context["quorum"].errors
    if language == "vi":
        assert "mẫu số" in refused.content.decode()
    body.refresh_from_db()
    assert body.quorum_numerator is None
    saved = client.post(
        f"/collectives/{body.pk}/",
        {
            "form": "quorum",
            "quorum-quorum_numerator": "2",
            "quorum-quorum_denominator": "3",
            "quorum-reason": "Quy chế làm việc",
        },
    )
    assert saved.status_code == 302
    body.refresh_from_db()
    assert (body.quorum_numerator, body.quorum_denominator) == (2, 3)
    shown = client.get(f"/collectives/{body.pk}/?on=2026-03-02").content.decode()
    assert "2/3" in shown and ("6 of the 9" in shown if language == "en" else "6/9" not in shown)
    assert body.events.order_by("-seq").first().actor == world.users["clerk_party"]


def test_the_english_and_vietnamese_refusals_differ(world: Any) -> None:
    """The message is translated (the catalog holds the Vietnamese text)."""
    body = _two_thirds(_committee(world, 9), world)
    texts = {}
    for language in ("en", "vi"):
        with translation.override(language), pytest.raises(InvalidInput) as info:
            collectives.require_quorum(body=body, meeting_on=DAY, members=9, present=5)
        texts[language] = str(info.value)
    assert texts["en"] != texts["vi"] and all("MDL-COL-6" in t for t in texts.values())
    assert all("02/03/2026" in t for t in texts.values())
