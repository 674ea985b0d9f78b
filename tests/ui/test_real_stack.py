"""The real window, driven by touch, over the real parts: pyscard -> pcscd -> vpcd -> virtual
card, the reference backend over mutual TLS, the synthetic resident as camera, and the PC/SC
reader watcher. Work runs on the flow's worker thread; results come back through Qt."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pytest
from pytestqt.qtbot import QtBot

from kiosk.assembly import KioskParts, assemble
from kiosk.card_reader.card import MyNumberCard
from kiosk.card_reader.card_info import TrustAnchors
from kiosk.card_reader.jpki import JpkiPin
from kiosk.card_reader.pcsc import PcscTransport, ReaderWatcher
from kiosk.face_match.resident import SyntheticResident
from kiosk.face_match.sources import RenderedSource
from kiosk.flow.adapters.presence import PresenceRelay
from kiosk.flow.config import FlowConfig
from kiosk.flow.machine import Flow
from kiosk.flow.states import Step
from kiosk.ui.app import create_application
from kiosk.ui.bridge import QtPoster, make_qt_runner
from kiosk.ui.qt import QPushButton, Qt
from kiosk.ui.screens.ending import ErrorScreen
from kiosk.ui.screens.face import FaceCheckScreen
from kiosk.ui.screens.new_pin import NewPinScreen
from kiosk.ui.screens.pins import AuthPinScreen, UnlockPhotoScreen
from kiosk.ui.screens.welcome import ConsentScreen, StartScreen
from kiosk.ui.window import KioskWindow, UiOptions
from kiosk_testbed.authority import TestAuthority
from kiosk_testbed.card.virtual_card import VirtualCard
from tests.backend.harness import RunningBackend, running_backend
from tests.backend_client.conftest import client_config
from tests.helpers.virtual_card import (
    DEFAULT_PHOTO,
    OTHER_PERSON_PHOTO,
    READER_0,
    TEST_PINS,
    InsertedCard,
    TestCard,
)

pytestmark = [
    pytest.mark.pcsc,
    pytest.mark.slow,
]
AUTH = TEST_PINS["auth_pin"]
TEXT = TEST_PINS["text_pin"]
WAIT_MS = 60_000  # the face check itself may take up to its 30 s limit



@pytest.fixture
def backend(tmp_path: Path, testbed_authority: TestAuthority) -> Iterator[RunningBackend]:
    with running_backend(tmp_path, testbed_authority.dir, None) as running:
        yield running


def camera(photo: Path = DEFAULT_PHOTO, obey: bool = True) -> Callable[[], RenderedSource]:
    image = cv2.imread(str(photo), cv2.IMREAD_COLOR)
    assert image is not None
    rgb = np.asarray(cv2.cvtColor(image, cv2.COLOR_BGR2RGB), dtype=np.uint8)
    return lambda: RenderedSource(SyntheticResident(rgb, seed=3, obey=obey), fps=15.0)


@dataclass
class Kiosk:
    qtbot: QtBot
    window: KioskWindow
    flow: Flow

    def wait_step(self, step: Step) -> None:
        self.qtbot.waitUntil(lambda: self.flow.view.step == step, timeout=WAIT_MS)
        self.qtbot.waitUntil(lambda: self.window.current_screen.step == step, timeout=WAIT_MS)

    def wait_idle(self) -> None:
        self.qtbot.waitUntil(lambda: not self.flow.view.busy, timeout=WAIT_MS)

    def touch(self, button: QPushButton) -> None:
        self.qtbot.waitUntil(lambda: button.isVisible() and button.isEnabled(), timeout=WAIT_MS)
        self.qtbot.mouseClick(button, Qt.MouseButton.LeftButton)

    def digits(self, keys: list[QPushButton], text: str) -> None:
        by_label = {key.text(): key for key in keys}
        for digit in text:
            self.touch(by_label[digit])

    def start_to_auth_pin(self) -> AuthPinScreen:
        start = self.window.current_screen
        assert isinstance(start, StartScreen)
        self.touch(start.start)
        consent = self.window.current_screen
        assert isinstance(consent, ConsentScreen)
        self.touch(consent.agree)
        self.wait_step(Step.AUTH_PIN)
        auth = self.window.current_screen
        assert isinstance(auth, AuthPinScreen)
        return auth

    def enter_auth_pin(self, pin: str) -> None:
        auth = self.window.current_screen
        assert isinstance(auth, AuthPinScreen)
        self.wait_idle()
        if auth.understand.isVisible():
            self.touch(auth.understand)
        self.digits(auth.pad.keypad._keys, pin)
        self.touch(auth.pad.ok)
        self.qtbot.waitUntil(lambda: not self.flow.view.busy, timeout=WAIT_MS)

    def unlock_with_text_pin(self, pin: str) -> None:
        self.wait_step(Step.UNLOCK_PHOTO)
        unlock = self.window.current_screen
        assert isinstance(unlock, UnlockPhotoScreen)
        self.touch(unlock.text_way)
        self.digits(unlock.text_pad.keypad._keys, pin)
        self.touch(unlock.text_pad.ok)

    def face_check(self) -> FaceCheckScreen:
        self.wait_step(Step.FACE_CHECK)
        face = self.window.current_screen
        assert isinstance(face, FaceCheckScreen)
        self.touch(face.go)
        return face

    def new_pin(self, pin: str) -> None:
        self.wait_step(Step.NEW_PIN)
        screen = self.window.current_screen
        assert isinstance(screen, NewPinScreen)
        for char in pin:
            self.touch(screen.keyboard.keys[char])
        self.touch(screen.second_pick)
        for char in pin:
            self.touch(screen.keyboard.keys[char])
        self.touch(screen.ok)

    def error_code(self) -> str:
        self.wait_step(Step.ERROR)
        screen = self.window.current_screen
        assert isinstance(screen, ErrorScreen)
        return screen.code.text().removeprefix("Code: ")


@contextmanager
def real_kiosk(
    qtbot: QtBot,
    anchors: TrustAnchors,
    backend: RunningBackend,
    source: Callable[[], RenderedSource],
    config: FlowConfig | None = None,
) -> Iterator[Kiosk]:
    create_application()
    poster = QtPoster()
    runner = make_qt_runner(poster)
    with ExitStack() as stack:
        flow = assemble(KioskParts(
            open_card=lambda: PcscTransport(READER_0),
            anchors=anchors,
            backend=client_config(backend),
            open_camera=source,
            flow=config or FlowConfig(face_attempts=1),
        ), runner, stack)
        stack.callback(runner.shutdown)
        window = KioskWindow(flow, UiOptions(language="en", kiosk_mode=False, sound=False))
        qtbot.addWidget(window)
        stack.callback(window.shut_down)
        window.resize(1080, 1920)
        window.show()
        watcher = ReaderWatcher(PresenceRelay(READER_0, flow.card_event, poster.post),
                                wait_seconds=0.2)
        watcher.start()
        stack.callback(watcher.stop)
        qtbot.waitUntil(lambda: flow.view.card_present, timeout=5000)
        yield Kiosk(qtbot, window, flow)


def sign_pin_accepted(pin: str) -> bool:
    with PcscTransport(READER_0) as transport:
        card = MyNumberCard.recognize(transport)
        try:
            card.jpki.verify_pin(JpkiPin.SIGN, bytearray(pin.encode()))
        except Exception:
            return False
        return True


def test_success_by_touch(
    qtbot: QtBot, card_in_reader: InsertedCard, anchors: TrustAnchors, backend: RunningBackend
) -> None:
    with real_kiosk(qtbot, anchors, backend, camera()) as kiosk:
        auth = kiosk.start_to_auth_pin()
        assert auth.tries.text() == "3 tries left"
        kiosk.enter_auth_pin(AUTH)
        kiosk.unlock_with_text_pin(TEXT)
        face = kiosk.face_check()
        qtbot.waitUntil(lambda: face.camera._image is not None, timeout=WAIT_MS)  # live preview
        kiosk.new_pin("KIOSK2026")
        kiosk.wait_step(Step.DONE)
    assert sign_pin_accepted("KIOSK2026")


def test_wrong_auth_pin_shows_the_count_and_three_block_it(
    qtbot: QtBot, card_in_reader: InsertedCard, anchors: TrustAnchors, backend: RunningBackend
) -> None:
    with real_kiosk(qtbot, anchors, backend, camera()) as kiosk:
        auth = kiosk.start_to_auth_pin()
        kiosk.enter_auth_pin("9999")
        assert auth.problem.text() == "The PIN was not correct."
        assert auth.tries.text() == "2 tries left"
        kiosk.enter_auth_pin("9998")
        assert auth.tries.text() == "1 try left" and auth.last_try.isVisible()
        kiosk.enter_auth_pin("9997")
        assert kiosk.error_code() == "C05"


def test_face_of_another_person(
    qtbot: QtBot,
    issue_test_card: Callable[..., TestCard],
    insert_test_card: Callable[..., InsertedCard],
    anchors: TrustAnchors,
    backend: RunningBackend,
) -> None:
    insert_test_card(issue_test_card(photo=OTHER_PERSON_PHOTO))
    with real_kiosk(qtbot, anchors, backend, camera(DEFAULT_PHOTO)) as kiosk:
        kiosk.start_to_auth_pin()
        kiosk.enter_auth_pin(AUTH)
        kiosk.unlock_with_text_pin(TEXT)
        kiosk.face_check()
        assert kiosk.error_code() in ("F01", "F02")


def test_liveness_failure(
    qtbot: QtBot, card_in_reader: InsertedCard, anchors: TrustAnchors, backend: RunningBackend
) -> None:
    with real_kiosk(qtbot, anchors, backend, camera(obey=False)) as kiosk:
        kiosk.start_to_auth_pin()
        kiosk.enter_auth_pin(AUTH)
        kiosk.unlock_with_text_pin(TEXT)
        kiosk.face_check()
        assert kiosk.error_code() == "F02"


def test_card_removed_mid_flow(
    qtbot: QtBot, card_in_reader: InsertedCard, anchors: TrustAnchors, backend: RunningBackend
) -> None:
    with real_kiosk(qtbot, anchors, backend, camera()) as kiosk:
        kiosk.start_to_auth_pin()
        kiosk.enter_auth_pin(AUTH)
        kiosk.wait_step(Step.UNLOCK_PHOTO)
        card_in_reader.remove()
        assert kiosk.error_code() == "C02"


@pytest.fixture
def other_card(issue_test_card: Callable[..., TestCard], tmp_path: Path) -> VirtualCard:
    return VirtualCard.from_path(issue_test_card().copy_to(tmp_path / "other.json"))


def test_card_swapped_discards_everything(
    qtbot: QtBot,
    card_in_reader: InsertedCard,
    other_card: VirtualCard,
    anchors: TrustAnchors,
    backend: RunningBackend,
) -> None:
    other = other_card
    with real_kiosk(qtbot, anchors, backend, camera()) as kiosk:
        kiosk.start_to_auth_pin()
        kiosk.enter_auth_pin(AUTH)
        kiosk.wait_step(Step.UNLOCK_PHOTO)
        card_in_reader.remove(wait=False)
        card_in_reader.link.card = other
        card_in_reader.insert(wait=False)
        unlock = kiosk.window.current_screen
        if isinstance(unlock, UnlockPhotoScreen) and kiosk.flow.view.step == Step.UNLOCK_PHOTO:
            kiosk.touch(unlock.text_way)
            kiosk.digits(unlock.text_pad.keypad._keys, TEXT)
            kiosk.touch(unlock.text_pad.ok)
        assert kiosk.error_code() in ("C02", "C03")
    with PcscTransport(READER_0) as transport:
        counters = MyNumberCard.recognize(transport).read_retry_counters()
    assert counters.text.tries_left == 3  # no PIN went to the other card


def test_backend_down(
    qtbot: QtBot, card_in_reader: InsertedCard, anchors: TrustAnchors, backend: RunningBackend
) -> None:
    backend.server.stop()
    with real_kiosk(qtbot, anchors, backend, camera()) as kiosk:
        start = kiosk.window.current_screen
        assert isinstance(start, StartScreen)
        kiosk.touch(start.start)
        consent = kiosk.window.current_screen
        assert isinstance(consent, ConsentScreen)
        kiosk.touch(consent.agree)
        assert kiosk.error_code() == "B01"


def test_inactivity_timeout_with_countdown(
    qtbot: QtBot, card_in_reader: InsertedCard, anchors: TrustAnchors, backend: RunningBackend
) -> None:
    config = FlowConfig.from_mapping({"timeouts": {"auth_pin": 2}, "countdown_from": 2})
    with real_kiosk(qtbot, anchors, backend, camera(), config) as kiosk:
        kiosk.start_to_auth_pin()
        qtbot.waitUntil(kiosk.window.countdown.isVisible, timeout=WAIT_MS)
        assert kiosk.window.countdown.text().endswith("s left")
        assert kiosk.error_code() == "K02"
