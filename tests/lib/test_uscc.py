"""Unified social credit codes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lianxin.lib import uscc
from lianxin.lib.errors import InvalidValue

# Published codes of real organisations.
PUBLISHED = ["91350100M000100Y43", "91110000600037341L"]

first17s = st.text(alphabet=uscc.ALPHABET, min_size=17, max_size=17)


@pytest.mark.parametrize("code", PUBLISHED)
def test_it_accepts_published_codes(code: str) -> None:
    assert uscc.validate(code) == code
    assert uscc.check_char(code[:17]) == code[17]
    assert uscc.is_valid(code)


def test_it_normalizes_case_spaces_and_full_width() -> None:
    assert uscc.validate(" 91110000 600037341l ") == "91110000600037341L"
    assert uscc.validate("９１１１００００６０００３７３４１Ｌ") == "91110000600037341L"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "统一社会信用代码不能为空"),
        ("9111000060003734", "统一社会信用代码应为18位，现为16位"),
        (
            "91110000600O37341L",
            "统一社会信用代码第12位含非法字符“O”（只能是数字和除 I、O、S、V、Z 外的大写字母）",
        ),
        ("91110000600037341K", "统一社会信用代码校验位错误，应为 L"),
    ],
)
def test_it_explains_each_failure(value: str, message: str) -> None:
    with pytest.raises(InvalidValue) as info:
        uscc.validate(value)
    assert str(info.value) == message
    assert not uscc.is_valid(value)


@pytest.mark.parametrize("bad", "IOZSV")
def test_it_rejects_letters_outside_the_alphabet(bad: str) -> None:
    code = "91110000600037341L"
    with pytest.raises(InvalidValue, match=f"非法字符“{bad}”"):
        uscc.validate(code[:5] + bad + code[6:])


def test_it_requires_17_legal_characters_for_the_check_character() -> None:
    with pytest.raises(InvalidValue):
        uscc.check_char("9111000060003734")
    with pytest.raises(InvalidValue):
        uscc.check_char("9111000060003734I")


@given(first17s)
def test_it_accepts_any_code_with_its_check_character(first17: str) -> None:
    code = first17 + uscc.check_char(first17)
    assert uscc.validate(code) == code


@given(first17s, st.integers(0, 17), st.data())
def test_it_rejects_any_single_character_substitution(
    first17: str, pos: int, data: st.DataObject
) -> None:
    # Weights are 3^i mod 31, never 0 mod the prime 31, and alphabet values differ by 1..30, so a
    # single substitution always changes the sum mod 31 and therefore the check character.
    code = first17 + uscc.check_char(first17)
    new = data.draw(st.sampled_from([c for c in uscc.ALPHABET if c != code[pos]]))
    assert not uscc.is_valid(code[:pos] + new + code[pos + 1 :])
