"""One small database layer over SQLite (embedded default) and PostgreSQL (psycopg 3).

SQL is written once with `?` placeholders; PostgreSQL gets `%s`. Connections come from a
bounded pool; `transaction()` hands out one connection inside a transaction that commits
when the block ends and rolls back when it raises.
"""

from __future__ import annotations

import queue
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

Dialect = Literal["sqlite", "postgresql"]
Row = tuple[Any, ...]


class DatabaseError(Exception):
    """The database cannot be reached or refused an operation (text has no row data)."""


class IntegrityViolationError(DatabaseError):
    """A uniqueness or foreign-key rule was broken."""


class _Cursor(Protocol):
    rowcount: int

    def fetchall(self) -> Any: ...


@dataclass
class Result:
    rows: list[Row]
    rowcount: int

    def one(self) -> Row | None:
        return self.rows[0] if self.rows else None


class Connection:
    """A connection inside one transaction."""

    def __init__(self, raw: Any, dialect: Dialect) -> None:
        self._raw = raw
        self.dialect: Dialect = dialect

    def execute(self, sql: str, params: Sequence[object] = ()) -> Result:
        if self.dialect == "postgresql":
            sql = sql.replace("?", "%s")
        try:
            cursor: _Cursor = self._raw.execute(sql, tuple(params))
            rows = cursor.fetchall() if _returns_rows(sql) else []
        except (sqlite3.IntegrityError, _pg_integrity_error()) as error:
            raise IntegrityViolationError(type(error).__name__) from None
        except (sqlite3.Error, _pg_error()) as error:
            raise DatabaseError(f"{type(error).__name__}: {_first_line(error)}") from error
        return Result(rows=[tuple(row) for row in rows], rowcount=cursor.rowcount)


def _first_line(error: BaseException) -> str:
    return str(error).splitlines()[0][:200] if str(error) else ""


def _returns_rows(sql: str) -> bool:
    head = sql.lstrip().split(None, 1)[0].upper()
    return head in {"SELECT", "WITH"} or " RETURNING " in sql.upper()


def _pg_error() -> type[BaseException]:
    import psycopg

    result: type[BaseException] = psycopg.Error
    return result


def _pg_integrity_error() -> type[BaseException]:
    import psycopg

    result: type[BaseException] = psycopg.IntegrityError
    return result


class Database:
    """A pool of connections to one database, chosen by URL.

    `sqlite:////absolute/path.db` (`sqlite:///relative.db`) or `postgresql://user:pass@host:port/db[?options=...]`.
    """

    def __init__(self, url: str, pool_size: int = 8, acquire_timeout: float = 15.0) -> None:
        if url.startswith("sqlite:///"):
            self.dialect: Dialect = "sqlite"
            # As usual for these URLs: sqlite:///relative.db, sqlite:////absolute/path.db
            self._sqlite_path = url.removeprefix("sqlite:///")
        elif url.startswith(("postgresql://", "postgres://")):
            self.dialect = "postgresql"
        else:
            raise DatabaseError("database URL must start with sqlite:/// or postgresql://")
        self._url = url
        self._pool: queue.LifoQueue[Any] = queue.LifoQueue()
        self._lock = threading.Lock()
        self._created = 0
        self._pool_size = pool_size
        self._acquire_timeout = acquire_timeout
        self._closed = False

    @staticmethod
    def sqlite_url(path: Path) -> str:
        return "sqlite:///" + str(path.resolve())

    def _connect(self) -> Any:
        if self.dialect == "sqlite":
            raw = sqlite3.connect(
                self._sqlite_path, timeout=30.0, isolation_level=None, check_same_thread=False
            )
            raw.execute("PRAGMA journal_mode=WAL")
            raw.execute("PRAGMA synchronous=NORMAL")
            raw.execute("PRAGMA foreign_keys=ON")
            return raw
        import psycopg

        try:
            return psycopg.connect(self._url, autocommit=True, connect_timeout=10)
        except psycopg.Error as error:
            raise DatabaseError(f"cannot connect to PostgreSQL: {type(error).__name__}") from None

    def _acquire(self) -> Any:
        try:
            return self._pool.get_nowait()
        except queue.Empty:
            pass
        with self._lock:
            if self._created < self._pool_size:
                self._created += 1
                try:
                    return self._connect()
                except BaseException:
                    self._created -= 1
                    raise
        try:
            return self._pool.get(timeout=self._acquire_timeout)
        except queue.Empty:
            raise DatabaseError("no database connection free") from None

    def _discard(self, raw: Any) -> None:
        with self._lock:
            self._created -= 1
        with suppress(Exception):  # a broken connection may fail to close
            raw.close()

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A connection inside a write transaction (SQLite: BEGIN IMMEDIATE)."""
        raw = self._acquire()
        healthy = True
        try:
            raw.execute("BEGIN IMMEDIATE" if self.dialect == "sqlite" else "BEGIN")
            try:
                yield Connection(raw, self.dialect)
            except BaseException:
                raw.execute("ROLLBACK")
                raise
            raw.execute("COMMIT")
        except (sqlite3.Error, _pg_error()) as error:
            healthy = self.dialect == "sqlite" and not isinstance(error, sqlite3.ProgrammingError)
            if healthy:
                with suppress(sqlite3.Error):
                    raw.execute("ROLLBACK")
            raise DatabaseError(f"{type(error).__name__}: {_first_line(error)}") from None
        except BaseException:
            healthy = self._rollback_ok(raw)
            raise
        finally:
            if healthy and not self._closed:
                self._pool.put(raw)
            else:
                self._discard(raw)

    def _rollback_ok(self, raw: Any) -> bool:
        """After an error inside the block: is the connection out of any transaction?"""
        if self.dialect == "sqlite":
            return not raw.in_transaction
        import psycopg.pq

        status: object = raw.info.transaction_status
        return status == psycopg.pq.TransactionStatus.IDLE

    def ping(self) -> bool:
        try:
            with self.transaction() as connection:
                connection.execute("SELECT 1")
        except DatabaseError:
            return False
        return True

    def close(self) -> None:
        self._closed = True
        while True:
            try:
                raw = self._pool.get_nowait()
            except queue.Empty:
                return
            self._discard(raw)
