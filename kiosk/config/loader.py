"""Reading and validating the configuration file.

``load_config(path)`` returns a :class:`KioskConfig` or raises :class:`ConfigError` whose text
names each bad setting (``flow.timeouts.auth_pin: must be a positive number of seconds, got
-3``). Which file: the ``path`` given; else ``$KIOSK_CONFIG``; else ``/etc/kiosk/kiosk.toml``
if it exists; else the embedded defaults (``load_config(None)`` with neither present).
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import tomllib
import types
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypeVar

from kiosk.config.model import KioskConfig
from kiosk.config.schema import CHECK_KEY, SECRET_KEY

SYSTEM_CONFIG = Path("/etc/kiosk/kiosk.toml")
CONFIG_ENV = "KIOSK_CONFIG"

T = TypeVar("T")


class ConfigError(Exception):
    """The configuration cannot be used; ``problems`` lists one text per bad setting."""

    def __init__(self, problems: list[str] | str) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


def config_path(path: Path | str | None = None) -> Path | None:
    """The file :func:`load_config` would read for ``path``, or ``None`` for the defaults."""
    if path is not None:
        return Path(path)
    from_env = os.environ.get(CONFIG_ENV)
    if from_env:
        return Path(from_env)
    return SYSTEM_CONFIG if SYSTEM_CONFIG.exists() else None


def load_config(path: Path | str | None = None) -> KioskConfig:
    """Read, validate and return the configuration (see the module docstring for which file)."""
    chosen = config_path(path)
    if chosen is None:
        return parse_config({}, base_dir=Path.cwd())
    try:
        raw = chosen.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"configuration file {chosen}: not found") from None
    except IsADirectoryError:
        raise ConfigError(f"configuration file {chosen}: is a folder, not a file") from None
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise ConfigError(f"configuration file {chosen}: cannot be read ({reason})") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"configuration file {chosen}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"configuration file {chosen}: not valid TOML ({error})") from None
    except RecursionError:
        raise ConfigError(f"configuration file {chosen}: nested too deeply") from None
    return parse_config(data, base_dir=chosen.resolve().parent)


def parse_config(data: dict[str, Any], base_dir: Path) -> KioskConfig:
    """Validate a parsed TOML document; relative paths are taken relative to ``base_dir``."""
    problems: list[str] = []
    config = _build(KioskConfig, data, "", base_dir, problems)
    if not problems:
        problems.extend(_cross_checks(config))
    if problems:
        raise ConfigError(problems)
    return config


def _build(cls: type[T], data: dict[str, Any], prefix: str, base_dir: Path,
           problems: list[str]) -> T:
    hints = typing.get_type_hints(cls)
    fields = {field.name: field for field in dataclasses.fields(cls)}  # type: ignore[arg-type]
    for key in data:
        if key not in fields:
            close = difflib.get_close_matches(key, fields, n=1)
            hint = f" (did you mean {prefix}{close[0]}?)" if close else ""
            problems.append(f"{prefix}{key}: unknown setting{hint}")
    values: dict[str, Any] = {}
    for name, field in fields.items():
        dotted = f"{prefix}{name}"
        kind = hints[name]
        if dataclasses.is_dataclass(kind):
            sub = data.get(name, {})
            if not isinstance(sub, dict):
                problems.append(f"{dotted}: must be a table [{dotted}], got {_toml_type(sub)}")
                sub = {}
            values[name] = _build(kind, sub, dotted + ".", base_dir, problems)  # type: ignore[arg-type]
            continue
        given = name in data
        raw = data[name] if given else field.default
        try:
            value = _convert(kind, raw, base_dir if given else Path.cwd())
        except ValueError as error:
            problems.append(f"{dotted}: {error}")
            continue
        check = field.metadata.get(CHECK_KEY)
        message = check(value) if check is not None and value is not None else None
        if message:
            problems.append(f"{dotted}: {message}")
            continue
        values[name] = value
    if len(values) != len(fields):
        return cls()  # placeholder; the problems list already makes parse_config fail
    return cls(**values)


def _convert(kind: Any, raw: Any, base_dir: Path) -> Any:
    optional = isinstance(kind, types.UnionType) and type(None) in typing.get_args(kind)
    if optional:
        (kind,) = (arg for arg in typing.get_args(kind) if arg is not type(None))
        if raw is None or raw == "":
            return None
    if kind is bool:
        if not isinstance(raw, bool):
            raise ValueError(f"must be true or false, got {_toml_type(raw)}")
        return raw
    if kind is int:
        if isinstance(raw, bool) or not isinstance(raw, int):
            raise ValueError(f"must be a whole number, got {_toml_type(raw)}")
        return raw
    if kind is float:
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            raise ValueError(f"must be a number, got {_toml_type(raw)}")
        return float(raw)
    if kind is str:
        if not isinstance(raw, str):
            raise ValueError(f"must be a string, got {_toml_type(raw)}")
        return raw
    if kind is Path:
        if isinstance(raw, Path):
            raw = str(raw)
        if not isinstance(raw, str) or not raw.strip():
            raise ValueError(f"must be a path, got {_toml_type(raw)}")
        if "\0" in raw:
            raise ValueError("must be a path, got a string with a NUL character")
        path = Path(raw).expanduser()
        return path if path.is_absolute() else base_dir / path
    raise TypeError(f"unsupported setting type {kind!r}")  # a programming error in model.py


def _toml_type(value: Any) -> str:
    names = {bool: "a boolean", int: "a whole number", float: "a number", str: "a string",
             list: "an array", dict: "a table"}
    for python_type, name in names.items():
        if type(value) is python_type:
            shown = repr(value) if python_type in (int, float, str, bool) else ""
            return f"{name} {shown}".rstrip()
    return f"a {type(value).__name__}"


def _cross_checks(config: KioskConfig) -> Iterator[str]:
    if config.camera.source == "file" and config.camera.file is None:
        yield 'camera.file: must name a video file when camera.source is "file"'
    if config.maintenance.lockout_max < config.maintenance.lockout_base:
        yield "maintenance.lockout_max: must not be shorter than maintenance.lockout_base"


def settings_in_effect(config: KioskConfig) -> dict[str, str | int | float | bool]:
    """Every setting by dotted name, as plain values; secrets show only "set" / "not set"."""
    result: dict[str, str | int | float | bool] = {}

    def walk(node: Any, prefix: str) -> None:
        for field in dataclasses.fields(node):
            value = getattr(node, field.name)
            dotted = f"{prefix}{field.name}"
            if dataclasses.is_dataclass(value):
                walk(value, dotted + ".")
            elif field.metadata.get(SECRET_KEY):
                result[dotted] = "set" if value else "not set"
            elif value is None:
                result[dotted] = ""
            elif isinstance(value, Path):
                result[dotted] = str(value)
            else:
                result[dotted] = value

    walk(config, "")
    return result
