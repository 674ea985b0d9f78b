"""Card-info AP (券面事項確認AP) session: the card face, its signature and the chip check.

Public names: ``CARD_INFO_AID``, ``CardInfoPin``, ``CardFace``, ``TrustedCardFace``,
``ChipProof``, ``CvCertificate``, ``TrustAnchors``, ``CardInfoSession``, ``build_check_code_b``,
``parse_card_face``, ``parse_cv_certificate``, ``verify_cv_certificate``,
``verify_face_signature``, ``verify_chip_proof``, ``public_key_sha256``, ``sha256_digest_info``,
``FACE_DIGESTS_PREFIX``.

Chip proof: ``sign_with_chip_key(digest_info)`` has the chip sign a SHA-256 DigestInfo with
``80 2A 00 00`` (no credential needed) under its DF24 key. In the resident flow the DigestInfo
names the backend's fresh chip nonce, so the same signature proves the chip to the backend
(which checks it against the chip key the authority registered for the auth certificate) and,
here, to the kiosk. Nothing card-chosen is signed: a recorded answer is worth nothing later.

Flow: ``unlock_with_my_number`` (照合番号A) or ``unlock_with_check_code_b`` (照合番号B, built by
``build_check_code_b`` from birth date, expiry year and security code), then
``read_trusted_card_face(anchors, chip_proof)`` which reads EF 0002 (card face) and EF 0004
(CV certificate) and returns a ``TrustedCardFace`` only when all three checks pass:
1. the CV certificate's 5F37 signature verifies under the trust anchor named by its issuer
   key id (RSASSA-PKCS1-v1_5-SHA256 over the complete 5F4E TLV);
2. DF28 is the PKCS#1 v1.5 signature, by the CV certificate's key, of
   ``FACE_DIGESTS_PREFIX || SHA256(DF22||DF23||DF24) || SHA256(DF25||DF26) || SHA256(DF27)``
   (complete TLVs; the message is padded verbatim, no further hashing);
3. ``chip_proof`` (made earlier in the same session) verifies under the DF24 key; without one
   the chip signs a fresh random value the kiosk chose.
Any failure raises ``CardFaceInvalid``. The trusted face names its card-face digest
(SHA-256 of the message DF28 signs) and chip-key digest (SHA-256 of the DF24 key's
SubjectPublicKeyInfo DER), which the face evidence carries to the backend. Reprs hide every
personal value.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from kiosk.card_reader import pin as pins
from kiosk.card_reader import tlv
from kiosk.card_reader.apdu import SW, CardChannel, CommandApdu
from kiosk.card_reader.era import era_yymmdd
from kiosk.card_reader.errors import CardError, CardFaceInvalid, ChipMismatch, MalformedResponse
from kiosk.card_reader.jpki import SHA256_DIGEST_INFO_PREFIX
from kiosk.card_reader.pin import PinStatus

CARD_INFO_AID = bytes.fromhex("D3921000310001010402")
EF_CARD_FACE = 0x0002
EF_CV_CERTIFICATE = 0x0004
TAG_CARD_FACE = 0xFF20
FACE_DIGESTS_PREFIX = bytes.fromhex("3071300d060960864801650304020105000460")
KEY_ID_LENGTH = 16
LOCAL_CHALLENGE_LENGTH = 32
MIN_RSA_BITS = 2048
CHIP_SIGNATURE = (0x80, 0x2A, 0x00, 0x00)  # INTERNAL AUTHENTICATE-like signature, chip key


def sha256_digest_info(message: bytes) -> bytes:
    """The DER DigestInfo { sha256, SHA-256(message) } a card signs with PKCS#1 v1.5."""
    return SHA256_DIGEST_INFO_PREFIX + hashlib.sha256(message).digest()


def public_key_sha256(key: rsa.RSAPublicKey) -> str:
    """SHA-256 (hex) of a key's SubjectPublicKeyInfo DER: the chip-key digest."""
    spki = key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(spki).hexdigest()


class CardInfoPin:
    CHECK_CODE_B = pins.PinRule("check code B", 0x12, r"[0-9]{14}", "14 digits", 10)
    CHECK_CODE_A = pins.PinRule("check code A", 0x13, r"[0-9]{12}", "12 digits", 10)


