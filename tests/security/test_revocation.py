"""A revoked (re-enrolled), or disabled kiosk gets no 2xx anywhere.

Two layers, each tested on its own so each fails if removed:
- the TLS handshake: the server's CRL (rebuilt from the kiosk registry within a second) lists
  every superseded certificate and the current one of a disabled kiosk;
- every route (Api.admit, whatever the transport): a request that reached the API before the
  CRL caught up, or through another transport, is refused with 401/403.
"""

from __future__ import annotations

import ssl
from pathlib import Path

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from kiosk_backend.enrollment import set_kiosk_enabled
from kiosk_backend.simulated_kiosk import KioskCredentials
from tests.backend.harness import RunningBackend

PATHS = [
    ("GET", "/health"),
    ("GET", "/metrics"),
    ("GET", "/openapi.json"),
    ("GET", "/v1/server-key"),
    ("POST", "/v1/transactions"),
    ("GET", "/v1/transactions/tx_" + "0" * 32),
    ("POST", "/v1/transactions/tx_" + "0" * 32 + "/abort"),
    ("GET", "/nowhere"),
]
BODY = b'{"idempotency_key": "aaaaaaaaaaaaaaaaaaaa", "reason": "timeout"}'


def _der(credentials: KioskCredentials) -> bytes:
    certificate = x509.load_pem_x509_certificate(credentials.certificate.read_bytes())
    return certificate.public_bytes(serialization.Encoding.DER)


def _statuses(backend: RunningBackend, der: bytes | None) -> dict[str, int]:
    api = backend.server.api
    return {f"{method} {path}": api.handle(method, path, BODY if method == "POST" else b"", der)
            .status for method, path in PATHS}


def _old_and_current(backend: RunningBackend, tmp_path: Path) -> tuple[bytes, bytes]:
    old = backend.enroll("kiosk-r")
    old_copy = tmp_path / "old.crt.pem"
    old_copy.write_bytes(old.certificate.read_bytes())
    old_der = _der(KioskCredentials("kiosk-r", old_copy, old.key, old.ca))
    return old_der, _der(backend.enroll("kiosk-r"))


def test_every_route_refuses_a_revoked_disabled_or_unknown_kiosk(
        backend: RunningBackend, tmp_path: Path) -> None:
    old, current = _old_and_current(backend, tmp_path)
    assert _statuses(backend, current)["GET /health"] == 200
    assert _statuses(backend, current)["GET /v1/server-key"] == 200
    for name, der in (("re-enrolled (old certificate)", old), ("no certificate", None),
                      ("unreadable certificate", b"\x30\x03\x02\x01\x00")):
        refused = _statuses(backend, der)
        assert all(status in (401, 403) for status in refused.values()), (name, refused)
    assert set_kiosk_enabled(backend.server.database, "kiosk-r", False)
    refused = _statuses(backend, current)
    assert all(status in (401, 403) for status in refused.values()), refused
    assert set_kiosk_enabled(backend.server.database, "kiosk-r", True)
    assert _statuses(backend, current)["GET /metrics"] == 200


def _handshake(backend: RunningBackend, certificate: Path, key: Path, ca: Path) -> int | str:
    context = ssl.create_default_context(cafile=str(ca))
    context.load_cert_chain(str(certificate), str(key))
    try:
        with httpx.Client(base_url=backend.url, verify=context, timeout=10) as client:
            return client.get("/health").status_code
    except (httpx.TransportError, ssl.SSLError) as error:
        return type(error).__name__


def test_the_tls_handshake_refuses_revoked_and_disabled_certificates(
        backend: RunningBackend, tmp_path: Path) -> None:
    first = backend.enroll("kiosk-t")
    kept = tmp_path / "first"
    kept.mkdir()
    for name in ("certificate", "key"):
        source: Path = getattr(first, name)
        (kept / source.name).write_bytes(source.read_bytes())
    old_cert, old_key = kept / first.certificate.name, kept / first.key.name
    second = backend.enroll("kiosk-t")
    server = backend.server
    # The API alone would answer 403; switch it off to see what TLS itself does.
    server.api.admit = lambda peer, fields: None  # type: ignore[assignment,method-assign,return-value]
    assert server.refresh_revocation()
    assert _handshake(backend, old_cert, old_key, first.ca) != 200
    assert _handshake(backend, second.certificate, second.key, second.ca) == 200
    assert set_kiosk_enabled(server.database, "kiosk-t", False)
    assert server.refresh_revocation()
    assert _handshake(backend, second.certificate, second.key, second.ca) != 200
    assert set_kiosk_enabled(server.database, "kiosk-t", True)
    assert server.refresh_revocation()
    assert _handshake(backend, second.certificate, second.key, second.ca) == 200


def test_the_crl_follows_the_registry_by_itself(backend: RunningBackend, tmp_path: Path) -> None:
    """The server's own loop picks up a disabling made by another process (the CLI)."""
    import time

    credentials = backend.enroll("kiosk-u")
    backend.server.api.admit = lambda peer, fields: None  # type: ignore[assignment,method-assign,return-value]
    assert _handshake(backend, credentials.certificate, credentials.key, credentials.ca) == 200
    assert set_kiosk_enabled(backend.server.database, "kiosk-u", False)
    deadline = time.monotonic() + 10
    while _handshake(backend, credentials.certificate, credentials.key, credentials.ca) == 200:
        assert time.monotonic() < deadline, "the CRL did not follow the registry"
        time.sleep(0.2)

