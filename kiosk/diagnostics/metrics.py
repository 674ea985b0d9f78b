"""Fleet health: a Prometheus-style text endpoint on loopback, fed by a health board.

- :class:`HealthBoard` holds the latest status of each check. The running kiosk publishes to it
  (``board.publish(result)`` from the reader watcher, the flow, a periodic
  :class:`HealthMonitor`) and ``board.absorb(report)`` after a diagnostics run.
- :class:`MetricsServer` serves, on 127.0.0.1 only, ``GET /metrics`` (text exposition format)
  and ``GET /health`` (JSON; HTTP 200 when healthy and in service, else 503), from a stdlib
  ``ThreadingHTTPServer`` in a daemon thread. A fleet agent (node exporter textfile, Prometheus
  via an SSH tunnel, or a local push agent) scrapes it.

Metrics hold no personal data: check ids, statuses, outcome counts, times, versions.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from kiosk import __version__
from kiosk.config import KioskConfig
from kiosk.diagnostics.model import CheckResult, Report, Status
from kiosk.maintenance.counters import TransactionCounters
from kiosk.maintenance.service_state import ServiceState
from kiosk.maintenance.staff_call import StaffCalls

LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class Published:
    result: CheckResult
    at: float

    @property
    def status(self) -> Status:
        return self.result.status


class HealthBoard:
    """Latest status per check id; thread-safe."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._checks: dict[str, Published] = {}

    def publish(self, result: CheckResult) -> None:
        with self._lock:
            self._checks[result.id] = Published(result, self._clock())

    def absorb(self, report: Report) -> None:
        for result in report.results:
            self.publish(result)

    def snapshot(self) -> dict[str, Published]:
        with self._lock:
            return dict(self._checks)

    def results(self) -> list[CheckResult]:
        """The latest result of every check (e.g. for ``overview.at_a_glance``)."""
        return [p.result for p in self.snapshot().values()]

    @property
    def healthy(self) -> bool:
        return all(p.status is not Status.FAIL for p in self.snapshot().values())


class KioskMetrics:
    """Renders the exposition text and the health answer for one kiosk."""

    def __init__(self, config: KioskConfig, board: HealthBoard,
                 clock: Callable[[], float] = time.time) -> None:
        self.kiosk_id = config.kiosk.id
        self.board = board
        self._service = ServiceState(config.kiosk.data_dir / "service.json")
        self._counters = TransactionCounters(config.kiosk.data_dir / "counters.json")
        self._staff_calls = StaffCalls(config.kiosk.data_dir / "staff_call.json")
        self._clock = clock
        self._started = clock()

    def health(self) -> dict[str, Any]:
        in_service = self._service.current().in_service
        checks = self.board.snapshot()
        return {"kiosk_id": self.kiosk_id, "healthy": self.board.healthy,
                "in_service": in_service,
                "staff_call": self._staff_calls.pending() is not None,
                "failing": sorted(k for k, p in checks.items() if p.status is Status.FAIL)}

    def render(self) -> str:
        out: list[str] = []

        def metric(name: str, kind: str, text: str,
                   samples: Sequence[tuple[dict[str, str], float]]) -> None:
            out.append(f"# HELP {name} {text}")
            out.append(f"# TYPE {name} {kind}")
            for labels, value in samples:
                shown = ",".join(f'{k}="{_escape(v)}"' for k, v in sorted(labels.items()))
                out.append(f"{name}{{{shown}}} {_number(value)}" if shown
                           else f"{name} {_number(value)}")

        now = self._clock()
        health = self.health()
        checks = self.board.snapshot()
        metric("kiosk_info", "gauge", "Kiosk identity and version (always 1).",
               [({"kiosk_id": self.kiosk_id, "version": __version__}, 1)])
        metric("kiosk_up_seconds", "gauge", "Seconds since the application started.",
               [({}, now - self._started)])
        metric("kiosk_healthy", "gauge", "1 when no check is failing.",
               [({}, 1 if health["healthy"] else 0)])
        metric("kiosk_in_service", "gauge", "1 when residents are served (not out of service).",
               [({}, 1 if health["in_service"] else 0)])
        metric("kiosk_check_status", "gauge", "Latest status per check: 0 ok, 1 warn, 2 fail.",
               [({"check": k}, p.status.rank) for k, p in sorted(checks.items())])
        metric("kiosk_check_age_seconds", "gauge", "Seconds since each check last reported.",
               [({"check": k}, now - p.at) for k, p in sorted(checks.items())])
        metric("kiosk_staff_call_pending", "gauge",
               "1 while a resident's call for store staff is not answered.",
               [({}, 1 if health["staff_call"] else 0)])
        metric("kiosk_staff_calls_total", "counter", "Calls for store staff from residents.",
               [({}, self._staff_calls.total())])
        metric("kiosk_transactions_total", "counter", "Finished transactions by outcome.",
               [({"outcome": k}, v) for k, v in self._counters.totals().items()])
        metric("kiosk_transactions_today", "gauge", "Today's finished transactions by outcome.",
               [({"outcome": k}, v) for k, v in self._counters.today().items()])
        return "\n".join(out) + "\n"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.3f}"