def build_check_code_b(birth_date: dt.date, expiry_year: int, security_code: str) -> bytearray:
    """照合番号B: era YYMMDD of the birth date, Gregorian expiry year, 4-digit security code."""
    if not 1000 <= expiry_year <= 9999:
        raise ValueError("expiry year must have 4 digits")
    if len(security_code) != 4 or not security_code.isascii() or not security_code.isdigit():
        raise ValueError("security code must be 4 digits")
    return bytearray(f"{era_yymmdd(birth_date)}{expiry_year:04d}{security_code}", "ascii")


def _rsa_key(n: bytes, e: bytes, what: str) -> rsa.RSAPublicKey:
    try:
        key = rsa.RSAPublicNumbers(int.from_bytes(e, "big"), int.from_bytes(n, "big")).public_key()
    except (ValueError, UnsupportedAlgorithm):
        raise MalformedResponse(f"{what}: not a valid RSA public key") from None
    if key.key_size < MIN_RSA_BITS:
        raise MalformedResponse(f"{what}: RSA key shorter than {MIN_RSA_BITS} bits")
    return key


@dataclass(frozen=True, repr=False)
class CardFace:
    """EF 0002 of the card-info AP, parsed but not yet trusted. Repr hides everything."""

    birth_date: str = field(repr=False)  # DF22
    sex: str = field(repr=False)  # DF23
    chip_public_key: rsa.RSAPublicKey = field(repr=False)  # DF24
    name_image: bytes = field(repr=False)  # DF25, PNG
    address_image: bytes = field(repr=False)  # DF26, PNG
    photo: bytes = field(repr=False)  # DF27, JPEG 2000
    signature: bytes = field(repr=False)  # DF28
    expiry: str = field(repr=False)  # DF29, YYYYMMDD (not signed)
    security_code_image: bytes = field(repr=False)  # DF2A, PNG (not signed)
    signed_message: bytes = field(repr=False)  # what DF28 must sign, from the raw TLVs

    def __repr__(self) -> str:
        return "CardFace(<hidden>)"


@dataclass(frozen=True, repr=False)
class TrustedCardFace:
    """A card face whose CV certificate, DF28 signature and chip proof all passed.

    Only ``CardInfoSession.read_trusted_card_face`` creates these.
    """

    face: CardFace
    issuer_key_id: bytes
    subject_key_id: bytes

    @property
    def card_face_sha256(self) -> str:
        """SHA-256 (hex) of the message DF28 signs: names this card face and nothing else."""
        return hashlib.sha256(self.face.signed_message).hexdigest()

    @property
    def chip_key_sha256(self) -> str:
        """SHA-256 (hex) of the DF24 chip key's SubjectPublicKeyInfo DER."""
        return public_key_sha256(self.face.chip_public_key)

    def __repr__(self) -> str:
        return f"TrustedCardFace(issuer_key_id={self.issuer_key_id.hex()})"


@dataclass(frozen=True)
class ChipProof:
    """What the chip signed (a SHA-256 DigestInfo) and its signature."""

    digest_info: bytes
    signature: bytes = field(repr=False)


def verify_chip_proof(proof: ChipProof, chip_key: rsa.RSAPublicKey) -> None:
    """The signature must be the chip key's over exactly ``proof.digest_info``."""
    try:
        recovered = chip_key.recover_data_from_signature(proof.signature, padding.PKCS1v15(), None)
    except (InvalidSignature, ValueError):
        raise ChipMismatch("chip signature does not verify: another chip, or a clone") from None
    if not hmac.compare_digest(recovered, proof.digest_info):
        raise ChipMismatch("chip signature covers other data: a replay, or a clone")


@dataclass(frozen=True)
class CvCertificate:
    """EF 0004: ``7F21 { 5F4E { 42 issuer id, 5F20 subject id, 7F49 {81 n, 82 e} }, 5F37 }``."""

    issuer_key_id: bytes
    subject_key_id: bytes
    public_key: rsa.RSAPublicKey = field(repr=False)
    signed_part: bytes = field(repr=False)  # the complete 5F4E TLV
    signature: bytes = field(repr=False)


