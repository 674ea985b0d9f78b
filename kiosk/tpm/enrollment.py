"""The kiosk's half of enrolment: keys made in the TPM, the request for the operator."""

from __future__ import annotations

from cryptography.hazmat.primitives import serialization

from kiosk.tpm.csr import build_csr
from kiosk.tpm.keys import DEFAULT_PCRS, KioskTpm
from kiosk_protocol import tpm as tpm_format
from kiosk_protocol.tpm_enrollment import CertifiedKey, TpmEnrollmentRequest


def prepare_enrollment(tpm: KioskTpm, kiosk_id: str,
                       selection: tpm_format.PcrSelection = DEFAULT_PCRS
                       ) -> TpmEnrollmentRequest:
    """Create the kiosk's keys in ``tpm`` (blobs into its folder, 0600) and the request."""
    material = tpm.create_keys(selection)
    csr = build_csr(kiosk_id, tpm.tls_public_key_pem(), tpm.sign_with_tls_key)
    return TpmEnrollmentRequest(
        kiosk_id=kiosk_id,
        csr_pem=csr.public_bytes(serialization.Encoding.PEM).decode("ascii"),
        tls_key=CertifiedKey(material.tls.public, material.tls.attest, material.tls.signature),
        attestation_public=material.attestation_public,
        evidence_key=CertifiedKey(material.evidence.public, material.evidence.attest,
                                  material.evidence.signature),
        pcr_selection=material.selection.text(),
        pcr_digest=material.pcr_digest,
        ek_public=material.ek_public,
        ek_certificate=material.ek_certificate,
    )
