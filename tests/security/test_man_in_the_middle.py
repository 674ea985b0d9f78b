"""A man in the middle between the kiosk and the backend, on loopback, with real TLS:

- a TLS-terminating proxy with a certificate from another CA: the kiosk's client refuses
  before sending anything, and never retries;
- the same proxy with a certificate from the operator's own CA that is a kiosk certificate
  (a stolen kiosk's key used to pose as the server): refused (wrong name, wrong purpose);
- a plain TCP relay (no certificate of its own): the conversation works end to end, so the
  refusals above come from the certificates and not from the proxy;
- towards the server: the operator CA's server certificate, an expired kiosk certificate
  and a kiosk certificate from another CA as client certificates: all refused.
Complements tests/backend/test_refusals.py (no client certificate, a client certificate from
another CA, unknown and replaced kiosks) and tests/backend_client (client configured with
another CA), which are not repeated here.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import socket
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from kiosk.backend_client import BackendClient, BackendClientConfig, BackendUntrustedError
from kiosk_backend.operator_pki import OperatorPki
from tests.backend.harness import RunningBackend, error_code, new_key


class Proxy:
    """Listens on loopback and forwards to the backend; with ``tls`` it terminates TLS itself
    (a man in the middle presenting its own certificate), else it relays raw TCP."""

    def __init__(self, upstream: tuple[str, int], tls: ssl.SSLContext | None) -> None:
        self.upstream = upstream
        self.tls = tls
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.bytes_to_server = 0
        self.connections = 0
        self.handshake_failures = 0
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        client.settimeout(5)
        if self.tls is not None:
            try:
                client = self.tls.wrap_socket(client, server_side=True)
            except (ssl.SSLError, OSError):
                self.handshake_failures += 1
                client.close()
                return
            # A real attacker would now open its own TLS to the server; the test only needs
            # to know whether the kiosk ever trusted the proxy enough to send a request.
            with contextlib.suppress(ssl.SSLError, OSError):
                self.bytes_to_server += len(client.recv(65536))
            client.close()
            return
        server = socket.create_connection(self.upstream, timeout=5)
        threading.Thread(target=self._pipe, args=(server, client, False), daemon=True).start()
        self._pipe(client, server, True)

    def _pipe(self, source: socket.socket, target: socket.socket, to_server: bool) -> None:
        try:
            while data := source.recv(65536):
                if to_server:
                    self.bytes_to_server += len(data)
                target.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, target):
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self.listener.close()


def upstream_of(backend: RunningBackend) -> tuple[str, int]:
    parts = urlsplit(backend.url)
    assert parts.hostname is not None and parts.port is not None
    return parts.hostname, parts.port


def proxy_context(certificate: Path, key: Path) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(certificate), str(key))
    return context


@pytest.fixture
def kiosk_config(backend: RunningBackend) -> BackendClientConfig:
    credentials = backend.kiosks["kiosk-1"]
    return BackendClientConfig.from_bundle(
        backend.url, credentials.certificate.parent, retries=2, retry_backoff=0.01
    )


@pytest.fixture
def impostor(tmp_path: Path) -> OperatorPki:
    pki = OperatorPki(tmp_path / "impostor")
    pki.ensure()  # its own CA and a server certificate for 127.0.0.1
    return pki


def through(proxy: Proxy, config: BackendClientConfig) -> BackendClientConfig:
    return BackendClientConfig(
        base_url=proxy.url,
        client_certificate=config.client_certificate,
        client_key=config.client_key,
        ca_certificate=config.ca_certificate,
        retries=config.retries,
        retry_backoff=config.retry_backoff,
    )


@pytest.fixture
def proxies() -> Iterator[list[Proxy]]:
    made: list[Proxy] = []
    yield made
    for proxy in made:
        proxy.close()


def test_proxy_with_a_certificate_from_another_ca_is_refused(
    backend: RunningBackend,
    kiosk_config: BackendClientConfig,
    impostor: OperatorPki,
    proxies: list[Proxy],
) -> None:
    proxy = Proxy(
        upstream_of(backend),
        proxy_context(impostor.server_certificate_path, impostor.server_key_path),
    )
    proxies.append(proxy)
    slept: list[float] = []
    with (
        BackendClient(through(proxy, kiosk_config), sleep=slept.append) as client,
        pytest.raises(BackendUntrustedError),
    ):
        client.begin()
    assert proxy.connections == 1 and slept == [], "refused at once, never retried"
    assert proxy.bytes_to_server == 0, "no request reached the man in the middle"


def test_proxy_with_a_stolen_kiosk_certificate_of_the_right_ca_is_refused(
    backend: RunningBackend,
    kiosk_config: BackendClientConfig,
    proxies: list[Proxy],
    tmp_path: Path,
) -> None:
    """Another kiosk's certificate chains to the operator CA, but names a kiosk, not the
    server, and is for client authentication only."""
    pki = backend.server.pki
    stolen = pki.write_kiosk_bundle(pki.issue_kiosk("stolen-kiosk"), tmp_path / "stolen")
    proxy = Proxy(upstream_of(backend), proxy_context(stolen["certificate"], stolen["key"]))
    proxies.append(proxy)
    with (
        BackendClient(through(proxy, kiosk_config), sleep=lambda _s: None) as client,
        pytest.raises(BackendUntrustedError),
    ):
        client.begin()
    assert proxy.bytes_to_server == 0


def test_plain_relay_works_so_the_refusals_are_about_certificates(
    backend: RunningBackend, kiosk_config: BackendClientConfig, proxies: list[Proxy]
) -> None:
    proxy = Proxy(upstream_of(backend), None)
    proxies.append(proxy)
    with BackendClient(through(proxy, kiosk_config)) as client:
        transaction = client.begin()
        assert client.status(transaction.transaction_id).state.value == "awaiting_card_proof"
    assert proxy.bytes_to_server > 0


# --- towards the server ----------------------------------------------------------------------


def client_with(backend: RunningBackend, certificate: Path, key: Path) -> httpx.Client:
    context = ssl.create_default_context(cafile=str(backend.server.pki.ca_certificate_path))
    context.load_cert_chain(str(certificate), str(key))
    return httpx.Client(base_url=backend.url, verify=context, timeout=10)


def test_the_servers_own_certificate_is_no_kiosk(backend: RunningBackend) -> None:
    """A stolen server key (operator CA, serverAuth only) cannot act as a kiosk."""
    pki = backend.server.pki
    with client_with(backend, pki.server_certificate_path, pki.server_key_path) as client:
        try:
            response = client.post("/v1/transactions", json={"idempotency_key": new_key()})
        except httpx.TransportError:
            return  # refused at the handshake (wrong key purpose)
    assert (response.status_code, error_code(response)) == (403, "unknown_kiosk")


def test_an_expired_kiosk_certificate_is_refused(backend: RunningBackend, tmp_path: Path) -> None:
    """Signed by the operator CA for the enrolled kiosk's name, but expired yesterday."""
    ca_certificate, ca_key = backend.server.pki.ca()
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kiosk-1")]))
        .issuer_name(ca_certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=30))
        .not_valid_after(now - dt.timedelta(days=1))
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "expired.crt.pem", tmp_path / "expired.key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    with (
        client_with(backend, cert_path, key_path) as client,
        pytest.raises(httpx.TransportError),
    ):
        client.post("/v1/transactions", json={"idempotency_key": new_key()})
