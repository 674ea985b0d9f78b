"""Starts and stops the TLS bridge process (see :mod:`kiosk.tpm.tls_bridge`)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from urllib.parse import urlsplit

from kiosk.tpm.keys import TpmError

BRIDGE_SCRIPT = Path(__file__).with_name("tls_bridge.py")
ERROR_HEADER = "X-Kiosk-Bridge-Error"
START_TIMEOUT = 20.0


class TlsBridge:
    """Mutual TLS to ``base_url`` with a TPM-held key; local clients speak plain HTTP to
    ``socket_path`` (a UNIX socket only this user can open)."""

    def __init__(self, base_url: str, certificate: Path, key: Path, ca: Path,
                 tcti: str) -> None:
        parts = urlsplit(base_url)
        if parts.scheme != "https" or not parts.hostname:
            raise TpmError(f"the backend URL must be https://, got {base_url!r}")
        self.host = parts.hostname
        self.port = parts.port or 443
        self._folder = Path(tempfile.mkdtemp(prefix="kiosk-tls-"))  # mode 0700
        self.socket_path = self._folder / "backend.sock"
        env = {name: value for name, value in os.environ.items()
               if name not in {"SSLKEYLOGFILE", "OPENSSL_CONF"}}
        env["TPM2OPENSSL_TCTI"] = tcti
        env.setdefault("TSS2_LOG", "all+NONE")
        command = [sys.executable, "-I", str(BRIDGE_SCRIPT), str(self.socket_path), self.host,
                   str(self.port), self.host, str(certificate), str(key), str(ca)]
        self._process = subprocess.Popen(  # noqa: S603 - our own script, arguments from config
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env=env)
        if not self._wait_ready():
            reason = self._stderr()
            self.close()
            raise TpmError("the TLS bridge to the backend did not start: " + reason)

    def _wait_ready(self) -> bool:
        result: list[bytes] = []
        reader = threading.Thread(
            target=lambda: result.append(self._process.stdout.readline()  # type: ignore[union-attr]
                                         ), daemon=True)
        reader.start()
        reader.join(START_TIMEOUT)
        return bool(result) and result[0].strip() == b"READY"

    def _stderr(self) -> str:
        try:
            self._process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            return "no answer"
        if self._process.stderr is None:
            return "no error stream"
        err = self._process.stderr.read()
        return err.decode("utf-8", "replace").strip()[-300:] or "no reason given"

    @property
    def server_url(self) -> str:
        """The URL local clients use (the host names the backend; the path goes over UDS)."""
        return f"http://{self.host}:{self.port}"

    def close(self) -> None:
        process = self._process
        if process.poll() is None:
            if process.stdin is not None:
                process.stdin.close()  # the bridge ends when its input closes
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()
        shutil.rmtree(self._folder, ignore_errors=True)
