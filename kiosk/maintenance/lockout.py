"""Sign-in lockout with a doubling duration, persisted so a restart does not reset it.

After ``after`` wrong entries in a row the role locks for ``base`` seconds; every further run
of ``after`` wrong entries locks for twice as long as the last time (up to ``maximum``). Only
a correct entry resets the doubling. Time is wall-clock seconds from an injectable ``clock``
(wall clock, because it must survive restarts); if the clock goes backwards, the remaining
time is never more than the lockout's own length.

Each role has its own state, so a staff PIN under attack does not keep out the engineer who
comes to repair the kiosk (the engineer credential is much stronger).

The state file is made at installation (``kiosk set-credential``, ``kiosk reset-lockout``:
:meth:`Lockout.initialise`). Missing or damaged state fails closed: a missing file, one that
is not JSON, or a role's entry that is absent or malformed *seals* the roles it cannot vouch
for: locked until an engineer runs ``kiosk reset-lockout`` on the machine (written back, and
``on_damaged(role)`` is told so it can be logged and audited). Deleting or corrupting the file
therefore never gives a guesser fresh tries: it locks everyone out instead.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk.maintenance.persist import read_json, write_json
from kiosk.maintenance.roles import Role

Clock = Callable[[], float]
log = logging.getLogger(__name__)


class LockedOutError(Exception):
    """Sign-in for the role is locked; try again after ``seconds_left``."""

    def __init__(self, role: Role, seconds_left: float) -> None:
        text = ("locked until an engineer resets it (kiosk reset-lockout)"
                if math.isinf(seconds_left) else f"locked for {seconds_left:.0f} more seconds")
        super().__init__(f"{role.value} sign-in {text}")
        self.role = role
        self.seconds_left = seconds_left


@dataclass(frozen=True, slots=True)
class LockoutPolicy:
    after: int = 3
    base: float = 30.0
    maximum: float = 86400.0


@dataclass(frozen=True, slots=True)
class LockoutState:
    failures: int = 0        # wrong entries since the last lockout or success
    lockouts: int = 0        # lockouts since the last success (drives the doubling)
    locked_until: float = 0.0
    locked_for: float = 0.0  # length of the current/last lockout
    sealed: bool = False     # missing or damaged state: locked until reset by an engineer


class Lockout:
    """Tracks wrong entries per role in ``path`` (a small JSON file)."""

    def __init__(self, path: Path, policy: LockoutPolicy, clock: Clock = time.time,
                 on_damaged: Callable[[Role], None] | None = None) -> None:
        self._path = path
        self._policy = policy
        self._clock = clock
        self._on_damaged = on_damaged
        self._lock = threading.Lock()

    def initialise(self) -> None:
        """A fresh state for every role (installation, or an engineer's reset)."""
        with self._lock:
            write_json(self._path, {role.value: _entry(LockoutState()) for role in Role})

    def seconds_left(self, role: Role) -> float:
        """Seconds until ``role`` may try again (0 when it may try now; infinite while the
        state is sealed)."""
        with self._lock:
            return self._seconds_left(self._load(role))

    def check(self, role: Role) -> None:
        """Raise :class:`LockedOutError` while ``role`` is locked."""
        left = self.seconds_left(role)
        if left > 0:
            raise LockedOutError(role, left)

    def record_failure(self, role: Role) -> float:
        """Count a wrong entry; returns the seconds of lockout it started (0 if none)."""
        with self._lock:
            state = self._load(role)
            failures = state.failures + 1
            if failures < self._policy.after:
                self._save(role, LockoutState(failures, state.lockouts, state.locked_until,
                                              state.locked_for))
                return 0.0
            duration = min(self._policy.base * (1 << min(state.lockouts, 40)), self._policy.maximum)
            self._save(role, LockoutState(0, state.lockouts + 1, self._clock() + duration,
                                          duration))
            return duration

    def record_success(self, role: Role) -> None:
        with self._lock:
            self._save(role, LockoutState())

    def attempts_before_lockout(self, role: Role) -> int:
        with self._lock:
            return self._policy.after - self._load(role).failures

    def _seconds_left(self, state: LockoutState) -> float:
        if state.sealed:
            return math.inf
        left = state.locked_until - self._clock()
        return max(0.0, min(left, state.locked_for))

    def _load(self, role: Role) -> LockoutState:
        try:
            data = read_json(self._path)
        except RecursionError:  # absurdly nested JSON: damaged like any other
            data = None
        if data is None:
            # Missing or unreadable as a whole: it vouches for no role.
            data = {}
            for other in Role:
                if other is not role:
                    self._fail_closed(other, data)
                    data = read_json(self._path) or {}
            return self._fail_closed(role, data)
        state = _parse(data.get(role.value))
        return state if state is not None else self._fail_closed(role, data)

    def _fail_closed(self, role: Role, data: dict[str, Any]) -> LockoutState:
        """Seal ``role`` (locked until an engineer resets it) and write that back."""
        state = LockoutState(sealed=True)
        log.warning("lockout state for %s is missing or damaged: sign-in sealed until "
                    "`kiosk reset-lockout`", role.value)
        data = {key: value for key, value in data.items() if key != role.value}
        data[role.value] = _entry(state)
        try:
            write_json(self._path, data)
        except OSError as error:
            log.warning("cannot rewrite the lockout state: %s", type(error).__name__)
        if self._on_damaged is not None:
            try:
                self._on_damaged(role)
            except Exception as error:  # auditing must not unlock anything
                log.warning("cannot record the damaged lockout state: %s",
                            type(error).__name__)
        return state

    def _save(self, role: Role, state: LockoutState) -> None:
        try:
            data = read_json(self._path) or {}
        except RecursionError:
            data = {}
        data[role.value] = _entry(state)
        write_json(self._path, data)


def _entry(state: LockoutState) -> dict[str, float | int | bool]:
    return {"failures": state.failures, "lockouts": state.lockouts,
            "locked_until": state.locked_until, "locked_for": state.locked_for,
            "sealed": state.sealed}


def _parse(entry: object) -> LockoutState | None:
    """A role's stored state, or ``None`` when it is malformed."""
    if not isinstance(entry, dict):
        return None
    try:
        failures, lockouts = entry["failures"], entry["lockouts"]
        until, length = entry["locked_until"], entry["locked_for"]
    except KeyError:
        return None
    if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0
               for v in (failures, lockouts)):
        return None
    if not all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
               for v in (until, length)) or length < 0:
        return None
    sealed = entry.get("sealed", False)
    if not isinstance(sealed, bool):
        return None
    return LockoutState(failures, lockouts, float(until), float(length), sealed)
