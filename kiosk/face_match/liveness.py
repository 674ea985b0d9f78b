"""Presentation-attack detection: a randomised active challenge plus passive signals.

Active: ``Challenge`` prompts for a random sequence of actions (blink, turn left, turn right),
one at a time. Before each prompt the face must be back to neutral (frontal, eyes open); each
action must then happen within ``action_timeout_s`` (a blink within ``blink_window_s``, since
people blink on their own every few seconds). Turning the wrong way (or turning during a blink
prompt) fails at once; a timed-out action is re-prompted (``retries`` times), always as a turn.
Turns are measured as the change of landmark yaw against the resident's own neutral yaw (a
flat photo turned in front of the camera keeps its yaw); blinks as a dip of the eye openness
(eye aspect ratio normalised by the face's aspect ratio, so tilting a photo does not fake one).

Passive: the face crop must change between frames (an injected still image does not; a real
camera always has noise); the face must not vanish for long nor jump (a cut in a replayed
video).
"""

from __future__ import annotations

import random
import statistics
from collections import deque
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from kiosk.face_match.actions import Action
from kiosk.face_match.config import LivenessConfig
from kiosk.face_match.detection import FaceBox

CONFIRM_FRAMES = 2  # consecutive frames an extreme pose must hold to count


class LivenessFailure(StrEnum):
    TIMEOUT = "timeout"
    WRONG_ACTION = "wrong_action"
    STATIC_IMAGE = "static_image"
    FACE_LOST = "face_lost"
    FACE_JUMP = "face_jump"
    PERSON_CHANGED = "person_changed"


@dataclass(frozen=True, slots=True)
class Observation:
    """The liveness-relevant measures of one analysed frame (no face: ``box`` is None)."""

    t: float
    box: FaceBox | None
    yaw: float = 0.0
    openness: float = 0.0
    grey_face: npt.NDArray[np.uint8] | None = None

    def __repr__(self) -> str:
        return f"Observation(t={self.t:.3f}, box={self.box}, yaw={self.yaw:.2f})"


@dataclass(frozen=True, slots=True)
class LivenessResult:
    passed: bool
    actions: tuple[Action, ...]
    completed: int
    failure: LivenessFailure | None
    motion: float  # median frame-to-frame change of the face crop (grey levels)

    def to_evidence(self) -> dict[str, object]:
        return {
            "passed": self.passed,
            "actions": [str(action) for action in self.actions],
            "completed": self.completed,
            "failure": None if self.failure is None else str(self.failure),
            "motion": round(self.motion, 3),
        }


def random_actions(rng: random.Random, count: int) -> list[Action]:
    """``count`` actions in random order, distinct while possible (so at least one turn)."""
    pool = list(Action)
    chosen: list[Action] = []
    while len(chosen) < count:
        batch = pool[:]
        rng.shuffle(batch)
        for action in batch:
            if not chosen or chosen[-1] is not action:
                chosen.append(action)
                break
    return chosen


class _Phase(StrEnum):
    NEUTRAL = "neutral"
    PROMPT = "prompt"
    DONE = "done"


class PassiveMonitor:
    """Face continuity and frame-to-frame change, over the whole check."""

    def __init__(self, config: LivenessConfig) -> None:
        self._config = config
        self._last_face: Observation | None = None
        self._last_seen: float | None = None
        self._motions: list[float] = []
        self.failure: LivenessFailure | None = None

    @property
    def motion(self) -> float:
        return statistics.median(self._motions) if self._motions else 0.0

    def update(self, observation: Observation) -> None:
        if self.failure is not None:
            return
        if observation.box is None:
            if (
                self._last_seen is not None
                and observation.t - self._last_seen > self._config.max_face_gap_s
            ):
                self.failure = LivenessFailure.FACE_LOST
            return
        previous = self._last_face
        if previous is not None and previous.box is not None:
            jump = np.hypot(
                observation.box.centre[0] - previous.box.centre[0],
                observation.box.centre[1] - previous.box.centre[1],
            )
            size_ratio = observation.box.width / max(1, previous.box.width)
            if (
                jump > self._config.max_jump_fraction * previous.box.width
                or not 0.67 < size_ratio < 1.5
            ):
                self.failure = LivenessFailure.FACE_JUMP
                return
            if observation.grey_face is not None and previous.grey_face is not None:
                change = np.abs(
                    observation.grey_face.astype(np.int16) - previous.grey_face.astype(np.int16)
                )
                self._motions.append(float(change.mean()))
        self._last_face = observation
        self._last_seen = observation.t

    def verdict(self) -> LivenessFailure | None:
        """Failure so far, including a static image once enough frames were seen."""
        if self.failure is not None:
            return self.failure
        if len(self._motions) >= 5 and self.motion < self._config.min_motion:
            return LivenessFailure.STATIC_IMAGE
        return None


