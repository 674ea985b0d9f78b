"""Changing one string setting in a configuration file in place, keeping everything else.

Used by ``kiosk set-credential``. It handles files in the shape of the example (``[table]``
headers with ``key = value`` lines); after writing, the file is loaded again and, if it does not
give the new value (an unusual layout) or does not validate, the old file is put back and
:class:`ConfigError` says what line to add by hand.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path

from kiosk.config.loader import ConfigError, load_config, settings_in_effect

_HEADER = re.compile(r"^\s*\[\s*([A-Za-z0-9_.\-]+)\s*\]\s*(#.*)?$")


def set_string_setting(path: Path, table: str, key: str, value: str,
                       *, secret: bool = False) -> None:
    """Set ``[table] key = "value"`` in ``path`` (created if missing), atomically."""
    old = path.read_text(encoding="utf-8") if path.exists() else None
    assignment = f"{key} = {json.dumps(value)}"
    new = _edited(old or "", table, key, assignment)
    _write(path, new)
    try:
        config = load_config(path)
        effective = settings_in_effect(config)[f"{table}.{key}"]
        if effective != ("set" if secret else value) or (secret and not value):
            raise ConfigError(f"{table}.{key}: the file's layout kept the new value out")
    except ConfigError as error:
        if old is None:
            path.unlink(missing_ok=True)
        else:
            _write(path, old)
        raise ConfigError(
            f"{path}: could not be updated automatically ({error}); add this line under "
            f"[{table}] by hand: {assignment}"
        ) from None


def _edited(text: str, table: str, key: str, assignment: str) -> str:
    lines = text.splitlines()
    key_line = re.compile(rf"^\s*{re.escape(key)}\s*=")
    start = None
    for index, line in enumerate(lines):
        header = _HEADER.match(line)
        if header and header.group(1) == table:
            start = index
            break
    if start is None:
        lines += (["", f"[{table}]"] if lines else [f"[{table}]"]) + [assignment]
        return "\n".join(lines) + "\n"
    end = len(lines)
    for index in range(start + 1, len(lines)):
        if lines[index].lstrip().startswith("["):
            end = index
            break
    for index in range(start + 1, end):
        if key_line.match(lines[index]):
            lines[index] = assignment
            return "\n".join(lines) + "\n"
    lines.insert(start + 1, assignment)
    return "\n".join(lines) + "\n"


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    old = path.stat() if path.exists() else None
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        # Keep mode and owner (e.g. root:kiosk 0640), so the kiosk can still read its file.
        os.chmod(temporary, old.st_mode & 0o777 if old else 0o640)
        if old is not None and os.geteuid() == 0:
            os.chown(temporary, old.st_uid, old.st_gid)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
