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
    attestation: str = "software"  # "tpm" or "software" (testbeds)
    store_name: str = ""
    flagged_at: int | None = None  # set once it presented too many card proofs that failed


_KIOSK_COLUMNS = "kiosk_id, certificate_sha256, enabled, attestation, store_name, flagged_at"


def _kiosk(row: Row) -> KioskRow:
    flagged = None if row[5] is None else int(row[5])
    return KioskRow(row[0], row[1], bool(row[2]), row[3], row[4], flagged)


def get_kiosk(connection: Connection, kiosk_id: str) -> KioskRow | None:
    row = connection.execute(
        f"SELECT {_KIOSK_COLUMNS} FROM kiosks WHERE kiosk_id = ?",  # noqa: S608 - constant columns
        (kiosk_id,),
    ).one()
    return None if row is None else _kiosk(row)


def upsert_kiosk(
    connection: Connection,
    kiosk_id: str,
    certificate_sha256: str,
    now: int,
    *,
    attestation: str = "software",
    store_name: str = "",
) -> None:
    updated = connection.execute(
        "UPDATE kiosks SET certificate_sha256 = ?, enabled = 1, updated_at = ?, attestation = ?,"
        " store_name = ? WHERE kiosk_id = ?",
        (certificate_sha256, now, attestation, store_name, kiosk_id),
    ).rowcount
    if updated == 0:
        connection.execute(
            "INSERT INTO kiosks (kiosk_id, certificate_sha256, enabled, enrolled_at, updated_at,"
            " attestation, store_name) VALUES (?, ?, 1, ?, ?, ?, ?)",
            (kiosk_id, certificate_sha256, now, now, attestation, store_name),
        )
    if attestation != "tpm":
        connection.execute("DELETE FROM kiosk_tpm WHERE kiosk_id = ?", (kiosk_id,))


def set_kiosk_enabled(connection: Connection, kiosk_id: str, enabled: bool, now: int) -> bool:
    """Enabling also clears the kiosk's flag and the failed card proofs counted so far: staff
    have looked at it."""
    if enabled:
        sql = ("UPDATE kiosks SET enabled = 1, updated_at = ?, flagged_at = NULL, cleared_at = ?"
               " WHERE kiosk_id = ?")
        return connection.execute(sql, (now, now, kiosk_id)).rowcount == 1
    sql = "UPDATE kiosks SET enabled = 0, updated_at = ? WHERE kiosk_id = ?"
    return connection.execute(sql, (now, kiosk_id)).rowcount == 1


def kiosk_cleared_at(connection: Connection, kiosk_id: str) -> int | None:
    """When staff last enabled the kiosk (ms), if ever."""
    row = connection.execute(
        "SELECT cleared_at FROM kiosks WHERE kiosk_id = ?", (kiosk_id,)
    ).one()
    return None if row is None or row[0] is None else int(row[0])


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
    query = f"SELECT {_KIOSK_COLUMNS} FROM kiosks ORDER BY kiosk_id"  # noqa: S608 - constant columns
    rows = connection.execute(query).rows
    return [_kiosk(row) for row in rows]


@dataclass(frozen=True)
class KioskTpmRow:
    """The TPM identity recorded at enrolment (public areas as TPMT_PUBLIC bytes)."""

    kiosk_id: str
    ek_public_sha256: str
    ek_certificate_sha256: str | None
    attestation_public: bytes
    evidence_public: bytes
    pcr_selection: str
    pcr_digest: bytes


def put_kiosk_tpm(connection: Connection, tpm: KioskTpmRow, now: int) -> None:
    connection.execute("DELETE FROM kiosk_tpm WHERE kiosk_id = ?", (tpm.kiosk_id,))
    connection.execute(
        "INSERT INTO kiosk_tpm (kiosk_id, ek_public_sha256, ek_certificate_sha256,"
        " attestation_public, evidence_public, pcr_selection, pcr_digest, enrolled_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (tpm.kiosk_id, tpm.ek_public_sha256, tpm.ek_certificate_sha256,
         tpm.attestation_public.hex(), tpm.evidence_public.hex(), tpm.pcr_selection,
         tpm.pcr_digest.hex(), now),
    )


def get_kiosk_tpm(connection: Connection, kiosk_id: str) -> KioskTpmRow | None:
    row = connection.execute(
        "SELECT kiosk_id, ek_public_sha256, ek_certificate_sha256, attestation_public,"
        " evidence_public, pcr_selection, pcr_digest FROM kiosk_tpm WHERE kiosk_id = ?",
        (kiosk_id,),
    ).one()
    if row is None:
        return None
    return KioskTpmRow(row[0], row[1], row[2], bytes.fromhex(row[3]), bytes.fromhex(row[4]),
                       row[5], bytes.fromhex(row[6]))


def record_certificate(
    connection: Connection, serial: int, kiosk_id: str, *, sha256: str, issued_at: int,
    not_after: int,
) -> None:
    connection.execute(
        "INSERT INTO kiosk_certificates (serial, kiosk_id, certificate_sha256, issued_at,"
        " not_after) VALUES (?, ?, ?, ?, ?)",
        (format(serial, "x"), kiosk_id, sha256, issued_at, not_after),
    )


