"""Enrolment with the TPM, by the two commands an engineer and an operator run: the request
proves TPM-held keys, or the operator refuses it and issues nothing."""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from kiosk.cli import main as kiosk_main
from kiosk_backend.cli import main as backend_main


@pytest.fixture(scope="module")
def request_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tcti = os.environ.get("KIOSK_TPM_TCTI")
    if not tcti:
        pytest.skip("no TPM: run through scripts/test (scripts/services tpm)")
    folder = tmp_path_factory.mktemp("kiosk")
    result = CliRunner().invoke(kiosk_main, [
        "tpm-enroll", "--kiosk-id", "store-0042", "--keys", str(folder / "keys"),
        "--tcti", tcti, "--out", str(folder / "request.json")])
    assert result.exit_code == 0, result.output
    return folder / "request.json"


def _enroll(tmp_path: Path, request: Path, *extra: str) -> Any:
    return CliRunner().invoke(backend_main, [
        "enroll-kiosk", "--data-dir", str(tmp_path / "server"), "--kiosk-id", "store-0042",
        "--tpm-request", str(request), "--out", str(tmp_path / "bundle"), *extra])


def test_a_genuine_request_is_certified_and_the_tpm_identity_recorded(
        request_file: Path, tmp_path: Path) -> None:
    vendor = os.environ.get("KIOSK_TPM_VENDOR_CA")
    extra = ["--tpm-vendor-ca", vendor] if vendor else []
    result = _enroll(tmp_path, request_file, *extra, "--store", "Store 42")
    assert result.exit_code == 0, result.output
    assert not (tmp_path / "bundle" / "kiosk.key.pem").exists()  # the key stays in the TPM
    listed = CliRunner().invoke(backend_main, ["list-kiosks", "--data-dir",
                                               str(tmp_path / "server")])
    assert json.loads(listed.output)["attestation"] == "tpm"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


TAMPERINGS: dict[str, Callable[[dict[str, Any]], None]] = {
    "evidence key swapped for the TLS key": lambda r: r["evidence_key"].update(
        public=r["tls_key"]["public"]),
    "PCR values other than the policy's": lambda r: r.update(pcr_digest=_b64(bytes(32))),
    "PCR selection other than the policy's": lambda r: r.update(pcr_selection="sha256:0"),
    "certification signed by another key": lambda r: r["tls_key"].update(
        signature=r["evidence_key"]["signature"]),
    "attestation key that is not restricted": lambda r: r.update(
        attestation_public=r["tls_key"]["public"]),
    "another kiosk's id": lambda r: r.update(kiosk_id="store-0043"),
    "no endorsement certificate": lambda r: r.update(ek_certificate=None),
}


@pytest.mark.parametrize("tampering", list(TAMPERINGS))
def test_a_request_that_does_not_prove_tpm_keys_is_refused(
        request_file: Path, tmp_path: Path, tampering: str) -> None:
    request = json.loads(request_file.read_text())
    TAMPERINGS[tampering](request)
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps(request))
    vendor = os.environ.get("KIOSK_TPM_VENDOR_CA")
    result = _enroll(tmp_path, forged, *(["--tpm-vendor-ca", vendor] if vendor else []))
    assert result.exit_code != 0, tampering
    assert not (tmp_path / "bundle" / "kiosk.crt.pem").exists()


def test_an_endorsement_certificate_from_an_unknown_manufacturer_is_refused(
        request_file: Path, tmp_path: Path) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    operator = _enroll(tmp_path / "first", request_file)  # makes an operator CA to misuse
    assert operator.exit_code == 0, operator.output
    other = tmp_path / "other-ca.pem"
    ca = x509.load_pem_x509_certificate(
        (tmp_path / "first" / "server" / "pki" / "operator-ca.crt.pem").read_bytes())
    other.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    result = _enroll(tmp_path, request_file, "--tpm-vendor-ca", str(other))
    assert result.exit_code != 0 and "manufacturer" in result.output
