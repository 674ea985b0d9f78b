"""A simulated kiosk for the load benchmark and the server's own tests.

It speaks protocol v1 with httpx over mutual TLS and drives a card through raw APDUs
(anything with `process(apdu) -> bytes`, e.g. the testbed's in-process VirtualCard). It is
not the product's client (kiosk/backend_client), which the server package must not import;
the face check is simulated as passed evidence.
"""

from __future__ import annotations

import json
import random
import secrets
import ssl
import string
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from kiosk_protocol.messages import (
    BeginRequest,
    BeginResponse,
    CardAnswerRequest,
    CardProofRequest,
    FaceEvidence,
    FaceEvidenceRequest,
    Liveness,
    ResetCommandRequest,
    ResetCommandResponse,
    TransactionStatus,
)
from kiosk_protocol.pin_envelope import encrypt_pin, load_public_key_pem
from kiosk_protocol.signing import (
    card_proof_digest_info,
    chip_proof_digest_info,
    sign_face_evidence,
)

JPKI_AID = bytes.fromhex("D392F000260100000001")
CARD_INFO_AID = bytes.fromhex("D3921000310001010402")
_RETRY_STATUSES = {502, 503, 504}
_SW_OK = b"\x90\x00"


class Card(Protocol):
    def process(self, apdu: bytes) -> bytes: ...


class SimulationError(Exception):
    """A step of the simulated transaction failed; the text names the step and status."""


def _select_ef(fid: int) -> bytes:
    return bytes([0x00, 0xA4, 0x02, 0x0C, 0x02]) + fid.to_bytes(2, "big")


@dataclass(frozen=True)
class CardBinding:
    """The card-face and chip-key digests the face evidence names (docs/protocol.md §4.3)."""

    card_face_sha256: str
    chip_key_sha256: str


class CardDriver:
    """The few APDUs a kiosk sends for a reset, on any card object, in the reference forms
    (SELECT EF, then the command on the current EF; short READ BINARY chunks)."""

    def __init__(self, card: Card) -> None:
        self.card = card

    def send(self, apdu: bytes) -> tuple[bytes, bytes]:
        answer = self.card.process(apdu)
        data, status = answer[:-2], answer[-2:]
        while status[0] == 0x61:
            more = self.card.process(bytes([0x00, 0xC0, 0x00, 0x00, status[1]]))
            data, status = data + more[:-2], more[-2:]
        return data, status

    def expect(self, apdu: bytes, what: str) -> bytes:
        data, status = self.send(apdu)
        if status != _SW_OK:
            raise SimulationError(f"{what}: card answered {status.hex()}")
        return data

    def select_jpki(self) -> None:
        self.expect(b"\x00\xa4\x04\x0c\x0a" + JPKI_AID, "SELECT JPKI AP")

    def verify_auth_pin(self, pin: str) -> None:
        self.expect(_select_ef(0x0018), "SELECT auth PIN")
        self.expect(b"\x00\x20\x00\x80\x04" + pin.encode("ascii"), "VERIFY auth PIN")

    def read_auth_certificate(self) -> bytes:
        """SELECT EF 000A; the DER length from the first 256 bytes; the rest in short reads."""
        self.expect(_select_ef(0x000A), "SELECT auth certificate")
        content = self.expect(bytes([0x00, 0xB0, 0x00, 0x00, 0x00]), "READ BINARY")
        if len(content) < 4 or content[0] != 0x30 or content[1] != 0x82:
            raise SimulationError("READ BINARY: not a DER certificate")
        total = int.from_bytes(content[2:4], "big") + 4
        while len(content) < total:
            offset, wanted = len(content), min(256, total - len(content))
            apdu = bytes([0x00, 0xB0, offset >> 8, offset & 0xFF, wanted % 256])
            content += self.expect(apdu, "READ BINARY")
        return content[:total]

    def sign_with_auth_key(self, digest_info: bytes) -> bytes:
        self.expect(_select_ef(0x0017), "SELECT auth key")
        apdu = b"\x80\x2a\x00\x80" + bytes([len(digest_info)]) + digest_info + b"\x00"
        return self.expect(apdu, "COMPUTE SIGNATURE")

    def sign_with_chip_key(self, digest_info: bytes) -> bytes:
        """The card-info AP's chip signs (no credential); the JPKI AP is selected again."""
        self.expect(b"\x00\xa4\x04\x0c\x0a" + CARD_INFO_AID, "SELECT card-info AP")
        apdu = b"\x80\x2a\x00\x00" + bytes([len(digest_info)]) + digest_info + b"\x00"
        signature = self.expect(apdu, "chip signature")
        self.select_jpki()
        return signature

    def get_challenge(self) -> bytes:
        return self.expect(b"\x00\x84\x00\x00\x10", "GET CHALLENGE")

    def relay(self, apdu: bytes) -> bytes:
        return self.card.process(apdu)