def revoked_serials(connection: Connection, now: int) -> list[int]:
    """Serials of unexpired kiosk certificates that must not be accepted: every one that is
    not its kiosk's current certificate, and the current one of a disabled kiosk."""
    rows = connection.execute(
        "SELECT c.serial FROM kiosk_certificates c LEFT JOIN kiosks k"
        " ON k.kiosk_id = c.kiosk_id WHERE c.not_after > ? AND (k.kiosk_id IS NULL"
        " OR k.certificate_sha256 <> c.certificate_sha256 OR k.enabled = 0)"
        " ORDER BY c.serial",
        (now,),
    ).rows
    return [int(row[0], 16) for row in rows]


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
        # Only constants are formatted in; every value is a bound parameter.
        f"SELECT {_TRANSACTION_COLUMNS} FROM transactions"  # noqa: S608
        f" WHERE transaction_id = ?{suffix}",
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
            # column names from `allowed` above, values bound as parameters
            f"UPDATE transactions SET state = ?{assignments}"  # noqa: S608
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
    connection: Connection,
    kiosk_id: str,
    since: int,
    outcomes: tuple[Outcome, ...] = (),
    *,
    closed_since: int | None = None,
) -> int:
    """Transactions the kiosk began since ``since`` (ms), with one of ``outcomes`` if given,
    and closed since ``closed_since`` if given."""
    sql = "SELECT COUNT(*) FROM transactions WHERE kiosk_id = ? AND created_at >= ?"
    params: list[object] = [kiosk_id, since]
    if closed_since is not None:
        sql += " AND closed_at >= ?"
        params.append(closed_since)
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
        f"SELECT {_TRANSACTION_COLUMNS} FROM transactions"  # noqa: S608 (constants only)
        " WHERE state <> ? AND expires_at < ?",
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


# --- holder notifications (outbox) -----------------------------------------------------


@dataclass(frozen=True)
class NotificationRow:
    notification_id: str
    transaction_id: str
    card_ref: str
    kiosk_id: str
    store_name: str
    outcome: str
    reset_at: int
    attempts: int


_NOTIFICATION_COLUMNS = (
    "notification_id, transaction_id, card_ref, kiosk_id, store_name, outcome, reset_at, attempts"
)


def enqueue_notification(connection: Connection, row: NotificationRow) -> None:
    """Write the notification into the outbox (once per transaction)."""
    connection.execute(
        f"INSERT INTO holder_notifications ({_NOTIFICATION_COLUMNS}, next_attempt_at)"  # noqa: S608 - constants
        " VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?) ON CONFLICT (transaction_id) DO NOTHING",
        (row.notification_id, row.transaction_id, row.card_ref, row.kiosk_id, row.store_name,
         row.outcome, row.reset_at, row.reset_at),
    )


def claim_notifications(
    connection: Connection, now: int, lease_ms: int, limit: int = 20
) -> list[NotificationRow]:
    """Due, undelivered notifications, leased to the caller so no other worker sends them."""
    suffix = " FOR UPDATE SKIP LOCKED" if connection.dialect == "postgresql" else ""
    rows = connection.execute(
        f"SELECT {_NOTIFICATION_COLUMNS} FROM holder_notifications WHERE delivered_at IS NULL"  # noqa: S608 - constants and an int
        " AND next_attempt_at <= ? AND (claimed_until IS NULL OR claimed_until < ?)"
        f" ORDER BY reset_at LIMIT {int(limit)}{suffix}",
        (now, now),
    ).rows
    claimed = [
        NotificationRow(row[0], row[1], row[2], row[3], row[4], row[5], int(row[6]), int(row[7]))
        for row in rows
    ]
    for row in claimed:
        connection.execute(
            "UPDATE holder_notifications SET claimed_until = ?, attempts = attempts + 1"
            " WHERE notification_id = ?",
            (now + lease_ms, row.notification_id),
        )
    return claimed


def mark_delivered(connection: Connection, notification_id: str, now: int) -> None:
    connection.execute(
        "UPDATE holder_notifications SET delivered_at = ?, claimed_until = NULL,"
        " last_error = NULL WHERE notification_id = ?",
        (now, notification_id),
    )


def mark_failed(connection: Connection, notification_id: str, retry_at: int, error: str) -> None:
    connection.execute(
        "UPDATE holder_notifications SET next_attempt_at = ?, claimed_until = NULL,"
        " last_error = ? WHERE notification_id = ?",
        (retry_at, error[:200], notification_id),
    )


def list_notifications(connection: Connection) -> list[tuple[str, str, int | None, int]]:
    """(transaction id, outcome, delivered_at, attempts) of every notification."""
    rows = connection.execute(
        "SELECT transaction_id, outcome, delivered_at, attempts FROM holder_notifications"
        " ORDER BY reset_at"
    ).rows
    return [(row[0], row[1], None if row[2] is None else int(row[2]), int(row[3]))
            for row in rows]


def deliver_to_portal(
    connection: Connection, notification_id: str, card_ref: str, *, subject: str, body: str,
    now: int,
) -> None:
    """Put the message in the holder's portal inbox; a repeat of the same id is a no-op."""
    connection.execute(
        "INSERT INTO portal_inbox (notification_id, card_ref, subject, body, received_at)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (notification_id) DO NOTHING",
        (notification_id, card_ref, subject, body, now),
    )


def holder_email(connection: Connection, card_ref: str) -> str | None:
    row = connection.execute(
        "SELECT email FROM holder_contacts WHERE card_ref = ?", (card_ref,)
    ).one()
    return None if row is None else str(row[0])


def set_holder_email(connection: Connection, card_ref: str, email: str) -> None:
    connection.execute("DELETE FROM holder_contacts WHERE card_ref = ?", (card_ref,))
    connection.execute(
        "INSERT INTO holder_contacts (card_ref, email) VALUES (?, ?)", (card_ref, email)
    )
