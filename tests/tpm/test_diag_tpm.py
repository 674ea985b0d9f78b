"""`kiosk diag` reports the TPM, where the kiosk's key is, and the measured state."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.config import parse_config
from kiosk.diagnostics.model import Status
from kiosk.diagnostics.tpm_checks import tpm_checks
from tests.tpm.conftest import TpmKiosk


@pytest.mark.slow
def test_diag_reports_the_tpm_the_key_and_the_measured_state(
        tpm_kiosk: TpmKiosk, tmp_path: Path) -> None:
    config = parse_config({
        "kiosk": {"id": tpm_kiosk.kiosk_id, "data_dir": str(tmp_path / "state")},
        "backend": {"url": tpm_kiosk.backend.url,
                    "ca_file": str(tpm_kiosk.bundle / "operator-ca.crt.pem"),
                    "client_cert": str(tpm_kiosk.bundle / "kiosk.crt.pem"),
                    "client_key": str(tpm_kiosk.tpm.folder / "kiosk.tls.key")},
        "tpm": {"tcti": tpm_kiosk.tpm.tcti},
    }, base_dir=tmp_path)
    results = {result.id: result for result in tpm_checks(config)}
    assert {name: result.status for name, result in results.items()} == {
        "tpm.device": Status.OK, "tpm.key": Status.OK, "tpm.measured_state": Status.OK,
        "tpm.tls": Status.OK}
    assert results["tpm.key"].details["location"] == "tpm"
    tpm_kiosk.tpm.extend_pcr(16, b"another boot")
    try:
        changed = {result.id: result for result in tpm_checks(config)}
    finally:
        tpm_kiosk.tpm.reset_pcr(16)
    assert changed["tpm.measured_state"].status is Status.FAIL
    assert "differ" in changed["tpm.measured_state"].summary


def test_a_key_file_is_reported_as_not_in_a_tpm(tmp_path: Path) -> None:
    key = tmp_path / "kiosk.key.pem"
    key.write_text("-----BEGIN PRIVATE KEY-----\n")
    config = parse_config({"backend": {"client_key": str(key)}}, base_dir=tmp_path)
    (result,) = tpm_checks(config)
    assert result.id == "tpm.key" and result.status is Status.WARN
