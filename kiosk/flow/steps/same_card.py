"""Before every PIN try and before the reset: is it still the card the transaction began with?

The card's id and retry counters are read again; a different card, or counters changed other
than by our own tries, is a swap (``card_swapped``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from kiosk.flow.failure_codes import FailureCode
from kiosk.flow.failures import StopError, SwappedError
from kiosk.flow.ports import CardPort, CardReading, TriesLeft
from kiosk.flow.transaction import Transaction


def same_card_check(card: CardPort, tx: Transaction, *, auth_known: bool = True
                    ) -> Callable[[], None]:
    """A check for the worker: raise ``SwappedError`` unless card and counters are as expected.

    The auth counter is not compared once the auth PIN was verified (an empty VERIFY then
    answers "verified", not a count).
    """
    snapshot, expected = tx.snapshot, tx.expected

    def check() -> None:
        if snapshot is None or expected is None:
            raise StopError(FailureCode.INTERNAL)
        same_card(card, snapshot, expected, auth_known=auth_known)

    return check


def same_card(
    card: CardPort, snapshot: CardReading, expected: TriesLeft, *, auth_known: bool
) -> None:
    card_id, counters = card.read_counters()
    if card_id != snapshot.card_id:
        raise SwappedError()
    same = counters.sign_pin == expected.sign_pin and counters.text_pin == expected.text_pin
    if auth_known:
        same = same and counters.auth_pin == expected.auth_pin
    if not same:
        raise SwappedError()


def counters_of_same_card(card: CardPort, tx: Transaction) -> TriesLeft:
    """The counters the card shows now, after making sure it is still the transaction's card."""
    card_id, counters = card.read_counters()
    if tx.snapshot is None or card_id != tx.snapshot.card_id:
        raise SwappedError()
    return counters


def note_counter(tx: Transaction, **changes: int) -> None:
    """Our own wrong try lowered a counter: expect the card to show it."""
    if tx.expected is not None:
        tx.expected = replace(tx.expected, **changes)
