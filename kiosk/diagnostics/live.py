"""Live health of the reader while the kiosk runs, from the reader watcher's events.

The running kiosk must not probe the card (it would take the reader from the resident), so the
staff's reader and card items come from the events the kiosk's ``ReaderWatcher`` already
delivers. Give :meth:`ReaderHealth.on_event` to the watcher (or call it from the watcher's
callback) and it publishes ``pcsc.service``, ``pcsc.readers`` and ``pcsc.card`` results to the
:class:`~kiosk.diagnostics.metrics.HealthBoard`. Thread-safe; it never raises.
"""

from __future__ import annotations

import threading

from kiosk.card_reader import events
from kiosk.diagnostics.metrics import HealthBoard
from kiosk.diagnostics.model import JsonValue, fail, ok, warn


class ReaderHealth:
    def __init__(self, board: HealthBoard, configured_reader: str = "auto") -> None:
        self._board = board
        self._configured = configured_reader
        self._lock = threading.Lock()
        self._readers: set[str] = set()
        self._cards: dict[str, str] = {}  # reader -> "present" | "mute"

    def on_event(self, event: events.ReaderEvent) -> None:
        with self._lock:
            if isinstance(event, events.ServiceUnavailable):
                self._readers.clear()
                self._cards.clear()
                self._board.publish(fail("pcsc.service", "PC/SC service",
                                         "pcscd is not reachable", error=event.detail))
            elif isinstance(event, events.ServiceBack):
                self._board.publish(ok("pcsc.service", "PC/SC service", "pcscd answers"))
            elif isinstance(event, events.ReaderAdded):
                self._readers.add(event.reader)
                self._board.publish(ok("pcsc.service", "PC/SC service", "pcscd answers"))
            elif isinstance(event, events.ReaderRemoved):
                self._readers.discard(event.reader)
                self._cards.pop(event.reader, None)
            elif isinstance(event, events.CardInserted):
                self._cards[event.reader] = "present"
            elif isinstance(event, events.CardMute):
                self._cards[event.reader] = "mute"
            elif isinstance(event, events.CardRemoved):
                self._cards.pop(event.reader, None)
            self._publish_readers()

    def _publish_readers(self) -> None:
        readers = sorted(self._readers)
        title = "Card readers"
        if not readers:
            self._board.publish(fail("pcsc.readers", title, "no reader is connected",
                                     readers=[]))
        elif self._configured != "auto" and self._configured not in readers:
            self._board.publish(fail("pcsc.readers", title,
                                     f"the configured reader {self._configured!r} is not "
                                     "connected", readers=list(readers)))
        else:
            self._board.publish(ok("pcsc.readers", title, f"{len(readers)} reader(s)",
                                   readers=list(readers)))
        mute: list[JsonValue] = [r for r, state in self._cards.items() if state == "mute"]
        if mute:
            self._board.publish(warn("pcsc.card", "Card", "a card does not respond "
                                     "(wrong way round, dirty or broken)", readers=mute))
        elif self._cards:
            self._board.publish(ok("pcsc.card", "Card", "a card is on the reader",
                                   readers=list[JsonValue](sorted(self._cards))))
        else:
            self._board.publish(ok("pcsc.card", "Card", "no card (waiting for a resident)"))
