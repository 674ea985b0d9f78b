"""Every reset tells the holder exactly once, through a channel the kiosk does not control:
the outbox row is written in the reset's own database transaction, and the delivery worker
sends it by e-mail to a real SMTP server on loopback (aiosmtpd), with retries and never twice.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from email import message_from_bytes
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from kiosk_backend import store
from kiosk_backend.enrollment import enroll_kiosk
from kiosk_backend.notifications import HolderNotifier, SmtpSender
from kiosk_backend.observability import JsonLog
from kiosk_backend.server import BackendServer, BackendSettings
from kiosk_backend.simulated_kiosk import KioskCredentials, SimulatedKiosk
from kiosk_testbed.authority import TestAuthority
from kiosk_testbed.card.virtual_card import VirtualCard
from tests.helpers.virtual_card import TEST_PINS

STORE = "FamilyMart Nakano 5-chome"
ADDRESS = "holder@example.jp"


class Inbox:
    def __init__(self) -> None:
        self.messages: list[bytes] = []
        self.accept = True

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        if not self.accept:
            return "451 try again later"
        self.messages.append(envelope.content)
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@pytest.fixture
def server(tmp_path: Path, testbed_authority: TestAuthority,
           smtp: tuple[Inbox, int]) -> Iterator[BackendServer]:
    settings = BackendSettings(
        data_dir=tmp_path / "backend", authority_dir=testbed_authority.dir, port=0,
        software_kiosks=True, notify_interval_seconds=3600, smtp_host="127.0.0.1",
        smtp_port=smtp[1], pool_size=6)
    running = BackendServer(settings, log=JsonLog(stream=open(tmp_path / "log", "w"))).start()  # noqa: SIM115
    try:
        yield running
    finally:
        running.stop()


def _reset(server: BackendServer, card: VirtualCard, tmp_path: Path, abort: bool = False
           ) -> str:
    paths = enroll_kiosk(server.pki, server.database, "k-notify", tmp_path / "kiosk",
                         store_name=STORE)
    credentials = KioskCredentials("k-notify", paths["certificate"], paths["key"], paths["ca"])
    kiosk = SimulatedKiosk(server.url, credentials)
    try:
        done = kiosk.run_reset(card, TEST_PINS["auth_pin"], new_pin="NEWPIN42")
    finally:
        kiosk.close()
    assert done.status.outcome == "pin_reset"
    return done.transaction_id


def _register_holder(server: BackendServer, transaction_id: str) -> None:
    with server.database.transaction() as connection:
        row = store.get_transaction(connection, transaction_id)
        assert row is not None and row.card_ref is not None
        store.set_holder_email(connection, row.card_ref, ADDRESS)


def test_every_reset_sends_exactly_one_message(
        server: BackendServer, smtp: tuple[Inbox, int], virtual_card: VirtualCard,
        tmp_path: Path) -> None:
    inbox, _ = smtp
    transaction_id = _reset(server, virtual_card, tmp_path)
    with server.database.transaction() as connection:
        outbox = store.list_notifications(connection)
    assert [(tx, outcome) for tx, outcome, _, _ in outbox] == [(transaction_id, "pin_reset")]
    _register_holder(server, transaction_id)
    # Two workers at once (two backend processes): still one message.
    workers = [HolderNotifier(server.database, SmtpSender(server.database, "127.0.0.1",
                                                          smtp[1], "notice@backend.invalid"))
               for _ in range(2)]
    threads = [threading.Thread(target=worker.deliver_due) for worker in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert server.notifier.deliver_due() == 0
    assert len(inbox.messages) == 1
    mail = message_from_bytes(inbox.messages[0])
    body = mail.get_payload()
    assert mail["To"] == ADDRESS and "reset" in mail["Subject"]
    assert STORE in body and "0120-95-0178" in body and "municipal office" in body
    for secret in ("NEWPIN42", TEST_PINS["auth_pin"], TEST_PINS["sign_pin"]):
        assert secret not in inbox.messages[0].decode("utf-8", "replace")


def test_a_failed_delivery_is_retried_and_then_sent_once(
        server: BackendServer, smtp: tuple[Inbox, int], virtual_card: VirtualCard,
        tmp_path: Path) -> None:
    inbox, _ = smtp
    clock = [1e12]
    transaction_id = _reset(server, virtual_card, tmp_path)
    _register_holder(server, transaction_id)
    notifier = HolderNotifier(server.database, SmtpSender(
        server.database, "127.0.0.1", smtp[1], "notice@backend.invalid"), clock=lambda: clock[0])
    inbox.accept = False
    assert notifier.deliver_due() == 0
    assert notifier.deliver_due() == 0  # not due again yet
    inbox.accept = True
    clock[0] += 3600
    assert notifier.deliver_due() == 1
    clock[0] += 3600
    assert notifier.deliver_due() == 0
    assert len(inbox.messages) == 1
    with server.database.transaction() as connection:
        (_, _, delivered, attempts), = store.list_notifications(connection)
    assert delivered is not None and attempts == 2
