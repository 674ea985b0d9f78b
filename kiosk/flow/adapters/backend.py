"""The real backend client (``kiosk.backend_client``) behind the flow's ``BackendPort``.

With a ``Journal`` it records each transaction's progress (id, step, the card's answer), so
a kiosk restarted mid-transaction can settle it with ``kiosk.journal.reconcile``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from kiosk.backend_client.client import BackendClient, FaceReport, Transaction
from kiosk.backend_client.errors import (
    BackendError,
    BackendOfflineError,
    CardRejectedError,
    ProtocolError,
    RefusedByPolicyError,
)
from kiosk.flow.failure_codes import FailureCode
from kiosk.flow.ports import (
    BackendCardRejectedError,
    BackendFailedError,
    BackendRefusedError,
    CardMismatchError,
    FaceBinding,
    FaceResult,
    ResetOutcome,
    Ticket,
)
from kiosk.flow.ports import (
    BackendOfflineError as PortOfflineError,
)
from kiosk.journal import Journal
from kiosk.journal.reconcile import reconcile_one
from kiosk_protocol.messages import AbortReason, Outcome

_OUTCOMES = frozenset(outcome.value for outcome in Outcome)
BINDING_MISMATCH = "card_binding_mismatch"  # the error code and the outcome

ABORT_REASONS: dict[str, AbortReason] = {
    FailureCode.CANCELLED.value: AbortReason.RESIDENT_CANCELLED,
    FailureCode.TIMED_OUT.value: AbortReason.TIMEOUT,
    FailureCode.STEP_TOO_SLOW.value: AbortReason.TIMEOUT,
    FailureCode.CARD_REMOVED.value: AbortReason.CARD_REMOVED,
    FailureCode.CARD_SWAPPED.value: AbortReason.CARD_REMOVED,
    FailureCode.AUTH_PIN_BLOCKED.value: AbortReason.CARD_CHECK_FAILED,
    FailureCode.CARD_FACE_INVALID.value: AbortReason.CARD_CHECK_FAILED,
    FailureCode.CARD_MISMATCH.value: AbortReason.CARD_CHECK_FAILED,
    FailureCode.PHOTO_LOCKED.value: AbortReason.CARD_CHECK_FAILED,
    FailureCode.SIGN_CERT_MISSING.value: AbortReason.CARD_CHECK_FAILED,
    FailureCode.SIGN_CERT_EXPIRED.value: AbortReason.CARD_CHECK_FAILED,
}


@contextmanager
def translated_backend_errors() -> Iterator[None]:
    try:
        yield
    except BackendOfflineError as error:
        raise PortOfflineError(str(error)) from None
    except RefusedByPolicyError as error:
        raise BackendRefusedError(error.reason) from None
    except CardRejectedError as error:
        if error.reason == BINDING_MISMATCH:
            raise CardMismatchError(str(error)) from None
        raise BackendCardRejectedError(str(error)) from None
    except BackendError as error:
        raise BackendFailedError(str(error)) from None


class BackendAdapter:
    """``BackendPort`` over a ``BackendClient`` (mutual TLS, idempotent calls)."""

    def __init__(self, client: BackendClient, journal: Journal | None = None) -> None:
        self._client = client
        self._journal = journal
        self._open: dict[str, Transaction] = {}

    def _transaction(self, ticket: Ticket) -> Transaction:
        transaction = self._open.get(ticket.transaction_id)
        if transaction is None:
            raise BackendFailedError("unknown transaction")
        return transaction

    def begin(self) -> Ticket:
        with translated_backend_errors():
            transaction = self._client.begin()
        if self._journal is not None:
            self._journal.begun(transaction.transaction_id)
        self._open[transaction.transaction_id] = transaction
        return Ticket(transaction.transaction_id, transaction.to_sign, transaction.chip_to_sign)

    def prove_card(
        self, ticket: Ticket, auth_cert_der: bytes, signature: bytes, chip_signature: bytes
    ) -> None:
        with translated_backend_errors():
            self._client.prove_card(
                self._transaction(ticket), auth_cert_der, signature, chip_signature
            )

    def report_face(self, ticket: Ticket, result: FaceResult, binding: FaceBinding) -> None:
        report = FaceReport(
            matched=result.matched,
            live=result.live,
            score=result.score,
            threshold=result.threshold,
            frames=result.frames,
            model_version=result.model_version,
            card_face_sha256=binding.card_face_sha256,
            chip_key_sha256=binding.chip_key_sha256,
        )
        with translated_backend_errors():
            self._client.report_face(self._transaction(ticket), report)

    def authorise_reset(self, ticket: Ticket, new_pin: bytearray, card_challenge: bytes) -> bytes:
        with translated_backend_errors():
            apdu = self._client.request_reset_command(
                self._transaction(ticket), new_pin, card_challenge
            )
        if self._journal is not None:
            self._journal.command_received(ticket.transaction_id)
        return apdu

    def confirm(self, ticket: Ticket, card_answer: bytes) -> ResetOutcome:
        transaction = self._transaction(ticket)
        if self._journal is not None:
            self._journal.card_answered(ticket.transaction_id, card_answer)
        try:
            with translated_backend_errors():
                try:
                    status = self._client.confirm(transaction, card_answer)
                except CardRejectedError as error:
                    if error.reason in _OUTCOMES:  # the backend's verdict on the answer
                        self._close_in_journal(ticket, error.reason)
                        return ResetOutcome(
                            False,
                            error.reason,
                            unconfirmed=error.reason == Outcome.UNCONFIRMED.value,
                        )
                    raise
        except BackendCardRejectedError as error:
            return ResetOutcome(False, str(error))
        finally:
            self._open.pop(ticket.transaction_id, None)
        self._close_in_journal(ticket, status.outcome.value if status.outcome else None)
        return ResetOutcome(True)

    def _answer_pending(self, ticket: Ticket) -> bool:
        if self._journal is None:
            raise RuntimeError("answer recovery needs the journal")
        entry = self._journal.entries().get(ticket.transaction_id)
        return entry is not None and not entry.finished and entry.card_answer is not None

    def _close_in_journal(self, ticket: Ticket, outcome: str | None) -> None:
        if self._journal is not None and outcome is not None:
            self._journal.closed(ticket.transaction_id, outcome)

    def abandon(self, ticket: Ticket, reason: str) -> None:
        self._open.pop(ticket.transaction_id, None)
        if self._journal is not None and self._answer_pending(ticket):
            # The card answered but the backend never confirmed: an abort would close it as
            # "unconfirmed" although the answer is known. Deliver it now, or later on restart.
            reconcile_one(self._journal, self._client, ticket.transaction_id)
            return
        try:
            with translated_backend_errors():
                status = self._client.abort(
                    ticket.transaction_id, ABORT_REASONS.get(reason, AbortReason.KIOSK_FAULT)
                )
            self._close_in_journal(ticket, status.outcome.value if status.outcome else None)
        except BackendFailedError:
            pass  # already closed at the backend (e.g. after a refused face check)
        except ProtocolError:
            pass
