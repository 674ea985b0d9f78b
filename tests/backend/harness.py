"""A real reference backend on loopback for tests: HTTPS with mutual TLS, a real database
(SQLite file or a throw-away PostgreSQL schema), the testbed's authority folder, a clock the
test can move, and logs captured for privacy checks."""

from __future__ import annotations

import base64
import io
import os
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from kiosk_backend.enrollment import enroll_kiosk
from kiosk_backend.gate import GateLimits
from kiosk_backend.observability import JsonLog
from kiosk_backend.pg_schema import fresh_schema
from kiosk_backend.policy import Policy
from kiosk_backend.server import BackendServer, BackendSettings
from kiosk_backend.simulated_kiosk import CardDriver, KioskCredentials
from kiosk_protocol.messages import FaceEvidence, Liveness
from kiosk_protocol.pin_envelope import encrypt_pin, load_public_key_pem
from kiosk_protocol.signing import (
    card_proof_digest_info,
    chip_proof_digest_info,
    sign_face_evidence,
)

REPO = Path(__file__).resolve().parents[2]


def postgres_url() -> str | None:
    url = os.environ.get("KIOSK_TEST_POSTGRES_URL")
    if url:
        return url
    saved = REPO / ".cache" / "services" / "postgres-url"
    return saved.read_text().strip() if saved.exists() else None


@contextmanager
def database_for(kind: str, tmp_path: Path) -> Iterator[str | None]:
    """None (SQLite in the data folder) or a fresh PostgreSQL schema, dropped afterwards."""
    if kind == "sqlite":
        yield None
        return
    url = postgres_url()
    if url is None:
        import pytest

        pytest.skip("no PostgreSQL (set KIOSK_TEST_POSTGRES_URL or run scripts/services)")
    scoped, drop = fresh_schema(url, prefix="kiosk_test")
    try:
        yield scoped
    finally:
        drop()


class MovableClock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class RunningBackend:
    server: BackendServer
    folder: Path
    clock: MovableClock
    log: io.StringIO
    kiosks: dict[str, KioskCredentials] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.server.url

    def enroll(self, kiosk_id: str) -> KioskCredentials:
        out = self.folder / "kiosks" / kiosk_id
        paths = enroll_kiosk(self.server.pki, self.server.database, kiosk_id, out)
        credentials = KioskCredentials(kiosk_id, paths["certificate"], paths["key"], paths["ca"])
        self.kiosks[kiosk_id] = credentials
        return credentials

    def http(self, kiosk_id: str = "kiosk-1") -> httpx.Client:
        credentials = self.kiosks.get(kiosk_id) or self.enroll(kiosk_id)
        return httpx.Client(base_url=self.url, verify=credentials.ssl_context(), timeout=20)

    def rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self.server.database.transaction() as connection:
            return connection.execute(sql, params).rows


@contextmanager
def running_backend(
    folder: Path,
    authority_dir: Path,
    database_url: str | None,
    policy: Policy | None = None,
    limits: GateLimits | None = None,
) -> Iterator[RunningBackend]:
    clock = MovableClock()
    log = io.StringIO()
    settings = BackendSettings(
        data_dir=folder / "backend",
        authority_dir=authority_dir,
        database_url=database_url,
        port=0,
        policy=policy or Policy(),
        pool_size=6,
        sweep_interval_seconds=3600,
        software_kiosks=True,
        limits=limits or GateLimits(),
    )
    server = BackendServer(settings, clock=clock, log=JsonLog(stream=log)).start()
    backend = RunningBackend(server=server, folder=folder, clock=clock, log=log)
    backend.enroll("kiosk-1")
    try:
        yield backend
    finally:
        server.stop()


def new_key() -> str:
    return secrets.token_urlsafe(18)


def error_code(response: httpx.Response) -> str:
    body: dict[str, Any] = response.json()
    return str(body["error"]["code"])


