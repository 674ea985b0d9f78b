"""The kiosk's real parts, built from its configuration (no Qt here).

Card-face trust anchors: the card-face CA public keys live in a folder ``card-face-ca`` beside
the configuration file (``/etc/kiosk/card-face-ca`` for the installed kiosk), one PEM public
key or certificate per file, named ``<key id in hex>.pem`` (the 16-byte key id the card's CV
certificate names as its issuer).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np

from kiosk.backend_client import BackendClientConfig
from kiosk.card_reader import events
from kiosk.card_reader.card_info import KEY_ID_LENGTH, TrustAnchors
from kiosk.card_reader.errors import ReaderUnavailable
from kiosk.config import KioskConfig
from kiosk.face_match.sources import CameraSource, FrameSource, RenderedSource, VideoFileSource
from kiosk.flow.adapters.presence import presence_for
from kiosk.flow.config import FlowConfig
from kiosk.flow.ports import CardPresence

ANCHORS_FOLDER = "card-face-ca"
DEFAULT_CONFIG_DIR = Path("/etc/kiosk")


class StartupError(Exception):
    """The kiosk cannot start with this configuration; the text says what to fix."""


def flow_config(config: KioskConfig) -> FlowConfig:
    timeouts = config.flow.timeouts
    names = ("consent", "place_card", "read_card", "auth_pin", "unlock_photo", "face_check",
             "new_pin", "processing", "done", "error")
    return FlowConfig.from_mapping({
        "timeouts": {name: getattr(timeouts, name) for name in names},
        "face_attempts": config.flow.face_attempts,
        "countdown_from": config.flow.countdown_from,
        "accessible_factor": config.flow.accessible_factor,
    })


def client_config(config: KioskConfig) -> BackendClientConfig:
    backend = config.backend
    for name, path in (("backend.ca_file", backend.ca_file),
                       ("backend.client_cert", backend.client_cert),
                       ("backend.client_key", backend.client_key)):
        if not path.is_file():
            raise StartupError(f"{name}: no file at {path}")
    return BackendClientConfig(
        base_url=backend.url,
        client_certificate=backend.client_cert,
        client_key=backend.client_key,
        ca_certificate=backend.ca_file,
        connect_timeout=backend.connect_timeout,
        read_timeout=backend.read_timeout,
        retries=backend.retries,
        retry_backoff=backend.retry_backoff,
        tpm_tcti=config.tpm.tcti,
    )


def anchors_folder(config_file: Path | None, configured: Path | None = None) -> Path:
    """``card.face_ca_dir`` if set (relative to the configuration file's folder), else
    ``card-face-ca`` beside the configuration file."""
    base = config_file.resolve().parent if config_file is not None else DEFAULT_CONFIG_DIR
    return base / (configured if configured is not None else ANCHORS_FOLDER)


def load_anchors(folder: Path) -> TrustAnchors:
    """Every ``<key id hex>.pem`` in ``folder``; at least one is required."""
    anchors = TrustAnchors()
    files = sorted(folder.glob("*.pem")) if folder.is_dir() else []
    for path in files:
        try:
            key_id = bytes.fromhex(path.stem)
            if len(key_id) != KEY_ID_LENGTH:
                raise ValueError("a key id has 16 bytes")
            anchors.add_pem(path.read_bytes(), key_id)
        except (OSError, ValueError) as error:
            raise StartupError(f"card-face CA key {path}: unusable ({error})") from None
    if not len(anchors):
        raise StartupError(f"no card-face CA key in {folder} (files named <key id hex>.pem)")
    return anchors


def camera_factory(config: KioskConfig) -> Callable[[], FrameSource]:
    """A new frame source per face check, as ``camera.*`` says."""
    camera = config.camera
    if camera.source != "device" and config.kiosk.mode != "testbed":
        raise StartupError(
            f'camera.source: "{camera.source}" is for the demo and testbeds only; a production '
            'kiosk must look at a real camera (camera.source = "device"), or set '
            'kiosk.mode = "testbed" on a machine that serves no resident')
    if camera.source == "device":
        return lambda: CameraSource(camera.device, camera.width, camera.height, float(camera.fps))
    if camera.source == "file":
        video = camera.file
        if video is None or not video.is_file():
            raise StartupError(f"camera.file: no video file at {video}")
        return lambda: VideoFileSource(video, loop=True)
    try:
        import skimage.data

        from kiosk.face_match.resident import SyntheticResident
    except ImportError as error:
        raise StartupError(f"camera.source: synthetic is not installed ({error.name})") from None
    portrait = np.asarray(skimage.data.astronaut(), dtype=np.uint8)  # type: ignore[no-untyped-call]
    return lambda: RenderedSource(SyntheticResident(portrait), fps=float(camera.fps))


class ReaderChoice:
    """The reader the kiosk serves: ``card.reader``, or with ``"auto"`` the first reader seen.

    ``relay(event)`` turns watcher events into the flow's card presence for that reader.
    """

    def __init__(self, configured: str, known: list[str],
                 card_event: Callable[[CardPresence], None],
                 post: Callable[[Callable[[], None]], None]) -> None:
        self._auto = configured == "auto"
        self._lock = threading.Lock()
        self.name: str | None = (known[0] if known else None) if self._auto else configured
        self._known = list(known)
        self._card_event = card_event
        self._post = post

    def initial_presence(self) -> CardPresence | None:
        """``NO_READER`` when the reader is not there at start (the watcher reports only the
        readers it sees), so residents see the out-of-service screen until it is plugged in."""
        if self.name is None or self.name not in self._known:
            return CardPresence.NO_READER
        return None

    def relay(self, event: events.ReaderEvent) -> None:
        with self._lock:
            if self.name is None and isinstance(event, events.ReaderAdded):
                self.name = event.reader
            reader = self.name
        if reader is None:
            if isinstance(event, events.ServiceUnavailable):
                self._post(lambda: self._card_event(CardPresence.NO_READER))
            return
        presence = presence_for(event, reader)
        if presence is not None:
            self._post(lambda: self._card_event(presence))

    def current(self) -> str:
        with self._lock:
            if self.name is None:
                raise ReaderUnavailable("no card reader is connected")
            return self.name
