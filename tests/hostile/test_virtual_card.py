"""The testbed card's own APDU parser and dispatcher on hostile commands: arbitrary bytes and
sequences of nearly valid commands (known classes and instructions, real AIDs and file ids,
lying lengths). Every answer has a status word from the profile; none is 6F00, the card's
mask for an internal failure (which would hide a crash)."""

from __future__ import annotations

import copy

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk_testbed.card.apdu import ApduLengthError, parse_command
from kiosk_testbed.card.card_file import CardFile
from kiosk_testbed.card.layout import AIDS
from kiosk_testbed.card.virtual_card import VirtualCard
from tests.helpers.virtual_card import TestCard
from tests.hostile.budget import bounded, hostile

PROFILE_SW_FIRST_BYTES = {0x90, 0x61, 0x62, 0x63, 0x67, 0x69, 0x6A, 0x6B, 0x6C, 0x6D, 0x6E}


@pytest.fixture(scope="module")
def card_and_pristine(test_card: TestCard) -> tuple[VirtualCard, CardFile]:
    card = VirtualCard(VirtualCard.from_path(test_card.template).card_file)
    return card, copy.deepcopy(card.card_file)


@hostile(500)
@given(raw=st.binary(max_size=300))
def test_parse_command_on_arbitrary_bytes(raw: bytes) -> None:
    with bounded("virtual card: parse_command (arbitrary bytes)"):
        try:
            command = parse_command(raw)
        except ApduLengthError:
            return
    assert len(command.data) <= len(raw)


fids = st.sampled_from(
    [
        0x0001,
        0x0002,
        0x0004,
        0x0006,
        0x0008,
        0x000A,
        0x000B,
        0x0011,
        0x0012,
        0x0013,
        0x0014,
        0x0015,
        0x0017,
        0x0018,
        0x001A,
        0x001B,
        0xFFFF,
    ]
)
data_fields = st.one_of(
    st.binary(max_size=40),
    st.sampled_from(sorted(AIDS)),
    fids.map(lambda fid: fid.to_bytes(2, "big")),
    st.sampled_from([b"1234", b"0000", b"TESTPIN1", b"123456789018", b"\x87\x11\x01" + bytes(16)]),
    st.binary(min_size=240, max_size=300),
)


@st.composite
def commands(draw: st.DrawFn) -> bytes:
    cla = draw(st.one_of(st.sampled_from([0x00, 0x80, 0x0C]), st.integers(0, 255)))
    ins = draw(
        st.one_of(
            st.sampled_from([0xA4, 0xB0, 0x20, 0x24, 0x2A, 0x84, 0xC0, 0x2C]), st.integers(0, 255)
        )
    )
    p1 = draw(
        st.one_of(st.sampled_from([0x00, 0x01, 0x02, 0x04, 0x80, 0x8A, 0x9E]), st.integers(0, 255))
    )
    p2 = draw(
        st.one_of(
            st.sampled_from([0x00, 0x0C, 0x80, 0x97, 0x9A, 0x9B, 0x98, 0x91]), st.integers(0, 255)
        )
    )
    data = draw(data_fields) if draw(st.booleans()) else b""
    header = bytes([cla, ins, p1, p2])
    form = draw(st.integers(0, 3))
    if form == 0 and len(data) < 256:  # short, honest lengths
        body = bytes([len(data)]) + data if data else b""
        if draw(st.booleans()):
            body += bytes([draw(st.integers(0, 255))])
    elif form == 1:  # extended, honest lengths
        body = (b"\x00" + len(data).to_bytes(2, "big") + data) if data else b""
        if draw(st.booleans()):
            body += (b"" if data else b"\x00") + draw(st.binary(min_size=2, max_size=2))
    elif form == 2:  # lying length byte
        body = bytes([draw(st.integers(0, 255))]) + data
    else:
        body = draw(st.binary(max_size=8))
    return header + body


@hostile(150)
@given(sequence=st.lists(commands(), min_size=1, max_size=12))
def test_sequences_of_nearly_valid_commands(
    card_and_pristine: tuple[VirtualCard, CardFile], sequence: list[bytes]
) -> None:
    card, pristine = card_and_pristine
    card.reset()
    card.card_file.pins = copy.deepcopy(pristine.pins)
    with bounded("virtual card: sequences of nearly valid commands"):
        for apdu in sequence:
            answer = card.process(apdu)
            assert len(answer) >= 2
            assert answer[-2] in PROFILE_SW_FIRST_BYTES, (apdu.hex(), answer[-2:].hex())
