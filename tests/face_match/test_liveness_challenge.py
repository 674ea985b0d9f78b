"""The active challenge and the passive monitor, driven by hand-made observations."""

from __future__ import annotations

import random

import numpy as np
import pytest

from kiosk.face_match.actions import LOOKS, ROTATIONS, TURNS, Action, parse_pool
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
PITCH = 0.55
MOUTH = 0.1
SCALE = 70.0
FPS = 15


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def tick(self, seconds: float = 1 / FPS) -> float:
        self.t += seconds
        return self.t


def _obs(
    t: float,
    yaw: float = 0.0,
    openness: float = OPEN,
    *,
    pitch: float = PITCH,
    eyes: tuple[float, float] | None = None,
    mouth: float = MOUTH,
    scale: float = SCALE,
) -> Observation:
    return Observation(
        t, BOX, yaw, openness, None, pitch=pitch, eyes=eyes or (openness, openness),
        mouth=mouth, scale=scale,
    )


def _hold(challenge: Challenge, clock: Clock, seconds: float, **pose: object) -> None:
    for _ in range(round(seconds * FPS)):
        challenge.update(_obs(clock.tick(), **pose))  # type: ignore[arg-type]


def _pose_for(action: Action) -> dict[str, object]:
    poses: dict[Action, dict[str, object]] = {
        Action.BLINK: {"openness": 0.4},
        Action.TURN_LEFT: {"yaw": 0.6},
        Action.TURN_RIGHT: {"yaw": -0.6},
        Action.LOOK_UP: {"pitch": PITCH - 0.14},
        Action.LOOK_DOWN: {"pitch": PITCH + 0.14},
        Action.OPEN_MOUTH: {"mouth": MOUTH + 0.3},
        Action.MOVE_CLOSER: {"scale": SCALE * 1.3},
    }
    return poses[action]


def _perform(challenge: Challenge, clock: Clock, action: Action, reaction: float = 0.4) -> None:
    _hold(challenge, clock, reaction)  # reaction time, neutral
    _hold(challenge, clock, 0.15 if action is Action.BLINK else 0.5, **_pose_for(action))
    _hold(challenge, clock, 0.3)


def _started(actions: list[Action], config: LivenessConfig = CONFIG) -> tuple[Challenge, Clock]:
    challenge, clock = Challenge(actions, config, random.Random(1)), Clock()
    challenge.start(clock.t, [_obs(0.0), _obs(0.05)])
    _hold(challenge, clock, 0.2)
    return challenge, clock


@pytest.mark.parametrize(
    "actions",
    [
        [Action.BLINK, Action.TURN_LEFT, Action.OPEN_MOUTH],
        [Action.TURN_RIGHT, Action.LOOK_UP, Action.MOVE_CLOSER],
        [Action.LOOK_DOWN, Action.TURN_LEFT, Action.BLINK],
    ],
)
def test_following_the_prompts_passes(actions: list[Action]) -> None:
    challenge, clock = _started(actions)
    for action in actions:
        assert challenge.prompt is action
        _perform(challenge, clock, action)
    assert challenge.passed
    assert challenge.completed == len(actions)
    assert [r.action for r in challenge.records] == actions
    for record in challenge.records:
        assert record.onset_t is not None and record.done_t is not None
        assert record.onset_t - record.prompt_t >= CONFIG.min_reaction_s


def test_a_slow_resident_still_passes() -> None:
    challenge, clock = _started([Action.TURN_LEFT, Action.BLINK, Action.LOOK_DOWN])
    for action in challenge.actions:
        _perform(challenge, clock, action, reaction=1.8)
    assert challenge.passed


def test_one_eye_that_blinks_is_enough() -> None:
    challenge, clock = _started([Action.BLINK, Action.TURN_LEFT])
    _hold(challenge, clock, 0.4)
    _hold(challenge, clock, 0.15, eyes=(0.95, 0.4))  # the right eye hardly closes
    _hold(challenge, clock, 0.3)
    assert challenge.completed == 1


def test_turning_the_wrong_way_fails_at_once() -> None:
    challenge, clock = _started([Action.TURN_LEFT, Action.BLINK])
    _hold(challenge, clock, 0.4)
    _hold(challenge, clock, 0.3, yaw=-0.6)
    assert challenge.finished and challenge.failure is LivenessFailure.WRONG_ACTION


