"""Small APDU helpers for the testbed's tests (in-process card)."""

from __future__ import annotations

from kiosk_testbed.card.virtual_card import VirtualCard

JPKI = "D392F000260100000001"
TEXT = "D3921000310001010408"
INFO = "D3921000310001010402"
SHA256_DIGEST_INFO_PREFIX = bytes.fromhex("3031300d060960864801650304020105000420")


def tx(card: VirtualCard, apdu: str | bytes) -> tuple[bytes, int]:
    raw = bytes.fromhex(apdu.replace(" ", "")) if isinstance(apdu, str) else apdu
    response = card.process(raw)
    assert len(response) >= 2
    return response[:-2], int.from_bytes(response[-2:], "big")


def sw(card: VirtualCard, apdu: str | bytes) -> int:
    return tx(card, apdu)[1]


def select_ap(card: VirtualCard, aid: str) -> None:
    assert sw(card, f"00A4040C0A{aid}") == 0x9000


def select_ef(card: VirtualCard, fid: int) -> int:
    return sw(card, f"00A4020C02{fid:04X}")


def verify(card: VirtualCard, fid: int, pin: str | None, *, by_sfi: bool = False) -> int:
    """SELECT EF ``fid`` and VERIFY the current EF (P2 80), the form every profile takes;
    ``by_sfi``: VERIFY with P2 = 80 | fid instead (the fast profile only). ``None`` sends the
    empty VERIFY."""
    if by_sfi:
        p2 = 0x80 | fid
    else:
        p2 = 0x80
        status = select_ef(card, fid)
        if status != 0x9000:
            return status
    if pin is None:
        return sw(card, f"002000{p2:02X}")
    data = pin.encode()
    return sw(card, bytes([0x00, 0x20, 0x00, p2, len(data)]) + data)


def read_all(card: VirtualCard, chunk: int = 0xE0) -> bytes:
    """Read the selected EF to its end with short READ BINARYs."""
    out = b""
    while True:
        offset = len(out)
        data, status = tx(card, bytes([0x00, 0xB0, offset >> 8, offset & 0xFF, chunk]))
        if status == 0x6B00:
            return out
        if status >> 8 == 0x6C:
            data, status = tx(card, bytes([0x00, 0xB0, offset >> 8, offset & 0xFF, status & 0xFF]))
        assert status == 0x9000, hex(status)
        out += data


def sign_apdu(data: bytes, p2: int = 0x80, cla: int = 0x80, le: bool = True) -> bytes:
    return bytes([cla, 0x2A, 0x00, p2, len(data)]) + data + (b"\x00" if le else b"")
