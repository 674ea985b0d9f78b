"""Tesseract in this process, through its C API (Debian's ``libtesseract5``), one text line at
a time, with a confidence for every character.

Why not the ``tesseract`` program: each run loads the Japanese model again (0.2–0.7 s), which
leaves time for only two or three readings in the 3 s a resident should wait. Loaded once, a
line takes some tens of milliseconds, so many frames can be read and their evidence combined.
The picture is handed over as memory (never a file, not even a pipe); nothing is logged.

One ``LineRecogniser`` per language is kept for the process; a lock lets one thread use it at
a time (a Tesseract handle is not thread-safe).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import threading
import time
from dataclasses import dataclass

import numpy as np

__all__ = ["LineRecogniser", "OcrTimeoutError", "OcrUnavailableError", "Recognised",
           "recogniser"]


class OcrUnavailableError(Exception):
    """Tesseract or its language data is not installed, or it failed (no content quoted)."""


class OcrTimeoutError(OcrUnavailableError):
    """Tesseract took longer than allowed (a busy machine): this picture is not read."""


@dataclass(frozen=True, slots=True, repr=False)
class Recognised:
    """A line as read: its text (words joined by one space) and, for each character, how sure
    Tesseract was (0–100; a space gets the lower of its neighbours'). ``repr`` hides both."""

    text: str
    confidences: tuple[float, ...]

    def __repr__(self) -> str:
        return f"Recognised(<{len(self.text)} characters>)"


_PSM_SINGLE_LINE = 7
_RIL_WORD, _RIL_SYMBOL = 3, 4
_c_void = ctypes.c_void_p


def _load() -> ctypes.CDLL:
    # OpenMP threads inside Tesseract only fight the camera and the UI for the kiosk's cores
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    name = ctypes.util.find_library("tesseract")
    if name is None:
        raise OcrUnavailableError("libtesseract is not installed (Debian: tesseract-ocr)")
    try:
        lib = ctypes.CDLL(name)
    except OSError as error:
        raise OcrUnavailableError(f"libtesseract cannot be loaded: {type(error).__name__}"
                                  ) from None
    signatures: dict[str, tuple[object, list[object]]] = {
        "TessBaseAPICreate": (_c_void, []),
        "TessBaseAPIInit3": (ctypes.c_int, [_c_void, ctypes.c_char_p, ctypes.c_char_p]),
        "TessBaseAPISetVariable": (ctypes.c_int, [_c_void, ctypes.c_char_p, ctypes.c_char_p]),
        "TessBaseAPISetPageSegMode": (None, [_c_void, ctypes.c_int]),
        "TessBaseAPISetImage": (None, [_c_void, ctypes.c_void_p, ctypes.c_int, ctypes.c_int,
                                       ctypes.c_int, ctypes.c_int]),
        "TessBaseAPISetSourceResolution": (None, [_c_void, ctypes.c_int]),
        "TessBaseAPIRecognize": (ctypes.c_int, [_c_void, _c_void]),
        "TessBaseAPIGetIterator": (_c_void, [_c_void]),
        "TessBaseAPIClear": (None, [_c_void]),
        "TessBaseAPIEnd": (None, [_c_void]),
        "TessBaseAPIDelete": (None, [_c_void]),
        "TessResultIteratorDelete": (None, [_c_void]),
        "TessResultIteratorNext": (ctypes.c_int, [_c_void, ctypes.c_int]),
        "TessResultIteratorGetUTF8Text": (_c_void, [_c_void, ctypes.c_int]),
        "TessResultIteratorConfidence": (ctypes.c_float, [_c_void, ctypes.c_int]),
        "TessResultIteratorGetPageIterator": (_c_void, [_c_void]),
        "TessPageIteratorIsAtBeginningOf": (ctypes.c_int, [_c_void, ctypes.c_int]),
        "TessDeleteText": (None, [_c_void]),
        "TessMonitorCreate": (_c_void, []),
        "TessMonitorDelete": (None, [_c_void]),
        "TessMonitorSetDeadlineMSecs": (None, [_c_void, ctypes.c_int]),
    }
    for function, (restype, argtypes) in signatures.items():
        try:
            entry = getattr(lib, function)
        except AttributeError:
            raise OcrUnavailableError(f"libtesseract lacks {function}") from None
        entry.restype = restype
        entry.argtypes = argtypes
    return lib


class LineRecogniser:
    """One Tesseract handle for ``lang``; ``read_line`` recognises one line of text."""

    def __init__(self, lang: str) -> None:
        self._lib = _load()
        self._lock = threading.Lock()
        handle = self._lib.TessBaseAPICreate()
        if not handle:
            raise OcrUnavailableError("Tesseract could not be started")
        # None: Debian's data folder (or TESSDATA_PREFIX); a missing model fails here
        if self._lib.TessBaseAPIInit3(handle, None, lang.encode("ascii")) != 0:
            self._lib.TessBaseAPIDelete(handle)
            raise OcrUnavailableError(f"Tesseract has no {lang!r} data "
                                      f"(Debian: tesseract-ocr-{lang})")
        self._handle: int | None = handle
        self._set("debug_file", "/dev/null")

    def _set(self, name: str, value: str) -> None:
        if not self._lib.TessBaseAPISetVariable(self._handle, name.encode(), value.encode()):
            raise OcrUnavailableError(f"Tesseract refused the setting {name}")

    def read_line(self, image: np.ndarray, *, whitelist: str = "", timeout: float = 2.0,
                  dpi: int = 300) -> Recognised:
        """The text of ``image`` (grey ``uint8``, one line), only characters of ``whitelist``
        (all when empty). Raises ``OcrTimeoutError`` past ``timeout`` seconds."""
        if image.ndim != 2 or image.dtype != np.uint8 or min(image.shape) < 8:
            raise ValueError("a line image is a grey uint8 array of at least 8 x 8 pixels")
        pixels = np.ascontiguousarray(image)
        height, width = pixels.shape
        with self._lock:
            if self._handle is None:
                raise OcrUnavailableError("this recogniser was closed")
            lib, handle = self._lib, self._handle
            self._set("tessedit_char_whitelist", whitelist)
            lib.TessBaseAPISetPageSegMode(handle, _PSM_SINGLE_LINE)
            lib.TessBaseAPISetImage(handle, pixels.ctypes.data, width, height, 1, width)
            lib.TessBaseAPISetSourceResolution(handle, dpi)
            monitor = lib.TessMonitorCreate()
            lib.TessMonitorSetDeadlineMSecs(monitor, max(1, int(timeout * 1000)))
            start = time.monotonic()
            try:
                status = lib.TessBaseAPIRecognize(handle, monitor)
                if time.monotonic() - start > timeout:
                    raise OcrTimeoutError(f"Tesseract took more than {timeout:g} s")
                if status != 0:
                    raise OcrUnavailableError(f"Tesseract failed ({status})")
                return self._symbols()
            finally:
                lib.TessMonitorDelete(monitor)
                lib.TessBaseAPIClear(handle)

    def _symbols(self) -> Recognised:
        lib = self._lib
        iterator = lib.TessBaseAPIGetIterator(self._handle)
        if not iterator:
            return Recognised("", ())
        text: list[str] = []
        confidences: list[float] = []
        page = lib.TessResultIteratorGetPageIterator(iterator)
        try:
            while True:
                pointer = lib.TessResultIteratorGetUTF8Text(iterator, _RIL_SYMBOL)
                if pointer:
                    symbol = ctypes.string_at(pointer).decode("utf-8", "replace")
                    lib.TessDeleteText(pointer)
                    confidence = float(lib.TessResultIteratorConfidence(iterator, _RIL_SYMBOL))
                    if text and lib.TessPageIteratorIsAtBeginningOf(page, _RIL_WORD):
                        text.append(" ")
                        confidences.append(min(confidences[-1], confidence))
                    text.append(symbol)
                    confidences.extend([confidence] * len(symbol))
                if not lib.TessResultIteratorNext(iterator, _RIL_SYMBOL):
                    break
        finally:
            lib.TessResultIteratorDelete(iterator)
        return Recognised("".join(text), tuple(confidences))

    def close(self) -> None:
        with self._lock:
            if self._handle is not None:
                self._lib.TessBaseAPIEnd(self._handle)
                self._lib.TessBaseAPIDelete(self._handle)
                self._handle = None


_recognisers: dict[str, LineRecogniser] = {}
_recognisers_lock = threading.Lock()


def recogniser(lang: str = "jpn") -> LineRecogniser:
    """The process's recogniser for ``lang`` (loaded on first use: about 0.2 s)."""
    with _recognisers_lock:
        found = _recognisers.get(lang)
        if found is None:
            found = _recognisers[lang] = LineRecogniser(lang)
        return found
