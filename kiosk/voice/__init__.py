"""Voice guidance: screen texts read aloud in Japanese and English. Qt-free.

- ``Voice`` (``engines.py``): text in, audio out, for one language. Japanese uses Open JTalk
  (``pyopenjtalk`` with its bundled dictionary and the Mei voice, all from the installed
  package), English uses espeak-ng (Debian's ``espeak-ng`` program). A better voice replaces
  one by implementing the same two-line protocol.
- ``Speaker`` (``speaker.py``): speaks on a worker thread of its own; ``say()`` returns at once
  and a newer text replaces one not yet spoken, so speech never blocks the screens.
- ``speakable()`` is the last guard before a voice: it drops every run of four or more digits,
  so no PIN, 照合番号B or date part can be spoken even if a screen offered one.
"""

from kiosk.voice.engines import (
    Audio,
    EspeakVoice,
    OpenJTalkVoice,
    Voice,
    VoiceUnavailableError,
    default_voices,
)
from kiosk.voice.speaker import Speaker, SpeakerSettings, speakable

__all__ = [
    "Audio",
    "EspeakVoice",
    "OpenJTalkVoice",
    "Speaker",
    "SpeakerSettings",
    "Voice",
    "VoiceUnavailableError",
    "default_voices",
    "speakable",
]
