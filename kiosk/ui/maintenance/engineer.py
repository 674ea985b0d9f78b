"""The engineer's screens: diagnostics by area (PC/SC and card probe, camera with live
preview, face self-test, backend), logs with a level filter, the configuration in effect,
versions, and exporting the report to a chosen folder.

Every section is an :class:`Action` run through ``session.perform`` (permission + audit);
checks, log reading and export run off the UI thread.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from kiosk.config import settings_in_effect
from kiosk.diagnostics import Report, export_report, run_checks
from kiosk.diagnostics.logs import read_log
from kiosk.maintenance import Action, MaintenanceSession, PermissionDeniedError, Role
from kiosk.ui.i18n import tr
from kiosk.ui.maintenance.camera import PreviewFrame, PreviewView, PreviewWorker, describe
from kiosk.ui.maintenance.paged import PagedLines
from kiosk.ui.maintenance.parts import MaintenanceParts, action_button
from kiosk.ui.maintenance.texts import summary_text
from kiosk.ui.qt import QGridLayout, QHBoxLayout, QPushButton, QTimer, QVBoxLayout, QWidget
from kiosk.ui.widgets import AdaptiveRow, label

SECTIONS: tuple[tuple[str, Action], ...] = (
    ("all", Action.RUN_DIAGNOSTICS),
    ("pcsc", Action.CARD_PROBE),
    ("camera", Action.CAMERA_PREVIEW),
    ("face", Action.FACE_SELF_TEST),
    ("backend", Action.BACKEND_CHECK),
    ("logs", Action.VIEW_LOGS),
    ("configuration", Action.VIEW_CONFIGURATION),
    ("versions", Action.RUN_DIAGNOSTICS),
    ("export", Action.EXPORT_REPORT),
)
LOG_LEVELS = ("DEBUG", "WARNING", "ERROR")


def section_title(key: str) -> str:
    return {"all": tr("All checks"), "pcsc": tr("Reader and card"), "camera": tr("Camera"),
            "face": tr("Face self-test"), "backend": tr("Backend"), "logs": tr("Logs"),
            "configuration": tr("Configuration"), "versions": tr("Versions"),
            "export": tr("Export report")}[key]


def report_lines(report: Report) -> list[str]:
    marks = {"ok": "✓", "warn": "!", "fail": "✗"}
    return [f"{marks[r.status.value]} {r.id}: {summary_text(r.summary)}" for r in report.results]


def detailed_lines(report: Report) -> list[str]:
    """Each result and its details (certificate fields, ATR, retry counters, latency ...),
    one value per line."""
    lines: list[str] = []
    for result, line in zip(report.results, report_lines(report), strict=True):
        lines.append(line)
        for key, value in result.details.items():
            lines += _flatten(key, value)
    return lines


def _flatten(path: str, value: object) -> list[str]:
    if isinstance(value, dict):
        return [line for k, v in value.items() for line in _flatten(f"{path}.{k}", v)]
    if isinstance(value, list) and any(isinstance(v, dict | list) for v in value):
        return [line for i, v in enumerate(value) for line in _flatten(f"{path}[{i}]", v)]
    if isinstance(value, list):
        return [f"    {path}: {', '.join(str(v) for v in value)}"]
    return [f"    {path}: {'—' if value is None else value}"]


def version_lines(report: Report) -> list[str]:
    for result in report.results:
        if result.id == "system.versions":
            lines = []
            for key, value in result.details.items():
                if isinstance(value, dict):
                    lines += [f"{name}: {version or '—'}" for name, version in value.items()]
                else:
                    lines.append(f"{key}: {value}")
            return lines
    return report_lines(report)


class EngineerPage(QWidget):
    def __init__(self, parts: MaintenanceParts) -> None:
        super().__init__()
        self._parts = parts
        self.session: MaintenanceSession | None = None
        self.section = ""
        self.last_report: Report | None = None
        self.busy = False
        self._log_level = "DEBUG"
        self._worker: PreviewWorker | None = None
        self._generation = 0

        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        navigation = QWidget()
        nav = QGridLayout(navigation)
        nav.setContentsMargins(0, 0, 0, 0)
        nav.setSpacing(10)
        self.nav: dict[str, QPushButton] = {}
        for index, (key, _action) in enumerate(SECTIONS):
            widget = action_button("small")
            widget.clicked.connect(self._opener(key))
            self.nav[key] = widget
            nav.addWidget(widget, index // 3, index % 3)
        nav.setRowStretch(len(SECTIONS) // 3, 1)
        content = QWidget()
        layout = QVBoxLayout(content)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(14)
        outer.addWidget(AdaptiveRow(navigation, content), 1)
        self.heading = label("subtitle")
        layout.addWidget(self.heading)
        self.status = label("body")
        layout.addWidget(self.status)

        self.filters = QWidget()
        filter_row = QHBoxLayout(self.filters)
        filter_row.setContentsMargins(0, 0, 0, 0)
        self.filter_buttons: dict[str, QPushButton] = {}
        for level in LOG_LEVELS:
            widget = action_button("small")
            widget.clicked.connect(self._filterer(level))
            self.filter_buttons[level] = widget
            filter_row.addWidget(widget)
        layout.addWidget(self.filters)

        self.preview = PreviewView()
        layout.addWidget(self.preview, 2)
        self.camera_figures = label("body")
        layout.addWidget(self.camera_figures)

        self.folders = QWidget()
        self.folder_layout = QVBoxLayout(self.folders)
        self.folder_layout.setContentsMargins(0, 0, 0, 0)
        self.folder_buttons: list[QPushButton] = []
        layout.addWidget(self.folders)

        self.lines = PagedLines()
        layout.addWidget(self.lines, 3)
        self.run_again = action_button("primary", lambda: self.open_section(self.section))
        layout.addWidget(self.run_again)
        self._preview_timer = QTimer(self)
        self._preview_timer.setInterval(100)
        self._preview_timer.timeout.connect(self._poll_preview)
        self._show_only()

    # --- public -------------------------------------------------------------------------------

    def open(self, session: MaintenanceSession) -> None:
        if session.role is not Role.ENGINEER:
            raise PermissionDeniedError(session.role, Action.RUN_DIAGNOSTICS)
        session.require(Action.RUN_DIAGNOSTICS)
        self.session = session
        self.section = ""
        self.status.setText("")
        self.lines.show_lines([])
        self.retranslate()
        self._show_only()

    def leave(self) -> None:
        self._generation += 1
        self.stop_preview()
        self.session = None

    def open_section(self, key: str) -> None:
        session = self.session
        if session is None or (self.busy and key == self.section):
            return
        action = dict(SECTIONS)[key]
        self.stop_preview()
        self.section = key
        # Log lines, settings and versions are shown as they are (data, not sentences).
        self.lines.setProperty("data", key in ("logs", "configuration", "versions"))
        self.heading.setText(section_title(key))
        self.status.setText("")
        self.lines.show_lines([])
        self._show_only()
        try:
            session.require(action)
        except PermissionDeniedError:
            self.status.setText(tr("Not permitted for this role."))
            return
        if key in ("all", "pcsc", "face", "backend", "versions"):
            areas = {"all": None, "pcsc": ("pcsc",), "face": ("face",),
                     "backend": ("backend",), "versions": ("system",)}[key]
            shown = {"versions": version_lines, "all": report_lines}.get(key, detailed_lines)
            self._checks(action, areas, shown)
        elif key == "logs":
            self.filter_logs(self._log_level)
        elif key == "configuration":
            settings = session.perform(action, lambda: settings_in_effect(self._parts.config))
            source = self._parts.config_source
            self.status.setText(tr("From: %1").replace(
                "%1", str(source) if source else tr("embedded defaults")))
            self.lines.show_lines([f"{k} = {v}" for k, v in settings.items()])
        elif key == "camera":
            self.start_preview()
        elif key == "export":
            self._offer_folders()

    def filter_logs(self, level: str) -> None:
        if self.session is None:
            return
        self._log_level = level
        self._retranslate_filters()
        folder = self._parts.config.log_dir
        self._background(
            Action.VIEW_LOGS,
            lambda: [f"{line.level} {line.text}" for line in read_log(folder, level, "", 500)],
            lambda lines: self.lines.show_lines(lines or [tr("No log lines.")], last_page=True),
            {"min_level": level.lower()})

    def export_to(self, folder: Path) -> None:
        config, source = self._parts.config, self._parts.config_source

        def work() -> list[str]:
            report = self.last_report or run_checks(config, config_source=source)
            return [str(path) for path in export_report(report, folder)]

        self.status.setText(tr("Writing the report..."))
        self._background(Action.EXPORT_REPORT, work,
                         lambda paths: self.status.setText(
                             tr("Report written:") + "\n" + "\n".join(paths)))

    def start_preview(self) -> None:
        opener = self._parts.open_camera
        if opener is None or self.session is None:
            self.status.setText(tr("No camera is configured."))
            return
        self.session.perform(Action.CAMERA_PREVIEW, lambda: None)
        self._worker = PreviewWorker(opener).start()
        self._preview_timer.start()
        self.status.setText(tr("Starting the camera..."))

    def stop_preview(self) -> None:
        self._preview_timer.stop()
        if self._worker is not None:
            self._worker.stop()
            self._worker = None
        self.preview.show_frame(None)

    def retranslate(self) -> None:
        for key, widget in self.nav.items():
            widget.setText(section_title(key))
        if self.section:
            self.heading.setText(section_title(self.section))
        else:
            self.heading.setText(tr("Choose a check"))
        self.run_again.setText(tr("Run again"))
        self._retranslate_filters()
        self.lines.retranslate()

    # --- internals ----------------------------------------------------------------------------

    def _opener(self, key: str) -> Callable[[], None]:
        return lambda: self.open_section(key)

    def _filterer(self, level: str) -> Callable[[], None]:
        return lambda: self.filter_logs(level)

    def _exporter(self, folder: Path) -> Callable[[], None]:
        return lambda: self.export_to(folder)

    def _checks(self, action: Action, areas: Sequence[str] | None,
                lines: Callable[[Report], list[str]]) -> None:
        config, source = self._parts.config, self._parts.config_source
        self.status.setText(tr("Checking... this can take up to a minute."))

        def work() -> Report:
            if areas is None:
                return run_checks(config, config_source=source)
            return run_checks(config, config_source=source, areas=areas)

        def show(report: Report) -> None:
            if areas is None:
                self.last_report = report
            self._parts.board.absorb(report)
            self.status.setText(tr("Healthy") if report.healthy else tr("Not healthy"))
            self.lines.show_lines(lines(report))

        self._background(action, work, show)

    def _background(self, action: Action, work: Callable[[], Any], show: Callable[[Any], None],
                    detail: dict[str, str | int | float | bool] | None = None) -> None:
        session = self.session
        if session is None:
            return
        generation = self._generation
        section = self.section
        self.busy = True
        self.run_again.setEnabled(False)

        def done(result: Any, error: BaseException | None) -> None:
            if generation != self._generation or section != self.section:
                return  # the engineer left or moved on
            self.busy = False
            self.run_again.setEnabled(True)
            if error is not None:
                self.status.setText(tr("That did not work: %1").replace(
                    "%1", type(error).__name__))
            else:
                show(result)

        self._parts.run_in_background(lambda: session.perform(action, work, detail), done)

    def _offer_folders(self) -> None:
        for widget in self.folder_buttons:
            widget.deleteLater()
        self.folder_buttons = []
        self.status.setText(tr("Choose where to write the report (a USB stick is listed "
                               "when it is mounted):"))
        for folder in [*self._parts.export_folders()[:4], self._parts.reports_folder]:
            widget = action_button("choice")
            widget.clicked.connect(self._exporter(folder))
            widget.setText(str(folder))
            widget.setProperty("data", True)  # a folder's path
            self.folder_layout.addWidget(widget)
            self.folder_buttons.append(widget)

    def _show_only(self) -> None:
        section = self.section
        self.filters.setVisible(section == "logs")
        self.preview.setVisible(section == "camera")
        self.camera_figures.setVisible(section == "camera")
        self.folders.setVisible(section == "export")
        self.lines.setVisible(section not in ("camera", "export", ""))
        self.run_again.setVisible(section not in ("camera", "export", ""))

    def _retranslate_filters(self) -> None:
        names = {"DEBUG": tr("All"), "WARNING": tr("Warnings"), "ERROR": tr("Errors")}
        for level, widget in self.filter_buttons.items():
            widget.setText(("▶ " if level == self._log_level else "") + names[level])

    def _poll_preview(self) -> None:
        worker = self._worker
        if worker is None:
            return
        if worker.error:
            self.status.setText(tr("The camera cannot be used: %1").replace("%1", worker.error))
            self.stop_preview()
            return
        frame = worker.latest()
        if frame is not None:
            self.show_preview_frame(frame)

    def show_preview_frame(self, frame: PreviewFrame) -> None:
        self.preview.show_frame(frame)
        figures = describe(frame)
        self.status.setText(tr("Face found") if figures["face"] else tr("No face in view"))
        self.camera_figures.setText(
            tr("%1 pixels, %2 frames/s, brightness %3, sharpness %4")
            .replace("%1", str(figures["resolution"])).replace("%2", str(figures["fps"]))
            .replace("%3", str(figures["brightness"])).replace("%4", str(figures["sharpness"])))
