"""The card layer through pyscard -> pcscd -> vpcd -> the testbed's virtual card.

Needs pcscd with the vpcd readers (``scripts/services pcscd``); every test is marked
``pcsc``. Reader 0 is taken under the testbed's cross-process lock by ``card_in_reader`` /
``inserted_card``.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import pytest

from kiosk.card_reader import events
from kiosk.card_reader.apdu import CardChannel
from kiosk.card_reader.benchmark import BenchValues, run_card_benchmark
from kiosk.card_reader.card import MyNumberCard
from kiosk.card_reader.card_info import TrustAnchors
from kiosk.card_reader.errors import (
    CardRemoved,
    MalformedResponse,
    PinBlocked,
    ReaderBusy,
    ReaderUnavailable,
    WrongPin,
)
from kiosk.card_reader.jpki import SHA256_DIGEST_INFO_PREFIX, JpkiPin
from kiosk.card_reader.pcsc import PcscTransport, ReaderWatcher, list_readers
from kiosk_backend.admin_command import (
    CardVerdict,
    build_reset_command,
    session_keys,
    verify_answer,
)
from kiosk_testbed.card.in_process import InProcessTransport
from tests.helpers.virtual_card import READER_0, inserted_card

pytestmark = pytest.mark.pcsc

PROFILE_ATR = bytes.fromhex("3BE000FF8131FE4514")
REPO = Path(__file__).resolve().parents[2]


def secret(values: dict[str, Any], key: str) -> bytearray:
    return bytearray(str(values[key]).encode("ascii"))


def test_virtual_readers_are_listed() -> None:
    assert READER_0 in list_readers()


def test_unknown_reader_is_unavailable() -> None:
    with pytest.raises(ReaderUnavailable):
        PcscTransport("No Such Reader 00 00")


def test_resident_reads_and_reset_through_pcsc(
    card_in_reader: Any, trust_anchors: TrustAnchors, testbed_authority: Any
) -> None:
    values = card_in_reader.values
    with PcscTransport(READER_0) as transport:
        assert transport.atr == PROFILE_ATR
        card = MyNumberCard.recognize(transport)
        counters = card.read_retry_counters()
        assert (counters.auth.tries_left, counters.sign.tries_left) == (3, 5)
        card.jpki.verify_pin(JpkiPin.AUTH, secret(values, "auth_pin"))
        signature = card.jpki.sign_with_auth_key(SHA256_DIGEST_INFO_PREFIX + bytes(32))
        assert len(signature) == 256
        card.text_ap.verify_pin(secret(values, "text_pin"))
        my_number = card.text_ap.read_my_number()
        assert my_number == secret(values, "my_number")
        card.card_info.unlock_with_my_number(my_number)
        trusted = card.card_info.read_trusted_card_face(trust_anchors)
        assert len(trusted.face.photo) > 1000
        assert card.channel.fast_reads is False  # the strict real-card profile refused them
        challenge = card.jpki.get_challenge()
        keys = session_keys(
            testbed_authority.admin_master(), card_in_reader.card.card_id, challenge
        )
        answer = card.jpki.relay(build_reset_command(keys, bytearray(b"RESET2026")))
        assert verify_answer(keys, answer) is CardVerdict.PIN_SET
        card.jpki.verify_pin(JpkiPin.SIGN, bytearray(b"RESET2026"))


def test_wrong_pins_to_blocking_through_pcsc(card_in_reader: Any) -> None:
    with PcscTransport(READER_0) as transport:
        card = MyNumberCard.recognize(transport)
        for left in (2, 1):
            with pytest.raises(WrongPin) as info:
                card.jpki.verify_pin(JpkiPin.AUTH, bytearray(b"9999"))
            assert info.value.attempts_left == left
        with pytest.raises(PinBlocked):
            card.jpki.verify_pin(JpkiPin.AUTH, bytearray(b"9999"))
    with PcscTransport(READER_0) as transport:  # blocked for good, across power cycles
        card = MyNumberCard.recognize(transport)
        assert card.read_retry_counters().auth.blocked
        with pytest.raises(PinBlocked):
            card.jpki.verify_pin(JpkiPin.AUTH, secret(card_in_reader.values, "auth_pin"))


def test_close_powers_the_card_off(card_in_reader: Any) -> None:
    with PcscTransport(READER_0) as transport:
        card = MyNumberCard.recognize(transport)
        card.jpki.verify_pin(JpkiPin.AUTH, secret(card_in_reader.values, "auth_pin"))
        assert card.jpki.pin_status(JpkiPin.AUTH).verified
    with PcscTransport(READER_0) as transport:
        card = MyNumberCard.recognize(transport)
        assert not card.jpki.pin_status(JpkiPin.AUTH).verified


def test_exclusive_access(card_in_reader: Any) -> None:
    with PcscTransport(READER_0), pytest.raises(ReaderBusy):
        PcscTransport(READER_0)


class RemovingTransport:
    """Pulls the card out of the reader after ``after`` APDUs."""

    def __init__(self, inner: PcscTransport, slot: Any, after: int) -> None:
        self.inner, self.slot, self.after, self.count = inner, slot, after, 0

    def transmit(self, apdu: bytes) -> tuple[bytes, int]:
        self.count += 1
        if self.count == self.after:
            self.slot.remove()
        return self.inner.transmit(apdu)

    def close(self) -> None:
        self.inner.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def test_card_removed_mid_read(card_in_reader: Any, trust_anchors: TrustAnchors) -> None:
    values = card_in_reader.values
    with PcscTransport(READER_0) as pcsc:
        card = MyNumberCard.recognize(pcsc)
        card.card_info.unlock_with_my_number(secret(values, "my_number"))
        card.channel.transport = RemovingTransport(pcsc, card_in_reader, after=2)
        with pytest.raises(CardRemoved):
            card.card_info.read_trusted_card_face(trust_anchors)
    card_in_reader.insert()
    with PcscTransport(READER_0) as pcsc:  # back in: works again, verification gone
        card = MyNumberCard.recognize(pcsc)
        assert not card.jpki.pin_status(JpkiPin.AUTH).verified


def test_no_card_in_the_reader(card_in_reader: Any) -> None:
    card_in_reader.remove()
    with pytest.raises(CardRemoved):
        PcscTransport(READER_0)


class BrokenCard:
    """A card program that answers every APDU with the same (broken) bytes."""

    def __init__(self, answer: bytes) -> None:
        self.answer = answer
        self.count = 0

    def power_on(self) -> None: ...

    def power_off(self) -> None: ...

    def reset(self) -> None: ...

    def process(self, apdu: bytes) -> bytes:
        self.count += 1
        return self.answer


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (b"\x90", "no status word"),
        (b"\x61\x10", "61xx"),
        (b"\x30\x82\x10\x00\x01\x02\x62\x82", "longer than the file"),
        (b"\x6c\x10", "6Cxx twice"),
    ],
)
def test_malformed_answers_through_pcsc(answer: bytes, message: str, tmp_path: Path) -> None:
    broken = BrokenCard(answer)
    with (
        inserted_card(broken, tmp_path / "none", {}),  # type: ignore[arg-type]
        PcscTransport(READER_0) as transport,
        pytest.raises(MalformedResponse, match=message),
    ):
        CardChannel(transport).read_ef_tlv(None)
    assert broken.count < 300


def test_watcher_sees_the_card_come_and_go(card_in_reader: Any) -> None:
    seen: queue.Queue[events.ReaderEvent] = queue.Queue()

    def ours(event: events.ReaderEvent) -> None:
        if getattr(event, "reader", READER_0) == READER_0:
            seen.put(event)

    with ReaderWatcher(ours, wait_seconds=0.1):
        assert seen.get(timeout=5) == events.ReaderAdded(READER_0)
        assert seen.get(timeout=5) == events.CardInserted(READER_0, PROFILE_ATR)
        card_in_reader.remove()
        assert seen.get(timeout=5) == events.CardRemoved(READER_0)
        card_in_reader.insert()
        assert seen.get(timeout=5) == events.CardInserted(READER_0, PROFILE_ATR)


WITHOUT_PCSCD = """
import json, time
from kiosk.card_reader.pcsc import PcscTransport, ReaderWatcher, list_readers
from kiosk.card_reader.errors import ReaderUnavailable
out = {}
for name, action in (("list", list_readers), ("open", lambda: PcscTransport("Virtual PCD 00 00"))):
    try:
        action()
        out[name] = "no error"
    except ReaderUnavailable as error:
        out[name] = "ReaderUnavailable: " + str(error)
