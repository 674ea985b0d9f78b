"""An in-memory stand-in for ``smartcard.scard`` to drive the PC/SC code through failures
that the real pcscd cannot be made to show on demand (service stopping mid-wait)."""

# ruff: noqa: N802  (the method names are those of smartcard.scard)

from __future__ import annotations

import threading
from typing import Any

from smartcard import scard

NO_SERVICE = 0x8010001D
TIMEOUT = 0x8010000A
CANCELLED = 0x80100002
NO_READERS = 0x8010002E


class FakeScard:
    SCARD_SCOPE_USER = scard.SCARD_SCOPE_USER
    SCARD_SHARE_EXCLUSIVE = scard.SCARD_SHARE_EXCLUSIVE
    SCARD_PROTOCOL_T0 = scard.SCARD_PROTOCOL_T0
    SCARD_PROTOCOL_T1 = scard.SCARD_PROTOCOL_T1
    SCARD_UNPOWER_CARD = scard.SCARD_UNPOWER_CARD
    SCARD_STATE_UNAWARE = scard.SCARD_STATE_UNAWARE
    SCARD_STATE_CHANGED = scard.SCARD_STATE_CHANGED
    SCARD_STATE_PRESENT = scard.SCARD_STATE_PRESENT
    SCARD_STATE_EMPTY = scard.SCARD_STATE_EMPTY
    SCARD_STATE_MUTE = scard.SCARD_STATE_MUTE

    def __init__(self) -> None:
        self.lock = threading.Condition()
        self.service = True
        self.readers: dict[str, tuple[int, bytes]] = {}  # reader -> (state, atr)
        self.counter: dict[str, int] = {}
        self.contexts = 0
        self.released = 0
        self.cancelled = False
        self.connect_result = 0
        self.transmit_result: tuple[int, list[int]] = (0, [0x90, 0x00])
        self.disconnects: list[int] = []
        self.sent: list[list[int]] = []
        self.pnp_supported = True
        self.status_calls = 0

    # -- test controls ----------------------------------------------------------------------
    def _changed(self) -> None:
        self.lock.notify_all()

    def add_reader(self, name: str) -> None:
        with self.lock:
            self.readers[name] = (self.SCARD_STATE_EMPTY, b"")
            self.counter[name] = 0
            self._changed()

    def remove_reader(self, name: str) -> None:
        with self.lock:
            del self.readers[name]
            self._changed()

    def insert(self, name: str, atr: bytes, mute: bool = False) -> None:
        with self.lock:
            self.counter[name] += 1
            flags = self.SCARD_STATE_PRESENT | (self.SCARD_STATE_MUTE if mute else 0)
            self.readers[name] = (flags, atr)
            self._changed()

    def remove(self, name: str) -> None:
        with self.lock:
            self.counter[name] += 1
            self.readers[name] = (self.SCARD_STATE_EMPTY, b"")
            self._changed()

    def stop_service(self) -> None:
        with self.lock:
            self.service = False
            self._changed()

    def start_service(self) -> None:
        with self.lock:
            self.service = True
            self._changed()

    # -- the scard API --------------------------------------------------------------------
    def SCardEstablishContext(self, scope: int) -> tuple[int, Any]:
        with self.lock:
            if not self.service:
                return NO_SERVICE, 0
            self.contexts += 1
            return 0, self.contexts

    def SCardReleaseContext(self, context: Any) -> int:
        self.released += 1
        return 0

    def SCardCancel(self, context: Any) -> int:
        with self.lock:
            self.cancelled = True
            self._changed()
        return 0

    def SCardListReaders(self, context: Any, groups: list[str]) -> tuple[int, list[str]]:
        with self.lock:
            if not self.service:
                return NO_SERVICE, []
            if not self.readers:
                return NO_READERS, []
            return 0, list(self.readers)

    def _event(self, name: str) -> int:
        state, _atr = self.readers[name]
        return (self.counter[name] << 16) | state

    def SCardGetStatusChange(
        self, context: Any, timeout: int, states: list[tuple[str, int]]
    ) -> tuple[int, list[tuple[str, int, list[int]]]]:
        with self.lock:
            self.status_calls += 1
            names = [name for name, _ in states]
            if not self.pnp_supported and any(n.startswith("\\\\?PnP") for n in names):
                return 0x80100009, []  # SCARD_E_UNKNOWN_READER
            if any(n not in self.readers and not n.startswith("\\\\?PnP") for n in names):
                return 0x80100009, []
            deadline_ok = self.lock.wait_for(
                lambda: self.cancelled or not self.service or self._differs(states),
                timeout / 1000,
            )
            if self.cancelled:
                self.cancelled = False
                return CANCELLED, []
            if not self.service:
                return NO_SERVICE, []
            if not deadline_ok:
                return TIMEOUT, []
            out: list[tuple[str, int, list[int]]] = []
            for name, current in states:
                if name.startswith("\\\\?PnP"):
                    out.append((name, len(self.readers) << 16, []))
                    continue
                if name not in self.readers:
                    out.append((name, 8, []))  # UNAVAILABLE
                    continue
                event = self._event(name)
                flag = self.SCARD_STATE_CHANGED if event != current else 0
                out.append((name, event | flag, list(self.readers[name][1])))
            return 0, out

    def _differs(self, states: list[tuple[str, int]]) -> bool:
        names = {n for n, _ in states if not n.startswith("\\\\?PnP")}
        if names != set(self.readers):
            return True
        return any(self._event(n) != cur for n, cur in states if n in self.readers)

    def SCardConnect(
        self, context: Any, reader: str, share: int, protocols: int
    ) -> tuple[int, Any, int]:
        self.share = share
        self.protocols = protocols
        if self.connect_result:
            return self.connect_result, 0, 0
        return 0, 77, self.SCARD_PROTOCOL_T1

    def SCardStatus(self, card: Any) -> tuple[int, str, int, int, list[int]]:
        return 0, "r", self.SCARD_STATE_PRESENT, self.SCARD_PROTOCOL_T1, [0x3B, 0xE0]

    def SCardTransmit(self, card: Any, protocol: int, apdu: list[int]) -> tuple[int, list[int]]:
        self.sent.append(apdu)
        return self.transmit_result

    def SCardDisconnect(self, card: Any, disposition: int) -> int:
        self.disconnects.append(disposition)
        return 0
