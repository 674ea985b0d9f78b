"""Configuration files on hostile input: the kiosk's TOML (``kiosk.config.load_config``), the
server's policy file (``Policy.load``), the face-matching settings (``kiosk.face_match.config``)
and the maintenance state files (``read_json``). Arbitrary bytes, arbitrary TOML, and TOML
made of the real setting names with wrong values. Only the documented error escapes.

The findings (deep nesting, non-UTF-8 policy file), since fixed, are regression tests at the end."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.config import ConfigError, KioskConfig, load_config
from kiosk.face_match.config import FaceConfig, FaceConfigError
from kiosk.face_match.config import parse_config as parse_face_config
from kiosk.maintenance.persist import read_json
from kiosk_backend.policy import Policy, PolicyError
from tests.hostile.budget import bounded, hostile

# --- a small TOML writer for generated documents ---------------------------------------------


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    assert isinstance(value, dict)
    return "{" + ", ".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in value.items()) + "}"


def toml_document(tables: dict[str, dict[str, Any]], top: dict[str, Any]) -> str:
    lines = [f"{json.dumps(key)} = {toml_value(value)}" for key, value in top.items()]
    for name, table in tables.items():
        lines.append(f"[{name}]")
        lines.extend(f"{json.dumps(key)} = {toml_value(value)}" for key, value in table.items())
    return "\n".join(lines) + "\n"


toml_scalars = st.one_of(
    st.booleans(),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(),
    st.text(max_size=30),
    st.sampled_from(
        [
            "",
            " ",
            "~",
            "/",
            "\x00",
            "https://",
            "https://h:99999",
            "scrypt$",
            "../../etc/passwd",
            "device",
            "file",
            "synthetic",
            "ja",
            "en",
            "DEBUG",
            "25:00-26:00",
            "09:00-17:00",
            "auto",
        ]
    ),
)
toml_values = st.recursive(
    toml_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)


Sections = dict[str, dict[str, Any]]  # section -> setting name -> default value


def _sections(instance: Any, prefix: str = "") -> Sections:
    """Every table of a settings dataclass with its settings' defaults."""
    sections: Sections = {}
    own: dict[str, Any] = {}
    for field in dataclasses.fields(instance):
        value = getattr(instance, field.name)
        if dataclasses.is_dataclass(value):
            sections.update(_sections(value, f"{prefix}{field.name}."))
        else:
            own[field.name] = value
    if own:
        sections[prefix.rstrip(".") or "policy"] = own
    return sections


KIOSK_SECTIONS = _sections(KioskConfig())
POLICY_SECTIONS = _sections(Policy())
FACE_SECTIONS = _sections(FaceConfig())


def typed_near(default: Any) -> st.SearchStrategy[Any]:
    """Values of the setting's own type, in and out of range (most documents then get past
    the type checks and reach the range and cross checks)."""
    if isinstance(default, bool):
        return st.booleans()
    if isinstance(default, int):
        return st.one_of(st.integers(-5, 100_000), st.just(default))
    if isinstance(default, float):
        return st.one_of(
            st.floats(-10, 1e6),
            st.integers(-5, 100_000),
            st.just(default),
            st.sampled_from([math.inf, math.nan, 0.0]),
        )
    if isinstance(default, str):
        return st.one_of(st.just(default), toml_scalars.filter(lambda v: isinstance(v, str)))
    return st.one_of(st.just(str(default or "")), st.text(max_size=20))  # paths


@st.composite
def schema_documents(draw: st.DrawFn, sections: Sections) -> str:
    """Real section and setting names (and a few unknown ones) with typed or arbitrary
    values."""
    tables: dict[str, dict[str, Any]] = {}
    for section in draw(st.lists(st.sampled_from(sorted(sections)), max_size=4, unique=True)):
        defaults = sections[section]
        names = [*defaults, "unknown_" + section.replace(".", "_")]
        chosen = draw(st.lists(st.sampled_from(names), min_size=1, max_size=4, unique=True))
        tables[section] = {
            name: draw(
                typed_near(defaults[name])
                if name in defaults and draw(st.booleans())
                else toml_values
            )
            for name in chosen
        }
    top = draw(
        st.dictionaries(
            st.sampled_from([*sorted({s.split(".")[0] for s in sections}), "stray"]),
            toml_scalars,
            max_size=1,
        )
    )
    return toml_document(tables, top)


