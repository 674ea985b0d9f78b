"""Staff and engineer credentials, stored only as slow salted scrypt hashes.

- Staff: a PIN of 6 to 16 digits that is not guessable (one repeated digit, a run, a repeated
  pattern such as 121212 or 123123, a date such as 19850412 or 120485, or a common PIN).
- Engineer: a passphrase of 12 to 128 characters mixing letters with digits or symbols, with
  at least 8 different characters, not containing the kiosk id, not a common password.

Both are bound to this kiosk and to their role: the hashed message starts with the role's name
and the kiosk id, so a hash copied to another kiosk, or from one role to the other, does not
verify. Hash text: ``scrypt$ln=15,r=8,p=1$<salt>$<hash>`` (base64); parameters travel with
the hash so they can be raised later without invalidating old ones. Comparison is constant
time. Secrets are taken as ``bytearray`` and the derived buffers are wiped; callers wipe theirs.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from kiosk.maintenance.roles import Role

STAFF_PIN_MIN_DIGITS = 6
STAFF_PIN_MAX_DIGITS = 16
ENGINEER_PASSPHRASE_MIN = 12
ENGINEER_PASSPHRASE_MAX = 64
# What the sign-in screen can take: printable ASCII from a USB keyboard (the on-screen one
# has a subset). A passphrase it cannot type would only ever count as wrong tries.
ENGINEER_PASSPHRASE_CHARACTERS = frozenset(chr(code) for code in range(0x20, 0x7F))

_SALT_BYTES = 16
_HASH_BYTES = 32
_MAXMEM = 256 * 1024 * 1024
_FORMAT = re.compile(
    r"scrypt\$ln=(?P<ln>\d{1,2}),r=(?P<r>\d{1,2}),p=(?P<p>\d{1,2})"
    r"\$(?P<salt>[A-Za-z0-9+/=]+)\$(?P<hash>[A-Za-z0-9+/=]+)"
)


class WeakCredentialError(ValueError):
    """The new credential does not meet the rules for its role (text says which rule)."""


class MalformedHashError(ValueError):
    """A stored hash is not in the format this module writes."""


@dataclass(frozen=True, slots=True)
class ScryptCost:
    """scrypt parameters: N = 2**log2_n. The default costs about 0.1 s and 32 MB."""

    log2_n: int = 15
    r: int = 8
    p: int = 1


DEFAULT_COST = ScryptCost()


def check_strength(role: Role, secret: bytearray) -> None:
    """Raise :class:`WeakCredentialError` unless ``secret`` meets the rules for ``role``."""
    try:
        text = secret.decode("utf-8")
    except UnicodeDecodeError:
        raise WeakCredentialError("must be UTF-8 text") from None
    if role is Role.STAFF:
        if not (text.isascii() and text.isdigit()):
            raise WeakCredentialError("the staff PIN must be digits only")
        if not STAFF_PIN_MIN_DIGITS <= len(text) <= STAFF_PIN_MAX_DIGITS:
            raise WeakCredentialError(
                f"the staff PIN must have {STAFF_PIN_MIN_DIGITS} to {STAFF_PIN_MAX_DIGITS} digits")
        if len(set(text)) == 1 or text in "01234567890123456789" or text in "98765432109876543210":
            raise WeakCredentialError(
                "the staff PIN must not be one repeated digit or a run of digits")
        if _repeats_a_pattern(text) or len(set(text)) <= 2:
            raise WeakCredentialError(
                "the staff PIN must not repeat a short pattern (like 121212 or 123123)")
        if _looks_like_a_date(text):
            raise WeakCredentialError("the staff PIN must not be a date (like a birthday)")
        if text in _COMMON_PINS:
            raise WeakCredentialError("the staff PIN is one of the most common PINs")
        return
    if not ENGINEER_PASSPHRASE_MIN <= len(text) <= ENGINEER_PASSPHRASE_MAX:
        raise WeakCredentialError(
            f"the engineer passphrase must have {ENGINEER_PASSPHRASE_MIN} to "
            f"{ENGINEER_PASSPHRASE_MAX} characters")
    if not any(c.isalpha() for c in text) or all(c.isalpha() for c in text):
        raise WeakCredentialError("the engineer passphrase must mix letters with digits or symbols")
    if any(c not in ENGINEER_PASSPHRASE_CHARACTERS for c in text):
        raise WeakCredentialError(
            "the engineer passphrase must use only characters the sign-in screen can type "
            "(ASCII letters, digits, space and symbols)")
    if len(set(text.lower())) < 8:
        raise WeakCredentialError(
            "the engineer passphrase must use at least 8 different characters")
    lowered = text.lower()
    if any(word in lowered for word in _COMMON_WORDS):
        raise WeakCredentialError(
            "the engineer passphrase must not be built on a common password")


def check_not_kiosk_id(secret: bytearray, kiosk_id: str) -> None:
    """Raise :class:`WeakCredentialError` when the secret contains the kiosk's own id."""
    text = secret.decode("utf-8", "replace").lower()
    if len(kiosk_id) >= 4 and kiosk_id.lower() in text:
        raise WeakCredentialError("the credential must not contain the kiosk id")


