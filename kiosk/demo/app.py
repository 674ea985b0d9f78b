"""`kiosk demo`: the whole product on embedded defaults, nothing to set up by hand.

- Card: a virtual card from the test authority (issued from the resident's photo, or `--card`),
  in pcscd's first vpcd reader when pcscd runs, in process otherwise.
- Camera: the synthetic resident animating `--resident PHOTO` (NASA's public-domain portrait
  shipped with scikit-image by default), or a real webcam with `--camera N`.
- Backend: the reference backend on loopback with mutual TLS, its own SQLite database and
  operator PKI in the data folder; the kiosk is enrolled on start, with its keys made in the
  TPM named by $KIOSK_TPM_TCTI (scripts/demo starts swtpm), else with a key file.
- `--autoplay` drives a resident through the success path and prints `RESULT: ...` last. With
  `--card` (any card from `kiosk-testbed issue-card`) it needs `--auth-pin`, and unlocks the
  photo with the card's 照合番号B, as a resident reading the card face would.
- Voice guidance, the staff call (into the data folder's `staff_call.json`) and reading the
  card face with the camera (the card's front, rendered by the testbed, held to it) all work.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import cv2
import numpy as np

from kiosk.backend_client import BackendClient, BackendClientConfig
from kiosk.card_ocr import CardFaceScanner
from kiosk.card_reader.errors import ReaderUnavailable
from kiosk.card_reader.pcsc import PcscTransport, ReaderWatcher, list_readers
from kiosk.card_reader.transport import Transport
from kiosk.demo.portrait import PortraitUnavailableError, default_portrait_path
from kiosk.demo.virtual_reader import (
    VPCD_READERS,
    DemoCard,
    card_face_anchors,
    card_face_persona,
    card_in_vpcd_reader,
    card_number_b,
    issue_demo_card,
)
from kiosk.face_match.resident import SyntheticResident
from kiosk.face_match.sources import CameraSource, FrameSource, RenderedSource
from kiosk.flow.adapters.backend import BackendAdapter
from kiosk.flow.adapters.card import CardReaderAdapter
from kiosk.flow.adapters.face import FaceCheckAdapter
from kiosk.flow.adapters.presence import PresenceRelay
from kiosk.flow.autoplay import Autoplay, AutoplayResult
from kiosk.flow.config import FlowConfig
from kiosk.flow.machine import Flow
from kiosk.flow.ports import CardPresence, MonotonicClock
from kiosk.journal import Journal, reconcile
from kiosk.maintenance.staff_call import StaffCalls
from kiosk.tpm import KioskTpm, TpmError
from kiosk.tpm.enrollment import prepare_enrollment
from kiosk.voice import Speaker, SpeakerSettings, default_voices
from kiosk_backend.enrollment import enroll_kiosk, enroll_tpm_kiosk
from kiosk_backend.observability import JsonLog
from kiosk_backend.server import BackendServer, BackendSettings
from kiosk_backend.tpm_enrollment import TpmEnrollmentError, load_vendor_cas
from kiosk_testbed.authority import TestAuthority, default_data_dir
from kiosk_testbed.card.card_file import CardFileError
from kiosk_testbed.card.in_process import InProcessTransport
from kiosk_testbed.card.virtual_card import VirtualCard
from kiosk_testbed.card_camera import HeldCard
from kiosk_testbed.card_face import render_card_face

DEMO_KIOSK_ID = "demo-kiosk"
DEMO_STORE = "Demo store (kiosk demo)"
TPM_ENV = "KIOSK_TPM_TCTI"
VENDOR_CA_ENV = "KIOSK_TPM_VENDOR_CA"
DEMO_AUTH_PIN = "1234"  # the text PIN is the same, as many residents choose
DEMO_NEW_PIN = "DEMO2026"
AUTOPLAY_TIMEOUT_S = 240.0


class DemoError(click.ClickException):
    """A demo that cannot start, with what to do about it."""


@dataclass(frozen=True)
class DemoOptions:
    autoplay: bool
    screenshots: Path | None
    card: Path | None
    resident: Path | None
    data_dir: Path | None
    language: str
    camera: int | None
    in_process: bool
    auth_pin: str | None = None


def _read_rgb(path: Path) -> np.ndarray:
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise DemoError(f"cannot read the resident's photo {path}")
    return np.asarray(cv2.cvtColor(image, cv2.COLOR_BGR2RGB), dtype=np.uint8)


def _pcscd_readers() -> list[str]:
    try:
        return list_readers()
    except ReaderUnavailable:
        return []


@contextmanager
def _data_folder(requested: Path | None) -> Iterator[Path]:
    if requested is not None:
        requested.mkdir(parents=True, exist_ok=True)
        yield requested
        return
    folder = Path(tempfile.mkdtemp(prefix="kiosk-demo-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def demo_tpm() -> str | None:
    """The TPM the demo's kiosk keeps its keys in: scripts/demo starts swtpm and exports
    KIOSK_TPM_TCTI. Without one, the demo falls back to a key file (and says so)."""
    return os.environ.get(TPM_ENV) or None


@contextmanager
def _backend(data_dir: Path, authority: TestAuthority) -> Iterator[BackendClientConfig]:
    logs = data_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    tcti = demo_tpm()
    with (logs / "backend.jsonl").open("a", encoding="utf-8") as log_stream:
        settings = BackendSettings(
            data_dir=data_dir / "backend", authority_dir=authority.dir, port=0, pool_size=4,
            software_kiosks=tcti is None,
        )
        server = BackendServer(settings, log=JsonLog(stream=log_stream)).start()
        try:
            bundle = data_dir / "kiosk-credentials"
            if tcti is None:
                enroll_kiosk(server.pki, server.database, DEMO_KIOSK_ID, bundle, DEMO_STORE)
                yield BackendClientConfig.from_bundle(server.url, bundle)
                return
            # As on a real kiosk: keys made in the TPM, the operator certifies the TLS key.
            tpm = KioskTpm(tcti, bundle / "tpm")
            try:
                request = prepare_enrollment(tpm, DEMO_KIOSK_ID)
                vendor = os.environ.get(VENDOR_CA_ENV)
                paths = enroll_tpm_kiosk(
                    server.pki, server.database, request, bundle, store_name=DEMO_STORE,
                    vendor_cas=load_vendor_cas(Path(vendor).read_bytes()) if vendor else None)
            except (TpmError, TpmEnrollmentError, OSError) as error:
                raise DemoError(f"the demo's TPM is not usable: {error}") from None
            yield BackendClientConfig(
                base_url=server.url, client_certificate=paths["certificate"],
                client_key=tpm.folder / "kiosk.tls.key", ca_certificate=paths["ca"],
                tpm_tcti=tcti)
        finally:
            server.stop()


def _camera(options: DemoOptions, resident: Path) -> Callable[[], FrameSource]:
    if options.camera is not None:
        device = options.camera
        return lambda: CameraSource(device)
    portrait = _read_rgb(resident)
    return lambda: RenderedSource(SyntheticResident(portrait, seed=secrets.randbits(16)), fps=15.0)


def _prepare_card(
    options: DemoOptions, data_dir: Path, resident: Path
) -> tuple[TestAuthority, Path, DemoCard | None]:
    """The authority that issued the card, the card file the demo uses, and its PINs if known."""
    if options.card is not None:
        if not options.card.is_file():
            raise DemoError(f"no card file at {options.card}")
        authority = TestAuthority(default_data_dir()).ensure()
        working = data_dir / "card.json"
        if options.card.resolve() != working.resolve():
            shutil.copyfile(options.card, working)  # the demo never changes the card given
        return authority, working, None
    authority = TestAuthority(data_dir / "testbed").ensure()
    card_file = data_dir / "card.json"
    card = issue_demo_card(
        authority,
        resident,
        card_file,
        auth_pin=DEMO_AUTH_PIN,
        text_pin=DEMO_AUTH_PIN,
    )
    return authority, card_file, card


def _card_camera(card_file: Path, resident: Path) -> Callable[[], FrameSource]:
    """The card's front held to the camera (for reading 照合番号B off it)."""
    try:
        persona = card_face_persona(card_file)
    except CardFileError as error:
        raise DemoError(str(error)) from None
    from PIL import Image

    face = render_card_face(persona, Image.fromarray(_read_rgb(resident)))
    return lambda: RenderedSource(HeldCard(face, seed=secrets.randbits(16)), fps=10.0)


