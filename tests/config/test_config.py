"""Loading the configuration: defaults, every kind of error, and the generated documentation."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest

from kiosk.config import (
    ConfigError,
    KioskConfig,
    docgen,
    load_config,
    parse_config,
    settings_in_effect,
)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "kiosk.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_a_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KIOSK_CONFIG", raising=False)
    config = load_config(None)
    assert config.flow.timeouts.auth_pin == 60.0
    assert config.card.reader == "auto"
    assert config.kiosk.data_dir.is_absolute()
    assert "~" not in str(config.kiosk.data_dir)
    assert config.log_dir == config.kiosk.data_dir / "logs"


def test_a_file_overrides_only_what_it_names(tmp_path: Path) -> None:
    config = load_config(
        write(
            tmp_path,
            """
[kiosk]
id = "store-0042"
[flow.timeouts]
auth_pin = 30
[backend]
ca_file = "tls/ca.pem"
[logging]
directory = "/var/log/kiosk"
""",
        )
    )
    assert config.kiosk.id == "store-0042"
    assert config.flow.timeouts.auth_pin == 30.0
    assert isinstance(config.flow.timeouts.auth_pin, float)
    assert config.flow.timeouts.new_pin == KioskConfig().flow.timeouts.new_pin
    assert config.backend.ca_file == tmp_path.resolve() / "tls" / "ca.pem"
    assert config.log_dir == Path("/var/log/kiosk")


def test_environment_variable_names_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KIOSK_CONFIG", str(write(tmp_path, '[kiosk]\nid = "from-env"\n')))
    assert load_config().kiosk.id == "from-env"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "[flow.timeouts]\nauth_pin = -3\n",
            "flow.timeouts.auth_pin: must be a positive number of seconds, got -3",
        ),
        ('[kiosk]\nlanguage = "fr"\n', "kiosk.language: must be one of 'ja', 'en', got 'fr'"),
        ('[kiosk]\nlarge_text = "yes"\n', "kiosk.large_text: must be true or false, got a string"),
        ("[camera]\nwidth = 640.5\n", "camera.width: must be a whole number, got a number 640.5"),
        ("[camera]\nwidth = 10\n", "camera.width: must be a whole number from 160 to 3840"),
        ("[camera]\nwidht = 800\n", "camera.widht: unknown setting (did you mean camera.width?)"),
        ("[cmaera]\nwidth = 800\n", "cmaera: unknown setting (did you mean camera?)"),
        ("camera = 3\n", "camera: must be a table [camera], got a whole number 3"),
        ('[backend]\nurl = "http://backend"\n', "backend.url: must be an https:// URL"),
        ("[backend]\nretries = true\n", "backend.retries: must be a whole number, got a boolean"),
        ('[backend]\nca_file = ""\n', "backend.ca_file: must be a path, got a string ''"),
        (
            '[maintenance]\nstaff_credential = "123456"\n',
            "maintenance.staff_credential: must be a hash made by `kiosk set-credential`",
        ),
        ("[metrics]\nport = 80\n", "metrics.port: must be a whole number from 1024 to 65535"),
        ('[camera]\nsource = "file"\n', "camera.file: must name a video file"),
        ("[flow.timeouts]\nauth_pin = nan\n", "flow.timeouts.auth_pin: must be a positive"),
    ],
)
def test_each_bad_setting_is_named(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, text))
    assert expected in str(caught.value)


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, '[kiosk]\nid = ""\n[card]\nreader = ""\n'))
    assert [p.split(":")[0] for p in caught.value.problems] == ["kiosk.id", "card.reader"]


def test_unreadable_and_corrupt_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "missing.toml")
    with pytest.raises(ConfigError, match="is a folder"):
        load_config(tmp_path)
    with pytest.raises(ConfigError, match=r"not valid TOML \(.*line 2"):
        load_config(write(tmp_path, "[kiosk]\nid = \n"))
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_config(binary)
    if os.geteuid() != 0:  # root reads anything
        locked = write(tmp_path, "")
        locked.chmod(0)
        with pytest.raises(ConfigError, match="cannot be read"):
            load_config(locked)


def test_secrets_are_not_shown_in_effect(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, '[maintenance]\nstaff_credential = "scrypt$abc"\n'))
    shown = settings_in_effect(config)
    assert shown["maintenance.staff_credential"] == "set"
    assert shown["maintenance.engineer_credential"] == "not set"
    assert "scrypt$abc" not in repr(shown)
    assert set(shown) == set(docgen.all_setting_names())


def test_documentation_is_current() -> None:
    assert docgen.DOC_PATH.read_text(encoding="utf-8") == docgen.render_markdown(), (
        "docs/configuration.md is stale: run python -m kiosk.config.docgen"
    )
    assert docgen.EXAMPLE_PATH.read_text(encoding="utf-8") == docgen.render_example(), (
        "deploy/kiosk.example.toml is stale: run python -m kiosk.config.docgen"
    )


def test_documentation_lists_every_setting_of_the_dataclasses() -> None:
    names: list[str] = []

    def walk(node: object, prefix: str) -> None:
        for field in dataclasses.fields(node):  # type: ignore[arg-type]
            value = getattr(node, field.name)
            if dataclasses.is_dataclass(value):
                walk(value, f"{prefix}{field.name}.")
            else:
                names.append(f"{prefix}{field.name}")

    walk(KioskConfig(), "")
    doc = docgen.DOC_PATH.read_text(encoding="utf-8")
    assert len(names) > 40
    for name in names:
        assert f"`{name}`" in doc, f"{name} is not documented"


def test_example_file_loads_to_the_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KIOSK_CONFIG", raising=False)
    assert load_config(docgen.EXAMPLE_PATH) == load_config(None)


def test_flow_section_feeds_the_flow_unchanged() -> None:
    """[flow] uses the flow's own step names and defaults, so the two cannot drift."""
    from kiosk.flow.config import FlowConfig

    config = load_config(docgen.EXAMPLE_PATH)
    built = FlowConfig.from_mapping(dataclasses.asdict(config.flow))
    assert built == FlowConfig()
    changed = parse_config(
        {"flow": {"timeouts": {"auth_pin": 45}, "face_attempts": 2}}, base_dir=Path.cwd()
    )
    built = FlowConfig.from_mapping(dataclasses.asdict(changed.flow))
    assert built.face_attempts == 2
    assert built.timeouts[next(s for s in built.timeouts if s.value == "auth_pin")] == 45.0


def test_the_message_quotes_the_value_as_written(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, "[flow.timeouts]\nauth_pin = -3\n"))
    assert caught.value.problems == [
        "flow.timeouts.auth_pin: must be a positive number of seconds, got -3"]
