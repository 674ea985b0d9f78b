"""The kiosk's side of protocol v1: httpx over mutual TLS, bounded retries, typed errors.

Every POST carries an idempotency key chosen once per logical call; a retry re-sends the
very same body, so the server either runs the call once or replays its first reply. Only
transport failures and 5xx replies are retried; a refusal is final.
"""

from __future__ import annotations

import json
import secrets
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
from cryptography.hazmat.primitives.asymmetric import ec

from kiosk.backend_client.config import BackendClientConfig
from kiosk.backend_client.errors import (
    BackendOfflineError,
    BackendUntrustedError,
    CardRejectedError,
    KioskIntegrityError,
    ProtocolError,
    RefusedByPolicyError,
    ServerError,
)
from kiosk.tpm import TpmError
from kiosk.tpm.bridge import ERROR_HEADER as BRIDGE_ERROR_HEADER
from kiosk.tpm.bridge import TlsBridge
from kiosk_protocol.errors import MessageError
from kiosk_protocol.messages import (
    AbortReason,
    AbortRequest,
    BeginRequest,
    BeginResponse,
    CardAnswerRequest,
    CardProofRequest,
    ErrorBody,
    ErrorKind,
    FaceEvidence,
    FaceEvidenceRequest,
    Liveness,
    Outcome,
    ResetCommandRequest,
    ResetCommandResponse,
    ServerKey,
    TpmQuote,
    TransactionStatus,
)
from kiosk_protocol.pin_envelope import PIN_ALGORITHM, encrypt_pin, load_public_key_pem
from kiosk_protocol.signing import (
    card_proof_digest_info,
    chip_proof_digest_info,
    face_evidence_payload,
    sign_face_evidence,
)
from kiosk_protocol.tpm import quote_qualifying_data

T = TypeVar("T")
_RETRY_STATUSES = {500, 502, 503, 504}


@dataclass(frozen=True)
class Transaction:
    """An open transaction. `to_sign` is the DigestInfo the card's auth key must sign,
    `chip_to_sign` the one the card-info AP's chip key must sign."""

    transaction_id: str
    nonce: bytes
    expires_at_ms: int
    to_sign: bytes
    chip_to_sign: bytes = b""


@dataclass(frozen=True)
class FaceReport:
    """The face check's result as the kiosk measured it (distances in 0..1; never an image)."""

    matched: bool
    live: bool
    score: float
    threshold: float
    frames: int
    model_version: str
    card_face_sha256: str  # the card face the photo came from (hex)
    chip_key_sha256: str  # the chip key that proved that card face (hex)


def _new_key() -> str:
    return secrets.token_urlsafe(24)


def _untrusted(error: BaseException) -> bool:
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _ppm(value: float) -> int:
    return max(0, min(10_000_000, round(value * 1_000_000)))


