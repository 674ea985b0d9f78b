"""Structure-aware damage to genuine bytes: what a hostile card or server would send."""

from __future__ import annotations

from hypothesis import strategies as st

from kiosk.card_reader import tlv

_EDGE_BYTES = [0x00, 0x01, 0x7F, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0xFF]


@st.composite
def damaged(draw: st.DrawFn, genuine: bytes, max_edits: int = 4) -> bytes:
    """``genuine`` with a few edits: flips, edge values, cuts, insertions, duplicated or
    swapped slices (which also damage length fields and nesting)."""
    data = bytearray(genuine)
    for _ in range(draw(st.integers(1, max_edits), label="edits")):
        kind = draw(st.integers(0, 6), label="edit")
        at = draw(st.integers(0, max(0, len(data) - 1)), label="at")
        if kind == 0 and data:
            data[at] ^= draw(st.integers(1, 255))
        elif kind == 1 and data:
            data[at] = draw(st.sampled_from(_EDGE_BYTES))
        elif kind == 2:
            del data[at:]
        elif kind == 3:
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        elif kind == 4:
            end = draw(st.integers(at, min(len(data), at + 64)))
            data[at:at] = data[at:end]
        elif kind == 5:
            end = draw(st.integers(at, min(len(data), at + 300)))
            del data[at:end]
        else:
            data += draw(st.binary(min_size=1, max_size=8))
    return bytes(data)


def tlv_value_swaps(genuine: bytes) -> st.SearchStrategy[bytes]:
    """Replace the value of one top-level element inside the outer TLV by random bytes,
    keeping every length field consistent: the parser sees well-formed TLV with bad content."""
    outer = tlv.parse_one(genuine)[0]
    items = tlv.parse_all(outer.value)

    @st.composite
    def swap(draw: st.DrawFn) -> bytes:
        index = draw(st.integers(0, len(items) - 1))
        value = draw(st.one_of(st.binary(max_size=64), st.just(b""),
                               st.builds(lambda b: b * 300, st.binary(min_size=1, max_size=1))))
        parts = [tlv.encode(item.tag, value) if i == index else item.raw
                 for i, item in enumerate(items)]
        if draw(st.booleans()):
            parts.append(draw(st.sampled_from(parts)))  # a duplicated element
        return tlv.encode(outer.tag, b"".join(parts))

    return swap()
