"""``kiosk-testbed``: the test authority and the virtual My Number card on the command line.

Prints PINs and personal data of synthetic test persons on purpose: it is a test tool.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import cast

import click

from kiosk_testbed.authority import AuthorityError, TestAuthority, Which, default_data_dir
from kiosk_testbed.card.card_file import CardFileError, load_card_file
from kiosk_testbed.card.shims import SplicedCard
from kiosk_testbed.card.virtual_card import CardProfile, VirtualCard
from kiosk_testbed.persona import PersonaError, make_persona
from kiosk_testbed.photo import PhotoError, card_photo_from_file
from kiosk_testbed.vpcd import DEFAULT_HOST, READER_PORTS, VpcdCardLink


def _date(_ctx: click.Context, _param: click.Parameter, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("expected YYYY-MM-DD") from None


@click.group()
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="KIOSK_TESTBED_DIR",
    default=None,
    help="Testbed data folder (env KIOSK_TESTBED_DIR; default "
    "~/.local/share/kiosk-testbed). The authority lives in <data-dir>/authority.",
)
@click.option("-v", "--verbose", is_flag=True, help="Log to stderr.")
@click.pass_context
def main(ctx: click.Context, data_dir: Path | None, verbose: bool) -> None:
    """Test authority and virtual My Number card for the kiosk's testbed."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    ctx.obj = TestAuthority(data_dir or default_data_dir())


@main.command("authority")
@click.pass_obj
def authority_cmd(authority: TestAuthority) -> None:
    """Create the authority if missing and print its folder."""
    authority.ensure()
    click.echo(str(authority.dir))


@main.command("issue-card")
@click.option(
    "--photo", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--auth-pin")
@click.option("--text-pin")
@click.option("--sign-pin")
@click.option("--name", help="Family name, U+3000, given name.")
@click.option("--my-number", help="12 digits with a valid check digit.")
@click.option("--birth-date", callback=_date, help="YYYY-MM-DD")
@click.option("--address")
@click.option("--expiry", callback=_date, help="Card expiry, YYYY-MM-DD.")
@click.option("--sex", type=click.Choice(["1", "2", "9"]))
@click.option("--security-code")
@click.option(
    "--cert-not-after",
    callback=_date,
    help="End of both certificates' validity (past dates make an expired card).",
)
@click.option("--no-sign-cert", is_flag=True, help="Issue without a signature certificate.")
@click.option("--json", "as_json", is_flag=True, help="Print the values used as JSON.")
@click.pass_obj
def issue_card_cmd(
    authority: TestAuthority,
    *,
    photo: Path,
    out_path: Path,
    auth_pin: str | None,
    text_pin: str | None,
    sign_pin: str | None,
    name: str | None,
    my_number: str | None,
    birth_date: dt.date | None,
    address: str | None,
    expiry: dt.date | None,
    sex: str | None,
    security_code: str | None,
    cert_not_after: dt.date | None,
    no_sign_cert: bool,
    as_json: bool,
) -> None:
    """Issue a virtual card into the card file OUT; prints the values used (PINs included)."""
    try:
        persona = make_persona(
            name=name,
            address=address,
            birth_date=birth_date,
            sex=sex,
            my_number=my_number,
            expiry=expiry,
            security_code=security_code,
            auth_pin=auth_pin,
            sign_pin=sign_pin,
            text_pin=text_pin,
        )
        photo_jp2 = card_photo_from_file(photo)
        not_after = (
            dt.datetime.combine(cert_not_after, dt.time(23, 59, 59), dt.UTC)
            if cert_not_after
            else None
        )
        issued = authority.issue_card(
            persona, photo_jp2, cert_not_after=not_after, with_sign_cert=not no_sign_cert
        )
    except (PersonaError, PhotoError, AuthorityError) as error:
        raise click.ClickException(str(error)) from None
    issued.write(out_path)
    values = {"card_file": str(out_path), **issued.values()}
    if as_json:
        click.echo(json.dumps(values, ensure_ascii=False, indent=1))
    else:
        for key, value in values.items():
            click.echo(f"{key}: {value}")


@main.command("revoke")
@click.argument("card")
@click.option(
    "--which", type=click.Choice(["auth", "sign", "both"]), default="both", show_default=True
)
@click.pass_obj
def revoke_cmd(authority: TestAuthority, card: str, which: str) -> None:
    """Revoke the certificates of CARD (a card file, or its card id in hex); rewrite CRLs."""
    try:
        card_id = (
            load_card_file(Path(card)).card_id if Path(card).is_file() else bytes.fromhex(card)
        )
        serials = authority.revoke(card_id, cast(Which, which))
    except (CardFileError, AuthorityError, ValueError) as error:
        raise click.ClickException(str(error)) from None
    for serial in serials:
        click.echo(f"revoked {serial:x}")


@main.command("crl")
@click.pass_obj
def crl_cmd(authority: TestAuthority) -> None:
    """Re-sign both CRLs (nextUpdate 7 days ahead), keeping the revoked entries."""
    authority.ensure()
    authority.write_crls()
    click.echo(f"{authority.auth_crl_path}\n{authority.sign_crl_path}")


@main.command("card")
@click.argument(
    "card_path", metavar="CARD", type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option(
    "--port",
    type=int,
    default=READER_PORTS[0],
    show_default=True,
    help="vpcd port: 35963 = reader 'Virtual PCD 00 00', 35964 = '... 00 01'.",
)
@click.option("--host", default=DEFAULT_HOST, show_default=True)
@click.option("--removed", is_flag=True, help="Start removed (send SIGUSR2 to insert).")
@click.option(
    "--profile",
    type=click.Choice([profile.value for profile in CardProfile]),
    default=CardProfile.STRICT.value,
    show_default=True,
    help="strict: only the command forms the reference clients send to real cards; "
    "fast: also short file ids, extended lengths and key references in P2.",
)
@click.option(
    "--splice-with",
    "splice_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Attack testbed: answer every application but the JPKI AP from this second card "
    "file (one reader slot, two cards, as a shim wired to two genuine cards would).",
)
def card_cmd(
    card_path: Path,
    *,
    port: int,
    host: str,
    removed: bool,
    profile: str,
    splice_path: Path | None,
) -> None:
    """Run the card file CARD in a vpcd reader until SIGTERM or SIGINT.

    SIGUSR1 removes the card from the reader, SIGUSR2 inserts it again. State (PINs, retry
    counters) is written back to CARD on every change.
    """
    try:
        chosen = CardProfile(profile)
        card = VirtualCard.from_path(card_path, chosen)
        other = None if splice_path is None else VirtualCard.from_path(splice_path, chosen)
    except CardFileError as error:
        raise click.ClickException(str(error)) from None
    link = VpcdCardLink(card if other is None else SplicedCard(card, other), port, host)
    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        if signum == signal.SIGUSR1:
            threading.Thread(target=link.remove, daemon=True).start()
        elif signum == signal.SIGUSR2:
            link.insert()
        else:
            stop.set()

    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGUSR1, signal.SIGUSR2):
        signal.signal(signum, on_signal)
    if not removed:
        link.insert()
    click.echo(f"card {card.card_id.hex()} on vpcd {host}:{port}", err=True)
    while not stop.wait(0.5):
        pass
    link.remove()
    sys.exit(0)
