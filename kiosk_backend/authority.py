"""What the backend trusts as the issuing authority: the JPKI auth CA, its CRL, the admin master,
and the issuance records that bind each card's chip and card face to its auth certificate.

Read from the authority folder (the test authority's `<testbed dir>/authority/`):
`jpki-auth-ca.crt.pem`, `jpki-auth.crl.der`, `admin-master.key` (32 raw bytes) and
`cards.jsonl` (one issuance record per line; docs/card-profile.md §6). The CRL and the
issuance records are re-read whenever their file changes, so a revocation or a newly issued
card takes effect without a restart.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import json
import re
import threading
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

AUTH_CA_FILE = "jpki-auth-ca.crt.pem"
AUTH_CRL_FILE = "jpki-auth.crl.der"
ADMIN_MASTER_FILE = "admin-master.key"
CARDS_FILE = "cards.jsonl"
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


class AuthorityError(Exception):
    """The authority folder is missing or holds something unusable."""


class CardCertificateError(Exception):
    """The card's auth certificate is not acceptable; `code` says why (no certificate data)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class CardIdentity:
    """A verified card, without personal data: its serial (for the admin keys) and card_ref."""

    serial: int
    card_ref: str
    public_key: rsa.RSAPublicKey


@dataclass(frozen=True)
class CardRegistration:
    """What the authority recorded at issuance about one card's chip and card face.

    ``chip_key_sha256``: SHA-256 (hex) of the chip key's SubjectPublicKeyInfo DER;
    ``card_face_sha256``: SHA-256 (hex) of the message the card face's DF28 signs.
    """

    chip_public_key: rsa.RSAPublicKey
    chip_key_sha256: str
    card_face_sha256: str


def _registration(record: object) -> tuple[int, CardRegistration] | None:
    """(auth serial, registration) from one cards.jsonl record, None if it lacks the binding."""
    if not isinstance(record, dict):
        return None
    serial, chip, face = (
        record.get("auth_serial"),
        record.get("chip_public_key"),
        record.get("card_face_sha256"),
    )
    if not (isinstance(serial, str) and isinstance(chip, str) and isinstance(face, str)):
        return None
    if not _SHA256_HEX.fullmatch(face):
        return None
    try:
        der = base64.b64decode(chip, validate=True)
        key = serialization.load_der_public_key(der)
        number = int(serial, 16)
    except (ValueError, binascii.Error):
        return None
    if not isinstance(key, rsa.RSAPublicKey) or number < 0:
        return None
    return number, CardRegistration(key, hashlib.sha256(der).hexdigest(), face)


class Authority:
    def __init__(self, directory: Path, card_ref_key: bytes) -> None:
        self.directory = directory
        self._card_ref_key = card_ref_key
        try:
            self._ca = x509.load_pem_x509_certificate((directory / AUTH_CA_FILE).read_bytes())
            master = (directory / ADMIN_MASTER_FILE).read_bytes()
        except (OSError, ValueError) as error:
            raise AuthorityError(
                f"authority folder {directory}: cannot read {AUTH_CA_FILE} or "
                f"{ADMIN_MASTER_FILE} ({type(error).__name__})"
            ) from None
        if len(master) != 32:
            raise AuthorityError(f"{ADMIN_MASTER_FILE} must hold 32 raw bytes")
        self._admin_master = master
        self._crl_lock = threading.Lock()
        self._crl: x509.CertificateRevocationList | None = None
        self._crl_stamp: tuple[int, int] | None = None
        self._cards_lock = threading.Lock()
        self._cards: dict[int, CardRegistration] = {}
        self._cards_stamp: tuple[int, int] | None = None

    @property
    def admin_master(self) -> bytes:
        return self._admin_master

    def card_ref(self, certificate_der: bytes) -> str:
        """A keyed hash of the auth certificate: stable per card, meaningless elsewhere."""
        return hmac.new(self._card_ref_key, certificate_der, hashlib.sha256).hexdigest()

    def _current_crl(self) -> x509.CertificateRevocationList | None:
        path = self.directory / AUTH_CRL_FILE
        try:
            status = path.stat()
        except OSError:
            return None
        stamp = (status.st_mtime_ns, status.st_size)
        with self._crl_lock:
            if stamp != self._crl_stamp:
                try:
                    crl = x509.load_der_x509_crl(path.read_bytes())
                except (OSError, ValueError):
                    crl = None
                if crl is not None and not crl.is_signature_valid(
                    self._ca.public_key()  # type: ignore[arg-type]
                ):
                    crl = None
                self._crl, self._crl_stamp = crl, stamp
            return self._crl

    def registration(self, auth_serial: int) -> CardRegistration | None:
        """The issuance record binding chip and card face to this auth certificate serial."""
        path = self.directory / CARDS_FILE
        try:
            status = path.stat()
        except OSError:
            return None
        stamp = (status.st_mtime_ns, status.st_size)
        with self._cards_lock:
            if stamp != self._cards_stamp:
                cards: dict[int, CardRegistration] = {}
                try:
                    lines = path.read_text("utf-8").splitlines()
                except (OSError, UnicodeDecodeError):
                    lines = []
                for line in lines:
                    try:
                        found = _registration(json.loads(line))
                    except (ValueError, RecursionError):
                        found = None
                    if found is not None:
                        cards[found[0]] = found[1]
                self._cards, self._cards_stamp = cards, stamp
            return self._cards.get(auth_serial)

    def verify_card_certificate(
        self, certificate_der: bytes, now: dt.datetime | None = None
    ) -> CardIdentity:
        """Chain to the JPKI auth CA, validity, revocation. Raises CardCertificateError."""
        now = now or dt.datetime.now(dt.UTC)
        try:
            certificate = x509.load_der_x509_certificate(certificate_der)
        except (ValueError, x509.InvalidVersion):
            raise CardCertificateError(
                "certificate_malformed", "the card certificate cannot be parsed"
            ) from None
        try:
            certificate.verify_directly_issued_by(self._ca)
        except (ValueError, TypeError, InvalidSignature):
            raise CardCertificateError(
                "certificate_untrusted", "the card certificate is not from the JPKI auth CA"
            ) from None
        if not certificate.not_valid_before_utc <= now <= certificate.not_valid_after_utc:
            raise CardCertificateError(
                "certificate_expired", "the card certificate is outside its validity period"
            )
        public_key = certificate.public_key()
        if not isinstance(public_key, rsa.RSAPublicKey):
            raise CardCertificateError(
                "certificate_untrusted", "the card certificate does not hold an RSA key"
            )
        crl = self._current_crl()
        next_update = None if crl is None else crl.next_update_utc
        if crl is None or (next_update is not None and next_update < now):
            raise CardCertificateError(
                "revocation_status_unknown", "the revocation list is missing, invalid or stale"
            )
        if crl.get_revoked_certificate_by_serial_number(certificate.serial_number) is not None:
            raise CardCertificateError("certificate_revoked", "the card certificate is revoked")
        der = certificate.public_bytes(serialization.Encoding.DER)
        return CardIdentity(
            serial=certificate.serial_number, card_ref=self.card_ref(der), public_key=public_key
        )
