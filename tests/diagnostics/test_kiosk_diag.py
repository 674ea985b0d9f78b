"""`kiosk diag --json` end to end: healthy with a card in pcscd and a reference backend;
broken with pcscd unreachable and the backend down; a bad configuration; no personal data."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kiosk.card_reader.card import MyNumberCard
from kiosk.card_reader.pcsc import PcscTransport
from tests.helpers.virtual_card import InsertedCard

from .conftest import Backend, run_diag

PERSONAL = ("auth_pin", "sign_pin", "text_pin", "my_number", "collation_b", "name", "address",
            "birth_date", "security_code")


def assert_no_personal_data(text: str, values: dict[str, Any]) -> None:
    for key in PERSONAL:
        value = values.get(key)
        if not value:
            continue
        # A whole token: not inside a longer word or number (a step that took 1234.0 ms is
        # not the PIN 1234).
        pattern = rf"(?<![0-9A-Za-z])(?<!\d\.){re.escape(str(value))}(?!\.?[0-9A-Za-z])"
        assert not re.search(pattern, text), f"the report contains the {key}"
    birth = str(values["birth_date"])
    assert birth.replace("-", "") not in text
    # No image or other blob slipped in (base64 or hex runs of image size).
    assert not re.search(r"[A-Za-z0-9+/=]{400,}", text)


@pytest.mark.pcsc
@pytest.mark.slow
def test_healthy_kiosk(card_in_reader: InsertedCard, reference_backend: Backend,
                       write_config: Callable[..., Path], tmp_path: Path) -> None:
    config = write_config(backend={
        "url": reference_backend.url, "ca_file": str(reference_backend.ca_file),
        "client_cert": str(reference_backend.client_cert),
        "client_key": str(reference_backend.client_key)})
    export = tmp_path / "usb"
    run = run_diag("--json", "--config", str(config), "--export", str(export))
    assert run.code == 0, run.stdout + run.stderr
    report = run.report
    assert report["healthy"] is True
    statuses = {r["id"]: r["status"] for r in report["results"]}
    for check in ("pcsc.service", "pcsc.readers", "pcsc.card", "camera.open", "camera.image",
                  "backend.client_certificate", "backend.dns", "backend.tcp", "backend.tls",
                  "backend.mtls", "backend.clock", "system.configuration", "system.versions",
                  "system.data_dir", "face.settings", "face.self_test"):
        assert statuses[check] == "ok", (check, run.result(check))
    assert run.result("pcsc.service")["details"]["pcscd_processes"] >= 1
    card = run.result("pcsc.card")["details"]["readers"][0]
    assert card["card"] == "my_number_card"
    assert card["retry_counters"] == {"auth_pin": "3 tries left", "sign_pin": "5 tries left",
                                      "text_pin": "3 tries left"}
    assert card["certificates"] == {"auth": True, "sign": True}
    assert re.fullmatch(r"[0-9A-F]{2}( [0-9A-F]{2})+", card["atr"])
    mtls = run.result("backend.mtls")["details"]
    assert mtls["http_status"] == 200
    certificate = run.result("backend.client_certificate")["details"]
    assert "store-0042" in certificate["subject"] and certificate["days_left"] > 30
    assert abs(run.result("backend.clock")["details"]["skew_seconds"]) <= 2
    settings = run.result("system.configuration")["details"]["settings"]
    assert settings["maintenance.staff_credential"] == "set"
    assert "scrypt$" not in run.stdout

    # The probe spent no try: the card itself still reports full counters.
    with PcscTransport(card_in_reader.reader) as transport:
        counters = MyNumberCard.recognize(transport).read_retry_counters()
    assert (counters.auth.tries_left, counters.sign.tries_left) == (3, 5)

    exported = sorted(export.iterdir())
    assert [p.suffix for p in exported] == [".json", ".txt"]
    assert json.loads(exported[0].read_text())["healthy"] is True
    assert "HEALTHY" in exported[1].read_text()
    for text in (run.stdout, run.stderr, exported[0].read_text(), exported[1].read_text()):
        assert_no_personal_data(text, card_in_reader.values)


@pytest.mark.pcsc
def test_broken_kiosk_pcscd_unreachable_and_backend_down(write_config: Callable[..., Path],
                                                         tmp_path: Path) -> None:
    config = write_config()  # the default backend URL points at a closed port
    missing_socket = tmp_path / "no-pcscd" / "pcscd.comm"
    run = run_diag("--json", "--config", str(config),
                   env={"PCSCLITE_CSOCK_NAME": str(missing_socket)})
    assert run.code == 1, run.stdout + run.stderr
    report = run.report
    assert report["healthy"] is False
    service = run.result("pcsc.service")
    assert service["status"] == "fail"
    assert service["details"]["socket"] == str(missing_socket)
    assert service["details"]["socket_exists"] is False
    assert run.result("backend.tcp")["status"] == "fail"
    assert "cannot connect" in run.result("backend.tcp")["summary"]
    assert run.result("backend.client_certificate")["status"] == "fail"
    assert "Traceback" not in run.stderr


def test_text_output_and_exit_status(write_config: Callable[..., Path]) -> None:
    run = run_diag("--config", str(write_config()), "--only", "system", "--only", "camera")
    assert run.code == 0, run.stdout + run.stderr
    assert "[OK  ] Camera:" in run.stdout
    assert run.stdout.rstrip().endswith("HEALTHY")
    verbose = run_diag("--config", str(write_config()), "--only", "camera", "-v")
    assert "Overall: HEALTHY" in verbose.stdout and "measured_fps:" in verbose.stdout


@pytest.mark.parametrize(("text", "expected"), [
    ("[flow.timeouts]\nauth_pin = -3\n",
     "flow.timeouts.auth_pin: must be a positive number of seconds, got -3"),
    ("[kiosk\n", "not valid TOML"),
])
def test_bad_configuration_is_named_without_a_traceback(tmp_path: Path, text: str,
                                                        expected: str) -> None:
    path = tmp_path / "kiosk.toml"
    path.write_text(text)
    run = run_diag("--json", "--config", str(path))
    assert run.code == 2
    assert expected in run.stderr
    assert "Traceback" not in run.stderr
    assert run.stdout == ""


@pytest.mark.pcsc
@pytest.mark.slow
@pytest.mark.expect_logged_errors  # one, for the report's log excerpt
def test_report_and_logs_hold_no_personal_data_after_a_card_session(
        card_in_reader: InsertedCard, write_config: Callable[..., Path], tmp_path: Path) -> None:
    """Everything personal passes through the card layer with full APDU tracing on; then
    neither the log files nor the diagnostics report (which quotes the log) contain it."""
    import logging

    from kiosk.card_reader.jpki import JpkiPin
    from kiosk.config import load_config
    from kiosk.diagnostics.logging_setup import configure_logging
    from kiosk.maintenance import Maintenance, Role
    from kiosk.maintenance.session import install_lockout_state

    values = card_in_reader.values
    config_path = write_config(logging={"directory": str(tmp_path / "logs"), "level": "DEBUG",
                                        "apdu_trace": True})
    config = load_config(config_path)
    log_file = configure_logging(config, stderr=False)
    kiosk_logger = logging.getLogger("kiosk")
    try:
        with PcscTransport(card_in_reader.reader) as transport:
            card = MyNumberCard.recognize(transport)
            card.jpki.verify_pin(JpkiPin.AUTH, bytearray(values["auth_pin"].encode()))
            card.text_ap.verify_pin(bytearray(values["text_pin"].encode()))
            my_number = card.text_ap.read_my_number()
            assert bytes(my_number).decode() == values["my_number"]
            info = card.text_ap.read_basic_info()
            logging.getLogger("kiosk.test").info("read %r", info)  # its repr hides the values
            card.card_info.unlock_with_my_number(my_number)
            card.card_info.read_card_face()
            my_number[:] = bytes(len(my_number))
        logging.getLogger("kiosk.test").error("a failure for the log excerpt")
    finally:
        for handler in [h for h in kiosk_logger.handlers if getattr(h, "_kiosk_handler", 0)]:
            handler.flush()
            kiosk_logger.removeHandler(handler)
            handler.close()
        kiosk_logger.setLevel(logging.NOTSET)
        logging.getLogger("kiosk.card_reader.traffic").setLevel(logging.NOTSET)
    install_lockout_state(config)
    maintenance = Maintenance.from_config(config)
    maintenance.counters.record("completed")
    session = maintenance.sign_in(Role.STAFF, bytearray(b"482913"))
    session.set_out_of_service("Back at 10:00")
    session.set_in_service()
    session.sign_out()

    logged = log_file.read_text()
    assert "TRAFFIC" in logged, "the APDU trace should have been written"
    export = tmp_path / "usb"
    run = run_diag("--json", "--config", str(config_path), "--export", str(export),
                   "--only", "system", "--only", "pcsc")
    assert run.result("system.logs")["details"]["errors"] >= 1
    assert run.result("system.service")["details"]["transactions_today"] == {"completed": 1}
    texts = [run.stdout, run.stderr, logged,
             (config.kiosk.data_dir / "audit.jsonl").read_text(),
             *(path.read_text() for path in export.iterdir())]
    for text in texts:
        assert_no_personal_data(text, values)
