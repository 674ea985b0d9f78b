"""Backend checks, layer by layer: DNS, TCP, TLS, mutual TLS, clock skew, certificates.

- ``backend.dns``: the host name resolves (addresses listed).
- ``backend.tcp``: a TCP connection opens (connect time).
- ``backend.tls``: the TLS handshake verifies the server's certificate against
  ``backend.ca_file`` and the host name (protocol, cipher, server certificate details). The
  kiosk certificate is offered when readable, as servers on TLS 1.2 ask for it in the handshake.
- ``backend.mtls``: ``GET /health`` over that connection answers 200, i.e. the server accepted
  the kiosk certificate (round-trip time).
- ``backend.clock``: skew between this machine and the server's ``Date`` header.
- ``backend.client_certificate``: the kiosk certificate and key: readable, matching each other,
  issued to ``kiosk.id``, and days until expiry (warning inside
  ``backend.cert_expiry_warning_days``).
"""

from __future__ import annotations

import datetime as dt
import email.utils
import http.client
import socket
import ssl
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID

from kiosk.config import KioskConfig
from kiosk.diagnostics.model import CheckResult, JsonValue, fail, ok, warn
from kiosk.tpm import KioskTpm, TpmError, is_tpm_key_file

HEALTH_PATH = "/health"
Now = Callable[[], dt.datetime]


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def backend_checks(config: KioskConfig, now: Now = _utc_now) -> list[CheckResult]:
    backend = config.backend
    parts = urlsplit(backend.url)
    host = parts.hostname or ""
    port = parts.port or 443
    timeout = backend.connect_timeout
    results = [client_certificate_check(config, now)]

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        results.append(fail("backend.dns", "Backend name lookup", f"{host} does not resolve",
                            host=host, error=str(error)))
        return results
    addresses = sorted({str(info[4][0]) for info in infos})
    results.append(ok("backend.dns", "Backend name lookup", f"{host} -> {', '.join(addresses)}",
                      host=host, addresses=list(addresses)))

    started = time.perf_counter()
    try:
        raw = socket.create_connection((host, port), timeout=timeout)
    except OSError as error:
        results.append(fail("backend.tcp", "Backend TCP connection",
                            f"cannot connect to {host}:{port}", host=host, port=port,
                            error=error.strerror or type(error).__name__))
        return results
    connect_ms = (time.perf_counter() - started) * 1000
    results.append(ok("backend.tcp", "Backend TCP connection", f"connected in {connect_ms:.0f} ms",
                      host=host, port=port, connect_ms=round(connect_ms, 1)))

    # By hand, not ssl.create_default_context: that one writes secrets to $SSLKEYLOGFILE.
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    try:
        context.load_verify_locations(cafile=str(backend.ca_file))
    except (OSError, ssl.SSLError) as error:
        raw.close()
        results.append(fail("backend.tls", "Backend TLS", "the CA file cannot be used",
                            ca_file=str(backend.ca_file), error=_reason(error)))
        return results
    client_loaded = _load_client(context, backend.client_cert, backend.client_key)
    started = time.perf_counter()
    try:
        tls = context.wrap_socket(raw, server_hostname=host)
    except (ssl.SSLError, OSError) as error:
        raw.close()
        verify = isinstance(error, ssl.SSLCertVerificationError)
        summary = ("the server's certificate is not trusted" if verify
                   else "the TLS handshake failed")
        results.append(fail("backend.tls", "Backend TLS", summary, error=_reason(error),
                            ca_file=str(backend.ca_file)))
        return results
    handshake_ms = (time.perf_counter() - started) * 1000
    try:
        results.append(_tls_result(tls, handshake_ms, now))
        results.extend(_https_checks(tls, host, backend.read_timeout,
                                     backend.max_clock_skew, client_problem=client_loaded,
                                     now=now))
    finally:
        tls.close()
    return results


def _load_client(context: ssl.SSLContext, cert: Path, key: Path) -> str | None:
    """Offer the kiosk certificate; returns why it could not be loaded, or None."""
    if is_tpm_key_file(key):
        return "the key is in the TPM: see the tpm checks (tpm.tls)"
    try:
        context.load_cert_chain(certfile=str(cert), keyfile=str(key))
    except (OSError, ssl.SSLError) as error:
        return _reason(error)
    return None


def _tls_result(tls: ssl.SSLSocket, handshake_ms: float, now: Now) -> CheckResult:
    der = tls.getpeercert(binary_form=True)
    details: dict[str, JsonValue] = {"protocol": tls.version(),
                                     "cipher": (tls.cipher() or ("",))[0],
                                     "handshake_ms": round(handshake_ms, 1)}
    if der:
        details["server_certificate"] = certificate_details(
            x509.load_der_x509_certificate(der), now())
    return ok("backend.tls", "Backend TLS",
              f"server certificate trusted ({tls.version()}, {handshake_ms:.0f} ms)", **details)


def _https_checks(tls: ssl.SSLSocket, host: str, timeout: float, max_skew: float, *,
                  client_problem: str | None, now: Now) -> list[CheckResult]:
    connection = http.client.HTTPSConnection(host, timeout=timeout)
    connection.sock = tls
    tls.settimeout(timeout)
    sent = now()
    started = time.perf_counter()
    try:
        connection.request("GET", HEALTH_PATH, headers={"Accept": "application/json"})
        response = connection.getresponse()
        response.read(64 * 1024)
    except (OSError, http.client.HTTPException, ssl.SSLError) as error:
        why = _reason(error)
        summary = "the server refused the kiosk certificate" if client_problem is None else (
            f"the kiosk certificate could not be offered ({client_problem})")
        return [fail("backend.mtls", "Backend mutual TLS", summary, error=why)]
    round_trip_ms = (time.perf_counter() - started) * 1000
    received = now()
    results: list[CheckResult] = []
    details: dict[str, JsonValue] = {"path": HEALTH_PATH, "http_status": response.status,
                                     "round_trip_ms": round(round_trip_ms, 1)}
    if response.status == 200:
        results.append(ok("backend.mtls", "Backend mutual TLS",
                          f"kiosk certificate accepted, health answered in {round_trip_ms:.0f} ms",
                          **details))
    else:
        results.append(fail("backend.mtls", "Backend mutual TLS",
                            f"health answered HTTP {response.status}", **details))
    results.append(_clock_result(response.getheader("Date"), sent, received, max_skew))
    return results


