"""Maintenance screens over the real window and flow (in-memory fakes for the resident's
parts), with the real Qt-free maintenance state in a temporary folder and a movable clock."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from kiosk.config import KioskConfig, parse_config
from kiosk.diagnostics.metrics import HealthBoard
from kiosk.maintenance import Maintenance, Role, hash_credential
from kiosk.maintenance.credentials import ScryptCost
from kiosk.maintenance.session import install_lockout_state
from kiosk.ui.bridge import QtPoster
from kiosk.ui.maintenance import MaintenanceController, MaintenanceParts, thread_background
from kiosk.ui.qt import QPoint, Qt
from tests.ui.conftest import UiKit, make_ui

KIOSK_ID = "store-0042"
STAFF_PIN = "482913"
ENGINEER_PASSPHRASE = "field-engineer-7Q"


class MovableClock:
    def __init__(self) -> None:
        self.now = 1_780_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def make_config(data_dir: Path, **maintenance: Any) -> KioskConfig:
    cheap = ScryptCost(log2_n=10)
    table = {
        "staff_credential": hash_credential(Role.STAFF, bytearray(STAFF_PIN.encode()),
                                            KIOSK_ID, cheap),
        "engineer_credential": hash_credential(
            Role.ENGINEER, bytearray(ENGINEER_PASSPHRASE.encode()), KIOSK_ID, cheap),
        "hold_to_enter": 1.0,
        **maintenance,
    }
    return parse_config({"kiosk": {"id": KIOSK_ID, "data_dir": str(data_dir)},
                         "maintenance": table,
                         "backend": {"url": "https://127.0.0.1:9"}}, base_dir=data_dir)


@dataclass
class Kit:
    ui: UiKit
    controller: MaintenanceController
    maintenance: Maintenance
    clock: MovableClock
    config: KioskConfig
    qtbot: QtBot
    resets: list[str] = field(default_factory=list)

    def hold_corner(self, seconds: float, at: QPoint | None = None) -> None:
        window = self.ui.window
        where = at or QPoint(20, 20)
        self.qtbot.mousePress(window, Qt.MouseButton.LeftButton, pos=where)
        self.qtbot.wait(int(seconds * 1000))
        self.qtbot.mouseRelease(window, Qt.MouseButton.LeftButton, pos=where)

    def sign_in(self, role: Role, secret: str) -> None:
        login = self.controller.login
        login.choose(role)
        for char in secret:
            login.entry.type(char)
        self.qtbot.mouseClick(login.sign_in_button, Qt.MouseButton.LeftButton)
        self.qtbot.waitUntil(lambda: not login.busy, timeout=10_000)

    def audit(self) -> list[dict[str, Any]]:
        import json

        path = self.config.kiosk.data_dir / "audit.jsonl"
        return [json.loads(line) for line in path.read_text().splitlines()]


def make_kit(qtbot: QtBot, data_dir: Path, language: str = "en",
             extra: Callable[[MaintenanceParts], None] | None = None, **maintenance: Any) -> Kit:
    ui = make_ui(qtbot, language=language)
    clock = MovableClock()
    config = make_config(data_dir, **maintenance)
    install_lockout_state(config)
    state = Maintenance.from_config(config, clock=clock)
    poster = QtPoster()
    resets: list[str] = []
    parts = MaintenanceParts(
        config=config, config_source=None, maintenance=state, board=HealthBoard(),
        reset_reader=lambda: resets.append("reader"),
        restart_application=lambda: resets.append("restart"),
        open_camera=None, run_in_background=thread_background(poster.post),
        export_folders=lambda: [])
    if extra is not None:
        extra(parts)
    controller = MaintenanceController(ui.window, ui.flow, parts)
    controller._poster = poster  # type: ignore[attr-defined]  # kept alive with the kit
    return Kit(ui, controller, state, clock, config, qtbot, resets)


@pytest.fixture
def kit(qtbot: QtBot, tmp_path: Path) -> Iterator[Kit]:
    made = make_kit(qtbot, tmp_path / "state")
    yield made
    made.controller.shut_down()
    made.ui.window.shut_down()
