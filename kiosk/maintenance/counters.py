"""Transaction counts by outcome: today's (for staff) and since installation (for metrics).

The flow calls ``TransactionCounters.record("completed")`` (or another outcome) once at the
end of every transaction. Outcomes are short identifiers chosen by the flow
(``completed``, ``cancelled``, ``timed_out``, ``face_failed``, ...); nothing else is stored,
so the counts hold no personal data. "Today" is the local calendar day of the injectable clock.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path

from kiosk.maintenance.persist import read_json, write_json

Clock = Callable[[], float]
_OUTCOME = re.compile(r"[a-z][a-z0-9_]{0,39}")


class TransactionCounters:
    def __init__(self, path: Path, clock: Clock = time.time) -> None:
        self._path = path
        self._clock = clock
        self._lock = threading.Lock()

    @property
    def path(self) -> Path:
        return self._path

    def record(self, outcome: str) -> None:
        """Count one finished transaction with ``outcome`` (a short lower-case identifier)."""
        if not _OUTCOME.fullmatch(outcome):
            raise ValueError("outcome must be a short lower-case identifier")
        with self._lock:
            day, today, totals = self._load()
            today[outcome] = today.get(outcome, 0) + 1
            totals[outcome] = totals.get(outcome, 0) + 1
            write_json(self._path, {"day": day, "today": today, "totals": totals})

    def today(self) -> dict[str, int]:
        """Today's counts by outcome (outcomes with no transaction today are absent)."""
        with self._lock:
            return dict(sorted(self._load()[1].items()))

    def totals(self) -> dict[str, int]:
        """Counts by outcome since the counters were created (never go down)."""
        with self._lock:
            return dict(sorted(self._load()[2].items()))

    def _load(self) -> tuple[str, dict[str, int], dict[str, int]]:
        day = dt.datetime.fromtimestamp(self._clock()).date().isoformat()
        data = read_json(self._path) or {}
        today = _counts(data.get("today")) if data.get("day") == day else {}
        return day, today, _counts(data.get("totals"))


def _counts(raw: object) -> dict[str, int]:
    if not isinstance(raw, dict):
        return {}
    return {key: value for key, value in raw.items()
            if isinstance(key, str) and _OUTCOME.fullmatch(key)
            and isinstance(value, int) and not isinstance(value, bool) and value >= 0}
