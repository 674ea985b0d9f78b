"""Typed errors of the card layer.

Public names (stable): ``CardError`` (base, carries ``sw`` when a status word caused it),
``WrongPin`` (``attempts_left``), ``PinBlocked``, ``InvalidPinFormat``,
``SecurityStatusNotSatisfied``, ``CardRemoved``, ``CardUnresponsive``, ``ReaderUnavailable``,
``ReaderBusy``, ``NotAMyNumberCard``, ``MalformedResponse``, ``CardFaceInvalid``,
``ChipMismatch``.

Messages describe what went wrong in terms of the card and the protocol only: they never
contain a PIN, a My Number or any other personal data, and no caller may put such data in.
"""

# The names are part of the agreed interface (issue 2), hence no "Error" suffix.
# ruff: noqa: N818

from __future__ import annotations

SW_MEANINGS = {
    0x6282: "end of file reached",
    0x6300: "verification failed",
    0x6700: "wrong length",
    0x6981: "command incompatible with the file",
    0x6982: "security status not satisfied",
    0x6984: "reference data blocked",
    0x6985: "conditions of use not satisfied",
    0x6986: "no current EF",
    0x6987: "secure messaging data objects missing",
    0x6988: "secure messaging data objects incorrect",
    0x6A80: "incorrect data",
    0x6A81: "function not supported",
    0x6A82: "file or application not found",
    0x6A86: "incorrect P1-P2",
    0x6A88: "referenced data not found",
    0x6B00: "offset beyond the end of the file",
    0x6D00: "instruction not supported",
    0x6E00: "class not supported",
    0x6F00: "card internal error",
}


def format_sw(sw: int) -> str:
    """A status word as hex with its meaning, e.g. ``6A82: file or application not found``."""
    sw &= 0xFFFF
    if sw & 0xFFF0 == 0x63C0:
        return f"{sw:04X}: wrong, {sw & 0x0F} tries left"
    meaning = SW_MEANINGS.get(sw)
    return f"{sw:04X}: {meaning}" if meaning else f"{sw:04X}"


class CardError(Exception):
    """Base of every card-layer error; ``sw`` is the status word that caused it, if any."""

    def __init__(self, message: str, sw: int | None = None) -> None:
        if sw is not None:
            message = f"{message} (SW {format_sw(sw)})"
        super().__init__(message)
        self.sw = sw


class WrongPin(CardError):
    """The card rejected a PIN (or 照合番号); ``attempts_left`` tries remain (at least 1)."""

    def __init__(self, attempts_left: int, sw: int | None = None) -> None:
        super().__init__(f"wrong PIN, {attempts_left} attempt(s) left", sw)
        self.attempts_left = attempts_left


class PinBlocked(CardError):
    """The PIN is blocked: the try that caused it (63C0) or any try after it (6984)."""

    def __init__(self, sw: int | None = None) -> None:
        super().__init__("PIN blocked", sw)


class InvalidPinFormat(CardError):
    """The PIN does not have the format the card expects; no try was spent."""

    def __init__(self, requirement: str, sw: int | None = None) -> None:
        super().__init__(f"PIN format rejected: {requirement}", sw)


class SecurityStatusNotSatisfied(CardError):
    """The command needs a verification that has not happened in this application (6982)."""

    def __init__(self, what: str, sw: int | None = 0x6982) -> None:
        super().__init__(f"{what}: security status not satisfied", sw)


class CardRemoved(CardError):
    """The card left the reader (or was reset / powered off) before the command completed."""

    def __init__(self, detail: str = "card removed") -> None:
        super().__init__(detail)


class CardUnresponsive(CardError):
    """A card is present but does not answer (inserted the wrong way round, dirty, broken)."""

    def __init__(self, detail: str = "card does not respond") -> None:
        super().__init__(detail)


class ReaderUnavailable(CardError):
    """No PC/SC service, or the named reader does not exist (any more)."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)


class ReaderBusy(CardError):
    """Another process holds the card (exclusive access refused)."""

    def __init__(self, detail: str = "card is in use by another process") -> None:
        super().__init__(detail)


class NotAMyNumberCard(CardError):
    """The card lacks at least one of the three My Number card applications."""

    def __init__(self, detail: str, sw: int | None = None) -> None:
        super().__init__(f"not a My Number card: {detail}", sw)


class MalformedResponse(CardError):
    """The card's answer breaks the protocol (too short, bad TLV, endless chaining ...)."""

    def __init__(self, detail: str, sw: int | None = None) -> None:
        super().__init__(f"malformed card response: {detail}", sw)


class CardFaceInvalid(CardError):
    """The card face failed a check: CV certificate, DF28 signature or chip authentication."""

    def __init__(self, detail: str) -> None:
        super().__init__(f"card face not trusted: {detail}")


class ChipMismatch(CardFaceInvalid):
    """The chip's signature does not verify under the card face's chip key (DF24): the card
    face and the chip that answered are not of one card (spliced, cloned or replayed)."""
