"""The actions a liveness challenge can prompt for."""

from __future__ import annotations

from enum import StrEnum


class Action(StrEnum):
    """A prompted action. Left and right are the resident's own, not the screen's."""

    BLINK = "blink"
    TURN_LEFT = "turn_left"
    TURN_RIGHT = "turn_right"
