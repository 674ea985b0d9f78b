"""What a kiosk sends the operator to be enrolled with its TPM (public parts only).

The file ``kiosk tpm-enroll`` writes and ``kiosk-backend enroll-kiosk --tpm-request`` reads:
the certificate request for the TLS key (signed inside the TPM), the public areas of the TLS,
attestation and evidence keys, the attestation key's certifications of the other two, the PCR
selection and values the evidence key is bound to, and the TPM's endorsement key with the
manufacturer's certificate.
"""

from __future__ import annotations

from dataclasses import dataclass

from kiosk_protocol.fields import KIOSK_ID, Fields, b64encode
from kiosk_protocol.messages import JsonObject

FORMAT = "kiosk-tpm-enrollment/1"


@dataclass(frozen=True)
class CertifiedKey:
    public: bytes  # TPMT_PUBLIC
    attest: bytes  # TPMS_ATTEST (certify) by the attestation key
    signature: bytes  # TPMT_SIGNATURE

    def to_json(self) -> JsonObject:
        return {"public": b64encode(self.public), "attest": b64encode(self.attest),
                "signature": b64encode(self.signature)}

    @classmethod
    def from_fields(cls, fields: Fields) -> CertifiedKey:
        return cls(fields.binary("public", 16, 1024), fields.binary("attest", 16, 1024),
                   fields.binary("signature", 8, 512))


@dataclass(frozen=True)
class TpmEnrollmentRequest:
    kiosk_id: str
    csr_pem: str
    tls_key: CertifiedKey
    attestation_public: bytes
    evidence_key: CertifiedKey
    pcr_selection: str
    pcr_digest: bytes
    ek_public: bytes
    ek_certificate: bytes | None

    def to_json(self) -> JsonObject:
        return {
            "format": FORMAT,
            "kiosk_id": self.kiosk_id,
            "csr_pem": self.csr_pem,
            "tls_key": self.tls_key.to_json(),
            "attestation_public": b64encode(self.attestation_public),
            "evidence_key": self.evidence_key.to_json(),
            "pcr_selection": self.pcr_selection,
            "pcr_digest": b64encode(self.pcr_digest),
            "ek_public": b64encode(self.ek_public),
            "ek_certificate": None if self.ek_certificate is None else b64encode(
                self.ek_certificate),
        }

    @classmethod
    def from_json(cls, value: object) -> TpmEnrollmentRequest:
        fields = Fields(value, "$")
        if fields.text("format", max_len=64) != FORMAT:
            from kiosk_protocol.errors import MessageError

            raise MessageError(f"$.format: expected {FORMAT}")
        return cls(
            kiosk_id=fields.text("kiosk_id", KIOSK_ID),
            csr_pem=fields.text("csr_pem", max_len=4096),
            tls_key=CertifiedKey.from_fields(fields.nested("tls_key")),
            attestation_public=fields.binary("attestation_public", 16, 1024),
            evidence_key=CertifiedKey.from_fields(fields.nested("evidence_key")),
            pcr_selection=fields.text("pcr_selection", max_len=80),
            pcr_digest=fields.binary("pcr_digest", 32, 32),
            ek_public=fields.binary("ek_public", 16, 1024),
            ek_certificate=fields.binary("ek_certificate", 64, 8192) if fields.has(
                "ek_certificate") else None,
        )
