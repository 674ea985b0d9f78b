"""``FaceCheck``: the whole face step (match to the card photo + liveness), Qt-free.

Usage (the **presenter interface**, stable: the flow, the evaluation and a test lab's own
media all drive the check this way)::

    check = FaceCheck(card_photo_bytes)           # or FaceCheck(enrollment=...)
    while (progress := check.feed(frame, t)).result is None:
        show(progress.hint, progress.prompt, progress.frames_collected)
        screen(progress.illumination)             # the colour the screen shows now, or None
    result = progress.result                      # FaceCheckResult: .passed, .match, .liveness

``feed(frame, t)`` takes an RGB frame taken at ``t`` seconds (optionally ``depth=``, a depth
frame in millimetres aligned with it). The returned ``Progress`` says what the kiosk shows
until the next frame: ``prompt`` (an ``Action`` or None) and ``illumination`` (an sRGB colour
(r, g, b) in 0..1 for the whole screen, or None for the ordinary screen). Whatever stands in
front of the camera sees both; a presenter (the synthetic resident, an attack medium) is told
them with ``observe_prompt(action, t)`` and, if it has the method, ``observe_illumination(colour,
t)`` (see ``pad_eval.simulate``). A presenter without ``observe_illumination`` behaves like a
recording: the screen's light does not reach it. ``result = check.run(source)`` does the same
with a ``FrameSource``.

Stages: LOOKING (quality gates; ``frames_needed`` good frontal frames are encoded and matched,
and from the first good frame the screen shows its random colour code, about 2.5 s; the
challenge starts when both are done), CHALLENGE (random actions, one prompt at a time),
CONFIRMING (three more good frames, the head back at rest, must be the same person), DONE.
Passive liveness signals run throughout; at the end the presentation-attack cues are combined
into one score (``pad_cues``). The clock is injectable (``clock=``) and ``feed`` accepts an explicit
timestamp, so tests and evaluations run faster than real time.
"""

from __future__ import annotations

import contextlib
import math
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

import cv2
import numpy as np
import numpy.typing as npt

from kiosk.face_match.actions import TURNS, Action, parse_pool
from kiosk.face_match.config import FaceConfig, load_config
from kiosk.face_match.engine import Embedding, FaceEngine, load_engine
from kiosk.face_match.geometry import (
    eye_openness_each,
    five_points,
    interocular,
    mouth_opening,
    pitch_ratio,
)
from kiosk.face_match.illumination import Colour, IlluminationCode, IlluminationProbe
from kiosk.face_match.liveness import (
    Challenge,
    LivenessFailure,
    LivenessResult,
    Observation,
    PassiveMonitor,
    random_actions,
)
from kiosk.face_match.matching import (
    Enrollment,
    MatchResult,
    decide,
    encode_live,
    enroll_card_photo,
    fuse,
)
from kiosk.face_match.pad_cues import (
    NoseParallax,
    PadScore,
    depth_relief_mm,
    pad_score,
)
from kiosk.face_match.quality import FrameAnalysis, Hint, analyse_frame, quality_hint
from kiosk.face_match.sources import FrameSource

RETRY_HINT_S = 3.0  # how long the "try another movement" hint stays after a replaced action
CUE_FRAMES = 6  # good frontal frames whose depth relief is measured (with a depth camera)
CONFIRM_FRAMES = 3  # frames at rest after the challenge that confirm the same person
# A refusal (another person) waits this long after the challenge: the head is still coming
# back from the last movement (up to a hold and a slow return, over two seconds for an
# elderly resident), and a tipped head seen from above is not always told from a resting
# one by its landmarks. A pass does not wait.
CONFIRM_SETTLE_S = 2.0
RESTING_FRAMES = 60  # good frames before the challenge that define the resident's neutral face


class Stage(StrEnum):
    LOOKING = "looking"
    CHALLENGE = "challenge"
    CONFIRMING = "confirming"
    DONE = "done"


@dataclass(frozen=True, slots=True)
class FaceCheckResult:
    match: MatchResult | None  # None when no good frame ever came (timeout)
    liveness: LivenessResult
    seconds: float  # from the first frame to the decision
    match_seconds: float | None  # from the first good frame to the match decision
    # Wall-clock seconds from the capture of the first good frame to the match decision (the
    # clock's reading at the decision minus that frame's time stamp): what the resident waits.
    match_latency_s: float | None = None

    @property
    def passed(self) -> bool:
        return self.match is not None and self.match.matched and self.liveness.passed

    def to_evidence(self) -> dict[str, object]:
        """Numbers and codes only, for the backend."""
        return {
            "passed": self.passed,
            "match": None if self.match is None else self.match.to_evidence(),
            "liveness": self.liveness.to_evidence(),
            "seconds": round(self.seconds, 3),
        }


