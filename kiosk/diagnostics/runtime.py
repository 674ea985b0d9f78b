"""Everything an installed kiosk runs beside its screens, started in one call.

For the composition root (``kiosk run``)::

    runtime = start_runtime(config)            # logging, maintenance, health board, metrics
    ...build the flow and the screens, passing runtime.maintenance and runtime.board...
    runtime.ready()                            # the resident screen is up: READY=1
    # from the UI main loop, e.g. a QTimer every runtime.tick_interval seconds:
    runtime.tick()                             # WATCHDOG=1 while the main loop is alive
    ...
    runtime.stop()                             # STOPPING=1, metrics and monitor stopped

Under systemd (``deploy/kiosk.service``) a hung main loop stops the ticks and systemd restarts
the kiosk. Outside systemd the notifications do nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kiosk.config import KioskConfig
from kiosk.diagnostics.logging_setup import configure_logging
from kiosk.diagnostics.metrics import FleetHealth, HealthBoard, start_fleet_health
from kiosk.diagnostics.systemd import Watchdog, notify_ready, notify_status, notify_stopping
from kiosk.maintenance.session import Maintenance

DEFAULT_TICK = 5.0


@dataclass
class InstalledRuntime:
    config: KioskConfig
    log_file: Path | None
    maintenance: Maintenance
    health: FleetHealth
    watchdog: Watchdog

    @property
    def board(self) -> HealthBoard:
        return self.health.board

    @property
    def tick_interval(self) -> float:
        """How often to call :meth:`tick` (a quarter of the watchdog timeout, at most 5 s)."""
        if self.watchdog.timeout is None:
            return DEFAULT_TICK
        return min(DEFAULT_TICK, self.watchdog.timeout / 4)

    def ready(self, status: str = "serving residents") -> None:
        notify_ready()
        notify_status(status)

    def status(self, text: str) -> None:
        notify_status(text)

    def tick(self) -> None:
        self.watchdog.alive()

    def stop(self) -> None:
        notify_stopping()
        self.health.stop()


def start_runtime(config: KioskConfig, *, logging: bool = True,
                  monitor_interval: float | None = 300.0,
                  clock: Callable[[], float] = time.time) -> InstalledRuntime:
    """Configure logging (unless ``logging=False``), open the maintenance state, start the
    health board, the loopback metrics endpoint (``metrics.enabled``) and the periodic monitor
    (unless ``monitor_interval`` is None), and read the watchdog from the environment."""
    log_file = configure_logging(config) if logging else None
    return InstalledRuntime(
        config=config,
        log_file=log_file,
        maintenance=Maintenance.from_config(config, clock=clock),
        health=start_fleet_health(config, monitor_interval=monitor_interval),
        watchdog=Watchdog.from_environment(),
    )
