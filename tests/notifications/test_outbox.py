"""The outbox itself, on SQLite and PostgreSQL: one row per transaction however often it is
written, and many workers at once deliver each row exactly once."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from kiosk_backend import store
from kiosk_backend.database import Database
from kiosk_backend.migrator import migrate
from kiosk_backend.notifications import HolderMessage, HolderNotifier
from tests.backend.harness import database_for


class CountingSender:
    def __init__(self) -> None:
        self.sent: list[str] = []
        self._lock = threading.Lock()

    def send(self, message: HolderMessage) -> None:
        with self._lock:
            self.sent.append(message.notification_id)


def _row(number: int) -> store.NotificationRow:
    return store.NotificationRow(f"ntf_{number:032x}", f"tx_{number:032x}", "ref", "k-1",
                                 "Store", "pin_reset", 1_000 + number, 0)


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgresql",
                                                           marks=pytest.mark.postgres)])
def test_each_reset_is_delivered_exactly_once_by_racing_workers(
        kind: str, tmp_path: Path) -> None:
    with database_for(kind, tmp_path) as url:
        database = Database(url or Database.sqlite_url(tmp_path / "db.sqlite3"), pool_size=8)
        try:
            migrate(database)
            with database.transaction() as connection:
                for number in range(30):
                    store.enqueue_notification(connection, _row(number))
                    store.enqueue_notification(connection, _row(number))  # a repeat: no-op
            sender = CountingSender()
            workers = [HolderNotifier(database, sender, clock=lambda: 10.0) for _ in range(4)]
            threads = [threading.Thread(target=lambda w=w: [w.deliver_due() for _ in range(3)])
                       for w in workers]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=60)
            assert sorted(sender.sent) == sorted(_row(n).notification_id for n in range(30))
            with database.transaction() as connection:
                rows = store.list_notifications(connection)
            assert len(rows) == 30 and all(delivered is not None for _, _, delivered, _ in rows)
        finally:
            database.close()
