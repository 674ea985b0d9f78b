"""Suite-wide settings: Qt offscreen, shared fixtures (virtual cards through pcscd)."""

from __future__ import annotations

import os

# pytest-qt aborts without a display unless Qt is told to render offscreen.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

pytest_plugins = ["tests.helpers.virtual_card"]
