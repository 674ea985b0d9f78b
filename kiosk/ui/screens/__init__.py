"""One screen per step of the flow; ``all_screens`` builds the full set for the window."""

from __future__ import annotations

from kiosk.ui.screens.base import Screen, UiContext
from kiosk.ui.screens.ending import DoneScreen, ErrorScreen, OutOfServiceScreen, ProcessingScreen
from kiosk.ui.screens.face import FaceCheckScreen
from kiosk.ui.screens.new_pin import NewPinScreen
from kiosk.ui.screens.pins import AuthPinScreen, UnlockPhotoScreen
from kiosk.ui.screens.welcome import ConsentScreen, PlaceCardScreen, ReadCardScreen, StartScreen

SCREEN_TYPES: tuple[type[Screen], ...] = (
    StartScreen,
    ConsentScreen,
    PlaceCardScreen,
    ReadCardScreen,
    AuthPinScreen,
    UnlockPhotoScreen,
    FaceCheckScreen,
    NewPinScreen,
    ProcessingScreen,
    DoneScreen,
    ErrorScreen,
    OutOfServiceScreen,
)

__all__ = ["SCREEN_TYPES", "Screen", "UiContext"]
