"""Credential hashing: slow, salted, bound to role and kiosk, and strength rules."""

from __future__ import annotations

import time

import pytest

from kiosk.maintenance import (
    MalformedHashError,
    Role,
    WeakCredentialError,
    hash_credential,
    verify_credential,
)
from kiosk.maintenance.credentials import ScryptCost, check_strength

CHEAP = ScryptCost(log2_n=10)


def b(text: str) -> bytearray:
    return bytearray(text.encode())


def test_real_cost_is_slow_salted_and_verifies() -> None:
    started = time.perf_counter()
    first = hash_credential(Role.STAFF, b("482913"), "k1")
    elapsed = time.perf_counter() - started
    second = hash_credential(Role.STAFF, b("482913"), "k1")
    assert first.startswith("scrypt$ln=15,r=8,p=1$")
    assert first != second  # a fresh salt every time
    assert "482913" not in first
    assert elapsed > 0.02, "scrypt at the default cost should not be fast"
    assert verify_credential(Role.STAFF, b("482913"), "k1", first)
    assert not verify_credential(Role.STAFF, b("482914"), "k1", first)


def test_engineer_hash_is_bound_to_the_kiosk_and_the_role() -> None:
    passphrase = "field-engineer-7Q"
    stored = hash_credential(Role.ENGINEER, b(passphrase), "store-0042", CHEAP)
    assert verify_credential(Role.ENGINEER, b(passphrase), "store-0042", stored)
    assert not verify_credential(Role.ENGINEER, b(passphrase), "store-0043", stored)
    assert not verify_credential(Role.STAFF, b(passphrase), "store-0042", stored)


def test_hashing_wipes_nothing_it_does_not_own_but_returns_no_secret() -> None:
    secret = b("482913")
    stored = hash_credential(Role.STAFF, secret, "k1", CHEAP)
    assert secret == b("482913")  # the caller's buffer is the caller's to wipe
    assert "482913" not in stored


@pytest.mark.parametrize(
    ("role", "text", "rule"),
    [
        (Role.STAFF, "12345", "6 to 16 digits"),
        (Role.STAFF, "12a456", "digits only"),
        (Role.STAFF, "111111", "repeated digit or a run"),
        (Role.STAFF, "234567", "repeated digit or a run"),
        (Role.STAFF, "１２３４５６", "digits only"),  # full-width digits
        (Role.ENGINEER, "short-1", "12 to 64"),
        (Role.ENGINEER, "onlylettersherexx", "mix letters"),
        (Role.ENGINEER, "123456789012345", "mix letters"),
        (Role.ENGINEER, "tab\there-12345", "sign-in screen can type"),
    ],
)
def test_weak_credentials_are_refused(role: Role, text: str, rule: str) -> None:
    with pytest.raises(WeakCredentialError, match=rule):
        hash_credential(role, b(text), "k1", CHEAP)


@pytest.mark.parametrize("stored", [
    "", "scrypt$", "scrypt$ln=15,r=8,p=1$!!$AAAA", "scrypt$ln=40,r=8,p=1$AAAA$AAAA",
    "bcrypt$whatever",
])
def test_malformed_hashes_are_typed_errors(stored: str) -> None:
    with pytest.raises(MalformedHashError):
        verify_credential(Role.STAFF, b("482913"), "k1", stored)


# --- issue 13: credentials that hold -------------------------------------------------------


def test_a_staff_hash_copied_to_another_kiosk_or_role_does_not_verify() -> None:
    from kiosk.maintenance.credentials import ScryptCost as _Cost

    cheap = _Cost(log2_n=10)
    pin = bytearray(b"482913")
    stored = hash_credential(Role.STAFF, bytearray(pin), "store-0042", cheap)
    assert verify_credential(Role.STAFF, bytearray(pin), "store-0042", stored)
    assert not verify_credential(Role.STAFF, bytearray(pin), "store-0043", stored)
    assert not verify_credential(Role.ENGINEER, bytearray(pin), "store-0042", stored)


@pytest.mark.parametrize(("secret", "reason"), [
    ("121212", "pattern"), ("123123", "pattern"), ("19850412", "date"), ("120485", "date"),
    ("114514", "common"), ("111222", "pattern"), ("000000", "repeated"), ("234567", "run"),
])
def test_weak_staff_pins_are_refused_with_a_reason(secret: str, reason: str) -> None:
    with pytest.raises(WeakCredentialError, match=reason):
        check_strength(Role.STAFF, bytearray(secret.encode()))


@pytest.mark.parametrize(("secret", "reason"), [
    ("Password123!!", "common"), ("aaaaaaaaaaa1", "different characters"),
    ("my-store-0042-pass", "kiosk id"),
    # what the sign-in screen cannot take would only ever count as wrong tries
    ("Kiosk-Zugang-\u00e4\u00f6\u00fc-42", "sign-in screen can type"),
    ("Correct-Horse-7-" * 5, "12 to 64 characters"),
])
def test_weak_engineer_passphrases_are_refused_with_a_reason(secret: str, reason: str) -> None:
    from kiosk.maintenance.credentials import ScryptCost as _Cost

    with pytest.raises(WeakCredentialError, match=reason):
        hash_credential(Role.ENGINEER, bytearray(secret.encode()), "store-0042", _Cost(log2_n=10))
