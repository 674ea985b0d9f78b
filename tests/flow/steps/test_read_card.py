"""READ_CARD alone: a card that cannot succeed is refused before the backend is asked."""

from __future__ import annotations

import datetime as dt

import pytest

from kiosk.flow.failure_codes import FailureCode
from kiosk.flow.states import Exit, Step
from kiosk.flow.steps import read_card

from .recording import recording_in


def test_a_good_card_opens_a_backend_transaction_and_shows_its_tries() -> None:
    rec = recording_in(Step.READ_CARD)
    read_card.approved(rec)
    assert rec.exit_taken is Exit.CARD_OK
    assert rec.exits[-1][1] == {"auth_tries_left": 3, "text_tries_left": 3}
    assert rec.tx.ticket is not None and rec.tx.expected == rec.card.counters()
    assert rec.backend.calls == ["begin"]


@pytest.mark.parametrize(("change", "code"), [
    ({"auth_tries": 0}, FailureCode.AUTH_PIN_BLOCKED),
    ({"sign_cert_present": False}, FailureCode.SIGN_CERT_MISSING),
    ({"sign_cert_expiry": dt.date(2026, 12, 2)}, FailureCode.SIGN_CERT_EXPIRED),
])
def test_a_card_that_cannot_succeed_is_refused_without_a_backend_transaction(
        change: dict[str, object], code: FailureCode) -> None:
    rec = recording_in(Step.READ_CARD)
    for name, value in change.items():
        setattr(rec.card, name, value)
    read_card.approved(rec)
    assert rec.failures == [code]
    assert rec.backend.calls == [] and rec.exits == []


def test_a_certificate_expiring_today_is_still_good() -> None:
    rec = recording_in(Step.READ_CARD)
    rec.card.sign_cert_expiry = rec.today()
    read_card.approved(rec)
    assert rec.exit_taken is Exit.CARD_OK
