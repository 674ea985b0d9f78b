"""A virtual card answering in this process through the card layer's ``Transport`` shape.

For fast tests and for a demo without pcscd. Opening powers the card on and closing powers it
off, as a reader would; ``sent`` keeps the commands for tests that count or inspect them.
"""

from __future__ import annotations

from kiosk.card_reader.errors import CardLost
from kiosk.card_reader.transport import TransportBase
from kiosk_testbed.card.virtual_card import VirtualCard


class InProcessTransport(TransportBase):
    def __init__(self, card: VirtualCard) -> None:
        self.card = card
        self.sent: list[bytes] = []
        self.closed = False
        card.power_on()

    def transmit(self, apdu: bytes) -> tuple[bytes, int]:
        if self.closed:
            raise CardLost("the in-process card session is closed")
        self.sent.append(bytes(apdu))
        answer = self.card.process(bytes(apdu))
        return answer[:-2], int.from_bytes(answer[-2:], "big")

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.card.power_off()

