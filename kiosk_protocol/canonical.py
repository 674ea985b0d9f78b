"""Canonical JSON: the exact bytes that are signed or hashed.

Sorted keys, no insignificant white space, UTF-8, no floating-point numbers (their text
form differs between implementations), no NaN. Two parties that build the same object
get the same bytes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from kiosk_protocol.errors import MessageError

JsonValue = str | int | bool | None | Sequence["JsonValue"] | Mapping[str, "JsonValue"]


def _check(value: object, where: str) -> None:
    if value is None or isinstance(value, str | bool | int):
        return
    if isinstance(value, float):
        raise MessageError(f"{where}: floating-point numbers are not allowed in signed data")
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise MessageError(f"{where}: object keys must be strings")
            _check(item, f"{where}.{key}")
        return
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _check(item, f"{where}[{index}]")
        return
    raise MessageError(f"{where}: {type(value).__name__} cannot be encoded")


def canonical_json(value: Mapping[str, JsonValue]) -> bytes:
    """The canonical UTF-8 bytes of a JSON object."""
    _check(value, "$")
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")
