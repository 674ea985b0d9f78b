"""A resident's call for store staff: rung from any resident screen, answered by staff.

The call is a signal to the maintenance side, not a message: it holds when it was rung and
the name of the step the resident was on (``auth_pin``, ``face_check`` ...), nothing about the
resident. It is kept in ``staff_call.json`` beside the other state files, so the staff screen,
the loopback metrics (``kiosk_staff_call_pending``, ``kiosk_staff_calls_total``) and whatever
store terminal watches them all see the same thing. Ringing again while a call is pending
does not count twice.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kiosk.maintenance.persist import read_json, write_json

Clock = Callable[[], float]
_STEP = re.compile(r"[a-z][a-z0-9_]{0,39}")


@dataclass(frozen=True, slots=True)
class StaffCall:
    """A pending call: when it was rung (UTC ISO 8601) and the step's name."""

    since: str
    step: str


class StaffCalls:
    def __init__(self, path: Path, clock: Clock = time.time) -> None:
        self._path = path
        self._clock = clock
        self._lock = threading.Lock()

    def ring(self, step: str) -> StaffCall:
        """A resident asked for staff on ``step`` (a step name; anything else is refused)."""
        if not _STEP.fullmatch(step):
            raise ValueError("step must be a short lower-case identifier")
        with self._lock:
            pending, total = self._load()
            if pending is not None:
                return pending
            call = StaffCall(self._now(), step)
            self._write(call, total + 1)
            return call

    def answer(self) -> bool:
        """Staff answered: the call is no longer pending. False when none was."""
        with self._lock:
            pending, total = self._load()
            if pending is None:
                return False
            self._write(None, total)
            return True

    def pending(self) -> StaffCall | None:
        with self._lock:
            return self._load()[0]

    def total(self) -> int:
        """Calls rung since the kiosk was installed (never goes down)."""
        with self._lock:
            return self._load()[1]

    def _now(self) -> str:
        return dt.datetime.fromtimestamp(self._clock(), dt.UTC).isoformat(timespec="seconds")

    def _load(self) -> tuple[StaffCall | None, int]:
        data = read_json(self._path) or {}
        total = data.get("total")
        total = total if isinstance(total, int) and not isinstance(total, bool) and total >= 0 \
            else 0
        raw = data.get("pending")
        pending = None
        if isinstance(raw, dict):
            since, step = raw.get("since"), raw.get("step")
            if isinstance(since, str) and isinstance(step, str) and _STEP.fullmatch(step):
                pending = StaffCall(since[:40], step)
        return pending, total

    def _write(self, pending: StaffCall | None, total: int) -> None:
        write_json(self._path, {
            "pending": None if pending is None else {"since": pending.since,
                                                     "step": pending.step},
            "total": total,
        })
