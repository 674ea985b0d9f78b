"""What one resident's transaction knows besides its secrets (nothing personal)."""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.flow.ports import CardReading, FaceBinding, Ticket, TriesLeft


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
    # Set by the worker just before the reset command goes to the card: from then on an
    # interrupted transaction is "unconfirmed", never "nothing changed".
    command_sent: bool = False