def _clock_result(date_header: str | None, sent: dt.datetime, received: dt.datetime,
                  max_skew: float) -> CheckResult:
    title = "Clock skew to the backend"
    if not date_header:
        return warn("backend.clock", title, "the server sent no Date header")
    try:
        server = email.utils.parsedate_to_datetime(date_header)
    except (TypeError, ValueError):
        return warn("backend.clock", title, "the server's Date header is unreadable")
    if server.tzinfo is None:
        server = server.replace(tzinfo=dt.UTC)
    local = sent + (received - sent) / 2
    skew = (server - local).total_seconds()
    details: dict[str, JsonValue] = {"skew_seconds": round(skew, 1),
                                     "server_time": server.isoformat(),
                                     "local_time": local.isoformat(timespec="seconds"),
                                     "limit_seconds": max_skew}
    # The Date header has whole seconds: up to 1 s of apparent skew is resolution.
    if abs(skew) > max_skew:
        return fail("backend.clock", title,
                    f"this clock is {abs(skew):.0f} s {'behind' if skew > 0 else 'ahead'}; "
                    "check NTP (timedatectl)", **details)
    return ok("backend.clock", title, f"{abs(skew):.0f} s", **details)


def client_certificate_check(config: KioskConfig, now: Now = _utc_now) -> CheckResult:
    title = "Kiosk certificate"
    backend = config.backend
    try:
        certificate = x509.load_pem_x509_certificate(backend.client_cert.read_bytes())
    except OSError as error:
        return fail("backend.client_certificate", title, "the kiosk certificate is not readable",
                    path=str(backend.client_cert), error=error.strerror or type(error).__name__)
    except ValueError:
        return fail("backend.client_certificate", title, "the kiosk certificate is not PEM",
                    path=str(backend.client_cert))
    moment = now()
    details: dict[str, JsonValue] = {"path": str(backend.client_cert),
                                     **certificate_details(certificate, moment)}
    public = serialization.PublicFormat.SubjectPublicKeyInfo
    try:
        if is_tpm_key_file(backend.client_key):  # the public part is in the key file
            key_public = serialization.load_pem_public_key(
                KioskTpm(config.tpm.tcti, backend.client_key.parent).tls_public_key_pem())
        else:
            key_public = serialization.load_pem_private_key(
                backend.client_key.read_bytes(), None).public_key()
    except OSError as error:
        return fail("backend.client_certificate", title, "the private key is not readable",
                    key_path=str(backend.client_key),
                    error=error.strerror or type(error).__name__, **details)
    except (ValueError, TypeError, TpmError):
        return fail("backend.client_certificate", title,
                    "the private key is not an unencrypted PEM key or a TPM key file",
                    key_path=str(backend.client_key), **details)
    if key_public.public_bytes(serialization.Encoding.DER, public) != \
            certificate.public_key().public_bytes(serialization.Encoding.DER, public):
        return fail("backend.client_certificate", title,
                    "the private key does not belong to the certificate", **details)
    names = [a.value for a in certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
    if config.kiosk.id not in names:
        return fail("backend.client_certificate", title,
                    f"issued to {names[0] if names else '(no name)'!s}, not to kiosk.id "
                    f"{config.kiosk.id}", **details)
    days_left = (certificate.not_valid_after_utc - moment).days
    if days_left < 0:
        return fail("backend.client_certificate", title,
                    f"expired {-days_left} day(s) ago", **details)
    if moment < certificate.not_valid_before_utc:
        return fail("backend.client_certificate", title, "not valid yet (check the clock)",
                    **details)
    if days_left < backend.cert_expiry_warning_days:
        return warn("backend.client_certificate", title,
                    f"expires in {days_left} day(s): renew it", **details)
    return ok("backend.client_certificate", title, f"valid for {days_left} more day(s)",
              **details)


def certificate_details(certificate: x509.Certificate, now: dt.datetime) -> dict[str, JsonValue]:
    """Subject, issuer, validity, names and fingerprint of a kiosk or server certificate."""
    try:
        san = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        names: list[JsonValue] = [str(n.value) for n in san]
    except x509.ExtensionNotFound:
        names = []
    not_after = certificate.not_valid_after_utc
    return {
        "subject": certificate.subject.rfc4514_string(),
        "issuer": certificate.issuer.rfc4514_string(),
        "serial": format(certificate.serial_number, "x"),
        "not_before": certificate.not_valid_before_utc.isoformat(),
        "not_after": not_after.isoformat(),
        "days_left": (not_after - now).days,
        "alternative_names": names,
        "sha256": certificate.fingerprint(hashes.SHA256()).hex(),
    }


def _reason(error: BaseException) -> str:
    if isinstance(error, ssl.SSLCertVerificationError):
        return f"certificate verification failed: {error.verify_message}"
    if isinstance(error, ssl.SSLError):
        return error.reason or type(error).__name__
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return str(error) or type(error).__name__
