"""Real-time benchmark of the face step (``kiosk face-eval bench``, attached to the face-eval
group below; the ``kiosk`` command table loads ``face-eval`` from here).

The product path, on wall-clock time, on this machine: a ``RenderedSource`` plays the
synthetic resident as a 640 x 480 camera on its own thread, and the flow's ``FaceCheckAdapter``
runs the check on the calling thread while its preview pump hands frames to a listener (what the
UI shows). Side by side, under the same load (camera and preview running), the bare engine
work on the same kind of frame: one full-frame detection and one encoding, nothing else.

Reported: the preview rate against the camera's (the ratio), the decision latency (capture of
the first good frame to the match decision) against the bare detect-and-encode time (the ratio),
the whole check time (it includes the resident's reactions to the prompts), and per-stage
times.
"""

from __future__ import annotations

import json
import statistics
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import click
import cv2
import numpy as np
import numpy.typing as npt

from kiosk.face_match.card_photo import make_card_photo
from kiosk.face_match.cli import face_eval_command
from kiosk.face_match.config import FaceConfig, load_config
from kiosk.face_match.engine import load_engine
from kiosk.face_match.resident import SyntheticResident
from kiosk.face_match.sources import FrameSource, RenderedSource
from kiosk.flow.adapters.face import FaceCheckAdapter
from kiosk.flow.ports import FaceHint, LivenessPrompt, ScreenColour

BARE_REPEATS = 5


def _read_rgb(path: Path) -> npt.NDArray[np.uint8]:
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise ValueError(f"cannot read {path.name}")
    return np.asarray(cv2.cvtColor(image, cv2.COLOR_BGR2RGB), dtype=np.uint8)


class _CountingListener:
    """A UI stand-in: takes each preview frame as a screen would (mirror and scale it)."""

    def __init__(self) -> None:
        self.previews: list[float] = []
        self._lock = threading.Lock()

    def hint(self, hint: FaceHint) -> None:
        pass

    def prompt(self, prompt: LivenessPrompt | None) -> None:
        pass

    def illumination(self, colour: ScreenColour | None) -> None:
        pass

    def preview(self, frame: object) -> None:
        if isinstance(frame, np.ndarray):
            cv2.resize(cv2.flip(frame, 1), (480, 360), interpolation=cv2.INTER_LINEAR)
        with self._lock:
            self.previews.append(time.monotonic())


def _bare_seconds(source: RenderedSource, config: FaceConfig) -> float:
    """Median time of one full-frame detection plus one encoding on live frames."""
    engine = load_engine(config.engine)
    times: list[float] = []
    last = -1
    for _ in range(BARE_REPEATS * 4):
        frame = source.wait_frame(after=last, timeout=2.0)
        if frame is None:
            break
        last = frame.index
        started = time.perf_counter()
        faces = engine.detect(frame.image)
        if faces:
            engine.encode(frame.image, faces[0])
            times.append(time.perf_counter() - started)
        if len(times) >= BARE_REPEATS:
            break
    if not times:
        raise ValueError("no face found in the rendered frames")
    return statistics.median(times)


def run_bench(
    portrait: Path, card_source: Path, *, runs: int, fps: float, config: FaceConfig | None = None
) -> dict[str, object]:
    config = config or load_config()
    card_photo = bytearray(make_card_photo(_read_rgb(card_source)))
    still = _read_rgb(portrait)
    preview_ratios: list[float] = []
    latencies: list[float] = []
    bare: list[float] = []
    check_seconds: list[float] = []
    passed = 0
    for run in range(runs):
        source = RenderedSource(SyntheticResident(still, seed=run), fps=fps)
        listener = _CountingListener()
        adapter = FaceCheckAdapter(_opener(source), config)
        # Bare detect-and-encode, under the same load: the camera and a preview consumer run.
        source.start()
        pump = _BarePreview(source, listener)
        pump.start()
        try:
            bare.append(_bare_seconds(source, config))
        finally:
            pump.stop()
            source.stop()
        listener.previews.clear()
        captured_before = source.frames_captured
        started = time.monotonic()
        result = adapter.check(card_photo, listener, lambda: False)
        finished = time.monotonic()
        captured = source.frames_captured - captured_before
        window = [t for t in listener.previews if started <= t <= finished]
        camera_rate = captured / max(1e-6, finished - started)
        preview_ratios.append(len(window) / max(1e-6, finished - started) / max(1e-6, camera_rate))
        check = adapter.last_result
        if check is not None and check.match_latency_s is not None:
            latencies.append(check.match_latency_s)
        check_seconds.append(finished - started)
        passed += result.matched and result.live
    latency = statistics.median(latencies) if latencies else None
    bare_median = statistics.median(bare)
    return {
        "engine": config.engine,
        "runs": runs,
        "passed": passed,
        "camera_fps": fps,
        "preview_ratio_min": min(preview_ratios),
        "preview_ratio_median": statistics.median(preview_ratios),
        "decision_latency_s_median": latency,
        "decision_latency_s_max": max(latencies) if latencies else None,
        "bare_detect_encode_s_median": bare_median,
        "latency_ratio": None if latency is None else latency / bare_median,
        "check_seconds_median": statistics.median(check_seconds),
    }


