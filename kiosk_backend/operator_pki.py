"""The operator's PKI, kept in the server's data folder and made on first start.

- operator CA (ECDSA P-256): signs the server's TLS certificate and every kiosk's certificate;
- server certificate for localhost / 127.0.0.1 / ::1;
- the PIN-encryption key (P-256, published to kiosks for the new-PIN envelope);
- the card-reference key (HMAC key that turns an auth certificate into a non-personal id).
Private keys are written with mode 0600.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import os
import re
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

KIOSK_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_CA_YEARS = 10
_LEAF_DAYS = 825


class PkiError(Exception):
    """The operator PKI files are missing, unreadable or inconsistent."""


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _write_private(path: Path, data: bytes) -> None:
    """Mode 0600 on a new inode, then renamed over the target: an existing file's looser mode
    (or a link planted in its place) is never inherited."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.fchmod(descriptor, 0o600)
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _load_key(path: Path) -> ec.EllipticCurvePrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError) as error:
        raise PkiError(f"cannot read key {path.name}: {type(error).__name__}") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise PkiError(f"{path.name}: expected an EC private key")
    return key


def _load_certificate(path: Path) -> x509.Certificate:
    try:
        return x509.load_pem_x509_certificate(path.read_bytes())
    except (OSError, ValueError) as error:
        raise PkiError(f"cannot read certificate {path.name}: {type(error).__name__}") from None


def certificate_sha256(certificate: x509.Certificate) -> str:
    return hashlib.sha256(certificate.public_bytes(serialization.Encoding.DER)).hexdigest()


def _leaf_builder(
    subject: str, issuer: x509.Certificate, public_key: ec.EllipticCurvePublicKey, days: int
) -> x509.CertificateBuilder:
    now = _now()
    return (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(issuer.subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
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
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(
                issuer.public_key()  # type: ignore[arg-type]
            ),
            critical=False,
        )
    )


@dataclass(frozen=True)
class IssuedKiosk:
    kiosk_id: str
    certificate: x509.Certificate
    key: ec.EllipticCurvePrivateKey


class OperatorPki:
    """The PKI files under `<data dir>/pki/`."""

    def __init__(self, data_dir: Path) -> None:
        self.directory = data_dir / "pki"
        self.ca_certificate_path = self.directory / "operator-ca.crt.pem"
        self.ca_key_path = self.directory / "operator-ca.key.pem"
        self.server_certificate_path = self.directory / "server.crt.pem"
        self.server_key_path = self.directory / "server.key.pem"
        self.pin_key_path = self.directory / "pin-encryption.key.pem"
        self.card_ref_key_path = self.directory / "card-ref.key"

    def ensure(self) -> None:
        """Create whatever is missing (first start); leave existing files alone."""
        if not self.ca_certificate_path.exists():
            self._make_ca()
        if not self.server_certificate_path.exists():
            self._make_server_certificate()
        if not self.pin_key_path.exists():
            _write_private(self.pin_key_path, _key_pem(ec.generate_private_key(ec.SECP256R1())))
        if not self.card_ref_key_path.exists():
            _write_private(self.card_ref_key_path, secrets.token_bytes(32))

    def _make_ca(self) -> None:
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name(
            [
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Kiosk reference backend"),
                x509.NameAttribute(NameOID.COMMON_NAME, "Kiosk operator CA"),
            ]
        )
        now = _now()
        certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=365 * _CA_YEARS))
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
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
            )
            .sign(key, hashes.SHA256())
        )
        _write_private(self.ca_key_path, _key_pem(key))
        self.ca_certificate_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))

    def _make_server_certificate(self) -> None:
        ca_certificate, ca_key = self.ca()
        key = ec.generate_private_key(ec.SECP256R1())
        names: list[x509.GeneralName] = [
            x509.DNSName("localhost"),
            x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
            x509.IPAddress(ipaddress.ip_address("::1")),
        ]
        certificate = (
            _leaf_builder("kiosk-backend", ca_certificate, key.public_key(), _LEAF_DAYS)
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(ca_key, hashes.SHA256())
        )
        _write_private(self.server_key_path, _key_pem(key))
        self.server_certificate_path.write_bytes(
            certificate.public_bytes(serialization.Encoding.PEM)
        )

    def ca(self) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
        return _load_certificate(self.ca_certificate_path), _load_key(self.ca_key_path)

    def ca_certificate(self) -> x509.Certificate:
        return _load_certificate(self.ca_certificate_path)

    def pin_key(self) -> ec.EllipticCurvePrivateKey:
        return _load_key(self.pin_key_path)

    def card_ref_key(self) -> bytes:
        try:
            key = self.card_ref_key_path.read_bytes()
        except OSError as error:
            raise PkiError(f"cannot read card-ref.key: {type(error).__name__}") from None
        if len(key) != 32:
            raise PkiError("card-ref.key must hold 32 bytes")
        return key

    def issue_kiosk(self, kiosk_id: str, days: int = _LEAF_DAYS) -> IssuedKiosk:
        """A client certificate (CN = kiosk id, EKU clientAuth) and its new P-256 key
        (testbeds: the key is a file; real kiosks use `issue_kiosk_certificate`)."""
        key = ec.generate_private_key(ec.SECP256R1())
        certificate = self.issue_kiosk_certificate(kiosk_id, key.public_key(), days)
        return IssuedKiosk(kiosk_id=kiosk_id, certificate=certificate, key=key)

    def issue_kiosk_certificate(
        self, kiosk_id: str, public_key: ec.EllipticCurvePublicKey, days: int = _LEAF_DAYS
    ) -> x509.Certificate:
        """A client certificate for a key the kiosk holds (in its TPM)."""
        if not KIOSK_ID_PATTERN.fullmatch(kiosk_id):
            raise PkiError("kiosk id: 1-64 of A-Z a-z 0-9 . _ - starting with a letter or digit")
        ca_certificate, ca_key = self.ca()
        return (
            _leaf_builder(kiosk_id, ca_certificate, public_key, days)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
            .sign(ca_key, hashes.SHA256())
        )

    def kiosk_crl(self, revoked: list[int]) -> bytes:
        """A CRL (PEM) of the operator CA listing `revoked` kiosk certificate serials."""
        ca_certificate, ca_key = self.ca()
        now = _now()
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(ca_certificate.subject)
            .last_update(now - dt.timedelta(minutes=5))
            .next_update(now + dt.timedelta(days=1))
        )
        for serial in revoked:
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder()
                .serial_number(serial)
                .revocation_date(now - dt.timedelta(minutes=5))
                .build()
            )
        return builder.sign(ca_key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)

    def write_kiosk_bundle(self, issued: IssuedKiosk, out_dir: Path) -> dict[str, Path]:
        """kiosk.crt.pem, kiosk.key.pem (0600) and operator-ca.crt.pem in `out_dir`."""
        paths = self.write_certificate_bundle(issued.certificate, out_dir)
        paths["key"] = out_dir / "kiosk.key.pem"
        _write_private(paths["key"], _key_pem(issued.key))
        return paths

    def write_certificate_bundle(
        self, certificate: x509.Certificate, out_dir: Path
    ) -> dict[str, Path]:
        """kiosk.crt.pem and operator-ca.crt.pem in `out_dir` (a TPM kiosk's key stays in it)."""
        out_dir.mkdir(parents=True, exist_ok=True)
        paths = {"certificate": out_dir / "kiosk.crt.pem", "ca": out_dir / "operator-ca.crt.pem"}
        paths["certificate"].write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
        paths["ca"].write_bytes(self.ca_certificate_path.read_bytes())
        return paths
