"""The engineer's live camera view: the picture with the face box and its 68 landmarks,
frame rate, resolution, brightness and sharpness. Frames are only painted, never stored."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from kiosk.diagnostics.camera_checks import frame_quality
from kiosk.face_match.sources import FrameSource
from kiosk.ui.qt import QColor, QImage, QPainter, QPaintEvent, QPen, QPointF, QRectF, QWidget
from kiosk.ui.theme import PAPER

Points = list[tuple[float, float]]


@dataclass(frozen=True)
class PreviewFrame:
    image: np.ndarray                     # RGB uint8
    box: tuple[int, int, int, int] | None  # left, top, right, bottom
    points: Points
    fps: float
    brightness: float
    sharpness: float


def analyse(image: np.ndarray, fps: float) -> PreviewFrame:
    """Face box and landmarks of the largest face (if the face models load), and figures."""
    quality = frame_quality(np.ascontiguousarray(image[..., ::-1]))
    box: tuple[int, int, int, int] | None = None
    points: Points = []
    try:
        from kiosk.face_match.detection import detect_faces
        from kiosk.face_match.encoding import landmarks_68

        faces = detect_faces(image)
        if faces:
            face = max(faces, key=lambda f: f.area)
            box = (face.left, face.top, face.right, face.bottom)
            points = [(float(x), float(y)) for x, y in np.asarray(landmarks_68(image, face))]
    except Exception:  # models missing or a broken frame: figures only
        box, points = None, []
    return PreviewFrame(image, box, points, fps, quality.brightness, quality.sharpness)


class PreviewWorker:
    """Grabs and analyses frames on its own thread; ``latest()`` is the newest result."""

    def __init__(self, open_source: Callable[[], FrameSource]) -> None:
        self._open_source = open_source
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._latest: PreviewFrame | None = None
        self.error: str | None = None
        self._thread = threading.Thread(target=self._run, name="camera-preview", daemon=True)

    def start(self) -> PreviewWorker:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        with self._lock:
            self._latest = None

    def latest(self) -> PreviewFrame | None:
        with self._lock:
            return self._latest

    def _run(self) -> None:
        try:
            source = self._open_source()
            source.start()
        except Exception as error:
            self.error = type(error).__name__ + (f": {error}" if str(error) else "")
            return
        try:
            last, times = -1, list[float]()
            while not self._stop.is_set():
                frame = source.wait_frame(after=last, timeout=1.0)
                if frame is None:
                    continue
                last = frame.index
                now = time.monotonic()
                times = [t for t in (*times, now) if now - t <= 2.0]
                fps = (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else 0.0
                result = analyse(np.asarray(frame.image, dtype=np.uint8), fps)
                with self._lock:
                    self._latest = result
        except Exception as error:
            self.error = type(error).__name__
        finally:
            source.stop()


class PreviewView(QWidget):
    """Paints a :class:`PreviewFrame`, fitted into the widget."""

    def __init__(self) -> None:
        super().__init__()
        self.setMinimumHeight(240)
        self.frame: PreviewFrame | None = None
        self._image: QImage | None = None

    def show_frame(self, frame: PreviewFrame | None) -> None:
        self.frame = frame
        if frame is None:
            self._image = None
        else:
            rgb = np.ascontiguousarray(frame.image, dtype=np.uint8)
            h, w, _ = rgb.shape
            self._image = QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt override)
        painter = QPainter(self)
        painter.fillRect(QRectF(self.rect()), QColor(PAPER))
        image, frame = self._image, self.frame
        if image is None or frame is None:
            painter.fillRect(QRectF(self.rect()), QColor("#20242c"))
            painter.end()
            return
        scale = min(self.width() / image.width(), self.height() / image.height())
        w, h = image.width() * scale, image.height() * scale
        x0, y0 = (self.width() - w) / 2, (self.height() - h) / 2
        painter.drawImage(QRectF(x0, y0, w, h), image)
        if frame.box is not None:
            left, top, right, bottom = frame.box
            painter.setPen(QPen(QColor("#2ec27e"), 4))
            painter.drawRect(QRectF(x0 + left * scale, y0 + top * scale,
                                    (right - left) * scale, (bottom - top) * scale))
        painter.setPen(QPen(QColor("#f6d32d"), 3))
        for x, y in frame.points:
            painter.drawEllipse(QPointF(x0 + x * scale, y0 + y * scale), 2.5, 2.5)
        painter.end()


def describe(frame: PreviewFrame) -> dict[str, Any]:
    h, w = frame.image.shape[:2]
    return {"resolution": f"{w}x{h}", "fps": round(frame.fps, 1),
            "brightness": round(frame.brightness), "sharpness": round(frame.sharpness),
            "face": frame.box is not None}
