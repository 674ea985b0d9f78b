"""Maintenance screens over the resident UI: hidden entry, role sign-in, staff screen,
engineer diagnostics. They observe the Qt-free ``kiosk.maintenance`` and
``kiosk.diagnostics`` APIs (docs/diagnostics.md) and do slow work off the UI thread."""

from kiosk.ui.maintenance.controller import MaintenanceController
from kiosk.ui.maintenance.parts import MaintenanceParts, join_background, thread_background

__all__ = ["MaintenanceController", "MaintenanceParts", "join_background", "thread_background"]
