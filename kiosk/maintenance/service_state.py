"""Whether the kiosk serves residents, persisted across restarts.

Staff put the kiosk out of service with an optional message for residents (shown on the
out-of-service screen, e.g. "Please use the kiosk at the entrance"); an empty message means
the UI shows its standard text. The resident screens only read :meth:`ServiceState.current`.
Changing it is done through :class:`kiosk.maintenance.MaintenanceSession`, which audits it.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kiosk.maintenance.persist import read_json, write_json

Clock = Callable[[], float]
MAX_MESSAGE_CHARS = 200


@dataclass(frozen=True, slots=True)
class ServiceStatus:
    in_service: bool
    message: str = ""   # for residents; empty = the standard out-of-service text
    since: str = ""     # UTC ISO 8601 time of the last change; empty if never changed


class ServiceState:
    def __init__(self, path: Path, clock: Clock = time.time) -> None:
        self._path = path
        self._clock = clock
        self._lock = threading.Lock()

    def current(self) -> ServiceStatus:
        data = read_json(self._path)
        if data is None:
            # Never set: in service. Set but unreadable: out of service rather than guessing.
            return ServiceStatus(in_service=not self._path.exists())
        message = data.get("message")
        since = data.get("since")
        in_service = data.get("in_service") is True
        return ServiceStatus(in_service, message if isinstance(message, str) else "",
                             since if isinstance(since, str) else "")

    def set_out_of_service(self, message: str = "") -> ServiceStatus:
        return self._set(ServiceStatus(False, check_message(message), self._now()))

    def set_in_service(self) -> ServiceStatus:
        return self._set(ServiceStatus(True, "", self._now()))

    def _set(self, status: ServiceStatus) -> ServiceStatus:
        with self._lock:
            write_json(self._path, {"in_service": status.in_service, "message": status.message,
                                    "since": status.since})
        return status

    def _now(self) -> str:
        return dt.datetime.fromtimestamp(self._clock(), dt.UTC).isoformat(timespec="seconds")


def check_message(message: str) -> str:
    """The message trimmed; ``ValueError`` if too long or with control characters."""
    text = message.strip()
    if len(text) > MAX_MESSAGE_CHARS:
        raise ValueError(f"the message must have at most {MAX_MESSAGE_CHARS} characters")
    if any(not c.isprintable() for c in text):
        raise ValueError("the message must be one line of printable text")
    return text
