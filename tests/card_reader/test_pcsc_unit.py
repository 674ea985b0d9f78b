"""PC/SC transport and watcher against an in-memory scard API (fast, no pcscd needed)."""

from __future__ import annotations

import queue
import time

import pytest

from kiosk.card_reader import events
from kiosk.card_reader.errors import (
    CardError,
    CardRemoved,
    CardUnresponsive,
    MalformedResponse,
    ReaderBusy,
    ReaderUnavailable,
)
from kiosk.card_reader.pcsc import PcscTransport, ReaderWatcher, list_readers

from .fake_scard import FakeScard

READER = "Fake Reader 00 00"


def test_transport_opens_exclusive_and_powers_off_on_close() -> None:
    api = FakeScard()
    with PcscTransport(READER, api=api) as transport:
        assert transport.atr == b"\x3b\xe0"
        assert transport.transmit(bytes.fromhex("00A4040C")) == (b"", 0x9000)
    assert api.share == api.SCARD_SHARE_EXCLUSIVE
    assert api.protocols == api.SCARD_PROTOCOL_T0 | api.SCARD_PROTOCOL_T1
    assert api.disconnects == [api.SCARD_UNPOWER_CARD]
    assert api.released == 1
    transport.close()  # idempotent
    assert api.disconnects == [api.SCARD_UNPOWER_CARD]
    with pytest.raises(CardRemoved):
        transport.transmit(b"\x00\xa4\x00\x00")


@pytest.mark.parametrize(
    ("code", "error"),
    [
        (0x80100069, CardRemoved),
        (0x80100068, CardRemoved),
        (0x8010000C, CardRemoved),
        (0x8010001D, ReaderUnavailable),
        (0x80100009, ReaderUnavailable),
        (0x80100066, CardUnresponsive),
        (0x8010000B, ReaderBusy),
        (0x80100016, CardError),
    ],
)
def test_transmit_errors_are_typed(code: int, error: type[CardError]) -> None:
    api = FakeScard()
    transport = PcscTransport(READER, api=api)
    api.transmit_result = (code, [])
    with pytest.raises(error) as info:
        transport.transmit(bytes.fromhex("00B0000000"))
    assert f"0x{code:08X}" in str(info.value)


@pytest.mark.parametrize(
    ("code", "error"),
    [(0x8010000C, CardRemoved), (0x8010000B, ReaderBusy), (0x80100009, ReaderUnavailable)],
)
def test_connect_errors_are_typed_and_release_the_context(
    code: int, error: type[CardError]
) -> None:
    api = FakeScard()
    api.connect_result = code
    with pytest.raises(error):
        PcscTransport(READER, api=api)
    assert api.released == 1


def test_no_service_on_connect() -> None:
    api = FakeScard()
    api.service = False
    with pytest.raises(ReaderUnavailable, match="0x8010001D"):
        PcscTransport(READER, api=api)
    with pytest.raises(ReaderUnavailable):
        list_readers(api=api)


@pytest.mark.parametrize("answer", [[], [0x90]])
def test_answer_without_status_word(answer: list[int]) -> None:
    api = FakeScard()
    api.transmit_result = (0, answer)
    with pytest.raises(MalformedResponse):
        PcscTransport(READER, api=api).transmit(b"\x00\xa4\x04\x0c")


def test_list_readers_empty_and_present() -> None:
    api = FakeScard()
    assert list_readers(api=api) == []
    api.add_reader(READER)
    assert list_readers(api=api) == [READER]


class Recorder:
    def __init__(self) -> None:
        self.events: queue.Queue[events.ReaderEvent] = queue.Queue()

    def __call__(self, event: events.ReaderEvent) -> None:
        self.events.put(event)

    def next(self) -> events.ReaderEvent:
        return self.events.get(timeout=5)

    def expect(self, *expected: events.ReaderEvent) -> None:
        got = [self.next() for _ in expected]
        assert got == list(expected)


