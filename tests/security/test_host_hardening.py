"""Host hardening: private keys 0600 whatever the folder held before, after every enrolment
path; the kiosk's TLS writes no session secrets to $SSLKEYLOGFILE."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from kiosk.backend_client import BackendClient, BackendClientConfig
from kiosk_backend.cli import main as backend_main
from kiosk_backend.enrollment import enroll_kiosk
from tests.backend.harness import RunningBackend


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _plant_readable_key(folder: Path, name: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text("an old key, readable by everyone")
    os.chmod(folder / name, 0o644)


def test_enroll_function_leaves_the_key_0600(backend: RunningBackend, tmp_path: Path) -> None:
    out = tmp_path / "bundle"
    _plant_readable_key(out, "kiosk.key.pem")
    paths = enroll_kiosk(backend.server.pki, backend.server.database, "k-0600", out)
    assert _mode(paths["key"]) == 0o600
    assert "old key" not in paths["key"].read_text()


def test_enroll_command_leaves_the_key_0600(tmp_path: Path) -> None:
    out = tmp_path / "bundle"
    _plant_readable_key(out, "kiosk.key.pem")
    result = CliRunner().invoke(backend_main, [
        "enroll-kiosk", "--data-dir", str(tmp_path / "server"), "--kiosk-id", "k-cli",
        "--out", str(out), "--software-key"])
    assert result.exit_code == 0, result.output
    assert _mode(Path(json.loads(result.output)["key"])) == 0o600
    for key in (tmp_path / "server" / "pki").glob("*.key*"):
        assert _mode(key) == 0o600, key


def test_tpm_key_files_are_0600(tmp_path: Path) -> None:
    tcti = os.environ.get("KIOSK_TPM_TCTI")
    if not tcti:
        pytest.skip("no TPM: run through scripts/test (scripts/services tpm)")
    from kiosk.tpm import KioskTpm
    from kiosk.tpm.enrollment import prepare_enrollment

    folder = tmp_path / "keys"
    for name in ("kiosk.tls.key", "attestation.key", "evidence.key", "tpm-identity.json"):
        _plant_readable_key(folder, name)
    prepare_enrollment(KioskTpm(tcti, folder), "k-tpm")
    for name in ("kiosk.tls.key", "attestation.key", "evidence.key", "tpm-identity.json"):
        assert _mode(folder / name) == 0o600, name


def test_sslkeylogfile_is_ignored(backend: RunningBackend, tmp_path: Path,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    credentials = backend.enroll("k-keylog")
    keylog = tmp_path / "keylog.txt"
    monkeypatch.setenv("SSLKEYLOGFILE", str(keylog))
    config = BackendClientConfig(backend.url, credentials.certificate, credentials.key,
                                 credentials.ca)
    with BackendClient(config) as client:
        assert client.server_key().algorithm
        client.begin()
    assert not keylog.exists(), "TLS session secrets were written to $SSLKEYLOGFILE"
