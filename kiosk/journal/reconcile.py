"""Settle the journal's unfinished transactions with the backend (on start, and after faults).

- The card answered but the backend never confirmed: hand it the card's answer now, so it
  learns whether the PIN was set; if it already knows (closed, expired), ask for its verdict.
- Anything else: abort it. The backend closes it as ``aborted``, or as ``unconfirmed`` when the
  reset command had gone out and no answer came back.
An entry stays unfinished while the backend cannot be reached; the next run tries again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from kiosk.backend_client.client import BackendClient, Transaction
from kiosk.backend_client.errors import (
    BackendUnreachableError,
    CardRejectedError,
    ProtocolError,
    RefusedByPolicyError,
    ServerError,
)
from kiosk.journal.store import Journal, JournalEntry
from kiosk_protocol.messages import AbortReason, TransactionStatus

log = logging.getLogger("kiosk.journal")

UNKNOWN_AT_BACKEND = "unknown_at_backend"


@dataclass(frozen=True)
class Reconciled:
    """How one unfinished transaction was settled (``outcome`` None: still unsettled)."""

    transaction_id: str
    outcome: str | None
    answer_delivered: bool = False


def reconcile(journal: Journal, client: BackendClient) -> list[Reconciled]:
    results = [_settle(journal, client, entry) for entry in journal.unfinished()]
    journal.compact()
    for result in results:
        log.info(
            "journal: transaction %s settled as %s", result.transaction_id,
            result.outcome or "still open (backend unreachable)",
        )
    return results


def reconcile_one(journal: Journal, client: BackendClient, transaction_id: str) -> Reconciled:
    """Settle one transaction now (the flow abandoning it after the card answered)."""
    entry = journal.entries().get(transaction_id)
    if entry is None or entry.finished:
        return Reconciled(transaction_id, entry.outcome if entry else None)
    return _settle(journal, client, entry)


def _settle(journal: Journal, client: BackendClient, entry: JournalEntry) -> Reconciled:
    delivered = False
    try:
        if entry.card_answer is not None:
            status, delivered = _deliver_answer(client, entry.transaction_id, entry.card_answer)
        else:
            status = client.abort(entry.transaction_id, AbortReason.KIOSK_FAULT)
    except (BackendUnreachableError, ServerError):
        return Reconciled(entry.transaction_id, None)
    except ProtocolError as error:
        if error.code != "unknown_transaction":
            return Reconciled(entry.transaction_id, None)
        journal.closed(entry.transaction_id, UNKNOWN_AT_BACKEND)
        return Reconciled(entry.transaction_id, UNKNOWN_AT_BACKEND)
    outcome = status.outcome.value if status.outcome is not None else None
    if outcome is None:
        return Reconciled(entry.transaction_id, None, delivered)
    journal.closed(entry.transaction_id, outcome)
    return Reconciled(entry.transaction_id, outcome, delivered)


def _deliver_answer(
    client: BackendClient, transaction_id: str, answer: bytes
) -> tuple[TransactionStatus, bool]:
    """(the backend's verdict, whether it took the answer from us now)."""
    transaction = Transaction(transaction_id, b"", 0, b"")  # card-answer needs only the id
    try:
        return client.confirm(transaction, answer), True
    except CardRejectedError:
        return client.status(transaction_id), True
    except RefusedByPolicyError:  # expired meanwhile
        return client.status(transaction_id), False
    except ProtocolError as error:
        if error.code in ("transaction_closed", "out_of_order"):
            return client.status(transaction_id), False
        raise
