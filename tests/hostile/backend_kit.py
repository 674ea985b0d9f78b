"""Drive the reference server's API object directly (no sockets) as an enrolled kiosk, so
hypothesis can afford thousands of requests, each against a transaction in the right state."""

from __future__ import annotations

import base64
import json
import secrets
from dataclasses import dataclass, field
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from kiosk_backend.api import Reply
from kiosk_backend.simulated_kiosk import CardDriver
from kiosk_protocol.messages import FaceEvidence, Liveness
from kiosk_protocol.pin_envelope import encrypt_pin, load_public_key_pem
from kiosk_protocol.signing import (
    card_proof_digest_info,
    chip_proof_digest_info,
    sign_face_evidence,
)
from tests.backend.harness import RunningBackend

# Every status the API documents; a 5xx for a request is a finding.
DOCUMENTED_STATUSES = {200, 201, 400, 401, 403, 404, 405, 409, 410, 422, 429}
STEPS = ("begin", "card-proof", "face-evidence", "reset-command", "card-answer", "abort")


def key() -> str:
    return secrets.token_urlsafe(18)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@dataclass
class ApiKiosk:
    backend: RunningBackend
    kiosk_id: str
    driver: CardDriver
    auth_pin: str
    chip_nonces: dict[str, bytes] = field(default_factory=dict)

    @property
    def peer_der(self) -> bytes:
        pem = self.backend.kiosks[self.kiosk_id].certificate.read_bytes()
        return x509.load_pem_x509_certificate(pem).public_bytes(Encoding.DER)

    def call(self, method: str, path: str, body: bytes = b"") -> Reply:
        return self.backend.server.api.handle(method, path, body, self.peer_der)

    def post(self, path: str, document: Any) -> Reply:
        return self.call("POST", path, json.dumps(document).encode())

    # genuine request bodies for each step ------------------------------------------------

    def begin(self) -> tuple[str, bytes]:
        reply = self.post("/v1/transactions", {"idempotency_key": key()})
        assert reply.status == 201, reply.body
        body = reply.body
        assert isinstance(body, dict)
        self.chip_nonces[body["transaction_id"]] = base64.b64decode(body["chip_nonce"])
        return body["transaction_id"], base64.b64decode(body["nonce"])

    def card_proof_body(self, tx: str, nonce: bytes) -> dict[str, Any]:
        self.driver.select_jpki()
        self.driver.verify_auth_pin(self.auth_pin)
        certificate = self.driver.read_auth_certificate()
        signature = self.driver.sign_with_auth_key(card_proof_digest_info(tx, nonce, self.kiosk_id))
        chip = self.driver.sign_with_chip_key(
            chip_proof_digest_info(tx, self.chip_nonces[tx], self.kiosk_id)
        )
        return {
            "idempotency_key": key(),
            "auth_certificate": b64(certificate),
            "signature": b64(signature),
            "chip_signature": b64(chip),
        }

    def binding(self) -> tuple[str, str]:
        """The card face and chip key digests the authority registered for the driver's card."""
        self.driver.select_jpki()
        serial = x509.load_der_x509_certificate(self.driver.read_auth_certificate()).serial_number
        registration = self.backend.server.service.authority.registration(serial)
        assert registration is not None
        return registration.card_face_sha256, registration.chip_key_sha256

    def face_body(self, tx: str) -> dict[str, Any]:
        evidence = FaceEvidence(
            tx, self.kiosk_id, True, 400_000, 550_000, 5, Liveness.PASSED, "test/1",
            *self.binding(),
        )
        signature = sign_face_evidence(self.backend.kiosks[self.kiosk_id].signing_key(), evidence)
        return {
            "idempotency_key": key(),
            "evidence": evidence.to_json(),
            "signature": b64(signature),
        }

    def reset_body(self, tx: str, challenge: bytes) -> dict[str, Any]:
        reply = self.call("GET", "/v1/server-key")
        assert isinstance(reply.body, dict)
        server_key = load_public_key_pem(reply.body["public_key_pem"])
        envelope = encrypt_pin(server_key, bytearray(b"NEWPIN77"), tx)
        return {
            "idempotency_key": key(),
            "encrypted_pin": envelope.to_json(),
            "card_challenge": b64(challenge),
        }

    def answer_body(self, answer: bytes) -> dict[str, Any]:
        return {"idempotency_key": key(), "answer": b64(answer)}

    def genuine_body(self, step: str, tx: str, nonce: bytes) -> dict[str, Any]:
        if step == "begin":
            return {"idempotency_key": key()}
        if step == "card-proof":
            return self.card_proof_body(tx, nonce)
        if step == "face-evidence":
            return self.face_body(tx)
        if step == "reset-command":
            self.driver.select_jpki()
            return self.reset_body(tx, self.driver.get_challenge())
        if step == "card-answer":
            return self.answer_body(bytes.fromhex("990290008e08") + bytes(8) + b"\x90\x00")
        return {"idempotency_key": key(), "reason": "resident_cancelled"}

    def transaction_at(self, step: str) -> tuple[str, bytes]:
        """A fresh transaction whose next expected call is ``step``."""
        tx, nonce = self.begin()
        order = STEPS[1 : STEPS.index(step)] if step in STEPS[1:5] else ()
        for earlier in order:
            reply = self.post(path_for(earlier, tx), self.genuine_body(earlier, tx, nonce))
            assert reply.status == 200, (earlier, reply.body)
        return tx, nonce


def path_for(step: str, tx: str) -> str:
    return "/v1/transactions" if step == "begin" else f"/v1/transactions/{tx}/{step}"
