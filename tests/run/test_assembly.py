"""The composition root's choice of face check (the rest runs in every real-stack test:
tests/flow/test_real_parts.py, tests/ui/test_real_stack.py, tests/faults, tests/security)."""

from __future__ import annotations

from typing import cast

import pytest

from kiosk.assembly import KioskParts
from kiosk.backend_client import BackendClientConfig
from kiosk.card_reader.card_info import TrustAnchors
from kiosk.flow.adapters.face import FaceCheckAdapter
from kiosk.flow.ports import FacePort

from ..flow.fakes import FakeFace

NOT_USED_ANCHORS = cast(TrustAnchors, object())
NOT_USED_BACKEND = cast(BackendClientConfig, object())


def _parts(**face: object) -> KioskParts:
    return KioskParts(open_card=lambda: pytest.fail("no card is opened here"),
                      anchors=NOT_USED_ANCHORS, backend=NOT_USED_BACKEND,
                      **face)  # type: ignore[arg-type]


def test_a_camera_is_checked_by_the_products_face_check() -> None:
    assert isinstance(_parts(open_camera=lambda: pytest.fail("not opened yet")).face(),
                      FaceCheckAdapter)


def test_a_face_check_of_the_callers_own_replaces_the_camera() -> None:
    own = cast(FacePort, FakeFace())
    assert _parts(face_check=own, open_camera=lambda: pytest.fail("unused")).face() is own


def test_without_camera_or_face_check_it_says_what_is_missing() -> None:
    with pytest.raises(ValueError, match="open_camera or face_check"):
        _parts().face()
