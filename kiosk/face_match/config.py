"""Face verification settings from the packaged ``thresholds.toml`` (or another TOML file)."""

from __future__ import annotations

import dataclasses
import math
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
    """How the decision is made, whatever the engine."""

    frames: int = 1  # good frames whose mean encoding is compared (one: see docs/face-match.md)
    min_frame_interval_s: float = 0.12  # spacing between the frames used


@dataclass(frozen=True, slots=True)
class EngineConfig:
    """One engine's calibrated settings (distances on that engine's own scale)."""

    threshold: float = 0.5  # accept when the distance is below this
    grey_probe: bool = False  # compare the live face in greyscale, the card's colour space
    same_person_distance: float = 0.5  # liveness: the final frame vs the matching frames


DEFAULT_ENGINE = "sface"
ENGINE_NAMES = ("sface", "dlib")


@dataclass(frozen=True, slots=True)
class QualityConfig:
    detect_width: int = 320
    min_eye_distance_fraction: float = 0.075
    max_eye_distance_fraction: float = 0.27
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
    turn_yaw: float = 0.35
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
    engine: str = DEFAULT_ENGINE  # the kiosk configuration's [face] engine
    matching: MatchingConfig = field(default_factory=MatchingConfig)
    sface: EngineConfig = field(default_factory=EngineConfig)
    dlib: EngineConfig = field(default_factory=EngineConfig)
    quality: QualityConfig = field(default_factory=QualityConfig)
    liveness: LivenessConfig = field(default_factory=LivenessConfig)
    pad: PadConfig = field(default_factory=PadConfig)

    @property
    def engine_settings(self) -> EngineConfig:
        """The settings of the selected engine."""
        return self.sface if self.engine == "sface" else self.dlib

    def with_engine(self, engine: str) -> FaceConfig:
        if engine not in ENGINE_NAMES:
            raise FaceConfigError(f"unknown face engine {engine!r} (one of {ENGINE_NAMES})")
        return dataclasses.replace(self, engine=engine)


_Section = TypeVar(
    "_Section", MatchingConfig, EngineConfig, QualityConfig, LivenessConfig, PadConfig
)


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
        if isinstance(value, float) and not math.isfinite(value):
            raise FaceConfigError(f"[{name}] {key} must be a finite number")
        values[key] = value
    return kind(**values)


def parse_config(text: str) -> FaceConfig:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise FaceConfigError(f"settings are not valid TOML: {error}") from error
    except RecursionError:
        raise FaceConfigError("settings are nested too deeply") from None
    unknown = set(data) - {"matching", "sface", "dlib", "quality", "liveness", "pad"}
    if unknown:
        raise FaceConfigError(f"unknown sections: {sorted(unknown)}")
    matching = _section(MatchingConfig, "matching", data.get("matching", {}))
    if matching.frames < 1 or matching.min_frame_interval_s < 0:
        raise FaceConfigError("[matching] frames must be at least 1, the interval not negative")
    engines = {}
    for name in ENGINE_NAMES:
        if name not in data:
            raise FaceConfigError(f"[{name}] is missing: each engine needs its threshold")
        engines[name] = _section(EngineConfig, name, data[name])
        if "threshold" not in data[name] or not 0 < engines[name].threshold < 2:
            raise FaceConfigError(f"[{name}] threshold must be set, above 0 and below 2")
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
        sface=engines["sface"],
        dlib=engines["dlib"],
        quality=_section(QualityConfig, "quality", data.get("quality", {})),
        liveness=liveness,
        pad=pad,
    )


def load_config(path: Path | None = None, engine: str = DEFAULT_ENGINE) -> FaceConfig:
    """Settings from ``path``, or the packaged ``thresholds.toml``, for ``engine``.

    A file of the kiosk's own (``face.thresholds_file``) may make the check stricter than the
    packaged, calibrated settings, never weaker (``not_weaker_than``).
    """
    packaged = parse_config(
        resources.files("kiosk.face_match").joinpath("thresholds.toml").read_text("utf-8")
    )
    if path is None:
        return packaged.with_engine(engine)
    config = parse_config(path.read_text("utf-8"))
    not_weaker_than(config, packaged)
    return config.with_engine(engine)


def not_weaker_than(config: FaceConfig, reference: FaceConfig) -> None:
    """Raise ``FaceConfigError`` if ``config`` accepts more than ``reference`` on the settings
    that decide who passes: each engine's match threshold (a distance: lower is stricter), the
    number of liveness actions, and the presentation-attack score's threshold (higher is
    stricter; at most 0, where any deficit fails)."""
    for name in ENGINE_NAMES:
        mine, calibrated = getattr(config, name).threshold, getattr(reference, name).threshold
        if mine > calibrated:
            raise FaceConfigError(
                f"[{name}] threshold {mine} is looser than the calibrated {calibrated}")
    if config.liveness.actions < reference.liveness.actions:
        raise FaceConfigError(
            f"[liveness] actions must be at least {reference.liveness.actions}")
    if not reference.pad.threshold <= config.pad.threshold <= 0:
        raise FaceConfigError(
            f"[pad] threshold must be between {reference.pad.threshold} and 0")
