"""Rows and the SQL that reads and writes them. Every function works inside a transaction."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from kiosk_backend.database import Connection, Row
from kiosk_protocol.messages import Outcome, TransactionState, TransactionStatus


def lock_key(connection: Connection, name: str) -> None:
    """Serialise writers on one logical key until the transaction ends.

    PostgreSQL: a transaction-scoped advisory lock. SQLite: nothing to do, because every
    write transaction is BEGIN IMMEDIATE and so already alone.
    """
    if connection.dialect == "postgresql":
        number = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
        connection.execute("SELECT pg_advisory_xact_lock(?)", (number,))


# --- kiosks ------------------------------------------------------------------------


@dataclass(frozen=True)
class KioskRow:
    kiosk_id: str
    certificate_sha256: str
    enabled: bool
    flagged_at: int | None = None  # set once it presented too many card proofs that failed


_KIOSK_COLUMNS = "kiosk_id, certificate_sha256, enabled, flagged_at"


def _kiosk(row: Row) -> KioskRow:
    return KioskRow(row[0], row[1], bool(row[2]), None if row[3] is None else int(row[3]))


def get_kiosk(connection: Connection, kiosk_id: str) -> KioskRow | None:
    row = connection.execute(
        f"SELECT {_KIOSK_COLUMNS} FROM kiosks WHERE kiosk_id = ?", (kiosk_id,)
    ).one()
    return None if row is None else _kiosk(row)


def upsert_kiosk(connection: Connection, kiosk_id: str, certificate_sha256: str, now: int) -> None:
    updated = connection.execute(
        "UPDATE kiosks SET certificate_sha256 = ?, enabled = 1, updated_at = ? WHERE kiosk_id = ?",
        (certificate_sha256, now, kiosk_id),
    ).rowcount
    if updated == 0:
        connection.execute(
            "INSERT INTO kiosks (kiosk_id, certificate_sha256, enabled, enrolled_at, updated_at)"
            " VALUES (?, ?, 1, ?, ?)",
            (kiosk_id, certificate_sha256, now, now),
        )


def set_kiosk_enabled(connection: Connection, kiosk_id: str, enabled: bool, now: int) -> bool:
    """Enabling also clears the kiosk's flag: staff have looked at it."""
    flag = ", flagged_at = NULL" if enabled else ""
    return (
        connection.execute(
            f"UPDATE kiosks SET enabled = ?, updated_at = ?{flag} WHERE kiosk_id = ?",
            (1 if enabled else 0, now, kiosk_id),
        ).rowcount
        == 1
    )


def flag_kiosk(connection: Connection, kiosk_id: str, now: int) -> bool:
    """Flag a kiosk for staff (keeps the first time it was flagged); True if newly flagged."""
    return (
        connection.execute(
            "UPDATE kiosks SET flagged_at = ? WHERE kiosk_id = ? AND flagged_at IS NULL",
            (now, kiosk_id),
        ).rowcount
        == 1
    )


def list_kiosks(connection: Connection) -> list[KioskRow]:
    rows = connection.execute(f"SELECT {_KIOSK_COLUMNS} FROM kiosks ORDER BY kiosk_id").rows
    return [_kiosk(row) for row in rows]


# --- transactions ------------------------------------------------------------------

_TRANSACTION_COLUMNS = (
    "transaction_id, kiosk_id, nonce, state, outcome, identity_check, card_ref, card_serial,"
    " card_challenge, created_at, expires_at, closed_at, chip_nonce"
)


@dataclass(frozen=True)
class TransactionRow:
    transaction_id: str
    kiosk_id: str
    nonce: bytes
    state: TransactionState
    outcome: Outcome | None
    identity_check: str | None
    card_ref: str | None
    card_serial: int | None
    card_challenge: bytes | None
    created_at: int
    expires_at: int
    closed_at: int | None
    chip_nonce: bytes | None = None  # None only in transactions begun before version 0003

    @classmethod
    def from_row(cls, row: Row) -> TransactionRow:
        return cls(
            transaction_id=row[0],
            kiosk_id=row[1],
            nonce=bytes.fromhex(row[2]),
            state=TransactionState(row[3]),
            outcome=None if row[4] is None else Outcome(row[4]),
            identity_check=row[5],
            card_ref=row[6],
            card_serial=None if row[7] is None else int(row[7], 16),
            card_challenge=None if row[8] is None else bytes.fromhex(row[8]),
            created_at=int(row[9]),
            expires_at=int(row[10]),
            closed_at=None if row[11] is None else int(row[11]),
            chip_nonce=None if row[12] is None else bytes.fromhex(row[12]),
        )

    def status(self) -> TransactionStatus:
        return TransactionStatus(
            transaction_id=self.transaction_id,
            state=self.state,
            outcome=self.outcome,
            identity_check=self.identity_check,
            expires_at_ms=self.expires_at,
            closed_at_ms=self.closed_at,
        )


