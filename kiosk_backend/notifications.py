"""Telling the card holder of every reset, through a channel the kiosk does not control.

The authority writes a notification into the outbox (``holder_notifications``) in the same
database transaction that records a reset (``AuthorityService._close``). This worker delivers
it: it leases due rows (so two workers never send the same one), hands each to a sender, and
marks it delivered, or schedules a retry with a doubling delay. A sender may see the same
notification again only if the process died between sending and marking; every message
therefore carries the notification id (portal inbox: the row's key; e-mail: Message-ID) so
the receiving side drops a repeat.

The text says when and at which store, and what to do if it was not the holder: never a PIN,
name, card number or anything the holder's own inbox does not already know.
"""

from __future__ import annotations

import datetime as dt
import smtplib
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol

from kiosk_backend import store
from kiosk_backend.database import Database, DatabaseError

JST = dt.timezone(dt.timedelta(hours=9), "JST")
LEASE_MS = 60_000
FIRST_RETRY_MS = 5_000
MAX_RETRY_MS = 3_600_000
BLOCK_ADVICE = (
    "If you did not reset it yourself, your card and its PIN may be in someone else's hands: "
    "call the My Number card hotline at once (0120-95-0178, 24 hours, every day) to suspend "
    "the card and its electronic certificates, then revoke the signature certificate at your "
    "municipal office."
)


@dataclass(frozen=True)
class HolderMessage:
    notification_id: str
    card_ref: str
    subject: str
    body: str


def compose(row: store.NotificationRow) -> HolderMessage:
    when = dt.datetime.fromtimestamp(row.reset_at / 1000, JST).strftime("%Y-%m-%d %H:%M JST")
    where = row.store_name or f"kiosk {row.kiosk_id}"
    if row.outcome == "pin_reset":
        subject = "The signature PIN of your My Number card was reset"
        what = f"On {when}, the signature PIN of your My Number card was reset at {where}."
    else:
        subject = "The signature PIN of your My Number card may have been reset"
        what = (f"On {when}, a reset of the signature PIN of your My Number card was started "
                f"at {where}; the card's answer did not reach us, so it may have been reset.")
    body = f"{what}\n\n{BLOCK_ADVICE}\n\nReference: {row.notification_id}\n"
    return HolderMessage(row.notification_id, row.card_ref, subject, body)


class Sender(Protocol):
    def send(self, message: HolderMessage) -> None:
        """Deliver, or raise; a repeat with the same notification_id must not show twice."""


class PortalInboxSender:
    """The reference backend's holder portal: the message lands in the holder's inbox."""

    def __init__(self, database: Database, clock: Callable[[], float] = time.time) -> None:
        self._database = database
        self._clock = clock

    def send(self, message: HolderMessage) -> None:
        with self._database.transaction() as connection:
            store.deliver_to_portal(connection, message.notification_id, message.card_ref,
                                    subject=message.subject, body=message.body,
                                    now=int(self._clock() * 1000))


class SmtpSender:
    """E-mail to the address the holder registered at the portal (``holder_contacts``)."""

    def __init__(self, database: Database, host: str, port: int, sender_address: str,
                 timeout: float = 10.0) -> None:
        self._database = database
        self._host, self._port = host, port
        self._from = sender_address
        self._timeout = timeout

    def send(self, message: HolderMessage) -> None:
        with self._database.transaction() as connection:
            address = store.holder_email(connection, message.card_ref)
        if address is None:
            raise LookupError("the holder registered no e-mail address")
        mail = EmailMessage()
        mail["From"] = self._from
        mail["To"] = address
        mail["Subject"] = message.subject
        mail["Message-ID"] = f"<{message.notification_id}@kiosk-backend>"
        mail.set_content(message.body)
        with smtplib.SMTP(self._host, self._port, timeout=self._timeout) as smtp:
            smtp.send_message(mail)


class HolderNotifier:
    def __init__(self, database: Database, sender: Sender,
                 clock: Callable[[], float] = time.time) -> None:
        self._database = database
        self._sender = sender
        self._clock = clock

    def deliver_due(self) -> int:
        """Send what is due; returns how many were delivered now."""
        now = int(self._clock() * 1000)
        with self._database.transaction() as connection:
            claimed = store.claim_notifications(connection, now, LEASE_MS)
        delivered = 0
        for row in claimed:
            try:
                self._sender.send(compose(row))
            except (OSError, LookupError, smtplib.SMTPException, DatabaseError) as error:
                delay = min(FIRST_RETRY_MS * 2 ** max(0, row.attempts), MAX_RETRY_MS)
                with self._database.transaction() as connection:
                    store.mark_failed(connection, row.notification_id, now + delay,
                                      type(error).__name__)
                continue
            with self._database.transaction() as connection:
                store.mark_delivered(connection, row.notification_id, int(self._clock() * 1000))
            delivered += 1
        return delivered
