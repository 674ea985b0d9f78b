"""Presentation-attack detection: a randomised, timed active challenge plus passive signals.

Active: ``Challenge`` prompts for a random sequence of actions drawn from a larger set (blink,
turn left or right, look up or down, open the mouth, move closer; see ``random_actions``), one
at a time, each after the face is back to neutral. An answer is timed against its prompt: the
movement must start no sooner than ``min_reaction_s`` after the prompt (faster is anticipation,
i.e. a recording that happened to move) and no later than ``max_onset_s`` (later is what a
replayed or relayed clip does), and reach the action's threshold within ``action_timeout_s``.
Each measure is relative to the resident's own neutral face and one a flat picture cannot fake
by tilting: turns change the landmark yaw (nose against the jaw outline), looks the nose tip's
place between eyes and mouth, blinks the eye openness normalised by the face's shape (each eye on
its own: one that blinks is enough), the mouth the gap between the inner lips, moving closer the
inter-ocular distance. Moving the other way, or turning or tipping the head hard during another
action, fails at once: as soon as it held for as many frames as an answer must (one frame's
landmark slip is not a movement); only a look well under way may read the other way for a
moment (``_look_slip``: the pitch measure on spectacle rims). A timed-out action is replaced by
a different one not used before in this check (a turn by a turn), ``retries`` times, with a
hint; then the challenge times out. A turn whose relief could not be measured is answered with
another turn (``ask_another_turn``, from the same budget).

Passive: the face crop must change between frames (an injected still image does not; a real
camera always has noise); the face must not vanish for long nor jump (a cut in a replayed
video).

The frames of each rotation are kept (``ActionRecord``) for the 3-D cues of ``pad_cues``.
"""

from __future__ import annotations

import random
import statistics
from collections import deque
from dataclasses import dataclass, field, replace
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from kiosk.face_match.actions import LOOKS, TURNS, Action
from kiosk.face_match.config import LivenessConfig
from kiosk.face_match.detection import FaceBox
from kiosk.face_match.geometry import Points

CONFIRM_FRAMES = 2  # consecutive frames an action's (or a wrong movement's) threshold must hold
SLIP_AFTER_PROGRESS = 0.5  # share of a look's threshold after which its pitch may slip back
SLIP_MAX_S = 0.5  # how long a look's pitch may read the other way before it is a wrong movement
STILL_YAW = 0.05  # yaw change between frames below which the head counts as at rest
# A face whose resting pitch jitters (robust standard deviation) by more than this share of a
# look's threshold is not asked to look up or down: on the synthetic residents the spread is
# 0.003-0.017 against a threshold of 0.08; a blurred nose tip gives several times that.
PITCH_NOISE_SHARE = 0.3
SMOOTHING_FRAMES = 3  # face frames whose median yaw and pitch the challenge reads


class LivenessFailure(StrEnum):
    TIMEOUT = "timeout"
    WRONG_ACTION = "wrong_action"
    STATIC_IMAGE = "static_image"
    FACE_LOST = "face_lost"
    FACE_JUMP = "face_jump"
    PERSON_CHANGED = "person_changed"
    PAD_SCORE = "pad_score"  # the combined presentation-attack cues (see pad_cues)


@dataclass(frozen=True, slots=True)
class Observation:
    """The liveness-relevant measures of one analysed frame (no face: ``box`` is None).

    ``mouth`` is None when the landmarks carry no lips (a five-point engine).
    """

    t: float
    box: FaceBox | None
    yaw: float = 0.0
    openness: float = 0.0
    grey_face: npt.NDArray[np.uint8] | None = None
    points: Points | None = None
    pitch: float = 0.0
    eyes: tuple[float, float] | None = None  # openness of the right and the left eye
    mouth: float | None = None
    scale: float = 0.0  # inter-ocular distance in pixels

    def __repr__(self) -> str:
        return f"Observation(t={self.t:.3f}, box={self.box}, yaw={self.yaw:.2f})"

    def eye_openness(self) -> tuple[float, float]:
        return self.eyes if self.eyes is not None else (self.openness, self.openness)


