"""照合番号B read from the card face: parsing, a real Tesseract reading of a rendered card,
the scanner's loop, and that nothing read leaks into logs or reprs."""

from __future__ import annotations

import datetime as dt
import logging
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pytest

from kiosk.card_ocr import (
    CardFaceReading,
    CardFaceScanner,
    ScanGuidance,
    find_card,
    parse_birth_date,
    parse_expiry_year,
    parse_security_code,
    read_card_face,
)
from kiosk.face_match.sources import Frame
from kiosk_testbed.card_camera import CONDITIONS, HeldCardStream, card_in_frame
from kiosk_testbed.card_face import printed_birth_date, render_card_face
from kiosk_testbed.persona import Persona, make_persona

TODAY = dt.date(2026, 11, 25)


def fixed_persona() -> Persona:
    """The same card face every run (a test that reads it gives the same answer each time)."""
    return make_persona(name="佐藤\u3000一郎", address="大阪府大阪市北区梅田三丁目4番5号",
                        birth_date=dt.date(1963, 11, 8), sex="1", security_code="4071")
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
    assert parse_expiry_year("2025年 1月 1日まで有効", TODAY) is None  # expired
    assert parse_expiry_year("2037年 1月 1日まで有効", TODAY) is None  # beyond ten years
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
    assert read_card_face(np.zeros((480, 640), np.uint8)) is None
    assert read_card_face(np.zeros((480, 640, 3), np.float32)) is None


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
    persona = fixed_persona()
    frame = card_in_frame(render_card_face(persona), "clean", rng)
    reading = read_card_face(frame)
    assert reading is not None
    assert bytes(reading.number_b()) == persona.collation_b.encode()
    assert persona.security_code not in caplog.text
    assert persona.collation_b[:6] not in caplog.text


@needs_tesseract
def test_one_frame_reads_only_a_card_that_runs_to_the_birthday() -> None:
    # the same card with an expiry on another day (a misread line, or a card that runs to the
    # end of a stay) is not read from one frame: one look cannot tell which
    clean = fixed_persona()
    other = make_persona(name="佐藤\u3000一郎", address="大阪府大阪市北区梅田三丁目4番5号",
                         birth_date=clean.birth_date, sex="1", security_code="4071",
                         expiry=clean.expiry.replace(day=clean.expiry.day + 1))
    for persona, expected in ((clean, True), (other, False)):
        frame = card_in_frame(render_card_face(persona), "clean", np.random.default_rng(11))
        assert (read_card_face(frame, TODAY) is not None) is expected


@needs_tesseract
def test_reading_writes_no_file_and_prints_nothing(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch,
                                                   capfd: pytest.CaptureFixture[str]) -> None:
    work, temp = tmp_path / "work", tmp_path / "temp"
    work.mkdir()
    temp.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("TMPDIR", str(temp))
    monkeypatch.setattr(tempfile, "tempdir", None)  # Python's own cache of it
    persona = fixed_persona()
    frame = card_in_frame(render_card_face(persona), "glare", np.random.default_rng(3))
    read_card_face(frame, TODAY)
    assert list(work.iterdir()) == [] and list(temp.iterdir()) == []
    out, err = capfd.readouterr()
    assert persona.security_code not in out + err and "4071" not in out + err


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
def test_scanner_reads_skips_blank_frames_and_closes_the_camera(
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    rng = np.random.default_rng(3)
    persona = fixed_persona()
    stream = HeldCardStream(render_card_face(persona), "clean", rng)
    blank = np.full((720, 1280, 3), 90, np.uint8)
    camera = StillCamera([blank, *(stream.next_frame() for _ in range(5))])
    previews: list[np.ndarray] = []
    scanner = CardFaceScanner(lambda: camera, timeout=30, burst=1)
    reading = scanner.scan(lambda: False, previews.append)
    assert reading is not None and bytes(reading.number_b()) == persona.collation_b.encode()
    assert camera.stopped and len(previews) >= 3
    assert scanner.frames_read >= 3  # three frames must agree
    assert persona.security_code not in caplog.text


@needs_tesseract
def test_a_card_held_too_far_is_not_read_and_the_resident_is_asked_closer() -> None:
    rng = np.random.default_rng(5)
    persona = fixed_persona()
    face = render_card_face(persona)
    far = HeldCardStream(face, "clean", rng, width=(0.25, 0.3))
    near = HeldCardStream(face, "clean", rng)
    ticks = iter(range(1000))
    camera = StillCamera([far.next_frame() for _ in range(3)])
    advice: list[ScanGuidance] = []
    scanner = CardFaceScanner(lambda: camera, timeout=8, burst=1,
                              clock=lambda: float(next(ticks)))
    assert scanner.scan(lambda: False, guidance=advice.append) is None
    assert advice == [ScanGuidance.CLOSER]  # told once, not on every frame
    assert scanner.frames_read == 0 and scanner.frames_seen >= 3  # no digit guessed

    camera = StillCamera([*(far.next_frame() for _ in range(2)),
                          *(near.next_frame() for _ in range(6))])
    advice.clear()
    reading = CardFaceScanner(lambda: camera, timeout=30, burst=1).scan(
        lambda: False, guidance=advice.append)
    assert reading is not None and bytes(reading.number_b()) == persona.collation_b.encode()
    assert advice == [ScanGuidance.CLOSER, ScanGuidance.HOLD]


def test_scanner_stops_when_asked() -> None:
    camera = StillCamera([np.full((720, 1280, 3), 90, np.uint8)])
    assert CardFaceScanner(lambda: camera, timeout=20).scan(lambda: True) is None
    assert camera.stopped


def test_scanner_gives_up_on_time_and_skips_odd_frames() -> None:
    ticks = iter(range(1000))
    odd = np.zeros((10, 10, 3), np.uint8)
    camera = StillCamera([odd])
    scanner = CardFaceScanner(lambda: camera, timeout=5, clock=lambda: float(next(ticks)))
    assert scanner.scan(lambda: False) is None
    assert camera.stopped and scanner.frames_read == 0 and scanner.frames_seen >= 1


def test_camera_conditions_make_different_frames() -> None:
    rng = np.random.default_rng(1)
    card = render_card_face(make_persona())
    frames = {name: card_in_frame(card, name, rng) for name in CONDITIONS}
    assert frames["low_light"].mean() < frames["clean"].mean() * 0.6
    with pytest.raises(ValueError, match="unknown condition"):
        card_in_frame(card, "fog", rng)
