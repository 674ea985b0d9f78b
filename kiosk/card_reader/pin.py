"""PIN handling shared by the three applications: status by empty VERIFY, VERIFY.

Public names: ``PinStatus``, ``PinRule``, ``pin_status``, ``verify``.

A PIN is addressed the way the reference clients do with real cards (OpenSC's jpki driver,
jpki/myna): SELECT EF of the PIN's file id, then VERIFY with P2 = ``80`` (the current EF);
no short-file-id form is ever sent for a PIN, so a card that would misread one can never
count a try against another PIN. The SELECT EF is skipped when the EF is still the current
one (a status read followed by the VERIFY). The empty VERIFY costs no try:
``63Cx`` -> x tries left (x = 0: blocked), ``9000`` -> already verified (so the counter is
full), ``6984`` -> blocked, ``6300`` -> no retry limit.
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
    pattern: str  # a regular expression over the PIN's ASCII bytes
    requirement: str  # human description for errors (no PIN in it)
    max_tries: int

    def check_format(self, pin: bytes | bytearray) -> None:
        # Matched on the caller's buffer itself: decoding it would leave a str copy of the PIN
        # (or of the My Number, which unlocks check code A) that nothing can wipe.
        if re.fullmatch(self.pattern.encode("ascii"), pin) is None:
            raise InvalidPinFormat(f"{self.name}: {self.requirement}")


CURRENT_EF = 0x80  # VERIFY P2: the PIN of the currently selected EF


def _verify_apdu(pin: bytes | bytearray) -> bytearray:
    apdu = bytearray((0x00, 0x20, 0x00, CURRENT_EF))
    if pin:
        if len(pin) > 255:
            raise ValueError("PIN longer than a short APDU carries")
        apdu.append(len(pin))
        apdu += pin
    return apdu


def pin_status(channel: CardChannel, rule: PinRule) -> PinStatus:
    """Empty VERIFY on the PIN of ``rule`` in the currently selected application."""
    channel.select_ef(rule.fid)
    response = channel.transmit_raw(bytes(_verify_apdu(b"")))
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
    channel.select_ef(rule.fid)
    apdu = _verify_apdu(pin)
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
