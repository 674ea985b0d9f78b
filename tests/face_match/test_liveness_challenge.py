"""The active challenge and the passive monitor, driven by hand-made observations."""

from __future__ import annotations

import random

import numpy as np
import pytest

from kiosk.face_match.actions import Action
from kiosk.face_match.config import LivenessConfig
from kiosk.face_match.detection import FaceBox
from kiosk.face_match.liveness import (
    Challenge,
    LivenessFailure,
    Observation,
    PassiveMonitor,
    random_actions,
)

CONFIG = LivenessConfig()
BOX = FaceBox(220, 140, 420, 340)
OPEN = 1.0  # openness units are arbitrary: the challenge works relative to the neutral pose


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def tick(self, seconds: float = 1 / 15) -> float:
        self.t += seconds
        return self.t


def _obs(t: float, yaw: float = 0.0, openness: float = OPEN) -> Observation:
    return Observation(t, BOX, yaw, openness, None)


def _hold(challenge: Challenge, clock: Clock, seconds: float, **pose: float) -> None:
    for _ in range(round(seconds * 15)):
        challenge.update(_obs(clock.tick(), **pose))


def _perform(challenge: Challenge, clock: Clock, action: Action) -> None:
    _hold(challenge, clock, 0.4)  # reaction time, neutral
    if action is Action.BLINK:
        _hold(challenge, clock, 0.15, openness=0.4)
    else:
        _hold(challenge, clock, 0.5, yaw=0.6 if action is Action.TURN_LEFT else -0.6)
    _hold(challenge, clock, 0.3)


def _started(actions: list[Action]) -> tuple[Challenge, Clock]:
    challenge, clock = Challenge(actions, CONFIG, random.Random(1)), Clock()
    challenge.start(clock.t, 0.0, OPEN)
    _hold(challenge, clock, 0.2)
    return challenge, clock


@pytest.mark.parametrize(
    "actions",
    [
        [Action.BLINK, Action.TURN_LEFT],
        [Action.TURN_RIGHT, Action.BLINK],
        [Action.TURN_LEFT, Action.TURN_RIGHT, Action.BLINK],
    ],
)
def test_following_the_prompts_passes(actions: list[Action]) -> None:
    challenge, clock = _started(actions)
    for action in actions:
        assert challenge.prompt is action
        _perform(challenge, clock, action)
    assert challenge.passed
    assert challenge.completed == len(actions)


def test_turning_the_wrong_way_fails_at_once() -> None:
    challenge, clock = _started([Action.TURN_LEFT, Action.BLINK])
    _hold(challenge, clock, 0.4)
    _hold(challenge, clock, 0.3, yaw=-0.6)
    assert challenge.finished and challenge.failure is LivenessFailure.WRONG_ACTION


def test_turning_during_a_blink_prompt_fails() -> None:
    challenge, clock = _started([Action.BLINK, Action.TURN_LEFT])
    _hold(challenge, clock, 0.4)
    _hold(challenge, clock, 0.3, yaw=0.6)
    assert challenge.failure is LivenessFailure.WRONG_ACTION


def test_doing_nothing_times_out_after_the_retries() -> None:
    challenge, clock = _started([Action.BLINK, Action.TURN_RIGHT])
    for _ in range(CONFIG.retries):
        before = challenge.prompt
        _hold(challenge, clock, CONFIG.action_timeout_s + 0.2)
        assert not challenge.finished  # re-prompted, always with a turn
        _hold(challenge, clock, 0.2)
        assert challenge.prompt in (Action.TURN_LEFT, Action.TURN_RIGHT)
        assert challenge.prompt is not before
    _hold(challenge, clock, CONFIG.action_timeout_s + 0.2)
    assert challenge.failure is LivenessFailure.TIMEOUT


def test_a_turn_too_small_for_a_head_is_not_a_turn() -> None:
    # A flat photo tilted sideways shifts landmark yaw by about 0.25 at most.
    challenge, clock = _started([Action.TURN_LEFT, Action.BLINK])
    _hold(challenge, clock, 0.4)
    _hold(challenge, clock, 2.0, yaw=0.25)
    assert challenge.completed == 0


def test_an_action_before_the_reaction_time_does_not_count() -> None:
    challenge, clock = _started([Action.TURN_LEFT, Action.BLINK])
    assert challenge.prompt is Action.TURN_LEFT
    challenge.update(_obs(clock.tick(0.03), yaw=0.6))
    challenge.update(_obs(clock.tick(0.03), yaw=0.6))
    assert challenge.completed == 0


def test_random_challenges_have_two_distinct_actions_with_a_turn() -> None:
    rng = random.Random(7)
    for _ in range(200):
        actions = random_actions(rng, 2)
        assert len(set(actions)) == 2
        assert any(a is not Action.BLINK for a in actions)
    assert len({tuple(random_actions(rng, 2)) for _ in range(200)}) == 6


def _face(rng: np.random.Generator, base: np.ndarray, noise: float) -> np.ndarray:
    return np.clip(base + rng.normal(0, noise, base.shape), 0, 255).astype(np.uint8)


def test_passive_monitor_flags_a_frozen_image_but_not_a_noisy_camera() -> None:
    rng = np.random.default_rng(3)
    base = rng.integers(60, 200, (64, 64)).astype(np.float64)
    frozen, live = PassiveMonitor(CONFIG), PassiveMonitor(CONFIG)
    still = base.astype(np.uint8)
    for step in range(10):
        t = step / 15
        frozen.update(Observation(t, BOX, 0.0, OPEN, still))
        live.update(Observation(t, BOX, 0.0, OPEN, _face(rng, base, 2.0)))
    assert frozen.verdict() is LivenessFailure.STATIC_IMAGE
    assert live.verdict() is None


def test_passive_monitor_flags_a_cut_and_a_lost_face() -> None:
    jump = PassiveMonitor(CONFIG)
    jump.update(Observation(0.0, BOX, 0.0, OPEN, None))
    jump.update(Observation(0.1, FaceBox(20, 20, 120, 120), 0.0, OPEN, None))
    assert jump.verdict() is LivenessFailure.FACE_JUMP
    lost = PassiveMonitor(CONFIG)
    lost.update(Observation(0.0, BOX, 0.0, OPEN, None))
    lost.update(Observation(CONFIG.max_face_gap_s + 0.1, None))
    assert lost.verdict() is LivenessFailure.FACE_LOST
