"""APDU traffic log: own level, shortened data, and no PIN or My Number ever in the output."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from kiosk.card_reader import traffic
from kiosk.card_reader.apdu import CardChannel
from kiosk.card_reader.jpki import JPKI_AID, JpkiPin, JpkiSession
from kiosk.card_reader.scripted import ScriptedTransport
from kiosk.card_reader.text_ap import TEXT_AP_AID, TextApSession

from .builders import FAKE_NAME, MY_NUMBER, basic_info_file, my_number_file, read_sfi


@pytest.fixture
def traffic_log(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    caplog.set_level(traffic.TRAFFIC, logger="kiosk.card_reader.traffic")
    yield caplog
    traffic.set_full_data(False)


def all_output(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(record.getMessage() for record in caplog.records)


def test_level_name_and_shortening() -> None:
    assert logging.getLevelName(traffic.TRAFFIC) == "TRAFFIC"
    assert traffic.TRAFFIC < logging.DEBUG
    assert traffic.shorten(bytes(range(10))) == "0001020304~0809 (10)"
    assert traffic.shorten(b"\x01\x02") == "0102 (2)"


def test_secret_commands() -> None:
    assert traffic.is_secret_command(bytes.fromhex("0020009804313233"))
    assert traffic.is_secret_command(bytes.fromhex("0024018004313233"))
    assert traffic.is_secret_command(bytes.fromhex("0C2C029B0A"))
    assert not traffic.is_secret_command(bytes.fromhex("00A4020C020001"))


@pytest.mark.parametrize("full", [False, True])
def test_pins_and_my_number_never_logged(traffic_log: pytest.LogCaptureFixture, full: bool) -> None:
    traffic.set_full_data(full)
    transport = ScriptedTransport(
        [
            ("00A4040C0A" + JPKI_AID.hex(), "9000"),
            ("00A4020C020018", "9000"),
            ("002000800439383736", "63C2"),
            ("00A4040C0A" + TEXT_AP_AID.hex(), "9000"),
            ("00A4020C020011", "9000"),
            ("002000800439383736", "9000"),
            (read_sfi(0x0001), my_number_file().hex() + "6282"),
            (read_sfi(0x0002), basic_info_file().hex() + "6282"),
            ("00A4020C020014", "9000"),
            ("002000800C" + MY_NUMBER.hex(), "9000"),
        ]
    )
    channel = CardChannel(transport)
    with pytest.raises(Exception, match="attempt"):
        JpkiSession(channel).verify_pin(JpkiPin.AUTH, bytearray(b"9876"))
    text = TextApSession(channel)
    text.verify_pin(bytearray(b"9876"))
    number = text.read_my_number()
    text.read_basic_info()
    text.unlock_with_my_number(number)
    output = all_output(traffic_log)
    assert "> 00A4040C" in output  # traffic is logged ...
    assert "< 63C2" in output
    for secret in (
        "9876",
        "39383736",
        MY_NUMBER.decode(),
        MY_NUMBER.hex().upper(),
        MY_NUMBER.hex(),
        MY_NUMBER[:5].hex().upper(),
        FAKE_NAME,
        FAKE_NAME.encode().hex().upper()[:10],
    ):
        assert secret not in output  # ... but no secret, not even in part
    assert "<hidden> (17)" in output or "<hidden> (19)" in output


def test_non_secret_data_is_shortened_by_default(traffic_log: pytest.LogCaptureFixture) -> None:
    transport = ScriptedTransport([("0084000010", "00112233445566778899AABBCCDDEEFF" + "9000")])
    JpkiSession(CardChannel(transport)).channel.transmit_raw(bytes.fromhex("0084000010"))
    output = all_output(traffic_log)
    assert "< 9000 0011223344~EEFF (16)" in output
    assert "00112233445566778899AABBCCDDEEFF" not in output


def test_nothing_is_formatted_when_the_level_is_off(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="kiosk.card_reader.traffic")
    transport = ScriptedTransport([("0084000010", "00" * 16 + "9000")])
    CardChannel(transport).transmit_raw(bytes.fromhex("0084000010"))
    assert caplog.records == []