@dataclass(frozen=True, slots=True)
class LivenessResult:
    passed: bool
    actions: tuple[Action, ...]
    completed: int
    failure: LivenessFailure | None
    motion: float  # median frame-to-frame change of the face crop (grey levels)
    score: float | None = None  # the combined PAD cue score (None: not reached)
    threshold: float | None = None
    cues: dict[str, float] = field(default_factory=dict)  # each cue's measured value
    retries: int = 0

    def to_evidence(self) -> dict[str, object]:
        return {
            "passed": self.passed,
            "actions": [str(action) for action in self.actions],
            "completed": self.completed,
            "failure": None if self.failure is None else str(self.failure),
            "motion": round(self.motion, 3),
            "score": None if self.score is None else round(self.score, 3),
            "threshold": self.threshold,
            "cues": {name: round(value, 4) for name, value in self.cues.items()},
            "retries": self.retries,
        }


def random_actions(
    rng: random.Random,
    count: int,
    pool: tuple[Action, ...] = tuple(Action),
    avoid: tuple[Action, ...] = (),
) -> list[Action]:
    """``count`` distinct actions from ``pool`` in random order, at least one of them a turn
    (the 3-D relief cue measures turns) and, where the sequence has another action, not ending
    on a turn: the same-person check after the challenge needs the face frontal again, and a
    resident coming back from a turn (hold, then return) takes 1.5 s longer than from a blink.
    Drawn fresh for every check; never the sequence in ``avoid`` (the one the resident just
    failed), even if only a sequence ending on a turn is left."""
    if count < 1:
        raise ValueError("a challenge needs at least one action")
    for attempt in range(40):
        chosen = _draw(rng, count, pool, end_off_turn=attempt < 20)
        if tuple(chosen) != tuple(avoid):
            return chosen
    return chosen


def _draw(
    rng: random.Random, count: int, pool: tuple[Action, ...], *, end_off_turn: bool
) -> list[Action]:
    count = min(count, len(pool))
    turns = [a for a in pool if a in TURNS]
    first = rng.choice(turns)
    rest = [a for a in pool if a is not first]
    rng.shuffle(rest)
    chosen = [first, *rest[: count - 1]]
    rng.shuffle(chosen)
    others = [i for i, a in enumerate(chosen) if a not in TURNS]
    if end_off_turn and others and chosen[-1] in TURNS:
        swap = rng.choice(others)
        chosen[swap], chosen[-1] = chosen[-1], chosen[swap]
    return chosen


@dataclass(slots=True)
class ActionRecord:
    """One prompted action as it happened: its neutral reference and its frames."""

    action: Action
    prompt_t: float
    neutral: Observation
    frames: list[Observation] = field(default_factory=list)
    onset_t: float | None = None
    done_t: float | None = None


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


@dataclass(frozen=True, slots=True)
class _Neutral:
    yaw: float
    pitch: float
    eyes: tuple[float, float]
    mouth: float | None
    scale: float


def _robust_spread(values: list[float]) -> float:
    """The standard deviation estimated from the median absolute deviation (outliers, such as
    a blink's frames, do not inflate it)."""
    if len(values) < 5:
        return 0.0
    middle = statistics.median(values)
    return 1.4826 * statistics.median(abs(value - middle) for value in values)


def _median_neutral(observations: deque[Observation]) -> _Neutral:
    eyes = [o.eye_openness() for o in observations]
    mouths = [o.mouth for o in observations if o.mouth is not None]
    return _Neutral(
        yaw=statistics.median(o.yaw for o in observations),
        pitch=statistics.median(o.pitch for o in observations),
        eyes=(statistics.median(e[0] for e in eyes), statistics.median(e[1] for e in eyes)),
        mouth=statistics.median(mouths) if mouths else None,
        scale=statistics.median(o.scale for o in observations),
    )


