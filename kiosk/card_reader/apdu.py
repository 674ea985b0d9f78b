"""Command APDUs, status words and the card channel that all sessions use.

Public names: ``SW`` (IntEnum of the status words we act on), ``CommandApdu``,
``Response``, ``CardChannel``, ``select_df_apdu``, ``select_ef_apdu``, ``MAX_SHORT_LE``,
``MAX_EXTENDED_LE``.

``CardChannel`` wraps a ``Transport`` and adds, with every loop bounded:
- 61xx: fetches the rest with GET RESPONSE (at most ``MAX_GET_RESPONSE`` times);
- 6Cxx: re-sends once with the Le the card asked for;
- SELECT of a DF by AID and of an EF by FID (P2 ``0C``), remembering what is selected so
  nothing is selected twice in a row;
- READ BINARY of a whole EF in the forms the reference clients use with real cards
  (docs/card-profile.md §3): SELECT EF, then READ BINARY with short Le in chunks of at most
  256 bytes; the first chunk (Le ``00``) holds the BER-TLV header that gives the length,
  the last asks for exactly what is left. The fast forms (READ BINARY by short file id and one
  extended-length Le for the whole EF) are used only once the card has shown it accepts them:
  the first read of a file with a short id tries them once; any refusal (a status word, or a
  reader that cannot carry an extended APDU) falls back to the reference forms for the rest
  of the session. Only READ BINARY ever uses a fast form: no PIN command does, so a refusal
  never costs a PIN try.
A status word outside 0000-FFFF, an answer longer than asked, a TLV longer than the file or
chaining that never ends raise ``MalformedResponse``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import cast

from kiosk.card_reader import tlv, traffic
from kiosk.card_reader.errors import (
    CardError,
    CardRemoved,
    CardUnresponsive,
    MalformedResponse,
    ReaderBusy,
    ReaderUnavailable,
    SecurityStatusNotSatisfied,
)
from kiosk.card_reader.transport import Transport

MAX_SHORT_LE = 256
MAX_EXTENDED_LE = 65536
MAX_GET_RESPONSE = 256  # 256 x 256 bytes covers any extended-length answer
MAX_EF_SIZE = 0x8000  # 15-bit offsets


class SW(IntEnum):
    OK = 0x9000
    END_OF_FILE_WARNING = 0x6282  # fewer bytes than Le: end of file reached
    NO_LIMIT = 0x6300
    WRONG_LENGTH = 0x6700
    SECURITY_STATUS_NOT_SATISFIED = 0x6982
    AUTH_METHOD_BLOCKED = 0x6984
    CONDITIONS_NOT_SATISFIED = 0x6985
    NO_CURRENT_EF = 0x6986
    SM_DATA_INCORRECT = 0x6988
    WRONG_DATA = 0x6A80
    FILE_NOT_FOUND = 0x6A82
    INCORRECT_P1P2 = 0x6A86
    WRONG_P1P2 = 0x6B00  # READ BINARY: offset beyond the end of the file
    INS_NOT_SUPPORTED = 0x6D00
    CLA_NOT_SUPPORTED = 0x6E00


@dataclass(frozen=True)
class CommandApdu:
    """An ISO 7816-4 command. ``le`` is the number of bytes expected (1-65536) or None."""

    cla: int
    ins: int
    p1: int
    p2: int
    data: bytes = b""
    le: int | None = None

    def __post_init__(self) -> None:
        for name in ("cla", "ins", "p1", "p2"):
            if not 0 <= getattr(self, name) <= 0xFF:
                raise ValueError(f"{name} out of range")
        if len(self.data) > 65535:
            raise ValueError("command data longer than 65535 bytes")
        if self.le is not None and not 1 <= self.le <= MAX_EXTENDED_LE:
            raise ValueError("Le out of range 1..65536")

    @property
    def needs_extended(self) -> bool:
        return len(self.data) > 255 or (self.le is not None and self.le > MAX_SHORT_LE)

    def to_bytes(self, extended: bool | None = None) -> bytes:
        """Encodes the command; ``extended`` None chooses the short form when it fits."""
        if extended is None:
            extended = self.needs_extended
        elif not extended and self.needs_extended:
            raise ValueError("command does not fit a short APDU")
        out = bytearray((self.cla, self.ins, self.p1, self.p2))
        if extended:
            if self.data:
                out += b"\x00" + len(self.data).to_bytes(2, "big") + self.data
            if self.le is not None:
                if not self.data:
                    out += b"\x00"
                out += (self.le % MAX_EXTENDED_LE).to_bytes(2, "big")
        else:
            if self.data:
                out += bytes([len(self.data)]) + self.data
            if self.le is not None:
                out += bytes([self.le % MAX_SHORT_LE])
        return bytes(out)

    def with_le(self, le: int | None) -> CommandApdu:
        return CommandApdu(self.cla, self.ins, self.p1, self.p2, self.data, le)


@dataclass(frozen=True)
class Response:
    data: bytes
    sw: int

    @property
    def ok(self) -> bool:
        return self.sw == SW.OK

    def __repr__(self) -> str:
        return f"Response(sw={self.sw:04X}, length={len(self.data)})"


def select_df_apdu(aid: bytes) -> CommandApdu:
    return CommandApdu(0x00, 0xA4, 0x04, 0x0C, aid)


def select_ef_apdu(fid: int) -> CommandApdu:
    return CommandApdu(0x00, 0xA4, 0x02, 0x0C, fid.to_bytes(2, "big"))


class CardChannel:
    """Protocol helper over a transport; see the module docstring.

    ``fast_forms`` False never tries READ BINARY by short file id or extended lengths.
    """

    def __init__(self, transport: Transport, *, fast_forms: bool = True) -> None:
        self.transport = transport
        self.selected_aid: bytes | None = None
        # The EF selected in the current application (None: none, or not known).
        self.selected_ef: int | None = None
        # None: not known yet (tried once, on the first read by short file id);
        # True: the card answered a fast read; False: refused (or not allowed).
        self.fast_reads: bool | None = None if fast_forms else False

    # -- raw exchange ---------------------------------------------------------------------
    def _exchange(self, apdu: bytes | bytearray, sensitive: bool) -> tuple[bytes, int]:
        traffic.log_command(apdu, sensitive=sensitive)
        # A bytearray (PIN-carrying APDU) is passed as is so the caller can wipe it;
        # transports only read the bytes.
        data, sw = self.transport.transmit(cast(bytes, apdu))
        if not 0 <= sw <= 0xFFFF:
            raise MalformedResponse("answer without a status word")
        traffic.log_response(data, sw, sensitive=sensitive)
        return data, sw

    def transmit_raw(self, apdu: bytes | bytearray, *, sensitive: bool = False) -> Response:
        """Sends encoded bytes, following 61xx with GET RESPONSE; no other processing."""
        data, sw = self._exchange(apdu, sensitive)
        return self._follow_61xx(data, sw, sensitive)

    def _follow_61xx(self, data: bytes, sw: int, sensitive: bool) -> Response:
        collected = bytearray(data)
        for _ in range(MAX_GET_RESPONSE):
            if sw >> 8 != 0x61:
                return Response(bytes(collected), sw)
            le = (sw & 0xFF) or MAX_SHORT_LE
            more, sw = self._exchange(bytes((0x00, 0xC0, 0x00, 0x00, le % 256)), sensitive)
            if len(more) > le:
                raise MalformedResponse("GET RESPONSE returned more than asked", sw)
            collected += more
        raise MalformedResponse(f"card kept answering 61xx after {MAX_GET_RESPONSE} GET RESPONSE")

    def transceive(
        self, command: CommandApdu, *, sensitive: bool = False, extended: bool | None = None
    ) -> Response:
        """Sends ``command`` with 61xx and 6Cxx handling; returns the final answer."""
        response = self.transmit_raw(command.to_bytes(extended), sensitive=sensitive)
        if response.sw >> 8 == 0x6C:
            wanted = (response.sw & 0xFF) or MAX_SHORT_LE
            if command.le is None:
                raise MalformedResponse("6Cxx for a command without Le", response.sw)
            retry = command.with_le(wanted)
            response = self.transmit_raw(retry.to_bytes(extended), sensitive=sensitive)
            if response.sw >> 8 == 0x6C:
                raise MalformedResponse("card answered 6Cxx twice", response.sw)
        return response

    def check(self, command: CommandApdu, what: str, *, sensitive: bool = False) -> bytes:
        """Sends ``command`` and returns its data; any status but 9000 raises."""
        response = self.transceive(command, sensitive=sensitive)
        if response.sw == SW.SECURITY_STATUS_NOT_SATISFIED:
            raise SecurityStatusNotSatisfied(what)
        if response.sw != SW.OK:
            raise CardError(f"{what} failed", response.sw)
        return response.data

    # -- selection ------------------------------------------------------------------------
    def select_application(self, aid: bytes, *, force: bool = False) -> None:
        """SELECT DF by AID unless it is already the selected one (``force`` re-selects).

        Re-selecting ends the verification state of the application on the card.
        """
        if not force and self.selected_aid == aid:
            return
        self.selected_aid = None
        self.selected_ef = None
        response = self.transceive(select_df_apdu(aid))
        if response.sw != SW.OK:
            raise CardError(f"SELECT application {aid.hex().upper()} failed", response.sw)
        self.selected_aid = aid

    def try_select_application(self, aid: bytes) -> int:
        """SELECT DF by AID; returns the status word instead of raising."""
        self.selected_aid = None
        self.selected_ef = None
        response = self.transceive(select_df_apdu(aid))
        if response.sw == SW.OK:
            self.selected_aid = aid
        return response.sw

    def select_ef(self, fid: int, *, force: bool = False) -> None:
        """SELECT EF by file id (P2 ``0C``) unless it is the current EF already."""
        if not force and self.selected_ef == fid:
            return
        self.selected_ef = None
        response = self.transceive(select_ef_apdu(fid))
        if response.sw != SW.OK:
            raise CardError(f"SELECT EF {fid:04X} failed", response.sw)
        self.selected_ef = fid

    # -- reading --------------------------------------------------------------------------
    def read_binary(
        self,
        offset: int,
        length: int,
        *,
        sensitive: bool = False,
        what: str = "READ BINARY",
    ) -> tuple[bytes, bool]:
        """One short READ BINARY of up to ``length`` (at most 256) bytes at ``offset`` of the
        current EF. Returns (data, end_of_file); a 6Cxx answer is re-sent with its Le."""
        if not 0 <= offset < MAX_EF_SIZE:
            raise ValueError("READ BINARY offset out of range")
        length = min(length, MAX_SHORT_LE)
        command = CommandApdu(0x00, 0xB0, offset >> 8, offset & 0xFF, le=length)
        response = self.transceive(command, sensitive=sensitive, extended=False)
        return self._read_result(response, length, what)

    def _read_result(self, response: Response, asked: int, what: str) -> tuple[bytes, bool]:
        if len(response.data) > asked:
            raise MalformedResponse(f"{what}: answer longer than Le", response.sw)
        if response.sw == SW.OK:
            if not response.data:
                raise MalformedResponse(f"{what}: empty answer with 9000")
            return response.data, False
        if response.sw == SW.END_OF_FILE_WARNING:
            return response.data, True
        if response.sw == SW.WRONG_P1P2:
            return b"", True
        if response.sw == SW.SECURITY_STATUS_NOT_SATISFIED:
            raise SecurityStatusNotSatisfied(what)
        raise CardError(f"{what} failed", response.sw)

    def _fast_read(
        self, fid: int, length: int, sensitive: bool, what: str
    ) -> tuple[bytes, bool] | None:
        """READ BINARY by short file id with one extended Le, if the card may take it.

        Returns None when the fast forms are not (or no longer) used; the first refusal turns
        them off for the session. A refusal by the card tells nothing about the PIN state.
        """
        if self.fast_reads is False or not 1 <= fid <= 0x1E:
            return None
        le = max(1, min(length, MAX_EXTENDED_LE))
        command = CommandApdu(0x00, 0xB0, 0x80 | fid, 0x00, le=le)
        try:
            response = self.transceive(command, sensitive=sensitive, extended=True)
        except (CardRemoved, CardUnresponsive, ReaderUnavailable, ReaderBusy):
            raise
        except MalformedResponse:
            raise
        except CardError as error:
            if error.sw is not None or self.fast_reads:
                raise
            # A reader that cannot carry an extended APDU fails the transmission itself.
            self._fast_refused()
            return None
        if response.sw in (SW.OK, SW.END_OF_FILE_WARNING) and response.data:
            self.fast_reads = True
            self.selected_ef = fid  # a read by short file id makes that EF the current one
            return self._read_result(response, le, what)
        if response.sw == SW.SECURITY_STATUS_NOT_SATISFIED and self.fast_reads:
            raise SecurityStatusNotSatisfied(what)  # about the file's access, not the form
        # A refusal, even after other fast reads worked (an application may differ): the
        # reference forms from now on; a real error of the file shows there again.
        self._fast_refused()
        return None

    def _fast_refused(self) -> None:
        self.fast_reads = False
        self.selected_ef = None  # a refused read may or may not have changed the current EF

    def read_ef_tlv(
        self, fid: int | None, *, sensitive: bool = False, expected_size: int = MAX_SHORT_LE
    ) -> bytes:
        """Reads the one BER-TLV an EF holds (``fid`` None: the current EF).

        ``expected_size``: the Le of the first short READ BINARY (a file known to be small is
        read in one command; a card answering 6Cxx gets the Le it names).
        Returns exactly the TLV's encoding; padding after it is not returned.
        """
        what = "READ BINARY" if fid is None else f"READ BINARY EF {fid:04X}"
        head = None if fid is None else self._fast_read(fid, MAX_EXTENDED_LE, sensitive, what)
        if head is None:
            if fid is not None:
                self.select_ef(fid)
            first = max(1, min(expected_size, MAX_SHORT_LE))
            head = self.read_binary(0, first, sensitive=sensitive, what=what)
        data, eof = head
        buffer = bytearray(data)
        try:
            total = tlv.total_length(buffer)
        except tlv.TlvTruncated:
            raise MalformedResponse(f"{what}: file too short for a TLV header") from None
        if total > MAX_EF_SIZE:
            raise MalformedResponse(f"{what}: TLV length {total} beyond any EF")
        # every round trip below adds at least one byte, so this loop is bounded by ``total``
        while len(buffer) < total:
            if eof:
                raise MalformedResponse(f"{what}: TLV longer than the file")
            chunk, eof = self.read_binary(
                len(buffer), total - len(buffer), sensitive=sensitive, what=what
            )
            if not chunk and not eof:
                raise MalformedResponse(f"{what}: no progress")
            buffer += chunk
        return bytes(buffer[:total])

    def read_ef_bytes(self, fid: int | None, length: int, *, sensitive: bool = False) -> bytes:
        """Reads the first ``length`` bytes of an EF (exactly; a shorter file is an error)."""
        what = "READ BINARY" if fid is None else f"READ BINARY EF {fid:04X}"
        buffer = bytearray()
        head = None if fid is None else self._fast_read(fid, length, sensitive, what)
        if head is None:
            if fid is not None:
                self.select_ef(fid)
            head = self.read_binary(0, length, sensitive=sensitive, what=what)
        chunk, eof = head
        buffer += chunk
        while len(buffer) < length:
            if eof:
                raise MalformedResponse(f"{what}: file shorter than {length} bytes")
            chunk, eof = self.read_binary(
                len(buffer), length - len(buffer), sensitive=sensitive, what=what
            )
            if not chunk and not eof:
                raise MalformedResponse(f"{what}: no progress")
            buffer += chunk
        return bytes(buffer[:length])
