"""Mainland mobile numbers."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lianxin.lib import phone
from lianxin.lib.errors import InvalidValue


@pytest.mark.parametrize(
    "value",
    [
        "13812341234",
        "138 1234 1234",
        "138-1234-1234",
        "１３８１２３４１２３４",
        "+86 138 1234 1234",
        "+8613812341234",
        "008613812341234",
        "8613812341234",
        "\u3000138\u30001234\u30001234 ",
    ],
)
def test_it_normalizes_common_spellings(value: str) -> None:
    assert phone.normalize_mobile(value) == "13812341234"
    assert phone.is_valid(value)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "手机号不能为空"),
        ("1381234123", "手机号应为11位数字，现为10位"),
        ("138123412345", "手机号应为11位数字，现为12位"),
        ("138l2341234", "手机号应为11位数字，不能包含其他字符"),
        ("12812341234", "手机号应以13–19开头"),
        ("+8612812341234", "手机号应以13–19开头"),
        ("86138123412", "手机号应以13–19开头"),
    ],
)
def test_it_explains_each_failure(value: str, message: str) -> None:
    with pytest.raises(InvalidValue) as info:
        phone.normalize_mobile(value)
    assert str(info.value) == message
    assert not phone.is_valid(value)


def test_it_strips_86_only_before_eleven_digits() -> None:
    # 86 followed by 9 digits is itself 11 digits and must not lose its first two.
    assert phone.normalize_mobile("18612341234") == "18612341234"


@given(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True))
def test_it_accepts_every_mobile_pattern(number: str) -> None:
    assert phone.normalize_mobile(number) == number
    assert phone.normalize_mobile(f"+86 {number[:3]}-{number[3:7]}-{number[7:]}") == number