def _ring(calls: StaffCalls, step: str) -> None:
    calls.ring(step)


def _autoplay_secrets(options: DemoOptions, card_file: Path, demo_card: DemoCard | None
                      ) -> tuple[str, str | None]:
    """(auth PIN, 照合番号B or None) for autoplay: the demo card's own, or for a given card
    the trainer's ``--auth-pin`` and the card's 照合番号B."""
    if demo_card is not None:
        return options.auth_pin or DEMO_AUTH_PIN, None
    if options.auth_pin is None:
        raise DemoError("--autoplay with --card needs the card's --auth-pin")
    try:
        return options.auth_pin, card_number_b(card_file)
    except CardFileError as error:
        raise DemoError(str(error)) from None


def run_demo(options: DemoOptions) -> int:
    """Runs the demo; returns the process exit status."""
    if options.auth_pin is not None and not (len(options.auth_pin) == 4
                                             and options.auth_pin.isdigit()):
        raise DemoError("--auth-pin must be 4 digits")
    if options.autoplay and not os.environ.get("DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from kiosk.ui.app import create_application, display_available, run_autoplay
    from kiosk.ui.bridge import QtPoster, make_qt_runner
    from kiosk.ui.recorder import ScreenRecorder
    from kiosk.ui.window import KioskWindow, UiOptions

    if not display_available():
        raise DemoError(
            "no display here. Run it on a virtual screen with `xvfb-run -a scripts/demo`, "
            "or let it play itself without a screen: `scripts/demo --autoplay`."
        )
    try:
        resident = options.resident or default_portrait_path()
    except PortraitUnavailableError as error:
        raise DemoError(str(error)) from None

    with ExitStack() as stack:
        data_dir = stack.enter_context(_data_folder(options.data_dir))
        authority, card_file, demo_card = _prepare_card(options, data_dir, resident)
        auth_pin, number_b = _autoplay_secrets(options, card_file, demo_card)
        client_config = stack.enter_context(_backend(data_dir, authority))
        anchors = card_face_anchors(authority)

        app = create_application()
        poster = QtPoster()
        runner = make_qt_runner(poster)
        stack.callback(runner.shutdown)
        client = BackendClient(client_config)
        stack.callback(client.close)
        journal = Journal(data_dir / "kiosk" / "journal.jsonl")
        reconcile(journal, client)  # what an earlier run on this --data-dir left unfinished

        reader = VPCD_READERS[0]
        use_pcscd = not options.in_process and reader in _pcscd_readers()
        open_transport: Callable[[], Transport]
        if use_pcscd:
            stack.enter_context(card_in_vpcd_reader(card_file, 0))
            open_transport = lambda: PcscTransport(reader)  # noqa: E731
        else:
            in_process_card = VirtualCard.from_path(card_file)
            open_transport = lambda: InProcessTransport(in_process_card)  # noqa: E731

        flow = Flow(
            card=CardReaderAdapter(open_transport, anchors),
            face=FaceCheckAdapter(_camera(options, resident)),
            backend=BackendAdapter(client, journal),
            clock=MonotonicClock(),
            runner=runner,
            config=FlowConfig(),
        )
        stack.callback(flow.close)
        speaker = Speaker(default_voices(), SpeakerSettings(enabled=not options.autoplay))
        stack.callback(speaker.close)
        staff_calls = StaffCalls(data_dir / "kiosk" / "staff_call.json")
        window = KioskWindow(
            flow,
            UiOptions(language=options.language, kiosk_mode=not options.autoplay,
                      sound=not options.autoplay),
            speaker=speaker,
            call_staff=lambda step: _ring(staff_calls, step),
            card_scanner=CardFaceScanner(_card_camera(card_file, resident)),
        )
        stack.callback(window.shut_down)
        if options.autoplay:
            window.resize(1080, 1920)
            window.show()
        else:
            window.show_kiosk()
        if options.screenshots is not None:
            app.processEvents()  # lay the first screen out before it is grabbed
            recorder = ScreenRecorder(window, options.screenshots)
            stack.callback(recorder.stop)

        if use_pcscd:
            watcher = ReaderWatcher(PresenceRelay(reader, flow.card_event, poster.post))
            watcher.start()
            stack.callback(watcher.stop)
        else:
            poster.post(lambda: flow.card_event(CardPresence.PRESENT))

        click.echo(_banner(use_pcscd, demo_card, data_dir if options.data_dir else None),
                   err=True)
        if not options.autoplay:
            app.exec()
            return 0
        autoplay = Autoplay(flow, auth_pin=auth_pin, new_pin=DEMO_NEW_PIN, number_b=number_b)
        result = run_autoplay(autoplay, timeout=AUTOPLAY_TIMEOUT_S)
        if options.screenshots is not None:
            app.processEvents()
    click.echo(result.line())
    return 0 if result.success else 1


def _banner(use_pcscd: bool, card: DemoCard | None, data_dir: Path | None) -> str:
    where = f"pcscd reader '{VPCD_READERS[0]}'" if use_pcscd else "in process (pcscd not running)"
    keys = ("kiosk keys in the TPM (swtpm)" if demo_tpm()
            else "kiosk key in a file (no TPM: run scripts/demo for swtpm)")
    lines = [f"kiosk demo: virtual card {where}; reference backend on loopback; {keys}."]
    if card is not None:
        lines.append(
            f"Demo card PINs: user authentication {DEMO_AUTH_PIN} "
            "(the text PIN is the same); any new signature PIN of 6-16 letters and digits."
        )
    if data_dir is not None:
        lines.append(f"State and logs: {data_dir}")
    return "\n".join(lines)


@click.command("demo")
@click.option("--autoplay", is_flag=True,
              help="play a resident through the success path; exit 0 only on success")
@click.option("--screenshots", type=click.Path(file_okay=False, path_type=Path),
              help="save a PNG of every screen shown")
@click.option("--card", type=click.Path(dir_okay=False, path_type=Path),
              help="a card file from `kiosk-testbed issue-card` (default: a new demo card)")
@click.option("--resident", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="photo the synthetic resident animates (default: NASA portrait)")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path),
              help="where kiosk, backend and card keep state and logs (default: temporary)")
@click.option("--lang", "language", type=click.Choice(["ja", "en"]), default="ja",
              show_default=True)
@click.option("--camera", type=int, help="use the webcam with this OpenCV index")
@click.option("--in-process", is_flag=True, help="keep the virtual card in process, not in pcscd")
@click.option("--auth-pin", help="the card's 4-digit user-authentication PIN, for --autoplay "
              "with --card (the demo's own card: 1234)")
def demo(**options: Any) -> None:
    """Run the whole kiosk on embedded defaults (virtual card, synthetic camera, local backend)."""
    with contextlib.suppress(BrokenPipeError):
        sys.exit(run_demo(DemoOptions(**options)))


__all__ = ["AutoplayResult", "demo", "run_demo"]
