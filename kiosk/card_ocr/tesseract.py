"""Tesseract through its command line, the image on standard input (never a file)."""

from __future__ import annotations

import shutil
import subprocess

import cv2
import numpy as np


class OcrUnavailableError(Exception):
    """Tesseract or its Japanese data is not installed, or it failed (no content quoted)."""


class OcrTimeoutError(OcrUnavailableError):
    """Tesseract took longer than allowed (a busy machine): this picture is not read."""


def recognise(image: np.ndarray, *, lang: str = "jpn", psm: int = 6,
              whitelist: str | None = None, timeout: float = 5.0) -> str:
    """The text Tesseract reads in ``image`` (grey or BGR ``uint8``)."""
    program = shutil.which("tesseract")
    if program is None:
        raise OcrUnavailableError("tesseract is not installed (Debian: tesseract-ocr)")
    ok, png = cv2.imencode(".png", image)
    if not ok:
        raise OcrUnavailableError("the image could not be encoded")
    command = [program, "stdin", "stdout", "-l", lang, "--psm", str(psm),
               "-c", "debug_file=/dev/null"]
    if whitelist:
        command += ["-c", f"tessedit_char_whitelist={whitelist}"]
    try:
        done = subprocess.run(  # noqa: S603 - Debian's tesseract, fixed arguments
            command, input=png.tobytes(), capture_output=True, timeout=timeout, check=False,
            env={"OMP_THREAD_LIMIT": "1", "PATH": "/usr/bin:/bin"},
        )
    except subprocess.TimeoutExpired:
        raise OcrTimeoutError(f"tesseract took more than {timeout:g} s") from None
    except OSError as error:
        raise OcrUnavailableError(f"tesseract failed: {type(error).__name__}") from None
    if done.returncode != 0:
        # stderr names missing language data, never the image's content
        reason = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
        raise OcrUnavailableError(f"tesseract exited with {done.returncode}: {reason[0][:120]}")
    return done.stdout.decode("utf-8", "replace")
