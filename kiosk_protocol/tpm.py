"""TPM 2.0 structures the backend checks, read without a TPM library (pure Python).

The kiosk's TPM produces them (``kiosk/tpm``); the backend verifies them with ``cryptography``:

- ``TPMT_PUBLIC``: a key's public area. Its *name* (``nameAlg || H(TPMT_PUBLIC)``) is what the
  TPM certifies; its attributes say whether the private part can ever leave the TPM
  (``fixedTPM``) and its ``authPolicy`` whether it may only be used in a given measured state.
- ``TPMS_ATTEST``: what an attestation key signs: a *quote* (PCR selection and the digest of
  their values, with caller-chosen ``extraData``) or a *certify* (the name of another key).
- ``TPMT_SIGNATURE``: an ECDSA signature (r, s).

Only ECC P-256 keys with SHA-256 are accepted for the kiosk's own keys; RSA public areas are
parsed for the endorsement key.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

TPM_GENERATED_VALUE = 0xFF544347
ST_ATTEST_CERTIFY = 0x8017
ST_ATTEST_QUOTE = 0x8018
ALG_RSA = 0x0001
ALG_SHA256 = 0x000B
ALG_NULL = 0x0010
ALG_ECDSA = 0x0018
ALG_ECC = 0x0023
ECC_NIST_P256 = 0x0003
CC_POLICY_PCR = 0x0000017F

# TPMA_OBJECT bits
FIXED_TPM = 1 << 1
FIXED_PARENT = 1 << 4
SENSITIVE_DATA_ORIGIN = 1 << 5
USER_WITH_AUTH = 1 << 6
ADMIN_WITH_POLICY = 1 << 7
RESTRICTED = 1 << 16
DECRYPT = 1 << 17
SIGN = 1 << 18

QUOTE_PURPOSE = b"kiosk-pin-reset/tpm-quote\0"


class TpmFormatError(ValueError):
    """Bytes that are not the TPM structure they claim to be."""


class _Reader:
    def __init__(self, data: bytes) -> None:
        self._data = data
        self._at = 0

    def take(self, count: int) -> bytes:
        if count < 0 or self._at + count > len(self._data):
            raise TpmFormatError("structure ends early")
        chunk = self._data[self._at : self._at + count]
        self._at += count
        return chunk

    def u8(self) -> int:
        return self.take(1)[0]

    def u16(self) -> int:
        value: int = struct.unpack(">H", self.take(2))[0]
        return value

    def u32(self) -> int:
        value: int = struct.unpack(">I", self.take(4))[0]
        return value

    def u64(self) -> int:
        value: int = struct.unpack(">Q", self.take(8))[0]
        return value

    def sized(self) -> bytes:
        return self.take(self.u16())

    def end(self) -> None:
        if self._at != len(self._data):
            raise TpmFormatError("trailing bytes after the structure")


@dataclass(frozen=True)
class PcrSelection:
    """PCR indices of the SHA-256 bank."""

    pcrs: tuple[int, ...]

    def __post_init__(self) -> None:
        if not self.pcrs or any(not 0 <= pcr < 24 for pcr in self.pcrs):
            raise TpmFormatError("PCR indices must be 0 to 23")
        if tuple(sorted(set(self.pcrs))) != self.pcrs:
            raise TpmFormatError("PCR indices must be sorted and unique")

    def marshal(self) -> bytes:
        """TPML_PCR_SELECTION with one SHA-256 selection of 3 bytes."""
        bitmap = bytearray(3)
        for pcr in self.pcrs:
            bitmap[pcr // 8] |= 1 << (pcr % 8)
        return struct.pack(">IHB", 1, ALG_SHA256, 3) + bytes(bitmap)

    def text(self) -> str:
        return "sha256:" + ",".join(str(pcr) for pcr in self.pcrs)

    @classmethod
    def parse_text(cls, text: str) -> PcrSelection:
        bank, _, numbers = text.partition(":")
        if bank != "sha256" or not numbers:
            raise TpmFormatError("PCR selection must read sha256:N,N,...")
        try:
            return cls(tuple(int(number) for number in numbers.split(",")))
        except ValueError:
            raise TpmFormatError("PCR selection must read sha256:N,N,...") from None


def _read_selection(reader: _Reader) -> PcrSelection:
    count = reader.u32()
    pcrs: list[int] = []
    for _ in range(count):
        if reader.u16() != ALG_SHA256:
            raise TpmFormatError("only the SHA-256 PCR bank is accepted")
        size = reader.u8()
        bitmap = reader.take(size)
        pcrs += [i * 8 + bit for i, byte in enumerate(bitmap) for bit in range(8)
                 if byte >> bit & 1]
    return PcrSelection(tuple(sorted(set(pcrs))))


def pcr_digest(values: list[bytes]) -> bytes:
    """The digest a quote and PolicyPCR use: SHA-256 over the selected PCR values in order."""
    return hashlib.sha256(b"".join(values)).digest()


def pcr_policy_digest(selection: PcrSelection, digest_of_pcrs: bytes) -> bytes:
    """The authPolicy of a key usable only while the PCRs hold these values (TPM2_PolicyPCR
    from an empty policy)."""
    return hashlib.sha256(
        bytes(32) + struct.pack(">I", CC_POLICY_PCR) + selection.marshal() + digest_of_pcrs
    ).digest()


@dataclass(frozen=True)
class TpmPublic:
    """A parsed TPMT_PUBLIC (the marshalled bytes are kept: the name hashes them)."""

    raw: bytes
    type: int
    name_alg: int
    attributes: int
    auth_policy: bytes
    public_key: ec.EllipticCurvePublicKey | rsa.RSAPublicKey

    @property
    def name(self) -> bytes:
        if self.name_alg != ALG_SHA256:
            raise TpmFormatError("only SHA-256 names are accepted")
        return struct.pack(">H", self.name_alg) + hashlib.sha256(self.raw).digest()

    def has(self, *bits: int) -> bool:
        return all(self.attributes & bit for bit in bits)

    def lacks(self, *bits: int) -> bool:
        return not any(self.attributes & bit for bit in bits)


def _symmetric(reader: _Reader) -> None:
    if reader.u16() != ALG_NULL:
        reader.u16()  # key bits
        reader.u16()  # mode


def _scheme(reader: _Reader) -> int:
    scheme = reader.u16()
    if scheme != ALG_NULL:
        reader.u16()  # hash algorithm
    return scheme


def parse_public(raw: bytes) -> TpmPublic:
    reader = _Reader(raw)
    kind, name_alg, attributes = reader.u16(), reader.u16(), reader.u32()
    policy = reader.sized()
    key: ec.EllipticCurvePublicKey | rsa.RSAPublicKey
    if kind == ALG_ECC:
        _symmetric(reader)
        _scheme(reader)
        curve = reader.u16()
        if _scheme(reader) != ALG_NULL:  # kdf
            raise TpmFormatError("unexpected KDF")
        x, y = reader.sized(), reader.sized()
        if curve != ECC_NIST_P256 or len(x) > 32 or len(y) > 32:
            raise TpmFormatError("only NIST P-256 ECC keys are accepted")
        try:
            key = ec.EllipticCurvePublicNumbers(
                int.from_bytes(x, "big"), int.from_bytes(y, "big"), ec.SECP256R1()
            ).public_key()
        except ValueError:
            raise TpmFormatError("the ECC point is not on the curve") from None
    elif kind == ALG_RSA:
        _symmetric(reader)
        _scheme(reader)
        bits, exponent = reader.u16(), reader.u32()
        modulus = reader.sized()
        if bits < 2048 or len(modulus) * 8 != bits:
            raise TpmFormatError("RSA keys must have 2048 bits or more")
        key = rsa.RSAPublicNumbers(exponent or 65537, int.from_bytes(modulus, "big")).public_key()
    else:
        raise TpmFormatError("only ECC and RSA keys are accepted")
    reader.end()
    return TpmPublic(raw, kind, name_alg, attributes, policy, key)


@dataclass(frozen=True)
class Attestation:
    """A parsed TPMS_ATTEST: a quote (selection, pcr_digest) or a certify (certified_name)."""

    raw: bytes
    type: int
    extra_data: bytes
    reset_count: int
    restart_count: int
    selection: PcrSelection | None = None
    pcr_digest: bytes | None = None
    certified_name: bytes | None = None


def parse_attestation(raw: bytes) -> Attestation:
    reader = _Reader(raw)
    if reader.u32() != TPM_GENERATED_VALUE:
        raise TpmFormatError("not generated by a TPM (magic)")
    kind = reader.u16()
    reader.sized()  # qualified signer
    extra = reader.sized()
    reader.u64()  # clock
    reset_count, restart_count = reader.u32(), reader.u32()
    reader.u8()  # safe
    reader.u64()  # firmware version
    if kind == ST_ATTEST_QUOTE:
        selection = _read_selection(reader)
        digest = reader.sized()
        reader.end()
        return Attestation(raw, kind, extra, reset_count, restart_count,
                           selection=selection, pcr_digest=digest)
    if kind == ST_ATTEST_CERTIFY:
        name = reader.sized()
        reader.sized()  # qualified name
        reader.end()
        return Attestation(raw, kind, extra, reset_count, restart_count, certified_name=name)
    raise TpmFormatError("only quotes and certifications are accepted")


def parse_ecdsa_signature(raw: bytes) -> bytes:
    """A TPMT_SIGNATURE (ECDSA, SHA-256) as a DER ECDSA signature."""
    reader = _Reader(raw)
    if reader.u16() != ALG_ECDSA or reader.u16() != ALG_SHA256:
        raise TpmFormatError("only ECDSA with SHA-256 signatures are accepted")
    r, s = reader.sized(), reader.sized()
    reader.end()
    return encode_dss_signature(int.from_bytes(r, "big"), int.from_bytes(s, "big"))


def verify_signed(key: TpmPublic, message: bytes, der_signature: bytes) -> bool:
    """Whether ``der_signature`` is ``key``'s ECDSA/SHA-256 signature over ``message``."""
    public = key.public_key
    if not isinstance(public, ec.EllipticCurvePublicKey):
        return False
    try:
        public.verify(der_signature, message, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return False
    return True


def verify_attestation(key: TpmPublic, attest: bytes, signature: bytes) -> Attestation | None:
    """The attestation if ``key`` signed it, else None (also for malformed bytes)."""
    try:
        parsed = parse_attestation(attest)
        der = parse_ecdsa_signature(signature)
    except TpmFormatError:
        return None
    return parsed if verify_signed(key, attest, der) else None


def quote_qualifying_data(transaction_id: str, nonce: bytes, evidence_payload: bytes) -> bytes:
    """What the kiosk's quote must carry as extraData for one transaction: bound to the
    backend's nonce and to the exact evidence it accompanies."""
    return hashlib.sha256(
        QUOTE_PURPOSE
        + transaction_id.encode("ascii")
        + b"\0"
        + nonce
        + hashlib.sha256(evidence_payload).digest()
    ).digest()
