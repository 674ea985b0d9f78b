"""The authority's decisions, step by step, inside one database transaction per call.

Each step checks the transaction's state (out-of-order calls are refused), its expiry,
the policy, and the proofs; then advances or closes it. A refusal that ends the
transaction closes it *before* raising `RefusalError`, so the close is committed with the reply.
"""

from __future__ import annotations

import datetime as dt
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric import ec

from kiosk_backend import store
from kiosk_backend.admin_command import (
    CardVerdict,
    build_reset_command,
    card_id_from_serial,
    session_keys,
    verify_answer,
)
from kiosk_backend.authority import Authority, CardCertificateError, CardRegistration
from kiosk_backend.database import Connection
from kiosk_backend.policy import Policy
from kiosk_protocol import IDENTITY_CHECK_TYPE
from kiosk_protocol import tpm as tpm_format
from kiosk_protocol.errors import MessageError
from kiosk_protocol.messages import (
    AbortRequest,
    BeginResponse,
    CardAnswerRequest,
    CardProofRequest,
    ErrorBody,
    ErrorKind,
    FaceEvidenceRequest,
    Liveness,
    Outcome,
    ResetCommandRequest,
    ResetCommandResponse,
    TransactionState,
    TransactionStatus,
)
from kiosk_protocol.pin_envelope import decrypt_pin, is_valid_signature_pin
from kiosk_protocol.signing import (
    face_evidence_payload,
    verify_card_proof,
    verify_chip_proof,
    verify_face_evidence,
)

Clock = Callable[[], float]
# Failures that count against a card: only after the card proved possession of its key and
# PIN (a proof that does not verify counts against the kiosk, CARD_PROOF_INVALID; a refused
# certificate is not charged at all). ANSWER_NOT_AUTHENTIC is no longer given; rows from
# before still count for their window.
_FAILURE_OUTCOMES = (
    Outcome.FACE_CHECK_FAILED,
    Outcome.CARD_BINDING_MISMATCH,
    Outcome.ANSWER_NOT_AUTHENTIC,
)
# Only an answer whose MAC verifies says what the card did; anything else after the command
# went out may hide a PIN that was set, so it is UNCONFIRMED, never "nothing changed".
_VERDICT_OUTCOME = {
    CardVerdict.PIN_SET: Outcome.PIN_RESET,
    CardVerdict.PIN_FORMAT_REJECTED: Outcome.PIN_REJECTED_BY_CARD,
    CardVerdict.COMMAND_REFUSED: Outcome.UNCONFIRMED,
    CardVerdict.NOT_AUTHENTIC: Outcome.UNCONFIRMED,
}


def _binding_mismatch(transaction_id: str, what: str) -> RefusalError:
    return RefusalError(
        422,
        ErrorKind.CARD,
        "card_binding_mismatch",
        f"the {what} is not the one the authority issued with this certificate",
        transaction_id,
    )


