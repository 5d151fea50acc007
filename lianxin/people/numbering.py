"""The one rule a county's household numbers (户号) follow, and the one check of it that the
household form, the API and the import all call (`number_problem`).

The default is the demo's 17 digits: the county's 6-digit code + township no (2) + village no
(3) + group no (2) + sequence (4), e.g. 51018411003060001. Only the county prefix and the
layout are checked, not the township/village/group digits against the household's region: the
region tree holds no such numbers (the division table has no codes below the county; the demo
numbers townships and villages in the table's order, and statistical codes where known are 3 + 3
digits, not 2 + 3), and a household that moves to another group keeps its 户号 — it is the key
imports find it by — so a strict check would call every moved household wrong.

A county's administrator may set its own pattern instead (HouseholdNumberRule): a rule in the
small pattern language of lianxin.lib.patterns (a safe part of regular expressions, which cannot
backtrack without end) that the whole number must match, with a description in Chinese that
completes “户号须为……” in error messages and help texts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from lianxin.geo.models import County
from lianxin.lib.errors import InvalidValue
from lianxin.lib.patterns import compile_rule

from .models import HouseholdNumberRule

PREFIX_LENGTH = 6


@dataclass(frozen=True)
class NumberRule:
    """What a county's 户号 must look like."""

    pattern: str
    # Completes “户号须为……”: e.g. “17 位数字：510184 + 乡镇 2 位 + 村 3 位 + 组 2 位 + 序号 4 位”.
    description: str
    custom: bool

    @property
    def message(self) -> str:
        # “户号须为 17 位数字…” but “户号须为以 5101 开头的…”: a space only before a digit or letter.
        gap = " " if self.description[:1].isascii() and self.description[:1].isalnum() else ""
        return f"户号须为{gap}{self.description}"

    def problem(self, number: str) -> str | None:
        """The message when `number` breaks the rule, None when it follows it. A rule saved
        before the pattern language refused its shape checks nothing until it is set again:
        every number is refused with a message saying so (never a server error)."""
        try:
            compiled = _compiled(self.pattern)
        except InvalidValue as exc:
            return f"本县的户号规则须由管理员重新设置（{exc}），设置前不能登记或修改户号"
        return None if compiled.fullmatch(number) else self.message


@lru_cache(maxsize=64)
def _compiled(pattern: str) -> re.Pattern[str]:
    return compile_rule(pattern)


def default_rule(county: County) -> NumberRule:
    prefix = county.code[:PREFIX_LENGTH]
    return NumberRule(
        pattern=re.escape(prefix) + r"\d{11}",
        description=f"17 位数字：{prefix} + 乡镇 2 位 + 村 3 位 + 组 2 位 + 序号 4 位",
        custom=False,
    )


def rule_for(county: County) -> NumberRule:
    """The county's rule: its own when its administrator set one, else the default."""
    own = HouseholdNumberRule.objects.filter(county_id=county.pk).first()
    if own is not None and own.pattern:
        return NumberRule(pattern=own.pattern, description=own.description, custom=True)
    return default_rule(county)


def number_problem(county: County, number: str) -> str | None:
    """Why `number` cannot be a 户号 of the county (the rule's message), or None."""
    return rule_for(county).problem(number)
