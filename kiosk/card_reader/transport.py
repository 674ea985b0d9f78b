"""The connection a card session talks through.

Public names: ``Transport`` (protocol), ``TransportBase`` and ``WrappedTransport`` (enter/exit
written once, as yubikit's ``Connection``), ``CountingTransport``.

A transport sends one command APDU and returns ``(data, sw)``: the response data without
the status word and the status word as an int. It does no chaining (61xx / 6Cxx are the
channel's job, see ``apdu.CardChannel``). ``close()`` ends the card session; for PC/SC this
powers the card off so that no verification state outlives the transaction. Transports are
context managers. Errors are the typed ones from ``errors`` (``CardLost``,
``ReaderUnavailable`` ...), never a library's own exception.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from types import TracebackType
from typing import Protocol, Self


class Transport(Protocol):
    """One card session: ``transmit`` APDUs, then ``close``."""

    def transmit(self, apdu: bytes) -> tuple[bytes, int]:
        """Sends one command APDU; returns (response data, status word)."""
        ...

    def close(self) -> None:
        """Ends the session (idempotent)."""
        ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


class TransportBase(ABC):
    """A transport's context-manager half, written once: leaving ``with`` closes the session
    (for PC/SC that powers the card off), also when the block raised."""

    @abstractmethod
    def transmit(self, apdu: bytes) -> tuple[bytes, int]: ...

    @abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class WrappedTransport(TransportBase):
    """A transport around another (to count, log or disturb): closing it closes the inner."""

    def __init__(self, inner: Transport) -> None:
        self.inner = inner

    def close(self) -> None:
        self.inner.close()


class CountingTransport(WrappedTransport):
    """Wraps a transport and counts APDUs, bytes and time spent in ``transmit``."""

    def __init__(self, inner: Transport) -> None:
        super().__init__(inner)
        self.apdus = 0
        self.bytes_sent = 0
        self.bytes_received = 0
        self.seconds = 0.0

    def transmit(self, apdu: bytes) -> tuple[bytes, int]:
        start = time.perf_counter()
        try:
            data, sw = self.inner.transmit(apdu)
        finally:
            self.seconds += time.perf_counter() - start
            self.apdus += 1
            self.bytes_sent += len(apdu)
        self.bytes_received += len(data) + 2
        return data, sw
