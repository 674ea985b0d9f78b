"""Pictures and words for each liveness action, looked up by the prompt's value.

The table is data, not code per action: a new ``LivenessPrompt`` gets its picture by adding a
``Pose`` row here (a test fails while one is missing). A pose says how the drawn head looks
(turned, tilted, eyes shut, smiling, nearer) and which arrow shows the movement.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from kiosk.flow.ports import LivenessPrompt
from kiosk.ui.i18n import tr
from kiosk.ui.qt import QColor, QPainter, QPainterPath, QPen, QPointF, QRectF, Qt
from kiosk.ui.theme import INK, PRIMARY


@dataclass(frozen=True)
class Pose:
    """How to draw the head for an action."""

    yaw: float = 0.0  # -1 the resident's left (shown mirrored: to the picture's left) .. 1
    pitch: float = 0.0  # -1 down .. 1 up
    eyes_shut: bool = False
    smile: bool = False
    scale: float = 1.0  # > 1: nearer
    arrow: str = ""  # "left", "right", "up", "down", "updown", "out", "in", "" (none)
    glow: tuple[str, ...] = ()  # colours of a screen flash around the head


POSES: dict[str, Pose] = {
    "blink": Pose(eyes_shut=True),
    "turn_left": Pose(yaw=-0.8, arrow="left"),
    "turn_right": Pose(yaw=0.8, arrow="right"),
    "nod": Pose(pitch=-0.5, arrow="updown"),
    "look_up": Pose(pitch=0.8, arrow="up"),
    "look_down": Pose(pitch=-0.8, arrow="down"),
    "move_closer": Pose(scale=1.3, arrow="out"),
    "move_back": Pose(scale=0.75, arrow="in"),
    "smile": Pose(smile=True),
    "open_mouth": Pose(smile=True),
    "flash": Pose(glow=("#ff3b30", "#34c759", "#0a84ff")),
    "illumination": Pose(glow=("#ff3b30", "#34c759", "#0a84ff")),
    "screen_flash": Pose(glow=("#ff3b30", "#34c759", "#0a84ff")),
}
GENERIC = Pose()


def pose_for(prompt: LivenessPrompt | str) -> Pose:
    key = prompt.value if isinstance(prompt, LivenessPrompt) else prompt
    return POSES.get(str(key), GENERIC)


def has_pose(prompt: LivenessPrompt) -> bool:
    return str(prompt.value) in POSES


def action_text(prompt: LivenessPrompt | str | None) -> str:
    """The one instruction for ``prompt`` in the current language ("" for none)."""
    if prompt is None:
        return ""
    key = str(prompt.value if isinstance(prompt, LivenessPrompt) else prompt)
    texts = {
        "blink": tr("Please blink."),
        "turn_left": tr("Turn your head slowly to the left."),
        "turn_right": tr("Turn your head slowly to the right."),
        "nod": tr("Nod slowly."),
        "look_up": tr("Look up slowly."),
        "look_down": tr("Look down slowly."),
        "move_closer": tr("Come closer to the camera."),
        "move_back": tr("Move back from the camera."),
        "smile": tr("Please smile."),
        "open_mouth": tr("Open your mouth."),
        "flash": tr("Keep looking at the screen while it changes colour."),
        "illumination": tr("Keep looking at the screen while it changes colour."),
        "screen_flash": tr("Keep looking at the screen while it changes colour."),
    }
    return texts.get(key, tr("Follow the instruction on the screen."))


def paint_pose(painter: QPainter, box: QRectF, pose: Pose) -> None:
    """Draw a simple head doing ``pose`` inside ``box`` (on a white rounded card)."""
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(QPen(QColor(PRIMARY), 4))
    painter.setBrush(QColor("white"))
    painter.drawRoundedRect(box, 16, 16)
    size = min(box.width(), box.height())
    cx, cy = box.center().x(), box.center().y() + size * 0.04
    r = size * 0.26 * pose.scale
    for ring, colour in enumerate(pose.glow):
        painter.setPen(QPen(QColor(colour), size * 0.035))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        grow = r * (1.25 + 0.16 * ring)
        painter.drawEllipse(QPointF(cx, cy), grow, grow * 1.15)
    # head
    painter.setPen(QPen(QColor(INK), 3))
    painter.setBrush(QColor("#f2d2bd"))
    painter.drawEllipse(QPointF(cx, cy), r, r * 1.18)
    # features move with yaw (sideways) and pitch (up/down)
    fx = cx + pose.yaw * r * 0.45
    fy = cy - pose.pitch * r * 0.35
    eye_dx, eye_y = r * 0.38 * (1 - abs(pose.yaw) * 0.35), fy - r * 0.18
    painter.setBrush(QColor(INK))
    for side in (-1, 1):
        ex = fx + side * eye_dx
        if pose.eyes_shut:
            painter.setPen(QPen(QColor(INK), 4))
            painter.drawLine(QPointF(ex - r * 0.13, eye_y), QPointF(ex + r * 0.13, eye_y))
        else:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.drawEllipse(QPointF(ex, eye_y), r * 0.08, r * 0.1)
    painter.setPen(QPen(QColor(INK), 4))
    painter.setBrush(Qt.BrushStyle.NoBrush)
    mouth = QRectF(fx - r * 0.3, fy + r * 0.18, r * 0.6, r * (0.4 if pose.smile else 0.12))
    if pose.smile:
        painter.drawArc(mouth, 200 * 16, 140 * 16)
    else:
        painter.drawLine(QPointF(mouth.left(), mouth.center().y()),
                         QPointF(mouth.right(), mouth.center().y()))
    _arrow(painter, pose.arrow, cx=cx, cy=cy, r=r, size=size)
    painter.restore()


def _arrow(painter: QPainter, kind: str, *, cx: float, cy: float, r: float,
           size: float) -> None:
    if not kind:
        return
    pen = QPen(QColor(PRIMARY), max(4.0, size * 0.04))
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    painter.setPen(pen)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    gap, length = r * 1.25, size * 0.16

    def line(x0: float, y0: float, x1: float, y1: float) -> None:
        painter.drawLine(QPointF(x0, y0), QPointF(x1, y1))
        angle = math.atan2(y1 - y0, x1 - x0)
        head = size * 0.06
        for turn in (2.5, -2.5):
            painter.drawLine(QPointF(x1, y1), QPointF(x1 + head * math.cos(angle + turn),
                                                      y1 + head * math.sin(angle + turn)))

    if kind in ("left", "right"):
        # The picture is mirrored like the camera view: the resident's left is on the left.
        sign = -1 if kind == "left" else 1
        path = QPainterPath()
        path.moveTo(cx - sign * r * 0.6, cy - r * 1.35)
        path.quadTo(cx, cy - r * 1.65, cx + sign * (gap + length * 0.3), cy - r * 0.9)
        painter.drawPath(path)
        line(cx + sign * (gap + length * 0.1), cy - r * 1.05, cx + sign * (gap + length * 0.3),
             cy - r * 0.9)
    elif kind == "up":
        line(cx + gap, cy + length / 2, cx + gap, cy - length / 2)
    elif kind == "down":
        line(cx + gap, cy - length / 2, cx + gap, cy + length / 2)
    elif kind == "updown":
        line(cx + gap, cy, cx + gap, cy - length)
        line(cx + gap, cy, cx + gap, cy + length)
    elif kind in ("out", "in"):
        for sx, sy in ((-1, -1), (1, -1), (-1, 1), (1, 1)):
            near, far = r * 0.95, r * 0.95 + length * 0.7
            a, b = (near, far) if kind == "out" else (far, near)
            line(cx + sx * a, cy + sy * a, cx + sx * b, cy + sy * b)
