"""The kiosk's configuration: one TOML file, every setting typed, defaulted and validated.

Use::

    from kiosk.config import ConfigError, KioskConfig, load_config

    config = load_config(path_or_none)     # raises ConfigError naming each bad setting
    config.flow.timeouts.auth_pin          # 60.0
    config.log_dir                          # logging.directory or <kiosk.data_dir>/logs

Settings are declared once in :mod:`kiosk.config.model`; ``docs/configuration.md`` and
``deploy/kiosk.example.toml`` are generated from there by :mod:`kiosk.config.docgen`.
"""

from kiosk.config.loader import (
    CONFIG_ENV,
    ConfigError,
    config_path,
    load_config,
    parse_config,
    settings_in_effect,
)
from kiosk.config.model import KioskConfig

__all__ = [
    "CONFIG_ENV",
    "ConfigError",
    "KioskConfig",
    "config_path",
    "load_config",
    "parse_config",
    "settings_in_effect",
]