def _opener(source: RenderedSource) -> Callable[[], FrameSource]:
    return lambda: source


class _BarePreview(threading.Thread):
    """The preview load while the bare engine work is timed (as the adapter's pump makes it)."""

    def __init__(self, source: RenderedSource, listener: _CountingListener) -> None:
        super().__init__(name="bench-preview", daemon=True)
        self._source, self._listener = source, listener
        self._stop_event = threading.Event()

    def run(self) -> None:
        last = -1
        while not self._stop_event.is_set():
            frame = self._source.wait_frame(after=last, timeout=0.2)
            if frame is not None:
                last = frame.index
                self._listener.preview(frame.image)

    def stop(self) -> None:
        self._stop_event.set()
        self.join(timeout=2)


def _seconds(value: object) -> str:
    return f"{1000 * value:.0f} ms" if isinstance(value, float) else "n/a"


def format_bench(report: dict[str, object]) -> Iterable[str]:
    yield f"engine {report['engine']}: runs {report['runs']}, passed {report['passed']}"
    yield (
        f"preview rate / camera rate while checking: min {report['preview_ratio_min']:.2f}, "
        f"median {report['preview_ratio_median']:.2f} (camera {report['camera_fps']:.0f} fps)"
    )
    yield (
        f"first good frame -> match decision: median "
        f"{_seconds(report['decision_latency_s_median'])}, max "
        f"{_seconds(report['decision_latency_s_max'])}"
    )
    bare = _seconds(report["bare_detect_encode_s_median"])
    yield f"bare detect + encode of one frame: median {bare}"
    ratio = report["latency_ratio"]
    if isinstance(ratio, float):
        yield f"decision latency / bare detect + encode: {ratio:.2f}"
    yield (
        f"whole check (incl. the resident's reactions): median "
        f"{report['check_seconds_median']:.1f} s"
    )


@click.command("bench")
@click.option(
    "--portrait",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="Photo the synthetic resident is animated from.",
)
@click.option(
    "--card-source",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="Photo the card portrait is made from (same person, another photo).",
)
@click.option("--runs", type=click.IntRange(1, 100), default=3, show_default=True)
@click.option(
    "--fps",
    type=click.FloatRange(5, 60),
    default=30.0,
    show_default=True,
    help="Camera frame rate of the simulated 640x480 camera.",
)
@click.option("--engine", type=click.Choice(["sface", "dlib"]), default="sface", show_default=True)
@click.option("--json", "as_json", is_flag=True)
def face_bench_command(  # noqa: PLR0917 (click passes options positionally)
    portrait: Path, card_source: Path, runs: int, fps: float, engine: str, as_json: bool
) -> None:
    """Real-time benchmark of the product path: a 640x480 camera thread, the flow's face
    adapter (analysis on its thread, preview pump on another) and a preview consumer.

    Prints the preview rate against the camera rate, the decision latency (first good frame to
    match decision) beside one bare detect-and-encode of a frame, their ratio, and the whole
    check time.
    """
    try:
        report = run_bench(
            portrait, card_source, runs=runs, fps=fps, config=load_config(engine=engine)
        )
    except ValueError as error:
        raise click.ClickException(str(error)) from error
    if as_json:
        click.echo(json.dumps(report, sort_keys=True))
    else:
        for line in format_bench(report):
            click.echo(line)


face_eval_command.add_command(face_bench_command)

__all__ = ["face_bench_command", "face_eval_command", "run_bench"]
