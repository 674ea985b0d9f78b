"""PIN handling shared by the three applications: status by empty VERIFY, VERIFY.

Public names: ``PinStatus``, ``PinRule``, ``pin_status``, ``verify``.

A PIN EF is addressed with VERIFY P2 = ``80 | FID`` (its short file id), so no SELECT EF is
needed. The empty VERIFY costs no try: ``63Cx`` -> x tries left (x = 0: blocked),
``9000`` -> already verified (so the counter is full), ``6984`` -> blocked,
``6300`` -> no retry limit.
PIN bytes go out in a ``bytearray`` that is wiped after sending; nothing about the PIN is
logged (VERIFY data is always hidden by ``traffic``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kiosk.card_reader.apdu import SW, CardChannel
from kiosk.card_reader.errors import (
    CardError,
    InvalidPinFormat,
    MalformedResponse,
    PinBlocked,
    WrongPin,
)


@dataclass(frozen=True)
class PinStatus:
    """Retry state of one PIN. ``tries_left`` None means the card reports no limit."""

    tries_left: int | None
    blocked: bool
    verified: bool


@dataclass(frozen=True)
class PinRule:
    """Where a PIN lives (its EF id, also its short file id) and what it must look like."""

    name: str
    fid: int
    pattern: str  # a regular expression over the ASCII PIN
    requirement: str  # human description for errors (no PIN in it)
    max_tries: int

    def check_format(self, pin: bytes | bytearray) -> None:
        try:
            text_ok = re.fullmatch(self.pattern, bytes(pin).decode("ascii")) is not None
        except UnicodeDecodeError:
            text_ok = False
        if not text_ok:
            raise InvalidPinFormat(f"{self.name}: {self.requirement}")


def _verify_apdu(fid: int, pin: bytes | bytearray) -> bytearray:
    if not 1 <= fid <= 0x1E:
        raise ValueError("PIN EF must have a short file id")
    apdu = bytearray((0x00, 0x20, 0x00, 0x80 | fid))
    if pin:
        apdu.append(len(pin))
        apdu += pin
    return apdu


def pin_status(channel: CardChannel, rule: PinRule) -> PinStatus:
    """Empty VERIFY on the PIN of ``rule`` in the currently selected application."""
    response = channel.transmit_raw(bytes(_verify_apdu(rule.fid, b"")))
    sw = response.sw
    if sw == SW.OK:  # verified: a correct PIN has reset the counter to its maximum
        return PinStatus(tries_left=rule.max_tries, blocked=False, verified=True)
    if sw == SW.AUTH_METHOD_BLOCKED:
        return PinStatus(tries_left=0, blocked=True, verified=False)
    if sw == SW.NO_LIMIT:
        return PinStatus(tries_left=None, blocked=False, verified=False)
    if sw & 0xFFF0 == 0x63C0:
        tries = sw & 0x0F
        return PinStatus(tries_left=tries, blocked=tries == 0, verified=False)
    if response.data:
        raise MalformedResponse(f"{rule.name} status: unexpected data", sw)
    raise CardError(f"{rule.name} status failed", sw)


def verify(channel: CardChannel, rule: PinRule, pin: bytearray) -> None:
    """VERIFY ``pin`` against ``rule``'s EF; raises WrongPin / PinBlocked / InvalidPinFormat.

    The format is checked first so that a mistyped PIN never costs a try.
    The caller keeps ownership of ``pin`` (and wipes it); the APDU copy is wiped here.
    """
    rule.check_format(pin)
    apdu = _verify_apdu(rule.fid, pin)
    try:
        response = channel.transmit_raw(apdu)
    finally:
        apdu[:] = bytes(len(apdu))
    sw = response.sw
    if sw == SW.OK:
        return
    if sw in (0x63C0, SW.AUTH_METHOD_BLOCKED):
        raise PinBlocked(sw)
    if sw & 0xFFF0 == 0x63C0:
        raise WrongPin(sw & 0x0F, sw)
    if sw == SW.WRONG_DATA:
        raise InvalidPinFormat(f"{rule.name}: {rule.requirement}", sw)
    raise CardError(f"{rule.name} VERIFY failed", sw)
