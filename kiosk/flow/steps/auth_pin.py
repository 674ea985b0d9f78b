"""AUTH_PIN: the 4-digit user-authentication PIN proves the card, and the chip signs for it."""

from __future__ import annotations

from kiosk.flow.failure_codes import FailureCode
from kiosk.flow.pin_rules import is_four_digit_pin
from kiosk.flow.ports import PinBlockedError, WrongPinError
from kiosk.flow.secrets import wipe
from kiosk.flow.states import AUTH_PIN_SECRET, Exit, Step
from kiosk.flow.steps.context import StepContext
from kiosk.flow.steps.same_card import note_counter, same_card_check
from kiosk.flow.view import EntryProblem


def submit(ctx: StepContext, pin: bytearray) -> None:
    """The resident typed the auth PIN; ``pin`` is owned (kept or wiped) from here on."""
    if not ctx.only(Step.AUTH_PIN) or ctx.view.busy:
        wipe(pin)
        return
    if not is_four_digit_pin(pin):
        wipe(pin)
        ctx.set(entry_problem=EntryProblem.BAD_FORMAT)
        return
    if ctx.view.needs_last_try_confirmation:
        wipe(pin)
        ctx.set(entry_problem=EntryProblem.NEEDS_LAST_TRY_CONFIRMATION)
        return
    ctx.secrets.put(AUTH_PIN_SECRET, pin)
    tx = ctx.tx
    ticket, snapshot = tx.ticket, tx.snapshot
    if ticket is None or snapshot is None:
        ctx.fail(FailureCode.INTERNAL)
        return
    card, backend = ctx.card, ctx.backend
    same_card = same_card_check(card, tx)

    def job() -> None:
        same_card()
        card.verify_auth_pin(pin)
        signature = card.sign_with_auth_key(ticket.to_sign)
        # The chip signs the backend's chip nonce: the backend checks it against the chip
        # issued with this certificate, and the card face must carry the same chip key.
        chip_signature = card.sign_with_chip_key(ticket.chip_to_sign)
        backend.prove_card(ticket, snapshot.auth_cert_der, signature, chip_signature)

    def done(_: None) -> None:
        tx.auth_verified = True
        ctx.go(Exit.VERIFIED, auth_tries_left=None)

    def failed(error: BaseException) -> None:
        ctx.secrets.keep_only(())
        if isinstance(error, WrongPinError) and error.attempts_left > 0:
            note_counter(tx, auth_pin=error.attempts_left)
            ctx.go(
                Exit.WRONG_PIN,
                auth_tries_left=error.attempts_left,
                entry_problem=EntryProblem.WRONG,
            )
        elif isinstance(error, WrongPinError | PinBlockedError):
            ctx.fail(FailureCode.AUTH_PIN_BLOCKED)
        else:
            ctx.fail_with(error)

    ctx.work(job, done, failed, lend=(AUTH_PIN_SECRET,))
