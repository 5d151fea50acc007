"""Citizen ID number parsing and validation."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lianxin.lib import idcard
from lianxin.lib.errors import InvalidValue

TODAY = date(2024, 6, 1)
VALID = "11010519491231002X"  # the GB 11643-1999 worked example


def _first17(region: str, born: date, seq: str) -> str:
    return f"{region}{born:%Y%m%d}{seq}"


regions = st.from_regex(r"[1-9][0-9]{5}", fullmatch=True)
births = st.dates(min_value=date(1900, 1, 1), max_value=TODAY)
seqs = st.from_regex(r"[0-9]{3}", fullmatch=True)


@st.composite
def valid_numbers(draw: st.DrawFn) -> str:
    first17 = _first17(draw(regions), draw(births), draw(seqs))
    return first17 + idcard.check_char(first17)


def test_it_parses_the_standard_example() -> None:
    card = idcard.parse(VALID, today=TODAY)
    assert card == idcard.IdCard(
        number=VALID, region_code="110105", birth_date=date(1949, 12, 31), sex="F"
    )


def test_it_reads_sex_from_the_17th_digit() -> None:
    first17 = "51018419900101123"
    assert idcard.parse(first17 + idcard.check_char(first17), today=TODAY).sex == "M"


def test_it_accepts_lower_case_x_spaces_and_full_width() -> None:
    assert idcard.parse("11010519491231002x", today=TODAY).number == VALID
    assert idcard.parse(" 110105 1949\u30001231 002x\n", today=TODAY).number == VALID
    assert idcard.parse("１１０１０５１９４９１２３１００２ｘ", today=TODAY).number == VALID


def test_it_normalizes_without_validating() -> None:
    assert idcard.normalize("\ufeff１２３ x") == "123X"


def test_it_computes_check_characters() -> None:
    assert idcard.check_char("11010519491231002") == "X"
    with pytest.raises(InvalidValue, match="17位数字"):
        idcard.check_char("1101051949123100")
    with pytest.raises(InvalidValue):
        idcard.check_char("1101051949123100A")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "身份证号不能为空"),
        ("110105491231002", "15位旧身份证号请换成18位"),
        ("11010519491231002", "身份证号应为18位，现为17位"),
        ("1101051949123100211", "身份证号应为18位，现为19位"),
        ("11010519491231A02X", "身份证号第15位应为数字，现为“A”"),
        ("11010519491231002Y", "身份证号最后一位应为数字或X，现为“Y”"),
        ("010105194912310028", "身份证号地区码无效：010105"),
        ("110105199902300020", "出生日期不存在：1999-02-30"),
        ("110105199913010020", "出生日期不存在：1999-13-01"),
        ("110105189912310020", "出生日期早于1900年：1899-12-31"),
        ("110105203012310020", "出生日期在未来：2030-12-31"),
        ("110105194912310021", "校验位错误，应为 X"),
    ],
)
def test_it_explains_each_failure(value: str, message: str) -> None:
    with pytest.raises(InvalidValue) as info:
        idcard.parse(value, today=TODAY)
    assert str(info.value) == message
    assert not idcard.is_valid(value, today=TODAY)


def test_it_rejects_future_birth_dates_relative_to_the_real_today() -> None:
    first17 = "11010520301231002"
    assert not idcard.is_valid(first17 + idcard.check_char(first17))
    with pytest.raises(InvalidValue, match="出生日期在未来：2030-12-31"):
        idcard.parse(first17 + idcard.check_char(first17), today=date(2030, 12, 30))
    assert idcard.is_valid(first17 + idcard.check_char(first17), today=date(2030, 12, 31))


@given(valid_numbers())
def test_it_accepts_any_well_formed_number_with_its_check_character(number: str) -> None:
    card = idcard.parse(number, today=TODAY)
    assert card.number == number
    assert card.region_code == number[:6]
    assert card.sex == ("M" if int(number[16]) % 2 else "F")


@given(valid_numbers(), st.integers(0, 17), st.data())
def test_it_rejects_any_single_character_substitution(
    number: str, pos: int, data: st.DataObject
) -> None:
    # MOD 11-2 weights 2^(17-i) mod 11 are all non-zero and 11 is prime, so changing one digit
    # by d (0 < |d| <= 9) shifts the weighted sum by w*d, never a multiple of 11: the expected
    # check character always changes. Changing the check character itself fails too, since each
    # residue has exactly one check character. The change may also break the date or region
    # first; the number is invalid either way.
    alphabet = "0123456789X" if pos == 17 else "0123456789"
    new = data.draw(st.sampled_from([c for c in alphabet if c != number[pos]]))
    mutated = number[:pos] + new + number[pos + 1 :]
    assert not idcard.is_valid(mutated, today=TODAY)
