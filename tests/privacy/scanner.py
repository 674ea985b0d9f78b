"""Looks for personal values and images in every byte a run left behind.

Each value is searched in the usual encodings: UTF-8/ASCII, UTF-16LE/BE, Shift_JIS and EUC-JP
(Japanese text), JSON ``\\uXXXX`` escapes, hex (either case), URL encoding and base64 (at all
three alignments; only for values of 6 bytes or more, shorter cores would match by chance).
Short all-digit values (4-digit PINs) must stand alone: a 4-digit PIN is found as a number,
not as four digits inside a timestamp or a hash. Images are found by their signatures
(JPEG, JPEG 2000 box and codestream, PNG), raw, hex and base64.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from kiosk.card_reader.era import to_era

IMAGE_SIGNATURES = {
    "JPEG": (b"\xff\xd8\xff\xe0", b"\xff\xd8\xff\xe1", b"\xff\xd8\xff\xdb", b"\xff\xd8\xff\xee"),
    "JPEG 2000 (JP2)": (b"\x00\x00\x00\x0cjP  \r\n\x87\n",),
    "JPEG 2000 (codestream)": (b"\xff\x4f\xff\x51",),
    "PNG": (b"\x89PNG\r\n\x1a\n",),
}


@dataclass(frozen=True)
class Finding:
    path: str
    what: str
    encoding: str
    offset: int

    def __str__(self) -> str:
        return f"{self.path}@{self.offset}: {self.what} ({self.encoding})"


@dataclass(frozen=True)
class Needle:
    what: str
    encoding: str
    pattern: re.Pattern[bytes]


def _base64_cores(value: bytes) -> Iterator[bytes]:
    for shift in range(3):
        encoded = base64.b64encode(b"\0" * shift + value)
        start = (shift * 4 + 2) // 3  # characters that depend on the padding before
        tail = (len(value) + shift) % 3
        end = len(encoded) - (0 if tail == 0 else 4)  # the last group depends on what follows
        core = encoded[start:end]
        if len(core) >= 6:
            yield core
            yield core.replace(b"+", b"-").replace(b"/", b"_")  # URL-safe alphabet


def _standalone(raw: bytes) -> re.Pattern[bytes]:
    return re.compile(rb"(?<![0-9])" + re.escape(raw) + rb"(?![0-9])")


def needles_for(what: str, value: str) -> list[Needle]:
    utf8 = value.encode("utf-8")
    short_number = value.isdigit() and len(value) < 8
    forms: dict[str, bytes] = {"utf-8": utf8, "utf-16le": value.encode("utf-16-le"),
                               "utf-16be": value.encode("utf-16-be")}
    if not value.isascii():  # ASCII is the same bytes in these
        for codec in ("shift_jis", "euc_jp"):
            with contextlib.suppress(UnicodeEncodeError):
                forms[codec] = value.encode(codec)
    if not value.isascii():
        escaped = "".join(c if c.isascii() else f"\\u{ord(c):04x}" for c in value)
        forms["json-escape"] = escaped.encode()
        forms["json-escape-upper"] = escaped.upper().replace("\\U", "\\u").encode()
        forms["url"] = quote(value).encode()
        forms["url-lower"] = quote(value).lower().encode()
    needles = []
    for encoding, raw in forms.items():
        pattern = _standalone(raw) if short_number and encoding == "utf-8" else re.compile(
            re.escape(raw)
        )
        needles.append(Needle(what, encoding, pattern))
    needles.append(Needle(what, "hex", re.compile(re.escape(utf8.hex().encode()), re.IGNORECASE)))
    for core in _base64_cores(utf8):
        needles.append(Needle(what, "base64", re.compile(re.escape(core))))
    if short_number:
        needles.append(Needle(what, "base64", re.compile(re.escape(base64.b64encode(utf8)))))
    return needles


def birth_date_forms(date: dt.date) -> dict[str, str]:
    era = to_era(date)
    return {
        "birth date YYYYMMDD": date.strftime("%Y%m%d"),
        "birth date YYYY-MM-DD": date.isoformat(),
        "birth date YYYY/MM/DD": date.strftime("%Y/%m/%d"),
        "birth date 年月日": f"{date.year}年{date.month}月{date.day}日",
        "birth date era": f"{era.era.kanji}{era.year}年{era.month}月{era.day}日",
        "birth date era (padded)": (
            f"{era.era.kanji}{era.year:02d}年{era.month:02d}月{era.day:02d}日"
        ),
    }


def image_needles() -> list[Needle]:
    needles = []
    for kind, signatures in IMAGE_SIGNATURES.items():
        for signature in signatures:
            needles.append(Needle(kind, "raw", re.compile(re.escape(signature))))
            needles.append(Needle(kind, "hex", re.compile(re.escape(signature.hex().encode()),
                                                          re.IGNORECASE)))
            if len(signature) >= 6:
                for core in _base64_cores(signature):
                    needles.append(Needle(kind, "base64", re.compile(re.escape(core))))
            else:  # short: only as the start of an encoded image
                start = base64.b64encode(signature)[: len(signature) * 4 // 3]
                needles.append(Needle(kind, "base64", re.compile(re.escape(start))))
    return needles


def scan_bytes(name: str, data: bytes, needles: Iterable[Needle]) -> list[Finding]:
    found = []
    for needle in needles:
        match = needle.pattern.search(data)
        if match is not None:
            found.append(Finding(name, needle.what, needle.encoding, match.start()))
    return found


def files_under(roots: Iterable[Path], skip: Iterable[Path] = ()) -> list[Path]:
    skipped = [path.resolve() for path in skip]
    found = []
    for root in roots:
        if root.is_file():
            candidates: Iterable[Path] = [root]
        else:
            candidates = (path for path in root.rglob("*") if path.is_file())
        for path in candidates:
            resolved = path.resolve()
            if any(resolved == s or s in resolved.parents for s in skipped):
                continue
            found.append(path)
    return sorted(set(found))


def scan_files(paths: Iterable[Path], needles: list[Needle]) -> list[Finding]:
    found = []
    for path in paths:
        try:
            data = path.read_bytes()
        except OSError:
            continue  # vanished meanwhile (another process's temp file)
        found.extend(scan_bytes(str(path), data, needles))
    return found