@pytest.mark.parametrize("action", [Action.BLINK, Action.OPEN_MOUTH, Action.MOVE_CLOSER])
def test_turning_during_another_action_fails(action: Action) -> None:
    challenge, clock = _started([action, Action.TURN_LEFT])
    _hold(challenge, clock, 0.4)
    _hold(challenge, clock, 0.3, yaw=0.6)
    assert challenge.failure is LivenessFailure.WRONG_ACTION


def test_looking_the_wrong_way_fails() -> None:
    challenge, clock = _started([Action.LOOK_UP, Action.TURN_LEFT])
    _hold(challenge, clock, 0.4)
    _hold(challenge, clock, 0.3, pitch=PITCH + 0.14)
    assert challenge.failure is LivenessFailure.WRONG_ACTION


@pytest.mark.parametrize(
    ("action", "slip"),
    [(Action.LOOK_UP, {"pitch": PITCH + 0.14}), (Action.LOOK_DOWN, {"pitch": PITCH - 0.14}),
     (Action.BLINK, {"yaw": 0.6}), (Action.TURN_LEFT, {"yaw": -0.6})],
)
def test_one_frames_landmark_slip_the_wrong_way_is_not_a_wrong_action(
    action: Action, slip: dict[str, object]
) -> None:
    challenge, clock = _started([action, Action.TURN_RIGHT])
    _hold(challenge, clock, 0.4)
    challenge.update(_obs(clock.tick(), **slip))  # type: ignore[arg-type]
    assert not challenge.finished
    _hold(challenge, clock, 0.15 if action is Action.BLINK else 0.5, **_pose_for(action))
    _hold(challenge, clock, 0.3)
    assert challenge.failure is None and challenge.completed == 1
    # Held for two frames, it is a wrong action (one frame later: the yaw and pitch read are
    # the median of three frames, and a two-frame run stays two frames in it).
    challenge, clock = _started([action, Action.TURN_RIGHT])
    _hold(challenge, clock, 0.4)
    for _ in range(2):
        challenge.update(_obs(clock.tick(), **slip))  # type: ignore[arg-type]
    challenge.update(_obs(clock.tick()))
    assert challenge.failure is LivenessFailure.WRONG_ACTION


def test_a_look_under_way_that_reads_the_other_way_is_a_slip_not_a_wrong_action() -> None:
    """Looking up with glasses: after a timely start, the pitch read the other way for a
    third of a second (eye landmarks on the rims); the look still has to be completed."""
    challenge, clock = _started([Action.LOOK_UP, Action.TURN_RIGHT])
    _hold(challenge, clock, 0.4)
    _hold(challenge, clock, 0.2, pitch=PITCH - 0.05)  # the start: past the onset level
    _hold(challenge, clock, 0.35, pitch=PITCH + 0.14)  # the slip, longer than a wrong movement
    assert challenge.failure is None and challenge.completed == 0
    _hold(challenge, clock, 0.5, **_pose_for(Action.LOOK_UP))
    _hold(challenge, clock, 0.3)
    assert challenge.failure is None and challenge.completed == 1
    # Without the start, the same frames are a wrong movement.
    challenge, clock = _started([Action.LOOK_UP, Action.TURN_RIGHT])
    _hold(challenge, clock, 0.6)
    _hold(challenge, clock, 0.35, pitch=PITCH + 0.14)
    assert challenge.failure is LivenessFailure.WRONG_ACTION


@pytest.mark.parametrize(
    ("start_pitch", "then"),
    [
        # A start that barely passed the onset level (a replayed clip's open mouth can make
        # one) earns nothing.
        (PITCH - 0.03, {"pitch": PITCH + 0.14}),
        # Well under way, but the head then turns: only the pitch may slip.
        (PITCH - 0.05, {"yaw": 0.6}),
    ],
)
def test_a_look_slip_needs_a_real_start_and_forgives_only_the_pitch(
    start_pitch: float, then: dict[str, object]
) -> None:
    challenge, clock = _started([Action.LOOK_UP, Action.TURN_RIGHT])
    _hold(challenge, clock, 0.4)
    _hold(challenge, clock, 0.2, pitch=start_pitch)
    _hold(challenge, clock, 0.35, **then)
    assert challenge.failure is LivenessFailure.WRONG_ACTION


