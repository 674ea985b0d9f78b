"""The presentation-attack cues on synthetic measurements: the screen-illumination answer, the
3-D relief of landmarks (a head against paper bent round it), the depth camera's relief, and
the one score they make."""

from __future__ import annotations

import math
import random
from typing import Literal

import cv2
import numpy as np
import numpy.typing as npt
import pytest

from kiosk.face_match import pad_cues
from kiosk.face_match.actions import Action
from kiosk.face_match.config import PadConfig
from kiosk.face_match.illumination import (
    PALETTE,
    IlluminationCode,
    IlluminationProbe,
    IlluminationResult,
    chroma,
)
from kiosk.face_match.pad_cues import NoseParallax, deficit, depth_relief_mm, pad_score

PAD = PadConfig()
FPS = 15.0

# --- illumination -------------------------------------------------------------------------------

FIVE = np.array([[80, 80], [120, 80], [100, 105], [85, 130], [115, 130]], dtype=np.float64)


def _shade(width: int, height: int, flat: bool) -> npt.NDArray[np.float64]:
    """How much screen light each pixel gets: a head turns its sides away, a print does not."""
    xs = np.arange(width, dtype=np.float64)
    if flat:
        return np.ones((height, width))
    across = np.clip(np.abs(xs - 100) / 45, 0, 0.99)
    return np.tile(np.sqrt(1 - across**2), (height, 1))


def _run_probe(
    code: IlluminationCode,
    *,
    answer: IlluminationCode | None,
    flat: bool = False,
    lag: float = 0.1,
    gain: float = 0.12,
    seconds: float = 3.2,
    highlight: bool = False,
    no_blue: bool = False,
) -> IlluminationResult:
    rng = np.random.default_rng(5)
    probe = IlluminationProbe(code, 0.0, PAD.max_lag_s)
    albedo = np.array([180.0, 130.0, 110.0])
    shade = _shade(200, 200, flat)
    for step in range(int(seconds * FPS)):
        t = step / FPS
        colour = answer.colour_at(t - lag) if answer is not None else None
        change = np.zeros(3) if colour is None else np.array(colour) - 0.55
        frame = albedo * (1 + gain * shade[:, :, None] * change)
        frame = frame + rng.normal(0, 2.0, frame.shape)
        if highlight:  # a shine on the left inner cheek (face x 0.42, y 0.62), blown out
            frame[99:111, 111:123] = 255.0
        if no_blue:  # the right outer cheek (face x -0.82, y 0.5) deep red: blue at black
            frame[94:107, 61:74, 2] = 3.0
        probe.observe(t, np.clip(frame, 0, 255).astype(np.uint8), FIVE)
    return probe.result(1 / FPS)


def test_the_colour_code_is_random_slow_and_uses_both_chroma_axes() -> None:
    codes = [IlluminationCode(random.Random(seed), 7, 0.35) for seed in range(200)]
    assert len({code.colours for code in codes}) > 190
    for code in codes:
        assert all(a != b for a, b in zip(code.colours, code.colours[1:], strict=False))
        assert all(colour in PALETTE for colour in code.colours)
        points = np.array([chroma(c) for c in code.colours])
        assert np.linalg.eigvalsh(np.cov(points.T))[0] >= 0.04
        # At most three changes a second (photosensitivity guidance).
        assert code.segment_s >= 1 / 3
    code = codes[0]
    assert code.colour_at(-0.01) is None and code.colour_at(code.duration) is None
    assert code.colour_at(0.0) == code.colours[0]


def test_a_face_that_reflects_the_code_answers_it_with_a_heads_shading() -> None:
    code = IlluminationCode(random.Random(1), 7, 0.35)
    result = _run_probe(code, answer=code)
    assert result.timing > 0.95
    assert 0.0 < result.lag_s <= PAD.max_lag_s
    assert 0.4 < result.shading < 0.8  # the outer cheeks get less of the screen's light


def test_a_blown_out_shine_on_the_cheek_does_not_make_a_head_look_flat() -> None:
    # A clipped patch cannot answer the screen: averaged in, it would halve the central
    # response and double the shading towards a print's.
    code = IlluminationCode(random.Random(1), 7, 0.35)
    result = _run_probe(code, answer=code, highlight=True)
    assert result.timing > 0.95
    assert 0.4 < result.shading < 0.8


