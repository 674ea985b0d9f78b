"""Suite-wide settings: Qt offscreen, shared fixtures (virtual cards through pcscd), the
suite's discipline (tests/helpers/discipline.py)."""

from __future__ import annotations

import os

# pytest-qt aborts without a display unless Qt is told to render offscreen.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

pytest_plugins = ["pytester", "tests.helpers.virtual_card", "tests.helpers.discipline"]
