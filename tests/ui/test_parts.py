"""Translations, the alarm sound, secret entry and the screen gallery."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import wave
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from kiosk.ui import i18n
from kiosk.ui.alarm import beep_wav
from kiosk.ui.app import create_application, has_japanese_font
from kiosk.ui.gallery import is_blank, render_gallery, scenes
from kiosk.ui.maintenance.gallery import MAINTENANCE_SCENES
from kiosk.ui.qt import QImage
from kiosk.ui.widgets import SecretEntry

ROOT = Path(__file__).resolve().parents[2]


def test_every_string_has_japanese_and_the_compiled_file_is_fresh() -> None:
    assert i18n.problems() == []
    assert len(i18n.source_strings()) > 50


def test_translation_switch_is_global_and_reversible(qtbot: QtBot) -> None:
    create_application()
    translations = i18n.Translations("ja")
    assert i18n.tr("Start") == "始める"
    i18n.Translations("en")
    assert i18n.tr("Start") == "Start"
    translations.switch("ja")
    assert i18n.tr("Cancel") == "やめる"
    translations.switch("en")
    with pytest.raises(ValueError, match="unsupported"):
        translations.switch("fr")


def test_beep_is_a_short_wav_made_in_memory() -> None:
    data = beep_wav()
    with wave.open(io.BytesIO(data)) as sound:
        assert sound.getnchannels() == 1 and sound.getframerate() == 16000
        assert 0.2 < sound.getnframes() / sound.getframerate() < 1.0


def test_secret_entry_hands_over_and_wipes(qtbot: QtBot) -> None:
    create_application()
    entry = SecretEntry(4)
    qtbot.addWidget(entry)
    for digit in "1234":
        entry.type(digit)
    entry.type("5")  # beyond the length: ignored
    buffer = entry._buffer
    taken = entry.take()
    assert taken == bytearray(b"1234") and len(entry) == 0
    entry.type("9")
    entry.clear()
    assert entry._buffer == bytearray() and buffer is taken


def test_gallery_in_process_has_no_layout_problems(qtbot: QtBot, tmp_path: Path) -> None:
    create_application()
    assert has_japanese_font()
    results = render_gallery(tmp_path, orientations=("landscape",))
    assert len(results) == 2 * (len(scenes()) + MAINTENANCE_SCENES)
    problems = [f"{r.path.name}: {p}" for r in results for p in r.problems]
    assert problems == []


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("Xvfb") is None, reason="needs Xvfb")
def test_gallery_command_under_xvfb(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "QT_QPA_PLATFORM")}
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run(
        [sys.executable, "-m", "kiosk.ui.gallery", str(tmp_path), "--xvfb",
         "--orientation", "portrait"],
        env=env, capture_output=True, text=True, timeout=240, check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    pngs = sorted(tmp_path.glob("*.png"))
    assert len(pngs) == 2 * (len(scenes()) + MAINTENANCE_SCENES)
    assert {p.name.split("-")[1] for p in pngs} == {"ja", "en"}
    for png in pngs:
        image = QImage(str(png))
        assert image.width() == 1080 and image.height() == 1920
        assert not is_blank(image), png.name


def test_blank_detection() -> None:
    blank = QImage(200, 100, QImage.Format.Format_RGB888)
    blank.fill(0xF7F7F2)
    assert is_blank(blank)


def test_qt_calls_do_not_leak_references_to_none(qtbot: QtBot) -> None:
    """PySide6 6.12.0 returned None from void methods without a reference: on Python 3.11
    None's count ran down with every UI update until the interpreter aborted."""
    import sys

    from kiosk.ui.widgets import label

    create_application()
    widget = label()
    qtbot.addWidget(widget)
    before = sys.getrefcount(None)
    for _ in range(2000):
        widget.setText("x")
        widget.setVisible(False)
        widget.update()
    assert sys.getrefcount(None) - before > -100
