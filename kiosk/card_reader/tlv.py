"""Strict BER-TLV parsing for card data (EF contents, CV certificates).

Public names: ``Tlv`` (tag, value, the complete encoding ``raw``), ``TlvError`` (a
``MalformedResponse``), ``parse_one``, ``parse_all``, ``parse_single``, ``index``,
``header_length``, ``total_length``, ``encode``.

Tags may span several bytes (``5F4E``, ``7F21``, ``DF21``, ``FF20``); lengths may use the long
form up to four bytes. Indefinite lengths, truncated headers and values running past the data
are errors that say where, never an ``IndexError``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from kiosk.card_reader.errors import MalformedResponse

MAX_TAG_BYTES = 3
MAX_LENGTH_BYTES = 4


class TlvError(MalformedResponse):
    """Data that is not well-formed BER-TLV."""

    def __init__(self, detail: str) -> None:
        super().__init__(f"TLV: {detail}")


class TlvTruncated(TlvError):  # noqa: N818 - a kind of TlvError
    """The data ends inside a TLV header or value."""


@dataclass(frozen=True)
class Tlv:
    """One TLV element. ``raw`` is its complete encoding (tag, length and value)."""

    tag: int
    value: bytes
    raw: bytes

    def __repr__(self) -> str:  # values may be personal data: show the shape only
        return f"Tlv(tag={self.tag:X}, length={len(self.value)})"


def _parse_tag(data: bytes | bytearray, offset: int) -> tuple[int, int]:
    if offset >= len(data):
        raise TlvTruncated(f"no tag at offset {offset}")
    first = data[offset]
    tag = first
    pos = offset + 1
    if first & 0x1F == 0x1F:
        while True:
            if pos >= len(data):
                raise TlvTruncated(f"multi-byte tag cut off at offset {pos}")
            if pos - offset >= MAX_TAG_BYTES:
                raise TlvError(f"tag longer than {MAX_TAG_BYTES} bytes at offset {offset}")
            byte = data[pos]
            tag = (tag << 8) | byte
            pos += 1
            if not byte & 0x80:
                break
    return tag, pos


def _parse_length(data: bytes | bytearray, offset: int) -> tuple[int, int]:
    if offset >= len(data):
        raise TlvTruncated(f"no length at offset {offset}")
    first = data[offset]
    if first < 0x80:
        return first, offset + 1
    count = first & 0x7F
    if count == 0:
        raise TlvError(f"indefinite length at offset {offset}")
    if count > MAX_LENGTH_BYTES:
        raise TlvError(f"{count}-byte length field at offset {offset}")
    end = offset + 1 + count
    if end > len(data):
        raise TlvTruncated(f"long-form length cut off at offset {offset}")
    return int.from_bytes(data[offset + 1 : end], "big"), end


def header_length(data: bytes | bytearray, offset: int = 0) -> tuple[int, int]:
    """(header size, value length) of the TLV at ``offset``; needs only the header bytes."""
    _tag, after_tag = _parse_tag(data, offset)
    length, after_length = _parse_length(data, after_tag)
    return after_length - offset, length


def total_length(head: bytes | bytearray) -> int:
    """Total encoded size of the TLV that starts ``head`` (needs only its header bytes)."""
    size, length = header_length(head)
    return size + length


def parse_one(data: bytes | bytearray, offset: int = 0) -> tuple[Tlv, int]:
    """Parses the TLV at ``offset``; returns it and the offset just after it."""
    tag, after_tag = _parse_tag(data, offset)
    length, start = _parse_length(data, after_tag)
    end = start + length
    if end > len(data):
        raise TlvTruncated(
            f"tag {tag:X} at offset {offset} declares {length} bytes, "
            f"only {len(data) - start} present"
        )
    return Tlv(tag, bytes(data[start:end]), bytes(data[offset:end])), end


def parse_all(data: bytes | bytearray) -> list[Tlv]:
    """Parses a concatenation of TLVs that must fill ``data`` exactly."""
    items: list[Tlv] = []
    offset = 0
    while offset < len(data):
        item, offset = parse_one(data, offset)
        items.append(item)
    return items


def parse_single(data: bytes | bytearray, expected_tag: int) -> Tlv:
    """Parses ``data`` as exactly one TLV with ``expected_tag`` (trailing bytes are an error)."""
    item, end = parse_one(data)
    if item.tag != expected_tag:
        raise TlvError(f"expected tag {expected_tag:X}, found {item.tag:X}")
    if end != len(data):
        raise TlvError(f"{len(data) - end} unexpected byte(s) after tag {item.tag:X}")
    return item


def index(items: Iterable[Tlv], required: Iterable[int] = ()) -> dict[int, Tlv]:
    """Maps tag -> TLV; duplicate tags or a missing ``required`` tag are errors."""
    found: dict[int, Tlv] = {}
    for item in items:
        if item.tag in found:
            raise TlvError(f"duplicate tag {item.tag:X}")
        found[item.tag] = item
    missing = [tag for tag in required if tag not in found]
    if missing:
        raise TlvError("missing tag(s) " + ", ".join(f"{tag:X}" for tag in missing))
    return found


def encode(tag: int, value: bytes | bytearray) -> bytes:
    """BER encoding of one TLV (minimal length form)."""
    tag_bytes = tag.to_bytes((tag.bit_length() + 7) // 8 or 1, "big")
    length = len(value)
    if length < 0x80:
        length_bytes = bytes([length])
    else:
        size = (length.bit_length() + 7) // 8
        length_bytes = bytes([0x80 | size]) + length.to_bytes(size, "big")
    return tag_bytes + length_bytes + bytes(value)
