"""PROCESSING: same card?, the card's challenge, the backend's reset command, relay, confirm.

Once the command went to the card, anything that ends the transaction is "unconfirmed"
(``Transaction.reset_command``), never "nothing changed"; once the transaction ended (a time-out
while the backend was slow), the job goes no further and the card is never written.
"""

from __future__ import annotations

from kiosk.flow.failure_codes import FailureCode
from kiosk.flow.failures import StopError
from kiosk.flow.ports import BackendFailedError, BackendOfflineError, ResetOutcome
from kiosk.flow.states import NEW_PIN_SECRET, Exit
from kiosk.flow.steps.context import StepContext
from kiosk.flow.steps.same_card import same_card_check
from kiosk.flow.view import ProcessingStage


def approved(ctx: StepContext) -> None:
    """The processing screen is shown: run the reset, telling the screen each stage."""
    new_pin = ctx.secrets.get(NEW_PIN_SECRET)
    tx = ctx.tx
    ticket = tx.ticket
    if new_pin is None or ticket is None:
        ctx.fail(FailureCode.INTERNAL)
        return
    generation = ctx.generation
    card, backend = ctx.card, ctx.backend
    same_card = same_card_check(card, tx, auth_known=False)

    def stage(value: ProcessingStage) -> None:
        ctx.post_update(generation, stage=value)

    def job() -> ResetOutcome:
        stage(ProcessingStage.CHECK_CARD)
        same_card()
        challenge = card.get_challenge()
        if tx.reset_command.is_shut:
            raise StopError(FailureCode.STEP_TOO_SLOW)  # ended meanwhile: ask for nothing
        stage(ProcessingStage.AUTHORISE)
        apdu = backend.authorise_reset(ticket, new_pin, challenge)
        if not tx.reset_command.open():
            # The transaction ended while the backend answered: the resident was told nothing
            # changed, so nothing may change. The backend, which issued a command and cannot
            # know it was never relayed, records the abandon as unconfirmed (the safe side).
            raise StopError(FailureCode.STEP_TOO_SLOW)
        stage(ProcessingStage.WRITE_CARD)
        try:
            answer = card.relay(apdu)
        except Exception as error:
            # The command went out: the card may have acted on it before the fault, so
            # "nothing was changed" would be wrong (the backend closes it as unconfirmed).
            raise StopError(FailureCode.RESET_UNCONFIRMED) from error
        stage(ProcessingStage.CONFIRM)
        try:
            return backend.confirm(ticket, answer)
        except (BackendOfflineError, BackendFailedError) as error:
            # The card has answered: it may hold the new PIN already, so "nothing was
            # changed" would be wrong. The journal settles it with the backend later.
            raise StopError(FailureCode.RESET_UNCONFIRMED) from error

    def done(outcome: ResetOutcome) -> None:
        tx.finished_at_backend = True
        if outcome.success:
            ctx.go(Exit.RESET_DONE)
        elif outcome.unconfirmed:
            ctx.fail(FailureCode.RESET_UNCONFIRMED)
        else:
            ctx.fail(FailureCode.RESET_FAILED)

    ctx.set(stage=ProcessingStage.CHECK_CARD)
    ctx.work(job, done, lend=(NEW_PIN_SECRET,))
