"""The card file: everything one virtual card holds, as JSON, written atomically.

Layout (version 1; see docs/card-profile.md §5):
``{"format": "kiosk-testbed-card/1", "card_id": hex, "admin": {"k_enc": hex, "k_mac": hex},
"keys": {"auth": PEM, "sign": PEM | null, "chip": PEM},
"files": {"jpki/000A": base64, ...}, "pins": {"jpki/0018": {"value": str, "tries_left": int}}}``

It holds PINs and test persons' data in the clear: it is a test artefact, kept only in test
folders, never in the repository.
"""

from __future__ import annotations

import base64
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk_testbed.card.layout import PIN_RULES, Ap

FORMAT = "kiosk-testbed-card/1"


class CardFileError(ValueError):
    """The card file is missing, unreadable or not a valid card (never quotes its content)."""


@dataclass(slots=True)
class PinState:
    value: str
    tries_left: int

    def __repr__(self) -> str:
        return f"PinState(<redacted>, tries_left={self.tries_left})"


@dataclass(slots=True)
class CardFile:
    card_id: bytes
    k_enc: bytes
    k_mac: bytes
    auth_key_pem: bytes
    sign_key_pem: bytes | None
    chip_key_pem: bytes
    files: dict[tuple[Ap, int], bytes]
    pins: dict[tuple[Ap, int], PinState]

    def __repr__(self) -> str:
        return f"CardFile(card_id={self.card_id.hex()})"

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "card_id": self.card_id.hex(),
            "admin": {"k_enc": self.k_enc.hex(), "k_mac": self.k_mac.hex()},
            "keys": {
                "auth": self.auth_key_pem.decode(),
                "sign": self.sign_key_pem.decode() if self.sign_key_pem else None,
                "chip": self.chip_key_pem.decode(),
            },
            "files": {
                _key(ap, fid): base64.b64encode(data).decode()
                for (ap, fid), data in sorted(self.files.items())
            },
            "pins": {
                _key(ap, fid): {"value": pin.value, "tries_left": pin.tries_left}
                for (ap, fid), pin in sorted(self.pins.items())
            },
        }

    @classmethod
    def from_json(cls, doc: Any) -> CardFile:
        try:
            if not isinstance(doc, dict) or doc.get("format") != FORMAT:
                raise CardFileError(f"not a card file of format {FORMAT}")
            keys = doc["keys"]
            sign = keys.get("sign")
            card = cls(
                card_id=bytes.fromhex(doc["card_id"]),
                k_enc=bytes.fromhex(doc["admin"]["k_enc"]),
                k_mac=bytes.fromhex(doc["admin"]["k_mac"]),
                auth_key_pem=keys["auth"].encode(),
                sign_key_pem=sign.encode() if sign else None,
                chip_key_pem=keys["chip"].encode(),
                files={
                    _parse_key(name): base64.b64decode(data, validate=True)
                    for name, data in doc["files"].items()
                },
                pins={
                    _parse_key(name): PinState(str(pin["value"]), int(pin["tries_left"]))
                    for name, pin in doc["pins"].items()
                },
            )
        except CardFileError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise CardFileError(f"card file is malformed ({type(error).__name__})") from None
        if len(card.k_enc) != 16 or len(card.k_mac) != 16 or not card.card_id:
            raise CardFileError("card file has bad admin keys or card id")
        for ref, pin in card.pins.items():
            rule = PIN_RULES.get(ref)
            if rule is None or not 0 <= pin.tries_left <= rule.max_tries:
                raise CardFileError(f"card file has a bad PIN entry {_key(*ref)}")
        return card


def _key(ap: Ap, fid: int) -> str:
    return f"{ap.value}/{fid:04X}"


def _parse_key(name: str) -> tuple[Ap, int]:
    ap, _, fid = name.partition("/")
    if len(fid) != 4:
        raise CardFileError(f"bad EF name {name!r}")
    return Ap(ap), int(fid, 16)


def load_card_file(path: Path) -> CardFile:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise CardFileError(f"cannot read card file {path}: {error.strerror}") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError:
        raise CardFileError(f"card file {path} is not JSON") from None
    return CardFile.from_json(doc)


def save_card_file(card: CardFile, path: Path) -> None:
    """Write atomically: a temp file in the same folder, fsync, then os.replace."""
    data = json.dumps(card.to_json(), ensure_ascii=False, indent=1).encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
