"""Every setting of the kiosk, with its default, as typed frozen dataclasses.

``KioskConfig()`` is the configuration the kiosk runs with when there is no file. Paths are
``pathlib.Path`` (``~`` expanded; a relative path in a file is taken relative to that file's
folder); an optional path is ``None`` when the file gives ``""``. ``docs/configuration.md`` and
``deploy/kiosk.example.toml`` are generated from these declarations
(``python -m kiosk.config.docgen``), and a test keeps them current.
"""

# ruff: noqa: RUF009  (setting() and section() return dataclasses.field(...), not values)
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kiosk.config.schema import (
    credential_hash,
    float_range,
    https_url,
    int_range,
    matches,
    non_empty,
    non_negative_seconds,
    one_of,
    positive_seconds,
    section,
    setting,
)

LANGUAGES = ("ja", "en")
CAMERA_SOURCES = ("device", "file", "synthetic")
FACE_ENGINES = ("sface", "dlib")  # kiosk.face_match.engine.ENGINE_NAMES (kept Qt- and model-free)
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


@dataclass(frozen=True, slots=True)
class KioskSection:
    id: str = setting(
        "kiosk-dev-0001",
        "This kiosk's identity; must equal the name in its client certificate. The engineer "
        "credential is bound to it.",
        matches(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", "1 to 64 letters, digits, '.', '_' or '-'"),
    )
    mode: str = setting(
        "production",
        "\"production\" for a kiosk serving residents; \"testbed\" lets the camera be a video file "
        "or the synthetic resident (demo and tests). A production kiosk refuses to start with "
        "such a camera.",
        one_of(("production", "testbed")),
    )
    data_dir: Path = setting(
        Path("~/.local/state/kiosk"),
        "Folder for the kiosk's state: audit log, lockout, out-of-service state, counters.",
    )
    language: str = setting(
        "ja", "Language of the start screen before the resident chooses.", one_of(LANGUAGES)
    )
    large_text: bool = setting(False, "Start with large text (residents can switch it).")
    shuffle_pin_pad: bool = setting(
        True, "Shuffle the digits of the PIN pad for every entry (against shoulder surfing)."
    )


@dataclass(frozen=True, slots=True)
class CardSection:
    reader: str = setting(
        "auto",
        "PC/SC reader name to use, or \"auto\" for the first reader that holds a card.",
        non_empty,
    )
    poll_interval: float = setting(
        0.25, "Seconds between checks for reader and card changes.", float_range(0.05, 5.0)
    )
    face_ca_dir: Path | None = setting(
        None,
        "Folder of the card-face CA public keys that the card-face signature must chain to, one "
        "`<key id hex>.pem` each. Unset: `card-face-ca` beside the configuration file "
        "(/etc/kiosk/card-face-ca); a relative path counts from the configuration file's folder.",
    )


@dataclass(frozen=True, slots=True)
class CameraSection:
    source: str = setting(
        "device",
        "Where frames come from: a camera \"device\", a video \"file\", or a \"synthetic\" "
        "resident animated from a still photo (demo and tests).",
        one_of(CAMERA_SOURCES),
    )
    device: int = setting(0, "Camera index (0 is /dev/video0) when source is \"device\".",
                          int_range(0, 63))
    file: Path | None = setting(None, "Video file to play when source is \"file\".")
    width: int = setting(640, "Requested frame width in pixels.", int_range(160, 3840))
    height: int = setting(480, "Requested frame height in pixels.", int_range(120, 2160))
    fps: int = setting(15, "Requested frames per second.", int_range(1, 60))


@dataclass(frozen=True, slots=True)
class FaceSection:
    engine: str = setting(
        "sface",
        "Face engine: \"sface\" (YuNet + SFace, the default) or \"dlib\" (face_recognition); "
        "each has its own calibrated threshold in the thresholds file.",
        one_of(FACE_ENGINES),
    )
    thresholds_file: Path | None = setting(
        None,
        "TOML file of face-matching, quality and liveness settings in the format of "
        "kiosk/face_match/thresholds.toml; when empty, that packaged, calibrated file is used. "
        "It may make the check stricter, never weaker: a match threshold above the calibrated "
        "one, fewer liveness actions or a lower attack-score threshold is refused.",
    )


@dataclass(frozen=True, slots=True)
class FlowTimeouts:
    """Seconds per step (names as in ``kiosk.flow.states.Step``). In steps that wait for the
    resident, every touch restarts the time: these are the inactivity limits."""

    consent: float = setting(90.0, "Seconds on the explanation and consent screen.",
                             positive_seconds)
    place_card: float = setting(60.0, "Seconds to wait for a card to be placed.",
                                positive_seconds)
    read_card: float = setting(30.0, "Seconds to recognise the card and read its counters.",
                               positive_seconds)
    auth_pin: float = setting(60.0, "Seconds to enter the 4-digit user-authentication PIN.",
                              positive_seconds)
    unlock_photo: float = setting(
        90.0, "Seconds to enter the text-AP PIN or the numbers from the card face.",
        positive_seconds,
    )
    face_check: float = setting(90.0, "Seconds for the face check.", positive_seconds)
    new_pin: float = setting(120.0, "Seconds to enter the new signature PIN twice.",
                             positive_seconds)
    processing: float = setting(
        60.0, "Seconds the authorise-and-reset exchange with the backend and the card may take.",
        positive_seconds,
    )
    done: float = setting(
        10.0, "Seconds on \"take your card\" before the alarm sounds if the card is still there.",
        positive_seconds,
    )
    error: float = setting(30.0, "Seconds an error screen stays before returning to start.",
                           positive_seconds)


@dataclass(frozen=True, slots=True)
class FlowSection:
    timeouts: FlowTimeouts = section(FlowTimeouts, "Per-step time limits (inactivity limits "
                                     "where the resident is expected to act).")
    face_attempts: int = setting(3, "Face-check attempts before the resident is sent to the "
                                 "municipal office.", int_range(1, 10))
    countdown_from: float = setting(
        20.0, "Ask \"Do you need more time?\" with a countdown when this many seconds or fewer "
        "are left in a step that waits for the resident.",
        non_negative_seconds,
    )
    accessible_factor: float = setting(
        2.0, "In the accessible mode (large text, voice through headphones) the resident's "
        "steps get this many times their time limit.", float_range(1.0, 5.0),
    )


@dataclass(frozen=True, slots=True)
class VoiceSection:
    enabled: bool = setting(True, "Read every screen aloud (residents can switch it off).")
    volume: float = setting(0.35, "Loudness of the voice, 0 to 1 (low: the kiosk is in a "
                            "shop).", float_range(0.0, 1.0))
    headphones_device: str = setting(
        "", "Audio device of the headphone socket (ALSA/PipeWire name) used in the accessible "
        "mode; empty: the default device.")


@dataclass(frozen=True, slots=True)
class BackendSection:
    url: str = setting("https://127.0.0.1:8443", "Base URL of the backend.", https_url)
    ca_file: Path = setting(
        Path("/etc/kiosk/tls/operator-ca.crt.pem"),
        "CA certificate(s) that the backend's certificate must chain to.",
    )
    client_cert: Path = setting(
        Path("/etc/kiosk/tls/kiosk.crt.pem"), "This kiosk's client certificate (PEM), from "
        "`kiosk-backend enroll-kiosk`."
    )
    client_key: Path = setting(
        Path("/etc/kiosk/tpm/kiosk.tls.key"), "Private key of the client certificate: the TPM "
        "key file `kiosk tpm-enroll` wrote (its evidence and attestation keys beside it), or a "
        "PEM key on a testbed."
    )
    connect_timeout: float = setting(5.0, "Seconds to establish a connection.",
                                     positive_seconds)
    read_timeout: float = setting(15.0, "Seconds to wait for an answer.", positive_seconds)
    retries: int = setting(3, "Retries of an idempotent request after a network failure.",
                           int_range(0, 10))
    retry_backoff: float = setting(
        0.5, "Seconds before the first retry; doubles for each further retry.",
        non_negative_seconds,
    )
    max_clock_skew: float = setting(
        120.0, "Clock difference to the backend that diagnostics still call healthy.",
        positive_seconds,
    )
    cert_expiry_warning_days: int = setting(
        30, "Days before the kiosk certificate expires when diagnostics start warning.",
        int_range(1, 365),
    )


@dataclass(frozen=True, slots=True)
class TpmSection:
    tcti: str = setting(
        "device:/dev/tpmrm0",
        "How to reach the kiosk's TPM 2.0 (a TSS2 TCTI string): the kernel's resource manager "
        "on a real kiosk; tests and the demo use swtpm behind tpm2-abrmd.",
        non_empty,
    )


@dataclass(frozen=True, slots=True)
class MaintenanceSection:
    staff_credential: str = setting(
        "", "Hash of the staff PIN; set it with `kiosk set-credential staff`. Empty: staff "
        "cannot sign in.", credential_hash, secret=True,
    )
    engineer_credential: str = setting(
        "", "Hash of the engineer passphrase, bound to kiosk.id; set it with "
        "`kiosk set-credential engineer`. Empty: engineers cannot sign in.",
        credential_hash, secret=True,
    )
    lockout_after: int = setting(
        3, "Wrong entries allowed before sign-in locks.", int_range(1, 10)
    )
    lockout_base: float = setting(
        30.0, "Seconds of the first lockout; each further lockout doubles it.",
        positive_seconds,
    )
    lockout_max: float = setting(
        86400.0, "Longest lockout in seconds (the doubling stops here).", positive_seconds
    )
    auto_sign_out: float = setting(
        120.0, "Seconds without a touch before a signed-in role is signed out.",
        positive_seconds,
    )
    hold_to_enter: float = setting(
        3.0, "Seconds to hold the hidden corner of the resident screens to open the sign-in.",
        float_range(1.0, 10.0),
    )


@dataclass(frozen=True, slots=True)
class LoggingSection:
    level: str = setting("INFO", "Lowest level written to the log.", one_of(LOG_LEVELS))
    directory: Path | None = setting(
        None, "Folder of the log files; when empty, the \"logs\" folder in kiosk.data_dir."
    )
    apdu_trace: bool = setting(
        False, "Log card commands and answers (always shortened and redacted)."
    )
    keep_days: int = setting(14, "Days of log files to keep.", int_range(1, 365))


@dataclass(frozen=True, slots=True)
class MetricsSection:
    enabled: bool = setting(
        True, "Serve health and counters for fleet monitoring on 127.0.0.1 (Prometheus text)."
    )
    port: int = setting(9464, "Loopback TCP port of the metrics endpoint.",
                        int_range(1024, 65535))


@dataclass(frozen=True, slots=True)
class KioskConfig:
    kiosk: KioskSection = section(KioskSection, "The kiosk itself and its resident screens.")
    card: CardSection = section(CardSection, "The card reader.")
    camera: CameraSection = section(CameraSection, "The camera.")
    face: FaceSection = section(FaceSection, "Face matching and liveness.")
    flow: FlowSection = section(FlowSection, "The resident's way through the screens.")
    voice: VoiceSection = section(VoiceSection, "Voice guidance (Japanese: Open JTalk, "
                                  "English: espeak-ng).")
    backend: BackendSection = section(BackendSection, "The backend (mutual TLS).")
    tpm: TpmSection = section(TpmSection, "The kiosk's TPM, which holds its keys.")
    maintenance: MaintenanceSection = section(
        MaintenanceSection, "Store-staff and engineer sign-in."
    )
    logging: LoggingSection = section(LoggingSection, "Log files.")
    metrics: MetricsSection = section(MetricsSection, "The loopback health endpoint.")

    @property
    def log_dir(self) -> Path:
        """The folder of the log files in effect."""
        return self.logging.directory or self.kiosk.data_dir / "logs"
