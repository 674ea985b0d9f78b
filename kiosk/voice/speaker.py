"""Speaks texts on a worker thread: the caller (the UI thread) never waits for a voice.

One text waits at most: a newer ``say()`` replaces a text not yet spoken and cuts the one
being played, as a new screen makes the old one's words moot. Audio goes to a system player
(``pw-play``, ``paplay`` or ``aplay``) through a pipe; nothing is written to a file. With the
accessible mode on, it goes to the headphones device when one is configured.
"""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass

from kiosk.voice.engines import Audio, Voice, VoiceUnavailableError

log = logging.getLogger("kiosk.voice")

# Four digits or more, with or without spaces or dashes between them: a PIN, 照合番号B or
# one of its parts, a year of birth. No screen text needs one spoken.
_DIGIT_RUN = re.compile(r"\d(?:[\s\-‐ー]*\d){3,}")


def speakable(text: str) -> str:
    """``text`` without any run of four or more digits (the privacy guard before a voice)."""
    return re.sub(r"[ \t]{2,}", " ", _DIGIT_RUN.sub("", text)).strip()


Play = Callable[[Audio, str | None], None]


@dataclass(frozen=True)
class SpeakerSettings:
    enabled: bool = True
    volume: float = 0.35  # low by default: the kiosk stands in a shop
    headphones_device: str | None = None  # ALSA/PulseAudio device name for the accessible mode


def _player(device: str | None) -> list[str] | None:
    for name in ("pw-play", "paplay", "aplay"):
        path = shutil.which(name)
        if path is None:
            continue
        if name == "aplay":
            return [path, "-q", *(["-D", device] if device else []), "-"]
        if name == "paplay":
            return [path, *([f"--device={device}"] if device else [])]
        return [path, *(["--target", device] if device else []), "-"]
    return None


class _SystemPlayer:
    """Plays a WAV through the first system player found; ``cut()`` stops it."""

    def __init__(self) -> None:
        self._process: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()
        self._warned = False

    def __call__(self, audio: Audio, device: str | None) -> None:
        command = _player(device)
        if command is None:
            if not self._warned:
                log.warning("voice: no audio player (pw-play, paplay, aplay) is installed")
                self._warned = True
            return
        try:
            process = subprocess.Popen(command,  # noqa: S603 - Debian's player, fixed arguments stdin=subprocess.PIPE,
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        except OSError as error:
            log.warning("voice: the player did not start: %s", type(error).__name__)
            return
        with self._lock:
            self._process = process
        try:
            if process.stdin is None:
                raise OSError("the player has no input")
            process.stdin.write(audio.wav())
            process.stdin.close()
        except OSError:
            pass  # cut off by a newer text
        process.wait()
        with self._lock:
            self._process = None

    def cut(self) -> None:
        with self._lock:
            if self._process is not None and self._process.poll() is None:
                self._process.terminate()


class Speaker:
    """``say(text, language)`` from any thread; synthesis and playback run on its own thread."""

    def __init__(self, voices: dict[str, Voice], settings: SpeakerSettings | None = None,
                 play: Play | None = None) -> None:
        self._voices = dict(voices)
        self.settings = settings or SpeakerSettings()
        self.headphones = False  # the accessible mode routes speech to the headphones
        self._system_player = _SystemPlayer() if play is None else None
        self._play: Play = play or self._system_player  # type: ignore[assignment]
        self._condition = threading.Condition()
        self._next: tuple[str, str, int] | None = None
        self._serial = 0
        self._closed = False
        self.spoken = 0  # texts synthesised and handed to the player (for tests)
        self._thread = threading.Thread(target=self._run, name="kiosk-voice", daemon=True)
        self._thread.start()

    @property
    def enabled(self) -> bool:
        return self.settings.enabled

    def set_enabled(self, on: bool) -> None:
        self.settings = SpeakerSettings(on, self.settings.volume, self.settings.headphones_device)
        if not on:
            self.silence()

    def say(self, text: str, language: str) -> None:
        """Speak ``text`` soon (replacing anything not yet spoken); returns at once."""
        words = speakable(text)
        if not self.settings.enabled or not words or self._closed:
            return
        with self._condition:
            self._serial += 1
            self._next = (words, language, self._serial)
            self._condition.notify()
        if self._system_player is not None:
            self._system_player.cut()

    def silence(self) -> None:
        """Drop what is waiting and stop what is playing."""
        with self._condition:
            self._serial += 1
            self._next = None
        if self._system_player is not None:
            self._system_player.cut()

    def close(self) -> None:
        with self._condition:
            self._closed = True
            self._next = None
            self._condition.notify()
        if self._system_player is not None:
            self._system_player.cut()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while True:
            with self._condition:
                while self._next is None and not self._closed:
                    self._condition.wait()
                if self._closed or self._next is None:
                    return
                text, language, serial = self._next
                self._next = None
            voice = self._voices.get(language)
            if voice is None:
                continue
            try:
                audio = voice.synthesize(text)
            except VoiceUnavailableError as error:
                log.warning("voice: %s", error)  # the engine's name, never the text
                continue
            except Exception as error:
                log.warning("voice: synthesis failed: %s", type(error).__name__)
                continue
            with self._condition:
                if serial != self._serial or self._closed:
                    continue  # a newer text came while this one was being made
            settings = self.settings
            device = settings.headphones_device if self.headphones else None
            self.spoken += 1
            try:
                self._play(audio.scaled(settings.volume), device)
            except Exception as error:
                log.warning("voice: playback failed: %s", type(error).__name__)
