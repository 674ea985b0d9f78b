"""The test authority's folder, certificates, CRLs and issuance records."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from kiosk_testbed.authority import AuthorityError, TestAuthority
from kiosk_testbed.card.card_file import load_card_file
from kiosk_testbed.card.layout import Ap
from kiosk_testbed.persona import make_persona

EXPECTED_FILES = {
    "jpki-auth-ca.crt.pem",
    "jpki-auth-ca.key.pem",
    "jpki-sign-ca.crt.pem",
    "jpki-sign-ca.key.pem",
    "jpki-auth.crl.der",
    "jpki-sign.crl.der",
    "card-face-ca.key.pem",
    "card-face-ca.pub.pem",
    "card-face-ca.keyid",
    "admin-master.key",
    "cards.jsonl",
}


def test_ensure_creates_exactly_the_contract_files(tmp_path: Path) -> None:
    authority = TestAuthority(tmp_path).ensure()
    assert authority.dir == tmp_path / "authority"
    assert {p.name for p in authority.dir.iterdir()} == EXPECTED_FILES
    assert len(authority.admin_master_key_path.read_bytes()) == 32
    assert len(bytes.fromhex(authority.card_face_ca_keyid_path.read_text().strip())) == 16
    for secret in (
        "jpki-auth-ca.key.pem",
        "jpki-sign-ca.key.pem",
        "card-face-ca.key.pem",
        "admin-master.key",
    ):
        assert (authority.dir / secret).stat().st_mode & 0o077 == 0


def test_ensure_never_replaces_material(tmp_path: Path) -> None:
    authority = TestAuthority(tmp_path).ensure()
    before = {p.name: p.read_bytes() for p in authority.dir.iterdir()}
    TestAuthority(tmp_path).ensure()
    assert {p.name: p.read_bytes() for p in authority.dir.iterdir()} == before


def test_default_folder_comes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KIOSK_TESTBED_DIR", str(tmp_path))
    assert TestAuthority().dir == tmp_path / "authority"


@pytest.mark.parametrize(
    "kind, ou", [("auth", "JPKI for user authentication"), ("sign", "JPKI for digital signature")]
)
def test_ca_certificates(testbed_authority: TestAuthority, kind: str, ou: str) -> None:
    path = (
        testbed_authority.auth_ca_cert_path
        if kind == "auth"
        else testbed_authority.sign_ca_cert_path
    )
    cert = x509.load_pem_x509_certificate(path.read_bytes())
    subject = cert.subject
    assert subject == cert.issuer
    assert subject.get_attributes_for_oid(NameOID.COUNTRY_NAME)[0].value == "JP"
    assert subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == "JPKI"
    ous = [a.value for a in subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)]
    assert ous == [ou, "Kiosk Testbed Test CA (not J-LIS)"]
    public = cert.public_key()
    assert isinstance(public, rsa.RSAPublicKey) and public.key_size == 2048
    assert cert.signature_algorithm_oid == x509.SignatureAlgorithmOID.RSA_WITH_SHA256
    assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    cert.verify_directly_issued_by(cert)


def test_issued_certificates(test_card: Any, testbed_authority: TestAuthority) -> None:
    card = load_card_file(test_card.template)
    auth = x509.load_der_x509_certificate(card.files[(Ap.JPKI, 0x000A)])
    sign = x509.load_der_x509_certificate(card.files[(Ap.JPKI, 0x0001)])
    auth.verify_directly_issued_by(testbed_authority.auth_ca_certificate())
    sign.verify_directly_issued_by(testbed_authority.sign_ca_certificate())
    for cert in (auth, sign):
        public = cert.public_key()
        assert isinstance(public, rsa.RSAPublicKey) and public.key_size == 2048
        assert cert.not_valid_after_utc > dt.datetime.now(dt.UTC)
    # the auth certificate carries no personal data
    with pytest.raises(x509.ExtensionNotFound):
        auth.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    assert test_card.values["name"] not in auth.subject.rfc4514_string()
    # the card id is the auth serial as minimal big-endian bytes
    assert int.from_bytes(card.card_id, "big") == auth.serial_number
    assert card.card_id[0] != 0
    usage = sign.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.content_commitment and usage.digital_signature


def test_cards_jsonl_has_no_personal_data(test_card: Any, testbed_authority: TestAuthority) -> None:
    lines = testbed_authority.cards_path.read_text().splitlines()
    record = json.loads(next(line for line in lines if test_card.values["card_id"] in line))
    assert set(record) == {
        "card_id", "auth_serial", "sign_serial", "issued_at", "chip_public_key",
        "card_face_sha256",
    }
    assert record["auth_serial"] == test_card.values["auth_serial"]
    text = testbed_authority.cards_path.read_text()
    # (4-digit PINs cannot be searched for among hex serials)
    for secret in ("my_number", "name", "address", "sign_pin", "collation_b"):
        assert test_card.values[secret] not in text
    assert any(
        r.card_id.hex() == test_card.values["card_id"] for r in testbed_authority.issued_cards()
    )


def test_issuance_record_binds_chip_and_card_face_to_the_auth_certificate(
    test_card: Any, testbed_authority: TestAuthority
) -> None:
    """cards.jsonl links the auth certificate's serial to the chip key (DF24) and to the card
    face DF28 signs: what the backend checks the chip proof and the face evidence against."""
    import base64
    import hashlib

    from cryptography.hazmat.primitives import serialization

    from kiosk.card_reader.card_info import parse_card_face, public_key_sha256
    from kiosk_testbed.card.layout import INFO_CARD_FACE, Ap

    record = next(
        r for r in testbed_authority.issued_cards()
        if r.card_id.hex() == test_card.values["card_id"]
    )
    card_file = test_card.issued.card_file
    chip = serialization.load_pem_private_key(card_file.chip_key_pem, None)
    spki = chip.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert record.chip_public_key == spki
    assert test_card.values["chip_key_sha256"] == hashlib.sha256(spki).hexdigest()
    # the card-face digest is SHA-256 of the message DF28 signs (prefix + three digests)
    face = card_file.files[(Ap.INFO, INFO_CARD_FACE)]
    assert record.card_face_sha256 == test_card.values["card_face_sha256"]
    assert len(record.card_face_sha256) == 64
    line = next(
        json.loads(line) for line in testbed_authority.cards_path.read_text().splitlines()
        if test_card.values["card_id"] in line
    )
    assert base64.b64decode(line["chip_public_key"]) == spki
    # the kiosk's own parser, written apart from the testbed, finds the same digests
    parsed = parse_card_face(face)
    assert hashlib.sha256(parsed.signed_message).hexdigest() == record.card_face_sha256
    assert public_key_sha256(parsed.chip_public_key) == hashlib.sha256(spki).hexdigest()
    # and the virtual card names the same (what simulated kiosks put in the evidence)
    from kiosk_testbed.card.virtual_card import VirtualCard

    assert VirtualCard(card_file).card_face_digests() == (
        record.card_face_sha256, test_card.values["chip_key_sha256"]
    )


def test_expired_certificate_card(issue_test_card: Callable[..., Any]) -> None:
    past = dt.datetime(2024, 3, 31, 23, 59, 59, tzinfo=dt.UTC)
    expired = issue_test_card(cert_not_after=past)
    card = load_card_file(expired.template)
    auth = x509.load_der_x509_certificate(card.files[(Ap.JPKI, 0x000A)])
    assert auth.not_valid_after_utc == past
    assert auth.not_valid_before_utc < past


def test_card_without_sign_certificate(issue_test_card: Callable[..., Any]) -> None:
    issued = issue_test_card(with_sign_cert=False)
    card = load_card_file(issued.template)
    assert (Ap.JPKI, 0x0001) not in card.files
    assert (Ap.JPKI, 0x001B) not in card.pins
    assert card.sign_key_pem is None
    assert card.files[(Ap.JPKI, 0x0008)] == bytes.fromhex("008F00")
    assert issued.values["sign_serial"] is None


def _tiny_jp2() -> bytes:
    gradient = np.tile(np.arange(0, 256, 4, dtype=np.uint8), (64, 1))
    ok, encoded = cv2.imencode(".jp2", gradient)
    assert ok
    return bytes(encoded.tobytes())


def _crl(path: Path, issuer: x509.Certificate) -> x509.CertificateRevocationList:
    crl = x509.load_der_x509_crl(path.read_bytes())
    assert crl.is_signature_valid(issuer.public_key())  # type: ignore[arg-type]
    return crl


def test_revocation_rewrites_the_crls(tmp_path: Path) -> None:
    authority = TestAuthority(tmp_path).ensure()
    first = authority.issue_card(make_persona(), _tiny_jp2())
    second = authority.issue_card(make_persona(), _tiny_jp2())
    assert first.sign_serial is not None and second.sign_serial is not None
    auth_ca, sign_ca = authority.auth_ca_certificate(), authority.sign_ca_certificate()
    assert len(list(_crl(authority.auth_crl_path, auth_ca))) == 0
    authority.revoke(first.card_id, "sign")
    assert len(list(_crl(authority.auth_crl_path, auth_ca))) == 0
    sign_crl = _crl(authority.sign_crl_path, sign_ca)
    assert sign_crl.get_revoked_certificate_by_serial_number(first.sign_serial) is not None
    authority.revoke(second.card_id, "both")
    auth_crl = _crl(authority.auth_crl_path, auth_ca)
    sign_crl = _crl(authority.sign_crl_path, sign_ca)
    assert auth_crl.get_revoked_certificate_by_serial_number(second.auth_serial) is not None
    assert auth_crl.get_revoked_certificate_by_serial_number(first.auth_serial) is None
    assert {r.serial_number for r in sign_crl} == {first.sign_serial, second.sign_serial}
    # refreshing keeps the entries, moves the dates and counts up
    number = sign_crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
    authority.write_crls()
    refreshed = _crl(authority.sign_crl_path, sign_ca)
    assert {r.serial_number for r in refreshed} == {first.sign_serial, second.sign_serial}
    next_update = refreshed.next_update_utc
    assert next_update is not None
    assert (
        dt.timedelta(days=6, hours=23)
        < next_update - dt.datetime.now(dt.UTC)
        <= (dt.timedelta(days=7))
    )
    assert refreshed.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number > number
    with pytest.raises(AuthorityError):
        authority.revoke(b"\x01\x02", "both")


def _ensure_and_read(data_dir: str) -> bytes:
    authority = TestAuthority(data_dir).ensure()
    return authority.auth_ca_cert_path.read_bytes() + authority.admin_master_key_path.read_bytes()


def test_concurrent_first_use_creates_one_authority(tmp_path: Path) -> None:
    import multiprocessing

    with multiprocessing.get_context("fork").Pool(3) as pool:
        results = pool.map(_ensure_and_read, [str(tmp_path)] * 3)
    assert len(set(results)) == 1
    assert {p.name for p in (tmp_path / "authority").iterdir()} == EXPECTED_FILES
