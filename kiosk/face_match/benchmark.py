"""Real-time benchmark of the face step (``kiosk face-eval bench``).

A ``RenderedSource`` plays the synthetic resident as a 640 x 480 camera on its own thread; a
preview thread shows (copies and scales, as a UI would) the newest frame at the camera rate;
``FaceCheck.run`` pulls frames on the calling thread. All on wall-clock time, on this machine.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Iterable
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from kiosk.face_match.card_photo import make_card_photo
from kiosk.face_match.check import FaceCheck, Progress
from kiosk.face_match.resident import SyntheticResident
from kiosk.face_match.sources import RenderedSource


def _read_rgb(path: Path) -> npt.NDArray[np.uint8]:
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise ValueError(f"cannot read {path.name}")
    return np.asarray(cv2.cvtColor(image, cv2.COLOR_BGR2RGB), dtype=np.uint8)


class _Preview(threading.Thread):
    """Shows the newest frame at up to ``fps``; counts distinct frames shown."""

    def __init__(self, source: RenderedSource, fps: float) -> None:
        super().__init__(name="preview", daemon=True)
        self._source, self._period = source, 1.0 / fps
        self._stop_event = threading.Event()
        self.shown: list[float] = []

    def run(self) -> None:
        last = -1
        while not self._stop_event.is_set():
            frame = self._source.wait_frame(after=last, timeout=0.5)
            if frame is None:
                continue
            last = frame.index
            mirrored = cv2.flip(frame.image, 1)  # the UI shows a mirror image
            cv2.resize(mirrored, (480, 360), interpolation=cv2.INTER_LINEAR)
            self.shown.append(time.monotonic())
            self._stop_event.wait(self._period / 2)

    def stop(self) -> None:
        self._stop_event.set()
        self.join(timeout=2)


def run_bench(portrait: Path, card_source: Path, *, runs: int, fps: float) -> dict[str, object]:
    card_photo = make_card_photo(_read_rgb(card_source))
    still = _read_rgb(portrait)
    preview_rates: list[float] = []
    match_seconds: list[float] = []
    check_seconds: list[float] = []
    analysis_ms: list[float] = []
    passed = 0
    for run in range(runs):
        check = FaceCheck(card_photo)
        source = RenderedSource(SyntheticResident(still, seed=run), fps=fps)
        feeds: list[float] = []
        last_feed = [time.monotonic()]

        def on_progress(
            progress: Progress, feeds: list[float] = feeds, last_feed: list[float] = last_feed
        ) -> None:
            now = time.monotonic()
            feeds.append(now - last_feed[0])
            last_feed[0] = now

        source.start()
        preview = _Preview(source, fps)
        preview.start()
        started = time.monotonic()
        try:
            result = check.run(source, on_progress=on_progress)
        finally:
            finished = time.monotonic()
            preview.stop()
            source.stop()
        window = [t for t in preview.shown if started <= t <= finished]
        preview_rates.append(len(window) / max(1e-6, finished - started))
        if result.match_seconds is not None:
            match_seconds.append(result.match_seconds)
        check_seconds.append(result.seconds)
        analysis_ms.extend(1000 * f for f in feeds[1:])
        passed += result.passed
    return {
        "runs": runs,
        "passed": passed,
        "camera_fps": fps,
        "preview_fps_min": min(preview_rates),
        "preview_fps_median": statistics.median(preview_rates),
        "match_seconds_max": max(match_seconds) if match_seconds else None,
        "match_seconds_median": statistics.median(match_seconds) if match_seconds else None,
        "check_seconds_median": statistics.median(check_seconds),
        "analysis_ms_median": statistics.median(analysis_ms) if analysis_ms else None,
    }


def _seconds(value: object) -> str:
    return f"{value:.2f} s" if isinstance(value, float) else "n/a"


def format_bench(report: dict[str, object]) -> Iterable[str]:
    yield f"runs {report['runs']}, passed {report['passed']}"
    yield (
        f"preview fps while checking: min {report['preview_fps_min']:.1f}, "
        f"median {report['preview_fps_median']:.1f} (camera {report['camera_fps']:.0f} fps)"
    )
    yield (
        f"first good frame -> match decision: median {_seconds(report['match_seconds_median'])},"
        f" max {_seconds(report['match_seconds_max'])}"
    )
    check = _seconds(report["check_seconds_median"])
    yield f"whole check (incl. the resident's reactions): median {check}"
    cycle = report["analysis_ms_median"]
    if isinstance(cycle, float):
        yield f"analysis cycle per frame: median {cycle:.1f} ms ({1000 / cycle:.1f} analysed fps)"
