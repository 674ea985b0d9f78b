"""Command encoding and the channel: 61xx/6Cxx, extended vs short reads, broken answers."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.card_reader.apdu import SW, CardChannel, CommandApdu
from kiosk.card_reader.errors import (
    CardError,
    MalformedResponse,
    SecurityStatusNotSatisfied,
)
from kiosk.card_reader.scripted import ScriptedTransport

from .builders import fake_certificate, read_sfi


@pytest.mark.parametrize(
    ("command", "short", "extended"),
    [
        (CommandApdu(0, 0xA4, 4, 0x0C, b"\xd3\x92"), "00A4040C02D392", "00A4040C000002D392"),
        (CommandApdu(0, 0xB0, 0, 0, le=256), "00B0000000", "00B00000000100"),
        (CommandApdu(0, 0xB0, 0, 0, le=0x10), "00B0000010", "00B00000000010"),
        (
            CommandApdu(0x80, 0x2A, 0, 0x97, b"\x01", le=256),
            "802A00970101" + "00",
            "802A0097000001010100",
        ),
        (CommandApdu(0, 0x20, 0, 0x98), "00200098", "00200098"),
    ],
)
def test_short_and_extended_encodings(command: CommandApdu, short: str, extended: str) -> None:
    assert command.to_bytes(False).hex().upper() == short
    assert command.to_bytes(True).hex().upper() == extended


def test_extended_chosen_when_needed() -> None:
    assert CommandApdu(0, 0xB0, 0, 0, le=65536).to_bytes().hex() == "00b00000000000"
    assert CommandApdu(0, 0xB0, 0, 0, le=257).to_bytes().hex() == "00b00000000101"
    big = CommandApdu(0, 0xD6, 0, 0, bytes(300))
    assert big.to_bytes()[4:7] == b"\x00\x01\x2c"
    with pytest.raises(ValueError, match="short"):
        big.to_bytes(False)
    with pytest.raises(ValueError):
        CommandApdu(0, 0xB0, 0, 0, le=0)
    with pytest.raises(ValueError):
        CommandApdu(0x100, 0xB0, 0, 0)


def test_61xx_chaining_collects_the_rest() -> None:
    transport = ScriptedTransport(
        [
            ("802A009701AA00", "0102" + "6103"),
            ("00C0000003", "030405" + "6102"),
            ("00C0000002", "0607" + "9000"),
        ]
    )
    response = CardChannel(transport).transceive(CommandApdu(0x80, 0x2A, 0, 0x97, b"\xaa", le=256))
    assert response.data == bytes.fromhex("01020304050607")
    assert response.sw == SW.OK
    transport.assert_done()


def test_endless_61xx_is_malformed_not_a_hang() -> None:
    transport = ScriptedTransport(
        [("0084000010", "6110")] + [("00C0000010", "00" * 16 + "6110")] * 256
    )
    with pytest.raises(MalformedResponse, match="61xx"):
        CardChannel(transport).transceive(CommandApdu(0, 0x84, 0, 0, le=16))
    transport.assert_done()


def test_get_response_longer_than_asked_is_malformed() -> None:
    transport = ScriptedTransport([("0084000008", "6102"), ("00C0000002", "010203" + "9000")])
    with pytest.raises(MalformedResponse, match="more than asked"):
        CardChannel(transport).transceive(CommandApdu(0, 0x84, 0, 0, le=8))


def test_6cxx_resends_once_with_the_le_asked_for() -> None:
    transport = ScriptedTransport([("00B0000000", "6C11"), ("00B0000011", "AB" * 17 + "9000")])
    response = CardChannel(transport).transceive(CommandApdu(0, 0xB0, 0, 0, le=256))
    assert response.data == b"\xab" * 17
    transport.assert_done()


def test_6cxx_twice_is_malformed() -> None:
    transport = ScriptedTransport([("00B0000000", "6C11"), ("00B0000011", "6C10")])
    with pytest.raises(MalformedResponse, match="6Cxx twice"):
        CardChannel(transport).transceive(CommandApdu(0, 0xB0, 0, 0, le=256))


@pytest.mark.parametrize("answer", ["", "90"])
def test_answer_without_status_word_is_malformed(answer: str) -> None:
    transport = ScriptedTransport([("00A4020C020001", answer)])
    with pytest.raises(MalformedResponse, match="status word"):
        CardChannel(transport).select_ef(1)


def test_whole_ef_in_one_fast_read_once_the_card_accepts_it() -> None:
    cert = fake_certificate(1800)
    transport = ScriptedTransport(
        [
            (read_sfi(0x000A), cert.hex() + "6282"),
            (read_sfi(0x000B), cert.hex() + "6282"),
        ]
    )
    channel = CardChannel(transport)
    assert channel.read_ef_tlv(0x000A) == cert
    assert channel.fast_reads is True
    assert channel.selected_ef == 0x000A  # a read by short file id selects that EF
    assert channel.read_ef_tlv(0x000B) == cert
    transport.assert_done()


@pytest.mark.parametrize("refusal", ["6A86", "6A81", "6981", "6986", "6D00", "6E00", "6700",
                                     "6F00", "6B00", "6A82", "6982"])
def test_card_refusing_the_fast_read_gets_the_reference_forms_from_then_on(refusal: str) -> None:
    """Whatever the card answers to its first fast read, the kiosk falls back to SELECT EF and
    short reads for good, and reads the file."""
    cert = fake_certificate(300)
    transport = ScriptedTransport(
        [
            (read_sfi(0x000A), refusal),
            ("00A4020C02000A", "9000"),
            ("00B0000000", cert[:256].hex() + "9000"),
            ("00B001002C", cert[256:].hex() + "9000"),
            ("00A4020C02000B", "9000"),
            ("00B0000000", cert[:256].hex() + "9000"),
            ("00B001002C", cert[256:].hex() + "9000"),
        ]
    )
    channel = CardChannel(transport)
    assert channel.read_ef_tlv(0x000A) == cert
    assert channel.fast_reads is False
    assert channel.read_ef_tlv(0x000B) == cert
    transport.assert_done()


def test_reader_that_cannot_carry_an_extended_apdu_falls_back() -> None:
    from kiosk.card_reader.errors import CardRemoved

    cert = fake_certificate(260)
    transport = ScriptedTransport(
        [
            (read_sfi(0x000A), CardError("SCardTransmit: PC/SC error 0x80100016")),
            ("00A4020C02000A", "9000"),
            ("00B0000000", cert[:256].hex() + "9000"),
            ("00B0010004", cert[256:].hex() + "9000"),
        ]
    )
    channel = CardChannel(transport)
    assert channel.read_ef_tlv(0x000A) == cert
    assert channel.fast_reads is False
    # a card that left the reader is no refusal of the form: it propagates
    transport = ScriptedTransport([(read_sfi(0x000A), CardRemoved())])
    with pytest.raises(CardRemoved):
        CardChannel(transport).read_ef_tlv(0x000A)


def test_reference_forms_only_never_sends_a_fast_read() -> None:
    transport = ScriptedTransport(
        [("00A4020C020001", "9000"), ("00B0000011", "FF100C" + "31" * 12 + "FFFF" + "9000")]
    )
    channel = CardChannel(transport, fast_forms=False)
    assert channel.read_ef_tlv(1, expected_size=17) == b"\xff\x10\x0c" + b"1" * 12
    transport.assert_done()


def test_selected_ef_is_not_selected_again() -> None:
    transport = ScriptedTransport([("00A4020C020018", "9000")])
    channel = CardChannel(transport, fast_forms=False)
    channel.select_ef(0x0018)
    channel.select_ef(0x0018)
    transport.assert_done()
    transport.extend([("00A4020C020017", "6A82")])
    with pytest.raises(CardError):
        channel.select_ef(0x0017)
    assert channel.selected_ef is None


def test_padding_after_the_tlv_is_not_returned() -> None:
    transport = ScriptedTransport([("00B0000000", "FF100C" + "31" * 12 + "FFFF" + "6282")])
    assert CardChannel(transport).read_ef_tlv(None) == b"\xff\x10\x0c" + b"1" * 12


def test_short_reads_in_256_byte_chunks_the_last_exact() -> None:
    cert = fake_certificate(600)
    transport = ScriptedTransport(
        [
            ("00B0000000", cert[:256].hex() + "9000"),
            ("00B0010000", cert[256:512].hex() + "9000"),
            ("00B0020058", cert[512:].hex() + "9000"),
        ]
    )
    channel = CardChannel(transport)
    assert channel.read_ef_tlv(None) == cert
    transport.assert_done()


def test_small_file_answered_with_6cxx_gets_the_length_it_names() -> None:
    transport = ScriptedTransport(
        [("00B0000000", "6C05"), ("00B0000005", "3003010203" + "9000")]
    )
    assert CardChannel(transport).read_ef_tlv(None) == bytes.fromhex("3003010203")


def test_short_reads_follow_6cxx_at_the_end() -> None:
    cert = fake_certificate(300)
    transport = ScriptedTransport(
        [
            ("00B0000000", cert[:256].hex() + "9000"),
            ("00B001002C", "6C2C"),  # card insists on the exact length (already exact here)
            ("00B001002C", cert[256:].hex() + "9000"),
        ]
    )
    assert CardChannel(transport).read_ef_tlv(None) == cert


def test_card_returning_part_of_a_fast_read_is_continued_short() -> None:
    cert = fake_certificate(5000)
    transport = ScriptedTransport(
        [
            (read_sfi(0x000A), cert[:4096].hex() + "9000"),
            ("00B0100000", cert[4096:4352].hex() + "9000"),
            ("00B0110000", cert[4352:4608].hex() + "9000"),
            ("00B0120000", cert[4608:4864].hex() + "9000"),
            ("00B0130088", cert[4864:].hex() + "9000"),
        ]
    )
    assert CardChannel(transport).read_ef_tlv(0x000A) == cert


def test_tlv_longer_than_the_file_is_malformed() -> None:
    transport = ScriptedTransport([("00B0000000", "3082100001020304" + "6282")])
    with pytest.raises(MalformedResponse, match="longer than the file"):
        CardChannel(transport).read_ef_tlv(None)


def test_6b00_ends_the_file() -> None:
    cert = fake_certificate(300)
    transport = ScriptedTransport(
        [
            ("00B0000000", cert[:200].hex() + "6282"),
        ]
    )
    with pytest.raises(MalformedResponse, match="longer than the file"):
        CardChannel(transport).read_ef_tlv(None)
    transport = ScriptedTransport(
        [
            ("00B0000000", cert[:256].hex() + "9000"),
            ("00B001002C", "6B00"),
        ]
    )
    with pytest.raises(MalformedResponse, match="longer than the file"):
        CardChannel(transport).read_ef_tlv(None)


def test_file_too_short_for_a_header() -> None:
    transport = ScriptedTransport([("00B0000000", "30" + "6282")])
    with pytest.raises(MalformedResponse, match="too short"):
        CardChannel(transport).read_ef_tlv(None)


def test_read_answer_longer_than_le_is_malformed() -> None:
    transport = ScriptedTransport([("00B0000003", "01020304" + "9000")])
    with pytest.raises(MalformedResponse, match="longer than Le"):
        CardChannel(transport).read_ef_bytes(None, 3)


def test_empty_read_with_9000_is_malformed() -> None:
    transport = ScriptedTransport([("00B0000003", "9000")])
    with pytest.raises(MalformedResponse, match="empty"):
        CardChannel(transport).read_ef_bytes(None, 3)


def test_read_errors_are_typed() -> None:
    transport = ScriptedTransport([("00A4020C020001", "9000"), ("00B0000000", "6982")])
    with pytest.raises(SecurityStatusNotSatisfied):
        CardChannel(transport, fast_forms=False).read_ef_tlv(1)
    # a fast read refused after others worked falls back too; the file's own error shows there
    channel = CardChannel(ScriptedTransport([(read_sfi(1), "3003010203" + "9000")]))
    channel.read_ef_tlv(1)
    cast_transport = channel.transport
    assert isinstance(cast_transport, ScriptedTransport)
    cast_transport.extend([(read_sfi(9), "6A82"), ("00A4020C020009", "6A82")])
    with pytest.raises(CardError) as info:
        channel.read_ef_tlv(9)
    assert channel.fast_reads is False
    assert info.value.sw == 0x6A82
    assert "SW 6A82: file or application not found" in str(info.value)
    # once accepted, a 6982 of a fast read is about the file's access: no fallback
    channel = CardChannel(ScriptedTransport([(read_sfi(1), "3003010203" + "9000")]))
    channel.read_ef_tlv(1)
    cast_transport = channel.transport
    assert isinstance(cast_transport, ScriptedTransport)
    cast_transport.extend([(read_sfi(2), "6982")])
    with pytest.raises(SecurityStatusNotSatisfied):
        channel.read_ef_tlv(2)


def test_select_application_is_remembered() -> None:
    transport = ScriptedTransport([("00A4040C02D392", "9000")])
    channel = CardChannel(transport)
    channel.select_application(b"\xd3\x92")
    channel.select_application(b"\xd3\x92")  # no second SELECT
    transport.assert_done()
    transport.extend([("00A4040C02D392", "6A82")])
    with pytest.raises(CardError):
        channel.select_application(b"\xd3\x92", force=True)
    assert channel.selected_aid is None


answers = st.one_of(
    st.binary(max_size=3),
    st.builds(
        lambda body, sw: body + sw.to_bytes(2, "big"),
        st.binary(max_size=300),
        st.sampled_from(
            [0x9000, 0x6282, 0x6B00, 0x6700, 0x6982, 0x6110, 0x6100, 0x6C05, 0x6A82, 0x6A86, 0x6F00]
        ),
    ),
)


class _RandomCard:
    def __init__(self, data: st.DataObject) -> None:
        self.data = data
        self.count = 0

    def transmit(self, apdu: bytes) -> tuple[bytes, int]:
        self.count += 1
        raw = self.data.draw(answers)
        if len(raw) < 2:
            return raw, -1
        return raw[:-2], int.from_bytes(raw[-2:], "big")

    def close(self) -> None:
        pass

    def __enter__(self) -> _RandomCard:
        return self

    def __exit__(self, *args: object) -> None:
        pass


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_arbitrary_card_answers_give_data_or_a_typed_error(data: st.DataObject) -> None:
    card = _RandomCard(data)
    channel = CardChannel(card)
    try:
        result = channel.read_ef_tlv(0x000A)
    except CardError:
        pass
    else:
        assert len(result) >= 2
    assert card.count < 1000
