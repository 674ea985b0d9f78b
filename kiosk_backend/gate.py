"""The connection gate in front of the HTTP server: TLS handshakes under deadlines and limits,
so that peers without a kiosk certificate cannot starve enrolled kiosks.

Every accepted TCP connection is handled on the event loop, never by a thread of its own:
an idle or slow peer costs a socket and a few hundred bytes, not a worker. Before its
handshake completes a connection is *pending*. Pending connections have a deadline
(`handshake_timeout`) and two caps: per source address and in all. When a cap is reached the
**oldest** pending connection goes, not the new one: a genuine kiosk finishes its handshake in
milliseconds, so it is never the oldest while somebody holds idle connections, and a flood of
held-open sockets only ever evicts itself. After the handshake the connection is an
authenticated kiosk's (the TLS context demands a certificate from the operator CA) and is
handed to uvicorn's HTTP/1.1 protocol, with the client certificate in the ASGI scope (the
ASGI TLS extension), a deadline on every request from its first byte to its last, a cap on the
size of a request head, and a deadline for the first request.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from kiosk_backend.observability import JsonLog, Metrics


@dataclass(frozen=True)
class GateLimits:
    handshake_timeout: float = 5.0  # TCP accept to completed TLS handshake
    max_pending: int = 1024  # handshakes in progress, all sources together
    max_pending_per_source: int = 32  # handshakes in progress from one address
    request_timeout: float = 10.0  # first byte of a request to its last
    idle_timeout: float = 5.0  # a connection without a request in progress
    max_request_head: int = 16 * 1024  # request line and headers
    shutdown_timeout: float = 2.0  # TLS close_notify exchange


@dataclass(eq=False)
class _Pending:
    """An accepted connection whose handshake has not completed."""

    sock: socket.socket
    source: str
    task: asyncio.Task[None] | None = None

    def drop(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)  # the handshake then fails at once


ProtocolFactory = Callable[[], asyncio.Protocol]


class ConnectionGate:
    """Accepts the connections of one listener and runs their TLS handshakes under the caps
    and the deadline. Used on its event loop only."""

    def __init__(
        self, context: ssl.SSLContext, limits: GateLimits, metrics: Metrics, log: JsonLog
    ) -> None:
        self.context = context
        self.limits = limits
        self.metrics = metrics
        self.log = log
        self._pending: OrderedDict[_Pending, None] = OrderedDict()
        self._per_source: dict[str, OrderedDict[_Pending, None]] = {}

    @property
    def pending(self) -> int:
        return len(self._pending)

    async def serve(self, listener: socket.socket, make_protocol: ProtocolFactory) -> None:
        """Accept until cancelled. The socket goes straight into a TLS transport, so nothing
        is read from it before the TLS layer is in place."""
        loop = asyncio.get_running_loop()
        while True:
            try:
                connection, address = await loop.sock_accept(listener)
            except OSError as error:  # e.g. out of file descriptors: wait, do not spin
                self.log.error("accept_failed", error=type(error).__name__)
                await asyncio.sleep(0.1)
                continue
            connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            source = str(address[0]) if isinstance(address, tuple) else "local"
            pending = _Pending(connection, source)
            self._admit(pending)
            pending.task = loop.create_task(self._handshake(pending, make_protocol))

    async def _handshake(self, pending: _Pending, make_protocol: ProtocolFactory) -> None:
        try:
            await asyncio.get_running_loop().connect_accepted_socket(
                make_protocol,
                sock=pending.sock,
                ssl=self.context,
                ssl_handshake_timeout=self.limits.handshake_timeout,
                ssl_shutdown_timeout=self.limits.shutdown_timeout,
            )
        except Exception as error:
            self.metrics.tls_failure(_failure_reason(error))
            with contextlib.suppress(OSError):
                pending.sock.close()
        finally:
            self._settle(pending)

    def _admit(self, pending: _Pending) -> None:
        """Register a new connection; evict the oldest pending ones beyond the caps."""
        same_source = self._per_source.setdefault(pending.source, OrderedDict())
        if len(same_source) >= self.limits.max_pending_per_source:
            self._evict(next(iter(same_source)), "source_cap")
        if len(self._pending) >= self.limits.max_pending:
            self._evict(next(iter(self._pending)), "total_cap")
        self._pending[pending] = None
        self._per_source.setdefault(pending.source, OrderedDict())[pending] = None
        self.metrics.pending_handshakes(len(self._pending))

    def _settle(self, pending: _Pending) -> None:
        if self._pending.pop(pending, False) is False:
            return
        same_source = self._per_source.get(pending.source)
        if same_source is not None:
            same_source.pop(pending, None)
            if not same_source:
                del self._per_source[pending.source]
        self.metrics.pending_handshakes(len(self._pending))

    def _evict(self, pending: _Pending, cap: str) -> None:
        self._settle(pending)
        self.metrics.connection_evicted(cap)
        pending.drop()

    def close_all(self) -> None:
        for pending in list(self._pending):
            self._settle(pending)
            pending.drop()


def _failure_reason(error: BaseException) -> str:
    if isinstance(error, TimeoutError | asyncio.TimeoutError) or "longer than" in str(error):
        return "timeout"
    if isinstance(error, ssl.SSLCertVerificationError):
        return "certificate"
    if isinstance(error, ssl.SSLError):
        return "no_certificate" if "CERTIFICATE" in str(error).upper() else "protocol"
    return "closed"


_REQUEST_TIMEOUT = b"HTTP/1.1 408 Request Timeout\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
_HEAD_TOO_LARGE = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\n"
    b"connection: close\r\n\r\n"
)


class KioskHttpProtocol(HttpToolsProtocol):
    """uvicorn's HTTP/1.1 protocol with the deadlines and caps it lacks, and the client
    certificate of this connection in every request's scope (ASGI TLS extension)."""

    def __init__(self, *, limits: GateLimits, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._limits = limits
        self._deadline: asyncio.TimerHandle | None = None
        self._head_bytes: int | None = None  # counted while a request head is arriving

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        ssl_object = transport.get_extra_info("ssl_object")
        der = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
        tls_extension = {
            "server_cert": None,
            "client_cert_chain": [ssl.DER_cert_to_PEM_cert(der)] if der else [],
            "client_cert_name": None,
            "client_cert_error": None,
            "tls_version": None,
            "cipher_suite": None,
        }
        application = self.app

        async def with_certificate(scope: Any, receive: Any, send: Any) -> None:
            scope.setdefault("extensions", {})["tls"] = tls_extension
            await application(scope, receive, send)

        self.app = with_certificate
        self._head_bytes = 0
        # The first request must start in time, like every later one on a kept-alive connection.
        self.timeout_keep_alive_task = self.loop.call_later(
            self._limits.idle_timeout, self.timeout_keep_alive_handler
        )

    def data_received(self, data: bytes) -> None:
        if self._deadline is None:
            self._deadline = self.loop.call_later(
                self._limits.request_timeout, self._refuse, _REQUEST_TIMEOUT
            )
        in_head = self._head_bytes is not None
        super().data_received(data)
        if in_head and self._head_bytes is not None:  # the head is still incomplete
            self._head_bytes += len(data)
            if self._head_bytes > self._limits.max_request_head:
                self._refuse(_HEAD_TOO_LARGE)

    def on_headers_complete(self) -> None:
        self._head_bytes = None
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._cancel_deadline()
        super().on_message_complete()

    def on_response_complete(self) -> None:
        self._head_bytes = 0
        super().on_response_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_deadline()
        super().connection_lost(exc)

    def _cancel_deadline(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _refuse(self, response: bytes) -> None:
        self._cancel_deadline()
        if self.transport is None or self.transport.is_closing():
            return
        cycle = self.cycle
        if cycle is None or cycle.response_complete or not cycle.response_started:
            self.transport.write(response)
        if cycle is not None and not cycle.response_complete:
            cycle.disconnected = True  # the application, waiting for the body, stops here
            cycle.message_event.set()
        self.transport.close()
