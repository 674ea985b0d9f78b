"""UNLOCK_PHOTO alone: the photo comes with its binding; wrong entries count, bad ones do not."""

from __future__ import annotations

from kiosk.flow.failure_codes import FailureCode
from kiosk.flow.states import AUTH_PIN_SECRET, PHOTO_SECRET, Exit, Step
from kiosk.flow.steps import unlock_photo
from kiosk.flow.view import EntryProblem

from ..fakes import BINDING, PHOTO
from .recording import Recording, read, recording_in


def _after_auth(**view: object) -> Recording:
    rec = recording_in(Step.UNLOCK_PHOTO, **{"text_tries_left": 3, "number_b_tries_left": 10,
                                             **view})
    read(rec)
    rec.card.chip_signed.append(b"chip")  # the chip proved itself in AUTH_PIN
    rec.secrets.put(AUTH_PIN_SECRET, bytearray(b"1234"))
    return rec


def test_same_as_before_is_offered_only_while_the_auth_pin_is_kept_and_tries_remain() -> None:
    rec = _after_auth()
    unlock_photo.enter(rec)
    assert rec.view.same_as_before_available
    rec = _after_auth(text_tries_left=0)
    unlock_photo.enter(rec)
    assert not rec.view.same_as_before_available
    rec = recording_in(Step.UNLOCK_PHOTO, text_tries_left=3)
    unlock_photo.enter(rec)
    assert not rec.view.same_as_before_available


def test_the_text_pin_opens_the_photo_with_its_binding() -> None:
    rec = _after_auth()
    unlock_photo.submit_text_pin(rec, bytearray(b"1234"), from_auth=False)
    assert rec.exit_taken is Exit.PHOTO_READY
    assert rec.secrets.get(PHOTO_SECRET) == bytearray(PHOTO) and rec.tx.binding == BINDING


def test_same_as_before_uses_the_kept_auth_pin_without_wiping_it_early() -> None:
    rec = _after_auth()
    unlock_photo.enter(rec)
    unlock_photo.same_as_before(rec)
    assert rec.exit_taken is Exit.PHOTO_READY
    assert rec.card.pins_seen == [b"1234"] and rec.lent_during_work == [(AUTH_PIN_SECRET,)]


def test_a_wrong_text_pin_counts_and_keeps_the_auth_pin_for_another_go() -> None:
    rec = _after_auth()
    unlock_photo.submit_text_pin(rec, bytearray(b"9999"), from_auth=False)
    assert rec.exit_taken is Exit.WRONG_PIN and rec.view.text_tries_left == 2
    assert rec.tx.expected is not None and rec.tx.expected.text_pin == 2
    assert rec.secrets.has(AUTH_PIN_SECRET)


def test_no_try_left_on_either_way_locks_the_photo() -> None:
    rec = _after_auth(number_b_tries_left=0, text_tries_left=1, last_try_confirmed=True)
    rec.card.text_tries = 1
    rec.tx.expected = rec.card.counters()
    unlock_photo.submit_text_pin(rec, bytearray(b"9999"), from_auth=False)
    assert rec.failures == [FailureCode.PHOTO_LOCKED]


def test_a_malformed_number_b_is_wiped_and_never_reaches_the_card() -> None:
    rec = _after_auth()
    number_b = bytearray(b"0601012030432")  # 13 digits
    unlock_photo.submit_number_b(rec, number_b)
    assert rec.view.entry_problem is EntryProblem.BAD_FORMAT
    assert number_b == bytearray() and rec.card.pins_seen == []


def test_number_b_opens_the_photo() -> None:
    rec = _after_auth()
    unlock_photo.submit_number_b(rec, bytearray(b"06010120304321"))
    assert rec.exit_taken is Exit.PHOTO_READY and rec.secrets.has(PHOTO_SECRET)