def test_watcher_follows_readers_cards_and_the_service() -> None:
    api = FakeScard()
    recorder = Recorder()
    api.add_reader(READER)
    watcher = ReaderWatcher(recorder, wait_seconds=0.05, retry_seconds=0.05, api=api)
    with watcher:
        recorder.expect(events.ReaderAdded(READER))
        api.insert(READER, b"\x3b\xe0")
        recorder.expect(events.CardInserted(READER, b"\x3b\xe0"))
        api.remove(READER)
        recorder.expect(events.CardRemoved(READER))
        api.insert(READER, b"\x3b\x01", mute=True)
        recorder.expect(events.CardMute(READER))
        api.remove(READER)
        recorder.expect(events.CardRemoved(READER))
        api.insert(READER, b"\x3b\xe0")
        recorder.expect(events.CardInserted(READER, b"\x3b\xe0"))
        api.stop_service()
        event = recorder.next()
        assert event == events.CardRemoved(READER)
        recorder.expect(events.ReaderRemoved(READER))
        assert isinstance(recorder.next(), events.ServiceUnavailable)
        time.sleep(0.2)  # keeps retrying without repeating the event
        assert recorder.events.empty()
        api.start_service()
        recorder.expect(events.ServiceBack(), events.ReaderAdded(READER))
        recorder.expect(events.CardInserted(READER, b"\x3b\xe0"))
        api.add_reader("Second")
        recorder.expect(events.ReaderAdded("Second"))
        api.remove_reader("Second")
        recorder.expect(events.ReaderRemoved("Second"))
    assert not watcher.running


def test_watcher_reports_a_quick_card_swap() -> None:
    api = FakeScard()
    recorder = Recorder()
    api.add_reader(READER)
    api.insert(READER, b"\x3b\xe0")
    with ReaderWatcher(recorder, wait_seconds=0.05, api=api):
        recorder.expect(events.ReaderAdded(READER), events.CardInserted(READER, b"\x3b\xe0"))
        with api.lock:  # removal and insertion between two waits
            api.counter[READER] += 2
            api.readers[READER] = (api.SCARD_STATE_PRESENT, b"\x3b\x99")
            api.lock.notify_all()
        recorder.expect(events.CardRemoved(READER), events.CardInserted(READER, b"\x3b\x99"))


@pytest.mark.expect_logged_errors
def test_watcher_survives_a_failing_callback() -> None:
    api = FakeScard()
    seen: list[events.ReaderEvent] = []

    def callback(event: events.ReaderEvent) -> None:
        seen.append(event)
        raise RuntimeError("observer bug")

    api.add_reader(READER)
    with ReaderWatcher(callback, wait_seconds=0.05, api=api) as watcher:
        deadline = time.monotonic() + 5
        while not seen and time.monotonic() < deadline:
            time.sleep(0.01)
        api.insert(READER, b"\x3b")
        while len(seen) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert watcher.running
    assert seen == [events.ReaderAdded(READER), events.CardInserted(READER, b"\x3b")]


def test_watcher_starting_without_service_then_service_appears() -> None:
    api = FakeScard()
    api.service = False
    recorder = Recorder()
    with ReaderWatcher(recorder, wait_seconds=0.05, retry_seconds=0.05, api=api) as watcher:
        assert isinstance(recorder.next(), events.ServiceUnavailable)
        api.add_reader(READER)
        api.start_service()
        recorder.expect(events.ServiceBack(), events.ReaderAdded(READER))
        started = time.monotonic()
    assert time.monotonic() - started < 3
    assert not watcher.running


def test_watcher_without_pnp_support_polls_without_spinning() -> None:
    api = FakeScard()
    api.pnp_supported = False
    recorder = Recorder()
    with ReaderWatcher(recorder, wait_seconds=0.05, api=api):
        time.sleep(0.2)  # no reader at all: the reader list is polled
        api.add_reader(READER)
        recorder.expect(events.ReaderAdded(READER))
        api.insert(READER, b"\x3b")
        recorder.expect(events.CardInserted(READER, b"\x3b"))
        api.remove_reader(READER)
        recorder.expect(events.CardRemoved(READER), events.ReaderRemoved(READER))
        calls = api.status_calls
        time.sleep(0.3)
        assert api.status_calls - calls < 20  # waits, does not spin
