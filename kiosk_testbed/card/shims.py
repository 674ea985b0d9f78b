"""Attackers' card shims: what sits in a reader slot in front of (or instead of) genuine cards.

Each shim has the card shape the vpcd link serves (``process``, ``power_on``, ``power_off``,
``reset``), so the kiosk meets it through pcscd exactly as it would meet a programmable
contact/NFC emulator wired to real cards (docs/card-profile.md §6):

- ``SplicedCard``: one slot, two cards. The JPKI AP answers from one card (a victim's stolen
  card), every other application from another (the attacker's own). With
  ``chip_signatures_from_jpki_card`` the card-info AP's chip signature comes from the first
  card too, while its files still come from the second.
- ``ChipAnswerRecorder``: passes everything through and keeps the chip's answers to
  ``80 2A 00 00`` in the card-info AP; with ``replay`` set it answers that command with a
  recorded answer instead of asking the chip.
- ``AnyPinCard``: a ``VirtualCard`` that says yes to any PIN (a fake built around a copied
  auth certificate; its own keys sign, so its proofs never verify for that certificate).
- ``ForgedResetAnswer``: lets the admin command reach the card, then hands the kiosk a plain
  error status word in place of the card's authenticated answer.
"""

from __future__ import annotations

import threading
from typing import Protocol

from kiosk_testbed.card import layout
from kiosk_testbed.card.apdu import Command
from kiosk_testbed.card.card_file import CardFile
from kiosk_testbed.card.layout import Ap
from kiosk_testbed.card.virtual_card import SW_OK, CardProfile, VirtualCard

_SELECT_DF = bytes((0x00, 0xA4, 0x04))
_CHIP_SIGNATURE = bytes((0x80, 0x2A, 0x00, 0x00))


class Card(Protocol):
    def process(self, apdu: bytes) -> bytes: ...

    def power_on(self) -> None: ...

    def power_off(self) -> None: ...

    def reset(self) -> None: ...


def _selected_ap(apdu: bytes) -> Ap | None:
    """The application a SELECT DF names (None for any other command or an unknown AID)."""
    if apdu[:3] != _SELECT_DF or len(apdu) < 6:
        return None
    return layout.AIDS.get(bytes(apdu[5 : 5 + apdu[4]]))


class _Tracking:
    """Remembers which application the kiosk selected last (by its SELECT DF commands)."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self.ap: Ap | None = None

    def note(self, apdu: bytes) -> None:
        if apdu[:3] == _SELECT_DF:
            self.ap = _selected_ap(apdu)

    def forget(self) -> None:
        self.ap = None


class SplicedCard:
    """The JPKI AP from ``jpki_card``, everything else from ``other_card`` (module docstring)."""

    def __init__(
        self, jpki_card: Card, other_card: Card, *, chip_signatures_from_jpki_card: bool = False
    ) -> None:
        self.jpki_card = jpki_card
        self.other_card = other_card
        self.chip_signatures_from_jpki_card = chip_signatures_from_jpki_card
        self._state = _Tracking()

    def _target(self) -> Card:
        return self.jpki_card if self._state.ap is Ap.JPKI else self.other_card

    def process(self, apdu: bytes) -> bytes:
        apdu = bytes(apdu)
        with self._state._lock:
            self._state.note(apdu)
            if (
                self.chip_signatures_from_jpki_card
                and self._state.ap is Ap.INFO
                and apdu[:4] == _CHIP_SIGNATURE
            ):
                # The first card's chip signs; select its card-info AP for that one command.
                info_aid = layout.AID_OF[Ap.INFO]
                self.jpki_card.process(bytes((0x00, 0xA4, 0x04, 0x0C, len(info_aid))) + info_aid)
                return self.jpki_card.process(apdu)
            return self._target().process(apdu)

    def power_on(self) -> None:
        self._power("power_on")

    def power_off(self) -> None:
        self._power("power_off")

    def reset(self) -> None:
        self._power("reset")

    def _power(self, event: str) -> None:
        with self._state._lock:
            self._state.forget()
            getattr(self.jpki_card, event)()
            getattr(self.other_card, event)()


class ChipAnswerRecorder:
    """Records the chip's answers to ``80 2A 00 00`` in the card-info AP; replays them once
    ``replay`` is set (module docstring)."""

    def __init__(self, card: Card) -> None:
        self.card = card
        self.recorded: list[bytes] = []
        self.replay = False
        self._state = _Tracking()

    def process(self, apdu: bytes) -> bytes:
        apdu = bytes(apdu)
        with self._state._lock:
            self._state.note(apdu)
            chip_signature = self._state.ap is Ap.INFO and apdu[:4] == _CHIP_SIGNATURE
            if chip_signature and self.replay and self.recorded:
                return self.recorded[-1]
            answer = self.card.process(apdu)
            if chip_signature and answer[-2:] == SW_OK.to_bytes(2, "big"):
                self.recorded.append(answer)
            return answer

    def power_on(self) -> None:
        self._state.forget()
        self.card.power_on()

    def power_off(self) -> None:
        self._state.forget()
        self.card.power_off()

    def reset(self) -> None:
        self._state.forget()
        self.card.reset()


class AnyPinCard(VirtualCard):
    """A card that accepts any PIN of the right format (module docstring)."""

    def _verify(self, cmd: Command) -> bytes:
        if cmd.data and cmd.p1 == 0x00:
            fid, _ = self._pin_ref(cmd.p2)
            if fid is not None:
                self._verified.add(fid)
                return SW_OK.to_bytes(2, "big")
        return super()._verify(cmd)


def certificate_only_card(
    victim_auth_certificate: bytes, own_card: CardFile, profile: CardProfile = CardProfile.STRICT
) -> AnyPinCard:
    """A fake holding a victim's (public) auth certificate in place of its own; nothing else of
    the victim's. It says yes to any PIN; its signatures are made by keys of its own."""
    files = dict(own_card.files)
    files[(Ap.JPKI, layout.JPKI_AUTH_CERT)] = victim_auth_certificate
    fake = CardFile(
        card_id=own_card.card_id,
        k_enc=own_card.k_enc,
        k_mac=own_card.k_mac,
        auth_key_pem=own_card.auth_key_pem,
        sign_key_pem=own_card.sign_key_pem,
        chip_key_pem=own_card.chip_key_pem,
        files=files,
        pins={ref: type(pin)(pin.value, pin.tries_left) for ref, pin in own_card.pins.items()},
    )
    return AnyPinCard(fake, profile=profile)


class ForgedResetAnswer:
    """Relays the admin command (``0C 2C``) to the card, then answers the kiosk with
    ``forged`` (a plain status word) instead of the card's authenticated answer."""

    def __init__(self, card: Card, forged: bytes = bytes((0x69, 0x85))) -> None:
        self.card = card
        self.forged = forged
        self.genuine_answers: list[bytes] = []

    def process(self, apdu: bytes) -> bytes:
        answer = self.card.process(bytes(apdu))
        if apdu[:2] == bytes((0x0C, 0x2C)):
            self.genuine_answers.append(answer)
            return self.forged
        return answer

    def power_on(self) -> None:
        self.card.power_on()

    def power_off(self) -> None:
        self.card.power_off()

    def reset(self) -> None:
        self.card.reset()
