"""Diagnostics for engineers and staff: checks with ok/warn/fail, a report, export, health.

- :func:`run_checks` / :func:`export_report` (``kiosk.diagnostics.runner``) — used by the
  engineer screens and by ``kiosk diag`` (``kiosk.diagnostics.cli``).
- :class:`Report`, :class:`CheckResult`, :class:`Status` (``kiosk.diagnostics.model``).
- :func:`read_log` (``kiosk.diagnostics.logs``) — the log view with filtering.
- :func:`frame_quality` (``kiosk.diagnostics.camera_checks``) — brightness and sharpness
  figures for the live camera preview.
- ``kiosk.diagnostics.runtime.start_runtime(config)`` — for ``kiosk run``: logging,
  maintenance state, health board, metrics endpoint, systemd readiness and watchdog in one call.
- :func:`at_a_glance` (``kiosk.diagnostics.overview``) — the staff's five health items.
- ``kiosk.diagnostics.live.ReaderHealth`` — reader watcher events to the health board.
- ``kiosk.diagnostics.metrics`` — ``start_fleet_health(config)``: the health board, the loopback
  metrics endpoint and the periodic monitor; ``kiosk.diagnostics.systemd`` — readiness and
  watchdog notifications; ``kiosk.diagnostics.logging_setup`` — ``configure_logging(config)``.
"""

from kiosk.diagnostics.model import CheckResult, Report, Status
from kiosk.diagnostics.overview import GlanceItem, at_a_glance
from kiosk.diagnostics.runner import AREAS, Hooks, export_report, run_checks

__all__ = ["AREAS", "CheckResult", "GlanceItem", "Hooks", "Report", "Status", "at_a_glance",
           "export_report", "run_checks"]
