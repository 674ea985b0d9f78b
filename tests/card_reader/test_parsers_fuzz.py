"""Garbage and near-valid EF contents: every parser returns or raises MalformedResponse."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.card_reader.card_info import parse_card_face, parse_cv_certificate
from kiosk.card_reader.errors import MalformedResponse
from kiosk.card_reader.text_ap import parse_basic_info, parse_my_number
from kiosk.card_reader.tlv import encode

PARSERS: list[Callable[[bytes], object]] = [
    parse_card_face,
    parse_cv_certificate,
    parse_basic_info,
    parse_my_number,
]

inner_tags = st.sampled_from(
    [
        0xDF21,
        0xDF22,
        0xDF23,
        0xDF24,
        0xDF25,
        0xDF26,
        0xDF27,
        0xDF28,
        0xDF29,
        0xDF2A,
        0x42,
        0x5F20,
        0x7F49,
        0x81,
        0x82,
        0x90,
        0x91,
        0x5F4E,
        0x5F37,
    ]
)
leaf = st.builds(encode, inner_tags, st.binary(max_size=40))
nested = st.builds(encode, inner_tags, st.lists(leaf, max_size=4).map(b"".join))
bodies = st.lists(st.one_of(leaf, nested), max_size=12).map(b"".join)
files = st.builds(encode, st.sampled_from([0xFF20, 0xFF10, 0x7F21]), bodies)


@pytest.mark.parametrize("parser", PARSERS, ids=lambda p: p.__name__)
@settings(max_examples=150, deadline=None)
@given(data=st.one_of(st.binary(max_size=200), files))
def test_parsers_never_crash(parser: Callable[[bytes], object], data: bytes) -> None:
    with contextlib.suppress(MalformedResponse):
        parser(data)