def _text(item: tlv.Tlv, what: str) -> str:
    try:
        return item.value.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedResponse(f"card face {what} is not text") from None


def parse_card_face(raw: bytes) -> CardFace:
    outer = tlv.parse_single(raw, TAG_CARD_FACE)
    tags = (0xDF22, 0xDF23, 0xDF24, 0xDF25, 0xDF26, 0xDF27, 0xDF28, 0xDF29, 0xDF2A)
    fields = tlv.index(tlv.parse_all(outer.value), required=tags)
    key_parts = tlv.index(tlv.parse_all(fields[0xDF24].value), required=(0x90, 0x91))
    digests = (
        hashlib.sha256(fields[0xDF22].raw + fields[0xDF23].raw + fields[0xDF24].raw).digest(),
        hashlib.sha256(fields[0xDF25].raw + fields[0xDF26].raw).digest(),
        hashlib.sha256(fields[0xDF27].raw).digest(),
    )
    return CardFace(
        birth_date=_text(fields[0xDF22], "birth date"),
        sex=_text(fields[0xDF23], "sex"),
        chip_public_key=_rsa_key(key_parts[0x91].value, key_parts[0x90].value, "chip key"),
        name_image=fields[0xDF25].value,
        address_image=fields[0xDF26].value,
        photo=fields[0xDF27].value,
        signature=fields[0xDF28].value,
        expiry=_text(fields[0xDF29], "expiry"),
        security_code_image=fields[0xDF2A].value,
        signed_message=FACE_DIGESTS_PREFIX + b"".join(digests),
    )


def parse_cv_certificate(raw: bytes) -> CvCertificate:
    outer = tlv.parse_single(raw, 0x7F21)
    parts = tlv.index(tlv.parse_all(outer.value), required=(0x5F4E, 0x5F37))
    body = tlv.index(tlv.parse_all(parts[0x5F4E].value), required=(0x42, 0x5F20, 0x7F49))
    key = tlv.index(tlv.parse_all(body[0x7F49].value), required=(0x81, 0x82))
    issuer, subject = body[0x42].value, body[0x5F20].value
    if len(issuer) != KEY_ID_LENGTH or len(subject) != KEY_ID_LENGTH:
        raise MalformedResponse("CV certificate key ids must be 16 bytes")
    return CvCertificate(
        issuer_key_id=issuer,
        subject_key_id=subject,
        public_key=_rsa_key(key[0x81].value, key[0x82].value, "CV certificate key"),
        signed_part=parts[0x5F4E].raw,
        signature=parts[0x5F37].value,
    )


class TrustAnchors:
    """Card-face CA public keys, looked up by their 16-byte key id."""

    def __init__(self) -> None:
        self._keys: dict[bytes, rsa.RSAPublicKey] = {}

    def add(self, key_id: bytes, key: rsa.RSAPublicKey) -> None:
        if len(key_id) != KEY_ID_LENGTH:
            raise ValueError("a key id has 16 bytes")
        self._keys[bytes(key_id)] = key

    def add_pem(self, pem: bytes, key_id: bytes) -> None:
        """Adds a PEM ``PUBLIC KEY`` (SubjectPublicKeyInfo) or an X.509 certificate's key."""
        key: object
        if b"CERTIFICATE" in pem:
            key = x509.load_pem_x509_certificate(pem).public_key()
        else:
            key = serialization.load_pem_public_key(pem)
        if not isinstance(key, rsa.RSAPublicKey):
            raise ValueError("card-face CA key must be RSA")
        self.add(key_id, key)

    @classmethod
    def from_pem_file(cls, path: Path, key_id_hex: str) -> TrustAnchors:
        anchors = cls()
        anchors.add_pem(path.read_bytes(), bytes.fromhex(key_id_hex))
        return anchors

    def get(self, key_id: bytes) -> rsa.RSAPublicKey | None:
        return self._keys.get(bytes(key_id))

    def __len__(self) -> int:
        return len(self._keys)


