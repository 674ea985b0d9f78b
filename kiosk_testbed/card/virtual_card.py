"""The virtual My Number card: APDU in, response data ‖ SW out (docs/card-profile.md).

Pure and in-process: the vpcd link (``kiosk_testbed.vpcd``) or a test calls ``process``.
Two profiles (docs/card-profile.md §5.1): ``CardProfile.STRICT`` (the default) answers only
the command forms the public reference clients send to real cards (OpenSC's jpki driver,
jpki/myna) and refuses every other form; ``CardProfile.FAST`` also accepts short file ids
(READ BINARY, VERIFY, CHANGE REFERENCE DATA), key references in COMPUTE SIGNATURE's P2 and
extended lengths.
Volatile state (selected AP and EF, verified PINs, a pending challenge or GET RESPONSE data)
lives here; persistent state (PINs, retry counters) is in the ``CardFile`` and is saved
through ``on_change`` after every change. Every input gets a status word, never an exception.
"""

from __future__ import annotations

import hmac
import logging
import secrets
import threading
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from kiosk_testbed.card import layout
from kiosk_testbed.card.apdu import ApduLengthError, Command, parse_command
from kiosk_testbed.card.card_file import (
    CardFile,
    CardFileError,
    load_card_file,
    save_card_file,
)
from kiosk_testbed.card.face_digests import card_face_digests
from kiosk_testbed.card.layout import Ap
from kiosk_testbed.card.rsa_raw import RawRsaKey
from kiosk_testbed.card.secure_messaging import (
    STATUS_BAD_PIN,
    STATUS_OK,
    SecureMessagingError,
    open_reset_command,
    reset_response,
)

log = logging.getLogger(__name__)

SW_OK = 0x9000
SW_END_OF_FILE = 0x6282
SW_WRONG_LENGTH = 0x6700
SW_NOT_COMPATIBLE = 0x6981
SW_SECURITY = 0x6982
SW_BLOCKED = 0x6984
SW_CONDITIONS = 0x6985
SW_NO_CURRENT_EF = 0x6986
SW_SM_WRONG = 0x6988
SW_WRONG_DATA = 0x6A80
SW_NOT_FOUND = 0x6A82
SW_WRONG_P1P2 = 0x6A86
SW_REF_NOT_FOUND = 0x6A88
SW_OFFSET = 0x6B00
SW_INS = 0x6D00
SW_CLA = 0x6E00
SW_INTERNAL = 0x6F00

_CLASSES = {0x00, 0x80, 0x0C}
_INS_SELECT = 0xA4
_INS_READ_BINARY = 0xB0
_INS_VERIFY = 0x20
_INS_CHANGE = 0x24
_INS_RESET_RETRY = 0x2C
_INS_SIGN = 0x2A
_INS_CHALLENGE = 0x84
_INS_GET_RESPONSE = 0xC0
_VALID_CLASS = {
    _INS_SELECT: {0x00},
    _INS_READ_BINARY: {0x00},
    _INS_VERIFY: {0x00},
    _INS_CHANGE: {0x00},
    _INS_RESET_RETRY: {0x00, 0x0C},
    _INS_SIGN: {0x80},
    _INS_CHALLENGE: {0x00},
    _INS_GET_RESPONSE: {0x00},
}
_MAX_DIGEST_INFO = 256 - 11
_CURRENT_EF = 0x80  # P2 of VERIFY / CHANGE REFERENCE DATA / COMPUTE SIGNATURE: the selected EF


class CardProfile(StrEnum):
    """Which command forms the card accepts (see the module docstring)."""

    STRICT = "strict"
    FAST = "fast"


def _sw(status: int, data: bytes = b"") -> bytes:
    return data + status.to_bytes(2, "big")


