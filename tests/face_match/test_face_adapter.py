"""The flow's face adapter keeps the preview at the camera's rate while the models work."""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from typing import Any

import numpy as np
import pytest

from kiosk.face_match.card_photo import make_card_photo
from kiosk.face_match.check import FaceCheck
from kiosk.face_match.resident import SyntheticResident
from kiosk.face_match.sources import Frame, RenderedSource
from kiosk.flow.adapters.face import FaceCheckAdapter
from kiosk.flow.ports import (
    FaceCheckCancelledError,
    FaceCheckUnavailableError,
    FaceHint,
    LivenessPrompt,
)
from tests.face_match.faces import OBAMA, OBAMA_PORTRAIT, read_rgb


class _Listener:
    def __init__(self) -> None:
        self.previews = 0
        self.threads: set[str] = set()

    def hint(self, hint: FaceHint) -> None:
        pass

    def prompt(self, prompt: LivenessPrompt | None) -> None:
        pass

    def illumination(self, colour: object) -> None:
        pass

    def preview(self, frame: object) -> None:
        assert isinstance(frame, np.ndarray)
        self.previews += 1
        self.threads.add(threading.current_thread().name)


def test_a_slow_analysis_does_not_slow_the_preview(monkeypatch: pytest.MonkeyPatch) -> None:
    card = bytearray(make_card_photo(read_rgb(OBAMA / "obama_blue_room_2010.jpg")))
    source = RenderedSource(SyntheticResident(read_rgb(OBAMA_PORTRAIT), seed=1), fps=20)
    feed = FaceCheck.feed

    def slow_feed(
        self: FaceCheck, frame: np.ndarray, t: float | None = None, **kwargs: Any
    ) -> object:
        time.sleep(0.25)  # a machine five times slower than the camera
        return feed(self, frame, t, **kwargs)

    monkeypatch.setattr(FaceCheck, "feed", slow_feed)
    listener = _Listener()
    adapter = FaceCheckAdapter(lambda: source)
    deadline = time.monotonic() + 3.0
    started = time.monotonic()
    with pytest.raises(FaceCheckCancelledError):
        adapter.check(card, listener, lambda: time.monotonic() > deadline)
    elapsed = time.monotonic() - started
    captured = source.frames_captured
    assert captured / elapsed > 10  # the camera ran
    assert listener.previews >= 0.8 * captured
    assert threading.current_thread().name not in listener.threads


def test_a_retry_never_asks_the_sequence_just_failed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every attempt draws the same random numbers here, so only the adapter's memory of the
    last sequence keeps a retry from replaying it (a prepared clip would get a second chance
    at the same order)."""
    import random

    from kiosk.flow.adapters import face as face_adapter

    made: list[FaceCheck] = []

    class SameDraws(FaceCheck):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, rng=random.Random(7), **kwargs)
            made.append(self)

    monkeypatch.setattr(face_adapter, "FaceCheck", SameDraws)
    card = bytearray(make_card_photo(read_rgb(OBAMA_PORTRAIT)))
    adapter = FaceCheckAdapter(
        lambda: RenderedSource(SyntheticResident(read_rgb(OBAMA_PORTRAIT), seed=1), fps=20)
    )
    for _ in range(3):
        with pytest.raises(FaceCheckCancelledError):
            adapter.check(card, _Listener(), lambda: True)
    sequences = [check.actions for check in made]
    assert sequences[0] != sequences[1] and sequences[1] != sequences[2]
    assert sequences[0] == sequences[2]  # the same draws: only the last one is avoided


class _FrozenClockSource:
    """A camera whose clock stopped: every frame after the first carries the first's time."""

    def __init__(self, inner: RenderedSource) -> None:
        self.inner = inner

    def start(self) -> None:
        self.inner.start()

    def stop(self) -> None:
        self.inner.stop()

    def latest(self) -> Frame | None:
        return self.inner.latest()

    def wait_frame(self, after: int = -1, timeout: float = 1.0) -> Frame | None:
        frame = self.inner.wait_frame(after, timeout)
        return None if frame is None else replace(frame, t=0.0)


def test_a_camera_sending_only_frames_off_the_timeline_times_out() -> None:
    """Refused frames count as missing ones: the check ends on the camera's time-out, not
    when the flow's step timer runs out."""
    card = bytearray(make_card_photo(read_rgb(OBAMA_PORTRAIT)))
    source = _FrozenClockSource(
        RenderedSource(SyntheticResident(read_rgb(OBAMA_PORTRAIT), seed=1), fps=20)
    )
    adapter = FaceCheckAdapter(lambda: source, frame_timeout_s=1.0)
    started = time.monotonic()
    with pytest.raises(FaceCheckUnavailableError, match="stopped sending frames"):
        adapter.check(card, _Listener(), lambda: time.monotonic() - started > 20.0)
    assert time.monotonic() - started < 10.0
    assert source.inner.frames_captured > 20  # frames kept coming, all refused
