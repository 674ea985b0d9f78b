"""The real stack for fault tests: pcscd + vpcd + virtual card, the reference backend over
mutual TLS (optionally behind ``FaultProxy``), the synthetic resident as camera, and the
kiosk's journal. Helpers to pull the card at a chosen APDU and to read what each party
(kiosk journal, backend database, card) ends up believing."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from kiosk.assembly import KioskParts, assemble
from kiosk.backend_client import BackendClientConfig
from kiosk.card_reader.card import MyNumberCard
from kiosk.card_reader.card_info import TrustAnchors
from kiosk.card_reader.errors import CardError, CardLost
from kiosk.card_reader.jpki import JpkiPin
from kiosk.card_reader.pcsc import PcscTransport, ReaderWatcher
from kiosk.card_reader.transport import Transport, WrappedTransport
from kiosk.face_match.resident import SyntheticResident
from kiosk.face_match.sources import FrameSource, RenderedSource
from kiosk.flow.adapters.presence import PresenceRelay
from kiosk.flow.autoplay import Autoplay, AutoplayResult, drive
from kiosk.flow.config import FlowConfig
from kiosk.flow.machine import Flow
from kiosk.flow.states import Step
from kiosk.flow.work import QueuePump, ThreadRunner
from kiosk.journal import Journal
from kiosk_testbed.card.layout import AID_OF, Ap
from tests.backend.harness import RunningBackend
from tests.faults.proxy import FaultProxy, TlsFiles
from tests.helpers.virtual_card import READER_0, TEST_PINS, InsertedCard

NEW_PIN = "FAULT2026"
OLD_SIGN_PIN = TEST_PINS["sign_pin"]


def resident_camera(photo: Path, fps: float = 15.0) -> Callable[[], FrameSource]:
    image = cv2.imread(str(photo), cv2.IMREAD_COLOR)
    assert image is not None
    rgb = np.asarray(cv2.cvtColor(image, cv2.COLOR_BGR2RGB), dtype=np.uint8)
    return lambda: RenderedSource(SyntheticResident(rgb, seed=7), fps=fps)


def proxy_for(backend: RunningBackend, kiosk_id: str = "kiosk-1") -> FaultProxy:
    pki = backend.server.pki
    credentials = backend.kiosks.get(kiosk_id) or backend.enroll(kiosk_id)
    server = TlsFiles(pki.server_certificate_path, pki.server_key_path, pki.ca_certificate_path)
    kiosk = TlsFiles(credentials.certificate, credentials.key, credentials.ca)
    return FaultProxy(backend.url, server, kiosk).start()


def kiosk_config(backend: RunningBackend, url: str | None = None, **options: float) -> (
    BackendClientConfig
):
    credentials = backend.kiosks.get("kiosk-1") or backend.enroll("kiosk-1")
    settings = {"retry_backoff": 0.01, "read_timeout": 5.0, "connect_timeout": 2.0, **options}
    return BackendClientConfig.from_bundle(
        url or backend.url, credentials.certificate.parent, **settings
    )


@dataclass
class Run:
    result: AutoplayResult
    steps: list[Step]
    journal: Journal


def run_flow(
    anchors: TrustAnchors,
    config: BackendClientConfig,
    camera: Callable[[], FrameSource],
    journal: Journal,
    *,
    auth_pin: str = TEST_PINS["auth_pin"],
    text_pin: str | None = TEST_PINS["text_pin"],
    new_pin: str = NEW_PIN,
    reader: str = READER_0,
    open_transport: Callable[[], Transport] | None = None,
    between: Callable[[Flow], None] | None = None,
    timeout: float = 90.0,
) -> Run:
    """One resident's transaction through the product's flow, Qt-free."""
    pump = QueuePump()
    runner = ThreadRunner(pump.post)
    with ExitStack() as stack:
        flow = assemble(KioskParts(
            open_card=open_transport or (lambda: PcscTransport(reader)),
            anchors=anchors,
            backend=config,
            open_camera=camera,
            journal=journal,
            flow=FlowConfig(face_attempts=2),
        ), runner, stack)
        stack.callback(runner.shutdown)  # lets the release job (abort at the backend) finish
        steps: list[Step] = []
        play = Autoplay(flow, auth_pin=auth_pin, new_pin=new_pin, text_pin=text_pin,
                        on_step=lambda view: steps.append(view.step))
        watcher = ReaderWatcher(PresenceRelay(reader, flow.card_event, pump.post),
                                wait_seconds=0.2)
        watcher.start()
        stack.callback(watcher.stop)
        result = drive(flow, pump, play, timeout=timeout,
                       between=(lambda: between(flow)) if between else None)
        settle(runner, pump)
    return Run(result, steps, journal)


def settle(runner: ThreadRunner, pump: QueuePump, timeout: float = 30.0) -> None:
    """Let the work already queued finish (the release job that tells the backend): a kiosk
    keeps running after a transaction; this harness shuts its worker down right after."""
    finished: list[bool] = []
    runner.submit(lambda: None, lambda _: finished.append(True))
    deadline = time.monotonic() + timeout
    while not finished and time.monotonic() < deadline:
        pump.pump(0.05)


# --- pulling the card at a chosen command -----------------------------------------------------

CARD_STEPS = (
    "recognition",
    "counters",
    "auth_pin_verify",
    "photo_read",
    "nonce_signing",
    "challenge",
    "reset_relay",
)


class CardPuller:
    """Wraps the kiosk's PC/SC transport: just before the first APDU of ``step`` goes out, the
    resident pulls the card (the virtual card leaves the vpcd reader and pcscd reports it
    gone), so that command meets an empty reader. With ``after_processing`` the card runs the
    command first and is pulled before its answer is read: the answer is lost (raised as the
    card layer's ``CardLost``, which is what the kiosk sees when a card leaves mid-answer).

    Pulling at the transport rather than by cutting vpcd's socket mid-command: vsmartcard's
    vpcd stays wedged (no card seen) for a long while after that, which would disturb every
    other test sharing pcscd."""

    def __init__(self, slot: InsertedCard, step: str, *, after_processing: bool = False) -> None:
        assert step in CARD_STEPS
        self.slot = slot
        self.step = step
        self.after_processing = after_processing
        self.fired = threading.Event()
        self._selected: bytes | None = None

    def open(self, reader: str = READER_0) -> Callable[[], Transport]:
        def open_transport() -> Transport:
            return _PullingTransport(PcscTransport(reader), self)

        return open_transport

    def before(self, apdu: bytes) -> bool:
        """Whether to pull now; tracks the selected application."""
        if len(apdu) >= 5 and apdu[1] == 0xA4 and apdu[2] == 0x04:
            selecting = apdu[5 : 5 + apdu[4]]
        else:
            selecting = None
        pull = not self.fired.is_set() and self._matches(apdu)
        if selecting is not None:
            self._selected = selecting
        if pull:
            self.fired.set()
        return pull

    def pull(self) -> None:
        self.slot.remove()

    def _matches(self, apdu: bytes) -> bool:
        ins = apdu[1] if len(apdu) >= 2 else -1
        has_data = len(apdu) > 5
        step = self.step
        if step == "recognition":
            return ins == 0xA4
        if step == "counters":
            return ins == 0x20 and not has_data
        if step == "auth_pin_verify":
            return ins == 0x20 and has_data and self._selected == AID_OF[Ap.JPKI]
        if step == "photo_read":
            return ins == 0xB0 and self._selected == AID_OF[Ap.INFO]
        if step == "nonce_signing":
            return ins == 0x2A
        if step == "challenge":
            return ins == 0x84
        return ins == 0x2C and apdu[0] == 0x0C  # the backend's protected reset command


class _PullingTransport(WrappedTransport):
    def __init__(self, inner: PcscTransport, puller: CardPuller) -> None:
        self.inner = inner
        self.puller = puller

    def transmit(self, apdu: bytes) -> tuple[bytes, int]:
        if not self.puller.before(apdu):
            return self.inner.transmit(apdu)
        if self.puller.after_processing:
            self.inner.transmit(apdu)
            self.puller.pull()
            raise CardLost("the card left the reader before it answered")
        self.puller.pull()
        return self.inner.transmit(apdu)


# --- what each party believes -----------------------------------------------------------------


@dataclass
class CardState:
    sign_pin: str | None  # which of the known PINs the card takes (None: neither)
    auth_tries: int | None
    sign_tries: int | None
    text_tries: int | None
    notes: list[str] = field(default_factory=list)


def card_state(reader: str = READER_0, candidates: tuple[str, ...] = (OLD_SIGN_PIN, NEW_PIN)) -> (
    CardState
):
    """The card's counters and which sign PIN it accepts (a correct VERIFY costs no try; the
    first candidate that fails costs one, so the PIN expected is listed first)."""
    with PcscTransport(reader) as transport:
        card = MyNumberCard.recognize(transport)
        counters = card.read_retry_counters()
        accepted = None
        for pin in candidates:
            try:
                card.jpki.verify_pin(JpkiPin.SIGN, bytearray(pin.encode()))
            except CardError:
                continue
            accepted = pin
            break
    return CardState(accepted, counters.auth.tries_left, counters.sign.tries_left,
                     counters.text.tries_left)


def backend_transactions(backend: RunningBackend) -> list[tuple[str, str, str | None, str | None]]:
    """(id, state, outcome, identity check) of every transaction the backend holds."""
    rows = backend.rows(
        "SELECT transaction_id, state, outcome, identity_check FROM transactions "
        "ORDER BY created_at"
    )
    return [(str(r[0]), str(r[1]), r[2], r[3]) for r in rows]


def settled_backend(backend: RunningBackend, timeout: float = 5.0) -> list[
    tuple[str, str, str | None, str | None]
]:
    """The transactions once none is left open (the kiosk aborts in the background)."""
    deadline = time.monotonic() + timeout
    while True:
        rows = backend_transactions(backend)
        if all(state == "closed" for _, state, _, _ in rows) or time.monotonic() > deadline:
            return rows
        time.sleep(0.05)
