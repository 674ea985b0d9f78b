"""Shared rules of the hostile-input tests: hypothesis settings, a per-call time bound, and
a count of the cases each target ran (printed at the end of the pytest run).

Every property here runs derandomized (the same cases on every run, no example database
written anywhere). ``HOSTILE_SCALE`` (an integer, default 1) multiplies every
``max_examples`` for a longer run: ``HOSTILE_SCALE=50 pytest tests/hostile``.
"""

from __future__ import annotations

import os
import signal
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from hypothesis import HealthCheck, settings

SCALE = max(1, int(os.environ.get("HOSTILE_SCALE", "1")))
CASES: Counter[str] = Counter()


def hostile(max_examples: int) -> settings:
    """Derandomized settings, no example database, no per-example deadline (the time bound
    is ``bounded``'s job, so a slow first call that warms a cache does not flake)."""
    return settings(
        max_examples=max_examples * SCALE,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.function_scoped_fixture,
            HealthCheck.data_too_large,
            HealthCheck.filter_too_much,
        ],
    )


class HangError(AssertionError):
    """A call did not return within its time bound."""


@contextmanager
def bounded(target: str, seconds: float = 5.0) -> Iterator[None]:
    """Count one case of ``target`` and fail it when it takes longer than ``seconds``.

    The bound catches hangs and loops, not slowness: a single case takes milliseconds on an
    idle machine, and up to a few seconds on a loaded two-core one (3 s seen), so 5 s.

    A Python-level endless loop is interrupted by SIGALRM; a call stuck in C code is caught
    when it returns (pytest-timeout ends a call that never returns).
    """
    CASES[target] += 1

    def expire(_signum: int, _frame: FrameType | None) -> None:
        raise HangError(f"{target}: no answer within {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds * 2)
    started = time.perf_counter()
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    elapsed = time.perf_counter() - started
    if elapsed > seconds:
        raise HangError(f"{target}: took {elapsed:.2f} s (bound {seconds} s)")
