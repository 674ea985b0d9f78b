"""UI tests: the real window over the real flow, wired to the in-memory fakes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from pytestqt.qtbot import QtBot

from kiosk.flow.machine import Flow
from kiosk.flow.work import InlineRunner
from kiosk.ui.app import create_application
from kiosk.ui.window import KioskWindow, UiOptions
from tests.flow.fakes import FakeBackend, FakeCard, FakeClock, FakeFace


@dataclass
class UiKit:
    window: KioskWindow
    flow: Flow
    card: FakeCard
    face: FakeFace
    backend: FakeBackend
    clock: FakeClock


def make_ui(qtbot: QtBot, language: str = "en", shuffle: bool = False,
            card: FakeCard | None = None) -> UiKit:
    create_application()
    card = card or FakeCard()
    face, backend, clock = FakeFace(), FakeBackend(), FakeClock()
    flow = Flow(card=card, face=face, backend=backend, clock=clock, runner=InlineRunner(),
                today=lambda: dt.date(2026, 11, 25))
    window = KioskWindow(flow, UiOptions(language=language, kiosk_mode=False, sound=False,
                                         shuffle_pin_pad=shuffle))
    qtbot.addWidget(window)
    window.resize(1080, 1920)
    window.show()
    return UiKit(window, flow, card, face, backend, clock)


@pytest.fixture
def ui(qtbot: QtBot) -> Iterator[UiKit]:
    kit = make_ui(qtbot)
    yield kit
    kit.window.shut_down()


def pytest_configure(config: pytest.Config) -> None:
    # the shared virtual-card fixtures (no-op when another area registered them already)
    config.pluginmanager.import_plugin("tests.helpers.virtual_card")
