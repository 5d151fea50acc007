"""Regular expressions that an administrator types in (a county's household-number rule).

Such a pattern runs on every 户号 of every import, and Python's `re` has no time limit, so a
pattern that can backtrack exponentially ("(a+)+", "(a|a)*") would let one bad rule hang an
import. `compile_rule` refuses those shapes up front: a repeat of variable length inside another
repeat, an alternation inside a repeat, and back-references. Rules for numbers never need them;
what is left runs in polynomial time, and the values it meets are short (a 户号 is at most 30
characters, checked before the pattern).
"""

from __future__ import annotations

import re
import re._parser as sre_parse  # type: ignore[import-not-found]
from re._constants import (  # type: ignore[import-not-found]
    ASSERT,
    ASSERT_NOT,
    BRANCH,
    GROUPREF,
    GROUPREF_EXISTS,
    MAX_REPEAT,
    MIN_REPEAT,
    POSSESSIVE_REPEAT,
    SUBPATTERN,
)

from .errors import InvalidValue

MAX_PATTERN_LENGTH = 200
_REPEATS = {MAX_REPEAT, MIN_REPEAT, POSSESSIVE_REPEAT}


def _children(op, av) -> list:
    """The sub-patterns directly under one parsed item."""
    if op in _REPEATS:
        return [av[2]]
    if op == SUBPATTERN:
        return [av[3]]
    if op == BRANCH:
        return list(av[1])
    if op in (ASSERT, ASSERT_NOT):
        return [av[1]]
    return []


def _check(items, inside_repeat: bool) -> None:
    for op, av in items:
        if op in (GROUPREF, GROUPREF_EXISTS):
            raise InvalidValue("规则不能使用反向引用（\\1 或 (?P=名称)）")
        if inside_repeat and op == BRANCH:
            raise InvalidValue("规则不能在重复的分组里使用“|”，请把各种写法分别列出")
        if inside_repeat and op in _REPEATS and av[0] != av[1]:
            raise InvalidValue(
                "规则不能在重复的分组里再用长度可变的重复（如 (\\d+)+），请写成固定位数"
            )
        repeats = op in _REPEATS and av[1] != 1
        for child in _children(op, av):
            _check(child, inside_repeat or repeats)


def compile_rule(pattern: str) -> re.Pattern[str]:
    """The compiled pattern, or InvalidValue with a Chinese message saying what is wrong."""
    if not pattern.strip():
        raise InvalidValue("规则不能为空")
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise InvalidValue(f"规则最多 {MAX_PATTERN_LENGTH} 个字符（现有 {len(pattern)} 个）")
    try:
        parsed = sre_parse.parse(pattern)
        compiled = re.compile(pattern)
    except re.error as exc:
        where = f"（第 {exc.pos + 1} 个字符附近有误）" if exc.pos is not None else ""
        raise InvalidValue(f"不是有效的正则表达式{where}") from None
    except RecursionError:
        raise InvalidValue("规则嵌套过深") from None
    _check(parsed, inside_repeat=False)
    if compiled.fullmatch(""):
        raise InvalidValue("规则不能接受空的户号")
    return compiled
