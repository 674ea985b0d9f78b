"""PROCESSING alone: the reset's order, and "unconfirmed" once the command went to the card."""

from __future__ import annotations

from kiosk.flow.failure_codes import FailureCode
from kiosk.flow.ports import BackendOfflineError, CardFaultError
from kiosk.flow.states import NEW_PIN_SECRET, Exit, Step
from kiosk.flow.steps import processing

from .recording import Recording, read, recording_in


def _chosen() -> Recording:
    rec = recording_in(Step.PROCESSING)
    read(rec)
    rec.secrets.put(NEW_PIN_SECRET, bytearray(b"NEW2PIN9"))
    return rec


def test_the_reset_checks_the_card_asks_the_backend_relays_and_confirms() -> None:
    rec = _chosen()
    processing.approved(rec)
    assert rec.exit_taken is Exit.RESET_DONE and rec.tx.finished_at_backend
    assert rec.card.calls == ["read_counters", "get_challenge", "relay"]
    assert rec.backend.calls == ["authorise_reset", "confirm"]
    assert rec.card.new_sign_pin == b"NEW2PIN9"


def test_a_swapped_card_gets_no_command() -> None:
    rec = _chosen()
    rec.card.card_id = "card-B"
    processing.approved(rec)
    assert rec.failures == [FailureCode.CARD_SWAPPED] and "relay" not in rec.card.calls
    assert not rec.tx.reset_command.sent


def test_a_fault_while_relaying_is_unconfirmed_never_nothing_changed() -> None:
    rec = _chosen()
    rec.card.fail["relay"] = CardFaultError("6F00")
    processing.approved(rec)
    assert rec.failures == [FailureCode.RESET_UNCONFIRMED] and rec.tx.reset_command.sent


def test_the_backend_gone_after_the_cards_answer_is_unconfirmed() -> None:
    rec = _chosen()
    rec.backend.fail["confirm"] = BackendOfflineError("gone")
    processing.approved(rec)
    assert rec.failures == [FailureCode.RESET_UNCONFIRMED]


def test_a_refused_reset_is_a_failure() -> None:
    rec = _chosen()
    rec.backend.success = False
    processing.approved(rec)
    assert rec.failures == [FailureCode.RESET_FAILED]
