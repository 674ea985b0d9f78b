"""A PostgreSQL primary and a streaming-replication standby of the test's own, on loopback
ports, in a temporary folder; stopped and deleted afterwards. Debian's PostgreSQL binaries;
as root they run as the `postgres` user (initdb refuses root), otherwise as the caller.

Replication is synchronous (`synchronous_standby_names = '*'` on the primary only), so a
commit the backend saw is on the standby before the backend answers the kiosk: promotion
loses no acknowledged transaction.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from kiosk_backend.cluster import free_port


def _bin_dir() -> Path | None:
    root = Path("/usr/lib/postgresql")
    versions = sorted(
        (entry for entry in root.iterdir() if entry.name.isdigit()), key=lambda p: int(p.name)
    ) if root.exists() else []
    return versions[-1] / "bin" if versions else None


def available() -> bool:
    return _bin_dir() is not None


@dataclass
class PgPair:
    folder: Path
    primary_port: int
    standby_port: int
    password: str

    @classmethod
    def create(cls) -> PgPair:
        folder = Path(tempfile.mkdtemp(prefix="kiosk-pg-pair-"))
        pair = cls(folder, free_port(), free_port(), secrets.token_hex(12))
        if os.geteuid() == 0:
            shutil.chown(folder, "postgres", "postgres")
        try:
            pair._start()
        except BaseException:
            pair.destroy()
            raise
        return pair

    # --- running things as the cluster's owner -----------------------------------------

    def _run(self, *command: str, check: bool = True, timeout: float = 60) -> str:
        bin_dir = _bin_dir()
        assert bin_dir is not None
        program = str(bin_dir / command[0]) if (bin_dir / command[0]).exists() else command[0]
        argv = [program, *command[1:]]
        if os.geteuid() == 0:
            argv = ["runuser", "-u", "postgres", "--", *argv]
        result = subprocess.run(
            argv,
            cwd="/",
            env={**os.environ, "PGPASSWORD": self.password},
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if check and result.returncode != 0:
            raise RuntimeError(f"{command[0]} failed: {result.stderr.strip()[-800:]}")
        return result.stdout

    def sql(self, port: int, statement: str, database: str = "postgres") -> str:
        return self._run(
            "psql", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-d", database,
            "-qtAX", "-c", statement,
        ).strip()  # fmt: skip

    @property
    def primary(self) -> Path:
        return self.folder / "primary"

    @property
    def standby(self) -> Path:
        return self.folder / "standby"

    def _start(self) -> None:
        secret = self.folder / "pw"
        secret.write_text(self.password + "\n")
        if os.geteuid() == 0:
            shutil.chown(secret, "postgres", "postgres")
        self._run(
            "initdb", "-D", str(self.primary), "-U", "postgres", "--auth-local=peer",
            "--auth-host=scram-sha-256", f"--pwfile={secret}", "-E", "UTF8",
        )  # fmt: skip
        with (self.primary / "postgresql.conf").open("a") as conf:
            conf.write(
                "\nlisten_addresses = '127.0.0.1'\n"
                "unix_socket_directories = ''\n"
                "wal_level = replica\nmax_wal_senders = 4\nwal_keep_size = '64MB'\n"
                "fsync = off\nshared_buffers = '32MB'\n"
            )
        with (self.primary / "pg_hba.conf").open("a") as hba:
            hba.write("host replication postgres 127.0.0.1/32 scram-sha-256\n")
        self._pg_ctl(self.primary, self.primary_port, "start")
        self.sql(self.primary_port, f"CREATE ROLE kiosk LOGIN PASSWORD '{self.password}'")
        self.sql(self.primary_port, "CREATE DATABASE kiosk OWNER kiosk")
        self._run(
            "pg_basebackup", "-h", "127.0.0.1", "-p", str(self.primary_port), "-U", "postgres",
            "-D", str(self.standby), "-R", "-X", "stream", "-c", "fast", "-w",
        )  # fmt: skip
        with (self.standby / "postgresql.auto.conf").open("a") as conf:
            conf.write("synchronous_standby_names = ''\n")  # a promoted standby waits for none
        self._pg_ctl(self.standby, self.standby_port, "start")
        self.sql(self.primary_port, "ALTER SYSTEM SET synchronous_standby_names = '*'")
        self.sql(self.primary_port, "SELECT pg_reload_conf()")
        deadline = time.monotonic() + 30
        while self.sql(self.primary_port, "SELECT sync_state FROM pg_stat_replication") != "sync":
            if time.monotonic() > deadline:
                raise RuntimeError("the standby did not become a synchronous replica")
            time.sleep(0.2)

    def _pg_ctl(self, data: Path, port: int, action: str, *extra: str) -> None:
        self._run(
            "pg_ctl", "-D", str(data), "-l", str(data.with_suffix(".log")), "-w", "-t", "30",
            "-o", f"-p {port}", action, *extra,
        )  # fmt: skip

    # --- what the test does ------------------------------------------------------------

    @property
    def url(self) -> str:
        """Both servers: libpq takes whichever accepts writes (the primary, later the
        promoted standby)."""
        return (
            f"postgresql://kiosk:{self.password}@127.0.0.1:{self.primary_port},"
            f"127.0.0.1:{self.standby_port}/kiosk?target_session_attrs=read-write"
            "&connect_timeout=3"
        )

    def crash_primary(self) -> None:
        """The primary's machine dies: stop it at once, no checkpoint."""
        self._run("pg_ctl", "-D", str(self.primary), "-m", "immediate", "-w", "stop")

    def promote_standby(self) -> None:
        self._run("pg_ctl", "-D", str(self.standby), "-w", "-t", "30", "promote")

    def standby_is_primary(self) -> bool:
        return self.sql(self.standby_port, "SELECT pg_is_in_recovery()") == "f"

    def destroy(self) -> None:
        for data in (self.standby, self.primary):
            if (data / "postmaster.pid").exists():
                self._run("pg_ctl", "-D", str(data), "-m", "immediate", "-w", "stop", check=False)
        shutil.rmtree(self.folder, ignore_errors=True)