class Steps:
    """The protocol's calls one by one over a kiosk's mutual-TLS client (raw replies)."""

    def __init__(self, backend: RunningBackend, kiosk_id: str = "kiosk-1") -> None:
        self.backend = backend
        self.kiosk_id = kiosk_id
        self.http = backend.http(kiosk_id)
        self.credentials = backend.kiosks[kiosk_id]
        self.chip_nonces: dict[str, bytes] = {}
        # per transaction: the card face and chip key digests an honest kiosk would name
        self.bindings: dict[str, tuple[str, str]] = {}

    def close(self) -> None:
        self.http.close()

    def begin(self) -> httpx.Response:
        return self.http.post("/v1/transactions", json={"idempotency_key": new_key()})

    def begin_ok(self) -> tuple[str, bytes]:
        response = self.begin()
        assert response.status_code == 201, response.text
        body = response.json()
        self.chip_nonces[body["transaction_id"]] = base64.b64decode(body["chip_nonce"])
        return body["transaction_id"], base64.b64decode(body["nonce"])

    def card_proof(
        self,
        tx: str,
        certificate: bytes,
        signature: bytes,
        key: str | None = None,
        chip_signature: bytes = bytes(256),
    ) -> httpx.Response:
        self._note_binding(tx, certificate)
        return self.http.post(
            f"/v1/transactions/{tx}/card-proof",
            json={
                "idempotency_key": key or new_key(),
                "auth_certificate": base64.b64encode(certificate).decode(),
                "signature": base64.b64encode(signature).decode(),
                "chip_signature": base64.b64encode(chip_signature).decode(),
            },
        )

    def _note_binding(self, tx: str, certificate: bytes) -> None:
        from cryptography import x509

        try:
            serial = x509.load_der_x509_certificate(certificate).serial_number
        except ValueError:
            return
        registration = self.backend.server.service.authority.registration(serial)
        if registration is not None:
            self.bindings[tx] = (registration.card_face_sha256, registration.chip_key_sha256)

    def chip_sign(self, tx: str, driver: CardDriver) -> bytes:
        """The card-info AP's chip signs this transaction's chip nonce (the JPKI AP is selected
        again afterwards, with its PIN state lost)."""
        return driver.sign_with_chip_key(
            chip_proof_digest_info(tx, self.chip_nonces[tx], self.kiosk_id)
        )

    def prove_with(
        self, tx: str, nonce: bytes, driver: CardDriver, pin: str = "1234"
    ) -> httpx.Response:
        driver.select_jpki()
        driver.verify_auth_pin(pin)
        certificate = driver.read_auth_certificate()
        signature = driver.sign_with_auth_key(card_proof_digest_info(tx, nonce, self.kiosk_id))
        chip_signature = self.chip_sign(tx, driver)
        return self.card_proof(tx, certificate, signature, chip_signature=chip_signature)

    def evidence(self, tx: str, **changes: Any) -> FaceEvidence:
        values: dict[str, Any] = {
            "transaction_id": tx,
            "kiosk_id": self.kiosk_id,
            "matched": True,
            "score_ppm": 400_000,
            "threshold_ppm": 550_000,
            "frames_used": 5,
            "liveness": Liveness.PASSED,
            "model_version": "test/1",
            "card_face_sha256": self.bindings.get(tx, ("0" * 64, "0" * 64))[0],
            "chip_key_sha256": self.bindings.get(tx, ("0" * 64, "0" * 64))[1],
        }
        values.update(changes)
        return FaceEvidence(**values)

    def face(self, tx: str, evidence: FaceEvidence | None = None) -> httpx.Response:
        evidence = evidence or self.evidence(tx)
        signature = sign_face_evidence(self.credentials.signing_key(), evidence)
        return self.http.post(
            f"/v1/transactions/{tx}/face-evidence",
            json={
                "idempotency_key": new_key(),
                "evidence": evidence.to_json(),
                "signature": base64.b64encode(signature).decode(),
            },
        )

    def reset_command_body(
        self, tx: str, new_pin: str, challenge: bytes, key: str | None = None
    ) -> dict[str, Any]:
        server_key = load_public_key_pem(self.http.get("/v1/server-key").json()["public_key_pem"])
        envelope = encrypt_pin(server_key, bytearray(new_pin.encode()), tx)
        return {
            "idempotency_key": key or new_key(),
            "encrypted_pin": envelope.to_json(),
            "card_challenge": base64.b64encode(challenge).decode(),
        }

    def reset_command(self, tx: str, new_pin: str, challenge: bytes) -> httpx.Response:
        return self.post_body(tx, "reset-command", self.reset_command_body(tx, new_pin, challenge))

    def post_body(self, tx: str, step: str, body: dict[str, Any]) -> httpx.Response:
        return self.http.post(f"/v1/transactions/{tx}/{step}", json=body)

    def card_answer(self, tx: str, answer: bytes) -> httpx.Response:
        return self.http.post(
            f"/v1/transactions/{tx}/card-answer",
            json={"idempotency_key": new_key(), "answer": base64.b64encode(answer).decode()},
        )

    def status(self, tx: str) -> dict[str, Any]:
        response = self.http.get(f"/v1/transactions/{tx}")
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body
