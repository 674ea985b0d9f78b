"""PC/SC access through pyscard: the only module of the product that imports it.

Public names: ``PcscTransport``, ``ReaderWatcher``, ``list_readers``, ``map_pcsc_error``.

``PcscTransport(reader)`` connects to the card in ``reader`` with EXCLUSIVE share mode
(no other process can send APDUs while a VERIFY is in force) and T=1 or T=0; ``close()``
disconnects with UNPOWER so each transaction ends with the card powered off. PC/SC errors map
to the typed errors: no service -> ``ReaderUnavailable``, card removed / reset / absent ->
``CardLost``, mute card -> ``CardUnresponsive``, held by another process -> ``ReaderBusy``.

``ReaderWatcher(callback)`` runs a background thread that waits on SCardGetStatusChange and
calls ``callback`` (from that thread) with ``events.*`` objects: reader added/removed, card
inserted (with ATR)/removed/mute, service unavailable/back. It survives readers coming and
going and pcscd stopping and starting again; ``stop()`` ends it within one wait period.
The PC/SC socket is taken from the environment as pcsc-lite does (PCSCLITE_CSOCK_NAME).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from types import TracebackType
from typing import Any, Self

from smartcard import scard as _scard

from kiosk.card_reader import events
from kiosk.card_reader.errors import (
    CardError,
    CardLost,
    CardUnresponsive,
    MalformedResponse,
    ReaderBusy,
    ReaderUnavailable,
)
from kiosk.card_reader.transport import TransportBase

log = logging.getLogger(__name__)

PNP_NOTIFICATION = "\\\\?PnP?\\Notification"

E_NO_SERVICE = 0x8010001D
E_SERVICE_STOPPED = 0x8010001E
E_INVALID_HANDLE = 0x80100003
F_COMM_ERROR = 0x80100013
E_NO_READERS = 0x8010002E
E_TIMEOUT = 0x8010000A
E_CANCELLED = 0x80100002
E_UNKNOWN_READER = 0x80100009
E_READER_UNAVAILABLE = 0x80100017
E_NO_SMARTCARD = 0x8010000C
E_SHARING_VIOLATION = 0x8010000B
W_REMOVED_CARD = 0x80100069
W_RESET_CARD = 0x80100068
W_UNPOWERED_CARD = 0x80100067
W_UNRESPONSIVE_CARD = 0x80100066

_SERVICE_LOST = frozenset({E_NO_SERVICE, E_SERVICE_STOPPED, E_INVALID_HANDLE, F_COMM_ERROR})
_CARD_GONE = frozenset({W_REMOVED_CARD, W_RESET_CARD, E_NO_SMARTCARD})


def _code(hresult: int) -> int:
    return hresult & 0xFFFFFFFF


def map_pcsc_error(hresult: int, action: str) -> CardError:
    """The typed error for a failed PC/SC call (the message names the call and the code)."""
    code = _code(hresult)
    detail = f"{action}: PC/SC error 0x{code:08X}"
    if code in _SERVICE_LOST:
        return ReaderUnavailable(f"{detail} (PC/SC service not available)")
    if code in (E_UNKNOWN_READER, E_READER_UNAVAILABLE, E_NO_READERS):
        return ReaderUnavailable(f"{detail} (reader not available)")
    if code in _CARD_GONE:
        return CardLost(f"{detail} (card removed or reset)")
    if code in (W_UNRESPONSIVE_CARD, W_UNPOWERED_CARD):
        return CardUnresponsive(f"{detail} (card does not respond)")
    if code == E_SHARING_VIOLATION:
        return ReaderBusy(f"{detail} (card in use by another process)")
    return CardError(detail)


def _establish(api: Any) -> Any:
    try:
        hresult, context = api.SCardEstablishContext(api.SCARD_SCOPE_USER)
    except Exception as exc:  # pyscard raises its own exceptions on some failures
        raise ReaderUnavailable(f"PC/SC service not available: {type(exc).__name__}") from None
    if hresult != 0:
        raise map_pcsc_error(hresult, "SCardEstablishContext")
    return context


def list_readers(api: Any = _scard) -> list[str]:
    """Names of the PC/SC readers; ``ReaderUnavailable`` when the service is not running."""
    context = _establish(api)
    try:
        hresult, readers = api.SCardListReaders(context, [])
        if _code(hresult) == E_NO_READERS:
            return []
        if hresult != 0:
            raise map_pcsc_error(hresult, "SCardListReaders")
        return list(readers)
    finally:
        api.SCardReleaseContext(context)


class PcscTransport(TransportBase):
    """Exclusive connection to the card in one reader; see the module docstring."""

    def __init__(self, reader: str, *, api: Any = _scard) -> None:
        self.reader = reader
        self._api = api
        self._context: Any = _establish(api)
        self._card: Any = None
        try:
            hresult, card, protocol = api.SCardConnect(
                self._context,
                reader,
                api.SCARD_SHARE_EXCLUSIVE,
                api.SCARD_PROTOCOL_T0 | api.SCARD_PROTOCOL_T1,
            )
            if hresult != 0:
                raise map_pcsc_error(hresult, "SCardConnect")
            self._card = card
            self._protocol = protocol
            hresult, _name, _state, _proto, atr = api.SCardStatus(card)
            if hresult != 0:
                raise map_pcsc_error(hresult, "SCardStatus")
            self.atr = bytes(atr)
        except BaseException:
            self.close()
            raise

    def transmit(self, apdu: bytes) -> tuple[bytes, int]:
        if self._card is None:
            raise CardLost("transport closed")
        command = list(apdu)
        try:
            hresult, response = self._api.SCardTransmit(self._card, self._protocol, command)
        finally:
            command[:] = [0] * len(command)  # it may hold a PIN
        if hresult != 0:
            raise map_pcsc_error(hresult, "SCardTransmit")
        if len(response) < 2:
            raise MalformedResponse(f"answer of {len(response)} byte(s), no status word")
        return bytes(response[:-2]), (response[-2] << 8) | response[-1]

    def close(self) -> None:
        """Powers the card off and releases the PC/SC context (idempotent, never raises)."""
        if self._card is not None:
            card, self._card = self._card, None
            try:
                self._api.SCardDisconnect(card, self._api.SCARD_UNPOWER_CARD)
            except Exception:  # the card or the service may be gone already
                log.debug("SCardDisconnect failed", exc_info=True)
        if self._context is not None:
            context, self._context = self._context, None
            try:
                self._api.SCardReleaseContext(context)
            except Exception:
                log.debug("SCardReleaseContext failed", exc_info=True)


class _ServiceLostError(Exception):
    pass


class ReaderWatcher:
    """Background watcher of readers and cards; see the module docstring."""

    def __init__(
        self,
        callback: Callable[[events.ReaderEvent], None],
        *,
        wait_seconds: float = 0.5,
        retry_seconds: float = 1.0,
        api: Any = _scard,
    ) -> None:
        self._callback = callback
        self._wait_ms = max(1, int(wait_seconds * 1000))
        self._retry_seconds = retry_seconds
        self._api = api
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._context: Any = None
        self._lock = threading.Lock()
        # reader -> last event state flags (0 when just added)
        self._readers: dict[str, int] = {}
        self._card_present: dict[str, bool] = {}
        self._service_ok: bool | None = None

    # -- lifecycle ------------------------------------------------------------------------
    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("watcher already started")
        self._thread = threading.Thread(target=self._run, name="pcsc-watcher", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        with self._lock:
            if self._context is not None:
                try:
                    self._api.SCardCancel(self._context)
                except Exception:
                    log.debug("SCardCancel failed", exc_info=True)
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- loop -----------------------------------------------------------------------------
    def _emit(self, event: events.ReaderEvent) -> None:
        try:
            self._callback(event)
        except Exception:  # a faulty observer must not stop the watcher
            log.exception("reader event callback failed for %s", type(event).__name__)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                context = _establish(self._api)
            except CardError as exc:
                self._lose_service(str(exc))
                self._stop.wait(self._retry_seconds)
                continue
            with self._lock:
                self._context = context
            if self._service_ok is False:
                self._emit(events.ServiceBack())
            self._service_ok = True
            try:
                self._watch(context)
            except _ServiceLostError as exc:
                self._lose_service(str(exc))
                self._stop.wait(self._retry_seconds)
            except Exception as exc:  # unknown PC/SC trouble: start over, never die
                log.warning("reader watcher restarting after %s", type(exc).__name__)
                self._stop.wait(self._retry_seconds)
            finally:
                with self._lock:
                    self._context = None
                try:
                    self._api.SCardReleaseContext(context)
                except Exception:
                    log.debug("SCardReleaseContext failed", exc_info=True)

    def _lose_service(self, detail: str) -> None:
        for reader in list(self._readers):
            self._drop_reader(reader)
        if self._service_ok is not False:
            self._emit(events.ServiceUnavailable(detail))
        self._service_ok = False

    def _drop_reader(self, reader: str) -> None:
        if self._card_present.pop(reader, False):
            self._emit(events.CardRemoved(reader))
        self._readers.pop(reader, None)
        self._emit(events.ReaderRemoved(reader))

    def _list(self, context: Any) -> list[str]:
        hresult, readers = self._api.SCardListReaders(context, [])
        code = _code(hresult)
        if code == E_NO_READERS:
            return []
        if code in _SERVICE_LOST:
            raise _ServiceLostError(f"SCardListReaders: PC/SC error 0x{code:08X}")
        if hresult != 0:
            raise map_pcsc_error(hresult, "SCardListReaders")
        return list(readers)

    def _watch(self, context: Any) -> None:
        api = self._api
        pnp_state = 0
        use_pnp = True  # pcsc-lite's reader-list notification; dropped if unsupported
        while not self._stop.is_set():
            current = self._list(context)
            for reader in [r for r in self._readers if r not in current]:
                self._drop_reader(reader)
            for reader in current:
                if reader not in self._readers:
                    self._readers[reader] = api.SCARD_STATE_UNAWARE
                    self._emit(events.ReaderAdded(reader))
            states = [(reader, flags) for reader, flags in self._readers.items()]
            if use_pnp:
                states.append((PNP_NOTIFICATION, pnp_state))
            elif not states:  # nothing to wait on: poll the reader list
                self._stop.wait(self._wait_ms / 1000)
                continue
            hresult, new_states = api.SCardGetStatusChange(context, self._wait_ms, states)
            code = _code(hresult)
            if code in (E_TIMEOUT, E_CANCELLED):
                continue  # time to re-list, or to stop
            if code in (E_UNKNOWN_READER, E_READER_UNAVAILABLE):
                if use_pnp and not any(r not in self._list(context) for r in self._readers):
                    use_pnp = False  # all our readers exist: it is the PnP name it refuses
                else:
                    self._stop.wait(self._wait_ms / 1000)  # a reader vanished: re-list
                continue
            if code in _SERVICE_LOST:
                raise _ServiceLostError(f"SCardGetStatusChange: PC/SC error 0x{code:08X}")
            if hresult != 0:
                raise map_pcsc_error(hresult, "SCardGetStatusChange")
            for reader, event_state, atr in new_states:
                if reader == PNP_NOTIFICATION:
                    pnp_state = event_state & ~api.SCARD_STATE_CHANGED
                    continue
                if reader in self._readers:
                    self._update_card(reader, event_state, bytes(atr))

    def _update_card(self, reader: str, event_state: int, atr: bytes) -> None:
        api = self._api
        previous = self._readers[reader]
        self._readers[reader] = event_state & ~api.SCARD_STATE_CHANGED
        present = bool(event_state & api.SCARD_STATE_PRESENT)
        mute = bool(event_state & api.SCARD_STATE_MUTE)
        was_present = self._card_present.get(reader, False)
        # pcsc-lite counts card events in the high word: a swap between two waits shows
        # as "still present" with another count, and must read as removal + insertion.
        swapped = (
            was_present and present and previous >> 16 != 0
            and previous >> 16 != event_state >> 16
        )
        if swapped:
            self._card_present[reader] = False
            self._emit(events.CardRemoved(reader))
            was_present = False
        if present and not was_present:
            self._card_present[reader] = True
            if mute:
                self._emit(events.CardMute(reader))
            else:
                self._emit(events.CardInserted(reader, atr))
        elif not present and was_present:
            self._card_present[reader] = False
            self._emit(events.CardRemoved(reader))
