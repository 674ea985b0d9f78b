"""Kiosk enrollment: certificate from the operator CA, and the kiosk's registry row.

A real kiosk is enrolled with its TPM (`enroll_tpm_kiosk`): its keys were made in the TPM and
only its certificate is written. `enroll_kiosk` issues a key file as well: for testbeds only,
and such a kiosk is refused unless the server allows software kiosks.
"""

from __future__ import annotations

import time
from pathlib import Path

from cryptography import x509

from kiosk_backend import store
from kiosk_backend.database import Database
from kiosk_backend.operator_pki import OperatorPki, certificate_sha256
from kiosk_backend.tpm_enrollment import verify_tpm_request
from kiosk_protocol.tpm_enrollment import TpmEnrollmentRequest


def _record(database: Database, kiosk_id: str, certificate: x509.Certificate, *,
            attestation: str, store_name: str, tpm: store.KioskTpmRow | None = None) -> None:
    now = int(time.time() * 1000)
    fingerprint = certificate_sha256(certificate)
    with database.transaction() as connection:
        store.upsert_kiosk(connection, kiosk_id, fingerprint, now, attestation=attestation,
                           store_name=store_name)
        store.record_certificate(
            connection, certificate.serial_number, kiosk_id, sha256=fingerprint, issued_at=now,
            not_after=int(certificate.not_valid_after_utc.timestamp() * 1000),
        )
        if tpm is not None:
            store.put_kiosk_tpm(connection, tpm, now)


def enroll_kiosk(
    pki: OperatorPki, database: Database, kiosk_id: str, out_dir: Path, store_name: str = ""
) -> dict[str, Path]:
    """Testbeds: issue a certificate and a key file for `kiosk_id`, register it enabled.

    Enrolling an existing kiosk again replaces its certificate: the old one stops working.
    """
    pki.ensure()
    issued = pki.issue_kiosk(kiosk_id)
    paths = pki.write_kiosk_bundle(issued, out_dir)
    _record(database, kiosk_id, issued.certificate, attestation="software",
            store_name=store_name)
    return paths


def enroll_tpm_kiosk(
    pki: OperatorPki,
    database: Database,
    request: TpmEnrollmentRequest,
    out_dir: Path,
    *,
    store_name: str = "",
    vendor_cas: list[x509.Certificate] | None = None,
) -> dict[str, Path]:
    """Check the kiosk's TPM enrolment request, certify its TPM-held TLS key, record its TPM
    identity, register it enabled. Raises TpmEnrollmentError for a request that proves no
    TPM-held keys."""
    pki.ensure()
    public_key, tpm = verify_tpm_request(request, vendor_cas)
    certificate = pki.issue_kiosk_certificate(request.kiosk_id, public_key)
    paths = pki.write_certificate_bundle(certificate, out_dir)
    _record(database, request.kiosk_id, certificate, attestation="tpm",
            store_name=store_name, tpm=tpm)
    return paths


def set_kiosk_enabled(
    database: Database, kiosk_id: str, enabled: bool, *, now: float | None = None
) -> bool:
    """Enable or disable a kiosk (``now``: seconds since the epoch, the server's clock by
    default); False if no such kiosk."""
    when = time.time() if now is None else now
    with database.transaction() as connection:
        return store.set_kiosk_enabled(connection, kiosk_id, enabled, int(when * 1000))
