"""The test authority: test JPKI CAs, CRLs, the card-face CA, the admin master secret, and
the issuance of virtual cards. Everything lives in ``<data-dir>/authority/`` (file names are
part of the contract with the reference backend; see docs/card-profile.md §5).

Not J-LIS: every CA name says "Kiosk Testbed Test CA (not J-LIS)".
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import os
import secrets
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from kiosk_testbed import card_face
from kiosk_testbed.card import layout
from kiosk_testbed.card.card_file import CardFile, PinState, save_card_file
from kiosk_testbed.card.layout import Ap
from kiosk_testbed.card.rsa_raw import RawRsaKey
from kiosk_testbed.card.secure_messaging import card_id_from_serial, derive_admin_keys
from kiosk_testbed.mynumber import era_year
from kiosk_testbed.persona import Persona

Which = Literal["auth", "sign", "both"]

TEST_CA_OU = "Kiosk Testbed Test CA (not J-LIS)"
AUTH_CA_OU = "JPKI for user authentication"
SIGN_CA_OU = "JPKI for digital signature"
CRL_VALIDITY = dt.timedelta(days=7)
CA_VALIDITY = dt.timedelta(days=20 * 365)
CERT_VALIDITY = dt.timedelta(days=5 * 365)
TOKEN_LABEL = b"JPKIAPICCTOKEN2"
_JPKI_SAN = "1.2.392.200149.8.5.5."
_ERA_DIGIT = {"大正": "2", "昭和": "3", "平成": "4", "令和": "5"}


class AuthorityError(RuntimeError):
    """The authority folder is unusable, or a card is unknown to it."""


def default_data_dir() -> Path:
    env = os.environ.get("KIOSK_TESTBED_DIR")
    if env:
        return Path(env)
    return Path.home() / ".local" / "share" / "kiosk-testbed"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def _new_rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _write_atomic(path: Path, data: bytes, mode: int = 0o644) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _utf8_string(text: str) -> bytes:
    """DER UTF8String (the value of a JPKI subjectAltName otherName)."""
    raw = text.encode()
    if len(raw) < 0x80:
        return b"\x0c" + bytes([len(raw)]) + raw
    length = len(raw).to_bytes((len(raw).bit_length() + 7) // 8, "big")
    return b"\x0c" + bytes([0x80 | len(length)]) + length + raw


@dataclass(frozen=True, slots=True)
class IssuedCardRecord:
    """One line of cards.jsonl (no personal data). ``chip_public_key`` (SubjectPublicKeyInfo
    DER of the card-info AP's DF24 key) and ``card_face_sha256`` (SHA-256 of the message DF28
    signs) bind the card face and the chip to the auth certificate; None in records written
    before the binding existed."""

    card_id: bytes
    auth_serial: int
    sign_serial: int | None
    issued_at: str
    chip_public_key: bytes | None = None
    card_face_sha256: str | None = None


@dataclass(frozen=True, slots=True)
class IssuedCard:
    card_file: CardFile
    persona: Persona
    card_id: bytes
    auth_serial: int
    sign_serial: int | None
    cert_not_after: dt.datetime
    # The binding the authority recorded (cards.jsonl): digests of the card face and chip key.
    card_face_sha256: str = ""
    chip_key_sha256: str = ""

    def __repr__(self) -> str:
        return f"IssuedCard(card_id={self.card_id.hex()})"

    def write(self, path: Path) -> None:
        save_card_file(self.card_file, path)

    def values(self) -> dict[str, object]:
        """Everything a test needs to use the card (personal data of a synthetic person)."""
        p = self.persona
        return {
            "card_id": self.card_id.hex(),
            "auth_serial": format(self.auth_serial, "x"),
            "sign_serial": format(self.sign_serial, "x") if self.sign_serial else None,
            "cert_not_after": self.cert_not_after.isoformat(),
            "card_face_sha256": self.card_face_sha256,
            "chip_key_sha256": self.chip_key_sha256,
            "auth_pin": p.auth_pin,
            "sign_pin": p.sign_pin,
            "text_pin": p.text_pin,
            "my_number": p.my_number,
            "collation_a": p.my_number,
            "collation_b": p.collation_b,
            "name": p.name,
            "address": p.address,
            "birth_date": p.birth_date.isoformat(),
            "sex": p.sex,
            "expiry": p.expiry.isoformat(),
            "security_code": p.security_code,
        }


class TestAuthority:
    """The test authority rooted at ``<data_dir>/authority``. Call ``ensure()`` first (the
    issuing methods do it themselves)."""

    __test__ = False  # not a pytest test class

    def __init__(self, data_dir: Path | str | None = None) -> None:
        self.data_dir = Path(data_dir) if data_dir is not None else default_data_dir()
        self.dir = self.data_dir / "authority"

    def __repr__(self) -> str:
        return f"TestAuthority({str(self.dir)!r})"

    # ---- file paths (the contract) ----
    @property
    def auth_ca_cert_path(self) -> Path:
        return self.dir / "jpki-auth-ca.crt.pem"

    @property
    def auth_ca_key_path(self) -> Path:
        return self.dir / "jpki-auth-ca.key.pem"

    @property
    def sign_ca_cert_path(self) -> Path:
        return self.dir / "jpki-sign-ca.crt.pem"

    @property
    def sign_ca_key_path(self) -> Path:
        return self.dir / "jpki-sign-ca.key.pem"

    @property
    def auth_crl_path(self) -> Path:
        return self.dir / "jpki-auth.crl.der"

    @property
    def sign_crl_path(self) -> Path:
        return self.dir / "jpki-sign.crl.der"

    @property
    def card_face_ca_key_path(self) -> Path:
        return self.dir / "card-face-ca.key.pem"

    @property
    def card_face_ca_pub_path(self) -> Path:
        return self.dir / "card-face-ca.pub.pem"

    @property
    def card_face_ca_keyid_path(self) -> Path:
        return self.dir / "card-face-ca.keyid"

    @property
    def admin_master_key_path(self) -> Path:
        return self.dir / "admin-master.key"

    @property
    def cards_path(self) -> Path:
        return self.dir / "cards.jsonl"

    # ---- creation ----

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """Serialise changes across processes (lock file beside, not inside, the folder)."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with (self.data_dir / ".authority.lock").open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def ensure(self) -> TestAuthority:
        """Create whatever is missing; existing material is never replaced."""
        with self._locked():
            self._ensure_unlocked()
        return self

    def _ensure_unlocked(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        for kind in ("auth", "sign"):
            cert_path, key_path = self._ca_paths(kind)
            if not (cert_path.exists() and key_path.exists()):
                self._create_ca(kind)
        if not (
            self.card_face_ca_key_path.exists()
            and self.card_face_ca_pub_path.exists()
            and self.card_face_ca_keyid_path.exists()
        ):
            key = _new_rsa_key()
            _write_atomic(self.card_face_ca_key_path, _pem(key), 0o600)
            _write_atomic(
                self.card_face_ca_pub_path,
                key.public_key().public_bytes(
                    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
                ),
            )
            _write_atomic(
                self.card_face_ca_keyid_path, (secrets.token_bytes(16).hex() + "\n").encode()
            )
        if not self.admin_master_key_path.exists():
            _write_atomic(self.admin_master_key_path, secrets.token_bytes(32), 0o600)
        if not self.cards_path.exists():
            _write_atomic(self.cards_path, b"")
        if not (self.auth_crl_path.exists() and self.sign_crl_path.exists()):
            self._write_crls_unlocked()

    def _ca_paths(self, kind: str) -> tuple[Path, Path]:
        if kind == "auth":
            return self.auth_ca_cert_path, self.auth_ca_key_path
        return self.sign_ca_cert_path, self.sign_ca_key_path

    def _create_ca(self, kind: str) -> None:
        key = _new_rsa_key()
        name = x509.Name(
            [
                x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "JPKI"),
                x509.NameAttribute(
                    NameOID.ORGANIZATIONAL_UNIT_NAME, AUTH_CA_OU if kind == "auth" else SIGN_CA_OU
                ),
                x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, TEST_CA_OU),
            ]
        )
        now = _now()
        public = key.public_key()
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(public)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + CA_VALIDITY)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=False,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
            .sign(key, hashes.SHA256())
        )
        cert_path, key_path = self._ca_paths(kind)
        _write_atomic(key_path, _pem(key), 0o600)
        _write_atomic(cert_path, cert.public_bytes(serialization.Encoding.PEM))

    # ---- loading ----

    def _load_ca(self, kind: str) -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
        cert_path, key_path = self._ca_paths(kind)
        try:
            cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
            key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        except (OSError, ValueError) as error:
            raise AuthorityError(f"cannot load the {kind} CA: {type(error).__name__}") from None
        if not isinstance(key, rsa.RSAPrivateKey):
            raise AuthorityError(f"the {kind} CA key is not RSA")
        return cert, key

    def auth_ca_certificate(self) -> x509.Certificate:
        return self._load_ca("auth")[0]

    def sign_ca_certificate(self) -> x509.Certificate:
        return self._load_ca("sign")[0]

    def card_face_ca_key(self) -> rsa.RSAPrivateKey:
        key = serialization.load_pem_private_key(self.card_face_ca_key_path.read_bytes(), None)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise AuthorityError("the card-face CA key is not RSA")
        return key

    def card_face_ca_key_id(self) -> bytes:
        key_id = bytes.fromhex(self.card_face_ca_keyid_path.read_text().strip())
        if len(key_id) != 16:
            raise AuthorityError("card-face CA key id is not 16 bytes")
        return key_id

    def admin_master(self) -> bytes:
        master = self.admin_master_key_path.read_bytes()
        if len(master) != 32:
            raise AuthorityError("admin master secret is not 32 bytes")
        return master

    def admin_keys_for(self, card_id: bytes) -> tuple[bytes, bytes]:
        """(K_ENC, K_MAC) of a card (profile §4)."""
        return derive_admin_keys(self.admin_master(), card_id)

    def issued_cards(self) -> list[IssuedCardRecord]:
        records = []
        for line in self.cards_path.read_text().splitlines():
            if not line.strip():
                continue
            doc = json.loads(line)
            sign = doc.get("sign_serial")
            chip = doc.get("chip_public_key")
            records.append(
                IssuedCardRecord(
                    bytes.fromhex(doc["card_id"]),
                    int(doc["auth_serial"], 16),
                    int(sign, 16) if sign else None,
                    doc["issued_at"],
                    base64.b64decode(chip) if chip else None,
                    doc.get("card_face_sha256"),
                )
            )
        return records

    # ---- issuance ----

    def issue_card(
        self,
        persona: Persona,
        photo_jp2: bytes,
        *,
        cert_not_after: dt.datetime | None = None,
        with_sign_cert: bool = True,
    ) -> IssuedCard:
        """Keys, certificates and EF contents of a new card; recorded in cards.jsonl."""
        self.ensure()
        auth_ca, auth_ca_key = self._load_ca("auth")
        sign_ca, sign_ca_key = self._load_ca("sign")
        now = _now()
        if cert_not_after is None:
            expiry_end = dt.datetime.combine(persona.expiry, dt.time(23, 59, 59), dt.UTC)
            cert_not_after = min(now + CERT_VALIDITY, expiry_end)
        not_before = min(now - dt.timedelta(days=1), cert_not_after - CERT_VALIDITY)

        auth_key, chip_key, signer_key = _new_rsa_key(), _new_rsa_key(), _new_rsa_key()
        auth_serial = x509.random_serial_number()
        card_id = card_id_from_serial(auth_serial)
        auth_cert = self._end_entity(
            auth_ca,
            auth_ca_key,
            auth_key.public_key(),
            serial=auth_serial,
            not_before=not_before,
            not_after=cert_not_after,
            sign=False,
            persona=None,
        )
        sign_key: rsa.RSAPrivateKey | None = None
        sign_cert: x509.Certificate | None = None
        sign_serial: int | None = None
        if with_sign_cert:
            sign_key = _new_rsa_key()
            sign_serial = x509.random_serial_number()
            sign_cert = self._end_entity(
                sign_ca,
                sign_ca_key,
                sign_key.public_key(),
                serial=sign_serial,
                not_before=not_before,
                not_after=cert_not_after,
                sign=True,
                persona=persona,
            )
        der = serialization.Encoding.DER
        card_face_ef, card_face_message = card_face.card_face_ef_and_signed_message(
            persona, chip_key.public_key(), photo_jp2, RawRsaKey.from_private_key(signer_key)
        )
        files: dict[tuple[Ap, int], bytes] = {
            (Ap.JPKI, layout.JPKI_SIGN_CA_CERT): sign_ca.public_bytes(der),
            (Ap.JPKI, layout.JPKI_TOKEN_INFO): TOKEN_LABEL.ljust(32, b" ").ljust(160, b"\x00"),
            (Ap.JPKI, layout.JPKI_CERT_PRESENCE): bytes([0x8F if sign_cert else 0x00, 0x8F, 0x00]),
            (Ap.JPKI, layout.JPKI_AUTH_CERT): auth_cert.public_bytes(der),
            (Ap.JPKI, layout.JPKI_AUTH_CA_CERT): auth_ca.public_bytes(der),
            (Ap.TEXT, layout.TEXT_MY_NUMBER): card_face.text_my_number_ef(persona),
            (Ap.TEXT, layout.TEXT_BASIC_INFO): card_face.text_basic_info_ef(persona),
            (Ap.INFO, layout.INFO_CARD_FACE): card_face_ef,
            (Ap.INFO, layout.INFO_CV_CERT): card_face.cv_certificate(
                self.card_face_ca_key(), self.card_face_ca_key_id(), signer_key.public_key()
            ),
        }
        if sign_cert is not None:
            files[(Ap.JPKI, layout.JPKI_SIGN_CERT)] = sign_cert.public_bytes(der)
        collation_b = persona.collation_b
        pins = {
            (Ap.JPKI, layout.JPKI_AUTH_PIN): persona.auth_pin,
            (Ap.TEXT, layout.TEXT_PIN): persona.text_pin,
            (Ap.TEXT, layout.TEXT_COLLATION_A): persona.my_number,
            (Ap.TEXT, layout.TEXT_COLLATION_B): collation_b,
            (Ap.INFO, layout.INFO_COLLATION_A): persona.my_number,
            (Ap.INFO, layout.INFO_COLLATION_B): collation_b,
        }
        if with_sign_cert:
            pins[(Ap.JPKI, layout.JPKI_SIGN_PIN)] = persona.sign_pin
        k_enc, k_mac = self.admin_keys_for(card_id)
        card = CardFile(
            card_id=card_id,
            k_enc=k_enc,
            k_mac=k_mac,
            auth_key_pem=_pem(auth_key),
            sign_key_pem=_pem(sign_key) if sign_key else None,
            chip_key_pem=_pem(chip_key),
            files=files,
            pins={
                ref: PinState(value, layout.PIN_RULES[ref].max_tries) for ref, value in pins.items()
            },
        )
        chip_spki = chip_key.public_key().public_bytes(
            der, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        card_face_sha256 = hashlib.sha256(card_face_message).hexdigest()
        record = {
            "card_id": card_id.hex(),
            "auth_serial": format(auth_serial, "x"),
            "sign_serial": format(sign_serial, "x") if sign_serial else None,
            "issued_at": now.isoformat(),
            # The binding of card face, chip and auth certificate (docs/card-profile.md §6).
            "chip_public_key": base64.b64encode(chip_spki).decode("ascii"),
            "card_face_sha256": card_face_sha256,
        }
        with self._locked(), self.cards_path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(record) + "\n")
        return IssuedCard(
            card,
            persona,
            card_id,
            auth_serial,
            sign_serial,
            cert_not_after,
            card_face_sha256=card_face_sha256,
            chip_key_sha256=hashlib.sha256(chip_spki).hexdigest(),
        )

    def _end_entity(
        self,
        ca_cert: x509.Certificate,
        ca_key: rsa.RSAPrivateKey,
        public: rsa.RSAPublicKey,
        *,
        serial: int,
        not_before: dt.datetime,
        not_after: dt.datetime,
        sign: bool,
        persona: Persona | None,
    ) -> x509.Certificate:
        subject = x509.Name(
            [
                x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
                x509.NameAttribute(NameOID.COMMON_NAME, format(serial, "X")[:32]),
            ]
        )
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(ca_cert.subject)
            .public_key(public)
            .serial_number(serial)
            .not_valid_before(not_before)
            .not_valid_after(not_after)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=sign,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=False,
                    crl_sign=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                critical=False,
            )
        )
        if sign and persona is not None:
            era, _ = era_year(persona.birth_date)
            dob = _ERA_DIGIT[era] + persona.birth_date.strftime("%Y%m%d")
            names: list[x509.GeneralName] = [
                x509.OtherName(x509.ObjectIdentifier(_JPKI_SAN + "1"), _utf8_string(persona.name)),
                x509.OtherName(x509.ObjectIdentifier(_JPKI_SAN + "3"), _utf8_string(persona.sex)),
                x509.OtherName(x509.ObjectIdentifier(_JPKI_SAN + "4"), _utf8_string(dob)),
                x509.OtherName(
                    x509.ObjectIdentifier(_JPKI_SAN + "5"), _utf8_string(persona.address)
                ),
            ]
            builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
        return builder.sign(ca_key, hashes.SHA256())

    # ---- revocation ----

    def revoke(self, card_id: bytes, which: Which = "both") -> list[int]:
        """Revoke a card's auth and/or sign certificate; rewrites the CRLs. Returns serials."""
        self.ensure()
        record = next((r for r in self.issued_cards() if r.card_id == card_id), None)
        if record is None:
            raise AuthorityError(f"card {card_id.hex()} was not issued by this authority")
        revoked: dict[str, set[int]] = {"auth": set(), "sign": set()}
        if which in ("auth", "both"):
            revoked["auth"].add(record.auth_serial)
        if which in ("sign", "both") and record.sign_serial is not None:
            revoked["sign"].add(record.sign_serial)
        with self._locked():
            self._write_crls_unlocked(extra=revoked)
        return sorted(revoked["auth"] | revoked["sign"])

    def revoked_serials(self, kind: Literal["auth", "sign"]) -> dict[int, dt.datetime]:
        path = self.auth_crl_path if kind == "auth" else self.sign_crl_path
        if not path.exists():
            return {}
        crl = x509.load_der_x509_crl(path.read_bytes())
        return {entry.serial_number: entry.revocation_date_utc for entry in crl}

    def write_crls(self) -> None:
        """Re-sign both CRLs with the serials already revoked; nextUpdate 7 days ahead."""
        with self._locked():
            self._write_crls_unlocked()

    def _write_crls_unlocked(self, extra: dict[str, set[int]] | None = None) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        now = _now()
        for kind in ("auth", "sign"):
            crl_path = self.auth_crl_path if kind == "auth" else self.sign_crl_path
            ca_cert, ca_key = self._load_ca(kind)
            entries = self.revoked_serials("auth" if kind == "auth" else "sign")
            for serial in (extra or {}).get(kind, set()):
                entries.setdefault(serial, now)
            number = 1
            if crl_path.exists():
                old = x509.load_der_x509_crl(crl_path.read_bytes())
                with contextlib.suppress(x509.ExtensionNotFound):
                    previous = old.extensions.get_extension_for_class(x509.CRLNumber).value
                    number = previous.crl_number + 1
            builder = (
                x509.CertificateRevocationListBuilder()
                .issuer_name(ca_cert.subject)
                .last_update(now)
                .next_update(now + CRL_VALIDITY)
                .add_extension(x509.CRLNumber(number), critical=False)
                .add_extension(
                    x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                    critical=False,
                )
            )
            for serial, when in sorted(entries.items()):
                builder = builder.add_revoked_certificate(
                    x509.RevokedCertificateBuilder()
                    .serial_number(serial)
                    .revocation_date(when)
                    .build()
                )
            crl = builder.sign(ca_key, hashes.SHA256())
            _write_atomic(crl_path, crl.public_bytes(serialization.Encoding.DER))
