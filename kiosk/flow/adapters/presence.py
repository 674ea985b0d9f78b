"""Reader events (``kiosk.card_reader.pcsc.ReaderWatcher``) as the flow's ``CardPresence``.

The watcher calls back on its own thread; ``post`` must carry the call to the thread that
drives the flow (``QtPoster.post`` in the UI, ``QueuePump.post`` headless).
"""

from __future__ import annotations

from collections.abc import Callable

from kiosk.card_reader import events
from kiosk.flow.ports import CardPresence


def presence_for(event: events.ReaderEvent, reader: str) -> CardPresence | None:
    """What ``event`` means for the kiosk's ``reader`` (None: nothing changes for it)."""
    if isinstance(event, events.ServiceUnavailable):
        return CardPresence.NO_READER
    if isinstance(event, events.ServiceBack):
        return None  # the reader comes back with its own ReaderAdded
    if getattr(event, "reader", None) != reader:
        return None
    if isinstance(event, events.CardInserted | events.CardMute):
        return CardPresence.PRESENT
    if isinstance(event, events.CardRemoved | events.ReaderAdded):
        return CardPresence.ABSENT
    return CardPresence.NO_READER  # ReaderRemoved, the only event left


class PresenceRelay:
    """A ``ReaderWatcher`` callback that forwards presence changes to ``card_event``."""

    def __init__(
        self,
        reader: str,
        card_event: Callable[[CardPresence], None],
        post: Callable[[Callable[[], None]], None],
    ) -> None:
        self._reader = reader
        self._card_event = card_event
        self._post = post

    def __call__(self, event: events.ReaderEvent) -> None:
        presence = presence_for(event, self._reader)
        if presence is not None:
            self._post(lambda: self._card_event(presence))
