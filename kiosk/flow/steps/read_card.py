"""READ_CARD: read the card once, refuse what cannot succeed, open the backend's transaction."""

from __future__ import annotations

import datetime as dt

from kiosk.flow.failure_codes import FailureCode
from kiosk.flow.failures import StopError
from kiosk.flow.ports import CardReading, Ticket
from kiosk.flow.states import Exit
from kiosk.flow.steps.context import StepContext


def approved(ctx: StepContext) -> None:
    """The reading screen is shown: read the card and begin at the backend."""
    card, backend, today = ctx.card, ctx.backend, ctx.today

    def job() -> tuple[CardReading, Ticket]:
        snapshot = card.read_card()
        problem = refusal(snapshot, today())
        if problem is not None:
            raise StopError(problem)
        return snapshot, backend.begin()

    def done(result: tuple[CardReading, Ticket]) -> None:
        snapshot, ticket = result
        ctx.tx.snapshot = snapshot
        ctx.tx.ticket = ticket
        ctx.tx.expected = snapshot.counters
        ctx.go(
            Exit.CARD_OK,
            auth_tries_left=snapshot.counters.auth_pin,
            text_tries_left=snapshot.counters.text_pin,
        )

    ctx.work(job, done)


def refusal(snapshot: CardReading, today: dt.date) -> FailureCode | None:
    """Why this card cannot get a reset (None: it can), decided before any PIN is asked."""
    if snapshot.counters.auth_pin == 0:
        return FailureCode.AUTH_PIN_BLOCKED
    if not snapshot.sign_cert_present:
        return FailureCode.SIGN_CERT_MISSING
    expiry = snapshot.sign_cert_expiry
    if expiry is not None and expiry < today:
        return FailureCode.SIGN_CERT_EXPIRED
    return None
