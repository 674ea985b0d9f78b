"""Protocol v1 message types: requests, responses, states, outcomes and error bodies.

Each type converts to a JSON-ready dict (`to_json`) and back (`from_json`, strict: a
malformed message raises MessageError). Binary fields travel as standard base64.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from kiosk_protocol.fields import (
    IDEMPOTENCY_KEY,
    KIOSK_ID,
    SHA256_HEX,
    TRANSACTION_ID,
    Fields,
    b64encode,
)

JsonObject = dict[str, Any]

NONCE_LENGTH = 32
CARD_CHALLENGE_LENGTH = 16
MAX_TIME = 2**53


class TransactionState(StrEnum):
    AWAITING_CARD_PROOF = "awaiting_card_proof"
    AWAITING_FACE_EVIDENCE = "awaiting_face_evidence"
    AWAITING_RESET_REQUEST = "awaiting_reset_request"
    AWAITING_CARD_ANSWER = "awaiting_card_answer"
    CLOSED = "closed"


class Outcome(StrEnum):
    """How a closed transaction ended. Only PIN_RESET means the card's PIN was changed.

    COMMAND_REFUSED_BY_CARD and ANSWER_NOT_AUTHENTIC are no longer given (an answer without a
    valid MAC closes the transaction as UNCONFIRMED); they stay for records made before.
    """

    PIN_RESET = "pin_reset"
    PIN_REJECTED_BY_CARD = "pin_rejected_by_card"
    COMMAND_REFUSED_BY_CARD = "command_refused_by_card"
    ANSWER_NOT_AUTHENTIC = "answer_not_authentic"
    CARD_REJECTED = "card_rejected"
    # The card proof does not verify for the presented certificate: counts against the kiosk.
    CARD_PROOF_INVALID = "card_proof_invalid"
    # The chip or the card face is not the one the authority registered for the certificate.
    CARD_BINDING_MISMATCH = "card_binding_mismatch"
    FACE_CHECK_FAILED = "face_check_failed"
    REFUSED_BY_POLICY = "refused_by_policy"
    ABORTED = "aborted"
    EXPIRED = "expired"
    UNCONFIRMED = "unconfirmed"


class Liveness(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    NOT_RUN = "not_run"


class AbortReason(StrEnum):
    RESIDENT_CANCELLED = "resident_cancelled"
    CARD_REMOVED = "card_removed"
    TIMEOUT = "timeout"
    KIOSK_FAULT = "kiosk_fault"
    CARD_CHECK_FAILED = "card_check_failed"


class ErrorKind(StrEnum):
    """Who or what refused: the kiosk's client turns each into its own exception type."""

    POLICY = "policy"
    CARD = "card"
    PROTOCOL = "protocol"
    SERVER = "server"


@dataclass(frozen=True)
class ErrorBody:
    kind: ErrorKind
    code: str
    message: str
    transaction_id: str | None = None

    def to_json(self) -> JsonObject:
        body: JsonObject = {"kind": self.kind.value, "code": self.code, "message": self.message}
        if self.transaction_id is not None:
            body["transaction_id"] = self.transaction_id
        return {"error": body}

    @classmethod
    def from_json(cls, value: object) -> ErrorBody:
        fields = Fields(value, "$").nested("error")
        return cls(
            kind=fields.enum("kind", ErrorKind),
            code=fields.text("code", max_len=64),
            message=fields.text("message", max_len=512),
            transaction_id=fields.optional_text("transaction_id", max_len=64),
        )


@dataclass(frozen=True)
class BeginRequest:
    idempotency_key: str

    def to_json(self) -> JsonObject:
        return {"idempotency_key": self.idempotency_key}

    @classmethod
    def from_json(cls, value: object) -> BeginRequest:
        return cls(Fields(value, "$").text("idempotency_key", IDEMPOTENCY_KEY))


@dataclass(frozen=True)
class BeginResponse:
    """`nonce` is for the card proof (auth key), `chip_nonce` for the chip proof (chip key)."""

    transaction_id: str
    nonce: bytes
    expires_at_ms: int
    chip_nonce: bytes

    def to_json(self) -> JsonObject:
        return {
            "transaction_id": self.transaction_id,
            "nonce": b64encode(self.nonce),
            "chip_nonce": b64encode(self.chip_nonce),
            "expires_at_ms": self.expires_at_ms,
            "state": TransactionState.AWAITING_CARD_PROOF.value,
        }

    @classmethod
    def from_json(cls, value: object) -> BeginResponse:
        fields = Fields(value, "$")
        return cls(
            transaction_id=fields.text("transaction_id", TRANSACTION_ID),
            nonce=fields.binary("nonce", NONCE_LENGTH, NONCE_LENGTH),
            expires_at_ms=fields.integer("expires_at_ms", 0, MAX_TIME),
            chip_nonce=fields.binary("chip_nonce", NONCE_LENGTH, NONCE_LENGTH),
        )


