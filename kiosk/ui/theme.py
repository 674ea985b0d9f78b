"""Look of the kiosk: calm, high contrast, big. Sizes are pixels at 1080p (about 0.17 mm each on
a 24-inch panel, so 96 px is roughly 16 mm, a thumb's width)."""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.ui.qt import QFont

FONT_FAMILY = "Noto Sans CJK JP"
MIN_TOUCH = 96  # px: every touch target is at least this tall and wide

INK = "#14213d"
PAPER = "#f7f7f2"
PRIMARY = "#0b4f9c"
PRIMARY_DOWN = "#083a73"
QUIET = "#5b6472"
LINE = "#c9ccd3"
GOOD = "#1b7f3b"
WARN_BG = "#fff4d6"
WARN_INK = "#6b4500"
ALARM = "#b3001b"


@dataclass(frozen=True)
class Scale:
    """Font sizes; ``large`` multiplies everything for the large-text mode."""

    large: bool = False

    def px(self, base: int) -> int:
        return round(base * (1.3 if self.large else 1.0))


def app_font(scale: Scale) -> QFont:
    font = QFont(FONT_FAMILY)
    font.setPixelSize(scale.px(30))
    return font


def stylesheet(scale: Scale) -> str:
    s = scale.px
    return f"""
    QWidget#KioskRoot {{ background: {PAPER}; }}
    QWidget {{ color: {INK}; font-family: "{FONT_FAMILY}"; font-size: {s(30)}px; }}
    QLabel[role="title"] {{ font-size: {s(50)}px; font-weight: bold; }}
    QLabel[role="subtitle"] {{ font-size: {s(38)}px; font-weight: bold; }}
    QLabel[role="body"] {{ font-size: {s(30)}px; }}
    QLabel[role="big"] {{ font-size: {s(44)}px; font-weight: bold; }}
    QLabel[role="quiet"] {{ font-size: {s(26)}px; color: {QUIET}; }}
    QLabel[role="code"] {{ font-size: {s(30)}px; color: {QUIET}; }}
    QLabel[role="warning"] {{
        font-size: {s(30)}px; background: {WARN_BG}; color: {WARN_INK};
        border: 3px solid #e0b000; border-radius: 12px; padding: 16px;
    }}
    QLabel[role="alarm"] {{
        font-size: {s(44)}px; font-weight: bold; background: {ALARM}; color: white;
        border-radius: 12px; padding: 20px;
    }}
    QLabel[role="alarm_dim"] {{
        font-size: {s(44)}px; font-weight: bold; background: white; color: {ALARM};
        border: 4px solid {ALARM}; border-radius: 12px; padding: 16px;
    }}
    QLabel[role="countdown"] {{
        font-size: {s(30)}px; font-weight: bold; color: {ALARM};
    }}
    QLabel[role="countdown_big"] {{
        font-size: {s(96)}px; font-weight: bold; color: {ALARM};
    }}
    QLabel[role="step"] {{
        font-size: {s(28)}px; font-weight: bold; color: {PRIMARY};
        border-bottom: 4px solid {PRIMARY}; padding: 2px 6px;
    }}
    QLabel[role="read_value"] {{
        font-size: {s(40)}px; font-weight: bold; background: white;
        border: 3px solid {PRIMARY}; border-radius: 12px; padding: 12px;
    }}
    QLabel[role="instruction"] {{
        font-size: {s(44)}px; font-weight: bold; color: white; background: rgba(11, 79, 156, 220);
        border-radius: 14px; padding: 12px 20px;
    }}
    QWidget#HelpOverlay, QWidget#MoreTimeOverlay {{ background: rgba(20, 33, 61, 150); }}
    QFrame#OverlayPanel {{ background: white; border: 4px solid {PRIMARY}; border-radius: 20px; }}
    QPushButton[role="help"] {{
        font-size: 26px; padding: 4px 14px; background: {GOOD}; color: white;
        border-color: {GOOD};
    }}
    QPushButton[role="tool"] {{ font-size: 26px; padding: 4px 14px; }}
    QLabel[role="rule_ok"] {{ font-size: {s(28)}px; color: {GOOD}; }}
    QLabel[role="rule_todo"] {{ font-size: {s(28)}px; color: {QUIET}; }}
    QLabel[role="dots"] {{ font-size: {s(56)}px; letter-spacing: 8px; }}
    QLabel[role="dots_long"] {{ font-size: {s(36)}px; letter-spacing: 2px; }}
    QPushButton {{
        min-height: {MIN_TOUCH}px; min-width: {MIN_TOUCH}px; border-radius: 14px;
        padding: 8px 28px; font-size: {s(34)}px; font-weight: bold;
        background: white; color: {PRIMARY}; border: 3px solid {PRIMARY};
    }}
    QPushButton:pressed {{ background: #dde7f5; }}
    QPushButton:disabled {{ color: #9aa0aa; border-color: {LINE}; background: #eeeeee; }}
    QPushButton[role="primary"] {{ background: {PRIMARY}; color: white; }}
    QPushButton[role="primary"]:pressed {{ background: {PRIMARY_DOWN}; }}
    QPushButton[role="primary"]:disabled {{ background: #9aa0aa; color: white; }}
    QPushButton[role="key"] {{
        font-size: {s(40)}px; padding: 4px; background: white; min-width: 76px; min-height: 76px;
    }}
    QPushButton[role="keyword"] {{
        font-size: {s(30)}px; padding: 4px 10px; min-width: 76px; min-height: 76px;
    }}
    QPushButton[role="small"] {{ font-size: {s(26)}px; padding: 4px 18px; }}
    QPushButton[role="choice"] {{ text-align: left; padding: 12px 28px; }}
    QProgressBar {{
        min-height: 36px; border: 2px solid {LINE}; border-radius: 10px; background: white;
        text-align: center; font-size: {s(24)}px;
    }}
    QProgressBar::chunk {{ background: {PRIMARY}; border-radius: 8px; }}
    QFrame#Header, QFrame#Footer {{ background: white; border: none; }}
    """
