"""The resident pulls the card at each command of the card dialogue (real pcscd, vpcd, card,
backend over mutual TLS, synthetic camera). Every time: the flow stops with C02 (card
removed) or, once the reset command was sent to the card, R02 (unconfirmed: the card may have
acted), the backend closes the transaction (never a reset), the card's sign PIN and retry
counters are untouched, and the kiosk's journal agrees with the backend."""

from __future__ import annotations

import pytest

from kiosk.card_reader.card_info import TrustAnchors
from kiosk.flow.states import Step
from kiosk.journal import Journal
from tests.backend.harness import RunningBackend
from tests.faults.stack import (
    CARD_STEPS,
    NEW_PIN,
    OLD_SIGN_PIN,
    CardPuller,
    card_state,
    kiosk_config,
    resident_camera,
    run_flow,
    settled_backend,
)
from tests.helpers.virtual_card import DEFAULT_PHOTO, InsertedCard

pytestmark = [
    pytest.mark.pcsc,
]

BEFORE_BEGIN = ("recognition", "counters")  # read_card runs before the backend is asked


@pytest.mark.parametrize("step", CARD_STEPS)
def test_card_pulled_at_each_step(
    step: str, card_in_reader: InsertedCard, anchors: TrustAnchors, backend: RunningBackend,
    journal: Journal,
) -> None:
    puller = CardPuller(card_in_reader, step)
    run = run_flow(anchors, kiosk_config(backend), resident_camera(DEFAULT_PHOTO), journal,
                   open_transport=puller.open())
    assert puller.fired.is_set(), f"the flow never reached {step}"
    # Even before the first snapshot, the flow probes the reader after an I/O fault. Once the
    # command went out the resident is never told "nothing changed".
    assert run.result.code == ("R02" if step == "reset_relay" else "C02"), run.result
    assert Step.DONE not in run.steps

    rows = settled_backend(backend)
    entries = journal.entries()
    if step in BEFORE_BEGIN:
        assert rows == [] and entries == {}
    else:
        assert len(rows) == 1
        transaction_id, state, outcome, _ = rows[0]
        expected = "unconfirmed" if step == "reset_relay" else "aborted"
        assert (state, outcome) == ("closed", expected)
        assert entries[transaction_id].finished and entries[transaction_id].outcome == expected

    card_in_reader.insert()
    card = card_state()
    assert card.sign_pin == OLD_SIGN_PIN  # nothing was reset
    assert (card.auth_tries, card.text_tries) == (3, 3)


def test_card_pulled_after_it_applied_the_reset(
    card_in_reader: InsertedCard, anchors: TrustAnchors, backend: RunningBackend,
    journal: Journal,
) -> None:
    """The one truly ambiguous moment: the card ran the reset, its answer never came back.
    The backend records "unconfirmed" (command delivered, outcome unknown) rather than a
    success or a failure it cannot know; the card has the new PIN; nothing is retried."""
    puller = CardPuller(card_in_reader, "reset_relay", after_processing=True)
    run = run_flow(anchors, kiosk_config(backend), resident_camera(DEFAULT_PHOTO), journal,
                   open_transport=puller.open())
    assert puller.fired.is_set()
    assert run.result.code == "R02", run.result  # try the new PIN, never "nothing changed"
    [(transaction_id, state, outcome, _)] = settled_backend(backend)
    assert (state, outcome) == ("closed", "unconfirmed")
    assert journal.entries()[transaction_id].outcome == "unconfirmed"
    card_in_reader.insert()
    assert card_state(candidates=(NEW_PIN, OLD_SIGN_PIN)).sign_pin == NEW_PIN