@dataclass(frozen=True, slots=True)
class Progress:
    stage: Stage
    hint: Hint | None  # what the resident should change (None: fine)
    prompt: Action | None  # the action to show now
    frames_collected: int
    frames_needed: int
    result: FaceCheckResult | None = None
    illumination: Colour | None = None  # the screen's colour now (None: the ordinary screen)


def tell_presenter(presenter: object, progress: Progress, t: float) -> None:
    """Tell whatever stands in front of the camera what the kiosk shows from ``t`` on: the
    prompt (``observe_prompt``) and, if it listens, the screen's colour
    (``observe_illumination``). Both are optional; absent methods mean it cannot react."""
    observe = getattr(presenter, "observe_prompt", None)
    if callable(observe):
        observe(progress.prompt, t)
    light = getattr(presenter, "observe_illumination", None)
    if callable(light):
        light(progress.illumination, t)


def observe(t: float, analysis: FrameAnalysis) -> Observation:
    """The liveness measures of one analysed frame."""
    points = analysis.points
    if analysis.box is None or points is None:
        return Observation(t, None)
    full = len(points) >= 68
    return Observation(
        t,
        analysis.box,
        analysis.yaw,
        analysis.openness,
        analysis.grey_face,
        points=points,
        pitch=pitch_ratio(points),
        eyes=eye_openness_each(points) if full else None,
        mouth=mouth_opening(points) if full else None,
        scale=interocular(five_points(points)),
    )


class FrameTimeError(ValueError):
    """A frame whose time cannot be placed on the check's timeline; the frame is refused and
    the check goes on with the next."""


