"""Mutual TLS with the kiosk's TPM-held key, in a small process of its own.

Run as ``python -I tls_bridge.py SOCKET HOST PORT SERVER_NAME CERT KEY CA`` (by
:class:`kiosk.tpm.bridge.TlsBridge`). It loads Debian's tpm2-openssl provider into the
interpreter's OpenSSL, so the handshake's signature is made inside the TPM with the key file
``KEY`` (a ``TSS2 PRIVATE KEY``), verifies the server against ``CA`` only, and then relays
bytes between each connection on the UNIX socket ``SOCKET`` (mode 0600) and the backend.

Why a process of its own: tpm2-openssl 1.1 also offers digests and ciphers; once Python's
``hashlib`` is imported (as everywhere in the kiosk) handshakes with a provider key fail, and
a server in the same process breaks. This file therefore imports the standard library's
``ssl``, ``socket`` and ``threading`` only (never hashlib) and must stay that way. The
provider's TPM context is not thread-safe, so every TLS operation holds one lock.

If the handshake fails, the local client gets ``HTTP/1.1 502`` with ``X-Kiosk-Bridge-Error:
untrusted`` (the server's certificate is not the operator CA's), ``refused`` (the server
refused this kiosk, e.g. revoked) or ``unreachable``. Secrets are never logged; the
``SSLKEYLOGFILE`` variable is ignored (the context is built by hand). The bridge ends when its
standard input closes (its parent ended).
"""

from __future__ import annotations

import ctypes
import os
import select
import socket
import ssl
import sys
import threading

TLS_LOCK = threading.Lock()
CHUNK = 65536


def load_provider() -> None:
    import _ssl

    library = ctypes.CDLL(_ssl.__file__)  # its symbols resolve to the libcrypto ssl uses
    library.OSSL_PROVIDER_load.restype = ctypes.c_void_p
    library.OSSL_PROVIDER_load.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
    for name in (b"tpm2", b"default"):
        if not library.OSSL_PROVIDER_load(None, name):
            raise SystemExit(f"tls_bridge: cannot load the OpenSSL provider {name.decode()}")


def client_context(cert: str, key: str, ca: str) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.keylog_filename = None  # type: ignore[assignment]
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    context.load_verify_locations(cafile=ca)
    context.load_cert_chain(cert, key)
    return context


def refuse(local: socket.socket, reason: str) -> None:
    local.sendall(
        b"HTTP/1.1 502 Bad Gateway\r\nX-Kiosk-Bridge-Error: " + reason.encode("ascii")
        + b"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )


def relay(local: socket.socket, tls: ssl.SSLSocket) -> None:
    tls.setblocking(False)
    while True:
        with TLS_LOCK:
            pending = tls.pending()
        if not pending:
            readable, _, _ = select.select([local, tls], [], [], 30.0)
        else:
            readable = [tls]
        if not readable:
            continue
        if tls in readable:
            with TLS_LOCK:
                try:
                    data = tls.recv(CHUNK)
                except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
                    data = None
            if data == b"":
                return
            if data:
                local.sendall(data)
        if local in readable:
            data = local.recv(CHUNK)
            if not data:
                return
            view = memoryview(data)
            while view:
                with TLS_LOCK:
                    try:
                        sent = tls.send(view)
                    except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
                        sent = 0
                if not sent:
                    select.select([], [tls], [], 5.0)
                view = view[sent:]


def serve_one(local: socket.socket, context: ssl.SSLContext, host: str, port: int,
              server_name: str) -> None:
    try:
        try:
            raw = socket.create_connection((host, port), timeout=10)
        except OSError:
            refuse(local, "unreachable")
            return
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            with TLS_LOCK:
                tls = context.wrap_socket(raw, server_hostname=server_name)
        except ssl.SSLCertVerificationError:
            raw.close()
            refuse(local, "untrusted")
            return
        except (ssl.SSLError, OSError):
            raw.close()
            refuse(local, "refused")
            return
        try:
            relay(local, tls)
        finally:
            tls.close()
    except OSError:
        pass
    finally:
        local.close()


def main(argv: list[str]) -> int:
    path, host, port, server_name, cert, key, ca = argv
    load_provider()
    try:
        context = client_context(cert, key, ca)
    except (OSError, ssl.SSLError) as error:
        print(f"tls_bridge: the kiosk's TLS files or TPM key are unusable ({error})",
              file=sys.stderr, flush=True)
        return 2
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old = os.umask(0o177)
    try:
        listener.bind(path)
    finally:
        os.umask(old)
    listener.listen(16)

    def watch_parent() -> None:
        sys.stdin.read()
        os._exit(0)

    threading.Thread(target=watch_parent, daemon=True).start()
    print("READY", flush=True)
    while True:
        local, _ = listener.accept()
        threading.Thread(target=serve_one, args=(local, context, host, int(port), server_name),
                         daemon=True).start()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
