"""The picture side of reading the card: frame quality and selection, undoing motion blur,
finding the text lines, Tesseract in this process, and the held-card camera's honesty."""

from __future__ import annotations

import datetime as dt
import math
import shutil

import cv2
import numpy as np
import pytest
from PIL import Image

from kiosk.card_ocr.card_image import (
    FrameQuality,
    clean_line,
    frame_quality,
    straighten,
    text_lines,
)
from kiosk.card_ocr.restore import (
    Motion,
    deblur_defocus,
    deblur_motion,
    estimate_defocus,
    estimate_motion,
    motion_kernel,
)
from kiosk.card_ocr.scanner import best_of
from kiosk.card_ocr.tesseract import OcrUnavailableError, Recognised, recogniser
from kiosk_testbed.card_camera import HeldCardStream, card_in_frame
from kiosk_testbed.card_face import render_card_face
from kiosk_testbed.persona import make_persona

needs_tesseract = pytest.mark.skipif(shutil.which("tesseract") is None,
                                     reason="tesseract-ocr is installed by scripts/setup")


def fixed_face() -> Image.Image:
    """The same card face every run."""
    return render_card_face(make_persona(
        name="山田\u3000花子", address="東京都千代田区霞が関一丁目2番3号",
        birth_date=dt.date(1980, 2, 17), sex="2", security_code="2285",
        expiry=dt.date(2035, 2, 17)))


@pytest.fixture(scope="module")
def card() -> np.ndarray:
    """A straightened grey card, as the reader sees a clean frame."""
    face = fixed_face()
    straight, found = straighten(card_in_frame(face, "clean", np.random.default_rng(4)))
    assert found
    return straight


def smeared(gray: np.ndarray, length: int, degrees: float) -> np.ndarray:
    kernel = motion_kernel(Motion(math.radians(degrees), float(length)))
    return cv2.filter2D(gray, -1, kernel, borderType=cv2.BORDER_REFLECT)


def frame_quality_of(band: np.ndarray) -> float:
    """The weakest directional sharpness of a band (as ``frame_quality`` measures it)."""
    padded = np.vstack([np.full((190, band.shape[1]), 235, np.uint8), band,
                        np.full((631 - 190 - band.shape[0], band.shape[1]), 235, np.uint8)])
    return frame_quality(padded).sharpness


def test_sharper_frames_score_higher(card: np.ndarray) -> None:
    sharp = frame_quality(card)
    defocused = frame_quality(cv2.GaussianBlur(card, (0, 0), 2.0))
    moving = frame_quality(smeared(card, 11, 0))
    dim = frame_quality(np.asarray(card * 0.15, dtype=np.uint8))
    assert sharp.score > defocused.score
    assert sharp.score > moving.score  # motion along the lines: one direction lost
    assert sharp.score > dim.score


def test_the_best_frame_of_a_burst_is_chosen(card: np.ndarray) -> None:
    blurred = np.zeros_like(card)
    candidates = [(FrameQuality(True, 0.05, 100.0), blurred),
                  (FrameQuality(True, 0.12, 100.0), card),
                  (FrameQuality(False, 0.30, 100.0), blurred)]  # no outline: least trusted
    chosen = best_of(candidates)
    assert chosen is not None and chosen[1] is card
    assert best_of([]) is None


@pytest.mark.parametrize("degrees", [0.0, 35.0, 90.0, 150.0])
def test_motion_is_estimated_and_undone(card: np.ndarray, degrees: float) -> None:
    band = card[190:560]
    blurred = smeared(band, 12, degrees)
    motion = estimate_motion(blurred)
    assert motion is not None
    off = abs((math.degrees(motion.angle) - degrees + 90) % 180 - 90)
    assert off <= 20 and abs(motion.length - 12) <= 2
    restored = deblur_motion(blurred, motion)
    assert frame_quality_of(restored) > 1.3 * frame_quality_of(blurred)


def test_a_still_or_defocused_card_is_not_deblurred(card: np.ndarray) -> None:
    band = card[190:560]
    assert estimate_motion(band) is None
    assert estimate_motion(cv2.GaussianBlur(band, (0, 0), 2.0)) is None


def test_defocus_is_told_and_undone(card: np.ndarray) -> None:
    band = card[190:560]
    assert estimate_defocus(band) is None  # a sharp card is left alone
    defocused = cv2.GaussianBlur(band, (0, 0), 2.5)
    assert estimate_defocus(defocused) is not None
    restored = deblur_defocus(defocused, 2.0)
    assert frame_quality_of(restored) > 1.1 * frame_quality_of(defocused)


