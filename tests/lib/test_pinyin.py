"""Pinyin search keys."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lianxin.lib.pinyin import full, initials


@pytest.mark.parametrize(
    ("name", "ini", "spelled"),
    [
        ("张三丰", "zsf", "zhangsanfeng"),
        ("单雄信", "sxx", "shanxiongxin"),
        ("曾国藩", "zgf", "zengguofan"),
        ("单于", "cy", "chanyu"),
        ("尉迟恭", "ycg", "yuchigong"),
        ("吕布", "lb", "lvbu"),
        ("Tom 张", "tomz", "tomzhang"),
        ("李·四2", "ls", "lisi"),
        ("ＡＢ张", "abz", "abzhang"),
        ("", "", ""),
    ],
)
def test_it_spells_names(name: str, ini: str, spelled: str) -> None:
    assert initials(name) == ini
    assert full(name) == spelled


def test_it_can_skip_surname_readings_for_place_names() -> None:
    assert full("单家村") == "shanjiacun"
    assert full("单家村", surname=False) == "danjiacun"
    assert initials("曾家", surname=False) == "cj"


@given(st.text(max_size=20))
def test_it_only_outputs_lower_case_ascii_letters(name: str) -> None:
    for key in (initials(name), full(name)):
        assert all("a" <= ch <= "z" for ch in key)
    assert len(initials(name)) <= len(full(name))