class Challenge:
    """The active challenge. Call ``start`` with the neutral pose, then ``update`` per frame."""

    def __init__(
        self, actions: list[Action], config: LivenessConfig, rng: random.Random | None = None,
        pool: tuple[Action, ...] = tuple(Action),
    ) -> None:
        if not actions:
            raise ValueError("a challenge needs at least one action")
        self._config = config
        self._rng = rng or random.SystemRandom()
        self._pool = pool
        self.actions: list[Action] = list(actions)
        self._used: set[Action] = set(actions)
        self._index = 0
        self._phase = _Phase.NEUTRAL
        self._phase_start: float | None = None
        self._reference: _Neutral | None = None
        self._neutral: deque[Observation] = deque(maxlen=5)
        self._recent: deque[Observation] = deque(maxlen=SMOOTHING_FRAMES)
        self._base: _Neutral | None = None
        self._streak = 0
        self._wrong_streak = 0  # consecutive frames that moved the wrong way
        self._closed_at: float | None = None
        self._onset: float | None = None
        self._look_peak = 0.0  # the furthest a look has gone since its timely start
        self._slip_since: float | None = None  # when a look's pitch began to read back
        self._retries = 0
        self._record: ActionRecord | None = None
        self.records: list[ActionRecord] = []
        self.retried_at: float | None = None  # when the last action was replaced (for a hint)
        self.failure: LivenessFailure | None = None

    def start(self, t: float, neutral: list[Observation]) -> None:
        """Begin at ``t``. ``neutral`` are frames of the resident's own neutral face (the match
        frames): what "back to neutral" means between actions."""
        if not neutral:
            raise ValueError("the challenge needs the neutral face to start from")
        self._reference = _median_neutral(deque(neutral))
        self._phase_start = t
        if _robust_spread([o.pitch for o in neutral]) > PITCH_NOISE_SHARE * self._config.look_pitch:
            self._drop_looks()

    def _drop_looks(self) -> None:
        """This face's pitch measure jitters at rest by a good share of a look's threshold
        (a blurred nose tip, heavy rims, a low resolution): looks would be judged on noise, so
        they are replaced, before anything is prompted, by actions not drawn yet."""
        pool = tuple(a for a in self._pool if a not in LOOKS)
        if pool == self._pool:
            return
        self._pool = pool
        for index, action in enumerate(self.actions):
            if action in LOOKS:
                unused = [a for a in pool if a not in self._used] or list(pool)
                replacement = self._rng.choice(unused)
                self.actions[index] = replacement
                self._used.add(replacement)

    @property
    def started(self) -> bool:
        return self._phase_start is not None

    @property
    def completed(self) -> int:
        return self._index

    @property
    def retries(self) -> int:
        return self._retries

    @property
    def current_record(self) -> ActionRecord | None:
        """The action being answered now, from its prompt on (None between actions)."""
        return self._record

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
        reference, config = self._reference, self._config
        if reference is None:
            raise RuntimeError("the challenge was used out of order")
        eyes = observation.eye_openness()
        eyes_open = sum(eyes) >= config.open_ratio * sum(reference.eyes)
        pitch_ok = abs(observation.pitch - reference.pitch) < config.neutral_pitch
        mouth_ok = (
            reference.mouth is None
            or observation.mouth is None
            or observation.mouth - reference.mouth < 0.5 * config.mouth_open
        )
        scale_ok = observation.scale < reference.scale * (1 + 0.5 * (config.closer_scale - 1))
        return (
            abs(observation.yaw - reference.yaw) < config.neutral_yaw
            and eyes_open
            and pitch_ok
            and mouth_ok
            and scale_ok
        )

    def update(self, observation: Observation) -> None:
        if self._phase is _Phase.DONE or self._phase_start is None:
            return
        observation = self._smoothed(observation)
        elapsed = observation.t - self._phase_start
        if self._phase is _Phase.NEUTRAL:
            still = not self._neutral or abs(observation.yaw - self._neutral[-1].yaw) < STILL_YAW
            if observation.box is not None and self._is_neutral(observation) and still:
                self._neutral.append(observation)
            else:
                self._neutral.clear()
            if len(self._neutral) >= 2:
                local = _median_neutral(self._neutral)
                reference = self._reference
                if reference is None:
                    raise RuntimeError("the challenge was used out of order")
                # Where the head rests now (its yaw, its distance); its pitch and the eyes' and
                # mouth's resting shape from the many frames before the challenge: a frame's
                # landmarks jitter, and the pitch measure most (a look's threshold is a few
                # pixels), so two frames would make a poor zero for it.
                self._base = _Neutral(
                    local.yaw, reference.pitch, reference.eyes, reference.mouth, local.scale
                )
                self._phase, self._phase_start = _Phase.PROMPT, observation.t
                self._streak, self._closed_at, self._onset = 0, None, None
                self._wrong_streak = 0
                self._look_peak, self._slip_since = 0.0, None
                self._record = ActionRecord(
                    self.actions[self._index], observation.t, self._neutral[-1]
                )
            elif elapsed > self._config.neutral_timeout_s:
                self._fail(LivenessFailure.TIMEOUT)
            return
        self._update_prompt(observation, elapsed)

    def _smoothed(self, observation: Observation) -> Observation:
        """The head's yaw and pitch as the median of this face frame and the two before it: a
        single frame's landmark slip is gone, a movement (several frames) is one frame late.
        Eyes, mouth and distance are left as measured (a blink lasts only a few frames)."""
        if observation.box is None:
            return observation
        self._recent.append(observation)
        if len(self._recent) < SMOOTHING_FRAMES:
            return observation
        return replace(
            observation,
            yaw=statistics.median(o.yaw for o in self._recent),
            pitch=statistics.median(o.pitch for o in self._recent),
        )

    def _replace_current(self, now: float) -> None:
        """A timed-out action: prompt a different one never used in this check."""
        current = self.actions[self._index]
        family = TURNS if current in TURNS else None
        candidates = [a for a in self._pool if a not in self._used]
        if family is not None:
            same = [a for a in candidates if a in family]
            candidates = same or [a for a in self._pool if a in family and a is not current]
        if not candidates:
            candidates = [a for a in self._pool if a is not current]
        replacement = self._rng.choice(candidates)
        self.actions[self._index] = replacement
        self._used.add(replacement)
        self.retried_at = now

    def ask_another_turn(self, now: float) -> bool:
        """Append a turn (one not asked yet if there is one) because the turns so far gave no
        evidence of the head's relief; it takes one of the ``retries`` (the check stays
        bounded). Reopens a challenge that had just passed. False: no retry left."""
        if self.failure is not None or self._retries >= self._config.retries:
            return False
        turns = [a for a in self._pool if a in TURNS]
        fresh = [a for a in turns if a not in self._used]
        turn = self._rng.choice(fresh or turns)
        self.actions.append(turn)
        self._used.add(turn)
        self._retries += 1
        self.retried_at = now
        if self._phase is _Phase.DONE:
            self._phase, self._phase_start = _Phase.NEUTRAL, now
            self._neutral.clear()
        return True

    def _update_prompt(self, observation: Observation, elapsed: float) -> None:
        config = self._config
        if elapsed > config.action_timeout_s:
            if self._retries < config.retries:
                self._retries += 1
                self._replace_current(observation.t)
                self._record = None
                self._phase, self._phase_start = _Phase.NEUTRAL, observation.t
                self._neutral.clear()
            else:
                self._fail(LivenessFailure.TIMEOUT)
            return
        if observation.box is None:
            return
        if self._base is None or self._record is None:
            raise RuntimeError("the challenge was used out of order")
        self._record.frames.append(observation)
        action = self.actions[self._index]
        measured = self._measure(action, observation)
        if measured is None:
            return  # this frame cannot tell (see ``_measure``): neither an answer nor a fault
        progress, wrong = measured
        if wrong and self._look_slip(action, observation):
            # Not an answer either way: the look must still reach its threshold in time.
            self._wrong_streak = self._streak = 0
            return
        if wrong:
            # A wrong movement must be seen as clearly as a right one: held for as many
            # frames. One frame's landmark slip (spectacle rims, a blink) is not a movement,
            # and it is not counted towards the action either.
            self._wrong_streak += 1
            if self._wrong_streak >= CONFIRM_FRAMES:
                self._fail(LivenessFailure.WRONG_ACTION)
            return
        self._wrong_streak = 0
        self._slip_since = None
        if action is Action.BLINK:
            done = self._blink(progress, observation.t, elapsed)
        else:
            done = self._movement(progress, observation.t, elapsed)
            if action in LOOKS and self._onset is not None and self._onset >= 0:
                self._look_peak = max(self._look_peak, progress)
        if done:
            self._record.onset_t = self._onset
            self._record.done_t = observation.t
            self.records.append(self._record)
            self._record = None
            self._index += 1
            self._neutral.clear()
            if self._index >= len(self.actions):
                self._phase = _Phase.DONE
            else:
                self._phase, self._phase_start = _Phase.NEUTRAL, observation.t

    def _measure(self, action: Action, observation: Observation) -> tuple[float, bool] | None:
        """(progress towards the action, 1 = its threshold; whether it moved the wrong way),
        or None when this frame cannot tell.

        While the eyes read as closed (a blink, or lids lowered with the gaze) the pitch is not
        trusted: the landmark fit of a closed eye slides down the face (behind spectacle rims
        by a quarter of the eye distance), which reads as the head tipping back. A look is not
        judged on such a frame, and no other action is failed on its pitch."""
        config, base = self._config, self._base
        if base is None:
            raise RuntimeError("the challenge was used out of order")
        turn = observation.yaw - base.yaw
        tip = base.pitch - observation.pitch  # positive when looking up
        eyes = observation.eye_openness()
        closure = min(now / max(1e-6, ref) for now, ref in zip(eyes, base.eyes, strict=True))
        pitch_trusted = closure >= config.blink_ratio
        if action in TURNS:
            wanted = 1.0 if action is Action.TURN_LEFT else -1.0
            return turn * wanted / config.turn_yaw, turn * wanted <= -config.wrong_turn_yaw
        if action in LOOKS:
            if not pitch_trusted:
                return None
            wanted = 1.0 if action is Action.LOOK_UP else -1.0
            wrong = tip * wanted <= -config.wrong_look_pitch or abs(turn) >= config.wrong_turn_yaw
            return tip * wanted / config.look_pitch, wrong
        # Turning or clearly looking up or down during another action fails (an open mouth
        # moves the mouth line, so it is not asked to keep the pitch).
        wrong = abs(turn) >= config.wrong_turn_yaw
        if action is not Action.OPEN_MOUTH and pitch_trusted:
            wrong = wrong or abs(tip) >= 1.5 * config.look_pitch
        if action is Action.BLINK:
            return closure, wrong
        if action is Action.OPEN_MOUTH:
            if observation.mouth is None or base.mouth is None:
                return 0.0, wrong
            return (observation.mouth - base.mouth) / config.mouth_open, wrong
        # MOVE_CLOSER
        growth = observation.scale / max(1e-6, base.scale) - 1
        return growth / max(1e-6, config.closer_scale - 1), wrong

    def _look_slip(self, action: Action, observation: Observation) -> bool:
        """Whether a look's reading the other way is the pitch measure slipping, not the head.

        Once a look is well under way in the asked direction (a timely start and at least
        ``SLIP_AFTER_PROGRESS`` of its threshold), a head tipped that far cannot read the
        other way a moment later, but the measure can: eye landmarks caught on spectacle rims
        as the head tips back. Only the pitch is forgiven, only for ``SLIP_MAX_S``; a turn,
        or a reading the other way that lasts, is a wrong movement as before (a replayed
        clip's next movement must not ride on a start it made by chance).
        """
        if action not in LOOKS or self._onset is None or self._onset < 0:
            return False
        if self._look_peak < SLIP_AFTER_PROGRESS or self._base is None:
            return False
        if abs(observation.yaw - self._base.yaw) >= self._config.wrong_turn_yaw:
            return False
        if self._slip_since is None:
            self._slip_since = observation.t
        return observation.t - self._slip_since <= SLIP_MAX_S

    def _timely(self, onset: float) -> bool:
        delay = onset - self._record_prompt_t()
        return self._config.min_reaction_s <= delay <= self._config.max_onset_s

    def _record_prompt_t(self) -> float:
        if self._record is None:
            raise RuntimeError("the challenge was used out of order")
        return self._record.prompt_t

    def _blink(self, ratio: float, now: float, elapsed: float) -> bool:
        config = self._config
        if elapsed > config.blink_window_s and self._closed_at is None:
            return False  # a blink must follow the prompt closely; later ones may be natural
        if ratio < config.blink_ratio:
            if self._closed_at is None and self._timely(now):
                self._closed_at = now
                self._onset = now
            return False
        return ratio > config.open_ratio and self._closed_at is not None

    def _movement(self, progress: float, now: float, elapsed: float) -> bool:
        config = self._config
        if self._onset is None:
            if progress >= config.onset_fraction:
                if self._timely(now):
                    self._onset = now
                else:
                    # Started before the prompt could be seen, or far too late: not an answer.
                    # It counts only after a return below the onset level and a timely start.
                    self._onset = -1.0
            return False
        if self._onset < 0:
            if progress < config.onset_fraction:
                self._onset = None
            return False
        self._streak = self._streak + 1 if progress >= 1.0 else 0
        return self._streak >= CONFIRM_FRAMES