class BackendClient:
    def __init__(
        self,
        config: BackendClientConfig,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.config = config
        self.kiosk_id, self._signing_key = config.kiosk_identity()
        self._tpm = config.tpm() if self._signing_key is None else None
        timeout = httpx.Timeout(
            config.read_timeout, connect=config.connect_timeout, pool=config.connect_timeout
        )
        self._bridge: TlsBridge | None = None
        base_url = config.base_url
        if transport is None and config.key_in_tpm:
            # TLS with the TPM-held key runs in its own small process (kiosk.tpm.tls_bridge).
            try:
                self._bridge = TlsBridge(config.base_url, config.client_certificate,
                                         config.client_key, config.ca_certificate,
                                         config.tpm_tcti)
            except TpmError as error:
                raise KioskIntegrityError(str(error)) from None
            # Plain HTTP to the bridge over a private UNIX socket; the bridge verifies the
            # server. An explicit context keeps httpx from making one (which would read
            # $SSLKEYLOGFILE).
            transport = httpx.HTTPTransport(uds=str(self._bridge.socket_path),
                                            verify=ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT))
            base_url = self._bridge.server_url
        self._http = httpx.Client(
            base_url=base_url,
            verify=config.ssl_context() if transport is None else True,
            timeout=timeout,
            transport=transport,
            trust_env=False,  # no proxies, no SSLKEYLOGFILE from the environment
            headers={"User-Agent": "kiosk-backend-client/1"},
        )
        self._sleep = sleep
        self._server_key: ServerKey | None = None

    def close(self) -> None:
        self._http.close()
        if self._bridge is not None:
            self._bridge.close()

    def __enter__(self) -> BackendClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # --- transport -----------------------------------------------------------------

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """One logical call with bounded retries; returns the decoded JSON of a 2xx reply."""
        content = None if body is None else json.dumps(body).encode("utf-8")
        headers = {"Content-Type": "application/json"} if content is not None else {}
        attempts = 1 + max(0, self.config.retries)
        last: BaseException | None = None
        for attempt in range(attempts):
            if attempt:
                self._sleep(self.config.retry_backoff * (2 ** (attempt - 1)))
            try:
                response = self._http.request(method, path, content=content, headers=headers)
            except httpx.DecodingError:
                # the body does not decode as its Content-Encoding says: a broken reply
                raise ProtocolError("malformed_reply", "undecodable content encoding") from None
            except httpx.TransportError as error:
                if _untrusted(error):
                    raise BackendUntrustedError(
                        "the server's certificate is not from the operator CA"
                    ) from None
                last = error
                continue
            bridge_error = response.headers.get(BRIDGE_ERROR_HEADER)
            if bridge_error == "untrusted":
                raise BackendUntrustedError("the server's certificate is not from the operator CA")
            if bridge_error is not None:
                last = BackendOfflineError(f"TLS with the backend failed ({bridge_error[:32]})")
                continue
            if response.status_code in _RETRY_STATUSES:
                last = _server_error(response)
                continue
            return _decode(response)
        if isinstance(last, ServerError | BackendOfflineError):
            raise last
        name = type(last).__name__ if last else "unknown"
        raise BackendOfflineError(f"backend unreachable after {attempts} attempts ({name})")

    def _parse(self, parser: Callable[[object], T], document: object) -> T:
        try:
            return parser(document)
        except MessageError as error:
            raise ProtocolError("malformed_reply", str(error)) from None

    # --- protocol steps ------------------------------------------------------------

    def server_key(self) -> ServerKey:
        if self._server_key is None:
            key = self._parse(ServerKey.from_json, self._call("GET", "/v1/server-key"))
            if key.algorithm != PIN_ALGORITHM:
                raise ProtocolError("unsupported_pin_algorithm")
            self._server_key = key
        return self._server_key

    def begin(self) -> Transaction:
        reply = self._call("POST", "/v1/transactions", BeginRequest(_new_key()).to_json())
        begun = self._parse(BeginResponse.from_json, reply)
        return Transaction(
            transaction_id=begun.transaction_id,
            nonce=begun.nonce,
            expires_at_ms=begun.expires_at_ms,
            to_sign=card_proof_digest_info(begun.transaction_id, begun.nonce, self.kiosk_id),
            chip_to_sign=chip_proof_digest_info(
                begun.transaction_id, begun.chip_nonce, self.kiosk_id
            ),
        )

    def prove_card(
        self,
        transaction: Transaction,
        auth_certificate: bytes,
        signature: bytes,
        chip_signature: bytes,
    ) -> TransactionStatus:
        request = CardProofRequest(_new_key(), auth_certificate, signature, chip_signature)
        path = f"/v1/transactions/{transaction.transaction_id}/card-proof"
        return self._parse(TransactionStatus.from_json, self._call("POST", path, request.to_json()))

    def report_face(self, transaction: Transaction, report: FaceReport) -> TransactionStatus:
        evidence = FaceEvidence(
            transaction_id=transaction.transaction_id,
            kiosk_id=self.kiosk_id,
            matched=report.matched,
            score_ppm=_ppm(report.score),
            threshold_ppm=_ppm(report.threshold),
            frames_used=max(0, min(10_000, report.frames)),
            liveness=Liveness.PASSED if report.live else Liveness.FAILED,
            model_version=report.model_version[:128],
            card_face_sha256=report.card_face_sha256,
            chip_key_sha256=report.chip_key_sha256,
        )
        request = self._signed(transaction, evidence)
        path = f"/v1/transactions/{transaction.transaction_id}/face-evidence"
        return self._parse(TransactionStatus.from_json, self._call("POST", path, request.to_json()))

    def _signed(self, transaction: Transaction, evidence: FaceEvidence) -> FaceEvidenceRequest:
        """Signed with the key file (testbeds), or inside the TPM with the PCR-bound evidence
        key plus a quote over the backend's nonce."""
        if self._signing_key is not None:
            return FaceEvidenceRequest(
                _new_key(), evidence, sign_face_evidence(self._signing_key, evidence))
        if self._tpm is None:
            raise TypeError("the client has neither a signing key nor a TPM")
        payload = face_evidence_payload(evidence)
        try:
            signature, attest, quote_signature = self._tpm.sign_evidence(
                payload, quote_qualifying_data(transaction.transaction_id, transaction.nonce,
                                               payload))
        except TpmError as error:
            raise KioskIntegrityError(str(error)) from None
        return FaceEvidenceRequest(_new_key(), evidence, signature,
                                   TpmQuote(attest, quote_signature))

    def request_reset_command(
        self, transaction: Transaction, new_pin: bytearray, card_challenge: bytes
    ) -> bytes:
        """Encrypt the new PIN to the server (then wipe `new_pin`); return the protected APDU."""
        try:
            key: ec.EllipticCurvePublicKey = load_public_key_pem(self.server_key().public_key_pem)
            envelope = encrypt_pin(key, new_pin, transaction.transaction_id)
        except MessageError as error:
            raise ProtocolError("pin_envelope", str(error)) from None
        finally:
            new_pin[:] = bytes(len(new_pin))
        request = ResetCommandRequest(_new_key(), envelope, card_challenge)
        path = f"/v1/transactions/{transaction.transaction_id}/reset-command"
        reply = self._parse(
            ResetCommandResponse.from_json, self._call("POST", path, request.to_json())
        )
        if reply.transaction_id != transaction.transaction_id:
            raise ProtocolError("wrong_transaction")
        return reply.apdu

    def confirm(self, transaction: Transaction, card_answer: bytes) -> TransactionStatus:
        """Hand the card's answer to the backend. Raises CardRejectedError unless PIN_RESET."""
        request = CardAnswerRequest(_new_key(), card_answer)
        path = f"/v1/transactions/{transaction.transaction_id}/card-answer"
        status = self._parse(
            TransactionStatus.from_json, self._call("POST", path, request.to_json())
        )
        if status.outcome != Outcome.PIN_RESET:
            raise CardRejectedError(str(status.outcome.value if status.outcome else "open"))
        return status

    def abort(self, transaction_id: str, reason: AbortReason) -> TransactionStatus:
        request = AbortRequest(_new_key(), reason)
        path = f"/v1/transactions/{transaction_id}/abort"
        return self._parse(TransactionStatus.from_json, self._call("POST", path, request.to_json()))

    def status(self, transaction_id: str) -> TransactionStatus:
        """What the server knows about a transaction (for a kiosk that crashed mid-way)."""
        path = f"/v1/transactions/{transaction_id}"
        return self._parse(TransactionStatus.from_json, self._call("GET", path))


def _server_error(response: httpx.Response) -> ServerError:
    try:
        code = ErrorBody.from_json(response.json()).code
    except (ValueError, MessageError):
        code = "unavailable"
    return ServerError(code, response.status_code)


def _decode(response: httpx.Response) -> Any:
    try:
        document = response.json()
    except (ValueError, RecursionError):  # not JSON, or nested deeper than a parser may go
        document = None
    if 200 <= response.status_code < 300:
        if document is None:
            raise ProtocolError("malformed_reply", "the reply is not JSON")
        return document
    try:
        error = ErrorBody.from_json(document)
    except MessageError:
        raise ServerError("unexpected_reply", response.status_code) from None
    if error.kind == ErrorKind.POLICY:
        raise RefusedByPolicyError(error.code, error.message)
    if error.kind == ErrorKind.CARD:
        raise CardRejectedError(error.code, error.message)
    if error.kind == ErrorKind.SERVER:
        raise ServerError(error.code, response.status_code)
    raise ProtocolError(error.code, error.message)