def test_a_look_that_reads_the_other_way_for_long_is_a_wrong_movement() -> None:
    challenge, clock = _started([Action.LOOK_UP, Action.TURN_RIGHT])
    _hold(challenge, clock, 0.4)
    _hold(challenge, clock, 0.2, pitch=PITCH - 0.05)
    _hold(challenge, clock, 0.4, pitch=PITCH + 0.14)
    assert challenge.failure is None  # a slip so far
    _hold(challenge, clock, 0.4, pitch=PITCH + 0.14)
    assert challenge.failure is LivenessFailure.WRONG_ACTION


@pytest.mark.parametrize("action", [Action.LOOK_DOWN, Action.BLINK, Action.MOVE_CLOSER])
def test_the_pitch_of_frames_with_the_eyes_closed_fails_nothing(action: Action) -> None:
    """A closed eye's landmarks slide down the face and read as the head tipping back."""
    challenge, clock = _started([action, Action.TURN_RIGHT])
    _hold(challenge, clock, 0.4)
    _hold(challenge, clock, 0.3, openness=0.3, pitch=PITCH - 0.2)  # eyes shut, "looking up"
    assert challenge.failure is None
    _perform(challenge, clock, action)
    assert challenge.failure is None and challenge.completed == 1
    # With the eyes open, the same pitch is a wrong movement.
    challenge, clock = _started([action, Action.TURN_RIGHT])
    _hold(challenge, clock, 0.4)
    _hold(challenge, clock, 0.3, pitch=PITCH - 0.2)
    assert challenge.failure is LivenessFailure.WRONG_ACTION


def test_a_face_whose_pitch_jitters_at_rest_is_not_asked_to_look() -> None:
    rng = random.Random(3)
    jittery = [
        _obs(i / FPS, pitch=PITCH + rng.uniform(-0.1, 0.1)) for i in range(40)
    ]
    steady = [_obs(i / FPS, pitch=PITCH + rng.uniform(-0.01, 0.01)) for i in range(40)]
    actions = [Action.LOOK_UP, Action.TURN_LEFT, Action.LOOK_DOWN]
    challenge = Challenge(list(actions), CONFIG, random.Random(1))
    challenge.start(0.0, jittery)
    assert not set(challenge.actions) & set(LOOKS)
    assert len(set(challenge.actions)) == 3 and Action.TURN_LEFT in challenge.actions
    challenge = Challenge(list(actions), CONFIG, random.Random(1))
    challenge.start(0.0, steady)
    assert challenge.actions == actions


def test_a_timed_out_action_is_replaced_by_a_new_one_then_times_out() -> None:
    challenge, clock = _started([Action.BLINK, Action.TURN_RIGHT])
    seen = [Action.BLINK, Action.TURN_RIGHT]
    for _ in range(CONFIG.retries):
        _hold(challenge, clock, CONFIG.action_timeout_s + 0.2)
        assert not challenge.finished  # re-prompted with a different, unused action
        assert challenge.retried_at is not None
        _hold(challenge, clock, 0.2)
        assert challenge.prompt is not None and challenge.prompt not in seen
        seen.append(challenge.prompt)
    _hold(challenge, clock, CONFIG.action_timeout_s + 0.2)
    assert challenge.failure is LivenessFailure.TIMEOUT
    assert challenge.retries == CONFIG.retries


def test_a_timed_out_turn_is_replaced_by_a_turn() -> None:
    challenge, clock = _started([Action.TURN_LEFT, Action.BLINK])
    _hold(challenge, clock, CONFIG.action_timeout_s + 0.2)
    _hold(challenge, clock, 0.2)
    assert challenge.prompt is Action.TURN_RIGHT
    _perform(challenge, clock, Action.TURN_RIGHT)
    assert challenge.completed == 1


