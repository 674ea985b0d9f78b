"""``kiosk set-credential staff|engineer``: set a role's credential in the configuration file.

Prompts twice with hidden input, checks the rules for the role, writes only the scrypt hash to
``[maintenance]`` of the configuration file and records the change in the audit log.
"""

from __future__ import annotations

import os
from pathlib import Path

import click

from kiosk.config import ConfigError, KioskConfig, config_path, load_config
from kiosk.config.edit import set_string_setting
from kiosk.config.loader import SYSTEM_CONFIG
from kiosk.maintenance.audit import AuditLog, Outcome
from kiosk.maintenance.credentials import WeakCredentialError, check_strength, hash_credential
from kiosk.maintenance.roles import Role
from kiosk.maintenance.session import LOCKOUT_FILE, install_lockout_state, lockout_for

_RULES = {
    Role.STAFF: "The staff PIN: 6 to 16 digits, not one repeated digit, a run, a repeated "
                "pattern, a date or a common PIN. It only works on this kiosk.",
    Role.ENGINEER: "The engineer passphrase: 12 to 128 characters, letters mixed with digits "
                   "or symbols. It only works on this kiosk.",
}


@click.command("set-credential")
@click.argument("role", type=click.Choice([role.value for role in Role]))
@click.option("--config", "config_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Configuration file to update (default: $KIOSK_CONFIG or "
                   "/etc/kiosk/kiosk.toml; created if missing).")
def set_credential(role: str, config_file: Path | None) -> None:
    """Set the staff PIN or the engineer passphrase (stored only as a slow salted hash)."""
    chosen = Role(role)
    path = config_path(config_file) or SYSTEM_CONFIG
    try:
        config = load_config(path) if path.exists() else load_config(None)
    except ConfigError as error:
        raise click.ClickException(f"fix the configuration first:\n{error}") from None
    click.echo(_RULES[chosen])
    secret = bytearray()
    try:
        for _ in range(3):
            entered = click.prompt(f"New {chosen.value} credential", hide_input=True,
                                   confirmation_prompt="Repeat it", err=True)
            secret = bytearray(entered.encode("utf-8"))
            del entered
            try:
                check_strength(chosen, secret)
                break
            except WeakCredentialError as weak:
                click.echo(f"Not accepted: {weak}", err=True)
                secret[:] = bytes(len(secret))
                secret = bytearray()
        else:
            raise click.ClickException("no acceptable credential was entered")
        hashed = hash_credential(chosen, secret, config.kiosk.id)
    finally:
        secret[:] = bytes(len(secret))
    try:
        set_string_setting(path, "maintenance", f"{chosen.value}_credential", hashed,
                           secret=True)
    except (ConfigError, OSError) as error:
        raise click.ClickException(str(error)) from None
    config_after = load_config(path)
    install_lockout_state(config_after)  # from now on a missing lockout file is tampering
    _audit(config_after, chosen)
    suffix = f" (bound to kiosk id {config.kiosk.id})" if chosen is Role.ENGINEER else ""
    click.echo(f"The {chosen.value} credential is set in {path}{suffix}. Restart the kiosk "
               "to use it.")


def lockout_path(config: KioskConfig) -> Path:
    return config.kiosk.data_dir / LOCKOUT_FILE


@click.command("reset-lockout")
@click.option("--config", "config_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Configuration file (default: $KIOSK_CONFIG or /etc/kiosk/kiosk.toml).")
def reset_lockout(config_file: Path | None) -> None:
    """Unlock staff and engineer sign-in after a lock-out.

    Also after a sealed lock-out (its state file was missing or damaged). Run on the machine by
    an engineer; audited."""
    try:
        config = load_config(config_file)
    except ConfigError as error:
        raise click.ClickException(f"fix the configuration first:\n{error}") from None
    try:
        lockout_for(config).initialise()
    except OSError as error:
        raise click.ClickException(f"cannot write {lockout_path(config)}: {error.strerror}"
                                   ) from None
    _audit(config, None, "reset_lockout")
    click.echo(f"Sign-in lockout reset in {lockout_path(config)}.")


def _audit(config_after: KioskConfig, role: Role | None,
           action: str = "set_credential") -> None:
    data_dir = config_after.kiosk.data_dir
    log = AuditLog(data_dir / "audit.jsonl")
    existed = log.path.exists()
    try:
        log.record("command_line", action, Outcome.OK,
                   {"role": role.value} if role is not None else None)
    except OSError as error:
        click.echo(f"Warning: could not write the audit log {log.path}: {error.strerror}",
                   err=True)
        return
    # Run as root for a kiosk user: leave the new audit log to the owner of the data folder.
    if not existed and os.geteuid() == 0:
        owner = data_dir.stat()
        os.chown(log.path, owner.st_uid, owner.st_gid)
