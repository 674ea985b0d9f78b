"""The kiosk's backend client against a server with the genuine operator certificate that
answers raw garbage over TLS: broken status lines, lying lengths, early close, silence.
Only ``BackendError`` escapes, within the configured timeouts."""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.backend_client import BackendClient, BackendClientConfig, BackendError
from kiosk_backend.operator_pki import OperatorPki
from tests.hostile.budget import bounded, hostile


class GarbageServer:
    """Accepts TLS connections (mutual TLS like the real server) and answers ``self.answer``."""

    def __init__(self, pki: OperatorPki) -> None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(pki.server_certificate_path), str(pki.server_key_path))
        context.load_verify_locations(str(pki.ca_certificate_path))
        context.verify_mode = ssl.CERT_REQUIRED
        self.context = context
        self.answer = b""
        self.close_after = True
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                raw, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._answer, args=(raw,), daemon=True).start()

    def _answer(self, raw: socket.socket) -> None:
        raw.settimeout(2)
        try:
            with self.context.wrap_socket(raw, server_side=True) as tls:
                _read_request(tls)
                tls.sendall(self.answer)
                if not self.close_after:
                    tls.recv(1)  # stay silent until the client gives up
        except (OSError, ssl.SSLError):
            pass

    def stop(self) -> None:
        self.listener.close()


def _read_request(tls: ssl.SSLSocket) -> None:
    """The whole request (head and Content-Length body), so closing never resets it."""
    received = b""
    while b"\r\n\r\n" not in received:
        chunk = tls.recv(65536)
        if not chunk:
            return
        received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(body) < length and (chunk := tls.recv(65536)):
        body += chunk


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[GarbageServer, Path]]:
    folder = Path(tmp_path_factory.mktemp("garbage-pki"))
    pki = OperatorPki(folder)
    pki.ensure()
    pki.write_kiosk_bundle(pki.issue_kiosk("hostile-kiosk"), folder / "bundle")
    garbage = GarbageServer(pki)
    yield garbage, folder / "bundle"
    garbage.stop()


answers = st.one_of(
    st.binary(max_size=200),
    st.sampled_from(
        [
            b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{}",
            b"HTTP/1.1 201 Created\r\nContent-Length: -5\r\n\r\n",
            b"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n",
            b"HTTP/1.1 999 What\r\n\r\n",
            b"HTTP/1.1 200 OK\r\n" + b"X: " + b"a" * 70000 + b"\r\n\r\n",
            b"HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\n[]",
            b"HTTP/1.1 503 Unavailable\r\nContent-Length: 0\r\n\r\n",
            b"",
        ]
    ),
    st.binary(max_size=60).map(lambda tail: b"HTTP/1.1 201 Created\r\n" + tail),
)


@hostile(25)
@given(answer=answers, close_after=st.booleans())
def test_client_against_garbage_over_tls(
    server: tuple[GarbageServer, Path], answer: bytes, close_after: bool
) -> None:
    garbage, bundle = server
    garbage.answer, garbage.close_after = answer, close_after
    config = BackendClientConfig.from_bundle(
        f"https://127.0.0.1:{garbage.port}",
        bundle,
        connect_timeout=1.0,
        read_timeout=0.3,
        retries=1,
        retry_backoff=0.0,
    )
    with (
        BackendClient(config) as client,
        bounded("client: garbage over TLS", seconds=4.0),
        contextlib.suppress(BackendError),
    ):
        client.begin()


def test_a_genuine_reply_over_the_same_tls_is_accepted(server: tuple[GarbageServer, Path]) -> None:
    """So the garbage above really reaches the client's HTTP and JSON parsing."""
    garbage, bundle = server
    body = (
        b'{"transaction_id": "tx_'
        + b"0" * 32
        + b'", "nonce": "'
        + b"A" * 43
        + b'=", "chip_nonce": "'
        + b"B" * 43
        + b'=", "expires_at_ms": 1, "state": "awaiting_card_proof"}'
    )
    garbage.answer = b"HTTP/1.1 201 Created\r\nContent-Length: %d\r\n\r\n" % len(body) + body
    garbage.close_after = True
    config = BackendClientConfig.from_bundle(f"https://127.0.0.1:{garbage.port}", bundle)
    with BackendClient(config) as client:
        assert client.begin().transaction_id == "tx_" + "0" * 32
