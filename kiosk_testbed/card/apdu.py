"""Command APDU parsing (ISO/IEC 7816-4 cases 1–4, short and extended)."""

from __future__ import annotations

from dataclasses import dataclass


class ApduLengthError(ValueError):
    """The bytes are not a well-formed command APDU (answered with 6700)."""


@dataclass(frozen=True, slots=True)
class Command:
    cla: int
    ins: int
    p1: int
    p2: int
    data: bytes
    le: int | None  # Ne: None when absent; 256 / 65536 for a zero Le byte(s)
    extended: bool

    @property
    def le_is_zero_byte(self) -> bool:
        """A short Le of 00 ("up to 256") as opposed to an explicit count."""
        return self.le == 256 and not self.extended

    def __repr__(self) -> str:  # data may hold a PIN
        return (
            f"Command({self.cla:02X} {self.ins:02X} {self.p1:02X} {self.p2:02X}, "
            f"{len(self.data)} data bytes, le={self.le})"
        )


def parse_command(apdu: bytes) -> Command:
    """Parse a command APDU; raises ApduLengthError for any length inconsistency."""
    if len(apdu) < 4:
        raise ApduLengthError("shorter than a header")
    cla, ins, p1, p2 = apdu[0], apdu[1], apdu[2], apdu[3]
    body = apdu[4:]
    if not body:
        return Command(cla, ins, p1, p2, b"", None, False)
    if len(body) == 1:
        return Command(cla, ins, p1, p2, b"", body[0] or 256, False)
    if body[0] != 0:
        lc = body[0]
        if len(body) == 1 + lc:
            return Command(cla, ins, p1, p2, bytes(body[1:]), None, False)
        if len(body) == 2 + lc:
            return Command(cla, ins, p1, p2, bytes(body[1 : 1 + lc]), body[-1] or 256, False)
        raise ApduLengthError("Lc does not match the data")
    # extended: 00 followed by two bytes
    if len(body) < 3:
        raise ApduLengthError("truncated extended length")
    if len(body) == 3:
        le = int.from_bytes(body[1:3], "big") or 65536
        return Command(cla, ins, p1, p2, b"", le, True)
    lc = int.from_bytes(body[1:3], "big")
    if lc == 0:
        raise ApduLengthError("extended Lc of zero")
    if len(body) == 3 + lc:
        return Command(cla, ins, p1, p2, bytes(body[3:]), None, True)
    if len(body) == 5 + lc:
        le = int.from_bytes(body[-2:], "big") or 65536
        return Command(cla, ins, p1, p2, bytes(body[3 : 3 + lc]), le, True)
    raise ApduLengthError("extended Lc does not match the data")
