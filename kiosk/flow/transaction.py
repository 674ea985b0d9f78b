"""What one resident's transaction knows besides its secrets (nothing personal)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from kiosk.flow.ports import CardReading, FaceBinding, FaceResult, Ticket, TriesLeft


class ResetCommandGate:
    """Whether the reset command goes to the card, decided once under a lock.

    The worker asks to send just before relaying (``open``); the flow shuts the gate when the
    transaction ends, whatever ends it (``shut``). Whichever comes first wins, so a job that
    outlived its step (a slow backend, a time-out) never writes the card, and the resident is
    told "nothing changed" only when nothing was sent.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sent: bool | None = None  # None: undecided

    def open(self) -> bool:
        """From the worker: True if the command may go to the card (and is then sent)."""
        with self._lock:
            if self._sent is None:
                self._sent = True
            return self._sent

    def shut(self) -> bool:
        """From the flow: no command from now on; True if one was already sent."""
        with self._lock:
            if self._sent is None:
                self._sent = False
            return self._sent

    @property
    def sent(self) -> bool:
        with self._lock:
            return self._sent is True

    @property
    def is_shut(self) -> bool:
        with self._lock:
            return self._sent is False


@dataclass
class Transaction:
    """The card read at the start, the backend's ticket and what the steps learned since."""

    snapshot: CardReading | None = None
    ticket: Ticket | None = None
    # The retry counters the card should show now (the start's, minus our own wrong tries).
    expected: TriesLeft | None = None
    auth_verified: bool = False
    finished_at_backend: bool = False
    # The card face (and chip key) the photo came from, named in the face evidence.
    binding: FaceBinding | None = None
    # A failed face attempt the backend has not heard of (it takes one piece of evidence per
    # transaction, the success or the last failure): if the transaction ends before another
    # attempt (the resident cancels, or leaves), it is reported then, so a failure always
    # counts against the card.
    unreported_face_failure: FaceResult | None = None
    # Opened by the worker just before the reset command goes to the card: from then on an
    # interrupted transaction is "unconfirmed", never "nothing changed".
    reset_command: ResetCommandGate = field(default_factory=ResetCommandGate)