seen = []
watcher = ReaderWatcher(lambda e: seen.append(type(e).__name__), wait_seconds=0.05,
                        retry_seconds=0.05)
watcher.start(); time.sleep(0.5); watcher.stop()
out["events"] = seen
out["stopped"] = not watcher.running
print(json.dumps(out))
"""


def test_pcscd_not_running(tmp_path: Path) -> None:
    env = {**os.environ, "PCSCLITE_CSOCK_NAME": str(tmp_path / "no-pcscd.comm")}
    result = subprocess.run(
        [sys.executable, "-c", WITHOUT_PCSCD],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    out = json.loads(result.stdout)
    assert out["list"].startswith("ReaderUnavailable") and "0x8010001D" in out["list"]
    assert out["open"].startswith("ReaderUnavailable")
    assert out["events"] == ["ServiceUnavailable"]  # reported once, not on every retry
    assert out["stopped"]


def test_benchmark_through_pcsc(
    card_in_reader: Any, trust_anchors: TrustAnchors, fast_virtual_card: Any
) -> None:
    """A transaction's card work on the strict real-card profile through pcscd, and on a card
    taking the fast forms: file reads stay within 1.2 x the fewest APDUs possible."""
    values = BenchValues(
        secret(card_in_reader.values, "auth_pin"), secret(card_in_reader.values, "text_pin")
    )
    strict = run_card_benchmark(
        lambda: PcscTransport(READER_0), values=values, anchors=trust_anchors, repeat=2
    )
    fast = run_card_benchmark(
        lambda: InProcessTransport(fast_virtual_card), values=values, anchors=trust_anchors
    )
    never_tried = run_card_benchmark(
        lambda: InProcessTransport(fast_virtual_card),
        values=values,
        anchors=trust_anchors,
        fast_forms=False,
    )
    assert strict["fast_forms_used"] is False and fast["fast_forms_used"] is True
    for report in (strict, fast, never_tried):
        assert report["reads"]["ratio"] <= 1.2, report["reads"]
        assert report["first_run"]["card_face_photo_bytes"] > 1000
    # the fast forms save round trips; never trying them costs exactly what strict costs,
    # less the one refused try
    assert fast["apdus"] < strict["apdus"]
    assert never_tried["apdus"] == strict["apdus"] - 1
    assert strict["contactless_424k"]["seconds"] < 1.0
    assert strict["median_total_ms"] < 5000
    print(json.dumps(strict, indent=1))