class VirtualCard:
    """One card. Thread-safe: a lock serialises ``process`` and the power events."""

    def __init__(
        self,
        card: CardFile,
        on_change: Callable[[CardFile], None] | None = None,
        profile: CardProfile = CardProfile.STRICT,
    ):
        self._card = card
        self._on_change = on_change
        self.profile = profile
        pems = {"auth": card.auth_key_pem, "chip": card.chip_key_pem, "sign": card.sign_key_pem}
        try:
            self._keys = {name: RawRsaKey.from_pem(pem) for name, pem in pems.items() if pem}
        except (ValueError, TypeError):
            raise CardFileError("card file holds an unusable private key") from None
        self._lock = threading.RLock()
        self._ap: Ap | None = None
        self._ef: int | None = None
        self._verified: set[int] = set()
        self._challenge: bytes | None = None
        self._pending: bytes = b""
        self.apdu_count = 0

    @classmethod
    def from_path(cls, path: Path, profile: CardProfile = CardProfile.STRICT) -> VirtualCard:
        """Load a card file; every change is written back to it atomically."""
        return cls(
            load_card_file(path), on_change=lambda card: save_card_file(card, path), profile=profile
        )

    @property
    def strict(self) -> bool:
        return self.profile is CardProfile.STRICT

    def card_face_digests(self) -> tuple[str, str]:
        """(card_face_sha256, chip_key_sha256) of this card: what a kiosk that read and checked
        its card face names in the face evidence (for simulated kiosks)."""
        chip = serialization.load_pem_private_key(self._card.chip_key_pem, None)
        if not isinstance(chip, rsa.RSAPrivateKey):
            raise CardFileError("card file holds an unusable chip key")
        return card_face_digests(
            self._card.files[(Ap.INFO, layout.INFO_CARD_FACE)], chip.public_key()
        )

    @property
    def card_file(self) -> CardFile:
        return self._card

    @property
    def card_id(self) -> bytes:
        return self._card.card_id

    def __repr__(self) -> str:
        return f"VirtualCard(card_id={self._card.card_id.hex()})"

    # ---- power ----

    def power_on(self) -> None:
        self._forget()

    def power_off(self) -> None:
        self._forget()

    def reset(self) -> None:
        self._forget()

    def _forget(self) -> None:
        with self._lock:
            self._ap = None
            self._ef = None
            self._verified.clear()
            self._challenge = None
            self._pending = b""

    # ---- APDU entry point ----

    def process(self, apdu: bytes) -> bytes:
        with self._lock:
            self.apdu_count += 1
            challenge, self._challenge = self._challenge, None
            pending, self._pending = self._pending, b""
            try:
                command = parse_command(bytes(apdu))
            except ApduLengthError:
                return _sw(SW_WRONG_LENGTH)
            try:
                return self._dispatch(command, challenge, pending)
            except Exception as error:  # the card answers, it never crashes
                log.error("virtual card internal error: %s", type(error).__name__)
                return _sw(SW_INTERNAL)

    def _dispatch(self, cmd: Command, challenge: bytes | None, pending: bytes) -> bytes:
        if cmd.cla not in _CLASSES:
            return _sw(SW_CLA)
        classes = _VALID_CLASS.get(cmd.ins)
        if classes is None:
            return _sw(SW_INS)
        if cmd.cla not in classes:
            return _sw(SW_CLA)
        if cmd.extended and self.strict:
            return _sw(SW_WRONG_LENGTH)  # no reference client sends extended lengths
        if cmd.ins == _INS_SELECT:
            return self._select(cmd)
        if cmd.ins == _INS_READ_BINARY:
            return self._read_binary(cmd)
        if cmd.ins == _INS_VERIFY:
            return self._verify(cmd)
        if cmd.ins == _INS_CHANGE:
            return self._change(cmd)
        if cmd.ins == _INS_SIGN:
            return self._compute_signature(cmd)
        if cmd.ins == _INS_CHALLENGE:
            return self._get_challenge(cmd)
        if cmd.ins == _INS_GET_RESPONSE:
            return self._get_response(cmd, pending)
        return self._reset_retry_counter(cmd, challenge)

    # ---- helpers ----

    def _changed(self) -> None:
        if self._on_change is not None:
            self._on_change(self._card)

    def _answer(self, data: bytes, cmd: Command) -> bytes:
        """Data for a command whose result is not an EF: 61xx when Le is missing or short."""
        if cmd.le is not None and (cmd.extended or cmd.le >= len(data)):
            return _sw(SW_OK, data)
        sent = data[: cmd.le] if cmd.le is not None else b""
        self._pending = data[len(sent) :]
        return _sw(0x6100 | (len(self._pending) & 0xFF), sent)

    def _pin_ref(self, p2: int) -> tuple[int | None, int]:
        """The PIN EF a VERIFY / CHANGE REFERENCE DATA names, or (None, status)."""
        if p2 == _CURRENT_EF:
            if self._ap is None or self._ef is None or (self._ap, self._ef) not in layout.PIN_RULES:
                return None, SW_NO_CURRENT_EF
            return self._ef, SW_OK
        if self.strict:
            return None, SW_WRONG_P1P2  # a PIN named by its short file id
        if p2 & 0x80 and p2 & 0x1F and not p2 & 0x60:
            fid = p2 & 0x1F
            if self._ap is None or (self._ap, fid) not in self._card.pins:
                return None, SW_REF_NOT_FOUND
            return fid, SW_OK
        return None, SW_WRONG_P1P2

    def _exists(self, ap: Ap, fid: int) -> bool:
        if (ap, fid) in self._card.files or (ap, fid) in self._card.pins:
            return True
        return ap is Ap.JPKI and fid in layout.KEY_EFS and layout.KEY_EFS[fid][0] in self._keys

    # ---- SELECT ----

    def _select(self, cmd: Command) -> bytes:
        if cmd.p1 == 0x04:
            if cmd.p2 != 0x0C:
                return _sw(SW_WRONG_P1P2)
            if not cmd.data:
                return _sw(SW_WRONG_LENGTH)
            ap = layout.AIDS.get(cmd.data)
            if ap is None:
                return _sw(SW_NOT_FOUND)
            if ap is not self._ap:
                self._verified.clear()
            self._ap = ap
            self._ef = None
            return _sw(SW_OK)
        if cmd.p1 == 0x02:
            if cmd.p2 != 0x0C:
                return _sw(SW_WRONG_P1P2)
            if len(cmd.data) != 2:
                return _sw(SW_WRONG_LENGTH)
            fid = int.from_bytes(cmd.data, "big")
            if self._ap is None or not self._exists(self._ap, fid):
                return _sw(SW_NOT_FOUND)
            self._ef = fid
            return _sw(SW_OK)
        return _sw(SW_WRONG_P1P2)

    # ---- READ BINARY ----

    def _read_binary(self, cmd: Command) -> bytes:
        if cmd.data or cmd.le is None:
            return _sw(SW_WRONG_LENGTH)
        if cmd.p1 & 0x80:
            if cmd.p1 & 0x60 or self.strict:
                return _sw(SW_WRONG_P1P2)
            if self._ap is None or not self._exists(self._ap, cmd.p1 & 0x1F):
                return _sw(SW_NOT_FOUND)
            self._ef, offset = cmd.p1 & 0x1F, cmd.p2
        else:
            offset = (cmd.p1 << 8) | cmd.p2
        fid = self._ef
        if self._ap is None or fid is None:
            return _sw(SW_NO_CURRENT_EF)
        key = (self._ap, fid)
        content = self._card.files.get(key)
        if content is None:
            return _sw(SW_NOT_COMPATIBLE)  # a PIN or key EF
        needed = layout.READ_ACCESS.get(key, frozenset())
        if needed and not needed & self._verified:
            return _sw(SW_SECURITY)
        if offset >= len(content):
            return _sw(SW_OFFSET)
        left = len(content) - offset
        if cmd.le <= left:
            return _sw(SW_OK, content[offset : offset + cmd.le])
        if (cmd.extended or cmd.le_is_zero_byte) and not self.strict:
            return _sw(SW_END_OF_FILE, content[offset:])
        return _sw(0x6C00 | left)

    # ---- VERIFY / CHANGE REFERENCE DATA ----

    def _verify(self, cmd: Command) -> bytes:
        if cmd.p1 != 0x00:
            return _sw(SW_WRONG_P1P2)
        fid, status = self._pin_ref(cmd.p2)
        if fid is None or self._ap is None:
            return _sw(status)
        ref = (self._ap, fid)
        rule = layout.PIN_RULES[ref]
        pin = self._card.pins[ref]
        if cmd.le is not None:
            return _sw(SW_WRONG_LENGTH)
        if pin.tries_left == 0:
            return _sw(SW_BLOCKED)
        if not cmd.data:
            return _sw(SW_OK) if fid in self._verified else _sw(0x63C0 | pin.tries_left)
        candidate = _ascii(cmd.data)
        if candidate is None or not rule.pattern.fullmatch(candidate):
            return _sw(SW_WRONG_DATA)
        if hmac.compare_digest(candidate.encode(), pin.value.encode()):
            self._verified.add(fid)
            if pin.tries_left != rule.max_tries:
                pin.tries_left = rule.max_tries
                self._changed()
            return _sw(SW_OK)
        self._verified.discard(fid)
        pin.tries_left -= 1
        self._changed()
        return _sw(0x63C0 | pin.tries_left)

    def _change(self, cmd: Command) -> bytes:
        if cmd.p1 != 0x01:
            return _sw(SW_WRONG_P1P2)
        fid, status = self._pin_ref(cmd.p2)
        if fid is None or self._ap is None:
            return _sw(status)
        ref = (self._ap, fid)
        rule = layout.PIN_RULES[ref]
        pin = self._card.pins[ref]
        if not rule.changeable:
            return _sw(SW_CONDITIONS)
        if pin.tries_left == 0:
            return _sw(SW_BLOCKED)
        if fid not in self._verified:
            return _sw(SW_SECURITY)
        if not cmd.data or cmd.le is not None:
            return _sw(SW_WRONG_LENGTH)
        new_pin = _ascii(cmd.data)
        if new_pin is None or not rule.pattern.fullmatch(new_pin):
            return _sw(SW_WRONG_DATA)
        pin.value = new_pin
        pin.tries_left = rule.max_tries
        self._changed()
        return _sw(SW_OK)

    # ---- COMPUTE SIGNATURE / GET CHALLENGE / GET RESPONSE ----

    def _compute_signature(self, cmd: Command) -> bytes:
        if self._ap is Ap.JPKI:
            if cmd.p1 != 0x00:
                return _sw(SW_WRONG_P1P2)
            if cmd.p2 == _CURRENT_EF:
                if self._ef is None or self._ef not in layout.KEY_EFS:
                    return _sw(SW_NO_CURRENT_EF)
                key_ef = self._ef
            elif cmd.p2 in layout.KEY_BY_P2 and not self.strict:
                key_ef = layout.KEY_BY_P2[cmd.p2]
            else:
                return _sw(SW_WRONG_P1P2)
            key_name, pin_fid = layout.KEY_EFS[key_ef]
            key = self._keys.get(key_name)
            if key is None:
                return _sw(SW_REF_NOT_FOUND)
            if pin_fid not in self._verified:
                return _sw(SW_SECURITY)
        elif self._ap is Ap.INFO:
            if cmd.p1 != 0x00 or cmd.p2 != 0x00:
                return _sw(SW_WRONG_P1P2)
            key = self._keys["chip"]
        else:
            return _sw(SW_INS)
        if not cmd.data or len(cmd.data) > _MAX_DIGEST_INFO:
            return _sw(SW_WRONG_LENGTH)
        return self._answer(key.sign_pkcs1_type1(cmd.data), cmd)

    def _get_challenge(self, cmd: Command) -> bytes:
        if cmd.p1 != 0x00 or cmd.p2 != 0x00:
            return _sw(SW_WRONG_P1P2)
        if cmd.data or cmd.le not in (8, 16):
            return _sw(SW_WRONG_LENGTH)
        self._challenge = secrets.token_bytes(cmd.le)
        return _sw(SW_OK, self._challenge)

    def _get_response(self, cmd: Command, pending: bytes) -> bytes:
        if cmd.p1 != 0x00 or cmd.p2 != 0x00:
            return _sw(SW_WRONG_P1P2)
        if cmd.data or cmd.le is None:
            return _sw(SW_WRONG_LENGTH)
        if not pending:
            return _sw(SW_CONDITIONS)
        if cmd.le > len(pending) and not (cmd.le_is_zero_byte or cmd.extended):
            self._pending = pending
            return _sw(0x6C00 | len(pending))
        sent, rest = pending[: cmd.le], pending[cmd.le :]
        if rest:
            self._pending = rest
            return _sw(0x6100 | (len(rest) & 0xFF), sent)
        return _sw(SW_OK, sent)

    # ---- the admin command (§4) ----

    def _reset_retry_counter(self, cmd: Command, challenge: bytes | None) -> bytes:
        if cmd.cla != 0x0C:
            return _sw(SW_SECURITY)  # only under secure messaging
        if self._ap is not Ap.JPKI:
            return _sw(SW_CONDITIONS)
        if cmd.p1 != 0x02 or cmd.p2 != 0x9B:
            return _sw(SW_WRONG_P1P2)
        pin = self._card.pins.get((Ap.JPKI, layout.JPKI_SIGN_PIN))
        if pin is None:
            return _sw(SW_REF_NOT_FOUND)
        if challenge is None or len(challenge) != 16:
            return _sw(SW_CONDITIONS)
        if not cmd.data:
            return _sw(SW_WRONG_LENGTH)
        try:
            opened = open_reset_command(self._card.k_enc, self._card.k_mac, challenge, cmd.data)
        except SecureMessagingError:
            return _sw(SW_SM_WRONG)
        new_pin = _ascii(opened.new_pin) if opened.new_pin is not None else None
        rule = layout.PIN_RULES[(Ap.JPKI, layout.JPKI_SIGN_PIN)]
        if new_pin is None or not rule.pattern.fullmatch(new_pin):
            return _sw(SW_OK, reset_response(opened.keys, STATUS_BAD_PIN))
        pin.value = new_pin
        pin.tries_left = rule.max_tries
        self._verified.discard(layout.JPKI_SIGN_PIN)
        self._changed()
        return _sw(SW_OK, reset_response(opened.keys, STATUS_OK))


def _ascii(data: bytes) -> str | None:
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError:
        return None
    return text
