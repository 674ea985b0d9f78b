"""The audit log: one JSON object per line, appended and synced, never rewritten.

An entry says who (a role or ``command_line``/``system``, never a person), what (an action
name), when (UTC, ISO 8601) and the outcome. It never holds personal data: ``detail`` takes
only a few short scalar values, and strings in it must be plain identifiers or numbers
(``[A-Za-z0-9_.:-]``), so free text such as a name or a PIN cannot slip in by accident.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from kiosk.maintenance.roles import Role

Clock = Callable[[], float]
DetailValue = str | int | float | bool

ACTORS = frozenset({"staff", "engineer", "command_line", "system"})
_TOKEN = re.compile(r"[A-Za-z0-9_.:-]{0,64}")
_MAX_DETAIL = 8


class AuditOutcome(Enum):
    OK = "ok"
    DENIED = "denied"   # wrong credential, not permitted, locked out
    FAILED = "failed"   # permitted but the operation failed


@dataclass(frozen=True, slots=True)
class AuditEntry:
    time: str
    who: str
    action: str
    outcome: str
    detail: dict[str, DetailValue]


class AuditLog:
    """Appends to ``path``; safe to share between threads of one process."""

    def __init__(self, path: Path, clock: Clock = time.time) -> None:
        self.path = path
        self._clock = clock
        self._lock = threading.Lock()

    def record(self, who: Role | str, action: str, outcome: AuditOutcome,
               detail: Mapping[str, DetailValue] | None = None) -> AuditEntry:
        """Append one entry (and fsync it). Raises ``ValueError`` for a bad actor or detail."""
        actor = who.value if isinstance(who, Role) else who
        if actor not in ACTORS:
            raise ValueError(f"unknown actor {actor!r}")
        if not _TOKEN.fullmatch(action) or not action:
            raise ValueError("action must be a short identifier")
        clean = _clean_detail(detail or {})
        stamp = dt.datetime.fromtimestamp(self._clock(), dt.UTC).isoformat(timespec="seconds")
        entry = AuditEntry(stamp, actor, action, outcome.value, clean)
        line = json.dumps({"time": entry.time, "who": entry.who, "action": entry.action,
                           "outcome": entry.outcome, "detail": entry.detail},
                          ensure_ascii=True, sort_keys=True) + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
            try:
                os.write(fd, line.encode("ascii"))
                os.fsync(fd)
            finally:
                os.close(fd)
        return entry

    def entries(self) -> Iterator[AuditEntry]:
        """Every readable entry, oldest first (lines that do not parse are skipped)."""
        try:
            with self.path.open(encoding="ascii", errors="replace") as handle:
                lines = handle.readlines()
        except FileNotFoundError:
            return
        for line in lines:
            try:
                raw = json.loads(line)
                yield AuditEntry(str(raw["time"]), str(raw["who"]), str(raw["action"]),
                                 str(raw["outcome"]), dict(raw.get("detail") or {}))
            except (ValueError, KeyError, TypeError):
                continue

    def recent(self, limit: int = 100) -> list[AuditEntry]:
        """The last ``limit`` entries, newest last."""
        return list(self.entries())[-limit:]


def _clean_detail(detail: Mapping[str, DetailValue]) -> dict[str, DetailValue]:
    if len(detail) > _MAX_DETAIL:
        raise ValueError("too many detail values")
    clean: dict[str, DetailValue] = {}
    for key, value in detail.items():
        if not _TOKEN.fullmatch(key) or not key:
            raise ValueError("detail keys must be short identifiers")
        if isinstance(value, str) and not _TOKEN.fullmatch(value):
            raise ValueError(f"detail {key!r} must be a short identifier or number")
        if not isinstance(value, str | int | float | bool):
            raise ValueError(f"detail {key!r} must be a scalar")
        clean[key] = value
    return clean
