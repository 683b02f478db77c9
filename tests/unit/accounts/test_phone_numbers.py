"""Phone numbers are normalised to E.164; anything else is a clear Invalid, never a crash."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from voicebox.errors import Invalid
from voicebox.services.accounts.users import normalise_phone


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13800138000", "+8613800138000"),
        ("138 0013 8000", "+8613800138000"),
        ("+86 138-0013-8000", "+8613800138000"),
        ("008613800138000", "+8613800138000"),
        ("+1 (415) 555-0100", "+14155550100"),
    ],
)
def test_normalises(raw: str, expected: str) -> None:
    assert normalise_phone(raw) == expected


@pytest.mark.parametrize(
    "raw", ["", "+", "abc", "+0123456789", "1" * 20, "+86\x00138", "１３８００１３８０００"]
)
def test_rejects(raw: str) -> None:
    with pytest.raises(Invalid):
        normalise_phone(raw)


@given(st.text(max_size=40))
def test_any_text_is_a_number_or_invalid(raw: str) -> None:
    try:
        phone = normalise_phone(raw)
    except Invalid:
        return
    assert phone.startswith("+") and phone[1:].isascii() and phone[1:].isdigit() and len(phone) <= 16
