"""Frame sources: an OpenCV camera, a video file, or any renderer (the synthetic resident).

All share ``FrameSource``: ``start()``, ``latest()``, ``wait_frame(after, timeout)``, ``stop()``.
Capture runs on a daemon thread; only the newest frame is kept (a single slot, no queue), so a
slow consumer always gets the current picture. Frames live in memory only, RGB uint8.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import cv2
import numpy as np
import numpy.typing as npt

from kiosk.face_match.actions import Action

Image = npt.NDArray[np.uint8]


class FrameSourceError(RuntimeError):
    """The camera or video cannot be opened or read."""


DepthImage = npt.NDArray[np.float32]


@dataclass(frozen=True, slots=True, repr=False)
class Frame:
    image: Image  # RGB uint8
    t: float  # capture time on the source's clock
    index: int  # increases by one per captured frame
    # A depth camera's frame taken with it, aligned to ``image``: millimetres from the camera,
    # 0 where there is no reading. None for an RGB-only camera (the default).
    depth: DepthImage | None = None

    def __repr__(self) -> str:
        return f"Frame(index={self.index}, t={self.t:.3f}, shape={self.image.shape})"


@runtime_checkable
class FrameSource(Protocol):
    def start(self) -> None: ...

    def stop(self) -> None: ...

    def latest(self) -> Frame | None: ...

    def wait_frame(self, after: int = -1, timeout: float = 1.0) -> Frame | None: ...


@runtime_checkable
class PromptAware(Protocol):
    """A source that reacts to the liveness prompt on screen (the synthetic resident)."""

    def observe_prompt(self, action: Action | None, t: float) -> None: ...


@runtime_checkable
class LightAware(Protocol):
    """A source whose picture answers the screen's colour (optional, see ``FaceCheck``)."""

    def observe_illumination(self, colour: tuple[float, float, float] | None, t: float) -> None:
        ...


class ThreadedSource:
    """Runs ``grab()`` on a thread at up to ``fps``; keeps only the newest frame."""

    def __init__(self, fps: float, clock: Callable[[], float] = time.monotonic) -> None:
        if fps <= 0:
            raise ValueError("fps must be positive")
        self._period = 1.0 / fps
        self._clock = clock
        self._condition = threading.Condition()
        self._frame: Frame | None = None
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._error: Exception | None = None
        self.frames_captured = 0

    # Subclasses: return the next RGB frame, or None at the end of the stream.
    def grab(self, t: float) -> Image | None:
        raise NotImplementedError

    def grab_depth(self, t: float) -> DepthImage | None:
        """The depth frame taken with the last ``grab`` (None: no depth camera)."""
        return None

    def open(self) -> None:
        """Acquire the device or file (called on start, in the caller's thread)."""

    def close(self) -> None:
        """Release the device or file (called on the capture thread when it ends)."""

    def start(self) -> None:
        if self._thread is not None:
            return
        self.open()
        self._stopping.clear()
        self._thread = threading.Thread(target=self._loop, name="frame-capture", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout=5)
        with self._condition:
            self._condition.notify_all()

    def __enter__(self) -> ThreadedSource:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _loop(self) -> None:
        next_due = self._clock()
        try:
            while not self._stopping.is_set():
                now = self._clock()
                image = self.grab(now)
                if image is None:
                    break
                depth = self.grab_depth(now)
                with self._condition:
                    index = self._frame.index + 1 if self._frame is not None else 0
                    self._frame = Frame(image, now, index, depth)
                    self.frames_captured += 1
                    self._condition.notify_all()
                next_due += self._period
                delay = next_due - self._clock()
                if delay > 0:
                    self._stopping.wait(delay)
                else:
                    next_due = self._clock()
        except Exception as error:  # reported to the consumer, never lost
            self._error = error
        finally:
            self.close()
            self._stopping.set()
            with self._condition:
                self._condition.notify_all()

    def latest(self) -> Frame | None:
        with self._condition:
            return self._frame

    def wait_frame(self, after: int = -1, timeout: float = 1.0) -> Frame | None:
        """The newest frame with an index above ``after``; None on timeout or end of stream."""
        deadline = time.monotonic() + timeout
        with self._condition:
            while self._frame is None or self._frame.index <= after:
                if self._error is not None:
                    raise FrameSourceError(f"capture failed: {type(self._error).__name__}")
                if self._stopping.is_set():
                    return None
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self._condition.wait(remaining)
            return self._frame