def test_another_turn_is_asked_from_the_retry_budget_and_reopens_a_passed_challenge() -> None:
    challenge, clock = _started([Action.TURN_LEFT, Action.BLINK])
    for action in list(challenge.actions):
        _perform(challenge, clock, action)
    assert challenge.passed
    for _ in range(CONFIG.retries):
        assert challenge.ask_another_turn(clock.t)
        assert not challenge.finished
        _hold(challenge, clock, 0.2)
        extra = challenge.prompt
        assert extra in TURNS
        _perform(challenge, clock, extra)
        assert challenge.passed
    assert challenge.actions[2] is Action.TURN_RIGHT  # the turn not asked yet comes first
    assert not challenge.ask_another_turn(clock.t)  # the budget is shared with time-outs
    assert challenge.passed and challenge.retries == CONFIG.retries


def test_a_turn_too_small_for_a_head_is_not_a_turn() -> None:
    # A flat photo tilted sideways shifts landmark yaw by about 0.25 at most.
    challenge, clock = _started([Action.TURN_LEFT, Action.BLINK])
    _hold(challenge, clock, 0.4)
    _hold(challenge, clock, 2.0, yaw=0.25)
    assert challenge.completed == 0


def test_a_movement_already_under_way_when_the_prompt_appears_is_refused() -> None:
    # A recording that happens to turn as the prompt comes: it started before anyone could
    # have read the prompt, so it is not an answer, even though it reaches the threshold.
    challenge, clock = _started([Action.TURN_LEFT, Action.BLINK])
    assert challenge.prompt is Action.TURN_LEFT
    for yaw in (0.2, 0.4, 0.6, 0.6, 0.6, 0.6):
        challenge.update(_obs(clock.tick(0.04), yaw=yaw))
    assert challenge.completed == 0
    _hold(challenge, clock, 0.5)  # back to neutral, then a timely turn counts
    _hold(challenge, clock, 0.5, yaw=0.6)
    assert challenge.completed == 1


def test_a_movement_starting_too_late_is_refused() -> None:
    # A clip replayed on a screen moves when its recording says, not when asked: a start
    # later than max_onset_s is not an answer (the action times out and another one comes).
    challenge, clock = _started([Action.TURN_LEFT, Action.BLINK])
    _hold(challenge, clock, CONFIG.max_onset_s + 0.3)
    _hold(challenge, clock, 1.0, yaw=0.6)
    assert challenge.completed == 0


def test_a_blink_right_after_the_prompt_does_not_count() -> None:
    challenge, clock = _started([Action.BLINK, Action.TURN_LEFT])
    challenge.update(_obs(clock.tick(0.05), openness=0.3))
    challenge.update(_obs(clock.tick(0.05), openness=1.0))
    _hold(challenge, clock, 0.3)
    assert challenge.completed == 0


def test_random_challenges_are_distinct_actions_with_a_turn_and_vary() -> None:
    rng = random.Random(7)
    pool = tuple(Action)
    seen = set()
    for _ in range(300):
        actions = random_actions(rng, 3, pool)
        assert len(actions) == len(set(actions)) == 3
        assert any(a in TURNS for a in actions)
        assert actions[-1] not in TURNS  # the final same-person check wants a frontal face
        seen.add(tuple(actions))
    # 90 sequences are possible; a recording cannot expect one in particular.
    assert len(seen) > 70
    assert {a for sequence in seen for a in sequence} == set(Action)


def test_a_new_attempt_never_gets_the_sequence_just_failed() -> None:
    pool = (Action.BLINK, Action.TURN_LEFT)  # only two sequences of two are possible
    failed = (Action.BLINK, Action.TURN_LEFT)
    for seed in range(50):
        assert tuple(random_actions(random.Random(seed), 2, pool, failed)) != failed


def test_a_failed_sequence_is_not_repeated_even_to_end_off_a_turn() -> None:
    pool = (Action.BLINK, Action.TURN_LEFT)
    failed = (Action.TURN_LEFT, Action.BLINK)  # the only order that does not end on a turn
    for seed in range(50):
        assert tuple(random_actions(random.Random(seed), 2, pool, failed)) == (
            Action.BLINK, Action.TURN_LEFT)


def test_the_pool_parses_and_needs_a_turn() -> None:
    assert parse_pool("blink, turn_left look_up") == (Action.BLINK, Action.TURN_LEFT,
                                                      Action.LOOK_UP)
    with pytest.raises(ValueError, match="turn"):
        parse_pool("blink look_up")
    with pytest.raises(ValueError, match="unknown"):
        parse_pool("blink wink turn_left")
    assert set(ROTATIONS) == set(TURNS) | set(LOOKS)


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
