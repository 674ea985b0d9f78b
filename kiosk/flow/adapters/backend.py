"""The real backend client (``kiosk.backend_client``) behind the flow's ``BackendPort``."""

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
    FaceResult,
    ResetOutcome,
    Ticket,
)
from kiosk.flow.ports import (
    BackendOfflineError as PortOfflineError,
)
from kiosk_protocol.messages import AbortReason

ABORT_REASONS: dict[str, AbortReason] = {
    FailureCode.CANCELLED.value: AbortReason.RESIDENT_CANCELLED,
    FailureCode.TIMED_OUT.value: AbortReason.TIMEOUT,
    FailureCode.STEP_TOO_SLOW.value: AbortReason.TIMEOUT,
    FailureCode.CARD_REMOVED.value: AbortReason.CARD_REMOVED,
    FailureCode.CARD_SWAPPED.value: AbortReason.CARD_REMOVED,
    FailureCode.AUTH_PIN_BLOCKED.value: AbortReason.CARD_CHECK_FAILED,
    FailureCode.CARD_FACE_INVALID.value: AbortReason.CARD_CHECK_FAILED,
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
        raise BackendCardRejectedError(str(error)) from None
    except BackendError as error:
        raise BackendFailedError(str(error)) from None


class BackendAdapter:
    """``BackendPort`` over a ``BackendClient`` (mutual TLS, idempotent calls)."""

    def __init__(self, client: BackendClient) -> None:
        self._client = client
        self._open: dict[str, Transaction] = {}

    def _transaction(self, ticket: Ticket) -> Transaction:
        transaction = self._open.get(ticket.transaction_id)
        if transaction is None:
            raise BackendFailedError("unknown transaction")
        return transaction

    def begin(self) -> Ticket:
        with translated_backend_errors():
            transaction = self._client.begin()
        self._open[transaction.transaction_id] = transaction
        return Ticket(transaction.transaction_id, transaction.to_sign)

    def prove_card(self, ticket: Ticket, auth_cert_der: bytes, signature: bytes) -> None:
        with translated_backend_errors():
            self._client.prove_card(self._transaction(ticket), auth_cert_der, signature)

    def report_face(self, ticket: Ticket, result: FaceResult) -> None:
        report = FaceReport(
            matched=result.matched,
            live=result.live,
            score=result.score,
            threshold=result.threshold,
            frames=result.frames,
            model_version=result.model_version,
        )
        with translated_backend_errors():
            self._client.report_face(self._transaction(ticket), report)

    def authorise_reset(self, ticket: Ticket, new_pin: bytearray, card_challenge: bytes) -> bytes:
        with translated_backend_errors():
            return self._client.request_reset_command(
                self._transaction(ticket), new_pin, card_challenge
            )

    def confirm(self, ticket: Ticket, card_answer: bytes) -> ResetOutcome:
        transaction = self._transaction(ticket)
        try:
            with translated_backend_errors():
                self._client.confirm(transaction, card_answer)
        except BackendCardRejectedError as error:
            return ResetOutcome(False, str(error))
        finally:
            self._open.pop(ticket.transaction_id, None)
        return ResetOutcome(True)

    def abandon(self, ticket: Ticket, reason: str) -> None:
        self._open.pop(ticket.transaction_id, None)
        try:
            with translated_backend_errors():
                self._client.abort(
                    ticket.transaction_id, ABORT_REASONS.get(reason, AbortReason.KIOSK_FAULT)
                )
        except BackendFailedError:
            pass  # already closed at the backend (e.g. after a refused face check)
        except ProtocolError:
            pass
