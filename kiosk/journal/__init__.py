"""The kiosk's local transaction journal: what a restarted kiosk needs to settle unfinished
transactions with the backend. It holds transaction ids, the step reached, the card's answer
to the reset command (a status word and MAC, nothing personal) and times; never a PIN, a
number, a name or an image."""

from kiosk.journal.reconcile import Reconciled, reconcile
from kiosk.journal.store import Journal, JournalEntry, JournalError, JournalStep

__all__ = ["Journal", "JournalEntry", "JournalError", "JournalStep", "Reconciled", "reconcile"]