class RefusalError(Exception):
    """A refused call: HTTP status and a typed error body (no personal data in it)."""

    def __init__(
        self,
        status: int,
        kind: ErrorKind,
        code: str,
        message: str,
        transaction_id: str | None = None,
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.status = status
        self.body = ErrorBody(kind, code, message, transaction_id)


def _unknown_transaction() -> RefusalError:
    return RefusalError(404, ErrorKind.PROTOCOL, "unknown_transaction", "no such transaction")


@dataclass(frozen=True)
class KioskCaller:
    """The authenticated kiosk behind a call (from its TLS client certificate)."""

    kiosk_id: str
    public_key: ec.EllipticCurvePublicKey
    attestation: str = "software"  # "tpm": evidence must be TPM-signed and quoted
    tpm: store.KioskTpmRow | None = None
    store_name: str = ""


# Outcomes after which the holder is told: the PIN was reset, or may have been (the command
# went out and no authentic answer came back).
NOTIFIED_OUTCOMES = (Outcome.PIN_RESET, Outcome.UNCONFIRMED)


class AuthorityService:
    def __init__(
        self,
        authority: Authority,
        pin_key: ec.EllipticCurvePrivateKey,
        policy: Policy,
        clock: Clock = time.time,
        on_closed: Callable[[str, Outcome], None] | None = None,
    ) -> None:
        self.authority = authority
        self._on_closed = on_closed
        self.policy = policy
        self._pin_key = pin_key
        self._clock = clock
        # Kiosks enrolled without a TPM (testbeds) are refused unless the server allows them.
        self.allow_software_kiosks = False

    def set_closed_hook(self, on_closed: Callable[[str, Outcome], None]) -> None:
        """Told of every transaction this service closes (inside the database transaction)."""
        self._on_closed = on_closed

    def now_ms(self) -> int:
        return int(self._clock() * 1000)

    # --- helpers -----------------------------------------------------------------

    def _answer_deadline(self, row: store.TransactionRow) -> int:
        return row.expires_at + self.policy.answer_grace_seconds * 1000

    def _open(
        self,
        connection: Connection,
        caller: KioskCaller,
        transaction_id: str,
        expected: TransactionState,
    ) -> store.TransactionRow:
        row = store.get_transaction(connection, transaction_id, for_update=True)
        if row is None or row.kiosk_id != caller.kiosk_id:
            raise RefusalError(
                404, ErrorKind.PROTOCOL, "unknown_transaction", "no such transaction"
            )
        if row.state == TransactionState.CLOSED:
            raise RefusalError(
                409,
                ErrorKind.PROTOCOL,
                "transaction_closed",
                f"the transaction is closed ({row.outcome})",
                transaction_id,
            )
        now = self.now_ms()
        awaiting_answer = row.state == TransactionState.AWAITING_CARD_ANSWER
        deadline = self._answer_deadline(row) if awaiting_answer else row.expires_at
        if now > deadline:
            outcome = Outcome.UNCONFIRMED if awaiting_answer else Outcome.EXPIRED
            self._close(connection, transaction_id, outcome, now)
            raise RefusalError(
                410,
                ErrorKind.POLICY,
                "transaction_expired",
                "the transaction expired",
                transaction_id,
            )
        if row.state != expected:
            raise RefusalError(
                409,
                ErrorKind.PROTOCOL,
                "out_of_order",
                f"the transaction is in state {row.state.value}, not {expected.value}",
                transaction_id,
            )
        return row

    def _close(
        self,
        connection: Connection,
        transaction_id: str,
        outcome: Outcome,
        now: int,
        card_ref: str | None = None,
    ) -> bool:
        closed = store.close(connection, transaction_id, outcome, now, card_ref)
        if closed and outcome in NOTIFIED_OUTCOMES:
            self._notify_holder(connection, transaction_id, outcome, now)
        if closed and self._on_closed is not None:
            self._on_closed(transaction_id, outcome)
        return closed

    def _notify_holder(
        self, connection: Connection, transaction_id: str, outcome: Outcome, now: int
    ) -> None:
        """Into the outbox, in the same database transaction as the outcome."""
        row = store.get_transaction(connection, transaction_id)
        if row is None or row.card_ref is None:
            return
        kiosk = store.get_kiosk(connection, row.kiosk_id)
        store.enqueue_notification(connection, store.NotificationRow(
            notification_id="ntf_" + secrets.token_hex(16),
            transaction_id=transaction_id,
            card_ref=row.card_ref,
            kiosk_id=row.kiosk_id,
            store_name=kiosk.store_name if kiosk is not None else "",
            outcome=outcome.value,
            reset_at=now,
            attempts=0,
        ))

    def _advance(
        self,
        connection: Connection,
        transaction_id: str,
        expected: TransactionState,
        new_state: TransactionState,
        **values: object,
    ) -> None:
        if not store.advance(connection, transaction_id, expected, new_state, **values):
            raise RefusalError(
                409,
                ErrorKind.PROTOCOL,
                "conflict",
                "the transaction changed meanwhile",
                transaction_id,
            )

    def _close_and_refuse(
        self,
        connection: Connection,
        row: store.TransactionRow,
        outcome: Outcome,
        refusal: RefusalError,
        card_ref: str | None = None,
    ) -> RefusalError:
        self._close(connection, row.transaction_id, outcome, self.now_ms(), card_ref)
        return refusal

    # --- steps -------------------------------------------------------------------

    def begin(self, connection: Connection, caller: KioskCaller) -> BeginResponse:
        now = self.now_ms()
        if not self.policy.is_open(dt.datetime.fromtimestamp(now / 1000).astimezone()):
            raise RefusalError(
                403, ErrorKind.POLICY, "outside_service_hours", "outside service hours"
            )
        store.lock_key(connection, f"kiosk:{caller.kiosk_id}")
        since = now - self.policy.kiosk_window_seconds * 1000
        if (
            store.count_kiosk_transactions(connection, caller.kiosk_id, since)
            >= self.policy.kiosk_max_transactions
        ):
            raise RefusalError(429, ErrorKind.POLICY, "kiosk_rate_limited", "too many transactions")
        if self._invalid_proofs(connection, caller.kiosk_id, now) >= (
            self.policy.kiosk_max_invalid_proofs
        ):
            raise RefusalError(
                429,
                ErrorKind.POLICY,
                "kiosk_flagged",
                "this kiosk presented too many card proofs that failed; staff must check it",
            )
        transaction_id = "tx_" + secrets.token_hex(16)
        nonce, chip_nonce = secrets.token_bytes(32), secrets.token_bytes(32)
        expires_at = now + self.policy.transaction_ttl_seconds * 1000
        store.insert_transaction(
            connection,
            transaction_id=transaction_id,
            kiosk_id=caller.kiosk_id,
            nonce=nonce,
            chip_nonce=chip_nonce,
            created_at=now,
            expires_at=expires_at,
        )
        return BeginResponse(
            transaction_id=transaction_id,
            nonce=nonce,
            expires_at_ms=expires_at,
            chip_nonce=chip_nonce,
        )

    def _invalid_proofs(self, connection: Connection, kiosk_id: str, now: int) -> int:
        """Failed card proofs in the policy's window that failed after staff last enabled the
        kiosk (by when they failed: a transaction begun before may fail after)."""
        since = now - self.policy.kiosk_invalid_proof_window_seconds * 1000
        return store.count_kiosk_transactions(
            connection,
            kiosk_id,
            since,
            (Outcome.CARD_PROOF_INVALID,),
            closed_since=store.kiosk_cleared_at(connection, kiosk_id),
        )

    def card_proof(
        self,
        connection: Connection,
        caller: KioskCaller,
        transaction_id: str,
        request: CardProofRequest,
    ) -> TransactionStatus:
        row = self._open(connection, caller, transaction_id, TransactionState.AWAITING_CARD_PROOF)
        try:
            card = self.authority.verify_card_certificate(
                request.auth_certificate, dt.datetime.fromtimestamp(self.now_ms() / 1000, dt.UTC)
            )
        except CardCertificateError as rejected:
            raise self._close_and_refuse(
                connection,
                row,
                Outcome.CARD_REJECTED,
                RefusalError(422, ErrorKind.CARD, rejected.code, str(rejected), transaction_id),
            ) from None
        if not verify_card_proof(
            card.public_key, request.signature, transaction_id, row.nonce, caller.kiosk_id
        ):
            # Whoever holds the certificate (it is public) is not its card: charge the kiosk
            # and this transaction, never the card.
            self._close(connection, transaction_id, Outcome.CARD_PROOF_INVALID, self.now_ms())
            now = self.now_ms()
            if self._invalid_proofs(connection, caller.kiosk_id, now) >= (
                self.policy.kiosk_max_invalid_proofs
            ):
                store.flag_kiosk(connection, caller.kiosk_id, now)
            raise RefusalError(
                422,
                ErrorKind.CARD,
                "bad_card_signature",
                "the card's signature does not verify for this transaction",
                transaction_id,
            )
        registration = self.authority.registration(card.serial)
        if registration is None:
            raise self._close_and_refuse(
                connection,
                row,
                Outcome.CARD_REJECTED,
                RefusalError(
                    422,
                    ErrorKind.CARD,
                    "card_not_registered",
                    "the authority has no issuance record binding this card's chip",
                    transaction_id,
                ),
            )
        store.lock_key(connection, f"card:{card.card_ref}")
        since = row.created_at - self.policy.card_window_seconds * 1000
        failures = store.count_card_transactions(
            connection, card.card_ref, since, _FAILURE_OUTCOMES
        )
        if failures >= self.policy.card_max_failures:
            raise self._close_and_refuse(
                connection,
                row,
                Outcome.REFUSED_BY_POLICY,
                RefusalError(
                    429,
                    ErrorKind.POLICY,
                    "card_locked",
                    "too many failed attempts with this card",
                    transaction_id,
                ),
                card.card_ref,
            )
        if (
            store.count_card_transactions(connection, card.card_ref, since)
            >= self.policy.card_max_transactions
        ):
            raise self._close_and_refuse(
                connection,
                row,
                Outcome.REFUSED_BY_POLICY,
                RefusalError(
                    429,
                    ErrorKind.POLICY,
                    "card_rate_limited",
                    "too many attempts with this card",
                    transaction_id,
                ),
                card.card_ref,
            )
        if row.chip_nonce is None or not verify_chip_proof(
            registration.chip_public_key,
            request.chip_signature,
            transaction_id,
            row.chip_nonce,
            caller.kiosk_id,
        ):
            # The card proved its key and PIN, but another chip answered for it (a spliced or
            # replayed card): a failure of this card, with its own outcome.
            raise self._close_and_refuse(
                connection,
                row,
                Outcome.CARD_BINDING_MISMATCH,
                _binding_mismatch(transaction_id, "chip"),
                card.card_ref,
            )
        self._advance(
            connection,
            transaction_id,
            TransactionState.AWAITING_CARD_PROOF,
            TransactionState.AWAITING_FACE_EVIDENCE,
            card_ref=card.card_ref,
            card_serial=format(card.serial, "x"),
        )
        return self._status(connection, transaction_id)

    def face_evidence(
        self,
        connection: Connection,
        caller: KioskCaller,
        transaction_id: str,
        request: FaceEvidenceRequest,
    ) -> TransactionStatus:
        row = self._open(
            connection, caller, transaction_id, TransactionState.AWAITING_FACE_EVIDENCE
        )
        evidence = request.evidence
        if evidence.transaction_id != transaction_id or evidence.kiosk_id != caller.kiosk_id:
            raise RefusalError(
                400,
                ErrorKind.PROTOCOL,
                "evidence_mismatch",
                "the evidence names another transaction or kiosk",
                transaction_id,
            )
        if caller.attestation == "tpm":
            if not self._tpm_evidence_ok(caller, row, request):
                raise self._close_and_refuse(
                    connection,
                    row,
                    Outcome.REFUSED_BY_POLICY,
                    RefusalError(
                        403,
                        ErrorKind.POLICY,
                        "kiosk_attestation_failed",
                        "the evidence is not signed in this kiosk's TPM in its enrolled state",
                        transaction_id,
                    ),
                )
        elif not self.allow_software_kiosks:
            raise self._close_and_refuse(
                connection,
                row,
                Outcome.REFUSED_BY_POLICY,
                RefusalError(
                    403,
                    ErrorKind.POLICY,
                    "kiosk_attestation_required",
                    "this kiosk was not enrolled with a TPM",
                    transaction_id,
                ),
            )
        elif not verify_face_evidence(caller.public_key, evidence, request.signature):
            raise RefusalError(
                400,
                ErrorKind.PROTOCOL,
                "bad_kiosk_signature",
                "the evidence is not signed by this kiosk's key",
                transaction_id,
            )
        registration = self._registration(row)
        if (
            evidence.card_face_sha256 != registration.card_face_sha256
            or evidence.chip_key_sha256 != registration.chip_key_sha256
        ):
            # The face was compared with another card's photo: worthless for this card.
            raise self._close_and_refuse(
                connection,
                row,
                Outcome.CARD_BINDING_MISMATCH,
                _binding_mismatch(transaction_id, "card face"),
            )
        policy = self.policy
        good_enough = (
            evidence.matched
            and evidence.score_ppm <= evidence.threshold_ppm
            and evidence.threshold_ppm <= policy.max_face_threshold_ppm
            and evidence.frames_used >= policy.min_face_frames
            and (evidence.liveness == Liveness.PASSED or not policy.require_liveness)
        )
        if not good_enough:
            # The record names the type of identity check made, whatever its result.
            self._advance(
                connection,
                transaction_id,
                TransactionState.AWAITING_FACE_EVIDENCE,
                TransactionState.AWAITING_FACE_EVIDENCE,
                identity_check=IDENTITY_CHECK_TYPE,
            )
            raise self._close_and_refuse(
                connection,
                row,
                Outcome.FACE_CHECK_FAILED,
                RefusalError(
                    403,
                    ErrorKind.POLICY,
                    "face_check_failed",
                    "the face check does not meet the policy",
                    transaction_id,
                ),
            )
        self._advance(
            connection,
            transaction_id,
            TransactionState.AWAITING_FACE_EVIDENCE,
            TransactionState.AWAITING_RESET_REQUEST,
            identity_check=IDENTITY_CHECK_TYPE,
        )
        return self._status(connection, transaction_id)

    def _registration(self, row: store.TransactionRow) -> CardRegistration:
        registration = (
            None if row.card_serial is None else self.authority.registration(row.card_serial)
        )
        if registration is None:
            raise RefusalError(500, ErrorKind.SERVER, "internal", "transaction lost its card")
        return registration

    @staticmethod
    def _tpm_evidence_ok(
        caller: KioskCaller, row: store.TransactionRow, request: FaceEvidenceRequest
    ) -> bool:
        """Signed by the enrolled, PCR-bound evidence key, and quoted by the enrolled AK over
        this transaction's nonce with the PCRs of enrolment."""
        tpm, quote = caller.tpm, request.tpm_quote
        if tpm is None or quote is None:
            return False
        try:
            evidence_key = tpm_format.parse_public(tpm.evidence_public)
            attestation_key = tpm_format.parse_public(tpm.attestation_public)
        except tpm_format.TpmFormatError:
            return False
        payload = face_evidence_payload(request.evidence)
        if not tpm_format.verify_signed(evidence_key, payload, request.signature):
            return False
        quoted = tpm_format.verify_attestation(attestation_key, quote.attest, quote.signature)
        return (
            quoted is not None
            and quoted.type == tpm_format.ST_ATTEST_QUOTE
            and quoted.extra_data
            == tpm_format.quote_qualifying_data(row.transaction_id, row.nonce, payload)
            and quoted.selection is not None
            and quoted.selection.text() == tpm.pcr_selection
            and quoted.pcr_digest == tpm.pcr_digest
        )

    def reset_command(
        self,
        connection: Connection,
        caller: KioskCaller,
        transaction_id: str,
        request: ResetCommandRequest,
    ) -> ResetCommandResponse:
        row = self._open(
            connection, caller, transaction_id, TransactionState.AWAITING_RESET_REQUEST
        )
        if row.card_serial is None:
            raise RefusalError(500, ErrorKind.SERVER, "internal", "transaction lost its card")
        apdu = self._build_command(row.card_serial, transaction_id, request)
        self._advance(
            connection,
            transaction_id,
            TransactionState.AWAITING_RESET_REQUEST,
            TransactionState.AWAITING_CARD_ANSWER,
            card_challenge=request.card_challenge.hex(),
        )
        return ResetCommandResponse(
            transaction_id=transaction_id, apdu=apdu, expires_at_ms=row.expires_at
        )

    def reissue_reset_command(
        self,
        connection: Connection,
        caller: KioskCaller,
        transaction_id: str,
        request: ResetCommandRequest,
    ) -> ResetCommandResponse:
        """The reset command again, for a retry of the very call that issued it (the caller
        has matched the retried body to the stored reply), on whichever instance.

        Nothing of the command is stored: it is rebuilt from the retried request and the
        open transaction's card serial and challenge, and so comes out byte for byte the
        same. Once the transaction has closed (answered, aborted, overdue) those are erased
        and the command is no longer available; the kiosk asks for the status."""
        row = store.get_transaction(connection, transaction_id, for_update=True)
        if row is None or row.kiosk_id != caller.kiosk_id:
            raise _unknown_transaction()
        gone = RefusalError(
            409,
            ErrorKind.PROTOCOL,
            "command_no_longer_available",
            "the reset command is no longer available; ask for the transaction status",
            transaction_id,
        )
        if (
            row.state != TransactionState.AWAITING_CARD_ANSWER
            or row.card_serial is None
            or row.card_challenge != request.card_challenge
            or self._expire_if_overdue(connection, row)
        ):
            raise gone
        apdu = self._build_command(row.card_serial, transaction_id, request)
        return ResetCommandResponse(
            transaction_id=transaction_id, apdu=apdu, expires_at_ms=row.expires_at
        )

    def _build_command(
        self, card_serial: int, transaction_id: str, request: ResetCommandRequest
    ) -> bytes:
        try:
            pin = decrypt_pin(self._pin_key, request.encrypted_pin, transaction_id)
        except MessageError as error:
            raise RefusalError(
                400, ErrorKind.PROTOCOL, "pin_envelope_invalid", str(error), transaction_id
            ) from None
        try:
            if not is_valid_signature_pin(pin):
                raise RefusalError(
                    400,
                    ErrorKind.PROTOCOL,
                    "new_pin_format",
                    "the new PIN must be 6 to 16 of A-Z and 0-9, with a letter and a digit",
                    transaction_id,
                )
            keys = session_keys(
                self.authority.admin_master,
                card_id_from_serial(card_serial),
                request.card_challenge,
            )
            return build_reset_command(keys, pin)
        finally:
            pin[:] = bytes(len(pin))

    def card_answer(
        self,
        connection: Connection,
        caller: KioskCaller,
        transaction_id: str,
        request: CardAnswerRequest,
    ) -> TransactionStatus:
        row = self._open(connection, caller, transaction_id, TransactionState.AWAITING_CARD_ANSWER)
        if row.card_serial is None or row.card_challenge is None:
            raise RefusalError(500, ErrorKind.SERVER, "internal", "transaction lost its card")
        keys = session_keys(
            self.authority.admin_master, card_id_from_serial(row.card_serial), row.card_challenge
        )
        outcome = _VERDICT_OUTCOME[verify_answer(keys, request.answer)]
        self._close(connection, transaction_id, outcome, self.now_ms())
        return self._status(connection, transaction_id)

    def abort(
        self,
        connection: Connection,
        caller: KioskCaller,
        transaction_id: str,
        request: AbortRequest,
    ) -> TransactionStatus:
        del request  # the reason is for the kiosk's own logs; the record keeps only the outcome
        row = store.get_transaction(connection, transaction_id, for_update=True)
        if row is None or row.kiosk_id != caller.kiosk_id:
            raise RefusalError(
                404, ErrorKind.PROTOCOL, "unknown_transaction", "no such transaction"
            )
        if row.state != TransactionState.CLOSED:
            # Once the command went out, only the card's answer could tell what happened.
            sent = row.state == TransactionState.AWAITING_CARD_ANSWER
            outcome = Outcome.UNCONFIRMED if sent else Outcome.ABORTED
            self._close(connection, transaction_id, outcome, self.now_ms())
        return self._status(connection, transaction_id)

    def status(
        self, connection: Connection, caller: KioskCaller, transaction_id: str
    ) -> TransactionStatus:
        row = store.get_transaction(connection, transaction_id, for_update=True)
        if row is None or row.kiosk_id != caller.kiosk_id:
            raise RefusalError(
                404, ErrorKind.PROTOCOL, "unknown_transaction", "no such transaction"
            )
        if row.state != TransactionState.CLOSED:
            self._expire_if_overdue(connection, row)
        return self._status(connection, transaction_id)

    def _expire_if_overdue(self, connection: Connection, row: store.TransactionRow) -> bool:
        now = self.now_ms()
        awaiting_answer = row.state == TransactionState.AWAITING_CARD_ANSWER
        deadline = self._answer_deadline(row) if awaiting_answer else row.expires_at
        if now <= deadline:
            return False
        outcome = Outcome.UNCONFIRMED if awaiting_answer else Outcome.EXPIRED
        return self._close(connection, row.transaction_id, outcome, now)

    def sweep(self, connection: Connection) -> list[str]:
        """Close every overdue transaction; returns their ids."""
        closed = []
        now = self.now_ms()
        for row in store.overdue_transactions(
            connection, now, self.policy.answer_grace_seconds * 1000
        ):
            if self._expire_if_overdue(connection, row):
                closed.append(row.transaction_id)
        store.forget_replies_before(
            connection, now - self.policy.idempotency_retention_seconds * 1000
        )
        return closed

    def _status(self, connection: Connection, transaction_id: str) -> TransactionStatus:
        row = store.get_transaction(connection, transaction_id)
        if row is None:
            raise RefusalError(500, ErrorKind.SERVER, "internal", "transaction vanished")
        return row.status()
