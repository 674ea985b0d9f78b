"""Verbatim PKCS#1 v1.5 type-1 signing: both paths give the standard signature."""

from __future__ import annotations

import hashlib

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from kiosk_testbed.card.rsa_raw import MessageTooLongError, RawRsaKey


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.mark.parametrize(
    "algorithm, prefix",
    [
        (hashes.SHA1(), "3021300906052b0e03021a05000414"),  # noqa: S303 (a DigestInfo case)
        (hashes.SHA256(), "3031300d060960864801650304020105000420"),
        (hashes.SHA512(), "3051300d060960864801650304020305000440"),
    ],
)
def test_digest_infos_sign_like_cryptography(
    key: rsa.RSAPrivateKey, algorithm: hashes.HashAlgorithm, prefix: str
) -> None:
    digest = hashlib.new(algorithm.name, b"data").digest()
    signature = RawRsaKey(key).sign_pkcs1_type1(bytes.fromhex(prefix) + digest)
    key.public_key().verify(signature, b"data", padding.PKCS1v15(), algorithm)


@pytest.mark.parametrize(
    "message",
    [b"\x01", b"x" * 115, b"y" * 245, bytes.fromhex("3031300d060960864801650304020105000420")],
)
def test_other_messages_take_the_crt_path(key: rsa.RSAPrivateKey, message: bytes) -> None:
    signature = RawRsaKey(key).sign_pkcs1_type1(message)
    assert len(signature) == 256
    recovered = key.public_key().recover_data_from_signature(signature, padding.PKCS1v15(), None)
    assert recovered == message


def test_too_long(key: rsa.RSAPrivateKey) -> None:
    with pytest.raises(MessageTooLongError):
        RawRsaKey(key).sign_pkcs1_type1(bytes(246))
