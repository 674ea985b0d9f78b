"""Our admin command, RESET RETRY COUNTER under secure messaging (docs/card-profile.md §4).

Both sides live here: the card's checks (used by ``VirtualCard``) and a reference builder and
answer checker (used by the testbed's tests and available to cross-check the backend's own
implementation). The real authority's mechanism is not public; this is our design.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from cryptography.hazmat.primitives import cmac, hashes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from kiosk_testbed.tlv import TlvError, parse_all, tlv

ADMIN_KDF_INFO = b"kiosk-testbed/admin/v1"
BLOCK = 16
SSC_COMMAND = (1).to_bytes(BLOCK, "big")
SSC_RESPONSE = (2).to_bytes(BLOCK, "big")
RESET_HEADER = bytes([0x0C, 0x2C, 0x02, 0x9B])
MAC_LENGTH = 8
STATUS_OK = 0x9000
STATUS_BAD_PIN = 0x6A80


class SecureMessagingError(ValueError):
    """Malformed or unauthenticated secure-messaging data (never quotes key or PIN bytes)."""


def derive_admin_keys(master: bytes, card_id: bytes) -> tuple[bytes, bytes]:
    """(K_ENC, K_MAC) = HKDF-SHA256(master, salt="", info=ADMIN_KDF_INFO ‖ card_id)."""
    if len(master) != 32:
        raise ValueError("admin master secret must be 32 bytes")
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"", info=ADMIN_KDF_INFO + card_id
    ).derive(master)
    return key[:16], key[16:]


def card_id_from_serial(serial: int) -> bytes:
    """The card id: the auth certificate's serial as a minimal big-endian unsigned string."""
    if serial <= 0:
        raise ValueError("certificate serial must be positive")
    return serial.to_bytes((serial.bit_length() + 7) // 8, "big")


def aes_cmac(key: bytes, data: bytes) -> bytes:
    mac = cmac.CMAC(algorithms.AES(key))
    mac.update(data)
    return mac.finalize()


def pad(data: bytes) -> bytes:
    """ISO/IEC 9797-1 method 2: 80 then zeros to a multiple of 16."""
    padded = data + b"\x80"
    return padded + b"\x00" * (-len(padded) % BLOCK)


def unpad(data: bytes) -> bytes | None:
    """Inverse of ``pad``; None when the padding is wrong."""
    stripped = data.rstrip(b"\x00")
    if not stripped or stripped[-1] != 0x80 or len(data) - len(stripped) >= BLOCK:
        return None
    return stripped[:-1]


@dataclass(frozen=True, slots=True)
class SessionKeys:
    enc: bytes
    mac: bytes

    def __repr__(self) -> str:
        return "SessionKeys(<secret>)"

    @classmethod
    def derive(cls, k_enc: bytes, k_mac: bytes, rnd: bytes) -> SessionKeys:
        return cls(aes_cmac(k_enc, b"\x01" + rnd), aes_cmac(k_mac, b"\x02" + rnd))

    def _iv(self) -> bytes:
        # One block, E(K, SSC): the IV rule of secure messaging, not bulk ECB.
        encryptor = Cipher(algorithms.AES(self.enc), modes.ECB()).encryptor()  # noqa: S305
        return encryptor.update(SSC_COMMAND) + encryptor.finalize()

    def encrypt(self, plain: bytes) -> bytes:
        encryptor = Cipher(algorithms.AES(self.enc), modes.CBC(self._iv())).encryptor()
        return encryptor.update(pad(plain)) + encryptor.finalize()

    def decrypt(self, cryptogram: bytes) -> bytes | None:
        """Plaintext without padding, or None when length or padding is wrong."""
        if not cryptogram or len(cryptogram) % BLOCK:
            return None
        decryptor = Cipher(algorithms.AES(self.enc), modes.CBC(self._iv())).decryptor()
        return unpad(decryptor.update(cryptogram) + decryptor.finalize())

    def command_mac(self, do87: bytes) -> bytes:
        return aes_cmac(self.mac, SSC_COMMAND + pad(RESET_HEADER) + do87)[:MAC_LENGTH]

    def response_mac(self, do99: bytes) -> bytes:
        return aes_cmac(self.mac, SSC_RESPONSE + do99)[:MAC_LENGTH]


# ---- host side (what the backend does) ----


def build_reset_command(k_enc: bytes, k_mac: bytes, rnd: bytes, new_pin: bytes) -> bytes:
    """The complete APDU ``0C 2C 02 9B Lc DO87 ‖ DO8E 00`` setting ``new_pin``."""
    keys = SessionKeys.derive(k_enc, k_mac, rnd)
    do87 = tlv(0x87, b"\x01" + keys.encrypt(new_pin))
    body = do87 + tlv(0x8E, keys.command_mac(do87))
    return RESET_HEADER + bytes([len(body)]) + body + b"\x00"


def check_reset_response(k_enc: bytes, k_mac: bytes, rnd: bytes, data: bytes) -> int:
    """The status in DO99 of the card's answer, after checking its MAC."""
    keys = SessionKeys.derive(k_enc, k_mac, rnd)
    try:
        elements = parse_all(data)
    except TlvError:
        raise SecureMessagingError("answer is not TLV") from None
    if [e.tag for e in elements] != [0x99, 0x8E] or len(elements[0].value) != 2:
        raise SecureMessagingError("answer is not DO99 ‖ DO8E")
    if not hmac.compare_digest(elements[1].value, keys.response_mac(elements[0].raw)):
        raise SecureMessagingError("answer MAC is wrong")
    return int.from_bytes(elements[0].value, "big")


# ---- card side ----


@dataclass(frozen=True, slots=True)
class ResetCommand:
    """A reset command whose MAC checked out: the new PIN (None if it did not decrypt)."""

    keys: SessionKeys
    new_pin: bytes | None

    def __repr__(self) -> str:
        return "ResetCommand(<secret>)"


def open_reset_command(k_enc: bytes, k_mac: bytes, rnd: bytes, data: bytes) -> ResetCommand:
    """Check the structure and MAC of DO87 ‖ DO8E and decrypt; raises on a bad MAC."""
    try:
        elements = parse_all(data)
    except TlvError:
        raise SecureMessagingError("command data is not TLV") from None
    if [e.tag for e in elements] != [0x87, 0x8E] or len(elements[1].value) != MAC_LENGTH:
        raise SecureMessagingError("command data is not DO87 ‖ DO8E")
    do87 = elements[0]
    keys = SessionKeys.derive(k_enc, k_mac, rnd)
    if not hmac.compare_digest(elements[1].value, keys.command_mac(do87.raw)):
        raise SecureMessagingError("command MAC is wrong")
    if not do87.value or do87.value[0] != 0x01:
        return ResetCommand(keys, None)
    return ResetCommand(keys, keys.decrypt(do87.value[1:]))


def reset_response(keys: SessionKeys, status: int) -> bytes:
    """DO99 ‖ DO8E for the given status word."""
    do99 = tlv(0x99, status.to_bytes(2, "big"))
    return do99 + tlv(0x8E, keys.response_mac(do99))