class FaceCheck:
    """One face verification session; see the module docstring."""

    def __init__(
        self,
        card_photo: bytes | None = None,
        *,
        enrollment: Enrollment | None = None,
        config: FaceConfig | None = None,
        engine: FaceEngine | None = None,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
        avoid_actions: tuple[Action, ...] = (),
    ) -> None:
        """``avoid_actions``: the previous attempt's sequence, never asked again."""
        self._config = config or load_config()
        self._engine = engine or load_engine(self._config.engine)
        if enrollment is None:
            if card_photo is None:
                raise ValueError("give the card photo or an enrollment")
            enrollment = enroll_card_photo(card_photo, self._engine)
        self._enrollment = enrollment
        self._clock = clock
        rng = rng or random.SystemRandom()
        liveness, pad = self._config.liveness, self._config.pad
        pool = parse_pool(liveness.pool)
        actions = random_actions(rng, liveness.actions, pool, avoid_actions)
        self._challenge = Challenge(actions, liveness, rng, pool)
        self._passive = PassiveMonitor(liveness)
        self._code = IlluminationCode(rng, pad.colour_segments, pad.colour_segment_s)
        self._probe: IlluminationProbe | None = None
        self._depth_reliefs: list[float] = []
        self._tracked: tuple[object, NoseParallax] | None = None  # (turn record, its tracker)
        self._parallaxes: list[float] = []
        self._confirm_recent: list[float] = []  # distances of the good frames after the challenge
        self._confirm_resting: list[float] = []  # ... of those with the head at rest
        self._confirm_start: float | None = None
        self._resting: list[Observation] = []  # good frames before the challenge: the neutral face
        self._frame_times: list[float] = []
        self._stage = Stage.LOOKING
        self._live: list[Embedding] = []
        self._last_collected: float | None = None
        self._first_frame: float | None = None
        self._first_good: float | None = None
        self._match: MatchResult | None = None
        self._match_seconds: float | None = None
        self._match_latency: float | None = None
        self._result: FaceCheckResult | None = None
        self._hint: Hint | None = Hint.NO_FACE
        self._now = 0.0
        self.pad: PadScore | None = None  # the cue score, once the challenge is through

    @property
    def result(self) -> FaceCheckResult | None:
        return self._result

    @property
    def actions(self) -> tuple[Action, ...]:
        return tuple(self._challenge.actions)

    @property
    def colour_code(self) -> tuple[Colour, ...]:
        return self._code.colours

    def progress(self) -> Progress:
        hint = self._hint
        retried = self._challenge.retried_at
        if (
            self._stage is Stage.CHALLENGE
            and hint is None
            and retried is not None
            and self._now - retried < RETRY_HINT_S
        ):
            hint = Hint.ACTION_NOT_SEEN
        colour = None
        if self._probe is not None and self._result is None:
            colour = self._probe.colour(self._now)
        return Progress(
            stage=self._stage,
            hint=hint,
            prompt=self._challenge.prompt if self._stage is Stage.CHALLENGE else None,
            frames_collected=len(self._live),
            frames_needed=self._config.matching.frames,
            result=self._result,
            illumination=colour,
        )

    def feed(
        self,
        frame: npt.NDArray[np.uint8],
        t: float | None = None,
        *,
        depth: npt.NDArray[np.float32] | None = None,
    ) -> Progress:
        """Analyse one RGB frame taken at ``t`` (default: the clock) and advance the check.

        ``depth``: the matching frame of a depth camera (millimetres, 0 = no reading), if the
        kiosk has one; its cue is then part of the score."""
        if self._result is not None:
            return self.progress()
        now = self._clock() if t is None else t
        # Every timing rule (answers against prompts, the skin against the screen's colours)
        # reads this timeline: a frame that cannot be placed on it is refused, not guessed at.
        if not math.isfinite(now):
            raise FrameTimeError("a frame's time must be a finite number of seconds")
        if self._frame_times and now <= self._frame_times[-1]:
            raise FrameTimeError("frame times must increase (a frame at or before the last one)")
        self._now = now
        if self._first_frame is None:
            self._first_frame = now
        self._frame_times.append(now)
        del self._frame_times[:-30]
        analysis = analyse_frame(frame, self._config.quality, self._engine)
        observation = observe(now, analysis)
        self._hint = quality_hint(analysis, self._config.quality)
        if self._first_good is not None or self._hint is None:
            # Continuity and motion count from the first good frame on.
            self._passive.update(observation)
            failure = self._passive.verdict()
            if failure is not None:
                self._finish(now, failure)
                return self.progress()
        if self._probe is not None:
            self._probe.observe(now, frame, analysis.points)
        if self._stage is Stage.LOOKING:
            self._look(frame, analysis, observation, now, depth)
        elif self._stage is Stage.CHALLENGE:
            self._hint = None if analysis.box is not None else Hint.NO_FACE
            self._challenge.update(observation)
            self._track_turn(frame, analysis)
            if self._challenge.passed and not self._relief_measured():
                # No turn could be followed (the tracks were lost): no evidence of a head's
                # relief either way. Ask for another turn while retries last; without one
                # the score counts the relief as unverified (a failure).
                self._challenge.ask_another_turn(now)
            if self._challenge.finished:
                if self._challenge.failure is not None:
                    self._finish(now, self._challenge.failure)
                else:
                    self._stage = Stage.CONFIRMING
                    self._confirm_start = now
        elif self._stage is Stage.CONFIRMING:
            self._confirm(frame, analysis, observation, now)
        if self._result is None and now - self._first_frame > self._config.liveness.check_timeout_s:
            self._finish(now, LivenessFailure.TIMEOUT)
        return self.progress()

    def _look(
        self,
        frame: npt.NDArray[np.uint8],
        analysis: FrameAnalysis,
        observation: Observation,
        now: float,
        depth: npt.NDArray[np.float32] | None,
    ) -> None:
        if self._hint is not None or analysis.face is None or analysis.points is None:
            return
        if self._first_good is None:
            self._first_good = now
            self._probe = IlluminationProbe(self._code, now, self._config.pad.max_lag_s)
        if depth is not None and len(self._depth_reliefs) < CUE_FRAMES:
            measured = depth_relief_mm(depth, analysis.points)
            if measured is not None:
                self._depth_reliefs.append(measured)
        if len(self._resting) < RESTING_FRAMES:
            self._resting.append(observation)
        matching = self._config.matching
        if len(self._live) < matching.frames and (
            self._last_collected is None
            or now - self._last_collected >= matching.min_frame_interval_s
        ):
            self._live.append(
                encode_live(frame, analysis.face, self._engine, self._config.engine_settings)
            )
            self._last_collected = now
            if len(self._live) >= matching.frames:
                self._match = decide(
                    self._enrollment, self._live, self._engine, self._config.engine_settings,
                    matching,
                )
                self._match_seconds = now - self._first_good
                self._match_latency = self._clock() - self._first_good
        probe = self._probe
        if self._match is not None and probe is not None and now >= probe.end:
            self._challenge.start(now, self._resting)
            self._stage = Stage.CHALLENGE

    def _confirm(
        self,
        frame: npt.NDArray[np.uint8],
        analysis: FrameAnalysis,
        observation: Observation,
        now: float,
    ) -> None:
        """The same person as the match frames, judged on the median distance of three good
        frames (one frame caught mid-blink does not decide). Three in a row close enough pass
        at once; a refusal is only made from ``CONFIRM_SETTLE_S`` on, on frames with the head
        back at its resting yaw (a face still turned or tipped from the last action is further
        from the frontal match frames than a different face may be)."""
        if self._hint is not None or analysis.face is None:
            return
        final = encode_live(frame, analysis.face, self._engine, self._config.engine_settings)
        distance = self._engine.distance(final, fuse(self._live))
        limit = self._config.engine_settings.same_person_distance
        self._confirm_recent.append(distance)
        if len(self._confirm_recent) >= CONFIRM_FRAMES and (
            statistics.median(self._confirm_recent[-CONFIRM_FRAMES:]) <= limit
        ):
            self._finish(now, None)
            return
        settled = self._confirm_start is not None and now - self._confirm_start >= CONFIRM_SETTLE_S
        resting_yaw = statistics.median(o.yaw for o in self._resting)
        at_rest = abs(observation.yaw - resting_yaw) < self._config.liveness.neutral_yaw
        if settled and at_rest:
            self._confirm_resting.append(distance)
        if len(self._confirm_resting) >= CONFIRM_FRAMES:
            same = statistics.median(self._confirm_resting[-CONFIRM_FRAMES:]) <= limit
            self._finish(now, None if same else LivenessFailure.PERSON_CHANGED)

    def _track_turn(self, frame: npt.NDArray[np.uint8], analysis: FrameAnalysis) -> None:
        """Follow the nose against its surroundings through each turn (``NoseParallax``)."""
        record = self._challenge.current_record
        tracked = self._tracked
        if tracked is not None and tracked[0] is not record:
            finished = tracked[0] in self._challenge.records
            value = tracked[1].value()
            if finished and value is not None:
                self._parallaxes.append(value)
            self._tracked = tracked = None
        if record is None or record.action not in TURNS or analysis.points is None:
            return
        grey = np.asarray(
            frame if frame.ndim == 2
            else cv2.cvtColor(np.ascontiguousarray(frame[:, :, :3]), cv2.COLOR_RGB2GRAY),
            dtype=np.uint8,
        )
        if tracked is None:
            self._tracked = (record, NoseParallax(grey, analysis.points, record.action))
        else:
            tracked[1].update(grey, analysis.points)

    def _relief_measured(self) -> bool:
        return bool(self._parallaxes or self._depth_reliefs)

    def _frame_period(self) -> float:
        times = self._frame_times
        if len(times) < 2:
            return 1 / 15
        return max(1e-3, (times[-1] - times[0]) / (len(times) - 1))

    def _score(self) -> PadScore:
        probe = self._probe
        return pad_score(
            self._config.pad,
            illumination=None if probe is None else probe.result(self._frame_period()),
            # A head shows its relief in every turn: the weakest turn speaks for the check.
            parallax=min(self._parallaxes) if self._parallaxes else None,
            depth_relief_mm=(
                statistics.median(self._depth_reliefs) if self._depth_reliefs else None
            ),
        )

    def _finish(self, now: float, failure: LivenessFailure | None) -> None:
        if failure is None and self._challenge.passed:
            self.pad = self._score()
            if not self.pad.passed:
                failure = LivenessFailure.PAD_SCORE
        pad = self.pad
        liveness = LivenessResult(
            passed=failure is None and self._challenge.passed,
            actions=tuple(self._challenge.actions),
            completed=self._challenge.completed,
            failure=failure,
            motion=self._passive.motion,
            score=None if pad is None else pad.score,
            threshold=None if pad is None else pad.threshold,
            cues={} if pad is None else pad.values(),
            retries=self._challenge.retries,
        )
        start = self._first_frame if self._first_frame is not None else now
        self._result = FaceCheckResult(
            self._match, liveness, now - start, self._match_seconds, self._match_latency
        )
        self._stage = Stage.DONE
        self._hint = None

    def run(
        self,
        source: FrameSource,
        *,
        on_progress: Callable[[Progress], None] | None = None,
        frame_timeout_s: float = 2.0,
    ) -> FaceCheckResult:
        """Pull the newest frames from a started ``source`` until the check is decided."""
        last_index = -1
        last_fed = self._clock()
        while True:
            frame = source.wait_frame(after=last_index, timeout=frame_timeout_s)
            progress: Progress | None = None
            if frame is not None:
                last_index = frame.index
                with contextlib.suppress(FrameTimeError):  # skipped; the next one may do
                    progress = self.feed(frame.image, frame.t, depth=frame.depth)
            if progress is None or frame is None:
                now = self._clock()
                if frame is not None and now - last_fed <= frame_timeout_s:
                    continue
                self._finish(now, LivenessFailure.FACE_LOST)
                if self._result is None:
                    raise RuntimeError("the face check ended without a result")
                return self._result
            last_fed = self._clock()
            tell_presenter(source, progress, frame.t)
            if on_progress is not None:
                on_progress(progress)
            if progress.result is not None:
                return progress.result
