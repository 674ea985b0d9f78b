"""FACE_CHECK: the live face against the card's photo, with liveness; evidence to the backend.

The check runs on the worker; its hints, prompts and preview frames come back through
``FaceRelay`` (hints and prompts only while the step is still the one that started it).
"""

from __future__ import annotations

import threading

from kiosk.flow.failure_codes import FailureCode
from kiosk.flow.ports import (
    BackendRefusedError,
    FaceHint,
    FaceResult,
    LivenessPrompt,
    ScreenColour,
)
from kiosk.flow.states import PHOTO_SECRET, Exit
from kiosk.flow.steps.context import StepContext


class PreviewSlot:
    """The latest camera frame, handed from the face-check worker to the screen (never kept)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._frame: object | None = None
        self._serial = 0

    def put(self, frame: object) -> None:
        with self._lock:
            self._frame = frame
            self._serial += 1

    def take(self) -> tuple[int, object | None]:
        """(serial, frame); the serial changes with each new frame."""
        with self._lock:
            return self._serial, self._frame

    def clear(self) -> None:
        with self._lock:
            self._frame = None
            self._serial += 1


class FaceRelay:
    """Forwards the face check's callbacks from the worker to the flow's thread."""

    def __init__(self, ctx: StepContext, generation: int) -> None:
        self._ctx = ctx
        self._generation = generation

    def hint(self, hint: FaceHint) -> None:
        self._ctx.post_update(self._generation, face_hint=hint)

    def prompt(self, prompt: LivenessPrompt | None) -> None:
        self._ctx.post_update(self._generation, face_prompt=prompt)

    def illumination(self, colour: ScreenColour | None) -> None:
        self._ctx.post_update(self._generation, face_illumination=colour)

    def preview(self, frame: object) -> None:
        self._ctx.preview.put(frame)


def approved(ctx: StepContext) -> None:
    """The face screen is shown: run one attempt of the check."""
    photo = ctx.secrets.get(PHOTO_SECRET)
    ticket, binding = ctx.tx.ticket, ctx.tx.binding
    if photo is None or ticket is None or binding is None:
        ctx.fail(FailureCode.INTERNAL)
        return
    attempt = ctx.view.face_attempts_used + 1
    ctx.set(
        face_attempts_used=attempt, face_hint=None, face_prompt=None, face_illumination=None
    )
    generation = ctx.generation
    listener = FaceRelay(ctx, generation)
    attempts = ctx.config.face_attempts
    final = attempt >= attempts
    face, backend = ctx.face, ctx.backend
    # Set by the worker when this attempt's result goes to the backend: from then on an earlier
    # failure is not reported (the backend takes one piece of evidence per transaction).
    reporting = threading.Event()

    def job() -> FaceResult:
        result = face.check(photo, listener, lambda: generation != ctx.generation)
        passed = result.matched and result.live
        # The backend takes one piece of evidence per transaction: the success, or the
        # last failure (which it refuses, closing the transaction; that is expected).
        if passed or final:
            reporting.set()
            try:
                backend.report_face(ticket, result, binding)
            except BackendRefusedError:
                if passed:
                    raise
        return result

    def done(result: FaceResult) -> None:
        reported = (result.matched and result.live) or final
        ctx.tx.unreported_face_failure = None if reported else result
        if result.matched and result.live:
            ctx.go(Exit.FACE_MATCHED, face_last_failure=None)
            return
        code = FailureCode.FACE_NOT_LIVE if not result.live else FailureCode.FACE_NO_MATCH
        if attempt < attempts:
            ctx.go(Exit.RETRY, face_last_failure=code)
        else:
            ctx.fail(code)

    def failed(error: BaseException) -> None:
        if reporting.is_set():
            ctx.tx.unreported_face_failure = None
        ctx.fail_with(error)

    ctx.work(job, done, failed, lend=(PHOTO_SECRET,))
