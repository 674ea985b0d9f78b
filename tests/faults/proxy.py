"""A man in the middle the test controls: terminates the kiosk's mutual TLS with the server's
own certificate, forwards each HTTP/1.1 request to the real backend over a fresh mutual-TLS
connection (as the same kiosk), and on chosen protocol steps delays, cuts the connection
(before or after the backend ran the request) or answers 503 itself.

Steps are named from the request: ``server_key``, ``begin``, ``card_proof``, ``face_evidence``,
``reset_command``, ``card_answer``, ``abort``, ``status``.
"""

from __future__ import annotations

import contextlib
import re
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from urllib.parse import urlsplit

STEP_PATHS = (
    ("GET", re.compile(r"^/v1/server-key$"), "server_key"),
    ("POST", re.compile(r"^/v1/transactions$"), "begin"),
    ("POST", re.compile(r"^/v1/transactions/[^/]+/card-proof$"), "card_proof"),
    ("POST", re.compile(r"^/v1/transactions/[^/]+/face-evidence$"), "face_evidence"),
    ("POST", re.compile(r"^/v1/transactions/[^/]+/reset-command$"), "reset_command"),
    ("POST", re.compile(r"^/v1/transactions/[^/]+/card-answer$"), "card_answer"),
    ("POST", re.compile(r"^/v1/transactions/[^/]+/abort$"), "abort"),
    ("GET", re.compile(r"^/v1/transactions/[^/]+$"), "status"),
)
_BUSY_BODY = b'{"kind":"server","code":"unavailable","message":"busy"}'
BUSY = (
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
    + f"Content-Length: {len(_BUSY_BODY)}\r\nConnection: close\r\n\r\n".encode()
    + _BUSY_BODY
)


class Action(Enum):
    DELAY = "delay"  # hold the request ``seconds`` before forwarding it
    CUT_BEFORE = "cut_before"  # drop the connection; the backend never sees the request
    CUT_AFTER = "cut_after"  # the backend runs it; the reply is lost
    BUSY = "503"  # answer 503 without forwarding


@dataclass
class Rule:
    action: Action
    times: int = 1_000_000  # how many of the step's requests it hits
    seconds: float = 0.0


@dataclass(frozen=True)
class TlsFiles:
    certificate: Path
    key: Path
    ca: Path


def step_of(method: str, path: str) -> str:
    for wanted, pattern, name in STEP_PATHS:
        if method == wanted and pattern.match(path):
            return name
    return "other"


class FaultProxy:
    def __init__(self, upstream_url: str, server: TlsFiles, kiosk: TlsFiles) -> None:
        parts = urlsplit(upstream_url)
        self._upstream = (parts.hostname or "127.0.0.1", parts.port or 443)
        self._server_side = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._server_side.load_cert_chain(str(server.certificate), str(server.key))
        self._server_side.load_verify_locations(cafile=str(kiosk.ca))
        self._server_side.verify_mode = ssl.CERT_REQUIRED
        self._client_side = ssl.create_default_context(cafile=str(server.ca))
        self._client_side.load_cert_chain(str(kiosk.certificate), str(kiosk.key))
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self.rules: dict[str, Rule] = {}
        self.seen: list[tuple[str, str]] = []  # (step, what the proxy did)
        self._lock = threading.Lock()
        self._stopped = False
        self._thread = threading.Thread(target=self._accept, daemon=True, name="fault-proxy")

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def start(self) -> FaultProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopped = True
        with contextlib.suppress(OSError):
            self._listener.close()

    def steps(self) -> list[str]:
        with self._lock:
            return [step for step, _ in self.seen]

    def _decide(self, step: str) -> Rule | None:
        with self._lock:
            rule = self.rules.get(step)
            if rule is not None and rule.times > 0:
                rule.times -= 1
                self.seen.append((step, rule.action.value))
                return rule
            self.seen.append((step, "pass"))
            return None

    def _accept(self) -> None:
        while not self._stopped:
            try:
                raw, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(raw,), daemon=True).start()

    def _serve(self, raw: socket.socket) -> None:
        try:
            client = self._server_side.wrap_socket(raw, server_side=True)
        except (OSError, ssl.SSLError):
            raw.close()
            return
        with client:
            reader = client.makefile("rb")
            while True:
                try:
                    request = _read_message(reader)
                except (OSError, ValueError):
                    return
                if request is None:
                    return
                head, _ = request
                method, path = head.split(b" ", 2)[:2]
                rule = self._decide(step_of(method.decode(), path.decode()))
                if rule is not None and rule.action == Action.CUT_BEFORE:
                    return
                if rule is not None and rule.action == Action.BUSY:
                    with contextlib.suppress(OSError):
                        client.sendall(BUSY)
                    return
                if rule is not None and rule.action == Action.DELAY:
                    time.sleep(rule.seconds)
                try:
                    reply = self._forward(request)
                except (OSError, ValueError):
                    return
                if rule is not None and rule.action == Action.CUT_AFTER:
                    return
                try:
                    client.sendall(reply)
                except OSError:
                    return

    def _forward(self, request: tuple[bytes, bytes]) -> bytes:
        head, body = request
        host, port = self._upstream
        with (
            socket.create_connection((host, port), timeout=30) as raw,
            self._client_side.wrap_socket(raw, server_hostname=host) as upstream,
        ):
            kept = _without_connection_header(head)
            upstream.sendall(kept + b"\r\nConnection: close\r\n\r\n" + body)
            reply = _read_message(upstream.makefile("rb"))
        if reply is None:
            raise ValueError("the backend closed without a reply")
        reply_head, reply_body = reply
        return _without_connection_header(reply_head) + b"\r\n\r\n" + reply_body


def _without_connection_header(head: bytes) -> bytes:
    lines = head.split(b"\r\n")
    return b"\r\n".join(line for line in lines if not line.lower().startswith(b"connection:"))


def _read_message(reader: object) -> tuple[bytes, bytes] | None:
    """(head without the blank line, body) of one HTTP/1.1 message; None at a clean EOF."""
    head = b""
    while not head.endswith(b"\r\n\r\n"):
        line = reader.readline(65536)  # type: ignore[attr-defined]
        if not line:
            if head:
                raise ValueError("truncated message")
            return None
        head += line
    head = head[:-4]
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    body = reader.read(length) if length else b""  # type: ignore[attr-defined]
    return head, body
