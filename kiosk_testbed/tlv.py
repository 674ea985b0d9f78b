"""Minimal BER-TLV encoding and parsing for the card's data objects.

Tags are given as integers (``0xDF22``, ``0x7F21``, ``0x87``) and written big-endian in as many
bytes as they need. Lengths use the short form below 128 and ``81 xx`` / ``82 xxxx`` above.
"""

from __future__ import annotations

from dataclasses import dataclass


class TlvError(ValueError):
    """Bytes that are not well-formed TLV (the message names the problem, never the value)."""


def encode_length(length: int) -> bytes:
    if length < 0 or length > 0xFFFF:
        raise TlvError(f"length {length} out of range")
    if length < 0x80:
        return bytes([length])
    if length <= 0xFF:
        return bytes([0x81, length])
    return bytes([0x82]) + length.to_bytes(2, "big")


def encode_tag(tag: int) -> bytes:
    if tag <= 0:
        raise TlvError("tag must be positive")
    return tag.to_bytes((tag.bit_length() + 7) // 8, "big")


def tlv(tag: int, value: bytes) -> bytes:
    """One complete TLV element."""
    return encode_tag(tag) + encode_length(len(value)) + value


@dataclass(frozen=True, slots=True)
class Element:
    tag: int
    value: bytes
    raw: bytes


def _read_tag(data: bytes, pos: int) -> tuple[int, int]:
    if pos >= len(data):
        raise TlvError("truncated tag")
    first = data[pos]
    tag = first
    pos += 1
    if first & 0x1F == 0x1F:  # multi-byte tag: continue while bit 8 is set
        while True:
            if pos >= len(data):
                raise TlvError("truncated tag")
            byte = data[pos]
            tag = (tag << 8) | byte
            pos += 1
            if not byte & 0x80:
                break
            if tag > 0xFFFFFF:
                raise TlvError("tag too long")
    return tag, pos


def _read_length(data: bytes, pos: int) -> tuple[int, int]:
    if pos >= len(data):
        raise TlvError("truncated length")
    first = data[pos]
    pos += 1
    if first < 0x80:
        return first, pos
    count = first & 0x7F
    if count == 0 or count > 2:
        raise TlvError("unsupported length form")
    if pos + count > len(data):
        raise TlvError("truncated length")
    return int.from_bytes(data[pos : pos + count], "big"), pos + count


def parse_all(data: bytes) -> list[Element]:
    """Every element of a concatenation; trailing garbage is an error."""
    elements: list[Element] = []
    pos = 0
    while pos < len(data):
        start = pos
        tag, pos = _read_tag(data, pos)
        length, pos = _read_length(data, pos)
        end = pos + length
        if end > len(data):
            raise TlvError("value runs past the end of the data")
        elements.append(Element(tag, data[pos:end], data[start:end]))
        pos = end
    return elements