class MetricsServer:
    """``/metrics`` and ``/health`` on 127.0.0.1:``port`` (0 picks a free port)."""

    def __init__(self, metrics: KioskMetrics, port: int) -> None:
        self.metrics = metrics
        handler = _handler_for(metrics)
        self._http = ThreadingHTTPServer((LOOPBACK, port), handler)
        self._http.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._http.server_address[1])

    def start(self) -> MetricsServer:
        self._thread = threading.Thread(target=self._http.serve_forever, name="kiosk-metrics",
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._http.shutdown()
        self._http.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)


def _handler_for(metrics: KioskMetrics) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "kiosk-metrics"

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if path == "/metrics":
                self._send(200, "text/plain; version=0.0.4; charset=utf-8", metrics.render())
            elif path == "/health":
                health = metrics.health()
                good = health["healthy"] and health["in_service"]
                self._send(200 if good else 503, "application/json", json.dumps(health) + "\n")
            else:
                self._send(404, "text/plain; charset=utf-8", "not found\n")

        def _send(self, status: int, content_type: str, body: str) -> None:
            data = body.encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            return  # scrapes every few seconds would flood the log

    return Handler


class HealthMonitor:
    """Re-runs the checks that do not disturb a running kiosk (system and backend: no card
    probe, no camera grab) every ``interval`` seconds and publishes them to the board."""

    def __init__(self, config: KioskConfig, board: HealthBoard, interval: float = 300.0,
                 areas: Sequence[str] = ("system", "backend")) -> None:
        self._config = config
        self._board = board
        self._interval = interval
        self._areas = tuple(areas)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> Report:
        from kiosk.diagnostics.runner import run_checks

        report = run_checks(self._config, areas=self._areas)
        self._board.absorb(report)
        return report

    def start(self) -> HealthMonitor:
        def loop() -> None:
            while not self._stop.is_set():
                self.run_once()
                self._stop.wait(self._interval)

        self._thread = threading.Thread(target=loop, name="kiosk-health", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)


@dataclass
class FleetHealth:
    """What the application starts for fleet monitoring; ``stop()`` ends it all."""

    board: HealthBoard
    server: MetricsServer | None
    monitor: HealthMonitor | None

    def stop(self) -> None:
        if self.monitor is not None:
            self.monitor.stop()
        if self.server is not None:
            self.server.stop()


def start_fleet_health(config: KioskConfig, *, monitor_interval: float | None = 300.0
                       ) -> FleetHealth:
    """Board, loopback endpoint (if ``metrics.enabled``) and periodic monitor (unless None)."""
    board = HealthBoard()
    server = (MetricsServer(KioskMetrics(config, board), config.metrics.port).start()
              if config.metrics.enabled else None)
    monitor = (HealthMonitor(config, board, monitor_interval).start()
               if monitor_interval else None)
    return FleetHealth(board, server, monitor)
