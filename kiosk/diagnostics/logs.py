"""Reading the kiosk's log files (already redacted when written) with a filter.

``read_log(folder, min_level="WARNING", contains="pcsc", limit=200)`` returns the newest
matching lines, oldest first, from ``*.log`` files and their rotations (``*.log.1`` ... or
``*.log.YYYY-MM-DD``, as written by :mod:`kiosk.diagnostics.logging_setup`).
The level of a line is the first level word in it (``INFO``, ``WARNING`` ...) or a JSON
``"level"`` field; lines without one count as ``INFO``.
"""

from __future__ import annotations

import json
import re
from collections import deque
from dataclasses import dataclass
from pathlib import Path

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_LEVEL_WORD = re.compile(r"\b(DEBUG|INFO|WARNING|WARN|ERROR|CRITICAL)\b")
MAX_LINE_CHARS = 500
_ROTATED = re.compile(r"\.log(?:\.(\d+|\d{4}-\d{2}-\d{2}))?$")


@dataclass(frozen=True)
class LogLine:
    file: str
    level: str
    text: str


def log_files(folder: Path) -> list[Path]:
    """Log files, oldest first (rotations with higher numbers are older)."""
    if not folder.is_dir():
        return []
    files = [p for p in folder.iterdir() if p.is_file() and _ROTATED.search(p.name)]

    def age(path: Path) -> tuple[str, int, str]:
        suffix = _ROTATED.search(path.name)
        rotation = suffix.group(1) if suffix else None
        base = path.name.split(".log")[0]
        if rotation is None:
            return (base, 1, "")  # the current file is the newest
        if rotation.isdigit():
            return (base, 0, f"{10**9 - int(rotation):012d}")  # .log.2 is older than .log.1
        return (base, 0, rotation)  # dates sort as text

    return sorted(files, key=age)


def level_of(line: str) -> str:
    if line.startswith("{"):
        try:
            value = json.loads(line).get("level")
        except (ValueError, AttributeError):
            value = None
        if isinstance(value, str) and value.upper() in LEVELS:
            return value.upper()
    match = _LEVEL_WORD.search(line)
    if not match:
        return "INFO"
    word = match.group(1)
    return "WARNING" if word == "WARN" else word


def read_log(folder: Path, min_level: str = "DEBUG", contains: str = "",
             limit: int = 200) -> list[LogLine]:
    """The newest ``limit`` lines at ``min_level`` or above that contain ``contains``."""
    if min_level.upper() not in LEVELS:
        raise ValueError(f"min_level must be one of {', '.join(LEVELS)}")
    floor = LEVELS.index(min_level.upper())
    needle = contains.casefold()
    kept: deque[LogLine] = deque(maxlen=max(0, limit))
    for path in log_files(folder):
        try:
            with path.open(encoding="utf-8", errors="replace") as handle:
                for raw in handle:
                    line = raw.rstrip("\n")[:MAX_LINE_CHARS]
                    level = level_of(line)
                    if LEVELS.index(level) < floor or needle not in line.casefold():
                        continue
                    kept.append(LogLine(path.name, level, line))
        except OSError:
            continue
    return list(kept)
