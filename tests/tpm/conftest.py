"""Fixtures: the checkout's swtpm (scripts/services tpm), a reference backend, a kiosk enrolled
with its TPM, and an httpx transport into the backend's Api with that kiosk's certificate
(the TPM kiosk's TLS itself is not exercised in-process)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from kiosk.backend_client import BackendClient, BackendClientConfig
from kiosk.tpm import KioskTpm
from kiosk.tpm.enrollment import prepare_enrollment
from kiosk_backend.api import Api
from kiosk_backend.enrollment import enroll_tpm_kiosk
from kiosk_backend.simulated_kiosk import CardDriver
from kiosk_protocol.tpm import PcrSelection
from kiosk_testbed.authority import TestAuthority
from kiosk_testbed.card.virtual_card import VirtualCard
from tests.backend.harness import RunningBackend, running_backend

# The boot measurements, plus PCR 16 (resettable), which the tests extend to change the state.
TEST_PCRS = PcrSelection((0, 1, 2, 3, 4, 5, 7, 16))
STORE = "Lawson Shibuya 2-chome"


@pytest.fixture(scope="session")
def tcti() -> str:
    value = os.environ.get("KIOSK_TPM_TCTI")
    if not value:
        pytest.skip("no TPM: run through scripts/test, which starts swtpm (scripts/services tpm)")
    return value


class ApiTransport(httpx.BaseTransport):
    """Requests go straight to `Api.handle` as from a peer presenting `certificate_der`."""

    def __init__(self, api: Api, certificate_der: bytes) -> None:
        self.api = api
        self.certificate_der = certificate_der

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        reply = self.api.handle(request.method, request.url.raw_path.decode(), request.read(),
                                self.certificate_der)
        payload, content_type = reply.encoded()
        return httpx.Response(reply.status, content=payload,
                              headers={"Content-Type": content_type, **reply.headers})


@dataclass
class TpmKiosk:
    kiosk_id: str
    tpm: KioskTpm
    bundle: Path
    certificate_der: bytes
    backend: RunningBackend

    def config(self) -> BackendClientConfig:
        return BackendClientConfig(
            base_url="https://kiosk-backend.invalid",
            client_certificate=self.bundle / "kiosk.crt.pem",
            client_key=self.tpm.folder / "kiosk.tls.key",
            ca_certificate=self.bundle / "operator-ca.crt.pem",
            tpm_tcti=self.tpm.tcti,
            retries=0,
        )

    def client(self) -> BackendClient:
        return BackendClient(self.config(), transport=self.transport())

    def transport(self) -> ApiTransport:
        return ApiTransport(self.backend.server.api, self.certificate_der)


@pytest.fixture
def backend(tmp_path: Path, testbed_authority: TestAuthority) -> Iterator[RunningBackend]:
    with running_backend(tmp_path / "server", testbed_authority.dir, None, None) as running:
        yield running


@pytest.fixture
def tpm_kiosk(tmp_path: Path, tcti: str, backend: RunningBackend) -> TpmKiosk:
    tpm = KioskTpm(tcti, tmp_path / "kiosk-keys")
    request = prepare_enrollment(tpm, "tpm-kiosk-1", TEST_PCRS)
    paths = enroll_tpm_kiosk(backend.server.pki, backend.server.database, request,
                             tmp_path / "bundle", store_name=STORE)
    certificate = x509.load_pem_x509_certificate(paths["certificate"].read_bytes())
    return TpmKiosk("tpm-kiosk-1", tpm, tmp_path / "bundle",
                    certificate.public_bytes(serialization.Encoding.DER), backend)


@pytest.fixture
def driver(virtual_card: VirtualCard) -> CardDriver:
    return CardDriver(virtual_card)


def _free_port_pair() -> int:
    for _ in range(100):
        with socket.socket() as a, socket.socket() as b:
            try:
                a.bind(("127.0.0.1", 0))
                port = a.getsockname()[1]
                b.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
            return int(port)
    raise RuntimeError("no free port pair")


@pytest.fixture
def other_tpm(tmp_path: Path) -> Iterator[str]:
    """Another machine's TPM (a second swtpm with its own seeds): its TCTI."""
    if shutil.which("swtpm") is None:
        pytest.skip("swtpm is not installed (scripts/setup installs it)")
    state = tmp_path / "other-tpm"
    state.mkdir()
    port = _free_port_pair()
    process = subprocess.Popen(
        ["swtpm", "socket", "--tpm2", "--tpmstate", f"dir={state}",
         "--server", f"type=tcp,port={port},bindaddr=127.0.0.1",
         "--ctrl", f"type=tcp,port={port + 1},bindaddr=127.0.0.1",
         "--flags", "not-need-init,startup-clear"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                assert process.poll() is None and time.monotonic() < deadline, "no swtpm"
                time.sleep(0.05)
        yield f"swtpm:host=127.0.0.1,port={port}"
    finally:
        process.terminate()
        process.wait(timeout=10)
