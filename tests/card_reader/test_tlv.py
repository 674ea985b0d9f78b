"""Strict BER-TLV parsing: multi-byte tags, long lengths, truncation as typed errors."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.card_reader import tlv
from kiosk.card_reader.errors import MalformedResponse


def test_multi_byte_tags_and_long_lengths() -> None:
    value = bytes(300)
    data = tlv.encode(0x7F21, tlv.encode(0x5F4E, b"ab") + tlv.encode(0xDF21, value))
    outer = tlv.parse_single(data, 0x7F21)
    assert outer.raw == data
    inner = tlv.parse_all(outer.value)
    assert [item.tag for item in inner] == [0x5F4E, 0xDF21]
    assert inner[1].value == value
    assert inner[1].raw[:5] == bytes.fromhex("DF2182012C")


def test_total_length_from_the_head_only() -> None:
    assert tlv.total_length(bytes.fromhex("308204D2")) == 4 + 0x4D2
    assert tlv.total_length(bytes.fromhex("FF100C")) == 15
    assert tlv.header_length(bytes.fromhex("DF2483010000")) == (6, 0x10000)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "no tag"),
        (bytes.fromhex("5F"), "multi-byte tag cut off"),
        (bytes.fromhex("5F81"), "multi-byte tag cut off"),
        (bytes.fromhex("1F818181"), "tag longer"),
        (bytes.fromhex("30"), "no length"),
        (bytes.fromhex("3080"), "indefinite"),
        (bytes.fromhex("3085FFFFFFFFFF"), "5-byte length"),
        (bytes.fromhex("3082FF"), "long-form length cut off"),
        (bytes.fromhex("3005010203"), "declares 5 bytes, only 3 present"),
    ],
)
def test_truncated_or_invalid_headers_are_typed_errors(data: bytes, message: str) -> None:
    with pytest.raises(tlv.TlvError, match=message):
        tlv.parse_one(data)


def test_parse_single_rejects_other_tag_and_trailing_bytes() -> None:
    with pytest.raises(tlv.TlvError, match="expected tag FF20"):
        tlv.parse_single(tlv.encode(0xFF10, b"x"), 0xFF20)
    with pytest.raises(tlv.TlvError, match="unexpected byte"):
        tlv.parse_single(tlv.encode(0xFF20, b"x") + b"\xff", 0xFF20)


def test_index_requires_tags_and_rejects_duplicates() -> None:
    items = tlv.parse_all(tlv.encode(0x90, b"\x01") + tlv.encode(0x91, b"\x02"))
    assert tlv.index(items, required=(0x90, 0x91))[0x91].value == b"\x02"
    with pytest.raises(tlv.TlvError, match="missing tag"):
        tlv.index(items, required=(0x92,))
    with pytest.raises(tlv.TlvError, match="duplicate tag 90"):
        tlv.index(items + items[:1])


def test_repr_shows_no_value() -> None:
    item = tlv.parse_single(tlv.encode(0xDF22, "山田".encode()), 0xDF22)
    assert "山田".encode().hex() not in repr(item)
    assert "山田" not in repr(item)


tags = st.sampled_from([0x30, 0x42, 0x81, 0x5F4E, 0x5F20, 0x7F21, 0x7F49, 0xDF21, 0xFF20])
elements = st.tuples(tags, st.binary(max_size=600))


@settings(deadline=None)
@given(st.lists(elements, max_size=6))
def test_encode_then_parse_round_trips(items: list[tuple[int, bytes]]) -> None:
    data = b"".join(tlv.encode(tag, value) for tag, value in items)
    parsed = tlv.parse_all(data)
    assert [(p.tag, p.value) for p in parsed] == items
    assert b"".join(p.raw for p in parsed) == data


@settings(deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_parse_or_raise_a_typed_error(data: bytes) -> None:
    try:
        items = tlv.parse_all(data)
    except MalformedResponse:
        return
    assert b"".join(item.raw for item in items) == data


@settings(deadline=None)
@given(st.lists(elements, min_size=1, max_size=4), st.data())
def test_every_truncation_is_detected(items: list[tuple[int, bytes]], data: st.DataObject) -> None:
    encoded = tlv.encode(0xFF20, b"".join(tlv.encode(t, v) for t, v in items))
    cut = data.draw(st.integers(min_value=0, max_value=len(encoded) - 1))
    with pytest.raises(tlv.TlvError):
        tlv.parse_single(encoded[:cut], 0xFF20)
