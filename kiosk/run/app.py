"""``kiosk run [--config FILE]``: the installed kiosk (see deploy/kiosk.service).

Reads the configuration (a bad one: one line naming the settings, exit 2), builds the real
parts (the configured or first PC/SC reader, the configured camera, the backend over mutual
TLS), the flow with the configured time limits, the resident screens with the hidden way into
maintenance, and the runtime (logging, maintenance state, health board, loopback metrics,
systemd readiness and watchdog). Every finished transaction is counted by outcome.
The card-face CA keys come from ``card-face-ca/<key id hex>.pem`` beside the configuration
file (``/etc/kiosk/card-face-ca``; see :mod:`kiosk.run.parts`).
Exit status: 0 after a normal stop (SIGTERM, or staff restarting the application: systemd
starts it again), 1 when it could not run, 2 for a configuration it cannot use.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from kiosk.backend_client import BackendClient, BackendClientConfig
from kiosk.backend_client.errors import BackendError
from kiosk.card_ocr import CardFaceScanner
from kiosk.card_reader.card_info import TrustAnchors
from kiosk.card_reader.errors import ReaderUnavailable
from kiosk.card_reader.pcsc import PcscTransport, ReaderWatcher, list_readers
from kiosk.config import ConfigError, KioskConfig, config_path, load_config
from kiosk.diagnostics import run_checks
from kiosk.diagnostics.live import ReaderHealth
from kiosk.diagnostics.runtime import InstalledRuntime, start_runtime
from kiosk.face_match.config import FaceConfig
from kiosk.face_match.config import load_config as load_face_config
from kiosk.face_match.engine import FaceEngineError
from kiosk.face_match.engine import load_engine as load_face_engine
from kiosk.face_match.sources import FrameSource
from kiosk.flow.adapters.backend import BackendAdapter
from kiosk.flow.adapters.card import CardReaderAdapter
from kiosk.flow.adapters.face import FaceCheckAdapter
from kiosk.flow.machine import Flow
from kiosk.flow.ports import CardPresence, MonotonicClock
from kiosk.journal import Journal, reconcile
from kiosk.run.outcomes import OutcomeRecorder
from kiosk.run.parts import (
    ReaderChoice,
    StartupError,
    anchors_folder,
    camera_factory,
    client_config,
    flow_config,
    load_anchors,
)
from kiosk.tpm import TpmError
from kiosk.voice import Speaker, SpeakerSettings, default_voices

JOURNAL_FILE = "journal.jsonl"

log = logging.getLogger(__name__)
EXIT_CONFIG = 2
EXIT_FAILED = 1


def _known_readers() -> list[str]:
    try:
        return list_readers()
    except ReaderUnavailable:
        return []


def _say(text: str) -> None:
    click.echo(f"kiosk run: {text}", err=True)


def run_kiosk(config_file: Path | None) -> int:
    """Runs the kiosk until it is stopped; returns the exit status."""
    try:
        config = load_config(config_file)
    except ConfigError as error:
        _say("bad configuration: " + "; ".join(error.problems))
        return EXIT_CONFIG
    except RecursionError:
        _say("bad configuration: nested too deeply to read")
        return EXIT_CONFIG
    source = config_path(config_file)
    from kiosk.ui.app import display_available

    if not display_available():
        _say("no display (neither WAYLAND_DISPLAY nor DISPLAY is set, nor QT_QPA_PLATFORM). "
             "Run it in the kiosk session (deploy/kiosk.service) or under cage/X.")
        return EXIT_FAILED
    try:
        face_settings = load_face_config(config.face.thresholds_file, config.face.engine)
    except (OSError, ValueError, RecursionError) as error:
        _say(f"face.thresholds_file: unusable ({type(error).__name__}: {error})"[:300])
        return EXIT_CONFIG
    try:
        # Loads the engine's models now: a missing or altered model file stops the start.
        load_face_engine(face_settings.engine)
    except FaceEngineError as error:
        _say(f"face.engine {face_settings.engine}: {error}"[:300])
        return EXIT_CONFIG
    try:
        backend_config = client_config(config)
        _check_identity(backend_config)
        anchors = load_anchors(anchors_folder(source, config.card.face_ca_dir))
        open_camera = camera_factory(config)
    except StartupError as error:
        _say(str(error))
        return EXIT_CONFIG
    stopper = _Stopper()
    try:
        runtime = start_runtime(config)
    except OSError as error:  # state folder not writable, metrics port taken ...
        where = f" ({error.filename})" if error.filename else ""
        _say(f"cannot start: {error.strerror or type(error).__name__}{where} "
             f"(kiosk.data_dir, logging.directory, metrics.port)")
        return EXIT_FAILED
    try:
        return _run(config, source, runtime, stopper,
                    _Parts(anchors, backend_config, open_camera, face_settings))
    except Exception as error:  # logged (redacted) with its type; systemd restarts us
        log.exception("the kiosk stopped on an unexpected error")
        _say(f"stopped on an unexpected error: {type(error).__name__}")
        return EXIT_FAILED
    finally:
        runtime.stop()


@dataclass(frozen=True)
class _Parts:
    anchors: TrustAnchors
    backend: BackendClientConfig
    open_camera: Callable[[], FrameSource]
    face: FaceConfig


def _check_identity(backend: BackendClientConfig) -> None:
    try:
        backend.kiosk_identity()
        if backend.key_in_tpm:
            backend.tpm().check_keys()
        else:
            backend.ssl_context()
    except TpmError as error:
        raise StartupError(f"tpm: {error}") from None
    except BackendError as error:
        raise StartupError(f"backend.client_cert / backend.client_key / backend.ca_file: "
                           f"{error}") from None


def _run(config: KioskConfig, source: Path | None, runtime: InstalledRuntime,
         stopper: _Stopper, parts: _Parts) -> int:
    from kiosk.ui.app import create_application
    from kiosk.ui.bridge import QtPoster, make_qt_runner
    from kiosk.ui.maintenance import (
        MaintenanceController,
        MaintenanceParts,
        join_background,
        thread_background,
    )
    from kiosk.ui.qt import QTimer
    from kiosk.ui.window import KioskWindow, UiOptions

    with ExitStack() as stack:
        app = create_application()
        poster = QtPoster()
        runner = make_qt_runner(poster)
        stack.callback(runner.shutdown)
        client = BackendClient(parts.backend)
        stack.callback(client.close)
        # Settle what a previous run left unfinished (e.g. killed after the card was reset)
        # before the first resident; entries stay open while the backend is unreachable.
        journal = Journal(config.kiosk.data_dir / JOURNAL_FILE)
        reconcile(journal, client)

        def card_event(presence: CardPresence) -> None:
            flow.card_event(presence)

        choice = ReaderChoice(config.card.reader, _known_readers(), card_event, poster.post)
        flow = Flow(
            card=CardReaderAdapter(lambda: PcscTransport(choice.current()), parts.anchors),
            face=FaceCheckAdapter(parts.open_camera, parts.face),
            backend=BackendAdapter(client, journal),
            clock=MonotonicClock(),
            runner=runner,
            config=flow_config(config),
        )
        stack.callback(flow.close)
        maintenance = runtime.maintenance
        stack.callback(flow.subscribe(OutcomeRecorder(maintenance.counters.record)))

        speaker = Speaker(default_voices(), SpeakerSettings(
            config.voice.enabled, config.voice.volume, config.voice.headphones_device or None))
        stack.callback(speaker.close)
        window = KioskWindow(
            flow,
            UiOptions(language=config.kiosk.language, large_text=config.kiosk.large_text,
                      shuffle_pin_pad=config.kiosk.shuffle_pin_pad),
            speaker=speaker,
            call_staff=lambda step: threading.Thread(
                target=maintenance.staff_calls.ring, args=(step,), daemon=True).start(),
            card_scanner=CardFaceScanner(parts.open_camera),
        )
        stack.callback(window.shut_down)

        reader_health = ReaderHealth(runtime.board, config.card.reader)
        watchers: list[ReaderWatcher] = []

        def on_reader_event(event: Any) -> None:
            reader_health.on_event(event)
            choice.relay(event)

        def start_watcher() -> None:
            watcher = ReaderWatcher(on_reader_event, wait_seconds=config.card.poll_interval)
            watcher.start()
            watchers.append(watcher)

        def reset_reader() -> None:
            """Release the card and watch the readers afresh (the watcher re-reports all)."""
            while watchers:
                watchers.pop().stop()
            flow.cancel()
            start_watcher()

        def stop_watchers() -> None:
            while watchers:
                watchers.pop().stop()

        missing = choice.initial_presence()
        if missing is not None:
            flow.card_event(missing)
        start_watcher()
        stack.callback(stop_watchers)

        controller = MaintenanceController(window, flow, MaintenanceParts(
            config=config, config_source=source, maintenance=maintenance, board=runtime.board,
            reset_reader=reset_reader, restart_application=lambda: app.exit(0),
            open_camera=parts.open_camera, run_in_background=thread_background(poster.post)))
        stack.callback(controller.shut_down)

        window.show_kiosk()
        app.processEvents()
        runtime.ready()
        camera_check = _check_camera_once(config, source, runtime)
        # Native threads (camera, face models) must end before the interpreter does.
        stack.callback(lambda: camera_check.join(timeout=30))
        stack.callback(lambda: join_background(timeout=30))
        ticker = QTimer()
        ticker.setInterval(int(runtime.tick_interval * 1000))
        ticker.timeout.connect(runtime.tick)
        ticker.start()
        stack.callback(ticker.stop)
        stopper.attach(lambda: app.exit(0))  # quit() would ask the window, which refuses
        if stopper.requested:
            return 0
        log.info("kiosk %s serving residents", config.kiosk.id)
        status = app.exec()
        log.info("kiosk %s stopping (status %s)", config.kiosk.id, status)
        return 0


def _check_camera_once(config: KioskConfig, source: Path | None,
                       runtime: InstalledRuntime) -> threading.Thread:
    """The staff's camera item from the start (the periodic monitor leaves the camera alone,
    as a resident may be using it later); in the background, once."""

    def check() -> None:
        runtime.board.absorb(run_checks(config, config_source=source, areas=("camera",)))

    thread = threading.Thread(target=check, name="camera-check", daemon=True)
    thread.start()
    return thread


class _Stopper:
    """SIGTERM (systemd stop) and SIGINT end the kiosk cleanly, also during start-up: the
    handler is installed first; once the Qt loop runs it ends the loop (a timer lets Python
    see the signal while Qt waits)."""

    def __init__(self) -> None:
        self.requested = False
        self._quit: Callable[[], None] | None = None
        self._wake: Any = None
        signal.signal(signal.SIGTERM, self._handle)
        signal.signal(signal.SIGINT, self._handle)

    def attach(self, quit_loop: Callable[[], None]) -> None:
        from kiosk.ui.qt import QTimer

        self._quit = quit_loop
        self._wake = QTimer()
        self._wake.setInterval(200)
        self._wake.timeout.connect(lambda: None)
        self._wake.start()

    def _handle(self, number: int, frame: object) -> None:
        self.requested = True
        if self._quit is not None:
            self._quit()


@click.command("run")
@click.option("--config", "config_file", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="configuration file (default: $KIOSK_CONFIG, else "
              "/etc/kiosk/kiosk.toml, else the embedded defaults)")
def run(config_file: Path | None) -> None:
    """Run the installed kiosk (resident screens, maintenance, health endpoint)."""
    sys.exit(run_kiosk(config_file))