class Challenge:
    """The active challenge. Call ``start`` with the neutral pose, then ``update`` per frame."""

    def __init__(
        self, actions: list[Action], config: LivenessConfig, rng: random.Random | None = None
    ) -> None:
        if not actions:
            raise ValueError("a challenge needs at least one action")
        self._config = config
        self._rng = rng or random.SystemRandom()
        self.actions: list[Action] = list(actions)
        self._index = 0
        self._phase = _Phase.NEUTRAL
        self._phase_start: float | None = None
        self._reference_yaw = 0.0
        self._reference_openness = 0.0
        self._neutral: deque[Observation] = deque(maxlen=5)
        self._base_yaw = 0.0
        self._base_openness = 0.0
        self._streak = 0
        self._closed_seen = False
        self._retries = 0
        self.failure: LivenessFailure | None = None

    def start(self, t: float, reference_yaw: float, reference_openness: float) -> None:
        self._reference_yaw = reference_yaw
        self._reference_openness = reference_openness
        self._phase_start = t

    @property
    def started(self) -> bool:
        return self._phase_start is not None

    @property
    def completed(self) -> int:
        return self._index

    @property
    def finished(self) -> bool:
        return self._phase is _Phase.DONE

    @property
    def passed(self) -> bool:
        return self.finished and self.failure is None

    @property
    def prompt(self) -> Action | None:
        """The action to show now (None while waiting for a neutral face, or when done)."""
        return self.actions[self._index] if self._phase is _Phase.PROMPT else None

    def _fail(self, failure: LivenessFailure) -> None:
        self.failure = failure
        self._phase = _Phase.DONE

    def _is_neutral(self, observation: Observation) -> bool:
        return (
            abs(observation.yaw - self._reference_yaw) < self._config.neutral_yaw
            and observation.openness >= self._config.open_ratio * self._reference_openness
        )

    def update(self, observation: Observation) -> None:
        if self._phase is _Phase.DONE or self._phase_start is None:
            return
        elapsed = observation.t - self._phase_start
        if self._phase is _Phase.NEUTRAL:
            if observation.box is not None and self._is_neutral(observation):
                self._neutral.append(observation)
            else:
                self._neutral.clear()
            if len(self._neutral) >= 2:
                self._base_yaw = statistics.median(o.yaw for o in self._neutral)
                self._base_openness = statistics.median(o.openness for o in self._neutral)
                self._phase, self._phase_start = _Phase.PROMPT, observation.t
                self._streak, self._closed_seen = 0, False
            elif elapsed > self._config.neutral_timeout_s:
                self._fail(LivenessFailure.TIMEOUT)
            return
        self._update_prompt(observation, elapsed)

    def _update_prompt(self, observation: Observation, elapsed: float) -> None:
        config = self._config
        if elapsed > config.action_timeout_s:
            if self._retries < self._config.retries:
                self._retries += 1
                # Re-prompt with the other turn, never with a blink: turns carry the security
                # against replayed video (natural blinks happen every few seconds).
                current = self.actions[self._index]
                turns = [a for a in (Action.TURN_LEFT, Action.TURN_RIGHT) if a is not current]
                self.actions[self._index] = self._rng.choice(turns)
                self._phase, self._phase_start = _Phase.NEUTRAL, observation.t
                self._neutral.clear()
            else:
                self._fail(LivenessFailure.TIMEOUT)
            return
        if observation.box is None:
            return
        action = self.actions[self._index]
        turn = observation.yaw - self._base_yaw
        too_early = elapsed < config.min_reaction_s
        done = False
        if action is Action.BLINK:
            if abs(turn) >= config.wrong_turn_yaw:
                self._fail(LivenessFailure.WRONG_ACTION)
                return
            if elapsed > config.blink_window_s:
                return  # a blink must follow the prompt closely; later ones may be natural
            ratio = observation.openness / max(1e-6, self._base_openness)
            if ratio < config.blink_ratio:
                self._closed_seen = not too_early
            elif ratio > config.open_ratio and self._closed_seen:
                done = True
        else:
            wanted = 1.0 if action is Action.TURN_LEFT else -1.0
            if turn * wanted <= -config.wrong_turn_yaw:
                self._fail(LivenessFailure.WRONG_ACTION)
                return
            self._streak = self._streak + 1 if turn * wanted >= config.turn_yaw else 0
            done = self._streak >= CONFIRM_FRAMES and not too_early
        if done:
            self._index += 1
            self._neutral.clear()
            if self._index >= len(self.actions):
                self._phase = _Phase.DONE
            else:
                self._phase, self._phase_start = _Phase.NEUTRAL, observation.t
