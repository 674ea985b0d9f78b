"""How a setting is declared: a dataclass field with a default, a one-line doc and a check.

Every section of the configuration is a frozen dataclass whose fields are made with
:func:`setting`. The loader, the generated documentation and the example file all read the
same declarations, so a setting cannot exist without a default, a description and validation.

Checks take the already type-checked value and return an error text (``"must be ..."``) or
``None``. The loader prefixes the text with the setting's dotted name.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable, Sequence
from typing import Any

Check = Callable[[Any], str | None]

DOC_KEY = "kiosk.doc"
CHECK_KEY = "kiosk.check"
SECRET_KEY = "kiosk.secret"  # noqa: S105 (a metadata key, not a secret)


def setting(default: Any, doc: str, check: Check | None = None, *, secret: bool = False) -> Any:
    """Declare one setting: its default, what it does (one sentence), and its check.

    ``secret`` marks a value that the "configuration in effect" view must not show (it is
    shown as set / not set).
    """
    return dataclasses.field(
        default=default, metadata={DOC_KEY: doc, CHECK_KEY: check, SECRET_KEY: secret}
    )


def section(factory: Callable[[], Any], doc: str) -> Any:
    """Declare a nested section (a table in TOML) made of settings."""
    return dataclasses.field(default_factory=factory, metadata={DOC_KEY: doc})


# --- checks -----------------------------------------------------------------------------------


def shown(value: Any) -> str:
    """A value as the file would spell it (``-3``, not ``-3.0``)."""
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return str(int(value))
    return repr(value)


def positive_seconds(value: float) -> str | None:
    if not math.isfinite(value) or value <= 0:
        return f"must be a positive number of seconds, got {shown(value)}"
    return None


def non_negative_seconds(value: float) -> str | None:
    if not math.isfinite(value) or value < 0:
        return f"must be zero or a positive number of seconds, got {shown(value)}"
    return None


def int_range(low: int, high: int) -> Check:
    def check(value: int) -> str | None:
        if not low <= value <= high:
            return f"must be a whole number from {low} to {high}, got {value!r}"
        return None

    return check


def float_range(low: float, high: float) -> Check:
    def check(value: float) -> str | None:
        if not (math.isfinite(value) and low <= value <= high):
            return f"must be a number from {low} to {high}, got {shown(value)}"
        return None

    return check


def one_of(choices: Sequence[str]) -> Check:
    def check(value: str) -> str | None:
        if value not in choices:
            listed = ", ".join(repr(choice) for choice in choices)
            return f"must be one of {listed}, got {value!r}"
        return None

    return check


def matches(pattern: str, what: str) -> Check:
    compiled = re.compile(pattern)

    def check(value: str) -> str | None:
        if not compiled.fullmatch(value):
            return f"must be {what}, got {value!r}"
        return None

    return check


def non_empty(value: str) -> str | None:
    if not value.strip():
        return "must not be empty"
    return None


def credential_hash(value: str) -> str | None:
    # Empty means "not set yet"; the format itself is checked by kiosk.maintenance.credentials.
    if value and not value.startswith("scrypt$"):
        return "must be a hash made by `kiosk set-credential` (starting 'scrypt$'), or empty"
    return None


def https_url(value: str) -> str | None:
    if not re.fullmatch(r"https://[^\s/?#]+(:\d{1,5})?(/[^\s]*)?", value):
        return f"must be an https:// URL, got {value!r}"
    return None