def test_a_patch_with_a_channel_at_black_is_left_out_of_the_shading() -> None:
    # Its blue stays at a few code values: its log B/G moves only with green, not with the
    # screen's blue; averaged in, it would bend the outer cheeks' answer.
    code = IlluminationCode(random.Random(1), 7, 0.35)
    result = _run_probe(code, answer=code, no_blue=True)
    assert result.timing > 0.9
    assert result.shading == pytest.approx(_run_probe(code, answer=code).shading, abs=0.03)


def test_a_flat_surface_answers_evenly() -> None:
    code = IlluminationCode(random.Random(1), 7, 0.35)
    result = _run_probe(code, answer=code, flat=True)
    assert result.timing > 0.95
    assert result.shading == pytest.approx(1.0, abs=0.08)


@pytest.mark.parametrize("seed", range(5))
def test_no_answer_or_another_sessions_answer_does_not_correlate(seed: int) -> None:
    code = IlluminationCode(random.Random(100 + seed), 7, 0.35)
    assert _run_probe(code, answer=None).timing < PAD.timing_attack
    recorded = IlluminationCode(random.Random(200 + seed), 7, 0.35)  # a replayed session's
    assert _run_probe(code, answer=recorded).timing < PAD.timing_live


def test_an_answer_that_lags_beyond_the_latency_budget_does_not_count() -> None:
    code = IlluminationCode(random.Random(3), 7, 0.35)
    late = _run_probe(code, answer=code, lag=0.9, seconds=4.0)
    assert late.timing < PAD.timing_live


def test_too_few_frames_is_no_answer() -> None:
    code = IlluminationCode(random.Random(3), 7, 0.35)
    probe = IlluminationProbe(code, 0.0, PAD.max_lag_s)
    assert probe.result().timing == 0.0
    with pytest.raises(ValueError, match="three"):
        IlluminationCode(random.Random(1), 2, 0.35)


# --- nose parallax ------------------------------------------------------------------------------

IOD = 70.0
NEUTRAL_FIVE = np.array(
    [[285, 220], [355, 220], [320, 258], [292, 290], [348, 290]], dtype=np.float64
)


def _texture() -> npt.NDArray[np.uint8]:
    rng = np.random.default_rng(4)
    noise = rng.normal(128, 40, (480, 640)).astype(np.float32)
    return np.clip(cv2.GaussianBlur(noise, (0, 0), 2.0), 0, 255).astype(np.uint8)


# A vertical cylinder when bent round a head, a horizontal one when bent across it.
Relief = Literal["head", "flat", "bent_round", "bent_across"]


@pytest.fixture(autouse=True)
def _small_turns_read(monkeypatch: pytest.MonkeyPatch) -> None:
    # This scene's five-point yaw peaks at 0.2 (a 68-point yaw of a turn reaches 0.4 and more).
    monkeypatch.setattr(pad_cues, "MIN_SAMPLE_TURN", 0.05)


def _turn_frames(relief: Relief) -> list[tuple[npt.NDArray[np.uint8], npt.NDArray[np.float64]]]:
    """A surface moving sideways as in a turn, its landmarks claiming a head's turn (the nose
    point moving 0.2 IOD further). On a head the nose's image moves further than everything
    round it; on flat paper the image moves as one (the landmarks are wrong about it, as a
    shape model can be); paper bent one way moves further along one line through the nose: a
    vertical one when bent round a head, a horizontal one when bent across it."""
    texture = _texture()
    ys, xs = np.mgrid[0:480, 0:640].astype(np.float32)
    nose = NEUTRAL_FIVE[2]
    across, along = (xs - nose[0]) / IOD, (ys - nose[1]) / IOD
    # A point's lead is its depth in front of the face over a nose tip's (0.35 IOD). Paper
    # bent into a cylinder of radius 1.2 IOD (7.5 cm, as tight as a mask hugs a head) falls
    # back by d^2 / 2R at a distance d from its front line.
    bent = 1 / (2 * 1.2 * 0.35)
    lead = {
        "head": np.exp(-(across**2 + along**2) / 0.15**2),
        "flat": np.zeros_like(xs),
        "bent_round": np.clip(1 - bent * across**2, 0, 1),
        "bent_across": np.clip(1 - bent * along**2, 0, 1),
    }[relief].astype(np.float32)
    frames = []
    for step in range(16):
        amount = math.sin(math.pi / 2 * min(1.0, step / 10))  # ramps up, then holds
        shift = 0.5 * IOD * amount
        extra = 0.2 * IOD * amount
        # Each point of the surface moves by shift (+ extra x its lead): find, for each output
        # pixel, the surface point that lands there.
        source = xs - shift
        for _ in range(8):
            source = xs - shift - extra * cv2.remap(lead, source, ys, cv2.INTER_LINEAR)
        image = cv2.remap(texture, source.astype(np.float32), ys, cv2.INTER_LINEAR)
        five = NEUTRAL_FIVE.copy()
        five[:, 0] += shift
        five[2, 0] += extra
        frames.append((np.asarray(image, dtype=np.uint8), five))
    return frames


