"""Checks a kiosk's TPM enrolment request before the operator CA issues its certificate.

Accepted only when:
- the certificate request is signed by its key, names the kiosk, and that key is the TLS key
  whose public area the attestation key (AK) certified: ``fixedTPM | fixedParent |
  sensitiveDataOrigin``, a key made in the TPM that cannot leave it;
- the AK is a restricted, TPM-resident signing key;
- the evidence key, certified by the AK, is TPM-resident, usable only through its policy
  (no ``userWithAuth``), and that policy is TPM2_PolicyPCR over the selection and PCR digest
  the request names: it can sign only in the measured state of enrolment;
- the endorsement key's certificate, when the operator configured TPM manufacturer CAs,
  chains to one of them and certifies the endorsement key in the request.

What is recorded: the EK (SHA-256 of its public area, and of its certificate), the AK, the
evidence key, the PCR selection and digest. Binding the AK to the EK by credential activation
is not done here: the enrolment is trusted to be carried out at the kiosk by an engineer.
"""

from __future__ import annotations

import hashlib

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from kiosk_backend.store import KioskTpmRow
from kiosk_protocol import tpm as tpm_format
from kiosk_protocol.tpm_enrollment import CertifiedKey, TpmEnrollmentRequest

_RESIDENT = (tpm_format.FIXED_TPM, tpm_format.FIXED_PARENT, tpm_format.SENSITIVE_DATA_ORIGIN)


class TpmEnrollmentError(Exception):
    """The request does not prove TPM-held keys; the text says what failed."""


def _public(raw: bytes, what: str) -> tpm_format.TpmPublic:
    try:
        return tpm_format.parse_public(raw)
    except tpm_format.TpmFormatError as error:
        raise TpmEnrollmentError(f"{what}: {error}") from None


def _certified(key: CertifiedKey, ak: tpm_format.TpmPublic, what: str) -> tpm_format.TpmPublic:
    public = _public(key.public, what)
    attest = tpm_format.verify_attestation(ak, key.attest, key.signature)
    if attest is None or attest.type != tpm_format.ST_ATTEST_CERTIFY:
        raise TpmEnrollmentError(f"{what}: the attestation key's certification does not verify")
    if attest.certified_name != public.name:
        raise TpmEnrollmentError(f"{what}: the certification names another key")
    if not public.has(*_RESIDENT, tpm_format.SIGN):
        raise TpmEnrollmentError(f"{what}: not a signing key made in and bound to the TPM")
    return public


def verify_tpm_request(
    request: TpmEnrollmentRequest, vendor_cas: list[x509.Certificate] | None = None
) -> tuple[ec.EllipticCurvePublicKey, KioskTpmRow]:
    """The TLS public key to certify and the TPM identity to record, or TpmEnrollmentError."""
    ak = _public(request.attestation_public, "attestation key")
    if not (ak.has(*_RESIDENT, tpm_format.RESTRICTED, tpm_format.SIGN)
            and ak.lacks(tpm_format.DECRYPT)
            and isinstance(ak.public_key, ec.EllipticCurvePublicKey)):
        raise TpmEnrollmentError("attestation key: not a restricted TPM-resident ECC signing key")
    tls = _certified(request.tls_key, ak, "TLS key")
    evidence = _certified(request.evidence_key, ak, "evidence key")
    if not evidence.lacks(tpm_format.USER_WITH_AUTH, tpm_format.DECRYPT, tpm_format.RESTRICTED):
        raise TpmEnrollmentError("evidence key: must be usable only through its PCR policy")
    try:
        selection = tpm_format.PcrSelection.parse_text(request.pcr_selection)
    except tpm_format.TpmFormatError as error:
        raise TpmEnrollmentError(f"pcr_selection: {error}") from None
    if evidence.auth_policy != tpm_format.pcr_policy_digest(selection, request.pcr_digest):
        raise TpmEnrollmentError("evidence key: its policy is not PolicyPCR over the named PCRs")
    try:
        csr = x509.load_pem_x509_csr(request.csr_pem.encode("ascii"))
    except ValueError:
        raise TpmEnrollmentError("csr_pem: not a certificate request") from None
    names = csr.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    if not csr.is_signature_valid or not names or names[0].value != request.kiosk_id:
        raise TpmEnrollmentError("csr_pem: not signed by its key or not for this kiosk id")
    csr_key = csr.public_key()
    if not isinstance(csr_key, ec.EllipticCurvePublicKey) or _spki(csr_key) != _spki(
            tls.public_key):
        raise TpmEnrollmentError("csr_pem: its key is not the TPM's certified TLS key")
    ek = _public(request.ek_public, "endorsement key")
    ek_certificate_sha256 = _check_ek(ek, request.ek_certificate, vendor_cas)
    row = KioskTpmRow(
        kiosk_id=request.kiosk_id,
        ek_public_sha256=hashlib.sha256(request.ek_public).hexdigest(),
        ek_certificate_sha256=ek_certificate_sha256,
        attestation_public=request.attestation_public,
        evidence_public=request.evidence_key.public,
        pcr_selection=selection.text(),
        pcr_digest=request.pcr_digest,
    )
    return csr_key, row


def _spki(key: object) -> bytes:
    if not isinstance(key, ec.EllipticCurvePublicKey | rsa.RSAPublicKey):
        raise TypeError("not an EC or RSA public key")
    return key.public_bytes(serialization.Encoding.DER,
                            serialization.PublicFormat.SubjectPublicKeyInfo)


def _check_ek(ek: tpm_format.TpmPublic, certificate_der: bytes | None,
              vendor_cas: list[x509.Certificate] | None) -> str | None:
    if certificate_der is None:
        if vendor_cas:
            raise TpmEnrollmentError("the TPM holds no endorsement key certificate")
        return None
    try:
        certificate = x509.load_der_x509_certificate(certificate_der)
    except ValueError:
        raise TpmEnrollmentError("ek_certificate: not a certificate") from None
    if _spki(certificate.public_key()) != _spki(ek.public_key):
        raise TpmEnrollmentError("ek_certificate: certifies another endorsement key")
    if vendor_cas and not any(_issued_by(certificate, ca) for ca in vendor_cas):
        raise TpmEnrollmentError(
            "ek_certificate: not issued by a configured TPM manufacturer CA")
    return hashlib.sha256(certificate_der).hexdigest()


def _issued_by(certificate: x509.Certificate, ca: x509.Certificate) -> bool:
    """One link (EK certificates are issued by the manufacturer's intermediate or root)."""
    key = ca.public_key()
    try:
        if isinstance(key, rsa.RSAPublicKey):
            if certificate.signature_hash_algorithm is None:
                return False
            key.verify(certificate.signature, certificate.tbs_certificate_bytes,
                       padding.PKCS1v15(), certificate.signature_hash_algorithm)
        elif isinstance(key, ec.EllipticCurvePublicKey):
            if certificate.signature_hash_algorithm is None:
                return False
            key.verify(certificate.signature, certificate.tbs_certificate_bytes,
                       ec.ECDSA(certificate.signature_hash_algorithm))
        else:
            return False
    except Exception:
        return False
    return certificate.issuer == ca.subject


def load_vendor_cas(pem: bytes) -> list[x509.Certificate]:
    try:
        return x509.load_pem_x509_certificates(pem)
    except ValueError:
        raise TpmEnrollmentError("TPM manufacturer CA file: not PEM certificates") from None
