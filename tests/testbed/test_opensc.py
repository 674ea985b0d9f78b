"""Acceptance: a client we did not write (OpenSC's jpki driver) reads our virtual card."""

from __future__ import annotations

import hashlib
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from kiosk_testbed.card.layout import Ap
from tests.helpers.virtual_card import InsertedCard

pytestmark = pytest.mark.pcsc


def _run(*args: str) -> str:
    result = subprocess.run(args, capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_opensc_reads_the_atr(card_in_reader: InsertedCard) -> None:
    assert _run("opensc-tool", "--reader", "0", "--atr").strip() == "3b:e0:00:ff:81:31:fe:45:14"


def test_pkcs15_tool_lists_the_jpki_certificates(
    card_in_reader: InsertedCard, test_card: Any
) -> None:
    out = _run("pkcs15-tool", "--reader", "0", "--list-certificates")
    for label in (
        "User Authentication Certificate",
        "Digital Signature Certificate",
        "User Authentication Certificate CA",
        "Digital Signature Certificate CA",
    ):
        assert f"X.509 Certificate [{label}]" in out
    serials = re.findall(r"Encoded serial : 02 [0-9A-F]{2} ([0-9A-F]+)", out)
    assert int(serials[0], 16) == int(test_card.values["auth_serial"], 16)


def test_pkcs15_crypt_signs_with_the_auth_key(
    card_in_reader: InsertedCard, test_card: Any, tmp_path: Path
) -> None:
    message = b"signed by OpenSC through our card"
    (tmp_path / "digest").write_bytes(hashlib.sha256(message).digest())
    _run(
        "pkcs15-crypt",
        "--reader",
        "0",
        "--sign",
        "--key",
        "01",
        "--sha-256",
        "--pkcs1",
        "--pin",
        test_card.values["auth_pin"],
        "--input",
        str(tmp_path / "digest"),
        "--output",
        str(tmp_path / "signature"),
    )
    cert = x509.load_der_x509_certificate(test_card.issued.card_file.files[(Ap.JPKI, 0x000A)])
    public = cert.public_key()
    assert isinstance(public, rsa.RSAPublicKey)
    public.verify(
        (tmp_path / "signature").read_bytes(), message, padding.PKCS1v15(), hashes.SHA256()
    )