arbitrary_text = st.one_of(
    st.text(max_size=300), st.binary(max_size=300).map(lambda raw: raw.decode("latin-1"))
)


def write(tmp_path: Path, content: str | bytes) -> Path:
    path = tmp_path / "file.toml"
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return path


# --- kiosk configuration -------------------------------------------------------------------


@hostile(300)
@given(content=st.one_of(st.binary(max_size=300), arbitrary_text, schema_documents(KIOSK_SECTIONS)))
def test_kiosk_configuration(
    tmp_path_factory: pytest.TempPathFactory, content: str | bytes
) -> None:
    path = write(tmp_path_factory.mktemp("kiosk-config"), content)
    with bounded("config: kiosk TOML (load_config)"):
        try:
            config = load_config(path)
        except ConfigError as error:
            assert error.problems and all(problem.strip() for problem in error.problems)
            return
    assert isinstance(config, KioskConfig)


# --- server policy -------------------------------------------------------------------------


@hostile(300)
@given(content=st.one_of(arbitrary_text, schema_documents(POLICY_SECTIONS)))
def test_policy_file(tmp_path_factory: pytest.TempPathFactory, content: str) -> None:
    path = write(tmp_path_factory.mktemp("policy"), content)
    with bounded("config: server policy TOML (Policy.load)"):
        try:
            policy = Policy.load(path)
        except PolicyError:
            return
    assert all(
        value >= 0
        for value in dataclasses.asdict(policy).values()
        if isinstance(value, int) and not isinstance(value, bool)
    )


# --- face-matching settings ----------------------------------------------------------------


@hostile(300)
@given(content=st.one_of(arbitrary_text, schema_documents(FACE_SECTIONS)))
def test_face_settings(content: str) -> None:
    with bounded("config: face settings TOML (face_match.config.parse_config)"):
        try:
            settings = parse_face_config(content)
        except FaceConfigError:
            return
    assert isinstance(settings, FaceConfig)


# --- maintenance state files ---------------------------------------------------------------


@hostile(200)
@given(content=st.one_of(st.binary(max_size=200), st.text(max_size=200)))
def test_maintenance_state_file(
    tmp_path_factory: pytest.TempPathFactory, content: str | bytes
) -> None:
    path = tmp_path_factory.mktemp("state") / "lockout.json"
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    with bounded("config: maintenance state JSON (read_json)"):
        result = read_json(path)
    assert result is None or isinstance(result, dict)


# --- findings of the hostile-input work, fixed: regression tests ----------------------------

DEEP_TOML = "a = " + "[" * 5000
DEEP_JSON = "[" * 5000


def test_deeply_nested_kiosk_configuration(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        load_config(write(tmp_path, DEEP_TOML))


def test_deeply_nested_policy_file(tmp_path: Path) -> None:
    with pytest.raises(PolicyError):
        Policy.load(write(tmp_path, "[policy]\n" + DEEP_TOML))


def test_policy_file_that_is_not_utf8(tmp_path: Path) -> None:
    with pytest.raises(PolicyError):
        Policy.load(write(tmp_path, b'[policy]\nservice_hours = "\xff"\n'))


def test_deeply_nested_face_settings() -> None:
    with pytest.raises(FaceConfigError):
        parse_face_config(DEEP_TOML)


def test_deeply_nested_state_file(tmp_path: Path) -> None:
    path = tmp_path / "lockout.json"
    path.write_text(DEEP_JSON)
    assert read_json(path) is None
