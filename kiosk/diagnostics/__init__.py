"""Diagnostics for engineers and staff: checks with ok/warn/fail, a report, export, health.

- :func:`run_checks` / :func:`export_report` (``kiosk.diagnostics.runner``) — used by the
  engineer screens and by ``kiosk diag`` (``kiosk.diagnostics.cli``).
- :class:`Report`, :class:`CheckResult`, :class:`Status` (``kiosk.diagnostics.model``).
- :func:`read_log` (``kiosk.diagnostics.logs``) — the log view with filtering.
- :func:`frame_quality` (``kiosk.diagnostics.camera_checks``) — brightness and sharpness
  figures for the live camera preview.
- ``kiosk.diagnostics.metrics`` — the loopback metrics endpoint; ``kiosk.diagnostics.watchdog``
  — systemd readiness and watchdog notifications.
"""

from kiosk.diagnostics.model import CheckResult, Report, Status
from kiosk.diagnostics.runner import AREAS, Hooks, export_report, run_checks

__all__ = ["AREAS", "CheckResult", "Hooks", "Report", "Status", "export_report", "run_checks"]
