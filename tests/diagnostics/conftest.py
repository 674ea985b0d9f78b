"""Fixtures for diagnostics: a reference backend and a video 'camera' (the virtual cards in
pcscd come from the suite-wide plugin tests/helpers/virtual_card.py)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from kiosk.maintenance import Role, hash_credential
from kiosk.maintenance.credentials import ScryptCost
from kiosk_backend.enrollment import enroll_kiosk
from kiosk_backend.server import BackendServer, BackendSettings
from kiosk_testbed.authority import TestAuthority

REPO = Path(__file__).resolve().parents[2]
KIOSK_ID = "store-0042"


@dataclass
class Backend:
    url: str
    ca_file: Path
    client_cert: Path
    client_key: Path
    server: BackendServer


@pytest.fixture(scope="session")
def reference_backend(testbed_authority: TestAuthority,
                      tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
    data = tmp_path_factory.mktemp("backend")
    server = BackendServer(BackendSettings(data_dir=data, authority_dir=testbed_authority.dir,
                                           port=0, software_kiosks=True)).start()
    try:
        bundle = enroll_kiosk(server.pki, server.database, KIOSK_ID,
                              tmp_path_factory.mktemp("kiosk-tls"))
        yield Backend(server.url, bundle["ca"], bundle["certificate"], bundle["key"], server)
    finally:
        server.stop()


@pytest.fixture(scope="session")
def camera_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A short MJPG clip of a textured, evenly lit pattern (no face, nothing personal)."""
    import cv2

    path = tmp_path_factory.mktemp("camera") / "pattern.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), 15.0, (640, 480))
    rng = np.random.default_rng(7)
    for index in range(30):
        frame = np.full((480, 640, 3), 120, np.uint8)
        frame[::16, :, :] = 30
        frame[:, (index % 16)::16, :] = 210
        frame += rng.integers(0, 20, frame.shape, dtype=np.uint8)
        writer.write(frame)
    writer.release()
    return path


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def write_config(tmp_path: Path, camera_video: Path) -> Callable[..., Path]:
    """Write a kiosk configuration; keyword arguments are tables that override the defaults."""
    cheap = ScryptCost(log2_n=10)

    def write(**tables: dict[str, Any]) -> Path:
        content: dict[str, dict[str, Any]] = {
            "kiosk": {"id": KIOSK_ID, "data_dir": str(tmp_path / "state")},
            "card": {"reader": "Virtual PCD 00 00"},
            "camera": {"source": "file", "file": str(camera_video)},
            "backend": {"url": f"https://127.0.0.1:{closed_port()}", "connect_timeout": 2.0,
                        "read_timeout": 5.0},
            "maintenance": {
                "staff_credential": hash_credential(Role.STAFF, bytearray(b"482913"),
                                                    KIOSK_ID, cheap),
                "engineer_credential": hash_credential(
                    Role.ENGINEER, bytearray(b"field-engineer-7Q"), KIOSK_ID, cheap),
            },
        }
        for table, values in tables.items():
            content.setdefault(table, {}).update(values)
        lines = []
        for table, values in content.items():
            lines.append(f"[{table}]")
            lines.extend(f"{key} = {json.dumps(value)}" for key, value in values.items())
        path = tmp_path / "kiosk.toml"
        path.write_text("\n".join(lines) + "\n")
        return path

    return write


@dataclass
class DiagRun:
    code: int
    stdout: str
    stderr: str

    @property
    def report(self) -> dict[str, Any]:
        return dict(json.loads(self.stdout))

    def result(self, check_id: str) -> dict[str, Any]:
        found = [r for r in self.report["results"] if r["id"] == check_id]
        assert found, f"no result {check_id}: {[r['id'] for r in self.report['results']]}"
        return dict(found[0])


def run_diag(*args: str, env: dict[str, str] | None = None) -> DiagRun:
    """`kiosk diag ARGS` as its own process, as an engineer would run it."""
    completed = subprocess.run(
        [sys.executable, "-c", "from kiosk.cli import main; main()", "diag", *args],
        cwd=REPO, env={**os.environ, **(env or {})}, capture_output=True, text=True,
        timeout=120, check=False,
    )
    return DiagRun(completed.returncode, completed.stdout, completed.stderr)