@dataclass(frozen=True)
class CardProofRequest:
    """The card's auth certificate, its signature over the card-proof payload, and the chip's
    signature over the chip-proof payload (docs/protocol.md §4.2)."""

    idempotency_key: str
    auth_certificate: bytes
    signature: bytes
    chip_signature: bytes

    def to_json(self) -> JsonObject:
        return {
            "idempotency_key": self.idempotency_key,
            "auth_certificate": b64encode(self.auth_certificate),
            "signature": b64encode(self.signature),
            "chip_signature": b64encode(self.chip_signature),
        }

    @classmethod
    def from_json(cls, value: object) -> CardProofRequest:
        fields = Fields(value, "$")
        return cls(
            idempotency_key=fields.text("idempotency_key", IDEMPOTENCY_KEY),
            auth_certificate=fields.binary("auth_certificate", 64, 8192),
            signature=fields.binary("signature", 64, 1024),
            chip_signature=fields.binary("chip_signature", 64, 1024),
        )


@dataclass(frozen=True)
class FaceEvidence:
    """The kiosk's face-check result. Scores are parts per million (no floats in signed data).

    `score_ppm` is the face distance found; the match passes when it is at most
    `threshold_ppm`. Never an image or a face descriptor. `card_face_sha256` and
    `chip_key_sha256` name the card face the photo came from and the chip key that proved it
    (SHA-256 hex of the message DF28 signs, and of the DF24 key's SubjectPublicKeyInfo DER).
    """

    transaction_id: str
    kiosk_id: str
    matched: bool
    score_ppm: int
    threshold_ppm: int
    frames_used: int
    liveness: Liveness
    model_version: str
    card_face_sha256: str
    chip_key_sha256: str

    def to_json(self) -> JsonObject:
        return {
            "transaction_id": self.transaction_id,
            "kiosk_id": self.kiosk_id,
            "matched": self.matched,
            "score_ppm": self.score_ppm,
            "threshold_ppm": self.threshold_ppm,
            "frames_used": self.frames_used,
            "liveness": self.liveness.value,
            "model_version": self.model_version,
            "card_face_sha256": self.card_face_sha256,
            "chip_key_sha256": self.chip_key_sha256,
        }

    @classmethod
    def from_json(cls, value: object) -> FaceEvidence:
        fields = Fields(value, "$.evidence")
        return cls(
            transaction_id=fields.text("transaction_id", TRANSACTION_ID),
            kiosk_id=fields.text("kiosk_id", KIOSK_ID),
            matched=fields.boolean("matched"),
            score_ppm=fields.integer("score_ppm", 0, 10_000_000),
            threshold_ppm=fields.integer("threshold_ppm", 0, 10_000_000),
            frames_used=fields.integer("frames_used", 0, 10_000),
            liveness=fields.enum("liveness", Liveness),
            model_version=fields.text("model_version", max_len=128),
            card_face_sha256=fields.text("card_face_sha256", SHA256_HEX),
            chip_key_sha256=fields.text("chip_key_sha256", SHA256_HEX),
        )


@dataclass(frozen=True)
class TpmQuote:
    """A TPM quote of the kiosk's measured state (TPMS_ATTEST and its TPMT_SIGNATURE by the
    kiosk's attestation key), whose extraData binds it to the transaction's nonce and to the
    evidence it accompanies (``kiosk_protocol.tpm.quote_qualifying_data``)."""

    attest: bytes
    signature: bytes

    def to_json(self) -> JsonObject:
        return {"attest": b64encode(self.attest), "signature": b64encode(self.signature)}

    @classmethod
    def from_fields(cls, fields: Fields) -> TpmQuote:
        return cls(
            attest=fields.binary("attest", 16, 1024),
            signature=fields.binary("signature", 8, 512),
        )


@dataclass(frozen=True)
class FaceEvidenceRequest:
    """The evidence, the kiosk's signature over it and, from a TPM-enrolled kiosk, a quote.

    A TPM-enrolled kiosk signs with its PCR-bound evidence key inside the TPM and must send
    ``tpm_quote``; only kiosks enrolled without a TPM (testbeds) may leave it out.
    """

    idempotency_key: str
    evidence: FaceEvidence
    signature: bytes
    tpm_quote: TpmQuote | None = None

    def to_json(self) -> JsonObject:
        body: JsonObject = {
            "idempotency_key": self.idempotency_key,
            "evidence": self.evidence.to_json(),
            "signature": b64encode(self.signature),
        }
        if self.tpm_quote is not None:
            body["tpm_quote"] = self.tpm_quote.to_json()
        return body

    @classmethod
    def from_json(cls, value: object) -> FaceEvidenceRequest:
        fields = Fields(value, "$")
        quote = TpmQuote.from_fields(fields.nested("tpm_quote")) if fields.has(
            "tpm_quote") else None
        return cls(
            idempotency_key=fields.text("idempotency_key", IDEMPOTENCY_KEY),
            evidence=FaceEvidence.from_json(fields.raw("evidence")),
            signature=fields.binary("signature", 8, 1024),
            tpm_quote=quote,
        )