@needs_tesseract
def test_a_defocused_card_is_read_after_restoring() -> None:
    from kiosk.card_ocr.reader import read_card

    straight, _ = straighten(card_in_frame(fixed_face(), "clean", np.random.default_rng(4)))
    defocused = cv2.GaussianBlur(straight, (0, 0), 3.0)
    votes = read_card(defocused, dt.date(2026, 11, 25)).votes
    assert votes["birth_year"].value == 55 and votes["code"].value == "2285"


def test_the_lines_of_the_dates_and_the_code_are_found(card: np.ndarray) -> None:
    lines = text_lines(card)
    regions = [line.region for line in lines]
    assert regions.count("dates") == 2 and regions.count("code") == 1
    assert all(line.image.shape[0] < 0.12 * card.shape[0] for line in lines)
    assert "2285" not in repr(lines[0])


def veiled(card: np.ndarray, strength: float) -> np.ndarray:
    """``card`` with a reflected light over the left of the expiry's line: white laid over it,
    ``strength`` at its middle, fading out (as the camera's glare is drawn)."""
    spot = np.zeros(card.shape, np.float32)
    cv2.ellipse(spot, (150, 355), (160, 70), 0, 0, 360, 1.0, -1)
    spot = cv2.GaussianBlur(spot, (0, 0), 25) * strength
    return np.asarray(card * (1 - spot) + 255 * spot, dtype=np.uint8)


@needs_tesseract
def test_ink_under_a_reflection_is_still_found_and_read(card: np.ndarray) -> None:
    from kiosk.card_ocr.reader import read_card

    glared = veiled(card, 0.8)
    # the reflection lifts the year's ink to most of the paper's brightness
    assert glared[340:375, 40:150].min() > 0.7 * np.percentile(glared[330:380, 40:560], 95)
    expiry = [line for line in text_lines(glared) if line.region == "dates"][1]
    assert expiry.image.shape[1] > 450  # the whole line, not only its unveiled end
    votes = read_card(glared, dt.date(2026, 11, 25)).votes
    assert votes["expiry_year"].value == 2035


@needs_tesseract
def test_tesseract_reads_a_line_in_memory(card: np.ndarray) -> None:
    code = next(line for line in text_lines(card) if line.region == "code")
    read = recogniser("eng").read_line(code.image, whitelist="0123456789 ")
    assert read.text.strip() == "2285"
    assert len(read.confidences) == len(read.text) and min(read.confidences) > 50
    assert "2285" not in repr(read)
    with pytest.raises(ValueError, match="grey uint8"):
        recogniser("eng").read_line(np.zeros((4, 4), np.uint8))


@needs_tesseract
def test_the_code_needs_two_sizes_to_agree() -> None:
    from kiosk.card_ocr.reader import read_card

    face = render_card_face(make_persona(
        name="山田\u3000花子", address="東京都千代田区霞が関一丁目2番3号",
        birth_date=dt.date(1980, 2, 17), sex="2", security_code="5152",
        expiry=dt.date(2035, 2, 17)))
    straight, _ = straighten(card_in_frame(face, "clean", np.random.default_rng(4)))
    code = next(line for line in text_lines(straight) if line.region == "code")
    # the English model alone, at 40 px, is sure this serif 5 is a 9: on every frame alike
    alone = recogniser("eng").read_line(clean_line(code.image, height=40),
                                        whitelist="0123456789 ")
    assert alone.text.strip() == "9152" and min(alone.confidences) > 90
    votes = read_card(straight, dt.date(2026, 11, 25)).votes
    assert votes["code"].value == "5152"


@needs_tesseract
def test_a_missing_language_is_reported_plainly() -> None:
    with pytest.raises(OcrUnavailableError, match="no 'xqz' data"):
        recogniser("xqz")


def test_recognised_text_is_hidden_from_repr() -> None:
    assert "1234" not in repr(Recognised("1234", (99.0,) * 4))


def test_a_held_card_keeps_its_moment() -> None:
    face = fixed_face()
    defocused = [HeldCardStream(face, "blur", np.random.default_rng(seed)) for seed in range(6)]
    for stream in defocused:
        first, second = stream.next_frame(), stream.next_frame()
        # the same pose: frames differ by tremor and noise only
        assert np.abs(first.astype(float) - second).mean() < 20
        # a blurred card stays blurred: no sharp frame turns up by waiting
        sharpness = [frame_quality(straighten(frame)[0]).sharpness
                     for frame in (first, second)]
        clean = frame_quality(straighten(
            card_in_frame(face, "clean", np.random.default_rng(1)))[0]).sharpness
        assert max(sharpness) < clean
