"""Face pipeline checks that need no camera: its settings file loads and is sane.

The face pipeline's self-test on built-in samples is supplied by the composition root as
``Hooks.face_self_test`` (the samples and the pipeline belong to ``kiosk.face_match``).
"""

from __future__ import annotations

from kiosk.config import KioskConfig
from kiosk.diagnostics.model import CheckResult, fail, ok, warn


def face_settings_check(config: KioskConfig) -> CheckResult:
    title = "Face settings"
    source = str(config.face.thresholds_file) if config.face.thresholds_file else "packaged"
    try:
        from kiosk.face_match.config import FaceConfigError, load_config
    except ImportError:
        return warn("face.settings", title, "the face pipeline is not installed", file=source)
    try:
        face = load_config(config.face.thresholds_file)
    except FaceConfigError as error:
        return fail("face.settings", title, f"face.thresholds_file: {error}", file=source)
    except OSError as error:
        return fail("face.settings", title,
                    f"face.thresholds_file: cannot be read ({error.strerror})", file=source)
    return ok("face.settings", title,
              f"match threshold {face.matching.threshold}, {face.liveness.actions} liveness "
              "action(s)", file=source, match_threshold=face.matching.threshold,
              frames=face.matching.frames, liveness_actions=face.liveness.actions)
