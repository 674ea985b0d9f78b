from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk_protocol import MessageError, canonical_json


def test_sorted_keys_no_spaces_utf8() -> None:
    assert canonical_json({"b": 1, "a": ["x", None, True], "ü": "日本"}) == (
        '{"a":["x",null,true],"b":1,"ü":"日本"}'.encode()
    )


@pytest.mark.parametrize("value", [1.5, float("nan"), b"bytes", {1: "non-string key"}])
def test_values_that_cannot_be_signed_are_refused(value: object) -> None:
    with pytest.raises(MessageError):
        canonical_json({"x": value})  # type: ignore[dict-item]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@given(st.dictionaries(st.text(), json_values, max_size=6))
def test_canonical_form_is_stable_and_parses_back(value: dict[str, object]) -> None:
    encoded = canonical_json(value)  # type: ignore[arg-type]
    assert json.loads(encoded) == value
    assert canonical_json(json.loads(encoded)) == encoded
