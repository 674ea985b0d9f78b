"""Reads frames from a camera until the card face has given 照合番号B with enough agreement.

The camera gives about 30 frames a second; reading one takes a tenth of a second or more. So
the scanner looks at a few frames in a row (``burst``), straightens each and measures how
sharp and well-lit it is (a hand-held card is blurred by its motion on some frames and not
on others), reads only the best of them, and adds what it read to the evidence
(``CardFaceEvidence``: per-part votes across frames). It returns as soon as the evidence
settles; the resident then confirms what was read on the screen before it is used.

A card held so far away that it fills less than ``FAR_SHARE`` of the frame's width is not read
at all: its digits are a few pixels tall, and what Tesseract makes of them is a guess the votes
might settle on. The scanner tells the screen instead (``ScanGuidance.CLOSER``), which asks the
resident to bring the card closer, and says when the distance is right again.

Runs on a worker thread (the UI starts it and polls ``preview``); stops at ``should_stop()``,
after ``timeout`` seconds, or with a reading. Frames are dropped as soon as they are used; the
evidence is forgotten when the scan ends.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from enum import Enum

import numpy as np

from kiosk.card_ocr.card_image import FrameQuality, frame_quality, straighten_measured
from kiosk.card_ocr.evidence import CardFaceEvidence, CardFaceReading
from kiosk.card_ocr.reader import is_frame, read_card
from kiosk.card_ocr.tesseract import OcrTimeoutError
from kiosk.face_match.sources import FrameSource

__all__ = ["FAR_SHARE", "CardFaceScanner", "ScanGuidance", "best_of"]

# A frame whose card is this much less sharp than the best seen so far is not worth a reading
# (unless nothing better comes): its votes would mostly be noise.
_WORTH_READING = 0.5
# The screen's guide is 0.76 of the frame's width; a card found narrower than this share is
# held too far away to read (a tilted card in the guide still measures well above it).
FAR_SHARE = 0.40


class ScanGuidance(Enum):
    """What the screen should tell the resident about how the card is held."""

    CLOSER = "closer"  # the card is found but too small in the frame
    HOLD = "hold"  # the distance is right: hold still while it reads


def best_of(candidates: list[tuple[FrameQuality, np.ndarray]]
            ) -> tuple[FrameQuality, np.ndarray] | None:
    """The candidate that reads best: an outline found beats none, then the higher score."""
    if not candidates:
        return None
    return max(candidates, key=lambda item: (item[0].found, item[0].score))


class CardFaceScanner:
    def __init__(self, open_camera: Callable[[], FrameSource], timeout: float = 30.0,
                 burst: int = 3, clock: Callable[[], float] = time.monotonic,
                 today: Callable[[], dt.date] = dt.date.today) -> None:
        if burst < 1:
            raise ValueError("burst must be at least 1")
        self._open_camera = open_camera
        self._timeout = timeout
        self._burst = burst
        self._clock = clock
        self._today = today
        self.frames_seen = 0
        self.frames_read = 0

    def scan(self, should_stop: Callable[[], bool],
             preview: Callable[[np.ndarray], None] | None = None,
             guidance: Callable[[ScanGuidance], None] | None = None,
             ) -> CardFaceReading | None:
        """照合番号B once the frames agree on it, or None (stopped or out of time).
        ``guidance`` hears each change of ``ScanGuidance`` (from the worker thread)."""
        told: ScanGuidance | None = None

        def tell(advice: ScanGuidance) -> None:
            nonlocal told
            if advice is not told and guidance is not None:
                guidance(advice)
            told = advice

        deadline = self._clock() + self._timeout
        today = self._today()
        evidence = CardFaceEvidence(today)
        best_score = 0.0
        self.frames_seen = self.frames_read = 0
        source = self._open_camera()
        source.start()
        index = -1
        try:
            while not should_stop() and self._clock() < deadline:
                candidates: list[tuple[FrameQuality, np.ndarray]] = []
                for _ in range(self._burst):  # frames looked at, odd ones included
                    if should_stop() or self._clock() >= deadline:
                        break
                    frame = source.wait_frame(after=index, timeout=0.5)
                    if frame is None:
                        break
                    index = frame.index
                    self.frames_seen += 1
                    if preview is not None:
                        preview(frame.image)
                    if not is_frame(frame.image):
                        continue  # an odd frame is skipped, the camera goes on
                    card, found, share = straighten_measured(frame.image)
                    if found and share < FAR_SHARE:
                        tell(ScanGuidance.CLOSER)
                        continue  # too few pixels per digit: a guess, never a vote
                    if found:
                        tell(ScanGuidance.HOLD)
                    quality = frame_quality(card)
                    candidates.append((FrameQuality(found, quality.sharpness,
                                                    quality.contrast), card))
                chosen = best_of(candidates)
                candidates.clear()
                if chosen is None:
                    continue
                quality, card = chosen
                if quality.score < _WORTH_READING * best_score:
                    continue
                best_score = max(best_score, quality.score)
                try:
                    fields = read_card(card, today)
                except OcrTimeoutError:
                    continue  # a busy moment: the next frames get their chance
                self.frames_read += 1
                evidence.add(fields)
                reading = evidence.reading()
                if reading is not None:
                    return reading
        finally:
            evidence.clear()
            source.stop()
        return None

