"""Frame sources: threaded capture, newest frame wins, video file, prompts passed on."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pytest

from kiosk.face_match.actions import Action
from kiosk.face_match.sources import (
    CameraSource,
    FrameSource,
    FrameSourceError,
    PromptAware,
    RenderedSource,
    ThreadedSource,
    VideoFileSource,
)
from tests.face_match.faces import record_resident_clip


class _Counter:
    """Renders frames whose first pixel carries a counter; remembers prompts."""

    def __init__(self) -> None:
        self.count = 0
        self.prompts: list[Action | None] = []
        self.thread_ids: set[int] = set()

    def render(self, t: float) -> np.ndarray:
        self.count += 1
        self.thread_ids.add(threading.get_ident())
        frame = np.zeros((48, 64, 3), dtype=np.uint8)
        frame[0, 0, 0] = self.count % 256
        return frame

    def observe_prompt(self, action: Action | None, t: float) -> None:
        self.prompts.append(action)


def test_capture_runs_off_the_callers_thread_and_the_newest_frame_wins() -> None:
    renderer = _Counter()
    source = RenderedSource(renderer, fps=200)
    assert isinstance(source, FrameSource) and isinstance(source, PromptAware)
    source.start()
    try:
        first = source.wait_frame(timeout=2)
        assert first is not None
        time.sleep(0.2)  # a slow consumer
        newest = source.wait_frame(after=first.index, timeout=2)
        assert newest is not None
        assert newest.index > first.index + 5  # frames in between were dropped, not queued
        assert newest.index == source.frames_captured - 1 or newest.index >= first.index + 5
        assert threading.get_ident() not in renderer.thread_ids
        source.observe_prompt(Action.BLINK, newest.t)
        assert renderer.prompts == [Action.BLINK]
    finally:
        source.stop()
    assert "image" not in repr(newest) or "shape" in repr(newest)


def test_wait_frame_times_out_when_nothing_new_comes() -> None:
    source = RenderedSource(_Counter(), fps=1)
    source.start()
    try:
        frame = source.wait_frame(timeout=2)
        assert frame is not None
        started = time.monotonic()
        assert source.wait_frame(after=frame.index, timeout=0.1) is None
        assert time.monotonic() - started < 0.5
    finally:
        source.stop()


def test_video_file_plays_as_a_camera_and_ends(tmp_path: Path) -> None:
    clip = record_resident_clip(tmp_path / "clip.avi", frames=40)
    source = VideoFileSource(clip, start_frame=25)
    source.start()
    try:
        frame = source.wait_frame(timeout=5)
        assert frame is not None
        assert frame.image.shape == (360, 640, 3) and frame.image.dtype == np.uint8
        last = frame
        while (following := source.wait_frame(after=last.index, timeout=5)) is not None:
            last = following
        assert 5 <= last.index <= 15  # the clip's remaining frames, then the end of the stream
    finally:
        source.stop()


def test_missing_video_and_camera_give_typed_errors(tmp_path: Path) -> None:
    with pytest.raises(FrameSourceError):
        VideoFileSource(tmp_path / "missing.mp4")
    with pytest.raises(FrameSourceError):
        CameraSource(device=97).start()


class _Failing(ThreadedSource):
    def grab(self, t: float) -> np.ndarray | None:
        raise OSError("device unplugged")


def test_a_capture_failure_reaches_the_consumer() -> None:
    source = _Failing(fps=50)
    source.start()
    try:
        with pytest.raises(FrameSourceError):
            for _ in range(3):
                source.wait_frame(timeout=1)
    finally:
        source.stop()
