"""Applies the numbered SQL files in kiosk_backend/migrations once each, in order.

`schema_version` records what was applied. Each file runs in one transaction; on
PostgreSQL an advisory lock keeps two starting servers from migrating at once.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from importlib import resources

from kiosk_backend.database import Connection, Database

_FILE_NAME = re.compile(r"(\d{4})_([a-z0-9_]+)\.sql")
_ADVISORY_LOCK_ID = 4_771_20_4


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    def statements(self) -> list[str]:
        without_comments = "\n".join(
            line for line in self.sql.splitlines() if not line.lstrip().startswith("--")
        )
        return [part.strip() for part in without_comments.split(";") if part.strip()]


def available_migrations() -> list[Migration]:
    found = []
    for entry in resources.files("kiosk_backend.migrations").iterdir():
        match = _FILE_NAME.fullmatch(entry.name)
        if match:
            found.append(Migration(int(match[1]), match[2], entry.read_text("utf-8")))
    found.sort(key=lambda migration: migration.version)
    versions = [migration.version for migration in found]
    if versions != list(range(1, len(found) + 1)):
        raise RuntimeError("migrations must be numbered 0001, 0002, ... without gaps")
    return found


def _applied(connection: Connection) -> set[int]:
    connection.execute(
        "CREATE TABLE IF NOT EXISTS schema_version ("
        " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)"
    )
    return {row[0] for row in connection.execute("SELECT version FROM schema_version").rows}


def migrate(database: Database) -> list[int]:
    """Bring the schema up to date; returns the versions applied now."""
    applied_now = []
    for migration in available_migrations():
        with database.transaction() as connection:
            if database.dialect == "postgresql":
                connection.execute("SELECT pg_advisory_xact_lock(?)", (_ADVISORY_LOCK_ID,))
            if migration.version in _applied(connection):
                continue
            for statement in migration.statements():
                connection.execute(statement)
            connection.execute(
                "INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)",
                (migration.version, migration.name, int(time.time() * 1000)),
            )
            applied_now.append(migration.version)
    return applied_now


def current_version(database: Database) -> int:
    with database.transaction() as connection:
        versions = _applied(connection)
    return max(versions, default=0)