def random_sign_pin() -> str:
    """8 of A-Z and 0-9 with at least one letter and one digit (the signature-PIN rules)."""
    alphabet = string.ascii_uppercase + string.digits
    rest = "".join(secrets.choice(alphabet) for _ in range(6))
    return secrets.choice(string.ascii_uppercase) + secrets.choice(string.digits) + rest


@dataclass(frozen=True)
class KioskCredentials:
    kiosk_id: str
    certificate: Path
    key: Path
    ca: Path

    def ssl_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=str(self.ca))
        context.load_cert_chain(str(self.certificate), str(self.key))
        return context

    def signing_key(self) -> ec.EllipticCurvePrivateKey:
        key = serialization.load_pem_private_key(self.key.read_bytes(), password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise TypeError(f"{self.key} does not hold an EC private key")
        return key


@dataclass
class Progress:
    """How far the current transaction got, for a driver that must reconcile after a failure."""

    transaction_id: str | None = None
    new_pin: str | None = None
    command_relayed: bool = False


@dataclass(frozen=True)
class Completed:
    transaction_id: str
    status: TransactionStatus
    new_pin: str
    seconds: float


class SimulatedKiosk:
    def __init__(
        self,
        base_url: str,
        credentials: KioskCredentials,
        *,
        timeout: float = 30.0,
        lose_replies: float = 0.0,
        attempts: int = 3,
        backoff: float = 0.0,
    ):
        """`lose_replies`: fraction of replies dropped after the server acted (then retried).
        `attempts` per call, like the product's client: a transport failure or a 502/503/504
        is retried with the very same body after `backoff` seconds (doubling)."""
        self.credentials = credentials
        self._key = credentials.signing_key()
        context = credentials.ssl_context()
        transport = _LossyTransport(context, lose_replies) if lose_replies else None
        self._client_options: dict[str, Any] = {
            "base_url": base_url, "verify": context, "timeout": timeout, "transport": transport
        }
        self.http = httpx.Client(**self._client_options)
        self._server_key: ec.EllipticCurvePublicKey | None = None
        self.retries = 0
        self.attempts = max(1, attempts)
        self.backoff = backoff
        self.progress = Progress()

    def close(self) -> None:
        self.http.close()

    def reconnect(self) -> None:
        """Drop the kept-alive connection; the next call opens a new one (a new handshake)."""
        self.http.close()
        self.http = httpx.Client(**self._client_options)

    def _post(self, path: str, body: dict[str, Any], what: str) -> Any:
        """POST with up to 3 attempts of the very same body (safe: idempotency key)."""
        response = self._send("POST", path, json.dumps(body).encode())
        if response.status_code >= 300:
            raise SimulationError(f"{what}: HTTP {response.status_code} {response.text[:200]}")
        return response.json()

    def _send(self, method: str, path: str, content: bytes | None = None) -> httpx.Response:
        headers = {"Content-Type": "application/json"} if content is not None else {}
        for attempt in range(1, self.attempts + 1):
            last = attempt == self.attempts
            try:
                response = self.http.request(method, path, content=content, headers=headers)
            except httpx.TransportError:
                if last:
                    raise
            else:
                if response.status_code not in _RETRY_STATUSES or last:
                    return response
            self.retries += 1
            if self.backoff:
                time.sleep(self.backoff * 2 ** (attempt - 1))
        raise AssertionError("unreachable")

    def status(self, transaction_id: str) -> TransactionStatus:
        response = self._send("GET", f"/v1/transactions/{transaction_id}")
        if response.status_code != 200:
            raise SimulationError(f"status: HTTP {response.status_code} {response.text[:200]}")
        return TransactionStatus.from_json(response.json())

    def abort(self, transaction_id: str) -> TransactionStatus:
        body = {"idempotency_key": _key(), "reason": "kiosk_fault"}
        return TransactionStatus.from_json(
            self._post(f"/v1/transactions/{transaction_id}/abort", body, "abort")
        )

    def server_key(self) -> ec.EllipticCurvePublicKey:
        if self._server_key is None:
            document = self._send("GET", "/v1/server-key").json()
            self._server_key = load_public_key_pem(document["public_key_pem"])
        return self._server_key

    def run_reset(
        self,
        card: Card,
        auth_pin: str,
        binding: CardBinding | None = None,
        new_pin: str | None = None,
        certificate: bytes | None = None,
    ) -> Completed:
        """One complete transaction; `certificate` may be given to skip reading it. `binding`
        names the card face the (simulated) face check was made against; by default the
        card's own (a testbed card tells it: ``card_face_digests()``)."""
        if binding is None:
            binding = CardBinding(*_own_card_face(card))
        started = time.perf_counter()
        kiosk_id = self.credentials.kiosk_id
        driver = CardDriver(card)
        self.progress = Progress()
        begun = BeginResponse.from_json(
            self._post("/v1/transactions", BeginRequest(_key()).to_json(), "begin")
        )
        tx = begun.transaction_id
        self.progress.transaction_id = tx
        driver.select_jpki()
        driver.verify_auth_pin(auth_pin)
        auth_certificate = certificate or driver.read_auth_certificate()
        signature = driver.sign_with_auth_key(card_proof_digest_info(tx, begun.nonce, kiosk_id))
        chip_signature = driver.sign_with_chip_key(
            chip_proof_digest_info(tx, begun.chip_nonce, kiosk_id)
        )
        self._post(
            f"/v1/transactions/{tx}/card-proof",
            CardProofRequest(_key(), auth_certificate, signature, chip_signature).to_json(),
            "card proof",
        )
        evidence = FaceEvidence(
            transaction_id=tx,
            kiosk_id=kiosk_id,
            matched=True,
            score_ppm=420_000,
            threshold_ppm=550_000,
            frames_used=5,
            liveness=Liveness.PASSED,
            model_version="simulated/1",
            card_face_sha256=binding.card_face_sha256,
            chip_key_sha256=binding.chip_key_sha256,
        )
        self._post(
            f"/v1/transactions/{tx}/face-evidence",
            FaceEvidenceRequest(
                _key(), evidence, sign_face_evidence(self._key, evidence)
            ).to_json(),
            "face evidence",
        )
        pin_text = new_pin or random_sign_pin()
        self.progress.new_pin = pin_text
        pin = bytearray(pin_text.encode("ascii"))
        envelope = encrypt_pin(self.server_key(), pin, tx)
        pin[:] = bytes(len(pin))
        challenge = driver.get_challenge()
        command = ResetCommandResponse.from_json(
            self._post(
                f"/v1/transactions/{tx}/reset-command",
                ResetCommandRequest(_key(), envelope, challenge).to_json(),
                "reset command",
            )
        )
        answer = driver.relay(command.apdu)
        self.progress.command_relayed = True
        status = TransactionStatus.from_json(
            self._post(
                f"/v1/transactions/{tx}/card-answer",
                CardAnswerRequest(_key(), answer).to_json(),
                "card answer",
            )
        )
        return Completed(tx, status, pin_text, time.perf_counter() - started)


class _LossyTransport(httpx.HTTPTransport):
    """Delivers every request but drops a fraction of the replies, like a flaky network."""

    def __init__(self, context: ssl.SSLContext, fraction: float) -> None:
        super().__init__(verify=context)
        self._fraction = fraction

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        if random.random() < self._fraction:  # noqa: S311 (fault injection, not security)
            response.read()
            response.close()
            raise httpx.ReadError("reply lost (simulated)", request=request)
        return response


def _own_card_face(card: object) -> tuple[str, str]:
    digests = getattr(card, "card_face_digests", None)
    if digests is None:
        raise SimulationError("the card does not tell its card face: give the binding")
    found = digests()
    if not (isinstance(found, tuple) and len(found) == 2):
        raise SimulationError("the card's card-face digests are malformed")
    return str(found[0]), str(found[1])


def _key() -> str:
    return secrets.token_urlsafe(24)
