"""``kiosk tpm-enroll``: make the kiosk's keys in its TPM and the request for the operator."""

from __future__ import annotations

import json
from pathlib import Path

import click

from kiosk.config import ConfigError, load_config
from kiosk.tpm.enrollment import prepare_enrollment
from kiosk.tpm.keys import DEFAULT_PCRS, KioskTpm, TpmError
from kiosk_protocol.tpm import PcrSelection, TpmFormatError


@click.command("tpm-enroll")
@click.option("--config", "config_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Configuration file (default: $KIOSK_CONFIG or /etc/kiosk/kiosk.toml).")
@click.option("--kiosk-id", help="The kiosk's id (default: kiosk.id of the configuration).")
@click.option("--keys", "keys_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the TPM key files (default: the folder of backend.client_key).")
@click.option("--tcti", help="The TPM (default: tpm.tcti of the configuration).")
@click.option("--pcrs", default=DEFAULT_PCRS.text(), show_default=True,
              help="SHA-256 PCRs the evidence key is bound to.")
@click.option("--out", "out_file", required=True,
              type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the enrolment request for the operator.")
def tpm_enroll(*, config_file: Path | None, kiosk_id: str | None, keys_dir: Path | None,
               tcti: str | None, pcrs: str, out_file: Path) -> None:
    """Create this kiosk's keys in its TPM and write the enrolment request.

    The operator certifies it with `kiosk-backend enroll-kiosk --tpm-request`. The private keys
    never leave the TPM."""
    try:
        config = load_config(config_file)
    except ConfigError as error:
        raise click.ClickException(f"fix the configuration first:\n{error}") from None
    try:
        selection = PcrSelection.parse_text(pcrs if ":" in pcrs else f"sha256:{pcrs}")
    except TpmFormatError as error:
        raise click.BadParameter(str(error), param_hint="--pcrs") from None
    folder = keys_dir or config.backend.client_key.parent
    tpm = KioskTpm(tcti or config.tpm.tcti, folder)
    try:
        request = prepare_enrollment(tpm, kiosk_id or config.kiosk.id, selection)
    except (TpmError, ValueError) as error:
        raise click.ClickException(str(error)) from None
    out_file.write_text(json.dumps(request.to_json(), indent=2) + "\n", encoding="utf-8")
    click.echo(f"Keys made in the TPM; key files (0600) in {folder}.\n"
               f"Give {out_file} to the operator: kiosk-backend enroll-kiosk --kiosk-id "
               f"{request.kiosk_id} --tpm-request {out_file.name} --out BUNDLE\n"
               f"Then install BUNDLE/kiosk.crt.pem and BUNDLE/operator-ca.crt.pem, and set "
               f"backend.client_key = \"{folder / 'kiosk.tls.key'}\".")
