"""Structure-aware damage to genuine bytes: what a hostile card or server would send.

An edit plan is drawn independently of the bytes it will damage (positions are taken modulo
the length), so the same hypothesis choices give the same kind of damage even when the
genuine bytes differ between runs (fresh signatures, keys, transaction ids).
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import strategies as st

from kiosk.card_reader import tlv

_EDGE_BYTES = [0x00, 0x01, 0x7F, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0xFF]


@dataclass(frozen=True)
class Edit:
    kind: int  # 0 flip, 1 edge value, 2 cut, 3 insert, 4 duplicate, 5 delete span, 6 append
    position: int
    span: int
    xor: int
    edge: int
    extra: bytes

    def apply(self, data: bytearray) -> None:
        at = self.position % len(data) if data else 0
        if self.kind == 0 and data:
            data[at] ^= self.xor
        elif self.kind == 1 and data:
            data[at] = self.edge
        elif self.kind == 2:
            del data[at:]
        elif self.kind == 3:
            data[at:at] = self.extra
        elif self.kind == 4:
            data[at:at] = data[at : at + self.span]
        elif self.kind == 5:
            del data[at : at + self.span * 5]
        else:
            data += self.extra


edits = st.builds(
    Edit,
    kind=st.integers(0, 6),
    position=st.integers(0, 2**20),
    span=st.integers(1, 64),
    xor=st.integers(1, 255),
    edge=st.sampled_from(_EDGE_BYTES),
    extra=st.binary(min_size=1, max_size=16),
)


def apply_edits(genuine: bytes, plan: list[Edit]) -> bytes:
    data = bytearray(genuine)
    for edit in plan:
        edit.apply(data)
    return bytes(data)


def damaged(genuine: bytes, max_edits: int = 4) -> st.SearchStrategy[bytes]:
    """``genuine`` with a few edits: flips, edge values, cuts, insertions, duplicated or
    deleted slices (which also damage length fields and nesting)."""
    return st.lists(edits, min_size=1, max_size=max_edits).map(
        lambda plan: apply_edits(genuine, plan)
    )


def tlv_value_swaps(genuine: bytes) -> st.SearchStrategy[bytes]:
    """Replace the value of one top-level element inside the outer TLV by random bytes,
    keeping every length field consistent: the parser sees well-formed TLV with bad content."""
    outer = tlv.parse_one(genuine)[0]
    items = tlv.parse_all(outer.value)

    @st.composite
    def swap(draw: st.DrawFn) -> bytes:
        index = draw(st.integers(0, 2**16)) % len(items)
        value = draw(
            st.one_of(
                st.binary(max_size=64),
                st.just(b""),
                st.builds(lambda b: b * 300, st.binary(min_size=1, max_size=1)),
            )
        )
        parts = [
            tlv.encode(item.tag, value) if i == index else item.raw for i, item in enumerate(items)
        ]
        if draw(st.booleans()):
            parts.append(parts[draw(st.integers(0, 2**16)) % len(parts)])  # a duplicate
        return tlv.encode(outer.tag, b"".join(parts))

    return swap()