def insert_transaction(
    connection: Connection,
    *,
    transaction_id: str,
    kiosk_id: str,
    nonce: bytes,
    chip_nonce: bytes,
    created_at: int,
    expires_at: int,
) -> None:
    connection.execute(
        "INSERT INTO transactions (transaction_id, kiosk_id, nonce, chip_nonce, state,"
        " created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            transaction_id,
            kiosk_id,
            nonce.hex(),
            chip_nonce.hex(),
            TransactionState.AWAITING_CARD_PROOF.value,
            created_at,
            expires_at,
        ),
    )


def get_transaction(
    connection: Connection, transaction_id: str, for_update: bool = False
) -> TransactionRow | None:
    suffix = " FOR UPDATE" if for_update and connection.dialect == "postgresql" else ""
    row = connection.execute(
        f"SELECT {_TRANSACTION_COLUMNS} FROM transactions WHERE transaction_id = ?{suffix}",
        (transaction_id,),
    ).one()
    return None if row is None else TransactionRow.from_row(row)


def advance(
    connection: Connection,
    transaction_id: str,
    expected: TransactionState,
    new_state: TransactionState,
    **values: object,
) -> bool:
    """Move an open transaction from `expected` to `new_state`, setting extra columns."""
    allowed = {"card_ref", "card_serial", "card_challenge", "identity_check"}
    if not set(values) <= allowed:
        raise ValueError("advance: unexpected column")
    assignments = "".join(f", {name} = ?" for name in values)
    return (
        connection.execute(
            f"UPDATE transactions SET state = ?{assignments}"
            " WHERE transaction_id = ? AND state = ?",
            (new_state.value, *values.values(), transaction_id, expected.value),
        ).rowcount
        == 1
    )


def close(
    connection: Connection,
    transaction_id: str,
    outcome: Outcome,
    now: int,
    card_ref: str | None = None,
) -> bool:
    """Close an open transaction and forget what was needed only while it was open."""
    return (
        connection.execute(
            "UPDATE transactions SET state = ?, outcome = ?, closed_at = ?,"
            " card_ref = COALESCE(card_ref, ?), card_serial = NULL, card_challenge = NULL"
            " WHERE transaction_id = ? AND state <> ?",
            (
                TransactionState.CLOSED.value,
                outcome.value,
                now,
                card_ref,
                transaction_id,
                TransactionState.CLOSED.value,
            ),
        ).rowcount
        == 1
    )


def count_kiosk_transactions(
    connection: Connection, kiosk_id: str, since: int, outcomes: tuple[Outcome, ...] = ()
) -> int:
    sql = "SELECT COUNT(*) FROM transactions WHERE kiosk_id = ? AND created_at >= ?"
    params: list[object] = [kiosk_id, since]
    if outcomes:
        sql += " AND outcome IN (" + ", ".join("?" for _ in outcomes) + ")"
        params.extend(outcome.value for outcome in outcomes)
    row = connection.execute(sql, params).one()
    return 0 if row is None else int(row[0])


def count_card_transactions(
    connection: Connection, card_ref: str, since: int, outcomes: tuple[Outcome, ...] = ()
) -> int:
    sql = "SELECT COUNT(*) FROM transactions WHERE card_ref = ? AND created_at >= ?"
    params: list[object] = [card_ref, since]
    if outcomes:
        sql += " AND outcome IN (" + ", ".join("?" for _ in outcomes) + ")"
        params.extend(outcome.value for outcome in outcomes)
    row = connection.execute(sql, params).one()
    return 0 if row is None else int(row[0])


def overdue_transactions(
    connection: Connection, now: int, answer_grace_ms: int
) -> list[TransactionRow]:
    rows = connection.execute(
        f"SELECT {_TRANSACTION_COLUMNS} FROM transactions WHERE state <> ? AND expires_at < ?",
        (TransactionState.CLOSED.value, now),
    ).rows
    found = [TransactionRow.from_row(row) for row in rows]
    return [
        row
        for row in found
        if row.state != TransactionState.AWAITING_CARD_ANSWER
        or row.expires_at + answer_grace_ms < now
    ]


# --- idempotency -------------------------------------------------------------------


@dataclass(frozen=True)
class StoredReply:
    operation: str
    request_sha256: str
    status: int
    response: str


def get_reply(connection: Connection, kiosk_id: str, key: str) -> StoredReply | None:
    row = connection.execute(
        "SELECT operation, request_sha256, status, response FROM idempotency"
        " WHERE kiosk_id = ? AND idempotency_key = ?",
        (kiosk_id, key),
    ).one()
    return None if row is None else StoredReply(row[0], row[1], int(row[2]), row[3])


def put_reply(
    connection: Connection,
    *,
    kiosk_id: str,
    key: str,
    transaction_id: str | None,
    reply: StoredReply,
    now: int,
) -> None:
    connection.execute(
        "INSERT INTO idempotency (kiosk_id, idempotency_key, operation, transaction_id,"
        " request_sha256, status, response, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            kiosk_id,
            key,
            reply.operation,
            transaction_id,
            reply.request_sha256,
            reply.status,
            reply.response,
            now,
        ),
    )


def forget_replies_before(connection: Connection, before: int) -> int:
    return connection.execute("DELETE FROM idempotency WHERE created_at < ?", (before,)).rowcount
