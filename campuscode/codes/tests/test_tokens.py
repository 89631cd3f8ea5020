import time

import pytest
from django.core.management import call_command

from campuscode.codes import keys as keystore
from campuscode.codes.tokens import PREFIX, Colour, Reason, issue_token, verify_token
from campuscode.core.rules import set_setting
from campuscode.people.models import Person
from conftest import tamper

pytestmark = pytest.mark.django_db


def test_it_verifies_a_fresh_token_with_person_and_colour(student):
    verdict = verify_token(issue_token(person=student, colour=Colour.YELLOW))
    assert (verdict.ok, verdict.reason, verdict.person, verdict.colour) == (
        True,
        Reason.OK,
        student,
        "yellow",
    )


def test_the_token_is_compact_enough_for_a_quick_scan(student):
    token = issue_token(person=student, colour=Colour.GREEN)
    assert token.startswith(PREFIX) and len(token) == 114


def test_it_refuses_an_expired_token(student, time_machine):
    time_machine.move_to("2026-03-01 08:00 +0800", tick=False)
    token = issue_token(person=student, colour=Colour.GREEN)
    time_machine.move_to("2026-03-01 08:01:29 +0800", tick=False)
    assert verify_token(token).ok
    time_machine.move_to("2026-03-01 08:01:31 +0800", tick=False)
    assert verify_token(token).reason == Reason.EXPIRED


def test_the_lifetime_is_a_school_setting(student):
    set_setting(key="code_refresh_seconds", value=10)  # the validity must stay longer
    set_setting(key="code_lifetime_seconds", value=20)
    token = issue_token(person=student, colour=Colour.GREEN, now=time.time() - 25)
    assert verify_token(token).reason == Reason.EXPIRED


def test_it_refuses_a_token_from_the_future(student):
    token = issue_token(person=student, colour=Colour.GREEN, now=time.time() + 3600)
    assert verify_token(token).reason == Reason.EXPIRED


def test_it_refuses_an_altered_colour_or_person_as_bad_signature(student):
    token = issue_token(person=student, colour=Colour.RED)
    assert verify_token(tamper(token, 13)).reason == Reason.BAD_SIGNATURE  # colour byte
    assert verify_token(tamper(token, 12)).reason == Reason.BAD_SIGNATURE  # person id
    assert verify_token(tamper(token, 40)).reason == Reason.BAD_SIGNATURE  # signature


def test_it_refuses_an_unknown_key(student):
    token = issue_token(person=student, colour=Colour.GREEN)
    assert verify_token(tamper(token, 2)).reason == Reason.UNKNOWN_KEY


@pytest.mark.parametrize(
    "token",
    ["", "hello", "CC1.", "CC1.!!!!", "CC1." + "A" * 300, "CC2." + "A" * 110, None, 42],
)
def test_it_calls_garbage_malformed_and_never_raises(token):
    verdict = verify_token(token)
    assert (verdict.ok, verdict.reason) == (False, Reason.MALFORMED)


def test_only_the_canonical_spelling_of_a_token_decodes(student):
    token = issue_token(person=student, colour=Colour.GREEN)
    assert verify_token(token).ok
    # The last character carries 2 bits of data and 4 unused ones: setting one of those
    # gives a string that lax base64 decodes to the very same bytes.
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    respelled = token[:-1] + alphabet[alphabet.index(token[-1]) | 1]
    assert verify_token(respelled).reason == Reason.MALFORMED
    assert verify_token(token[:50] + "\n" + token[50:]).reason == Reason.MALFORMED


def test_a_well_formed_token_with_a_key_nobody_has_is_unknown_key():
    # 110 base64 characters decode to the right length, with key id 00000000.
    verdict = verify_token("CC1." + "A" * 110)
    assert (verdict.ok, verdict.reason) == (False, Reason.UNKNOWN_KEY)


@pytest.mark.parametrize(
    ("state", "reason"),
    [(Person.State.SUSPENDED, Reason.SUSPENDED), (Person.State.LEFT, Reason.LEFT)],
)
def test_it_refuses_suspended_and_departed_people(student, state, reason):
    token = issue_token(person=student, colour=Colour.GREEN)
    Person.objects.filter(pk=student.pk).update(state=state)
    verdict = verify_token(token)
    assert (verdict.ok, verdict.reason, verdict.person) == (False, reason, student)


def test_a_visitor_past_their_validity_is_expired(tree):
    import datetime

    visitor = tree.person(
        "访客甲", tree.clinic, kind=Person.Kind.VISITOR, valid_until=datetime.date(2020, 1, 1)
    )
    assert verify_token(issue_token(person=visitor, colour=Colour.GREEN)).reason == Reason.EXPIRED


def test_rotated_keys_keep_verifying_until_retired(student):
    old_token = issue_token(person=student, colour=Colour.GREEN)
    old_kid = keystore.load_keyring().active
    new_kid = keystore.rotate_key()
    assert new_kid != old_kid
    new_token = issue_token(person=student, colour=Colour.GREEN)
    assert verify_token(old_token).ok and verify_token(new_token).ok
    assert verify_token(new_token).kid == new_kid
    keystore.retire_key(old_kid)
    assert verify_token(old_token).reason == Reason.UNKNOWN_KEY
    assert verify_token(new_token).ok


def test_the_active_key_cannot_be_retired():
    ring = keystore.load_keyring()
    with pytest.raises(ValueError):
        keystore.retire_key(ring.active)


def test_key_files_are_private(settings):
    keystore.ensure_keyring()
    folder = settings.CODE_KEYS_DIR
    assert oct(folder.stat().st_mode & 0o777) == "0o700"
    for path in folder.iterdir():
        assert oct(path.stat().st_mode & 0o777) == "0o600", path


def test_the_cli_prints_the_verdict(student, capsys):
    call_command("verify_code", issue_token(person=student, colour=Colour.GREEN))
    out = capsys.readouterr().out
    assert "VALID green" in out and "张*伟" in out and "张小伟" not in out
    with pytest.raises(SystemExit) as exit_info:
        call_command("verify_code", "CC1.nonsense")
    assert exit_info.value.code == 1
    assert "REFUSED malformed" in capsys.readouterr().out


def test_the_cli_rotates_and_retires_keys(capsys):
    keystore.ensure_keyring()
    first = keystore.load_keyring().active
    call_command("keys", "rotate")
    call_command("keys", "retire", first)
    out = capsys.readouterr().out
    assert f"retired {first}" in out and "active" in out
