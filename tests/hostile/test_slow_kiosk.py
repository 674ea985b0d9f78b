"""Deadlines after the handshake, for a peer holding a kiosk certificate (a stolen one, or a
kiosk gone wrong): a connection that never sends a request, a request head or body that
trickles, a head that never ends. Each is cut off within its limit, and the server keeps
serving others meanwhile."""

from __future__ import annotations

import socket
import ssl
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from kiosk_backend.gate import GateLimits
from kiosk_testbed.authority import TestAuthority
from tests.backend.harness import RunningBackend, running_backend

LIMITS = GateLimits(request_timeout=1.0, idle_timeout=1.0, max_request_head=2048)


@pytest.fixture(scope="module")
def backend(
    tmp_path_factory: pytest.TempPathFactory, testbed_authority: TestAuthority
) -> Iterator[RunningBackend]:
    folder = tmp_path_factory.mktemp("slow-kiosk")
    with running_backend(Path(folder), testbed_authority.dir, None, limits=LIMITS) as running:
        yield running


def _connect(backend: RunningBackend) -> ssl.SSLSocket:
    address = urlsplit(backend.url)
    assert address.hostname is not None and address.port is not None
    raw = socket.create_connection((address.hostname, address.port), timeout=10)
    tls = backend.kiosks["kiosk-1"].ssl_context().wrap_socket(raw, server_hostname="127.0.0.1")
    return tls


def _until_closed(
    tls: ssl.SSLSocket, trickle: list[bytes], every: float = 0.3
) -> tuple[bytes, float]:
    """Send `trickle` piece by piece; return what the server said and when it closed."""
    started = time.monotonic()
    received = b""
    tls.settimeout(every)
    for piece in [*trickle, *([b""] * 60)]:
        try:
            if piece:
                tls.sendall(piece)
            chunk = tls.recv(4096)
            if not chunk:
                break
            received += chunk
        except TimeoutError:
            continue
        except (ssl.SSLError, OSError):
            break
    return received, time.monotonic() - started


def test_a_connection_without_a_request_is_closed(backend: RunningBackend) -> None:
    with _connect(backend) as tls:
        received, after = _until_closed(tls, [])
    assert received == b"" and after < LIMITS.idle_timeout + 2


def test_a_trickling_request_head_gets_408(backend: RunningBackend) -> None:
    head = b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 40
    with _connect(backend) as tls:
        received, after = _until_closed(tls, [bytes([byte]) for byte in head])
    assert received.startswith(b"HTTP/1.1 408"), received[:100]
    assert after < LIMITS.request_timeout + 2


def test_a_trickling_body_gets_408(backend: RunningBackend) -> None:
    head = b"POST /v1/transactions HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n"
    with _connect(backend) as tls:
        received, after = _until_closed(tls, [head, *[b"{" for _ in range(30)]])
    assert received.startswith(b"HTTP/1.1 408"), received[:100]
    assert after < LIMITS.request_timeout + 2


def test_a_head_that_never_ends_gets_431(backend: RunningBackend) -> None:
    pieces = [b"GET /health HTTP/1.1\r\n"] + [b"X-Filler: " + b"a" * 500 + b"\r\n"] * 10
    with _connect(backend) as tls:
        received, _after = _until_closed(tls, pieces, every=0.05)
    assert received.startswith(b"HTTP/1.1 431"), received[:100]


def test_others_are_served_meanwhile(backend: RunningBackend) -> None:
    slow = [_connect(backend) for _ in range(20)]
    try:
        for tls in slow:
            tls.sendall(b"GET /health HTTP/1.1\r\n")
        with backend.http() as client:
            started = time.monotonic()
            assert client.get("/health").status_code == 200
            assert time.monotonic() - started < 1.0
    finally:
        for tls in slow:
            tls.close()
