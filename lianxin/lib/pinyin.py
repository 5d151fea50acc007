"""Pinyin keys for searching people and places by initials or full spelling."""

from __future__ import annotations

from pypinyin import Style, lazy_pinyin

from lianxin.lib.idcard import to_halfwidth

# Surname readings pypinyin gets wrong out of context. Compound surnames come first so that
# 单于 is not read as 单 (shan) + 于.
_COMPOUND_SURNAMES = {"单于": ["chan", "yu"], "尉迟": ["yu", "chi"], "万俟": ["mo", "qi"]}
_SURNAMES = {
    "单": "shan",
    "曾": "zeng",
    "解": "xie",
    "仇": "qiu",
    "朴": "piao",
    "查": "zha",
    "区": "ou",
    "盖": "ge",
    "缪": "miao",
    "翟": "zhai",
    "覃": "qin",
    "秘": "bi",
    "种": "chong",
    "召": "shao",
    "柏": "bai",
    "员": "yun",
    "句": "gou",
    "折": "she",
    "繁": "po",
}


def _syllables(name: str, style: Style, surname: bool) -> list[str]:
    name = to_halfwidth("".join(name.split()))
    head: list[str] = []
    if surname:
        if name[:2] in _COMPOUND_SURNAMES:
            head, name = list(_COMPOUND_SURNAMES[name[:2]]), name[2:]
        elif name[:1] in _SURNAMES:
            head, name = [_SURNAMES[name[:1]]], name[1:]
        if style == Style.FIRST_LETTER:
            head = [s[0] for s in head]
    return head + (lazy_pinyin(name, style=style) if name else [])


def _keep(parts: list[str]) -> str:
    # lazy_pinyin passes non-Chinese runs through unchanged: keep only ASCII letters from them.
    return "".join(ch for ch in "".join(parts).lower() if ch.isascii() and ch.isalpha())


def initials(name: str, *, surname: bool = True) -> str:
    """'张三丰' -> 'zsf'; ASCII letters kept lower-cased, everything else dropped."""
    return _keep(_syllables(name, Style.FIRST_LETTER, surname))


def full(name: str, *, surname: bool = True) -> str:
    """'张三丰' -> 'zhangsanfeng'; pass ``surname=False`` for place names."""
    return _keep(_syllables(name, Style.NORMAL, surname))