def _parallax(relief: Relief, action: Action = Action.TURN_LEFT) -> float | None:
    frames = _turn_frames(relief)
    if action is Action.TURN_RIGHT:  # mirror the scene
        frames = [(np.ascontiguousarray(image[:, ::-1]),
                   np.stack([639 - five[[1, 0, 2, 4, 3], 0], five[[1, 0, 2, 4, 3], 1]], axis=1))
                  for image, five in frames]
    tracker = NoseParallax(frames[0][0], frames[0][1], action)
    for image, five in frames[1:]:
        tracker.update(image, five)
    return tracker.value()


@pytest.mark.parametrize("action", [Action.TURN_LEFT, Action.TURN_RIGHT])
def test_a_nose_standing_out_moves_further_than_its_surroundings(action: Action) -> None:
    value = _parallax("head", action)
    assert value is not None and value > 0.3  # the tracking window blurs it to about 0.56


def test_paper_moves_as_one_whatever_its_landmarks_say() -> None:
    value = _parallax("flat")
    assert value is not None and abs(value) < PAD.parallax_attack


@pytest.mark.parametrize("action", [Action.TURN_LEFT, Action.TURN_RIGHT])
@pytest.mark.parametrize("bend", ["bent_round", "bent_across"])
def test_paper_bent_one_way_shows_no_relief_the_other_way(bend: Relief, action: Action) -> None:
    # Bent round a head the midline leads the cheeks; bent across, the cheeks lead the
    # midline; the nose leads only one way on both (a head's nose leads both ways). Reading
    # the lead over all six points together gave the bend round a head half a head's relief.
    value = _parallax(bend, action)
    halfway = (PAD.parallax_live + PAD.parallax_attack) / 2  # fails the check on its own
    assert value is not None and value < halfway


def test_a_lost_track_gives_no_reading() -> None:
    frames = _turn_frames("head")
    tracker = NoseParallax(frames[0][0], frames[0][1], Action.TURN_LEFT)
    tracker.update(np.zeros_like(frames[0][0]), frames[1][1])  # the picture vanishes
    assert tracker.lost and tracker.value() is None


@pytest.mark.parametrize(("followed", "reading"), [(12, True), (2, False)])
def test_a_track_lost_late_in_the_turn_keeps_what_it_followed(
    followed: int, reading: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # This scene's five-point yaw peaks at 0.2 (a 68-point yaw of a turn reaches 0.4).
    monkeypatch.setattr(pad_cues, "MIN_TRACKED_TURN", 0.15)
    frames = _turn_frames("head")
    tracker = NoseParallax(frames[0][0], frames[0][1], Action.TURN_LEFT)
    for image, five in frames[1:followed]:
        tracker.update(image, five)
    tracker.update(np.zeros_like(frames[0][0]), frames[followed][1])  # lost here
    assert tracker.lost
    value = tracker.value()
    if reading:
        assert value is not None and value > 0.3  # as much as the whole turn gives
    else:
        assert value is None  # the turn had hardly begun: no evidence


# --- depth camera -------------------------------------------------------------------------------

IOD_PX = 70.0
MM_PER_IOD = 63.0


def _depth_frame(kind: str) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float64]]:
    ys, xs = np.mgrid[0:480, 0:640].astype(np.float64)
    u, v = (xs - 320) / IOD_PX, (ys - 240) / IOD_PX  # face coordinates, eyes at v = 0
    if kind == "head":
        surface = 1.5 * np.sqrt(np.clip(1 - (u / 1.4) ** 2 - ((v - 0.3) / 2.2) ** 2, 0.05, None))
        surface += 0.35 * np.exp(-((u / 0.18) ** 2) - (((v - 0.55) / 0.3) ** 2))  # the nose
    elif kind == "cylinder":
        surface = 1.4 * np.sqrt(np.clip(1 - (u / 1.4) ** 2, 0, None))
    else:
        surface = 0.2 * u  # a tilted sheet
    depth = (500.0 - surface * MM_PER_IOD).astype(np.float32)
    depth += np.random.default_rng(2).normal(0, 1.5, depth.shape).astype(np.float32)
    depth[np.random.default_rng(3).random(depth.shape) < 0.02] = 0.0  # no reading
    five = np.array([[-0.5, 0], [0.5, 0], [0, 0.55], [-0.4, 0.95], [0.4, 0.95]]) * IOD_PX
    return depth, five + np.array([320.0, 240.0])


