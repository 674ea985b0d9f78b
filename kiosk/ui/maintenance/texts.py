"""The diagnostics' English summaries in the current language, for the staff and engineer
screens. The checks (Qt-free, also printed by ``kiosk diag``) keep writing English; this table
maps each summary they can produce (a pattern, with the varying parts as %1, %2 ...) to a
translatable template. A test walks every summary the checks' source can build and fails
when one has no row here.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from kiosk.ui.i18n import tr

# (pattern over the whole summary, the template in the current language)
_ROWS: tuple[tuple[str, Callable[[], str]], ...] = (
    (r"server certificate trusted \((.+), (\d+) ms\)",
     lambda: tr("server certificate trusted (%1, %2 ms)")),
    (r"(\d+) s", lambda: tr("%1 s")),
    (r"valid for (\d+) more day\(s\)", lambda: tr("valid for %1 more day(s)")),
    (r"connected in (\d+) ms", lambda: tr("connected in %1 ms")),
    (r"the server sent no Date header", lambda: tr("the server sent no Date header")),
    (r"this clock is (\d+) s behind; check NTP \(timedatectl\)",
     lambda: tr("this clock is %1 s behind; check NTP (timedatectl)")),
    (r"this clock is (\d+) s ahead; check NTP \(timedatectl\)",
     lambda: tr("this clock is %1 s ahead; check NTP (timedatectl)")),
    (r"the private key does not belong to the certificate",
     lambda: tr("the private key does not belong to the certificate")),
    (r"issued to (.+), not to kiosk\.id (.+)", lambda: tr("issued to %1, not to kiosk.id %2")),
    (r"expired (\d+) day\(s\) ago", lambda: tr("expired %1 day(s) ago")),
    (r"not valid yet \(check the clock\)", lambda: tr("not valid yet (check the clock)")),
    (r"expires in (\d+) day\(s\): renew it", lambda: tr("expires in %1 day(s): renew it")),
    (r"kiosk certificate accepted, health answered in (\d+) ms",
     lambda: tr("kiosk certificate accepted, health answered in %1 ms")),
    (r"health answered HTTP (\d+)", lambda: tr("health answered HTTP %1")),
    (r"the server's Date header is unreadable",
     lambda: tr("the server's Date header is unreadable")),
    (r"the kiosk certificate is not readable",
     lambda: tr("the kiosk certificate is not readable")),
    (r"the kiosk certificate is not PEM", lambda: tr("the kiosk certificate is not PEM")),
    (r"the private key is not readable", lambda: tr("the private key is not readable")),
    (r"the private key is not an unencrypted PEM key",
     lambda: tr("the private key is not an unencrypted PEM key")),
    (r"(.+) does not resolve", lambda: tr("%1 does not resolve")),
    (r"cannot connect to (.+)", lambda: tr("cannot connect to %1")),
    (r"the CA file cannot be used", lambda: tr("the CA file cannot be used")),
    (r"the server's certificate is not trusted",
     lambda: tr("the server's certificate is not trusted")),
    (r"the TLS handshake failed", lambda: tr("the TLS handshake failed")),
    (r"the server refused the kiosk certificate",
     lambda: tr("the server refused the kiosk certificate")),
    (r"the kiosk certificate could not be offered \((.+)\)",
     lambda: tr("the kiosk certificate could not be offered (%1)")),
    (r"(.+) -> (.+)", lambda: tr("%1 resolves to %2")),
    (r"(\d+)x(\d+) at ([\d.]+) frames/s", lambda: tr("%1x%2 at %3 frames/s")),
    (r"the synthetic source is not available here",
     lambda: tr("the synthetic source is not available here")),
    (r"opened, but no frame came", lambda: tr("opened, but no frame came")),
    (r"too dark: add light", lambda: tr("too dark: add light")),
    (r"too bright: avoid backlight", lambda: tr("too bright: avoid backlight")),
    (r"blurry: clean the lens or check the focus",
     lambda: tr("blurry: clean the lens or check the focus")),
    (r"brightness and sharpness fine", lambda: tr("brightness and sharpness fine")),
    (r"engine (.+), match threshold (.+), (\d+) liveness action\(s\)",
     lambda: tr("engine %1, match threshold %2, %3 liveness action(s)")),
    (r"sample accepted \(score (.+)\), still photo refused, (.+) s",
     lambda: tr("sample accepted (score %1), still photo refused, %2 s")),
    (r"the sample resident was not accepted", lambda: tr("the sample resident was not accepted")),
    (r"a still photo was accepted", lambda: tr("a still photo was accepted")),
    (r"the face pipeline is not installed", lambda: tr("the face pipeline is not installed")),
    (r"face\.thresholds_file: cannot be read \((.+)\)",
     lambda: tr("face.thresholds_file: cannot be read (%1)")),
    (r"face\.thresholds_file: (.+)", lambda: tr("face.thresholds_file: %1")),
    (r"not available in this build", lambda: tr("not available in this build")),
    (r"the face settings do not load \(see face\.settings\)",
     lambda: tr("the face settings do not load (see face.settings)")),
    (r"no reader is connected", lambda: tr("no reader is connected")),
    (r"a card does not respond \(wrong way round, dirty or broken\)",
     lambda: tr("a card does not respond (wrong way round, dirty or broken)")),
    (r"pcscd is not reachable", lambda: tr("pcscd is not reachable")),
    (r"the configured reader (.+) is not connected",
     lambda: tr("the configured reader %1 is not connected")),
    (r"(\d+) reader\(s\)", lambda: tr("%1 reader(s)")),
    (r"a card is on the reader", lambda: tr("a card is on the reader")),
    (r"no card \(waiting for a resident\)", lambda: tr("no card (waiting for a resident)")),
    (r"pcscd answers", lambda: tr("pcscd answers")),
    (r"no card on the reader \(place a card to probe it\)",
     lambda: tr("no card on the reader (place a card to probe it)")),
    (r"(\d+) My Number card\(s\) recognised", lambda: tr("%1 My Number card(s) recognised")),
    (r"did not finish within (\d+) s \(a device or service hangs\)",
     lambda: tr("did not finish within %1 s (a device or service hangs)")),
    (r"the check itself failed", lambda: tr("the check itself failed")),
    (r"built-in defaults \(no file\)", lambda: tr("built-in defaults (no file)")),
    (r"from (.+)", lambda: tr("from %1")),
    (r"kiosk (\S+), Python (\S+)", lambda: tr("kiosk %1, Python %2")),
    (r"writable, (\d+) MB free", lambda: tr("writable, %1 MB free")),
    (r"in service", lambda: tr("in service")),
    (r"kiosk (\S+); missing: (.+)", lambda: tr("kiosk %1; missing: %2")),
    (r"(.+) is not writable by this user", lambda: tr("%1 is not writable by this user")),
    (r"only (\d+) MB free", lambda: tr("only %1 MB free")),
    (r"out of service \(set by staff\)", lambda: tr("out of service (set by staff)")),
    (r"in service; a maintenance credential is not set \(kiosk set-credential\)",
     lambda: tr("in service; a maintenance credential is not set (kiosk set-credential)")),
    (r"no log folder yet \((.+)\)", lambda: tr("no log folder yet (%1)")),
    (r"(.+) cannot be created", lambda: tr("%1 cannot be created")),
    (r"(\d+) error\(s\), (\d+) warning\(s\) in the recent log",
     lambda: tr("%1 error(s), %2 warning(s) in the recent log")),
    (r"not checked yet", lambda: tr("not checked yet")),
    (r"the private key is not an unencrypted PEM key or a TPM key file",
     lambda: tr("the private key is not an unencrypted PEM key or a TPM key file")),
    (r"TPM 2\.0 by (.+)", lambda: tr("TPM 2.0 by %1")),
    (r"the kiosk's keys are held by this TPM", lambda: tr("the kiosk's keys are held by this TPM")),
    (r"the kiosk key is a file, not in a TPM \(testbed only: a copied file is a copied kiosk\)",
     lambda: tr("the kiosk key is a file, not in a TPM (testbed only: a copied file is a "
                "copied kiosk)")),
    (r"the PCRs differ from enrolment: the TPM will sign no evidence \(firmware, boot loader "
     r"or kernel changed; enrol again if intended\)",
     lambda: tr("the PCRs differ from enrolment: the TPM will sign no evidence (firmware, boot "
                "loader or kernel changed; enrol again if intended)")),
    (r"the PCRs are as at enrolment", lambda: tr("the PCRs are as at enrolment")),
    (r"the backend accepted the TPM-held key", lambda: tr("the backend accepted the TPM-held key")),
    (r"the TPM cannot be reached", lambda: tr("the TPM cannot be reached")),
    (r"the TPM cannot use the kiosk's keys", lambda: tr("the TPM cannot use the kiosk's keys")),
    (r"no mutual TLS with the TPM-held key", lambda: tr("no mutual TLS with the TPM-held key")),
)
_COMPILED = tuple((re.compile(pattern), template) for pattern, template in _ROWS)


def summary_text(summary: str) -> str:
    """``summary`` in the current language; a summary made of several (``a; b``) is
    translated part by part. One with no row (an OS error's own words) stays as it is."""
    if "; " in summary and not any(p.fullmatch(summary) for p, _ in _COMPILED):
        return "; ".join(summary_text(part) for part in summary.split("; "))
    for pattern, template in _COMPILED:
        match = pattern.fullmatch(summary)
        if match is not None:
            text = template()
            for number, value in enumerate(match.groups(), start=1):
                text = text.replace(f"%{number}", value)
            return text
    return summary


def has_translation(summary: str) -> bool:
    """Whether ``summary`` matches a row (the test of the table uses it)."""
    return any(pattern.fullmatch(summary) for pattern, _ in _COMPILED)
