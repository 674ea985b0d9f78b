"""systemd notifications (sd_notify) over a plain unix datagram socket, and the watchdog.

``deploy/kiosk.service`` runs the kiosk with ``Type=notify`` and ``WatchdogSec=``; systemd
then sets ``$NOTIFY_SOCKET`` and ``$WATCHDOG_USEC``. The application:

- calls ``notify_ready()`` once the resident screen is up;
- creates ``Watchdog.from_environment()`` and calls ``watchdog.alive()`` from its main loop
  (a Qt timer every ``watchdog.ping_interval`` seconds): if the main loop hangs, the pings stop
  and systemd restarts the kiosk. Pinging from a free-running thread would defeat that.
- calls ``notify_stopping()`` on a clean shutdown, and may set a ``notify_status("...")`` line
  shown by ``systemctl status``.

Without ``$NOTIFY_SOCKET`` (not under systemd, tests, the demo) every call does nothing.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable, Mapping


def sd_notify(message: str, environ: Mapping[str, str] | None = None) -> bool:
    """Send ``message`` (e.g. ``"READY=1"``) to systemd; False when not under systemd."""
    env = os.environ if environ is None else environ
    address = env.get("NOTIFY_SOCKET", "")
    if not address or address[0] not in "/@":
        return False
    # A leading "@" names a socket in the abstract namespace (a NUL byte on the wire).
    target = "\0" + address[1:] if address.startswith("@") else address
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.connect(target)
            sock.sendall(message.encode("utf-8"))
    except OSError:
        return False
    return True


def notify_ready(environ: Mapping[str, str] | None = None) -> bool:
    return sd_notify("READY=1", environ)


def notify_stopping(environ: Mapping[str, str] | None = None) -> bool:
    return sd_notify("STOPPING=1", environ)


def notify_status(text: str, environ: Mapping[str, str] | None = None) -> bool:
    return sd_notify("STATUS=" + " ".join(text.split())[:200], environ)


class Watchdog:
    """Pings systemd's watchdog at most every ``ping_interval`` seconds (half its timeout)."""

    def __init__(self, timeout: float | None, environ: Mapping[str, str] | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.timeout = timeout
        self.ping_interval = timeout / 2 if timeout else None
        self._environ = environ
        self._clock = clock
        self._last: float | None = None

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> Watchdog:
        """The watchdog systemd asked for (``$WATCHDOG_USEC``, for this process only)."""
        env = os.environ if environ is None else environ
        usec = env.get("WATCHDOG_USEC", "")
        pid = env.get("WATCHDOG_PID", "")
        if not usec.isdigit() or int(usec) == 0 or (pid and pid != str(os.getpid())):
            return cls(None, env)
        return cls(int(usec) / 1_000_000, env)

    @property
    def enabled(self) -> bool:
        return self.timeout is not None

    def alive(self) -> bool:
        """Tell systemd the main loop is alive; returns True when a ping was sent."""
        if self.ping_interval is None:
            return False
        now = self._clock()
        if self._last is not None and now - self._last < self.ping_interval / 2:
            return False
        self._last = now
        return sd_notify("WATCHDOG=1", self._environ)
