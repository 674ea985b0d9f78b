"""Voice guidance: real engines make sound for every resident screen in both languages; the
privacy guard; the speaker's thread."""

from __future__ import annotations

import shutil
import threading
import time

import numpy as np
import pytest
from pytestqt.qtbot import QtBot

from kiosk.ui.app import create_application
from kiosk.ui.driver import StillFlow
from kiosk.ui.gallery import scenes, show_scene
from kiosk.ui.window import KioskWindow, UiOptions
from kiosk.voice import Audio, EspeakVoice, OpenJTalkVoice, Speaker, speakable


def screen_texts(qtbot: QtBot, language: str) -> dict[str, str]:
    """What the voice reads on each resident screen of the gallery (one per step)."""
    create_application()
    flow = StillFlow(scenes()[0].view)
    window = KioskWindow(flow, UiOptions(language=language, kiosk_mode=False, sound=False))
    qtbot.addWidget(window)
    window.resize(1080, 1920)
    window.show()
    texts: dict[str, str] = {}
    seen_steps = set()
    for scene in scenes():
        if scene.view.step in seen_steps or scene.large_text:
            continue
        seen_steps.add(scene.view.step)
        show_scene(window, flow, scene)
        texts[scene.name] = window.current_screen.spoken_text()
    window.shut_down()
    return texts


def loud(audio: Audio) -> bool:
    return audio.seconds > 0.3 and int(np.abs(audio.samples.astype(np.int32)).max()) > 1000


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is installed by setup")
def test_every_resident_screen_is_spoken_in_english(qtbot: QtBot) -> None:
    voice = EspeakVoice()
    texts = screen_texts(qtbot, "en")
    assert len(texts) >= 11
    for name, text in texts.items():
        assert text.strip(), name
        assert loud(voice.synthesize(speakable(text))), name


@pytest.mark.slow
def test_every_resident_screen_is_spoken_in_japanese(qtbot: QtBot) -> None:
    pytest.importorskip("pyopenjtalk")
    voice = OpenJTalkVoice()
    texts = screen_texts(qtbot, "ja")
    assert len(texts) >= 11
    for name, text in texts.items():
        assert any("\u3040" <= c <= "\u9fff" for c in text), name  # Japanese, not English
        assert loud(voice.synthesize(speakable(text))), name


def test_the_guard_drops_every_run_of_four_digits() -> None:
    assert speakable("PIN 5820 please") == "PIN please"
    assert "5502" not in speakable("55 02 17 2035 2285")
    assert speakable("550217-2035-2285") == ""
    assert speakable("3 tries left, code C04") == "3 tries left, code C04"  # short numbers stay


class Recorder:
    language = "en"

    def __init__(self, delay: float = 0.0) -> None:
        self.texts: list[str] = []
        self.delay = delay
        self.busy = threading.Event()

    def synthesize(self, text: str) -> Audio:
        self.busy.set()
        time.sleep(self.delay)
        self.texts.append(text)
        return Audio(np.ones(10, dtype=np.int16), 8000)


def test_speaker_passes_only_guarded_text_and_returns_at_once() -> None:
    voice = Recorder(delay=0.5)
    played: list[Audio] = []
    speaker = Speaker({"en": voice}, play=lambda audio, device: played.append(audio))
    try:
        started = time.monotonic()
        speaker.say("Your PIN is 1234", "en")
        assert time.monotonic() - started < 0.05
        assert voice.busy.wait(2)
        speaker.say("first", "en")
        speaker.say("second", "en")  # replaces "first", not yet spoken
        deadline = time.monotonic() + 5
        while len(voice.texts) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert voice.texts == ["Your PIN is", "second"]
    finally:
        speaker.close()


def test_headphones_in_the_accessible_mode_and_volume() -> None:
    devices: list[str | None] = []
    levels: list[int] = []
    voice = Recorder()
    voice.synthesize = lambda text: Audio(np.full(10, 10000, dtype=np.int16), 8000)  # type: ignore[method-assign]
    from kiosk.voice import SpeakerSettings

    speaker = Speaker({"en": voice}, SpeakerSettings(volume=0.3, headphones_device="hw:1"),
                      play=lambda audio, device: (devices.append(device),
                                                  levels.append(int(audio.samples.max()))))
    try:
        speaker.say("hello", "en")
        speaker.headphones = True
        time.sleep(0.3)
        speaker.say("again", "en")
        deadline = time.monotonic() + 3
        while len(devices) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert devices[-1] == "hw:1"
        assert levels[-1] == 3000  # a low volume by default
    finally:
        speaker.close()
