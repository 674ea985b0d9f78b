"""An append-only JSON-lines journal, one fsync'd line per step of a transaction.

Each line is ``{"tx": id, "step": ..., "at_ms": ...}`` plus ``"answer"`` (hex) for
``card_answered`` and ``"outcome"`` for ``closed``. A torn last line (power cut while
writing) or a damaged one is ignored. ``compact`` rewrites the file with only the unfinished
(and recently closed) transactions, and sets the lines it could not read aside
(``unreadable_path``).
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

_TX_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_OUTCOME = re.compile(r"^[a-z_]{1,40}$")
_MAX_ANSWER_BYTES = 512
KEEP_CLOSED_MS = 24 * 3600 * 1000  # closed transactions stay visible to staff for a day


class JournalError(Exception):
    """The journal cannot be written, or a value given to it is not of the expected shape."""


class JournalStep(StrEnum):
    BEGUN = "begun"  # the backend opened the transaction
    COMMAND_RECEIVED = "command_received"  # the reset APDU is on its way to the card
    CARD_ANSWERED = "card_answered"  # the card answered; the backend has not confirmed yet
    CLOSED = "closed"  # kiosk and backend agree on the outcome


@dataclass(frozen=True)
class JournalEntry:
    """The latest state of one transaction in the journal."""

    transaction_id: str
    step: JournalStep
    updated_ms: int
    card_answer: bytes | None = None
    outcome: str | None = None

    @property
    def finished(self) -> bool:
        return self.step == JournalStep.CLOSED


def _now_ms() -> int:
    return int(time.time() * 1000)


class Journal:
    """The journal file at ``path`` (created with mode 0600 on first write)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    # --- writing ----------------------------------------------------------------------------

    def begun(self, transaction_id: str) -> None:
        self._append(transaction_id, JournalStep.BEGUN)

    def command_received(self, transaction_id: str) -> None:
        self._append(transaction_id, JournalStep.COMMAND_RECEIVED)

    def card_answered(self, transaction_id: str, answer: bytes) -> None:
        if not 2 <= len(answer) <= _MAX_ANSWER_BYTES:
            raise JournalError("a card answer has 2 to 512 bytes")
        self._append(transaction_id, JournalStep.CARD_ANSWERED, answer=answer.hex())

    def closed(self, transaction_id: str, outcome: str) -> None:
        if not _OUTCOME.match(outcome):
            raise JournalError("an outcome is a short lower-case code")
        self._append(transaction_id, JournalStep.CLOSED, outcome=outcome)

    def _append(self, transaction_id: str, step: JournalStep, **extra: str) -> None:
        if not _TX_ID.match(transaction_id):
            raise JournalError("not a transaction id")
        record = {"tx": transaction_id, "step": step.value, "at_ms": _now_ms(), **extra}
        line = (json.dumps(record, separators=(",", ":")) + "\n").encode("ascii")
        with self._lock:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
                try:
                    size = os.fstat(fd).st_size
                    if size and os.pread(fd, 1, size - 1) != b"\n":
                        line = b"\n" + line  # end a line torn by a crash; it stays ignored
                    os.write(fd, line)
                    os.fsync(fd)
                finally:
                    os.close(fd)
            except OSError as error:
                raise JournalError(f"cannot write the journal ({error.strerror})") from None

    # --- reading ----------------------------------------------------------------------------

    def entries(self) -> dict[str, JournalEntry]:
        """Every transaction's latest state, in the order they were begun."""
        return self._read()[0]

    def _read(self) -> tuple[dict[str, JournalEntry], list[bytes]]:
        """The entries, and the non-empty lines that could not be read (torn or damaged)."""
        with self._lock:
            try:
                raw = self.path.read_bytes()
            except FileNotFoundError:
                return {}, []
            except OSError as error:
                raise JournalError(f"cannot read the journal ({error.strerror})") from None
        found: dict[str, JournalEntry] = {}
        unreadable: list[bytes] = []
        for line in raw.splitlines():
            entry = _parse(line, found)
            if entry is not None:
                found[entry.transaction_id] = entry
            elif line.strip():
                unreadable.append(line)
        return found, unreadable

    @property
    def unreadable_path(self) -> Path:
        """Where ``compact`` keeps the lines it could not read: set aside, never dropped."""
        return self.path.with_name(self.path.name + ".unreadable")

    def unfinished(self) -> list[JournalEntry]:
        return [entry for entry in self.entries().values() if not entry.finished]

    def compact(self, keep_closed_ms: int = KEEP_CLOSED_MS) -> None:
        """Keep the unfinished transactions and those closed in the last ``keep_closed_ms``
        (atomic replace, fsync'd); call it while no transaction is running (on start, after
        ``reconcile``)."""
        oldest = _now_ms() - keep_closed_ms
        entries, unreadable = self._read()
        keep = [
            entry for entry in entries.values()
            if not entry.finished or entry.updated_ms >= oldest
        ]
        lines = []
        for entry in keep:
            record: dict[str, object] = {
                "tx": entry.transaction_id, "step": entry.step.value, "at_ms": entry.updated_ms
            }
            if entry.card_answer is not None:
                record["answer"] = entry.card_answer.hex()
            if entry.outcome is not None:
                record["outcome"] = entry.outcome
            lines.append(json.dumps(record, separators=(",", ":")) + "\n")
        temporary = self.path.with_name(self.path.name + ".new")
        with self._lock:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                if unreadable:
                    # A damaged line may be a card's answer: keep it for staff and the
                    # engineer rather than lose it with the rewrite.
                    fd = os.open(self.unreadable_path,
                                 os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
                    try:
                        os.write(fd, b"".join(line + b"\n" for line in unreadable))
                        os.fsync(fd)
                    finally:
                        os.close(fd)
                fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                try:
                    os.write(fd, "".join(lines).encode("ascii"))
                    os.fsync(fd)
                finally:
                    os.close(fd)
                os.replace(temporary, self.path)
            except OSError as error:
                raise JournalError(f"cannot compact the journal ({error.strerror})") from None


def _parse(line: bytes, known: dict[str, JournalEntry]) -> JournalEntry | None:
    """One line as the transaction's new state; None for a torn or foreign line."""
    try:
        record = json.loads(line)
        transaction_id = record["tx"]
        step = JournalStep(record["step"])
        at_ms = int(record["at_ms"])
    except (ValueError, KeyError, TypeError, OverflowError):  # OverflowError: "at_ms": 1e999
        return None
    if not isinstance(transaction_id, str) or not _TX_ID.match(transaction_id):
        return None
    previous = known.get(transaction_id)
    answer = previous.card_answer if previous is not None else None
    outcome = None
    if step == JournalStep.CARD_ANSWERED:
        try:
            answer = bytes.fromhex(str(record["answer"]))
        except (KeyError, ValueError):
            return None
    elif step == JournalStep.CLOSED:
        outcome = record.get("outcome")
        if not isinstance(outcome, str) or not _OUTCOME.match(outcome):
            return None
    return JournalEntry(transaction_id, step, at_ms, answer, outcome)
