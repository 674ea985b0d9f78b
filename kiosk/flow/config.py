"""The flow's settings: timeouts per step, attempt limits. Defaults are embedded."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from kiosk.flow.states import Step

# Seconds a step may last before its TIMEOUT exit fires (None: no limit). For steps that wait
# for the resident this is inactivity: every touch, click or key press restarts it.
DEFAULT_TIMEOUTS: dict[Step, float | None] = {
    Step.START: None,
    Step.CONSENT: 90.0,
    Step.PLACE_CARD: 60.0,
    Step.READ_CARD: 30.0,
    Step.AUTH_PIN: 60.0,
    Step.UNLOCK_PHOTO: 90.0,
    Step.FACE_CHECK: 90.0,
    Step.NEW_PIN: 120.0,
    Step.PROCESSING: 60.0,
    Step.DONE: 10.0,  # then the take-your-card alarm if the card is still there
    Step.ERROR: 30.0,
    Step.OUT_OF_SERVICE: None,
}


@dataclass(frozen=True)
class FlowConfig:
    """Everything the flow reads from configuration."""

    timeouts: dict[Step, float | None] = field(default_factory=lambda: dict(DEFAULT_TIMEOUTS))
    face_attempts: int = 3
    # Show the countdown when this many seconds or fewer are left in a resident's step.
    countdown_from: float = 20.0
    # The accessible mode (voice through headphones, large text) multiplies every time limit
    # of a step that waits for the resident by this factor.
    accessible_factor: float = 2.0

    def timeout(self, step: Step) -> float | None:
        return self.timeouts.get(step)

    @classmethod
    def from_mapping(cls, data: Mapping[str, object]) -> FlowConfig:
        """Build from a parsed TOML table such as ``{"timeouts": {"auth_pin": 45}, ...}``.

        Unknown keys or bad values raise ``ValueError`` naming the key.
        """
        config = cls()
        timeouts = dict(config.timeouts)
        for key, value in data.items():
            if key == "timeouts":
                if not isinstance(value, Mapping):
                    raise ValueError("flow.timeouts must be a table")
                for name, seconds in value.items():
                    try:
                        step = Step(name)
                    except ValueError:
                        raise ValueError(f"flow.timeouts: unknown step {name!r}") from None
                    if seconds is not None and (
                        isinstance(seconds, bool)
                        or not isinstance(seconds, int | float)
                        or seconds <= 0
                    ):
                        raise ValueError(f"flow.timeouts.{name} must be a positive number")
                    timeouts[step] = None if seconds is None else float(seconds)
            elif key == "face_attempts":
                if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 10:
                    raise ValueError("flow.face_attempts must be an integer from 1 to 10")
                config = replace(config, face_attempts=value)
            elif key == "accessible_factor":
                if isinstance(value, bool) or not isinstance(value, int | float) \
                        or not 1 <= value <= 5:
                    raise ValueError("flow.accessible_factor must be a number from 1 to 5")
                config = replace(config, accessible_factor=float(value))
            elif key == "countdown_from":
                if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                    raise ValueError("flow.countdown_from must be a number >= 0")
                config = replace(config, countdown_from=float(value))
            else:
                raise ValueError(f"flow: unknown setting {key!r}")
        return replace(config, timeouts=timeouts)
