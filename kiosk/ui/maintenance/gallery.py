"""Maintenance and diagnostic screens for the gallery (``python -m kiosk.ui.gallery``).

Built on the gallery's window with a throw-away state folder, cheap credentials and made-up
check results (nothing from a real kiosk, nothing personal); the camera scene paints the
gallery's drawn stand-in frame.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import numpy as np

from kiosk import __version__
from kiosk.config import parse_config
from kiosk.diagnostics import Report
from kiosk.diagnostics.metrics import HealthBoard
from kiosk.diagnostics.model import fail, ok, warn
from kiosk.flow.states import Step
from kiosk.flow.view import FlowView
from kiosk.maintenance import Maintenance, MaintenanceSession, Role, hash_credential
from kiosk.maintenance.credentials import ScryptCost
from kiosk.maintenance.session import install_lockout_state
from kiosk.ui.driver import StillFlow
from kiosk.ui.maintenance.camera import PreviewFrame
from kiosk.ui.maintenance.controller import MaintenanceController
from kiosk.ui.maintenance.engineer import report_lines
from kiosk.ui.maintenance.parts import MaintenanceParts
from kiosk.ui.window import KioskWindow

KIOSK_ID = "store-0042"
STAFF_PIN = b"482913"
ENGINEER_PASSPHRASE = b"gallery-engineer-7Q"
Setup = Callable[[], None]
MAINTENANCE_SCENES = 14  # len(MaintenanceGallery.scenes()), a test keeps them equal


def sample_report() -> Report:
    return Report(KIOSK_ID, "2026-11-25T09:00:00+00:00", __version__, [
        ok("system.versions", "Versions", "kiosk 0.1.0, Python 3.11.2"),
        ok("pcsc.service", "PC/SC service", "pcscd answers"),
        ok("pcsc.readers", "Card readers", "1 reader(s)"),
        warn("pcsc.card", "Card", "no card on the reader (place a card to probe it)"),
        ok("camera.open", "Camera", "640x480 at 15.0 frames/s"),
        warn("camera.image", "Camera image", "too dark: add light"),
        ok("face.self_test", "Face self-test",
           "sample accepted (score 0.38), still photo refused, 3.2 s"),
        ok("backend.client_certificate", "Kiosk certificate", "expires in 21 day(s): renew it",
           days_left=21),
        ok("backend.dns", "DNS", "backend.example resolves"),
        ok("backend.tcp", "TCP", "connected in 3 ms"),
        ok("backend.tls", "TLS", "TLSv1.3, server certificate trusted"),
        fail("backend.mtls", "Mutual TLS", "the server refused the kiosk certificate"),
        ok("backend.clock", "Clock", "skew 0.4 s"),
    ])


def preview_frame(image: np.ndarray) -> PreviewFrame:
    h, w = image.shape[:2]
    cx, cy = w / 2, h * 0.47
    ring = [(cx + w * 0.14 * np.cos(a), cy + h * 0.26 * np.sin(a))
            for a in np.linspace(0, 2 * np.pi, 17)[:-1]]
    eyes = [(w * 0.44, h * 0.42), (w * 0.56, h * 0.42), (cx, h * 0.5), (cx, h * 0.58)]
    return PreviewFrame(image, (int(cx - w * 0.17), int(cy - h * 0.31), int(cx + w * 0.17),
                                int(cy + h * 0.31)),
                        [(float(x), float(y)) for x, y in ring + eyes], 14.8, 118.0, 412.0)


class MaintenanceGallery:
    """Owns a controller on ``window`` and sets up one scene at a time."""

    def __init__(self, window: KioskWindow, flow: StillFlow, data_dir: Path,
                 frame: np.ndarray) -> None:
        cost = ScryptCost(log2_n=10)
        config = parse_config({
            "kiosk": {"id": KIOSK_ID, "data_dir": str(data_dir)},
            "maintenance": {
                "staff_credential": hash_credential(Role.STAFF, bytearray(STAFF_PIN),
                                                    KIOSK_ID, cost),
                "engineer_credential": hash_credential(
                    Role.ENGINEER, bytearray(ENGINEER_PASSPHRASE), KIOSK_ID, cost)},
        }, base_dir=data_dir)
        install_lockout_state(config)
        self.maintenance = Maintenance.from_config(config)
        self.board = HealthBoard()
        self.board.absorb(sample_report())
        for outcome, count in (("completed", 12), ("cancelled", 2), ("timed_out", 1),
                               ("face_no_match", 1)):
            for _ in range(count):
                self.maintenance.counters.record(outcome)
        logging.getLogger("kiosk.gallery").debug("gallery state in %s", data_dir)
        parts = MaintenanceParts(
            config=config, config_source=Path("/etc/kiosk/kiosk.toml"),
            maintenance=self.maintenance, board=self.board, reset_reader=lambda: None,
            restart_application=lambda: None, open_camera=None,
            run_in_background=lambda work, done: None,
            export_folders=lambda: [Path("/media/kiosk/USB-STICK")])
        self.window = window
        self.flow = flow
        self.frame = frame
        self.controller = MaintenanceController(window, flow, parts)
        self.session: MaintenanceSession | None = None

    def scenes(self) -> list[tuple[str, Setup]]:
        return [
            ("maint-login-staff", self._login_staff),
            ("maint-login-engineer", self._login_engineer),
            ("maint-login-locked", self._login_locked),
            ("maint-staff", lambda: self._staff(in_service=True)),
            ("maint-staff-out-of-service", lambda: self._staff(in_service=False)),
            ("maint-staff-only", self._staff_only),
            ("maint-staff-call", self._staff_call),
            ("diag-home", lambda: self._engineer("")),
            ("diag-all-checks", lambda: self._engineer("all")),
            ("diag-logs", lambda: self._engineer("logs")),
            ("diag-configuration", lambda: self._engineer("configuration")),
            ("diag-camera", lambda: self._engineer("camera")),
            ("diag-export", lambda: self._engineer("export")),
            ("out-of-service-message", self._resident_message),
        ]

    def close(self) -> None:
        self.controller.shut_down()
        self.controller.deleteLater()

    # --- scenes -------------------------------------------------------------------------------

    def _reset(self) -> None:
        self.controller.close()
        self.maintenance.staff_calls.answer()
        self.maintenance.lockout.record_success(Role.STAFF)
        self.flow.show(FlowView(step=Step.START, visit=10_000))
        self.controller.open()

    def _login_staff(self) -> None:
        self._reset()
        for char in "482":
            self.controller.login.pin.type(char)

    def _login_engineer(self) -> None:
        self._reset()
        self.controller.login.choose(Role.ENGINEER)
        for char in "GALLERY-E":
            self.controller.login.passphrase.type(char)

    def _login_locked(self) -> None:
        self._reset()
        for _ in range(3):
            self.maintenance.lockout.record_failure(Role.STAFF)
        self.controller.login.choose(Role.STAFF)

    def _sign_in(self, role: Role) -> MaintenanceSession:
        secret = STAFF_PIN if role is Role.STAFF else ENGINEER_PASSPHRASE
        session = self.maintenance.sign_in(role, bytearray(secret))
        self.controller._signed_in(session)
        return session

    def _staff(self, in_service: bool) -> None:
        self._reset()
        session = self._sign_in(Role.ENGINEER)
        if in_service:
            session.set_in_service()
        else:
            session.set_out_of_service("Please use the kiosk at the entrance.")
        self.controller.staff.open(session)

    def _staff_call(self) -> None:
        self._reset()
        self.maintenance.staff_calls.ring("face_check")
        session = self._sign_in(Role.STAFF)
        session.set_in_service()
        self.controller.staff.open(session)

    def _staff_only(self) -> None:
        self._reset()
        session = self._sign_in(Role.STAFF)
        session.set_in_service()
        self.controller.staff.open(session)

    def _engineer(self, section: str) -> None:
        self._reset()
        self._sign_in(Role.ENGINEER)
        self.controller.open_engineer()
        page = self.controller.engineer
        if section in ("configuration", "export"):
            page.open_section(section)
        elif section:
            page.section = section
            page.lines.setProperty("data", section in ("logs", "configuration", "versions"))
            page.heading.setText("")
            page._show_only()
            page.retranslate()
            if section == "all":
                report = sample_report()
                page.status.setText("")
                page.lines.show_lines(report_lines(report))
            elif section == "logs":
                page.lines.show_lines([
                    "INFO 2026-11-25 09:00:01 kiosk.run.app: kiosk store-0042 serving residents",
                    "WARNING 2026-11-25 09:12:44 kiosk.card_reader.pcsc: card mute in "
                    "'Virtual PCD 00 00'",
                    "INFO 2026-11-25 09:13:02 kiosk.flow.machine: transaction 14 ended: completed",
                    "ERROR 2026-11-25 09:40:19 kiosk.backend_client: backend offline "
                    "(ConnectError), retrying",
                ], last_page=True)
            elif section == "camera":
                page.show_preview_frame(preview_frame(self.frame))
        self.controller.retranslate()

    def _resident_message(self) -> None:
        self.controller.close()
        session = self.maintenance.sign_in(Role.STAFF, bytearray(STAFF_PIN))
        session.set_out_of_service("Please use the kiosk at the entrance.")
        session.sign_out()
        self.controller.apply_service_state()
        self.flow.show(FlowView(step=Step.OUT_OF_SERVICE, visit=10_001, out_of_service=True))
