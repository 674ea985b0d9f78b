"""A certificate signing request whose signature the TPM makes (the key never leaves it).

``cryptography`` builds CSRs only with a private key it holds, so the request is assembled
here in DER (RFC 2986): CertificationRequestInfo { version 0, subject, subjectPublicKeyInfo,
attributes [0] {} }, signed with ecdsa-with-SHA256.
"""

from __future__ import annotations

from collections.abc import Callable

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID

_ECDSA_WITH_SHA256 = bytes.fromhex("300a06082a8648ce3d040302")


def _der(tag: int, content: bytes) -> bytes:
    size = len(content)
    if size < 0x80:
        length = bytes([size])
    else:
        octets = size.to_bytes((size.bit_length() + 7) // 8, "big")
        length = bytes([0x80 | len(octets)]) + octets
    return bytes([tag]) + length + content


def build_csr(common_name: str, public_key_pem: bytes,
              sign: Callable[[bytes], bytes]) -> x509.CertificateSigningRequest:
    """A CSR for ``CN=common_name`` and the given P-256 public key; ``sign`` returns a DER
    ECDSA/SHA-256 signature over the bytes it is given (done inside the TPM)."""
    public_key = serialization.load_pem_public_key(public_key_pem)
    spki = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]).public_bytes()
    info = _der(0x30, _der(0x02, b"\x00") + subject + spki + _der(0xA0, b""))
    signature = sign(info)
    request = _der(0x30, info + _ECDSA_WITH_SHA256 + _der(0x03, b"\x00" + signature))
    csr = x509.load_der_x509_csr(request)
    if not csr.is_signature_valid:
        raise ValueError("the TPM's signature over the certificate request does not verify")
    return csr
