"""The real face pipeline (``kiosk.face_match.FaceCheck``) behind the flow's ``FacePort``.

Each check opens a fresh frame source (camera, video or synthetic resident), feeds its newest
frames to a new ``FaceCheck`` and reports hints, liveness prompts, the screen's illumination
colour and preview frames through the flow's listener; a source that stands for a presenter
(the synthetic resident) is told the prompt and the colour too. It stops when the check decides
or when the flow says stop. Only numbers leave: the result carries scores, thresholds, frame
counts and the model version.

Two threads, neither of them the GUI's: a preview pump hands every captured frame to the
listener at the camera's rate, and the calling (flow) thread runs detection, alignment and
encoding on the newest frame whenever it is free. So the preview never waits for the face
models, and analysis never works through a backlog.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from kiosk.face_match.actions import Action
from kiosk.face_match.card_photo import CardPhotoError
from kiosk.face_match.check import FaceCheck, FaceCheckResult, FrameTimeError, tell_presenter
from kiosk.face_match.config import FaceConfig, load_config
from kiosk.face_match.engine import FaceEngineError
from kiosk.face_match.matching import MatchingError
from kiosk.face_match.models import ModelFilesMissingError
from kiosk.face_match.quality import Hint
from kiosk.face_match.sources import FrameSource, FrameSourceError
from kiosk.flow.ports import (
    CardFaceInvalidError,
    FaceCheckCancelledError,
    FaceCheckUnavailableError,
    FaceHint,
    FaceListener,
    FaceResult,
    LivenessPrompt,
    ScreenColour,
)

HINTS: dict[Hint, FaceHint] = {
    Hint.NO_FACE: FaceHint.NO_FACE,
    Hint.ONE_PERSON_ONLY: FaceHint.ONE_PERSON,
    Hint.COME_CLOSER: FaceHint.MOVE_CLOSER,
    Hint.MOVE_BACK: FaceHint.MOVE_BACK,
    Hint.CENTRE_FACE: FaceHint.CENTRE_FACE,
    Hint.MORE_LIGHT: FaceHint.MORE_LIGHT,
    Hint.LESS_LIGHT: FaceHint.LESS_LIGHT,
    Hint.HOLD_STILL: FaceHint.HOLD_STILL,
    Hint.LOOK_STRAIGHT: FaceHint.LOOK_STRAIGHT,
    Hint.ACTION_NOT_SEEN: FaceHint.ACTION_NOT_SEEN,
}


def prompt_for(action: Action | None) -> LivenessPrompt | None:
    if action is None:
        return None
    try:
        return LivenessPrompt(action.value)
    except ValueError:
        return None


def to_face_result(result: FaceCheckResult, config: FaceConfig) -> FaceResult:
    match = result.match
    return FaceResult(
        matched=match is not None and match.matched,
        live=result.liveness.passed,
        score=match.score if match is not None else 1.0,
        threshold=match.threshold if match is not None else config.engine_settings.threshold,
        frames=match.frames_used if match is not None else 0,
        model_version=match.model_version if match is not None else "none",
        liveness_checks=tuple(str(action) for action in result.liveness.actions),
    )


class FaceCheckAdapter:
    """``FacePort`` over a frame-source factory (a new source per check)."""

    def __init__(
        self,
        open_source: Callable[[], FrameSource],
        config: FaceConfig | None = None,
        *,
        frame_timeout_s: float = 3.0,
    ) -> None:
        self._open_source = open_source
        self._config = config or load_config()
        self._frame_timeout_s = frame_timeout_s
        self._last_actions: tuple[Action, ...] = ()  # a retry never replays the failed sequence
        # The last check's result (numbers only), for diagnostics and the benchmark.
        self.last_result: FaceCheckResult | None = None

    def check(
        self, card_photo: bytearray, listener: FaceListener, should_stop: Callable[[], bool]
    ) -> FaceResult:
        try:
            # FaceCheck wants bytes: a short-lived copy, gone with this frame.
            check = FaceCheck(
                bytes(card_photo), config=self._config, avoid_actions=self._last_actions
            )
        except (CardPhotoError, MatchingError) as error:
            raise CardFaceInvalidError(f"card photo unusable: {type(error).__name__}") from None
        except (ModelFilesMissingError, FaceEngineError) as error:
            raise FaceCheckUnavailableError(str(error)) from None
        try:
            source = self._open_source()
            source.start()
        except FrameSourceError as error:
            raise FaceCheckUnavailableError(str(error)) from None
        try:
            return self._run(check, source, listener, should_stop)
        finally:
            self._last_actions = check.actions
            source.stop()

    def _run(
        self,
        check: FaceCheck,
        source: FrameSource,
        listener: FaceListener,
        should_stop: Callable[[], bool],
    ) -> FaceResult:
        stop_preview = threading.Event()
        pump = threading.Thread(
            target=_pump_preview, args=(source, listener, stop_preview), name="face-preview",
            daemon=True,
        )
        pump.start()
        try:
            return self._analyse(check, source, listener, should_stop)
        finally:
            stop_preview.set()
            pump.join(timeout=2)

    def _analyse(
        self,
        check: FaceCheck,
        source: FrameSource,
        listener: FaceListener,
        should_stop: Callable[[], bool],
    ) -> FaceResult:
        last_index = -1
        last_frame_at = time.monotonic()
        hint: FaceHint | None = None
        prompt: LivenessPrompt | None = None
        colour: ScreenColour | None = None
        while True:
            if should_stop():
                raise FaceCheckCancelledError("stopped by the flow")
            try:
                frame = source.wait_frame(after=last_index, timeout=0.25)
            except FrameSourceError as error:  # the camera failed mid-capture
                raise FaceCheckUnavailableError(f"camera: {error}") from None
            if frame is not None:
                last_index = frame.index
                try:
                    progress = check.feed(frame.image, frame.t, depth=frame.depth)
                except FrameTimeError:
                    frame = None  # refused: counts as a missing frame for the time-out
            if frame is None:
                if time.monotonic() - last_frame_at > self._frame_timeout_s:
                    raise FaceCheckUnavailableError("the camera stopped sending frames")
                continue
            last_frame_at = time.monotonic()
            if progress.illumination != colour:
                colour = progress.illumination
                listener.illumination(colour)  # first: the face must reflect it in time
            tell_presenter(source, progress, frame.t)
            new_hint = FaceHint.GOOD if progress.hint is None else HINTS.get(progress.hint)
            if new_hint != hint:
                hint = new_hint
                if hint is not None:
                    listener.hint(hint)
            new_prompt = prompt_for(progress.prompt)
            if new_prompt != prompt:
                prompt = new_prompt
                listener.prompt(prompt)
            if progress.result is not None:
                self.last_result = progress.result
                return to_face_result(progress.result, self._config)


def _pump_preview(source: FrameSource, listener: FaceListener, stop: threading.Event) -> None:
    """Hand every new frame to the listener until ``stop`` (camera faults end it quietly: the
    analysing thread reports them)."""
    last = -1
    while not stop.is_set():
        try:
            frame = source.wait_frame(after=last, timeout=0.2)
        except FrameSourceError:
            return
        if frame is not None:
            last = frame.index
            listener.preview(frame.image)