def verify_cv_certificate(cert: CvCertificate, anchors: TrustAnchors) -> rsa.RSAPublicKey:
    """Returns the certified card-face signer key, or raises ``CardFaceInvalid``."""
    anchor = anchors.get(cert.issuer_key_id)
    if anchor is None:
        raise CardFaceInvalid(f"unknown issuer key id {cert.issuer_key_id.hex()}")
    try:
        anchor.verify(cert.signature, cert.signed_part, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        raise CardFaceInvalid("CV certificate signature does not verify") from None
    return cert.public_key


def verify_face_signature(face: CardFace, signer: rsa.RSAPublicKey) -> None:
    """Checks DF28 over the three digests; raises ``CardFaceInvalid``."""
    try:
        recovered = signer.recover_data_from_signature(face.signature, padding.PKCS1v15(), None)
    except (InvalidSignature, ValueError):
        raise CardFaceInvalid("card face signature (DF28) does not verify") from None
    if not hmac.compare_digest(recovered, face.signed_message):
        raise CardFaceInvalid("card face signature (DF28) covers other data")


class CardInfoSession:
    """Operations of the card-info AP; see the module docstring."""

    def __init__(self, channel: CardChannel) -> None:
        self.channel = channel

    def select(self, *, force: bool = False) -> None:
        self.channel.select_application(CARD_INFO_AID, force=force)

    def check_code_status(self, rule: pins.PinRule = CardInfoPin.CHECK_CODE_A) -> PinStatus:
        self.select()
        return pins.pin_status(self.channel, rule)

    def unlock_with_my_number(self, my_number: bytearray) -> None:
        """照合番号A: the 12-digit My Number."""
        self.select()
        pins.verify(self.channel, CardInfoPin.CHECK_CODE_A, my_number)

    def unlock_with_check_code_b(self, code: bytearray) -> None:
        """照合番号B: 14 digits, see ``build_check_code_b``."""
        self.select()
        pins.verify(self.channel, CardInfoPin.CHECK_CODE_B, code)

    def read_card_face(self) -> CardFace:
        """EF 0002, parsed but NOT verified; use ``read_trusted_card_face`` to trust it."""
        self.select()
        return parse_card_face(self.channel.read_ef_tlv(EF_CARD_FACE, sensitive=True))

    def read_cv_certificate(self) -> CvCertificate:
        self.select()
        return parse_cv_certificate(self.channel.read_ef_tlv(EF_CV_CERTIFICATE))

    def sign_with_chip_key(self, digest_info: bytes) -> ChipProof:
        """The chip signs ``digest_info`` with its DF24 key (``80 2A 00 00``, no credential)."""
        if not digest_info or len(digest_info) > 255:
            raise ValueError("DigestInfo must be 1-255 bytes")
        self.select()
        response = self.channel.transceive(CommandApdu(*CHIP_SIGNATURE, digest_info, le=256))
        if response.sw != SW.OK:
            raise CardError("chip signature failed", response.sw)
        if not response.data:
            raise MalformedResponse("empty chip signature")
        return ChipProof(digest_info, response.data)

    def authenticate_chip(self, chip_key: rsa.RSAPublicKey) -> ChipProof:
        """The chip must sign a random value the kiosk chose now; else ``CardFaceInvalid``."""
        proof = self.sign_with_chip_key(
            sha256_digest_info(secrets.token_bytes(LOCAL_CHALLENGE_LENGTH))
        )
        verify_chip_proof(proof, chip_key)
        return proof

    def read_trusted_card_face(
        self, anchors: TrustAnchors, chip_proof: ChipProof | None = None
    ) -> TrustedCardFace:
        """Reads and checks the card face (see the module docstring); needs 照合番号A or B.

        ``chip_proof``: the chip's signature made earlier in this session (over the backend's
        nonce); None has the chip sign a fresh random value instead.
        """
        face = self.read_card_face()
        cert = self.read_cv_certificate()
        signer = verify_cv_certificate(cert, anchors)
        verify_face_signature(face, signer)
        if chip_proof is None:
            self.authenticate_chip(face.chip_public_key)
        else:
            verify_chip_proof(chip_proof, face.chip_public_key)
        return TrustedCardFace(face, cert.issuer_key_id, cert.subject_key_id)
