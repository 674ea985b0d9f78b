"""`kiosk run` for real: its own process (offscreen Qt), a reference backend over mutual TLS,
a virtual card in a vpcd reader; the metrics endpoint answers healthy; SIGTERM ends it."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from kiosk_testbed.authority import TestAuthority
from tests.backend.harness import running_backend
from tests.helpers.virtual_card import READER_0, InsertedCard

REPO = Path(__file__).resolve().parents[2]
KIOSK_ID = "kiosk-1"  # the id running_backend enrolls
# Published by the running kiosk: reader events and the periodic backend check.
WATCHED = ("pcsc.readers", "pcsc.card", "backend.mtls", "backend.client_certificate",
           "camera.open")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def toml_value(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + "}"
    return json.dumps(value)


def write_config(folder: Path, tables: dict[str, dict[str, Any]]) -> Path:
    lines = []
    for table, values in tables.items():
        lines.append(f"[{table}]")
        lines.extend(f"{key} = {toml_value(value)}" for key, value in values.items())
    path = folder / "kiosk.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def install_card_face_ca(authority: TestAuthority, config_dir: Path) -> None:
    folder = config_dir / "card-face-ca"
    folder.mkdir()
    key_id = authority.card_face_ca_keyid_path.read_text().strip()
    shutil.copyfile(authority.card_face_ca_pub_path, folder / f"{key_id}.pem")


def kiosk(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", "from kiosk.cli import main; main()", "run", *args],
        cwd=REPO, env={**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONFAULTHANDLER": "1",
             **(env or {})},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=3) as answer:  # noqa: S310 (the test's http URL)
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


@pytest.mark.pcsc
@pytest.mark.timeout(120)
def test_kiosk_run_serves_and_reports_healthy(
        tmp_path: Path, testbed_authority: TestAuthority, card_in_reader: InsertedCard) -> None:
    with running_backend(tmp_path / "backend", testbed_authority.dir, None) as backend:
        tls = backend.kiosks[KIOSK_ID]
        port = free_port()
        config = write_config(tmp_path, {
            "kiosk": {"id": KIOSK_ID, "data_dir": str(tmp_path / "state"), "mode": "testbed"},
            "card": {"reader": READER_0},
            "camera": {"source": "synthetic"},
            "backend": {"url": backend.url, "ca_file": str(tls.ca),
                        "client_cert": str(tls.certificate), "client_key": str(tls.key)},
            "flow": {"timeouts": {"consent": 45.0}},
            "metrics": {"port": port},
        })
        install_card_face_ca(testbed_authority, tmp_path)
        notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        notify.bind(str(tmp_path / "notify"))
        notify.settimeout(60)
        process = kiosk("--config", str(config), env={
            "NOTIFY_SOCKET": str(tmp_path / "notify"), "WATCHDOG_USEC": "2000000"})
        try:
            # systemd's view: READY=1 once the window shows, then WATCHDOG=1 from the loop.
            messages = [notify.recv(200).decode() for _ in range(3)]
            assert "READY=1" in messages, messages
            assert "WATCHDOG=1" in {notify.recv(200).decode() for _ in range(3)}
            deadline = time.monotonic() + 60
            status, body = 0, ""
            while time.monotonic() < deadline:
                assert process.poll() is None, process.communicate()[1][-2000:]
                try:
                    status, body = get(f"http://127.0.0.1:{port}/health")
                except OSError:
                    time.sleep(0.5)
                    continue
                metrics = get(f"http://127.0.0.1:{port}/metrics")[1]
                if status == 200 and all(f'check="{c}"' in metrics for c in WATCHED):
                    break
                time.sleep(0.5)
            assert status == 200, body
            health = json.loads(body)
            assert health["healthy"] and health["in_service"] and health["kiosk_id"] == KIOSK_ID
            assert all(f'check="{c}"' in metrics for c in WATCHED), metrics
        finally:
            notify.close()
            process.send_signal(signal.SIGTERM)
            try:
                _, stderr = process.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                process.send_signal(signal.SIGABRT)  # faulthandler prints every thread
                pytest.fail("kiosk run did not stop on SIGTERM:\n"
                            + process.communicate()[1][-6000:])
        assert process.returncode == 0, stderr[-2000:]
        assert "Traceback" not in stderr


def test_bad_configuration_is_one_clear_line(tmp_path: Path) -> None:
    config = write_config(tmp_path, {"flow": {"timeouts": {"auth_pin": -3}},
                                     "kiosk": {"langauge": "ja"}})
    process = kiosk("--config", str(config))
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 2
    assert "Traceback" not in stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert "flow.timeouts.auth_pin" in lines[0] and "kiosk.langauge" in lines[0]


def test_missing_tls_files_named(tmp_path: Path) -> None:
    config = write_config(tmp_path, {"backend": {"ca_file": str(tmp_path / "none.pem")},
                                     "kiosk": {"data_dir": str(tmp_path / "state")}})
    process = kiosk("--config", str(config))
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 2, stderr
    assert "backend.ca_file" in stderr and "Traceback" not in stderr


def test_no_display_is_a_clear_message(tmp_path: Path) -> None:
    config = write_config(tmp_path, {"kiosk": {"data_dir": str(tmp_path / "state")}})
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    process = subprocess.run(
        [sys.executable, "-c", "from kiosk.cli import main; main()", "run", "--config",
         str(config)], cwd=REPO, env=env, capture_output=True, text=True, timeout=60,
        check=False)
    assert process.returncode == 1
    assert "no display" in process.stderr and "Traceback" not in process.stderr


def test_service_unit_runs_this_command() -> None:
    unit = (REPO / "deploy" / "kiosk.service").read_text()
    exec_start = next(line for line in unit.splitlines() if line.startswith("ExecStart="))
    assert exec_start.endswith("/opt/kiosk/venv/bin/kiosk run --config /etc/kiosk/kiosk.toml")
    from click.testing import CliRunner

    from kiosk.cli import main

    help_text = CliRunner().invoke(main, ["run", "--help"]).output
    assert "--config" in help_text


def test_unusable_face_settings_named(tmp_path: Path) -> None:
    (tmp_path / "face.toml").write_text("[matching]\nthreshold = \"high\"\n")
    config = write_config(tmp_path, {"face": {"thresholds_file": "face.toml"},
                                     "kiosk": {"data_dir": str(tmp_path / "state")}})
    process = kiosk("--config", str(config))
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 2, stderr
    assert stderr.startswith("kiosk run: face.thresholds_file") and "Traceback" not in stderr


def test_metrics_port_taken_is_a_clear_message(
        tmp_path: Path, testbed_authority: TestAuthority) -> None:
    with running_backend(tmp_path / "backend", testbed_authority.dir, None) as backend, \
            socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        tls = backend.kiosks[KIOSK_ID]
        config = write_config(tmp_path, {
            "kiosk": {"id": KIOSK_ID, "data_dir": str(tmp_path / "state"), "mode": "testbed"},
            "camera": {"source": "synthetic"},
            "backend": {"url": backend.url, "ca_file": str(tls.ca),
                        "client_cert": str(tls.certificate), "client_key": str(tls.key)},
            "metrics": {"port": taken.getsockname()[1]},
        })
        install_card_face_ca(testbed_authority, tmp_path)
        process = kiosk("--config", str(config))
        _, stderr = process.communicate(timeout=60)
    assert process.returncode == 1, stderr
    assert "cannot start" in stderr and "metrics.port" in stderr
    assert "Traceback" not in stderr


@pytest.mark.timeout(120)
def test_stopping_right_after_start_is_clean(
        tmp_path: Path, testbed_authority: TestAuthority) -> None:
    """SIGTERM while start-up work (the camera check) still runs: native threads are waited
    for, so the process ends with 0 rather than an abort at interpreter exit."""
    with running_backend(tmp_path / "backend", testbed_authority.dir, None) as backend:
        tls = backend.kiosks[KIOSK_ID]
        config = write_config(tmp_path, {
            "kiosk": {"id": KIOSK_ID, "data_dir": str(tmp_path / "state"), "mode": "testbed"},
            "camera": {"source": "synthetic"},
            "backend": {"url": backend.url, "ca_file": str(tls.ca),
                        "client_cert": str(tls.certificate), "client_key": str(tls.key)},
            "metrics": {"port": free_port()},
        })
        install_card_face_ca(testbed_authority, tmp_path)
        for attempt in range(2):
            path = tmp_path / f"notify-{attempt}"
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as notify:
                notify.bind(str(path))
                notify.settimeout(60)
                process = kiosk("--config", str(config), env={"NOTIFY_SOCKET": str(path)})
                while notify.recv(200) != b"READY=1":
                    pass
                process.send_signal(signal.SIGTERM)
                _, stderr = process.communicate(timeout=60)
            assert process.returncode == 0, stderr[-3000:]
