"""PIN format rules, the secret store and the flow's configuration."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.flow.config import FlowConfig
from kiosk.flow.pin_rules import (
    SignPinRule,
    is_four_digit_pin,
    is_number_b,
    same_secret,
    sign_pin_broken_rules,
)
from kiosk.flow.secrets import SecretStore
from kiosk.flow.states import Step


@pytest.mark.parametrize(
    ("pin", "broken"),
    [
        (b"ABC123", []),
        (b"A1B2C3D4E5F6G7H8", []),
        (b"A1B2C", [SignPinRule.LENGTH]),
        (b"A1B2C3D4E5F6G7H8I", [SignPinRule.LENGTH]),
        (b"abc123", [SignPinRule.CHARSET, SignPinRule.HAS_LETTER]),
        (b"123456", [SignPinRule.HAS_LETTER]),
        (b"ABCDEF", [SignPinRule.HAS_DIGIT]),
        (b"ABC-123", [SignPinRule.CHARSET]),
        (b"", [SignPinRule.LENGTH, SignPinRule.HAS_LETTER, SignPinRule.HAS_DIGIT]),
    ],
)
def test_sign_pin_rules(pin: bytes, broken: list[SignPinRule]) -> None:
    assert sign_pin_broken_rules(pin) == broken


@given(st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=6, max_size=16))
def test_rules_accept_exactly_mixed_upper_alphanumerics(pin: str) -> None:
    mixed = any(c.isdigit() for c in pin) and any(c.isalpha() for c in pin)
    assert (sign_pin_broken_rules(pin.encode()) == []) == mixed


@given(st.binary(max_size=20), st.binary(max_size=20))
def test_same_secret_is_equality(a: bytes, b: bytes) -> None:
    assert same_secret(a, b) == (a == b)


def test_four_digit_and_number_b_formats() -> None:
    assert is_four_digit_pin(b"0000")
    assert not is_four_digit_pin(b"000") and not is_four_digit_pin(b"00a0")
    assert is_number_b(b"06010120304321") and not is_number_b(b"0601012030432")


def test_secret_store_wipes_what_is_not_kept_and_defers_lent_ones() -> None:
    store = SecretStore()
    a, b = bytearray(b"1234"), bytearray(b"5678")
    store.put("a", a)
    store.put("b", b)
    store.lend("b")
    store.keep_only({"x"})
    assert a == bytearray()
    assert b == bytearray(b"5678")  # still in use by running work
    store.give_back("b")
    assert b == bytearray()
    assert "1234" not in repr(store)


def test_config_from_mapping() -> None:
    config = FlowConfig.from_mapping(
        {"timeouts": {"auth_pin": 45, "start": None}, "face_attempts": 2, "countdown_from": 10}
    )
    assert config.timeout(Step.AUTH_PIN) == 45.0
    assert config.timeout(Step.CONSENT) == 90.0
    assert config.face_attempts == 2


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"timeouts": {"nowhere": 3}}, "unknown step"),
        ({"timeouts": {"auth_pin": -1}}, "positive"),
        ({"timeouts": {"auth_pin": True}}, "positive"),
        ({"timeouts": 3}, "table"),
        ({"face_attempts": 0}, "1 to 10"),
        ({"colour": "red"}, "unknown setting"),
    ],
)
def test_config_errors_name_the_key(data: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        FlowConfig.from_mapping(data)


def test_the_flow_the_client_and_the_server_check_the_same_signature_pin_rules() -> None:
    from kiosk.flow import pin_rules as flow_rules
    from kiosk_protocol import pin_envelope
    from kiosk_protocol import pin_rules as shared

    assert flow_rules.sign_pin_broken_rules is shared.sign_pin_broken_rules
    for pin, valid in ((b"ABC123", True), (b"ABCDEF", False), (b"123456", False),
                       (b"ABC12", False), (b"abc123", False), (b"A1" * 8, True)):
        assert pin_envelope.is_valid_signature_pin(pin) is valid
        assert (not flow_rules.sign_pin_broken_rules(pin)) is valid
