"""Administrator-typed rules (lianxin.lib.patterns): valid, and unable to backtrack without end."""

import time

import pytest

from lianxin.lib.errors import InvalidValue
from lianxin.lib.patterns import compile_rule


@pytest.mark.parametrize(
    "pattern",
    [r"510184\d{11}", r"5101\d{2}[A-Z]\d{10}", r"(510184|510129)\d{11}", r"(\d{2}-)+\d{4}"],
)
def test_it_compiles_rules_for_numbers(pattern):
    assert compile_rule(pattern).pattern == pattern


@pytest.mark.parametrize(
    ("pattern", "says"),
    [
        ("", "不能为空"),
        ("x" * 201, "最多 200 个字符"),
        ("(\\d", "不是有效的正则表达式（第 1 个字符附近有误）"),
        ("(a+)+b", "长度可变的重复"),
        ("(\\d{1,3})*x", "长度可变的重复"),
        ("(ab|a)+c", "“|”"),
        ("(\\d)\\1", "反向引用"),
        ("\\d*", "空的户号"),
    ],
)
def test_it_refuses_with_a_chinese_reason(pattern, says):
    with pytest.raises(InvalidValue) as refused:
        compile_rule(pattern)
    assert says in str(refused.value)


def test_what_it_accepts_stays_fast_on_a_hostile_number():
    rule = compile_rule(r"\d*\d*\d*x")
    started = time.perf_counter()
    assert rule.fullmatch("1" * 30) is None
    assert time.perf_counter() - started < 0.5
