"""After a completed transaction on the real stack (pcscd + virtual card, the reference backend
over mutual TLS, the synthetic resident as camera), an engineer exports the diagnostics report
from the screens: it, the audit log, the counters and every log record hold none of the
values used (PINs, My Number, name, address, birth date, card-face numbers)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from kiosk.card_reader.card_info import TrustAnchors
from kiosk.config import parse_config
from kiosk.diagnostics.metrics import HealthBoard
from kiosk.flow.autoplay import Autoplay
from kiosk.flow.config import FlowConfig
from kiosk.maintenance import Maintenance, Role, hash_credential
from kiosk.maintenance.credentials import ScryptCost
from kiosk.maintenance.session import install_lockout_state
from kiosk.run.outcomes import OutcomeRecorder
from kiosk.ui.app import run_autoplay
from kiosk.ui.bridge import QtPoster
from kiosk.ui.maintenance import MaintenanceController, MaintenanceParts, thread_background
from kiosk.ui.qt import Qt
from tests.backend.harness import RunningBackend
from tests.diagnostics.test_kiosk_diag import assert_no_personal_data
from tests.helpers.virtual_card import READER_0, TEST_PINS, InsertedCard
from tests.ui.test_real_stack import backend, camera, real_kiosk  # noqa: F401

pytestmark = [
    pytest.mark.pcsc,
    pytest.mark.slow,
]
NEW_PIN = "RESET2026"
PASSPHRASE = "field-engineer-7Q"


def test_report_holds_no_personal_data_after_a_completed_transaction(
        qtbot: QtBot, tmp_path: Path, *, card_in_reader: InsertedCard,
        anchors: TrustAnchors, backend: RunningBackend,  # noqa: F811 (fixtures)
        caplog: pytest.LogCaptureFixture) -> None:
    tls = backend.kiosks["kiosk-1"]
    config = parse_config({
        "kiosk": {"id": "kiosk-1", "data_dir": str(tmp_path / "state"), "mode": "testbed"},
        "card": {"reader": READER_0},
        "camera": {"source": "synthetic"},
        "backend": {"url": backend.url, "ca_file": str(tls.ca),
                    "client_cert": str(tls.certificate), "client_key": str(tls.key)},
        "maintenance": {"engineer_credential": hash_credential(
            Role.ENGINEER, bytearray(PASSPHRASE.encode()), "kiosk-1", ScryptCost(log2_n=10))},
    }, base_dir=tmp_path)
    install_lockout_state(config)
    state = Maintenance.from_config(config)
    values = {**card_in_reader.values, "sign_pin": NEW_PIN}
    caplog.set_level(logging.DEBUG)
    with real_kiosk(qtbot, anchors, backend, camera(), FlowConfig(face_attempts=2)) as kiosk:
        kiosk.flow.subscribe(OutcomeRecorder(state.counters.record))
        poster = QtPoster()
        controller = MaintenanceController(kiosk.window, kiosk.flow, MaintenanceParts(
            config=config, config_source=None, maintenance=state, board=HealthBoard(),
            reset_reader=lambda: None, restart_application=lambda: None, open_camera=None,
            run_in_background=thread_background(poster.post), export_folders=lambda: []))
        try:
            result = run_autoplay(Autoplay(kiosk.flow, auth_pin=TEST_PINS["auth_pin"],
                                           new_pin=NEW_PIN, text_pin=TEST_PINS["text_pin"]),
                                  timeout=120)
            assert result.success, result.line()
            kiosk.flow.acknowledge()
            card_in_reader.remove()
            qtbot.waitUntil(lambda: kiosk.flow.view.step.value == "start", timeout=30_000)
            assert state.counters.today() == {"completed": 1}

            controller.open()
            assert controller.is_open
            login = controller.login
            login.choose(Role.ENGINEER)
            for char in PASSPHRASE:
                login.entry.type(char)
            qtbot.mouseClick(login.sign_in_button, Qt.MouseButton.LeftButton)
            qtbot.waitUntil(lambda: controller.session is not None, timeout=10_000)
            assert "Completed: 1" in controller.staff.counts.text()
            controller.open_engineer()
            engineer = controller.engineer
            qtbot.mouseClick(engineer.nav["export"], Qt.MouseButton.LeftButton)
            folder_button = engineer.folder_buttons[-1]
            assert folder_button.text() == str(tmp_path / "state" / "reports")
            qtbot.mouseClick(folder_button, Qt.MouseButton.LeftButton)
            qtbot.waitUntil(lambda: "kiosk-diagnostics" in engineer.status.text(),
                            timeout=120_000)
        finally:
            controller.shut_down()
    reports = sorted((tmp_path / "state" / "reports").iterdir())
    assert [p.suffix for p in reports] == [".json", ".txt"]
    report = json.loads(reports[0].read_text())
    assert {r["id"].split(".")[0] for r in report["results"]} >= {
        "system", "pcsc", "camera", "face", "backend"}
    for path in (*reports, tmp_path / "state" / "audit.jsonl",
                 tmp_path / "state" / "counters.json"):
        assert_no_personal_data(path.read_text(), values)
    assert_no_personal_data(caplog.text, values)
    audit = [json.loads(line) for line in (tmp_path / "state" / "audit.jsonl").open()]
    assert ("engineer", "export_report", "ok") in {(e["who"], e["action"], e["outcome"])
                                                  for e in audit}
