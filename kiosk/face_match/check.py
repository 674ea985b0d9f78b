"""``FaceCheck``: the whole face step (match to the card photo + liveness), Qt-free.

Usage::

    check = FaceCheck(card_photo_bytes)           # or FaceCheck(enrollment=...)
    while (progress := check.feed(frame)).result is None:
        show(progress.hint, progress.prompt, progress.frames_collected)
    result = progress.result                      # FaceCheckResult: .passed, .match, .liveness

or ``result = check.run(source)`` to pull frames from a ``FrameSource`` (its newest frame each
time; a source with ``observe_prompt`` is told the current prompt, as the synthetic resident is).

Stages: LOOKING (quality gates; ``frames_needed`` good frontal frames are encoded and matched,
the decision is ready when they are in), CHALLENGE (random actions, one prompt at a time),
CONFIRMING (one more good frontal frame must be the same person), DONE. Passive liveness
signals run throughout. The clock is injectable (``clock=``) and ``feed`` accepts an explicit
timestamp, so tests and evaluations run faster than real time.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from kiosk.face_match.actions import Action
from kiosk.face_match.config import FaceConfig, load_config
from kiosk.face_match.engine import Embedding, FaceEngine, load_engine
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
from kiosk.face_match.quality import FrameAnalysis, Hint, analyse_frame, quality_hint
from kiosk.face_match.sources import FrameSource


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
    ) -> None:
        self._config = config or load_config()
        self._engine = engine or load_engine(self._config.engine)
        if enrollment is None:
            if card_photo is None:
                raise ValueError("give the card photo or an enrollment")
            enrollment = enroll_card_photo(card_photo, self._engine)
        self._enrollment = enrollment
        self._clock = clock
        rng = rng or random.SystemRandom()
        actions = random_actions(rng, self._config.liveness.actions)
        self._challenge = Challenge(actions, self._config.liveness, rng)
        self._passive = PassiveMonitor(self._config.liveness)
        self._stage = Stage.LOOKING
        self._live: list[Embedding] = []
        self._good: list[FrameAnalysis] = []
        self._last_collected: float | None = None
        self._first_frame: float | None = None
        self._first_good: float | None = None
        self._match: MatchResult | None = None
        self._match_seconds: float | None = None
        self._match_latency: float | None = None
        self._result: FaceCheckResult | None = None
        self._hint: Hint | None = Hint.NO_FACE

    @property
    def result(self) -> FaceCheckResult | None:
        return self._result

    @property
    def actions(self) -> tuple[Action, ...]:
        return tuple(self._challenge.actions)

    def progress(self) -> Progress:
        return Progress(
            stage=self._stage,
            hint=self._hint,
            prompt=self._challenge.prompt if self._stage is Stage.CHALLENGE else None,
            frames_collected=len(self._live),
            frames_needed=self._config.matching.frames,
            result=self._result,
        )

    def feed(self, frame: npt.NDArray[np.uint8], t: float | None = None) -> Progress:
        """Analyse one RGB frame taken at ``t`` (default: the clock) and advance the check."""
        if self._result is not None:
            return self.progress()
        now = self._clock() if t is None else t
        if self._first_frame is None:
            self._first_frame = now
        analysis = analyse_frame(frame, self._config.quality, self._engine)
        observation = Observation(
            now, analysis.box, analysis.yaw, analysis.openness, analysis.grey_face
        )
        self._hint = quality_hint(analysis, self._config.quality)
        if self._first_good is not None or self._hint is None:
            # Continuity and motion count from the first good frame on.
            self._passive.update(observation)
            failure = self._passive.verdict()
            if failure is not None:
                self._finish(now, failure)
                return self.progress()
        if self._stage is Stage.LOOKING:
            self._look(frame, analysis, now)
        elif self._stage is Stage.CHALLENGE:
            self._hint = None if analysis.box is not None else Hint.NO_FACE
            self._challenge.update(observation)
            if self._challenge.finished:
                if self._challenge.failure is not None:
                    self._finish(now, self._challenge.failure)
                else:
                    self._stage = Stage.CONFIRMING
        elif self._stage is Stage.CONFIRMING and self._hint is None and analysis.face is not None:
            final = encode_live(frame, analysis.face, self._engine, self._config.engine_settings)
            distance = self._engine.distance(final, fuse(self._live))
            same = distance <= self._config.engine_settings.same_person_distance
            self._finish(now, None if same else LivenessFailure.PERSON_CHANGED)
        if self._result is None and now - self._first_frame > self._config.liveness.check_timeout_s:
            self._finish(now, LivenessFailure.TIMEOUT)
        return self.progress()

    def _look(self, frame: npt.NDArray[np.uint8], analysis: FrameAnalysis, now: float) -> None:
        if self._hint is not None or analysis.face is None:
            return
        if self._first_good is None:
            self._first_good = now
        matching = self._config.matching
        if (
            self._last_collected is not None
            and now - self._last_collected < matching.min_frame_interval_s
        ):
            return
        self._live.append(
            encode_live(frame, analysis.face, self._engine, self._config.engine_settings)
        )
        self._good.append(analysis)
        self._last_collected = now
        if len(self._live) >= matching.frames:
            self._match = decide(
                self._enrollment, self._live, self._engine, self._config.engine_settings, matching
            )
            self._match_seconds = now - self._first_good
            self._match_latency = self._clock() - self._first_good
            self._challenge.start(
                now,
                statistics.median(a.yaw for a in self._good),
                statistics.median(a.openness for a in self._good),
            )
            self._stage = Stage.CHALLENGE

    def _finish(self, now: float, failure: LivenessFailure | None) -> None:
        liveness = LivenessResult(
            passed=failure is None and self._challenge.passed,
            actions=tuple(self._challenge.actions),
            completed=self._challenge.completed,
            failure=failure,
            motion=self._passive.motion,
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
        while True:
            frame = source.wait_frame(after=last_index, timeout=frame_timeout_s)
            if frame is None:
                now = self._clock()
                self._finish(now, LivenessFailure.FACE_LOST)
                if self._result is None:
                    raise RuntimeError("the face check ended without a result")
                return self._result
            last_index = frame.index
            progress = self.feed(frame.image, frame.t)
            observe = getattr(source, "observe_prompt", None)
            if callable(observe):
                observe(progress.prompt, frame.t)
            if on_progress is not None:
                on_progress(progress)
            if progress.result is not None:
                return progress.result
