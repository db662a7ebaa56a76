"""Tamper evidence that survives the database owner (issue 16, point 3).

Each attack is done with the owner's rights (the append-only triggers dropped, the chain
and the case's head recomputed as well as one can without the HMAC key) after a signed
checkpoint, and must fail verification. They run on SQLite and, in CI, on PostgreSQL.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from cases.audit.chain import verify_all_chains, verify_case_chain
from cases.audit.checkpoints import take_checkpoint
from cases.core import audit_keys as keys
from cases.models import AuditCheckpoint, Case
from cases.workflow import engine as workflow
from tests.audit_support import drop_newest_events, erase_case, rechain, rewrite_data
from tests.conftest import pass_exchange, pdf


@pytest.fixture
def checkpoint(django_capture_on_commit_callbacks):
    """Take a checkpoint and publish it (the file line and mail follow the commit)."""

    def _take() -> AuditCheckpoint | None:
        with django_capture_on_commit_callbacks(execute=True):
            return take_checkpoint()

    return _take


@pytest.fixture
def voted(file_case, world, checkpoint) -> Case:
    """A dismissal whose body voted 4–1, checkpointed."""
    # The commune's People's Committee (5 on its roster) proposes the dismissal of its chair.
    commune_case = file_case(
        "dismissal", official=world.official_self, position=world.post_superior, by="clerk_commune"
    )
    case = pass_exchange(commune_case, world.users["clerk_commune"], votes_for=4)
    assert checkpoint() is not None
    return case


def test_every_event_is_sealed_with_the_current_hmac_key(voted) -> None:
    current, _key = keys.current_hmac_key()
    assert {e.key_id for e in voted.events.all()} == {current}
    assert verify_case_chain(voted.pk).valid


@pytest.mark.parametrize("attacker_key", [None, "own"])
def test_a_vote_rewritten_from_4_1_to_1_4_and_rechained_is_detected(
    voted, attacker_key: str | None
) -> None:
    vote = voted.events.get(action="record_vote")
    assert (vote.data["for"], vote.data["against"]) == (4, 1)
    rewrite_data(vote, **{"for": 1, "against": 4, "passed": False})
    if attacker_key is None:
        rechain(voted.pk)  # the plain SHA-256 anyone can compute
    else:
        rechain(voted.pk, key_id=keys.current_hmac_key()[0], key=secrets.token_bytes(32))
    vote.refresh_from_db()
    assert vote.data["for"] == 1
    check = verify_case_chain(voted.pk)
    assert not check.valid
    assert [c.case_id for c in verify_all_chains()] == [voted.pk]
    with pytest.raises(CommandError):
        call_command("verify_audit")


def test_a_rewritten_vote_is_detected_without_a_checkpoint_when_unkeyed_seals_are_refused(
    file_case, world, settings
) -> None:
    settings.AUDIT_ACCEPT_UNKEYED = False
    # The commune's People's Committee (5 on its roster) proposes the dismissal of its chair.
    commune_case = file_case(
        "dismissal", official=world.official_self, position=world.post_superior, by="clerk_commune"
    )
    case = pass_exchange(commune_case, world.users["clerk_commune"], votes_for=4)
    rewrite_data(case.events.get(action="record_vote"), **{"for": 1, "against": 4})
    rechain(case.pk)
    check = verify_case_chain(case.pk)
    assert not check.valid and "unkeyed" in check.detail


def test_dropping_the_newest_events_is_detected(voted) -> None:
    drop_newest_events(voted.pk, keep=2)
    assert Case.objects.get(pk=voted.pk).event_count == 2
    check = verify_case_chain(voted.pk)
    assert not check.valid and "events missing" in check.detail
    with pytest.raises(CommandError):
        call_command("verify_audit")


def test_erasing_a_whole_open_case_is_detected(voted, file_case, world, checkpoint) -> None:
    other = pass_exchange(file_case("dismissal"), world.users["clerk"])
    assert checkpoint() is not None
    erase_case(voted.pk)
    assert not Case.objects.filter(pk=voted.pk).exists()
    broken = {c.case_id: c for c in verify_all_chains()}
    assert set(broken) == {voted.pk} and "erased" in broken[voted.pk].detail
    assert verify_case_chain(other.pk).valid
    with pytest.raises(CommandError) as info:
        call_command("verify_audit")
    assert f"case {voted.pk}" in str(info.value) or "1 of" in str(info.value)


def test_editing_or_removing_a_checkpoint_row_is_detected(voted) -> None:
    row = AuditCheckpoint.objects.get()
    AuditCheckpoint.objects.filter(pk=row.pk).update(heads={})
    assert not verify_case_chain(voted.pk).valid
    AuditCheckpoint.objects.all().delete()
    broken = verify_all_chains()
    assert broken and "missing from the database" in broken[0].detail


def test_a_forged_checkpoint_line_is_detected(voted, settings) -> None:
    path = Path(settings.AUDIT_CHECKPOINT_FILE)
    line = json.loads(path.read_text().splitlines()[-1])
    line["head"] = "f" * 64
    with path.open("a") as handle:
        handle.write(json.dumps(line) + "\n")
    broken = verify_all_chains()
    assert broken and "not validly signed" in broken[0].detail


def test_checkpoints_are_signed_appended_and_mailed_to_the_auditors(
    voted, world, settings, mailoutbox, checkpoint
) -> None:
    assert checkpoint() is None  # nothing moved since the fixture's checkpoint
    workflow.perform(
        case_id=voted.pk,
        user=world.users["authority"],
        action=workflow.ATTACH_DOCUMENT,
        data={"kind": "proposal"},
        upload=pdf("note.pdf"),
    )
    second = checkpoint()
    assert second is not None and second.seq == 2
    lines = Path(settings.AUDIT_CHECKPOINT_FILE).read_text().splitlines()
    assert [json.loads(x)["seq"] for x in lines] == [1, 2]
    assert json.loads(lines[1])["prev"] == json.loads(lines[0])["head"]
    auditors = sorted(u.email for k, u in world.users.items() if k.startswith("auditor"))
    assert [sorted(m.to) for m in mailoutbox] == [auditors, auditors]
    assert lines[1] in mailoutbox[1].body
    assert verify_all_chains() == []


def test_a_rotated_key_still_verifies_the_events_it_sealed(
    file_case, world, settings, tmp_path
) -> None:
    settings.AUDIT_HMAC_KEYS = ""
    settings.AUDIT_HMAC_KEY_FILE = str(tmp_path / "hmac.keys")
    first = pass_exchange(file_case("dismissal"), world.users["clerk"])
    assert keys.current_hmac_key()[0] == "k1"
    call_command("rotate_audit_key")
    assert keys.current_hmac_key()[0] == "k2"
    second = file_case(
        "dismissal", official=world.official_self, position=world.post_superior, by="clerk_commune"
    )
    assert {e.key_id for e in first.events.all()} == {"k1"}
    assert {e.key_id for e in second.events.all()} == {"k2"}
    assert verify_all_chains() == []
    # Without the old key, its events can no longer be verified: the key id says which.
    Path(settings.AUDIT_HMAC_KEY_FILE).write_text(
        "\n".join(
            line
            for line in Path(settings.AUDIT_HMAC_KEY_FILE).read_text().splitlines()
            if line.startswith("k2 ")
        )
        + "\n"
    )
    check = verify_case_chain(first.pk)
    assert not check.valid and "unknown key 'k1'" in check.detail
