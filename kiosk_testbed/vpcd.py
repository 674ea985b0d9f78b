"""Plug a ``VirtualCard`` into Debian's vsmartcard-vpcd reader driver over TCP.

vpcd (inside pcscd) listens on 35963 (reader 'Virtual PCD 00 00') and 35964 ('... 00 01');
``$KIOSK_VPCD_PORT`` moves the pair (a private pcscd per checkout, see scripts/services).
Framing: 2-byte big-endian length, then the payload. A 1-byte payload is a control message
(00 power off, 01 power on, 02 reset, 04 get ATR — only 04 is answered, with the ATR); any
longer payload is an APDU, answered with response data ‖ SW.

Connected = card inserted; closing the socket = card removed. ``TCP_QUICKACK`` is set before
every ``recv``: without it Nagle plus delayed ACKs cost ~45 ms per APDU.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Protocol

from kiosk_testbed.card.layout import ATR

log = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"


def _reader_ports() -> tuple[int, int]:
    first = int(os.environ.get("KIOSK_VPCD_PORT") or 35963)
    return first, first + 1


READER_PORTS = _reader_ports()
_CONTROL_POWER_OFF = 0x00
_CONTROL_POWER_ON = 0x01
_CONTROL_RESET = 0x02
_CONTROL_GET_ATR = 0x04


@contextlib.contextmanager
def reader_lock(port: int, timeout: float = 120.0) -> Iterator[None]:
    """Exclusive use of one vpcd reader across processes (tests, demos and benchmarks)."""
    # The same path for every process and checkout on the machine, whatever their TMPDIR.
    path = Path(f"/tmp/kiosk-testbed-vpcd-{port}.lock")  # noqa: S108
    with path.open("a") as handle:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"vpcd reader on port {port} stayed busy") from None
                time.sleep(0.05)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class CardInSlot(Protocol):
    """What a vpcd reader slot talks to: the ``VirtualCard`` or a shim in front of cards."""

    def process(self, apdu: bytes) -> bytes: ...

    def power_on(self) -> None: ...

    def power_off(self) -> None: ...

    def reset(self) -> None: ...


class _Disconnected(Exception):  # noqa: N818 - internal control flow
    pass


class VpcdCardLink:
    """A card inserted into (``insert``) or removed from (``remove``) a vpcd reader.

    While inserted, a background thread keeps the connection up: if vpcd goes away (pcscd
    restarted) it reconnects with a short backoff. ``card`` may be replaced while removed.
    """

    def __init__(
        self,
        card: CardInSlot,
        port: int = READER_PORTS[0],
        host: str = DEFAULT_HOST,
        *,
        retry_delay: float = 0.05,
        max_retry_delay: float = 1.0,
    ) -> None:
        self.card = card
        self.port = port
        self.host = host
        self._retry_delay = retry_delay
        self._max_retry_delay = max_retry_delay
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._connected = threading.Event()
        self._thread: threading.Thread | None = None
        self._sock: socket.socket | None = None

    def __repr__(self) -> str:
        return f"VpcdCardLink({self.host}:{self.port}, inserted={self.inserted})"

    @property
    def inserted(self) -> bool:
        return self._thread is not None

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def wait_connected(self, timeout: float = 5.0) -> bool:
        return self._connected.wait(timeout)

    def insert(self) -> None:
        """Connect to vpcd (in a thread); returns at once. No-op if already inserted."""
        with self._lock:
            if self._thread is not None:
                return
            # Each insertion has its own stop event, so a thread still winding down from the
            # previous removal can never be revived by this insertion.
            self._stop = threading.Event()
            self._thread = threading.Thread(
                target=self._run, args=(self._stop,), name=f"vpcd-card-{self.port}", daemon=True
            )
            self._thread.start()

    def remove(self, timeout: float = 5.0) -> None:
        """Disconnect (the reader sees the card leave) and wait for the thread to end."""
        with self._lock:
            thread, self._thread = self._thread, None
            self._stop.set()
            sock = self._sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        if thread is not None:
            thread.join(timeout)
        self.card.power_off()

    close = remove

    def __enter__(self) -> VpcdCardLink:
        self.insert()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.remove()

    # ---- thread ----

    def _run(self, stop: threading.Event) -> None:
        delay = self._retry_delay
        while not stop.is_set():
            try:
                sock = socket.create_connection((self.host, self.port), timeout=2.0)
            except OSError:
                stop.wait(delay)
                delay = min(delay * 2, self._max_retry_delay)
                continue
            delay = self._retry_delay
            with self._lock:
                if stop.is_set():
                    sock.close()
                    return
                self._sock = sock
            try:
                sock.settimeout(None)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                self._connected.set()
                log.info("virtual card connected to vpcd on port %d", self.port)
                self._serve(sock, stop)
            except (OSError, _Disconnected):
                pass
            finally:
                with self._lock:
                    if self._sock is sock:
                        self._sock = None
                        self._connected.clear()
                sock.close()
                self.card.power_off()
            if not stop.is_set():
                log.info("vpcd on port %d went away; reconnecting", self.port)
                stop.wait(delay)

    def _serve(self, sock: socket.socket, stop: threading.Event) -> None:
        while not stop.is_set():
            length = int.from_bytes(_recv_exact(sock, 2), "big")
            payload = _recv_exact(sock, length) if length else b""
            if len(payload) == 1:
                control = payload[0]
                if control == _CONTROL_GET_ATR:
                    _send(sock, ATR)
                elif control == _CONTROL_POWER_ON:
                    self.card.power_on()
                elif control == _CONTROL_POWER_OFF:
                    self.card.power_off()
                elif control == _CONTROL_RESET:
                    self.card.reset()
                continue
            _send(sock, self.card.process(payload))


def _recv_exact(sock: socket.socket, count: int) -> bytes:
    data = b""
    while len(data) < count:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
        chunk = sock.recv(count - len(data))
        if not chunk:
            raise _Disconnected
        data += chunk
    return data


def _send(sock: socket.socket, payload: bytes) -> None:
    sock.sendall(len(payload).to_bytes(2, "big") + payload)
