"""AUTH_PIN alone: what spends a try, what does not, and what the card proves."""

from __future__ import annotations

from kiosk.flow.failure_codes import FailureCode
from kiosk.flow.states import AUTH_PIN_SECRET, Exit, Step
from kiosk.flow.steps import auth_pin
from kiosk.flow.view import EntryProblem

from .recording import read, recording_in


def test_the_right_pin_proves_card_and_chip_to_the_backend_and_is_kept() -> None:
    rec = recording_in(Step.AUTH_PIN, auth_tries_left=3)
    read(rec)
    pin = bytearray(b"1234")
    auth_pin.submit(rec, pin)
    assert rec.exit_taken is Exit.VERIFIED and rec.tx.auth_verified
    assert rec.card.calls == ["read_counters", "verify_auth_pin", "sign_with_auth_key",
                              "sign_with_chip_key"]
    assert rec.backend.chip_proofs == [b"chip:" + rec.tx.ticket.chip_to_sign]  # type: ignore[union-attr]
    assert rec.secrets.get(AUTH_PIN_SECRET) is pin and rec.lent_during_work == [(AUTH_PIN_SECRET,)]


def test_a_malformed_pin_is_wiped_and_never_reaches_the_card() -> None:
    rec = recording_in(Step.AUTH_PIN, auth_tries_left=3)
    read(rec)
    pin = bytearray(b"12a4")
    auth_pin.submit(rec, pin)
    assert rec.view.entry_problem is EntryProblem.BAD_FORMAT
    assert pin == bytearray() and rec.card.calls == [] and rec.card.pins_seen == []


def test_the_last_try_needs_the_residents_confirmation_first() -> None:
    rec = recording_in(Step.AUTH_PIN, auth_tries_left=1)
    read(rec)
    auth_pin.submit(rec, bytearray(b"1234"))
    assert rec.view.entry_problem is EntryProblem.NEEDS_LAST_TRY_CONFIRMATION
    assert rec.card.pins_seen == []


def test_a_wrong_pin_is_counted_as_our_own_try_and_forgotten() -> None:
    rec = recording_in(Step.AUTH_PIN, auth_tries_left=3)
    read(rec)
    auth_pin.submit(rec, bytearray(b"9999"))
    assert rec.exit_taken is Exit.WRONG_PIN and rec.view.auth_tries_left == 2
    assert rec.tx.expected is not None and rec.tx.expected.auth_pin == 2  # not a swap next time
    assert not rec.secrets.has(AUTH_PIN_SECRET)


def test_the_last_wrong_try_blocks_and_ends_the_transaction() -> None:
    rec = recording_in(Step.AUTH_PIN, auth_tries_left=1, last_try_confirmed=True)
    rec.card.auth_tries = 1
    read(rec)
    auth_pin.submit(rec, bytearray(b"9999"))
    assert rec.failures == [FailureCode.AUTH_PIN_BLOCKED]


def test_another_card_on_the_reader_is_a_swap_before_any_try() -> None:
    rec = recording_in(Step.AUTH_PIN, auth_tries_left=3)
    read(rec)
    rec.card.card_id = "card-B"
    auth_pin.submit(rec, bytearray(b"1234"))
    assert rec.failures == [FailureCode.CARD_SWAPPED] and rec.card.pins_seen == []


def test_input_in_another_step_is_wiped_and_ignored() -> None:
    rec = recording_in(Step.UNLOCK_PHOTO)
    pin = bytearray(b"1234")
    auth_pin.submit(rec, pin)
    assert pin == bytearray() and rec.card.calls == [] and rec.exits == []
