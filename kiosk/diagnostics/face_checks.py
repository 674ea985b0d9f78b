"""Face pipeline checks that need no camera: its settings load, and a self-test on a built-in
sample (see :func:`face_self_test`). ``Hooks.face_self_test`` may replace the self-test.
"""

from __future__ import annotations

import random
import time
from typing import Any

import numpy as np

from kiosk.config import KioskConfig
from kiosk.diagnostics.model import CheckResult, JsonValue, fail, ok, warn


def face_settings_check(config: KioskConfig) -> CheckResult:
    title = "Face settings"
    source = str(config.face.thresholds_file) if config.face.thresholds_file else "packaged"
    try:
        from kiosk.face_match.config import FaceConfigError, load_config
    except ImportError:
        return warn("face.settings", title, "the face pipeline is not installed", file=source)
    try:
        face = load_config(config.face.thresholds_file, config.face.engine)
    except FaceConfigError as error:
        return fail("face.settings", title, f"face.thresholds_file: {error}", file=source)
    except OSError as error:
        return fail("face.settings", title,
                    f"face.thresholds_file: cannot be read ({error.strerror})", file=source)
    return ok("face.settings", title,
              f"engine {face.engine}, match threshold {face.engine_settings.threshold}, "
              f"{face.liveness.actions} liveness action(s)", file=source, engine=face.engine,
              match_threshold=face.engine_settings.threshold,
              frames=face.matching.frames, liveness_actions=face.liveness.actions)


SELF_TEST_FPS = 15.0
SELF_TEST_MAX_SECONDS = 60.0  # simulated time; the check decides well before


def face_self_test(config: KioskConfig) -> CheckResult:
    """The whole face step on a built-in sample, in simulated time (no camera, a few seconds).

    The sample is the NASA astronaut portrait shipped with scikit-image (public domain; not
    the project's internal face data). It becomes a card photo; a synthetic resident animated
    from the same portrait must pass (match and liveness), and the same portrait as a still
    that ignores the prompts must be refused. Only scores and codes are reported.
    """
    title = "Face pipeline self-test"
    try:
        import skimage.data

        from kiosk.face_match.card_photo import make_card_photo
        from kiosk.face_match.check import FaceCheck, tell_presenter
        from kiosk.face_match.config import FaceConfigError, load_config
        from kiosk.face_match.resident import SyntheticResident
    except ImportError as error:
        return warn("face.self_test", title, "not available in this build",
                    missing=error.name or "")
    try:
        face_config = load_config(config.face.thresholds_file, config.face.engine)
    except (FaceConfigError, OSError):
        return fail("face.self_test", title, "the face settings do not load (see face.settings)")
    started = time.perf_counter()
    portrait = np.asarray(skimage.data.astronaut(), dtype=np.uint8)  # type: ignore[no-untyped-call]
    card_photo = make_card_photo(portrait)

    def simulate(resident: SyntheticResident, seed: int) -> Any:
        now = [0.0]
        check = FaceCheck(card_photo, config=face_config, clock=lambda: now[0],
                          rng=random.Random(seed))  # noqa: S311 (repeatable self-test)
        while now[0] < SELF_TEST_MAX_SECONDS:
            progress = check.feed(resident.render(now[0]), now[0])
            tell_presenter(resident, progress, now[0])
            if progress.result is not None:
                return progress.result
            now[0] += 1 / SELF_TEST_FPS
        return None

    genuine = simulate(SyntheticResident(portrait, seed=3), seed=5)
    still = simulate(SyntheticResident(portrait, seed=4, obey=False), seed=6)
    seconds = round(time.perf_counter() - started, 2)
    details: dict[str, JsonValue] = {
        "sample": "scikit-image astronaut portrait (NASA, public domain)",
        "genuine_passed": bool(genuine is not None and genuine.passed),
        "still_photo_refused": bool(still is not None and not still.passed),
        "seconds": seconds,
    }
    if genuine is not None and genuine.match is not None:
        details["match_score"] = round(float(genuine.match.score), 4)
        details["match_threshold"] = float(genuine.match.threshold)
    if genuine is not None:
        details["genuine_liveness"] = genuine.liveness.to_evidence()
    if still is not None:
        details["still_liveness_failure"] = str(still.liveness.to_evidence().get("failure"))
    if not details["genuine_passed"]:
        return fail("face.self_test", title, "the sample resident was not accepted", **details)
    if not details["still_photo_refused"]:
        return fail("face.self_test", title, "a still photo was accepted", **details)
    return ok("face.self_test", title,
              f"sample accepted (score {details.get('match_score')}), still photo refused, "
              f"{seconds} s", **details)
