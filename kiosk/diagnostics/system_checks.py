"""Checks of the kiosk itself: configuration in effect, versions, state folder, logs, service.

None of them touches hardware or the network. Credentials appear only as "set" / "not set".
"""

from __future__ import annotations

import importlib.metadata
import os
import platform
import shutil
from pathlib import Path

from kiosk import __version__
from kiosk.config import KioskConfig, settings_in_effect
from kiosk.diagnostics.logs import read_log
from kiosk.diagnostics.model import CheckResult, JsonValue, fail, ok, warn
from kiosk.maintenance.counters import TransactionCounters
from kiosk.maintenance.service_state import ServiceState

LIBRARIES = ("click", "cryptography", "dlib-bin", "face_recognition", "face_recognition_models",
             "httpx", "numpy", "opencv-python-headless", "Pillow", "pyscard", "scikit-image",
             "PySide6-Essentials")
LOW_DISK_BYTES = 500 * 1024 * 1024
LOG_EXCERPT_LINES = 20


def configuration_check(config: KioskConfig, source: Path | None) -> CheckResult:
    settings: dict[str, JsonValue] = dict(settings_in_effect(config))
    return ok("system.configuration", "Configuration in effect",
              f"from {source}" if source else "built-in defaults (no file)",
              file=str(source) if source else None, settings=settings)


def versions_check() -> CheckResult:
    libraries: dict[str, JsonValue] = {}
    for name in LIBRARIES:
        try:
            libraries[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            libraries[name] = None
    missing = [name for name, version in libraries.items() if version is None]
    details: dict[str, JsonValue] = {
        "kiosk": __version__, "python": platform.python_version(),
        "platform": platform.platform(), "libraries": libraries,
    }
    if missing:
        return warn("system.versions", "Versions", f"kiosk {__version__}; missing: "
                    f"{', '.join(missing)}", **details)
    return ok("system.versions", "Versions", f"kiosk {__version__}, Python "
              f"{platform.python_version()}", **details)


def data_dir_check(config: KioskConfig) -> CheckResult:
    folder = config.kiosk.data_dir
    title = "State folder"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        return fail("system.data_dir", title, f"{folder} cannot be created",
                    error=error.strerror or type(error).__name__)
    if not os.access(folder, os.W_OK):
        return fail("system.data_dir", title, f"{folder} is not writable by this user",
                    path=str(folder))
    free = shutil.disk_usage(folder).free
    details: dict[str, JsonValue] = {"path": str(folder), "free_mb": free // (1024 * 1024)}
    if free < LOW_DISK_BYTES:
        return warn("system.data_dir", title, f"only {free // (1024 * 1024)} MB free",
                    **details)
    return ok("system.data_dir", title, f"writable, {free // (1024 * 1024)} MB free", **details)


def service_check(config: KioskConfig) -> CheckResult:
    data = config.kiosk.data_dir
    status = ServiceState(data / "service.json").current()
    counts = TransactionCounters(data / "counters.json").today()
    details: dict[str, JsonValue] = {
        "in_service": status.in_service, "since": status.since or None,
        "transactions_today": dict(counts),
        "staff_credential": "set" if config.maintenance.staff_credential else "not set",
        "engineer_credential": "set" if config.maintenance.engineer_credential else "not set",
    }
    if not status.in_service:
        return warn("system.service", "Service state", "out of service (set by staff)",
                    **details)
    if not config.maintenance.staff_credential or not config.maintenance.engineer_credential:
        return warn("system.service", "Service state",
                    "in service; a maintenance credential is not set (kiosk set-credential)",
                    **details)
    return ok("system.service", "Service state", "in service", **details)


def logs_check(config: KioskConfig) -> CheckResult:
    folder = config.log_dir
    title = "Logs"
    if not folder.is_dir():
        return warn("system.logs", title, f"no log folder yet ({folder})", folder=str(folder))
    problems = read_log(folder, min_level="WARNING", limit=1000)
    errors = sum(1 for line in problems if line.level in ("ERROR", "CRITICAL"))
    excerpt: list[JsonValue] = [f"{line.file}: {line.text}"
                                for line in problems[-LOG_EXCERPT_LINES:]]
    details: dict[str, JsonValue] = {"folder": str(folder), "warnings": len(problems) - errors,
                                     "errors": errors, "recent_problems": excerpt}
    summary = f"{errors} error(s), {len(problems) - errors} warning(s) in the recent log"
    return (warn if errors else ok)("system.logs", title, summary, **details)