def test_the_depth_camera_sees_a_nose_on_a_head_and_none_on_paper() -> None:
    head = depth_relief_mm(*_depth_frame("head"))
    assert head is not None and head > PAD.depth_relief_live_mm
    for kind in ("cylinder", "plane"):
        flat = depth_relief_mm(*_depth_frame(kind))
        assert flat is not None and flat < PAD.depth_relief_attack_mm


def test_a_depth_frame_without_readings_gives_no_cue() -> None:
    depth, five = _depth_frame("head")
    assert depth_relief_mm(np.zeros_like(depth), five) is None


# --- the score ----------------------------------------------------------------------------------


def test_deficit_runs_from_live_to_attack_in_either_direction() -> None:
    assert deficit(0.9, 0.85, 0.5) == 0.0
    assert deficit(0.5, 0.85, 0.5) == -1.0
    assert deficit(0.0, 0.85, 0.5) == -1.0
    assert deficit(0.675, 0.85, 0.5) == pytest.approx(-0.5)
    assert deficit(0.7, 0.85, 1.0) == 0.0  # shading: less is live
    assert deficit(1.2, 0.85, 1.0) == -1.0
    assert deficit(0.925, 0.85, 1.0) == pytest.approx(-0.5)


LIVE_LIGHT = IlluminationResult(timing=0.97, shading=0.7, gain=0.05, lag_s=0.1, frames=40)


def test_a_live_face_scores_zero_and_passes() -> None:
    score = pad_score(PAD, illumination=LIVE_LIGHT, parallax=0.12)
    assert score.score == 0.0 and score.passed
    assert set(score.values()) == {"timing", "shading", "parallax"}


def test_one_cue_at_the_attack_reference_fails_whatever_the_others_say() -> None:
    no_answer = IlluminationResult(timing=0.1, shading=1.0, gain=0.0, lag_s=0.0, frames=40)
    recording = pad_score(PAD, illumination=no_answer, parallax=0.3)
    assert not recording.passed
    assert "shading" not in recording.values()  # the shading of no answer means nothing
    flat = IlluminationResult(timing=0.97, shading=1.0, gain=0.05, lag_s=0.1, frames=40)
    assert not pad_score(PAD, illumination=flat, parallax=0.3).passed
    assert not pad_score(PAD, illumination=LIVE_LIGHT, parallax=0.0).passed


def test_two_half_deficits_fail_and_one_small_one_passes() -> None:
    halfway = (PAD.parallax_live + PAD.parallax_attack) / 2
    half_flat = IlluminationResult(timing=0.97, shading=(PAD.shading_live + 1.0) / 2,
                                   gain=0.05, lag_s=0.1, frames=40)
    assert not pad_score(PAD, illumination=half_flat, parallax=halfway).passed
    small = PAD.parallax_live - 0.2 * (PAD.parallax_live - PAD.parallax_attack)
    assert pad_score(PAD, illumination=LIVE_LIGHT, parallax=small).passed


def test_an_unverified_relief_is_never_part_of_a_pass() -> None:
    # Perfect light does not make up for a relief no turn could measure (a paper mask whose
    # tracks were all lost): no evidence is not half a pass.
    unverified = pad_score(PAD, illumination=LIVE_LIGHT, parallax=None)
    assert unverified.score == -1.0 and not unverified.passed
    # A depth camera that measured the relief is the evidence; the lost tracks then add nothing.
    with_depth = pad_score(PAD, illumination=LIVE_LIGHT, parallax=None, depth_relief_mm=15.0)
    assert with_depth.passed and "parallax" not in with_depth.values()


def test_a_depth_camera_adds_its_cue_and_a_nan_counts_as_an_attack() -> None:
    flat = pad_score(PAD, illumination=LIVE_LIGHT, parallax=0.12, depth_relief_mm=1.0)
    assert not flat.passed and flat.values()["depth_relief"] == 1.0
    broken = pad_score(PAD, illumination=LIVE_LIGHT, parallax=float("nan"))
    assert not broken.passed
