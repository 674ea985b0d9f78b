"""The authority's side of the card's admin command (docs/card-profile.md §4).

RESET RETRY COUNTER under secure messaging: card-unique keys derived from the admin
master, session keys bound to the card's 16-byte challenge, the new PIN encrypted in DO87,
the command MAC in DO8E; and verification of the card's MAC'd answer (DO99 ‖ DO8E).
Written from the profile's text, independently of the virtual card.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from enum import Enum

from cryptography.hazmat.primitives import cmac, hashes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

CHALLENGE_LENGTH = 16
_INFO_PREFIX = b"kiosk-testbed/admin/v1"
_HEADER = bytes.fromhex("0C2C029B")
_SSC_COMMAND = (1).to_bytes(16, "big")
_SSC_ANSWER = (2).to_bytes(16, "big")
_MAC_LENGTH = 8


class AdminCommandError(ValueError):
    """Wrong input to the command builder (never carries key or PIN material)."""


def card_id_from_serial(serial: int) -> bytes:
    """The auth certificate's serial as the minimal big-endian unsigned byte string."""
    if serial < 0:
        raise AdminCommandError("certificate serial must not be negative")
    return serial.to_bytes(max(1, (serial.bit_length() + 7) // 8), "big")


def _cmac(key: bytes, data: bytes) -> bytes:
    mac = cmac.CMAC(algorithms.AES(key))
    mac.update(data)
    return mac.finalize()


def _pad(data: bytes | bytearray) -> bytearray:
    """ISO/IEC 9797-1 method 2 to a multiple of 16 bytes."""
    padded = bytearray(data) + b"\x80"
    padded.extend(bytes(-len(padded) % 16))
    return padded


@dataclass(frozen=True)
class SessionKeys:
    enc: bytes
    mac: bytes


def session_keys(admin_master: bytes, card_id: bytes, challenge: bytes) -> SessionKeys:
    if len(challenge) != CHALLENGE_LENGTH:
        raise AdminCommandError("card challenge must be 16 bytes")
    card_key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"", info=_INFO_PREFIX + card_id
    ).derive(admin_master)
    k_enc, k_mac = card_key[:16], card_key[16:]
    return SessionKeys(enc=_cmac(k_enc, b"\x01" + challenge), mac=_cmac(k_mac, b"\x02" + challenge))


def build_reset_command(keys: SessionKeys, new_pin: bytearray) -> bytes:
    """`0C 2C 02 9B Lc DO87 DO8E 00`. The padded PIN copy is wiped before returning."""
    padded = _pad(new_pin)
    try:
        # One block, E(K, SSC): the IV rule of the card's secure messaging, not bulk ECB.
        encryptor_ecb = Cipher(algorithms.AES(keys.enc), modes.ECB()).encryptor()  # noqa: S305
        iv = encryptor_ecb.update(_SSC_COMMAND) + encryptor_ecb.finalize()
        encryptor = Cipher(algorithms.AES(keys.enc), modes.CBC(iv)).encryptor()
        encrypted = encryptor.update(padded) + encryptor.finalize()
    finally:
        padded[:] = bytes(len(padded))
    value = b"\x01" + encrypted
    if len(value) > 127:
        raise AdminCommandError("new PIN too long for the command")
    do87 = b"\x87" + bytes([len(value)]) + value
    mac = _cmac(keys.mac, _SSC_COMMAND + bytes(_pad(_HEADER)) + do87)[:_MAC_LENGTH]
    data = do87 + b"\x8e\x08" + mac
    return _HEADER + bytes([len(data)]) + data + b"\x00"


class CardVerdict(Enum):
    """What the card's answer proves."""

    PIN_SET = "pin_set"  # authentic DO99 9000: PIN set, retry counter refilled
    PIN_FORMAT_REJECTED = "pin_format_rejected"  # authentic DO99 6A80: nothing changed
    COMMAND_REFUSED = "command_refused"  # plain error SW (6985 no challenge, 6988 bad MAC, ...)
    NOT_AUTHENTIC = "not_authentic"  # malformed or MAC wrong: nothing can be believed


def verify_answer(keys: SessionKeys, answer: bytes) -> CardVerdict:
    """Judge the card's complete answer (data ‖ SW1 SW2) to the reset command."""
    if len(answer) < 2:
        return CardVerdict.NOT_AUTHENTIC
    body, status = answer[:-2], answer[-2:]
    if status != b"\x90\x00":
        return CardVerdict.COMMAND_REFUSED if not body else CardVerdict.NOT_AUTHENTIC
    if len(body) != 14 or body[0:2] != b"\x99\x02" or body[4:6] != b"\x8e\x08":
        return CardVerdict.NOT_AUTHENTIC
    do99 = body[0:4]
    expected = _cmac(keys.mac, _SSC_ANSWER + do99)[:_MAC_LENGTH]
    if not hmac.compare_digest(expected, body[6:14]):
        return CardVerdict.NOT_AUTHENTIC
    if do99[2:4] == b"\x90\x00":
        return CardVerdict.PIN_SET
    if do99[2:4] == b"\x6a\x80":
        return CardVerdict.PIN_FORMAT_REJECTED
    return CardVerdict.NOT_AUTHENTIC
