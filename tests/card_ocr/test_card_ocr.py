"""照合番号B read from the card face: parsing, a real Tesseract reading of a rendered card,
the scanner's loop, and that nothing read leaks into logs or reprs."""

from __future__ import annotations

import datetime as dt
import logging
import shutil

import numpy as np
import pytest

from kiosk.card_ocr import (
    CardFaceReading,
    CardFaceScanner,
    find_card,
    parse_birth_date,
    parse_expiry_year,
    parse_security_code,
    read_card_face,
)
from kiosk.face_match.sources import Frame
from kiosk_testbed.card_camera import CONDITIONS, card_in_frame
from kiosk_testbed.card_face import printed_birth_date, render_card_face
from kiosk_testbed.persona import make_persona

TODAY = dt.date(2026, 11, 25)
needs_tesseract = pytest.mark.skipif(shutil.which("tesseract") is None,
                                     reason="tesseract-ocr is installed by scripts/setup")


def test_birth_dates_in_every_era_and_year_one() -> None:
    assert parse_birth_date("昭和55年 2月17日生", TODAY) == dt.date(1980, 2, 17)
    assert parse_birth_date("平成元年 1月 8日生", TODAY) == dt.date(1989, 1, 8)
    assert parse_birth_date("大正15年12月24日生", TODAY) == dt.date(1926, 12, 24)
    assert parse_birth_date("令和 2年 5月 1日生", TODAY) == dt.date(2020, 5, 1)
    assert parse_birth_date("成10年5月1日生", TODAY) == dt.date(1998, 5, 1)  # 平 lost
    # a lone 和: 昭和 29 (1954) is possible, 令和 29 is not
    assert parse_birth_date("和29年12月24日生", TODAY) == dt.date(1954, 12, 24)
    assert parse_birth_date("和5年1月1日生", dt.date(2040, 1, 1)) is None  # both possible


def test_impossible_dates_are_refused() -> None:
    assert parse_birth_date("平成32年1月1日生", TODAY) is None  # 平成 ended in its 31st year
    assert parse_birth_date("昭和64年1月8日生", TODAY) is None  # 昭和 ended on 1 Jan 7
    assert parse_birth_date("昭和55年2月30日生", TODAY) is None
    assert parse_birth_date("昭和55年13月1日生", TODAY) is None
    assert parse_expiry_year("1999年 1月 1日まで有効", TODAY) is None
    assert parse_expiry_year("2035年 2月17日まで有効", TODAY) == 2035
    assert parse_security_code("2285") == "2285"
    assert parse_security_code("22851") is None
    assert parse_security_code("2285 1234") is None


def test_printed_dates_parse_back_for_many_persons() -> None:
    for _ in range(200):
        persona = make_persona()
        assert parse_birth_date(printed_birth_date(persona.birth_date)) == persona.birth_date


def test_reading_hides_its_values_and_builds_number_b() -> None:
    reading = CardFaceReading(dt.date(1980, 2, 17), 2035, "2285")
    assert "1980" not in repr(reading) and "2285" not in repr(reading)
    assert bytes(reading.number_b()) == b"55021720352285"  # mc's example


def test_odd_frames_are_refused_quietly() -> None:
    assert read_card_face(np.zeros((10, 10, 3), np.uint8)) is None
    assert read_card_face(np.zeros((480, 640), np.uint8)) is None  # type: ignore[arg-type]
    assert read_card_face(np.zeros((480, 640, 3), np.float32)) is None  # type: ignore[arg-type]


def test_the_card_is_found_and_straightened() -> None:
    rng = np.random.default_rng(5)
    persona = make_persona()
    frame = card_in_frame(render_card_face(persona), "tilt", rng)
    card, found = find_card(frame)
    assert found and card.shape == (631, 1000, 3)


@needs_tesseract
def test_a_held_card_is_read_by_tesseract(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    rng = np.random.default_rng(11)
    persona = make_persona()
    frame = card_in_frame(render_card_face(persona), "clean", rng)
    reading = read_card_face(frame)
    assert reading is not None
    assert bytes(reading.number_b()) == persona.collation_b.encode()
    assert persona.security_code not in caplog.text
    assert persona.collation_b[:6] not in caplog.text


class StillCamera:
    """A frame source that shows the same frames again and again."""

    def __init__(self, frames: list[np.ndarray]) -> None:
        self.frames = frames
        self.index = -1
        self.stopped = False

    def start(self) -> None:
        pass

    def stop(self) -> None:
        self.stopped = True

    def latest(self) -> Frame | None:
        return None

    def wait_frame(self, after: int = -1, timeout: float = 1.0) -> Frame | None:
        self.index = after + 1
        return Frame(self.frames[self.index % len(self.frames)], float(self.index), self.index)


@needs_tesseract
def test_scanner_reads_skips_blank_frames_and_closes_the_camera() -> None:
    rng = np.random.default_rng(3)
    persona = make_persona()
    blank = np.full((720, 1280, 3), 90, np.uint8)
    card = card_in_frame(render_card_face(persona), "clean", rng)
    camera = StillCamera([blank, card, card])  # two frames in a row must agree
    previews: list[np.ndarray] = []
    reading = CardFaceScanner(lambda: camera, timeout=30).scan(lambda: False, previews.append)
    assert reading is not None and bytes(reading.number_b()) == persona.collation_b.encode()
    assert camera.stopped and len(previews) >= 2


def test_scanner_stops_when_asked() -> None:
    camera = StillCamera([np.full((720, 1280, 3), 90, np.uint8)])
    assert CardFaceScanner(lambda: camera, timeout=20).scan(lambda: True) is None
    assert camera.stopped


def test_camera_conditions_make_different_frames() -> None:
    rng = np.random.default_rng(1)
    card = render_card_face(make_persona())
    frames = {name: card_in_frame(card, name, rng) for name in CONDITIONS}
    assert frames["low_light"].mean() < frames["clean"].mean() * 0.6
    with pytest.raises(ValueError, match="unknown condition"):
        card_in_frame(card, "fog", rng)
