"""A card that answers anything: each APDU gets bytes hypothesis draws (data and status
word), sometimes a realistic status word, sometimes no status word or a vanished card."""

from __future__ import annotations

from hypothesis import strategies as st

from kiosk.card_reader.errors import CardLost, CardUnresponsive
from kiosk.card_reader.transport import TransportBase

MAX_APDUS = 3000  # far above anything a session sends; more means a loop that never ends

PLAUSIBLE_SW = [
    0x9000, 0x6282, 0x6300, 0x63C0, 0x63C1, 0x63C2, 0x63C5, 0x63CF, 0x6700, 0x6981, 0x6982,
    0x6984, 0x6985, 0x6986, 0x6988, 0x6A80, 0x6A82, 0x6A86, 0x6A88, 0x6B00, 0x6D00, 0x6E00,
    0x6F00, 0x6100, 0x6101, 0x61FF, 0x6C00, 0x6C01, 0x6C10, 0x6CFF,
]  # fmt: skip

status_words = st.one_of(
    st.sampled_from(PLAUSIBLE_SW),
    st.integers(0, 0xFFFF),
    st.sampled_from([-1, 0x10000, 0x7FFFFFFF]),  # a broken transport: no status word
)
payloads = st.one_of(
    st.binary(max_size=64),
    st.binary(min_size=200, max_size=700),
    st.builds(lambda n, b: b * n, st.integers(0, 300), st.binary(min_size=1, max_size=2)),
    # starts like a TLV header with a long length
    st.builds(
        lambda head, rest: head + rest,
        st.sampled_from(
            [b"\x30\x82", b"\xff\x20\x82", b"\x7f\x21\x82", b"\xff\x10\x0c", b"\x30\x84\xff\xff"]
        ),
        st.binary(max_size=40),
    ),
)


class HostileTransport(TransportBase):
    """A ``Transport`` whose every answer comes from hypothesis."""

    def __init__(self, data: st.DataObject) -> None:
        self.data = data
        self.count = 0

    def transmit(self, apdu: bytes) -> tuple[bytes, int]:
        self.count += 1
        if self.count > MAX_APDUS:
            raise AssertionError(f"more than {MAX_APDUS} APDUs: the host never stops asking")
        kind = self.data.draw(st.integers(0, 40), label="event")
        if kind == 0:
            raise CardLost()
        if kind == 1:
            raise CardUnresponsive()
        return self.data.draw(payloads, label="data"), self.data.draw(status_words, label="sw")

    def close(self) -> None:
        pass

