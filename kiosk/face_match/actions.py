"""The actions a liveness challenge can prompt for."""

from __future__ import annotations

from enum import StrEnum


class Action(StrEnum):
    """A prompted action. Left, right, up and down are the resident's own, not the screen's.

    The first three values are the original ones and keep their meaning; presenters written
    for them (a lab's attack media) simply do nothing on a prompt they do not know, which is
    what a recording does too.
    """

    BLINK = "blink"
    TURN_LEFT = "turn_left"
    TURN_RIGHT = "turn_right"
    LOOK_UP = "look_up"
    LOOK_DOWN = "look_down"
    OPEN_MOUTH = "open_mouth"
    MOVE_CLOSER = "move_closer"


TURNS = (Action.TURN_LEFT, Action.TURN_RIGHT)
LOOKS = (Action.LOOK_UP, Action.LOOK_DOWN)
# Head rotations: each one is measured by the 3-D relief cue (the nose moves against the
# eyes and mouth on a head, not on a print or a paper mask).
ROTATIONS = TURNS + LOOKS


def parse_pool(text: str) -> tuple[Action, ...]:
    """The action pool from a comma- or space-separated list of action names."""
    names = [name for name in text.replace(",", " ").split() if name]
    try:
        pool = tuple(dict.fromkeys(Action(name) for name in names))
    except ValueError as error:
        raise ValueError(f"unknown action in the pool: {error}") from None
    if not any(action in TURNS for action in pool):
        raise ValueError("the action pool needs at least one turn")
    return pool
