"""Reads frames from a camera until the card face gives the same plausible 照合番号B on two
frames in a row (``agree``); a single frame can misread a digit that still looks plausible.
The resident then confirms what was read on the screen before it is used.

Runs on a worker thread (the UI starts it and polls ``preview``); stops at ``should_stop()``,
after ``timeout`` seconds, or with a reading. Frames are dropped as soon as they are read.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from kiosk.card_ocr.reader import CardFaceReading, read_card_face
from kiosk.face_match.sources import FrameSource


class CardFaceScanner:
    def __init__(self, open_camera: Callable[[], FrameSource], timeout: float = 30.0,
                 agree: int = 2) -> None:
        self._open_camera = open_camera
        self._timeout = timeout
        self._agree = agree

    def scan(self, should_stop: Callable[[], bool],
             preview: Callable[[np.ndarray], None] | None = None) -> CardFaceReading | None:
        """The reading seen ``agree`` times in a row, or None (stopped or out of time)."""
        deadline = time.monotonic() + self._timeout
        last: CardFaceReading | None = None
        seen = 0
        source = self._open_camera()
        source.start()
        index = -1
        try:
            while not should_stop() and time.monotonic() < deadline:
                frame = source.wait_frame(after=index, timeout=0.5)
                if frame is None:
                    continue
                index = frame.index
                if preview is not None:
                    preview(frame.image)
                reading = read_card_face(frame.image)
                if reading is None:
                    seen = 0
                    continue
                seen = seen + 1 if reading == last else 1
                last = reading
                if seen >= self._agree:
                    return reading
        finally:
            source.stop()
        return None
