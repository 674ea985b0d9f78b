"""Running card, face and backend work off the driving thread.

The flow hands each job to a ``Runner`` together with a completion callback; the runner must
deliver the completion (and anything ``post``-ed) on the thread that drives the flow. Two
runners here: ``InlineRunner`` (runs at once, for unit tests) and ``ThreadRunner`` (one worker
thread; completions go through a ``post`` function the host supplies: Qt's event loop in the UI,
``QueuePump`` for the headless autoplay).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class JobResult(Generic[T]):
    """What a job produced: a value, or the exception it raised."""

    value: T | None = None
    error: BaseException | None = None


class Runner(Protocol):
    def submit(self, job: Callable[[], T], done: Callable[[JobResult[T]], None]) -> None: ...

    def post(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` on the driving thread (soon, never inside the caller's frame)."""
        ...

    def shutdown(self) -> None: ...


def _run(job: Callable[[], T]) -> JobResult[T]:
    try:
        return JobResult(value=job())
    except Exception as error:  # every failure goes back to the flow, typed or not
        return JobResult(error=error)


class InlineRunner:
    """Runs each job at once on the calling thread; ``post`` calls immediately too."""

    def submit(self, job: Callable[[], T], done: Callable[[JobResult[T]], None]) -> None:
        done(_run(job))

    def post(self, callback: Callable[[], None]) -> None:
        callback()

    def shutdown(self) -> None:
        pass


class ThreadRunner:
    """One worker thread (card work must never overlap); completions go through ``post``."""

    def __init__(self, post: Callable[[Callable[[], None]], None]) -> None:
        self._post = post
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kiosk-flow-work")

    def submit(self, job: Callable[[], T], done: Callable[[JobResult[T]], None]) -> None:
        def task() -> None:
            result = _run(job)
            self._post(lambda: done(result))

        self._pool.submit(task)

    def post(self, callback: Callable[[], None]) -> None:
        self._post(callback)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


class QueuePump:
    """A minimal event loop for running the flow without Qt: ``post`` queues, ``pump`` runs."""

    def __init__(self) -> None:
        self._queue: queue.Queue[Callable[[], None]] = queue.Queue()
        self._owner = threading.get_ident()

    def post(self, callback: Callable[[], None]) -> None:
        self._queue.put(callback)

    def pump(self, wait: float) -> int:
        """Run queued callbacks, waiting up to ``wait`` seconds for the first; return how many."""
        ran = 0
        try:
            callback = self._queue.get(timeout=wait)
        except queue.Empty:
            return 0
        while True:
            callback()
            ran += 1
            try:
                callback = self._queue.get_nowait()
            except queue.Empty:
                return ran
