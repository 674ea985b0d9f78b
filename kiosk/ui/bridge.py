"""Hands callables from worker threads to the Qt (GUI) thread, for the flow's ``ThreadRunner``."""

from __future__ import annotations

from collections.abc import Callable

from kiosk.flow.work import ThreadRunner
from kiosk.ui.qt import QObject, Qt, Signal


class QtPoster(QObject):
    """``post(callback)`` from any thread; the callback runs on the thread that owns this object."""

    _posted = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        self._posted.connect(self._run, Qt.ConnectionType.QueuedConnection)

    def post(self, callback: Callable[[], None]) -> None:
        self._posted.emit(callback)

    def _run(self, callback: Callable[[], None]) -> None:
        callback()


def make_qt_runner(poster: QtPoster) -> ThreadRunner:
    """A runner whose work runs on one worker thread and whose completions run on the GUI thread."""
    return ThreadRunner(poster.post)
