"""My Number card recognition by SELECT, retry counters, snapshot for card-swap detection."""

from __future__ import annotations

import pytest

from kiosk.card_reader.card import MyNumberCard
from kiosk.card_reader.card_info import CARD_INFO_AID
from kiosk.card_reader.errors import CardError, NotAMyNumberCard
from kiosk.card_reader.jpki import JPKI_AID
from kiosk.card_reader.scripted import ScriptedTransport
from kiosk.card_reader.text_ap import TEXT_AP_AID

from .builders import fake_certificate, read_sfi


def select(aid: bytes) -> str:
    return "00A4040C0A" + aid.hex()


RECOGNIZE = [
    (select(CARD_INFO_AID), "9000"),
    (select(JPKI_AID), "9000"),
    (select(TEXT_AP_AID), "9000"),
]


def status(fid: int, sw: str) -> list[tuple[str, str]]:
    """An empty VERIFY in the reference form: SELECT the PIN's EF, VERIFY the current EF."""
    return [(f"00A4020C02{fid:04X}", "9000"), ("00200080", sw)]


def test_recognized_by_its_three_applications() -> None:
    transport = ScriptedTransport(RECOGNIZE)
    card = MyNumberCard.recognize(transport)
    assert card.channel.selected_aid == TEXT_AP_AID  # the retry counters start there
    transport.assert_done()


@pytest.mark.parametrize("missing", [0, 1, 2])
def test_a_missing_application_means_not_a_my_number_card(missing: int) -> None:
    steps = [*RECOGNIZE[:missing], (RECOGNIZE[missing][0], "6A82")]
    with pytest.raises(NotAMyNumberCard) as info:
        MyNumberCard.recognize(ScriptedTransport(steps))
    assert info.value.sw == 0x6A82


def test_unknown_class_means_not_a_my_number_card() -> None:
    with pytest.raises(NotAMyNumberCard):
        MyNumberCard.recognize(ScriptedTransport([(RECOGNIZE[0][0], "6E00")]))


def test_other_select_failure_is_a_card_error() -> None:
    with pytest.raises(CardError) as info:
        MyNumberCard.recognize(ScriptedTransport([(RECOGNIZE[0][0], "6F00")]))
    assert not isinstance(info.value, NotAMyNumberCard)


def test_retry_counters_and_snapshot() -> None:
    cert = fake_certificate(900)
    transport = ScriptedTransport(
        [
            *RECOGNIZE,
            *status(0x0011, "63C2"),
            (select(JPKI_AID), "9000"),
            *status(0x0018, "63C3"),
            *status(0x001B, "63C5"),
            (read_sfi(0x000A, "000100"), cert[:256].hex() + "9000"),
            # second snapshot, now the auth PIN has been tried wrongly elsewhere
            (select(TEXT_AP_AID), "9000"),
            *status(0x0011, "63C2"),
            (select(JPKI_AID), "9000"),
            *status(0x0018, "63C2"),
            *status(0x001B, "63C5"),
            (read_sfi(0x000A, "000100"), cert[:256].hex() + "9000"),
        ]
    )
    card = MyNumberCard.recognize(transport)
    first = card.snapshot()
    assert first.tries_left == (3, 5, 2)
    second = card.snapshot()
    assert second != first
    assert second.auth_certificate_sha256 == first.auth_certificate_sha256
    transport.assert_done()


def test_verified_pin_counts_as_full_so_the_snapshot_is_stable() -> None:
    transport = ScriptedTransport(
        [
            *RECOGNIZE,
            *status(0x0011, "63C3"),
            (select(JPKI_AID), "9000"),
            *status(0x0018, "9000"),
            *status(0x001B, "63C5"),
        ]
    )
    counters = MyNumberCard.recognize(transport).read_retry_counters()
    assert counters.auth.verified and counters.auth.tries_left == 3
