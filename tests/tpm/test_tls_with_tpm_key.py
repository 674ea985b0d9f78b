"""The kiosk's TLS client key lives in the TPM: mutual TLS through the TLS bridge process
(tpm2-openssl signs the handshake inside the TPM), to a real server on loopback."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest

from kiosk.backend_client import BackendClient
from kiosk.backend_client.errors import KioskIntegrityError
from tests.tpm.conftest import TpmKiosk


@pytest.mark.slow
def test_the_kiosk_speaks_mutual_tls_with_its_tpm_key(
        tpm_kiosk: TpmKiosk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    keylog = tmp_path / "keylog"
    monkeypatch.setenv("SSLKEYLOGFILE", str(keylog))
    config = dataclasses.replace(tpm_kiosk.config(), base_url=tpm_kiosk.backend.url)
    with BackendClient(config) as client:
        assert client.server_key().algorithm
        first = client.begin()
        second = client.begin()
        assert first.transaction_id != second.transaction_id
    assert not keylog.exists()
    rows = tpm_kiosk.backend.rows("SELECT kiosk_id FROM transactions")
    assert rows == [("tpm-kiosk-1",), ("tpm-kiosk-1",)]


@pytest.mark.slow
def test_copied_tls_key_files_do_not_work_with_another_tpm(
        tpm_kiosk: TpmKiosk, other_tpm: str, tmp_path: Path) -> None:
    stolen = tmp_path / "stolen"
    shutil.copytree(tpm_kiosk.tpm.folder, stolen)
    config = dataclasses.replace(tpm_kiosk.config(), base_url=tpm_kiosk.backend.url,
                                 client_key=stolen / "kiosk.tls.key", tpm_tcti=other_tpm)
    with pytest.raises(KioskIntegrityError, match="TLS bridge"):
        BackendClient(config)
