"""The database layer and the migrator, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk_backend.database import Database, DatabaseError, IntegrityViolationError
from kiosk_backend.migrator import available_migrations, current_version, migrate
from kiosk_backend.policy import Policy, PolicyError
from tests.backend.harness import database_for


@pytest.fixture
def database(db_kind: str, tmp_path: Path) -> Iterator[Database]:
    with database_for(db_kind, tmp_path) as url:
        db = Database(url or Database.sqlite_url(tmp_path / "test.sqlite3"), pool_size=3)
        yield db
        db.close()


def test_migrations_apply_once_and_record_their_version(database: Database) -> None:
    latest = available_migrations()[-1].version
    assert migrate(database) == list(range(1, latest + 1))
    assert migrate(database) == []
    assert current_version(database) == latest
    with database.transaction() as connection:
        names = connection.execute("SELECT version, name FROM schema_version").rows
    assert names[0] == (1, "initial")


def test_migration_3_moves_old_forged_proofs_off_the_cards(database: Database) -> None:
    """Before 0003 a card proof that did not verify closed as card_rejected with the copied
    certificate's card_ref; after it, such rows count against their kiosk, not the card."""
    first = available_migrations()[0]
    with database.transaction() as connection:
        connection.execute(
            "CREATE TABLE IF NOT EXISTS schema_version ("
            " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)"
        )
        for statement in first.statements():
            connection.execute(statement)
        connection.execute(
            "INSERT INTO schema_version (version, name, applied_at) VALUES (1, 'initial', 0)"
        )
        connection.execute(
            "INSERT INTO kiosks (kiosk_id, certificate_sha256, enabled, enrolled_at, updated_at)"
            " VALUES ('k', 'h', 1, 0, 0)"
        )
        for index, (outcome, card_ref) in enumerate(
            [("card_rejected", "victim"), ("card_rejected", None), ("face_check_failed", "x")]
        ):
            connection.execute(
                "INSERT INTO transactions (transaction_id, kiosk_id, nonce, state, outcome,"
                " card_ref, created_at, expires_at) VALUES (?, 'k', ?, 'closed', ?, ?, 0, 0)",
                (f"tx_{index}", f"{index:064x}", outcome, card_ref),
            )
    assert available_migrations()[-1].version in migrate(database)
    with database.transaction() as connection:
        rows = connection.execute(
            "SELECT transaction_id, outcome, card_ref, chip_nonce FROM transactions"
            " ORDER BY transaction_id"
        ).rows
        flags = connection.execute("SELECT flagged_at FROM kiosks").rows
    assert rows == [
        ("tx_0", "card_proof_invalid", None, None),
        ("tx_1", "card_rejected", None, None),
        ("tx_2", "face_check_failed", "x", None),
    ]
    assert flags == [(None,)]


def test_a_failed_block_rolls_back_and_the_pool_stays_usable(database: Database) -> None:
    migrate(database)
    with pytest.raises(RuntimeError), database.transaction() as connection:
        connection.execute(
            "INSERT INTO kiosks (kiosk_id, certificate_sha256, enabled, enrolled_at, updated_at)"
            " VALUES ('k', 'h', 1, 0, 0)"
        )
        raise RuntimeError("abort the block")
    with pytest.raises(IntegrityViolationError), database.transaction() as connection:
        for _ in range(2):
            connection.execute(
                "INSERT INTO kiosks (kiosk_id, certificate_sha256, enabled, enrolled_at,"
                " updated_at) VALUES ('k', 'h', 1, 0, 0)"
            )
    with pytest.raises(DatabaseError), database.transaction() as connection:
        connection.execute("SELECT * FROM no_such_table")
    for _ in range(5):
        with database.transaction() as connection:
            assert connection.execute("SELECT COUNT(*) FROM kiosks").rows == [(0,)]


def test_bad_database_urls() -> None:
    with pytest.raises(DatabaseError):
        Database("mysql://nope")
    unreachable = Database("postgresql://kiosk:kiosk@127.0.0.1:9/kiosk")
    assert unreachable.ping() is False


def test_policy_file(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_text("[policy]\ncard_max_transactions = 2\nservice_hours = '07:00-22:00'\n")
    policy = Policy.load(path)
    assert policy.card_max_transactions == 2 and policy.transaction_ttl_seconds == 300
    path.write_text("[policy]\nno_such_setting = 1\n")
    with pytest.raises(PolicyError):
        Policy.load(path)
    path.write_text("[policy]\ncard_max_transactions = 'two'\n")
    with pytest.raises(PolicyError):
        Policy.load(path)
    with pytest.raises(PolicyError):
        Policy(service_hours="soon")
