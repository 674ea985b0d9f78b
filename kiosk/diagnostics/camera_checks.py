"""Camera checks: opening the configured source, frame rate, resolution, brightness, sharpness.

Frames are measured in memory and dropped; no image is kept or written. A camera ``device``
or a video ``file`` is opened with OpenCV; the ``synthetic`` source is the face pipeline's
synthetic resident (:func:`open_synthetic`).

:func:`frame_quality` (brightness and sharpness of one frame) is public so the engineer's live
preview can show the same figures as the report.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from kiosk.config import KioskConfig
from kiosk.diagnostics.model import CheckResult, JsonValue, fail, ok, warn

Frame = npt.NDArray[np.uint8]
SAMPLE_FRAMES = 15
MAX_SAMPLE_SECONDS = 3.0
DARK, BRIGHT = 40.0, 215.0
BLURRY = 15.0


class FrameGrabber(Protocol):
    def read(self) -> Frame | None:
        """The next frame (H x W x 3 BGR or H x W grey), or None if none came."""
        ...

    def close(self) -> None: ...


OpenSource = Callable[[KioskConfig], FrameGrabber]


class SourceUnavailableError(Exception):
    """The camera or file could not be opened (message says why)."""


@dataclass(frozen=True)
class FrameQuality:
    brightness: float  # mean grey level, 0..255
    sharpness: float   # variance of the Laplacian of the grey image


def frame_quality(frame: Frame) -> FrameQuality:
    grey = frame.astype(np.float32)
    if grey.ndim == 3:
        # BGR to luma (ITU-R BT.601 weights)
        grey = grey[..., 0] * 0.114 + grey[..., 1] * 0.587 + grey[..., 2] * 0.299
    if grey.shape[0] < 3 or grey.shape[1] < 3:
        return FrameQuality(float(grey.mean()) if grey.size else 0.0, 0.0)
    laplacian = (grey[1:-1, :-2] + grey[1:-1, 2:] + grey[:-2, 1:-1] + grey[2:, 1:-1]
                 - 4 * grey[1:-1, 1:-1])
    return FrameQuality(float(grey.mean()), float(laplacian.var()))


class _OpenCvGrabber:
    def __init__(self, config: KioskConfig) -> None:
        import cv2

        camera = config.camera
        # OpenCV prints its own warnings when a device is missing; the result says it better.
        previous = cv2.utils.logging.getLogLevel()
        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)
        try:
            if camera.source == "device":
                capture = cv2.VideoCapture(camera.device)
                what = f"/dev/video{camera.device}"
            else:
                capture = cv2.VideoCapture(str(camera.file))
                what = str(camera.file)
        finally:
            cv2.utils.logging.setLogLevel(previous)
        if not capture.isOpened():
            capture.release()
            raise SourceUnavailableError(f"cannot open {what}")
        capture.set(cv2.CAP_PROP_FRAME_WIDTH, camera.width)
        capture.set(cv2.CAP_PROP_FRAME_HEIGHT, camera.height)
        capture.set(cv2.CAP_PROP_FPS, camera.fps)
        self._capture = capture

    def read(self) -> Frame | None:
        good, frame = self._capture.read()
        return np.asarray(frame, dtype=np.uint8) if good and frame is not None else None

    def close(self) -> None:
        self._capture.release()


def open_opencv(config: KioskConfig) -> FrameGrabber:
    return _OpenCvGrabber(config)


class _SourceGrabber:
    """A started ``kiosk.face_match`` frame source read like a camera (RGB frames)."""

    def __init__(self, source: Any) -> None:
        self._source = source
        self._last = -1
        source.start()

    def read(self) -> Frame | None:
        frame = self._source.wait_frame(after=self._last, timeout=2.0)
        if frame is None:
            return None
        self._last = frame.index
        return np.asarray(frame.image, dtype=np.uint8)

    def close(self) -> None:
        self._source.stop()


def open_synthetic(config: KioskConfig) -> FrameGrabber:
    """The synthetic resident of the face pipeline, animated from the built-in sample portrait
    (the scikit-image astronaut, public domain), at ``camera.fps``."""
    try:
        import skimage.data

        from kiosk.face_match.resident import SyntheticResident
        from kiosk.face_match.sources import RenderedSource
    except ImportError as error:
        raise SourceUnavailableError(f"the synthetic source is not installed ({error.name})"
                                     ) from None
    portrait = np.asarray(skimage.data.astronaut(), dtype=np.uint8)  # type: ignore[no-untyped-call]
    return _SourceGrabber(RenderedSource(SyntheticResident(portrait), fps=config.camera.fps))


def camera_checks(config: KioskConfig, synthetic_opener: OpenSource | None = open_synthetic,
                  open_capture: OpenSource = open_opencv) -> list[CheckResult]:
    camera = config.camera
    title = "Camera"
    source = {"device": f"device {camera.device}", "file": f"file {camera.file}",
              "synthetic": "synthetic resident"}[camera.source]
    if camera.source == "synthetic" and synthetic_opener is None:
        return [warn("camera.open", title, "the synthetic source is not available here",
                     source=source)]
    opener = (synthetic_opener if camera.source == "synthetic" and synthetic_opener
              else open_capture)
    try:
        grabber = opener(config)
    except SourceUnavailableError as error:
        return [fail("camera.open", title, str(error), source=source)]
    try:
        frames: list[Frame] = []
        started = time.perf_counter()
        while len(frames) < SAMPLE_FRAMES and time.perf_counter() - started < MAX_SAMPLE_SECONDS:
            frame = grabber.read()
            if frame is None:
                break
            frames.append(frame)
        elapsed = time.perf_counter() - started
    finally:
        grabber.close()
    if not frames:
        return [fail("camera.open", title, "opened, but no frame came", source=source)]
    height, width = frames[-1].shape[:2]
    measured_fps = len(frames) / elapsed if elapsed > 0 else 0.0
    results = [ok("camera.open", title, f"{width}x{height} at {measured_fps:.1f} frames/s",
                  source=source, width=width, height=height,
                  requested=f"{camera.width}x{camera.height} at {camera.fps}",
                  frames_sampled=len(frames), measured_fps=round(measured_fps, 1))]
    qualities = [frame_quality(frame) for frame in frames]
    brightness = float(np.median([q.brightness for q in qualities]))
    sharpness = float(np.median([q.sharpness for q in qualities]))
    details: dict[str, JsonValue] = {
        "brightness": round(brightness, 1), "sharpness": round(sharpness, 1),
        "brightness_range": f"{DARK:.0f}-{BRIGHT:.0f}", "sharpness_minimum": BLURRY}
    if brightness < DARK:
        results.append(warn("camera.image", "Camera image", "too dark: add light", **details))
    elif brightness > BRIGHT:
        results.append(warn("camera.image", "Camera image", "too bright: avoid backlight",
                            **details))
    elif sharpness < BLURRY:
        results.append(warn("camera.image", "Camera image",
                            "blurry: clean the lens or check the focus", **details))
    else:
        results.append(ok("camera.image", "Camera image", "brightness and sharpness fine",
                          **details))
    return results
