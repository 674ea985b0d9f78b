"""Face verification settings from the packaged ``thresholds.toml`` (or another TOML file)."""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

from kiosk.face_match.actions import parse_pool


class FaceConfigError(ValueError):
    """The settings file is missing a key, has an unknown one, or a value of the wrong type."""


@dataclass(frozen=True, slots=True)
class MatchingConfig:
    # Accept when the distance between the card encoding and the mean live encoding is below a
    # threshold that depends on how varied the live frames are (see matching.decision_threshold):
    threshold: float = 0.50  # near-identical frames (spread 0): the single-frame threshold
    varied_threshold: float = 0.47  # frames as varied as different photos (spread >= reference)
    spread_reference: float = 0.33  # mean pairwise distance of the live encodings
    frames: int = 3
    min_frame_interval_s: float = 0.12
    mirror_average: bool = True
    multi_view: bool = True  # average 5-point, 68-point and rescaled views of each face
    card_rescale: float = 2.0  # the card portrait's rescaled view is this much larger
    grey_probe: bool = True
    card_detect_upsample: int = 1


@dataclass(frozen=True, slots=True)
class QualityConfig:
    detect_width: int = 480
    min_face_fraction: float = 0.18
    max_face_fraction: float = 0.65
    second_face_fraction: float = 0.35
    min_brightness: float = 60.0
    max_brightness: float = 215.0
    min_sharpness: float = 12.0
    max_frontal_yaw: float = 0.22
    max_roll_degrees: float = 15.0
    max_centre_offset: float = 0.30


@dataclass(frozen=True, slots=True)
class LivenessConfig:
    actions: int = 3
    pool: str = "blink turn_left turn_right look_up look_down open_mouth move_closer"
    action_timeout_s: float = 5.0
    blink_window_s: float = 2.5
    retries: int = 2
    min_reaction_s: float = 0.2
    max_onset_s: float = 3.0
    onset_fraction: float = 0.35
    neutral_timeout_s: float = 4.0
    turn_yaw: float = 0.40
    look_pitch: float = 0.08
    mouth_open: float = 0.15
    closer_scale: float = 1.12
    neutral_yaw: float = 0.15
    neutral_pitch: float = 0.07
    blink_ratio: float = 0.72
    open_ratio: float = 0.88
    wrong_turn_yaw: float = 0.30
    wrong_look_pitch: float = 0.07
    min_motion: float = 0.35
    max_face_gap_s: float = 2.5
    max_jump_fraction: float = 0.5
    same_person_distance: float = 0.55
    check_timeout_s: float = 30.0


@dataclass(frozen=True, slots=True)
class PadConfig:
    """The screen-illumination code and the combined cue score (see ``pad_cues``)."""

    colour_segments: int = 7
    colour_segment_s: float = 0.35
    max_lag_s: float = 0.3
    threshold: float = -0.5
    timing_live: float = 0.85
    timing_attack: float = 0.5
    shading_live: float = 0.92
    shading_attack: float = 1.05
    parallax_live: float = 0.05
    parallax_attack: float = 0.015
    depth_relief_live_mm: float = 12.0
    depth_relief_attack_mm: float = 4.0


@dataclass(frozen=True, slots=True)
class FaceConfig:
    matching: MatchingConfig = field(default_factory=MatchingConfig)
    quality: QualityConfig = field(default_factory=QualityConfig)
    liveness: LivenessConfig = field(default_factory=LivenessConfig)
    pad: PadConfig = field(default_factory=PadConfig)


_Section = TypeVar("_Section", MatchingConfig, QualityConfig, LivenessConfig, PadConfig)


def _section(kind: type[_Section], name: str, table: Any) -> _Section:
    if not isinstance(table, dict):
        raise FaceConfigError(f"[{name}] must be a table")
    known = {f.name: f for f in dataclasses.fields(kind)}
    unknown = set(table) - set(known)
    if unknown:
        raise FaceConfigError(f"[{name}] has unknown keys: {sorted(unknown)}")
    values: dict[str, Any] = {}
    for key, raw in table.items():
        expected = type(getattr(kind(), key))
        value = float(raw) if expected is float and type(raw) is int else raw
        if type(value) is not expected:
            raise FaceConfigError(f"[{name}] {key} must be {expected.__name__}")
        values[key] = value
    return kind(**values)


def parse_config(text: str) -> FaceConfig:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise FaceConfigError(f"settings are not valid TOML: {error}") from error
    except RecursionError:
        raise FaceConfigError("settings are nested too deeply") from None
    unknown = set(data) - {"matching", "quality", "liveness", "pad"}
    if unknown:
        raise FaceConfigError(f"unknown sections: {sorted(unknown)}")
    matching = _section(MatchingConfig, "matching", data.get("matching", {}))
    if not 0 < matching.varied_threshold <= matching.threshold:
        raise FaceConfigError("[matching] varied_threshold must be > 0 and <= threshold")
    if matching.spread_reference <= 0 or matching.card_rescale <= 0 or matching.frames < 1:
        raise FaceConfigError(
            "[matching] spread_reference and card_rescale must be > 0, frames at least 1"
        )
    liveness = _section(LivenessConfig, "liveness", data.get("liveness", {}))
    try:
        parse_pool(liveness.pool)
    except ValueError as error:
        raise FaceConfigError(f"[liveness] pool: {error}") from None
    if liveness.actions < 1 or liveness.retries < 0:
        raise FaceConfigError("[liveness] actions must be at least 1, retries at least 0")
    pad = _section(PadConfig, "pad", data.get("pad", {}))
    if pad.colour_segments < 3 or pad.colour_segment_s <= 0 or pad.max_lag_s < 0:
        raise FaceConfigError("[pad] needs at least 3 colour segments of positive length")
    pairs = (
        (pad.timing_live, pad.timing_attack),
        (pad.shading_live, pad.shading_attack),
        (pad.parallax_live, pad.parallax_attack),
        (pad.depth_relief_live_mm, pad.depth_relief_attack_mm),
    )
    if any(live == attack for live, attack in pairs):
        raise FaceConfigError("[pad] each cue's live and attack references must differ")
    return FaceConfig(
        matching=matching,
        quality=_section(QualityConfig, "quality", data.get("quality", {})),
        liveness=liveness,
        pad=pad,
    )


def load_config(path: Path | None = None) -> FaceConfig:
    """Settings from ``path``, or the packaged ``thresholds.toml``."""
    if path is None:
        text = resources.files("kiosk.face_match").joinpath("thresholds.toml").read_text("utf-8")
    else:
        text = path.read_text("utf-8")
    return parse_config(text)
