"""Suite-wide settings: Qt offscreen, and no test may leave the suite's environment dirty."""

from __future__ import annotations

import os

# pytest-qt aborts without a display unless Qt is told to render offscreen.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