@dataclass(frozen=True)
class EncryptedPin:
    key_id: str
    algorithm: str
    ciphertext: bytes

    def to_json(self) -> JsonObject:
        return {
            "key_id": self.key_id,
            "algorithm": self.algorithm,
            "ciphertext": b64encode(self.ciphertext),
        }

    @classmethod
    def from_fields(cls, fields: Fields) -> EncryptedPin:
        return cls(
            key_id=fields.text("key_id", max_len=64),
            algorithm=fields.text("algorithm", max_len=64),
            ciphertext=fields.binary("ciphertext", 16, 1024),
        )


@dataclass(frozen=True)
class ResetCommandRequest:
    """The new signature PIN (encrypted to the server) and the card's fresh challenge."""

    idempotency_key: str
    encrypted_pin: EncryptedPin
    card_challenge: bytes

    def to_json(self) -> JsonObject:
        return {
            "idempotency_key": self.idempotency_key,
            "encrypted_pin": self.encrypted_pin.to_json(),
            "card_challenge": b64encode(self.card_challenge),
        }

    @classmethod
    def from_json(cls, value: object) -> ResetCommandRequest:
        fields = Fields(value, "$")
        return cls(
            idempotency_key=fields.text("idempotency_key", IDEMPOTENCY_KEY),
            encrypted_pin=EncryptedPin.from_fields(fields.nested("encrypted_pin")),
            card_challenge=fields.binary(
                "card_challenge", CARD_CHALLENGE_LENGTH, CARD_CHALLENGE_LENGTH
            ),
        )


@dataclass(frozen=True)
class ResetCommandResponse:
    transaction_id: str
    apdu: bytes
    expires_at_ms: int

    def to_json(self) -> JsonObject:
        return {
            "transaction_id": self.transaction_id,
            "state": TransactionState.AWAITING_CARD_ANSWER.value,
            "apdu": b64encode(self.apdu),
            "expires_at_ms": self.expires_at_ms,
        }

    @classmethod
    def from_json(cls, value: object) -> ResetCommandResponse:
        fields = Fields(value, "$")
        return cls(
            transaction_id=fields.text("transaction_id", TRANSACTION_ID),
            apdu=fields.binary("apdu", 5, 512),
            expires_at_ms=fields.integer("expires_at_ms", 0, MAX_TIME),
        )


@dataclass(frozen=True)
class CardAnswerRequest:
    """The card's complete answer to the reset command: data and status word."""

    idempotency_key: str
    answer: bytes

    def to_json(self) -> JsonObject:
        return {"idempotency_key": self.idempotency_key, "answer": b64encode(self.answer)}

    @classmethod
    def from_json(cls, value: object) -> CardAnswerRequest:
        fields = Fields(value, "$")
        return cls(
            idempotency_key=fields.text("idempotency_key", IDEMPOTENCY_KEY),
            answer=fields.binary("answer", 2, 512),
        )


@dataclass(frozen=True)
class AbortRequest:
    idempotency_key: str
    reason: AbortReason

    def to_json(self) -> JsonObject:
        return {"idempotency_key": self.idempotency_key, "reason": self.reason.value}

    @classmethod
    def from_json(cls, value: object) -> AbortRequest:
        fields = Fields(value, "$")
        return cls(
            idempotency_key=fields.text("idempotency_key", IDEMPOTENCY_KEY),
            reason=fields.enum("reason", AbortReason),
        )


@dataclass(frozen=True)
class TransactionStatus:
    """A transaction as the server sees it; the answer to every step and to GET status."""

    transaction_id: str
    state: TransactionState
    outcome: Outcome | None
    identity_check: str | None
    expires_at_ms: int
    closed_at_ms: int | None

    def to_json(self) -> JsonObject:
        return {
            "transaction_id": self.transaction_id,
            "state": self.state.value,
            "outcome": None if self.outcome is None else self.outcome.value,
            "identity_check": self.identity_check,
            "expires_at_ms": self.expires_at_ms,
            "closed_at_ms": self.closed_at_ms,
        }

    @classmethod
    def from_json(cls, value: object) -> TransactionStatus:
        fields = Fields(value, "$")
        return cls(
            transaction_id=fields.text("transaction_id", TRANSACTION_ID),
            state=fields.enum("state", TransactionState),
            outcome=fields.optional_enum("outcome", Outcome),
            identity_check=fields.optional_text("identity_check", max_len=64),
            expires_at_ms=fields.integer("expires_at_ms", 0, MAX_TIME),
            closed_at_ms=fields.optional_integer("closed_at_ms", 0, MAX_TIME),
        )


@dataclass(frozen=True)
class ServerKey:
    """The server's public key for encrypting the new PIN (PEM SubjectPublicKeyInfo)."""

    key_id: str
    algorithm: str
    public_key_pem: str

    def to_json(self) -> JsonObject:
        return {
            "key_id": self.key_id,
            "algorithm": self.algorithm,
            "public_key_pem": self.public_key_pem,
        }

    @classmethod
    def from_json(cls, value: object) -> ServerKey:
        fields = Fields(value, "$")
        return cls(
            key_id=fields.text("key_id", max_len=64),
            algorithm=fields.text("algorithm", max_len=64),
            public_key_pem=fields.text("public_key_pem", max_len=8192),
        )
