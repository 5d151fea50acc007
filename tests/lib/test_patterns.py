"""Administrator-typed rules (lianxin.lib.patterns): a small language that cannot backtrack
without end, refused with a Chinese reason otherwise, read alike by Python and the database."""

import time

import pytest

from lianxin.lib.errors import InvalidValue
from lianxin.lib.patterns import canonical_rule, compile_rule, database_regex


@pytest.mark.parametrize(
    ("pattern", "good", "bad"),
    [
        (r"510184\d{11}", "51018411003060001", "5101841100306000"),
        (r"5101\d{2}[A-Z]\d{10}", "510111A0000000099", "510111a0000000099"),
        (r"(510184|510129)\d{11}", "51012911003060001", "51018511003060001"),
        (r"^[A-Z]{1,3}-\d{4,6}$", "CZ-123456", "CZ-1234567"),
        (r"大坪\d{2}\.\d{3}", "大坪12.345", "大坪12x345"),
        (r"[0-9A-F]{8}(?:01|02)?", "DEADBEEF", "DEADBEEF03"),
    ],
)
def test_it_compiles_rules_for_numbers(pattern, good, bad):
    rule = compile_rule(pattern)
    assert rule.fullmatch(good) and not rule.fullmatch(bad)


def test_it_reads_a_digit_as_an_ascii_digit_as_the_database_does():
    assert canonical_rule(r"51\d{2}") == "51[0123456789]{2}"
    assert not compile_rule(r"51\d{2}").fullmatch("51１２")  # full-width digits
    assert database_regex(r"51\d{2}") == r"\A(?:51[0123456789]{2})\Z"


@pytest.mark.parametrize(
    ("pattern", "says"),
    [
        ("", "不能为空"),
        ("x" * 201, "最多 200 个字符"),
        ("(\\d", "不是有效的正则表达式（第 1 个字符附近有误）"),
        ("(\\d)\\1", "反向引用"),
        ("\\d*", "空的户号"),
        ("\\d?", "空的户号"),
        # The shapes that backtrack without end, each named.
        ("(a+)+b", "长度可变的重复"),
        ("(a+)+$", "长度可变的重复"),
        ("(\\d*)*", "长度可变的重复"),
        ("(\\d{1,3})*x", "长度可变的重复"),
        ("(\\d{2}-)+\\d{4}", "括号里不能再用重复"),
        (".*.*.*", "不能使用“.”（任意字符）"),
        ("\\d*\\d*\\d*x", "次数不限"),
        ("\\d+", "次数不限"),
        ("\\d{2,}", "次数不限"),
        ("(ab|a)+c", "“|”"),
        ("(12|123)\\d", "不能一个是另一个的开头"),
        ("510184|510129", "“|”只能用在括号里"),
        ("\\d{1,3}\\d{2}", "无法确定两段的分界"),
        ("\\d{1,3}-?\\d{2}", "无法确定两段的分界"),
        ("\\d?" * 30 + "\\d" * 30, "无法确定两段的分界"),
        # What a number never needs.
        ("\\w{5}", "不能使用“\\w”"),
        ("[^0-9]{3}", "取反"),
        ("[A-z]{3}", "字符组的范围"),
        ("(?i)abc", "扩展写法"),
        ("\\d{2}?", "不能连用两个表示次数的符号"),
        ("\\d{31}", "重复次数最多 30"),
        ("\\d{10}\\d{10}\\d{11}", "至少 31 个字符"),
        ("a{x}", "次数须写成 {n} 或 {m,n}"),
        ("510184 \\d", "空格"),
    ],
)
def test_it_refuses_with_a_chinese_reason(pattern, says):
    with pytest.raises(InvalidValue) as refused:
        compile_rule(pattern)
    assert says in str(refused.value)


@pytest.mark.parametrize(
    "pattern",
    [
        r"X[A-Z]{0,29}",
        r"X\d{0,9}[A-Z]{1,9}-{0,3}\d{1,8}",
        r"X(12|34){0,14}",
        r"\d{1,10}[A-Z]{1,10}\d{1,10}",
        r"X?Y?Z?\d{1,27}",
    ],
)
def test_what_it_accepts_stays_fast_on_hostile_numbers(pattern):
    rule = compile_rule(pattern)
    hostile = [
        "1" * 30 + "!",
        "A" * 30 + "1",
        "X" + "12" * 15 + "x",
        "1" * 10 + "A" * 10 + "1" * 11,
    ]
    started = time.perf_counter()
    for _ in range(100):
        for number in hostile:
            rule.fullmatch(number)
    assert time.perf_counter() - started < 0.5
