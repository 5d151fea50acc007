"""The public copy of a story: without the household's consent to be named, no names, numbers
or places below the township. The words are taken out by what the system knows of the story's
households (their members' names, 户号, addresses, villages and groups), every long number
(phones, ID numbers, 户号 typed by hand) whatever it belongs to, and the reviewer reads the
public copy before publishing it."""

from __future__ import annotations

import re
from collections.abc import Iterable

from lianxin.lib.masking import scrub
from lianxin.people.models import Household, Resident

# Seven digits or more: a phone, an ID number, a 户号, a house number with its road code.
_LONG_NUMBER = re.compile(r"[\d０-９]{7,}[Xx]?")
# A house number in an address ("12号", "3栋2单元").
_HOUSE_NUMBER = re.compile(r"[\d０-９一二三四五六七八九十]+(?:号|栋|单元|室)")


def _surname_only(name: str) -> str:
    """罗选志 → 罗某某, 马蓉 → 马某: the way a newspaper names a person it may not name."""
    return name[:1] + "某" * max(1, len(name) - 1)


def public_copy(
    title: str,
    text: str,
    households: Iterable[Household],
    *,
    named: bool,
    about: Iterable[Household] | None = None,
) -> tuple[str, str, str]:
    """(title, text, place) as the public stories page shows them: `households` are all whose
    names are taken out, `about` those the story is about (its place; all when not given)."""
    households = list(households)
    place_of = list(about) if about is not None else households
    place_of = place_of or households
    townships = sorted({h.township.short_name for h in place_of})
    if named:
        place = "、".join(sorted({h.township.short_name + h.village.short_name for h in place_of}))
        return _no_numbers(title), _no_numbers(text), place
    words: dict[str, str] = {}
    members = Resident.objects.filter(household__in=households).values_list("name", flat=True)
    for name in members:
        if len(name) >= 2:
            words[name] = _surname_only(name)
    for h in households:
        for place_name, general in (
            (h.village.name, "某村"),
            (h.village.short_name, "某村"),
            (h.address, "（地址略）"),
        ):
            if place_name and len(place_name) >= 2:
                words[place_name] = general
    # Longest first: "大坪村村民委员会" before "大坪村".
    pattern = (
        re.compile("|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)))
        if words
        else None
    )

    def clean(value: str) -> str:
        if pattern is not None:
            value = pattern.sub(lambda m: words[m.group(0)], value)
        return _no_numbers(_HOUSE_NUMBER.sub("某号", value))

    return clean(title), clean(text), "、".join(townships)


def _no_numbers(value: str) -> str:
    return _LONG_NUMBER.sub("（略）", scrub(value))
