"""Running the checks and exporting the report.

For the UI and the CLI alike::

    report = run_checks(config, config_source=path, areas=("pcsc", "backend"))
    report.healthy, report.results, report.to_text()
    json_path, text_path = export_report(report, Path("/media/usb"))

Areas, in order: ``system`` (configuration, versions, state folder, service state, logs),
``pcsc`` (service, readers, card probe), ``camera`` (open, image), ``face`` (settings, the
face pipeline's self-test), ``backend`` (kiosk certificate, DNS, TCP, TLS, mutual TLS, clock),
``tpm`` (the TPM, where the kiosk's key is, the measured state, mutual TLS with the TPM key).
A check that raises becomes a failed result naming the error type, and an area that does not
finish within ``area_timeout`` seconds (a wedged driver, a hung device) becomes a failed
``<area>.timeout`` result while the rest go on, so one broken area never hides the others.
``on_result`` is called after each area (from the calling thread) so a screen can show
progress; run the whole thing off the UI thread.
"""

from __future__ import annotations

import datetime as dt
import errno
import os
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from kiosk import __version__
from kiosk.config import KioskConfig
from kiosk.diagnostics.camera_checks import OpenSource
from kiosk.diagnostics.model import CheckResult, Report, fail, utc_now_text

AREAS = ("system", "pcsc", "camera", "face", "backend", "tpm")
AREA_TIMEOUT_S = 60.0
Area = Callable[[], list[CheckResult]]


@dataclass(frozen=True)
class Hooks:
    """Parts the composition root may supply; each is optional.

    ``face_self_test`` runs the face pipeline on its built-in samples and returns its result;
    ``open_synthetic_camera`` replaces the synthetic frame source for the camera check.
    """

    face_self_test: Callable[[], CheckResult] | None = None
    open_synthetic_camera: OpenSource | None = None


def run_checks(config: KioskConfig, *, config_source: Path | None = None,
               areas: Sequence[str] = AREAS, hooks: Hooks = Hooks(),
               on_result: Callable[[CheckResult], None] | None = None,
               area_timeout: float = AREA_TIMEOUT_S) -> Report:
    unknown = [area for area in areas if area not in AREAS]
    if unknown:
        raise ValueError(f"unknown diagnostic area(s): {', '.join(unknown)}")
    results: list[CheckResult] = []
    durations: dict[str, float] = {}
    for area in AREAS:
        if area not in areas:
            continue
        started = time.perf_counter()
        produced = _run_area(area, _area(area, config, config_source, hooks), area_timeout)
        durations[area] = (time.perf_counter() - started) * 1000
        results.extend(produced)
        if on_result is not None:
            for result in produced:
                on_result(result)
    return Report(config.kiosk.id, utc_now_text(), __version__, results, durations)


def _run_area(name: str, area: Area, timeout: float) -> list[CheckResult]:
    outcome: list[list[CheckResult]] = []

    def work() -> None:
        try:
            outcome.append(list(area()))
        except Exception as error:  # a bug or an unforeseen fault: report it, run the rest
            outcome.append([fail(f"{name}.error", f"{name} checks", "the check itself failed",
                                 error=type(error).__name__, message=str(error)[:200])])

    # A daemon thread: a check stuck in a driver call cannot keep the process alive.
    worker = threading.Thread(target=work, name=f"diag-{name}", daemon=True)
    worker.start()
    worker.join(timeout)
    if not outcome:
        return [fail(f"{name}.timeout", f"{name} checks",
                     f"did not finish within {timeout:.0f} s (a device or service hangs)")]
    return outcome[0]


def _area(name: str, config: KioskConfig, source: Path | None, hooks: Hooks) -> Area:
    # Imports are local so that, e.g., a broken camera stack cannot stop the PC/SC checks.
    if name == "system":
        from kiosk.diagnostics import system_checks as s

        return lambda: [s.configuration_check(config, source), s.versions_check(),
                        s.data_dir_check(config), s.service_check(config), s.logs_check(config)]
    if name == "pcsc":
        from kiosk.diagnostics.pcsc_checks import pcsc_checks

        return lambda: pcsc_checks(config)
    if name == "camera":
        from kiosk.diagnostics.camera_checks import camera_checks, open_synthetic

        synthetic = hooks.open_synthetic_camera or open_synthetic
        return lambda: camera_checks(config, synthetic)
    if name == "face":
        from kiosk.diagnostics.face_checks import face_self_test, face_settings_check

        test = hooks.face_self_test or (lambda: face_self_test(config))

        def face() -> list[CheckResult]:
            return [face_settings_check(config), test()]

        return face
    if name == "tpm":
        from kiosk.diagnostics.tpm_checks import tpm_checks

        return lambda: tpm_checks(config)
    from kiosk.diagnostics.backend_checks import backend_checks

    return lambda: backend_checks(config)


def report_file_stem(report: Report) -> str:
    stamp = dt.datetime.fromisoformat(report.created).strftime("%Y%m%dT%H%M%SZ")
    return f"kiosk-diagnostics-{report.kiosk_id}-{stamp}"


def export_report(report: Report, folder: Path) -> tuple[Path, Path]:
    """Write ``<stem>.json`` and ``<stem>.txt`` into ``folder`` (created if needed).

    Each file is created new, never written through an existing name (a stick prepared with
    links named like a report must not make the kiosk overwrite its own state): a name taken
    already, by an earlier export of the same report or by anything else, gets a number.
    """
    folder.mkdir(parents=True, exist_ok=True)
    stem = report_file_stem(report)
    for number in range(1, 100):
        name = stem if number == 1 else f"{stem}-{number}"
        json_path, text_path = folder / f"{name}.json", folder / f"{name}.txt"
        if os.path.lexists(json_path) or os.path.lexists(text_path):
            continue
        _write_new(json_path, report.to_json_text())
        _write_new(text_path, report.to_text())
        return json_path, text_path
    raise FileExistsError(errno.EEXIST, "too many reports of this name", str(folder))


def _write_new(path: Path, text: str) -> None:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
    fd = os.open(path, flags, 0o644)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)


def statuses(results: Iterable[CheckResult]) -> dict[str, str]:
    """Check id -> status value; handy for the staff's at-a-glance health view."""
    return {result.id: result.status.value for result in results}