def _bgr_to_rgb(image: Any) -> Image:
    return np.asarray(cv2.cvtColor(image, cv2.COLOR_BGR2RGB), dtype=np.uint8)


class CameraSource(ThreadedSource):
    """An OpenCV camera device (``/dev/videoN`` index), RGB frames at the camera's pace."""

    def __init__(
        self, device: int = 0, width: int = 640, height: int = 480, fps: float = 30.0
    ) -> None:
        super().__init__(fps)
        self._device, self._size = device, (width, height)
        self._capture: Any = None

    def open(self) -> None:
        capture = cv2.VideoCapture(self._device)
        if not capture.isOpened():
            raise FrameSourceError(f"camera {self._device} cannot be opened")
        capture.set(cv2.CAP_PROP_FRAME_WIDTH, self._size[0])
        capture.set(cv2.CAP_PROP_FRAME_HEIGHT, self._size[1])
        self._capture = capture

    def grab(self, t: float) -> Image | None:
        ok, image = self._capture.read()
        if not ok:
            raise FrameSourceError("camera read failed")
        return _bgr_to_rgb(image)

    def close(self) -> None:
        if self._capture is not None:
            self._capture.release()


class VideoFileSource(ThreadedSource):
    """A video file played at its own frame rate (optionally looping) as if it were a camera."""

    def __init__(self, path: Path, *, loop: bool = False, start_frame: int = 0) -> None:
        probe = cv2.VideoCapture(str(path))
        if not probe.isOpened():
            raise FrameSourceError("video file cannot be opened")
        fps = probe.get(cv2.CAP_PROP_FPS) or 30.0
        probe.release()
        super().__init__(fps)
        self._path, self._looping, self._start_frame = path, loop, start_frame
        self._capture: Any = None

    def open(self) -> None:
        self._capture = cv2.VideoCapture(str(self._path))
        if not self._capture.isOpened():
            raise FrameSourceError("video file cannot be opened")
        if self._start_frame:
            self._capture.set(cv2.CAP_PROP_POS_FRAMES, self._start_frame)

    def grab(self, t: float) -> Image | None:
        ok, image = self._capture.read()
        if not ok and self._looping:
            self._capture.set(cv2.CAP_PROP_POS_FRAMES, 0)
            ok, image = self._capture.read()
        return _bgr_to_rgb(image) if ok else None

    def close(self) -> None:
        if self._capture is not None:
            self._capture.release()


class Renderer(Protocol):
    def render(self, t: float) -> Image: ...


class RenderedSource(ThreadedSource):
    """Frames from a renderer (e.g. ``SyntheticResident``) at ``fps``; passes prompts and the
    screen's colour on. With ``depth=True`` and a renderer that has ``render_depth``, each frame
    carries a depth frame too (a simulated depth camera)."""

    def __init__(
        self,
        renderer: Renderer,
        fps: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        *,
        depth: bool = False,
    ) -> None:
        super().__init__(fps, clock)
        self._renderer = renderer
        self._origin: float | None = None
        self._depth = depth

    def grab(self, t: float) -> Image | None:
        if self._origin is None:
            self._origin = t
        return self._renderer.render(t - self._origin)

    def grab_depth(self, t: float) -> DepthImage | None:
        render_depth = getattr(self._renderer, "render_depth", None)
        if not self._depth or not callable(render_depth):
            return None
        origin = self._origin if self._origin is not None else t
        return np.asarray(render_depth(t - origin), dtype=np.float32)

    def _local(self, t: float) -> float:
        return t - (self._origin if self._origin is not None else t)

    def observe_prompt(self, action: Action | None, t: float) -> None:
        observe = getattr(self._renderer, "observe_prompt", None)
        if callable(observe):
            observe(action, self._local(t))

    def observe_illumination(self, colour: tuple[float, float, float] | None, t: float) -> None:
        observe = getattr(self._renderer, "observe_illumination", None)
        if callable(observe):
            observe(colour, self._local(t))
