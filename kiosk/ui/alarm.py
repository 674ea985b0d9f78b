"""The take-your-card alarm: a flashing banner (the screen does that) and a beep.

QtMultimedia is not installed, so the beep is a WAV made in memory and piped to a system player
(``pw-play``, ``paplay`` or ``aplay``) when one exists; otherwise ``QApplication.beep()``. No
file is written.
"""

from __future__ import annotations

import io
import math
import shutil
import struct
import subprocess
import wave

from kiosk.ui.qt import QApplication, QObject, QTimer, Signal

# Players that read a WAV from standard input.
PLAYERS: tuple[tuple[str, list[str]], ...] = (
    ("pw-play", ["-"]),
    ("paplay", []),
    ("aplay", ["-q", "-"]),
)


def beep_wav(frequency: float = 880.0, seconds: float = 0.35, rate: int = 16000) -> bytes:
    """Two short tones as a mono 16-bit WAV, in memory."""
    frames = bytearray()
    count = int(seconds * rate)
    for i in range(count):
        t = i / rate
        gate = 1.0 if (t % 0.18) < 0.12 else 0.0  # two pips
        fade = min(1.0, i / 200, (count - i) / 200)
        value = int(12000 * gate * fade * math.sin(2 * math.pi * frequency * t))
        frames += struct.pack("<h", value)
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(bytes(frames))
    return buffer.getvalue()


def find_player() -> list[str] | None:
    for name, args in PLAYERS:
        path = shutil.which(name)
        if path:
            return [path, *args]
    return None


class Alarm(QObject):
    """Beeps every ``interval_ms`` and flashes (``flash`` signal) while on; ``sound=False`` keeps
    it silent (tests, gallery)."""

    flash = Signal(bool)

    def __init__(self, sound: bool = True, interval_ms: int = 2000, flash_ms: int = 500) -> None:
        super().__init__()
        self._sound = sound
        self._wav = beep_wav()
        self._player = find_player() if sound else None
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._beep)
        self._flasher = QTimer(self)
        self._flasher.setInterval(flash_ms)
        self._flasher.timeout.connect(self._toggle)
        self._lit = True
        self.beeps = 0

    @property
    def active(self) -> bool:
        return self._timer.isActive()

    def start(self) -> None:
        if not self._timer.isActive():
            self._beep()
            self._timer.start()
            self._flasher.start()

    def stop(self) -> None:
        if self._timer.isActive():
            self._timer.stop()
            self._flasher.stop()
            self._lit = True
            self.flash.emit(True)

    def _toggle(self) -> None:
        self._lit = not self._lit
        self.flash.emit(self._lit)

    def _beep(self) -> None:
        self.beeps += 1
        if not self._sound:
            return
        if self._player is not None:
            try:
                process = subprocess.Popen(  # noqa: S603 (a player found on PATH; fixed argv)
                    self._player,
                    stdin=subprocess.PIPE,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
                if process.stdin is not None:  # always so with stdin=PIPE
                    process.stdin.write(self._wav)
                    process.stdin.close()
                return
            except OSError:
                self._player = None
        QApplication.beep()
