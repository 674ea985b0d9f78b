"""What the maintenance screens are given by the composition root, and shared helpers."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kiosk.config import KioskConfig
from kiosk.diagnostics.metrics import HealthBoard
from kiosk.face_match.sources import FrameSource
from kiosk.maintenance import Maintenance
from kiosk.ui.qt import QPushButton, QSizePolicy
from kiosk.ui.widgets import button

Done = Callable[[Any, BaseException | None], None]
Background = Callable[[Callable[[], Any], Done], None]
_running: set[threading.Thread] = set()
_running_lock = threading.Lock()


def join_background(timeout: float) -> None:
    """Wait (up to ``timeout`` seconds in all) for background work still running: native
    code (camera, face models, pcsc) must not be cut off by the interpreter's exit."""
    with _running_lock:
        threads = list(_running)
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.join(timeout=max(0.0, deadline - time.monotonic()))


def thread_background(post: Callable[[Callable[[], None]], None]) -> Background:
    """``run(work, done)``: ``work`` on a daemon thread, then ``done(result, error)`` posted
    to the UI thread (``QtPoster.post``)."""

    def run(work: Callable[[], Any], done: Done) -> None:
        def job() -> None:
            try:
                try:
                    result = work()
                except Exception as error:
                    failure = error
                    post(lambda: done(None, failure))
                    return
                post(lambda: done(result, None))
            finally:
                with _running_lock:
                    _running.discard(threading.current_thread())

        thread = threading.Thread(target=job, name="maintenance-work", daemon=True)
        with _running_lock:
            _running.add(thread)
        thread.start()

    return run


def default_export_folders() -> list[Path]:
    """Mounted removable media first (/media/<user>/<stick>, /run/media/<user>/<stick>)."""
    found: list[Path] = []
    for root in (Path("/media"), Path("/run/media")):
        try:
            for user in sorted(p for p in root.iterdir() if p.is_dir()):
                found.extend(sorted(p for p in user.iterdir() if p.is_dir()))
        except OSError:
            continue
    return found


@dataclass
class MaintenanceParts:
    config: KioskConfig
    config_source: Path | None
    maintenance: Maintenance
    board: HealthBoard
    reset_reader: Callable[[], None]
    restart_application: Callable[[], None]
    open_camera: Callable[[], FrameSource] | None
    run_in_background: Background
    export_folders: Callable[[], list[Path]] = field(default=default_export_folders)

    @property
    def reports_folder(self) -> Path:
        """Always offered: the reports folder in the kiosk's state."""
        return self.config.kiosk.data_dir / "reports"


def action_button(role: str = "", on_click: Callable[[], None] | None = None) -> QPushButton:
    """A big button that takes the width of its text at least."""
    widget = button(role, on_click)
    widget.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
    return widget
