"""Text-to-speech engines behind one small protocol: ``synthesize(text) -> Audio``.

Nothing is downloaded at run time: pyopenjtalk's wheel carries its dictionary and voice, and
espeak-ng is a Debian package. No audio or text is written to a file.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import threading
import wave
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np


class VoiceUnavailableError(Exception):
    """The engine is not installed or failed; the message names the engine, never the text."""


@dataclass(frozen=True)
class Audio:
    """Mono 16-bit samples at ``rate`` Hz."""

    samples: np.ndarray
    rate: int

    @property
    def seconds(self) -> float:
        return len(self.samples) / self.rate if self.rate else 0.0

    def scaled(self, volume: float) -> Audio:
        """The same sound at ``volume`` (0 silent .. 1 as synthesised)."""
        level = min(1.0, max(0.0, volume))
        return Audio((self.samples.astype(np.float32) * level).astype(np.int16), self.rate)

    def wav(self) -> bytes:
        buffer = io.BytesIO()
        with wave.open(buffer, "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(self.rate)
            out.writeframes(np.ascontiguousarray(self.samples, dtype="<i2").tobytes())
        return buffer.getvalue()

    @classmethod
    def from_wav(cls, data: bytes) -> Audio:
        try:
            with wave.open(io.BytesIO(data), "rb") as source:
                if source.getsampwidth() != 2:
                    raise VoiceUnavailableError("the engine's audio is not 16-bit")
                frames = source.readframes(source.getnframes())
                channels, rate = source.getnchannels(), source.getframerate()
        except (wave.Error, EOFError) as error:
            raise VoiceUnavailableError("the engine's audio is not a WAV") from error
        samples = np.frombuffer(frames, dtype="<i2")
        if channels > 1:
            samples = samples.reshape(-1, channels)[:, 0]
        return cls(samples.astype(np.int16), rate)


class Voice(Protocol):
    """One language's voice. ``synthesize`` may block (it runs on the speaker's thread)."""

    language: str

    def synthesize(self, text: str) -> Audio: ...


class OpenJTalkVoice:
    """Japanese through Open JTalk (pyopenjtalk, HTS voice "Mei"), in process."""

    language = "ja"

    def __init__(self, speed: float = 1.0) -> None:
        self._speed = speed
        self._lock = threading.Lock()  # Open JTalk's state is not thread-safe
        self._module: Any = None

    def _engine(self) -> Any:
        if self._module is None:
            try:
                import pyopenjtalk
            except ImportError as error:
                raise VoiceUnavailableError("pyopenjtalk is not installed") from error
            self._module = pyopenjtalk
        return self._module

    def synthesize(self, text: str) -> Audio:
        if not text.strip():
            return Audio(np.zeros(0, dtype=np.int16), 48000)
        with self._lock:
            engine = self._engine()
            try:
                samples, rate = engine.tts(text, speed=self._speed)
            except Exception as error:
                raise VoiceUnavailableError(f"Open JTalk failed: {type(error).__name__}") from None
        clipped = np.clip(np.asarray(samples, dtype=np.float64), -32768, 32767)
        return Audio(clipped.astype(np.int16), int(rate))


class EspeakVoice:
    """English through the espeak-ng program; the text goes in on standard input."""

    language = "en"

    def __init__(self, voice: str = "en-us", words_per_minute: int = 150,
                 program: str = "espeak-ng") -> None:
        self._voice = voice
        self._speed = words_per_minute
        self._program = program

    def synthesize(self, text: str) -> Audio:
        if not text.strip():
            return Audio(np.zeros(0, dtype=np.int16), 22050)
        program = shutil.which(self._program)
        if program is None:
            raise VoiceUnavailableError(f"{self._program} is not installed")
        try:
            done = subprocess.run(  # noqa: S603 - Debian's espeak-ng, fixed arguments
                [program, "-v", self._voice, "-s", str(self._speed), "--stdin", "--stdout"],
                input=text.encode("utf-8"), capture_output=True, timeout=30, check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            raise VoiceUnavailableError(f"{self._program} failed: {type(error).__name__}") \
                from None
        if done.returncode != 0:
            raise VoiceUnavailableError(f"{self._program} exited with {done.returncode}")
        return Audio.from_wav(done.stdout)


def default_voices() -> dict[str, Voice]:
    """The shipped voices by language."""
    return {"ja": OpenJTalkVoice(), "en": EspeakVoice()}