_COMMON_PINS = frozenset({
    "123123", "112233", "121212", "131313", "147258", "159753", "258369", "369258", "741852",
    "852456", "963852", "102030", "101010", "202020", "696969", "111222", "123321", "654321",
    "123654", "147852", "520520", "520131", "131420", "110110", "114514", "777777", "000123",
})
_COMMON_WORDS = ("password", "passw0rd", "qwerty", "letmein", "welcome", "admin", "123456",
                 "abcdef", "iloveyou", "changeme")


def _repeats_a_pattern(text: str) -> bool:
    return any(len(text) % size == 0 and text == text[:size] * (len(text) // size)
               for size in range(1, len(text) // 2 + 1))


def _looks_like_a_date(text: str) -> bool:
    """YYYYMMDD, DDMMYYYY, MMDDYYYY, YYMMDD, DDMMYY, MMDDYY with plausible values."""
    def valid(year: int, month: int, day: int) -> bool:
        return 1 <= month <= 12 and 1 <= day <= 31 and (year < 100 or 1900 <= year <= 2099)

    if len(text) == 8:
        return (valid(int(text[:4]), int(text[4:6]), int(text[6:]))
                or valid(int(text[4:]), int(text[2:4]), int(text[:2]))
                or valid(int(text[4:]), int(text[:2]), int(text[2:4])))
    if len(text) == 6:
        return (valid(int(text[:2]), int(text[2:4]), int(text[4:]))
                or valid(int(text[4:]), int(text[2:4]), int(text[:2]))
                or valid(int(text[4:]), int(text[:2]), int(text[2:4])))
    return False


def hash_credential(role: Role, secret: bytearray, kiosk_id: str,
                    cost: ScryptCost = DEFAULT_COST) -> str:
    """A new salted hash of ``secret`` for ``role`` (checks its strength first)."""
    check_strength(role, secret)
    check_not_kiosk_id(secret, kiosk_id)
    salt = secrets.token_bytes(_SALT_BYTES)
    digest = _derive(role, secret, kiosk_id, salt, cost)
    try:
        return (f"scrypt$ln={cost.log2_n},r={cost.r},p={cost.p}"
                f"${_b64(salt)}${_b64(bytes(digest))}")
    finally:
        _wipe(digest)


def verify_credential(role: Role, secret: bytearray, kiosk_id: str, stored: str) -> bool:
    """Whether ``secret`` is the credential behind ``stored`` (constant-time comparison)."""
    match = _FORMAT.fullmatch(stored)
    if match is None:
        raise MalformedHashError("not a hash made by `kiosk set-credential`")
    cost = ScryptCost(int(match["ln"]), int(match["r"]), int(match["p"]))
    if not (10 <= cost.log2_n <= 20 and 1 <= cost.r <= 32 and 1 <= cost.p <= 16):
        raise MalformedHashError("scrypt parameters out of range")
    try:
        salt = base64.b64decode(match["salt"], validate=True)
        expected = base64.b64decode(match["hash"], validate=True)
    except binascii.Error:
        raise MalformedHashError("bad base64 in the hash") from None
    digest = _derive(role, secret, kiosk_id, salt, cost)
    try:
        return hmac.compare_digest(bytes(digest), expected)
    finally:
        _wipe(digest)


def _derive(role: Role, secret: bytearray, kiosk_id: str, salt: bytes,
            cost: ScryptCost) -> bytearray:
    # Role and kiosk id are bound into the message, not the salt, so the stored salt stays
    # random and a hash cannot be moved between roles or kiosks.
    binding = (b"kiosk-staff\0" if role is Role.STAFF else b"kiosk-engineer\0") + (
        kiosk_id.encode("utf-8") + b"\0")
    message = bytearray(binding)
    message += secret
    try:
        return bytearray(hashlib.scrypt(
            message, salt=salt, n=2 ** cost.log2_n, r=cost.r, p=cost.p,
            maxmem=_MAXMEM, dklen=_HASH_BYTES,
        ))
    finally:
        _wipe(message)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _wipe(buffer: bytearray) -> None:
    buffer[:] = bytes(len(buffer))
