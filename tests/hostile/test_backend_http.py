"""Raw hostile HTTP over the real mutual-TLS socket: broken request lines, headers, lengths
and bodies. The server answers with a 4xx or closes the connection, within a time bound,
and keeps serving everyone else."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk_testbed.authority import TestAuthority
from tests.backend.harness import RunningBackend, running_backend
from tests.hostile.budget import bounded, hostile

READ_TIMEOUT = 0.5  # a server still waiting for declared body bytes is left waiting


@pytest.fixture(scope="module")
def backend(
    tmp_path_factory: pytest.TempPathFactory, testbed_authority: TestAuthority
) -> Iterator[RunningBackend]:
    folder = tmp_path_factory.mktemp("hostile-http")
    with running_backend(Path(folder), testbed_authority.dir, None) as running:
        yield running


def exchange(backend: RunningBackend, request: bytes) -> bytes:
    """Send raw bytes over mutual TLS; return whatever comes back before close or timeout."""
    credentials = backend.kiosks["kiosk-1"]
    context = credentials.ssl_context()
    address = urlsplit(backend.url)
    assert address.hostname is not None and address.port is not None
    with (
        socket.create_connection((address.hostname, address.port), timeout=READ_TIMEOUT) as raw,
        context.wrap_socket(raw, server_hostname=address.hostname) as tls,
    ):
        received = b""
        try:
            tls.sendall(request)
            while not _complete(received) and (chunk := tls.recv(65536)):
                received += chunk
        except (TimeoutError, ssl.SSLError, ConnectionError):
            pass
        return received


def _complete(received: bytes) -> bool:
    """One whole response (head and Content-Length body) has arrived."""
    head, separator, body = received.partition(b"\r\n\r\n")
    if not separator:
        return False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return len(body) >= int(value.strip())
    return True


header_names = st.sampled_from(
    [
        "Content-Length",
        "Transfer-Encoding",
        "Content-Type",
        "Host",
        "Connection",
        "Expect",
        "X-" + "A" * 100,
    ]
)
header_values = st.one_of(
    st.sampled_from(
        [
            "0",
            "-1",
            "12",
            "99999999999999999999",
            "65537",
            "chunked",
            "gzip",
            "application/json",
            "close",
            "100-continue",
            " 5",
            "5, 6",
        ]
    ),
    st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=30),
)
request_lines = st.one_of(
    st.sampled_from(
        [
            b"POST /v1/transactions HTTP/1.1",
            b"GET /health HTTP/1.1",
            b"GET /health HTTP/1.0",
            b"POST /v1/transactions/tx_" + b"a" * 32 + b"/card-proof HTTP/1.1",
            b"GET /v1/transactions HTTP/9.9",
            b"GET",
            b"",
            b"POST /v1/transactions",
            b"GET /" + b"a" * 70000 + b" HTTP/1.1",
        ]
    ),
    st.binary(max_size=80).filter(lambda line: b"\n" not in line),
)


@st.composite
def raw_requests(draw: st.DrawFn) -> bytes:
    line = draw(request_lines)
    headers = draw(st.lists(st.tuples(header_names, header_values), max_size=5))
    body = draw(st.one_of(st.binary(max_size=200), st.just(b'{"idempotency_key": "x"}')))
    head = (
        line
        + b"\r\n"
        + b"".join(name.encode() + b": " + value.encode() + b"\r\n" for name, value in headers)
    )
    return head + b"\r\n" + body if draw(st.booleans()) else draw(st.binary(max_size=300))


@hostile(30)
@given(request=raw_requests())
def test_raw_hostile_http(backend: RunningBackend, request: bytes) -> None:
    with bounded("server: raw HTTP over mutual TLS", seconds=READ_TIMEOUT + 2):
        answer = exchange(backend, request)
    if answer.startswith(b"HTTP/"):
        status_line = answer.split(b"\r\n", 1)[0]
        status = int(status_line.split(b" ")[1])
        assert status < 500 or status == 505, status_line  # 505: HTTP version not supported
    else:
        assert not answer, answer[:200]  # an answer is HTTP/1.x or nothing (no HTTP/0.9)


def test_server_still_serves_after_the_hostile_requests(backend: RunningBackend) -> None:
    with backend.http() as client:
        assert client.get("/health").status_code == 200
