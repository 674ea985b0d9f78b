"""The same-card check alone: a different card or counters we did not change are a swap."""

from __future__ import annotations

import pytest

from kiosk.flow.failures import StopError, SwappedError
from kiosk.flow.states import Step
from kiosk.flow.steps.same_card import note_counter, same_card_check
from kiosk.flow.transaction import Transaction

from ..fakes import FakeCard
from .recording import Recording, read, recording_in


def _read() -> Recording:
    rec = recording_in(Step.AUTH_PIN)
    read(rec)
    return rec


def test_the_same_card_with_the_expected_counters_passes() -> None:
    rec = _read()
    same_card_check(rec.card, rec.tx)()
    assert rec.card.calls == ["read_counters"]


def test_another_card_is_a_swap() -> None:
    rec = _read()
    rec.card.card_id = "card-B"
    with pytest.raises(SwappedError):
        same_card_check(rec.card, rec.tx)()


def test_a_counter_someone_else_spent_is_a_swap_and_our_own_try_is_not() -> None:
    rec = _read()
    rec.card.text_tries = 2
    with pytest.raises(SwappedError):
        same_card_check(rec.card, rec.tx, auth_known=False)()
    note_counter(rec.tx, text_pin=2)
    same_card_check(rec.card, rec.tx, auth_known=False)()


def test_the_auth_counter_is_ignored_once_the_pin_was_verified() -> None:
    rec = _read()
    rec.card.auth_tries = 0  # an empty VERIFY after success does not give a count
    with pytest.raises(SwappedError):
        same_card_check(rec.card, rec.tx)()
    same_card_check(rec.card, rec.tx, auth_known=False)()


def test_without_a_first_reading_the_check_stops_the_transaction() -> None:
    with pytest.raises(StopError):
        same_card_check(FakeCard(), Transaction())()
