"""HTTPS with mutual TLS on the standard library: a threaded HTTP/1.1 server whose handler
sees the kiosk's client certificate. The TLS handshake runs in the connection's own thread,
so a slow or hostile client cannot stall the listener.
"""

from __future__ import annotations

import socket
import ssl
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from kiosk_backend.api import MAX_BODY, Api, Reply
from kiosk_backend.observability import JsonLog, Metrics

HANDSHAKE_TIMEOUT = 10.0
IDLE_TIMEOUT = 30.0
MAX_CONNECTIONS = 256


def server_tls_context(certificate: Path, key: Path, client_ca: Path) -> ssl.SSLContext:
    """TLS 1.2+; a client certificate chaining to the operator CA is required."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(certfile=str(certificate), keyfile=str(key))
    context.load_verify_locations(cafile=str(client_ca))
    context.verify_mode = ssl.CERT_REQUIRED
    return context


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "kiosk-backend"
    sys_version = ""
    timeout = IDLE_TIMEOUT
    server: TlsHttpServer

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the default access log: the API writes structured logs itself."""

    def _respond(self, reply: Reply) -> None:
        payload, content_type = reply.encoded()
        self.send_response(reply.status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Cache-Control", "no-store")
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def _peer_der(self) -> bytes | None:
        connection = self.connection
        if isinstance(connection, ssl.SSLSocket):
            return connection.getpeercert(binary_form=True)
        return None

    def _dispatch(self, body: bytes) -> None:
        reply = self.server.api.handle(self.command, self.path, body, self._peer_der())
        self._respond(reply)

    def do_GET(self) -> None:
        self._dispatch(b"")

    def do_POST(self) -> None:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self._refuse(411, "length_required")
            return
        try:
            length = int(self.headers.get("Content-Length", ""))
        except ValueError:
            self._refuse(411, "length_required")
            return
        if not 0 <= length <= MAX_BODY:
            self._refuse(413, "body_too_large")
            return
        self._dispatch(self.rfile.read(length))

    def _refuse(self, status: int, code: str) -> None:
        self.close_connection = True
        self._respond(Reply(status, {"error": {"kind": "protocol", "code": code, "message": code}}))


class TlsHttpServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(
        self,
        address: tuple[str, int],
        api: Api,
        tls: ssl.SSLContext,
        log: JsonLog,
        metrics: Metrics,
    ) -> None:
        self.api = api
        self._tls = tls
        self._log = log
        self._metrics = metrics
        self._slots = threading.BoundedSemaphore(MAX_CONNECTIONS)
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        """One thread per connection, at most MAX_CONNECTIONS at once; beyond, close at once."""
        if not self._slots.acquire(blocking=False):
            self._log.warning("connection_refused_busy")
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()

    def get_request(self) -> tuple[Any, Any]:
        raw, address = self.socket.accept()
        # Small request/response exchanges: without this, Nagle and delayed ACKs add ~40 ms
        # to every reply.
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        wrapped = self._tls.wrap_socket(raw, server_side=True, do_handshake_on_connect=False)
        return wrapped, address

    def finish_request(self, request: Any, client_address: Any) -> None:
        """Runs in the connection's thread: handshake first, then HTTP."""
        if not isinstance(request, ssl.SSLSocket):
            raise TypeError("the server speaks TLS only")
        try:
            request.settimeout(HANDSHAKE_TIMEOUT)
            request.do_handshake()
        except (ssl.SSLError, OSError) as error:
            self._metrics.tls_failure()
            self._log.warning("tls_handshake_failed", error=type(error).__name__)
            return
        super().finish_request(request, client_address)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A connection died mid-request: note the kind of error, no traceback, no data."""
        error = sys.exc_info()[1]
        if not isinstance(error, ConnectionError | socket.timeout | ssl.SSLError):
            self._log.error("connection_error", error=type(error).__name__)
