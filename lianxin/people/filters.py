"""The filters of the household, resident and enterprise lists, and the search box.

One function per list, used by the page (with request.GET) and by the API (with the validated
query schema as a dict): the same parameter names give the same rows. ID numbers and phones are
only ever matched through their keyed hashes, never by LIKE on any stored text.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from lianxin.core.models import today
from lianxin.core.sensitive import id_number_hash, phone_hash
from lianxin.geo.choices import Level
from lianxin.geo.filters import text, to_int, truthy
from lianxin.lib import idcard, masking
from lianxin.lib.errors import InvalidValue
from lianxin.lib.masking import contains_sensitive, scrub

from .choices import HardshipKind, Relation, Sex, Trade
from .models import Enterprise, Household, HouseholdHardship, Resident

SEARCH_LIMIT = 50


def _initials_query(value: str) -> str | None:
    """Lower-cased pinyin initials when the text is plain ASCII letters ('zsf'), else None."""
    value = value.strip().lower()
    return value if value and value.isascii() and value.isalpha() else None


def _falsy(value: Any) -> bool:
    if isinstance(value, bool):
        return not value
    return str(value).strip().lower() in ("0", "false", "off", "no")


def years_before(day: dt.date, years: int) -> dt.date:
    """The same calendar day `years` earlier (29 February falls back to the 28th)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


# How ages count, on every page, in the API and in the filters alike: this year minus the birth
# year, the one date part kept in clear. An age in full years would go up on the birthday, and
# the day it does, with the birth year and the masked number, would rebuild the ID number.
AGE_RULE = "按出生年份计算：今年年份减出生年份（出生当年登记的婴儿按上一年出生计）"


def age_by_year(birth_year: int, on: dt.date | None = None) -> int:
    """The age reached in the calendar year of `on` (today by default), by AGE_RULE."""
    return (on or today()).year - birth_year


def with_ages(rows: Iterable[Resident], on: dt.date | None = None) -> None:
    """Set `.age` (AGE_RULE) on residents about to be shown: no query, no decryption."""
    on = on or today()
    for r in rows:
        r.age = age_by_year(r.birth_year, on)  # type: ignore[attr-defined]


# Households ------------------------------------------------------------------------------


def _current_hardship(**kw: Any) -> Exists:
    return Exists(HouseholdHardship.objects.current().filter(household=OuterRef("pk"), **kw))


def filter_households(qs: QuerySet[Household], params: Mapping[str, Any]) -> QuerySet[Household]:
    """township, village, group, hardship (kind), has_hardship, cadre (currently paired with
    that cadre: a cadre's home links here to 我联系的户), q (户号 or 户主 name/initials)."""
    from lianxin.pairing.models import Pairing

    for param, column in (("township", "township_id"), ("village", "village_id")):
        pk = to_int(params.get(param))
        if pk:
            qs = qs.filter(**{column: pk})
    group = to_int(params.get("group"))
    if group:
        qs = qs.filter(region_id=group)
    kind = text(params.get("hardship"))
    if kind in HardshipKind.values:
        qs = qs.filter(_current_hardship(kind=kind))
    has = params.get("has_hardship")
    if has not in (None, ""):
        if truthy(has):
            qs = qs.filter(_current_hardship())
        elif _falsy(has):
            qs = qs.exclude(_current_hardship())
    cadre = to_int(params.get("cadre"))
    if cadre:
        qs = qs.filter(
            Exists(Pairing.objects.current().filter(household=OuterRef("pk"), cadre_id=cadre))
        )
    q = text(params.get("q"))
    if q:
        # Prefix matches the indexes answer (户号, the head's name, its initials), each read
        # once as a set of households rather than tested household by household.
        heads = Resident.objects.filter(relation=Relation.HEAD)
        match = Q(number__prefix=masking.compact(q)) | Q(
            pk__in=heads.filter(name__prefix=q).values("household_id")
        )
        letters = _initials_query(q)
        if letters:
            match |= Q(pk__in=heads.filter(name_initials__prefix=letters).values("household_id"))
        qs = qs.filter(match)
    return qs


def household_rows(qs: QuerySet[Household]) -> QuerySet[Household]:
    """What a household list shows, in a fixed number of queries whatever the page size:
    places, member count, the head (`heads`), current hardships and current pairing."""
    from lianxin.pairing.models import Pairing

    return (
        qs.select_related("township", "village", "region")
        .prefetch_related(
            Prefetch(
                "members",
                queryset=Resident.objects.filter(relation=Relation.HEAD),
                to_attr="heads",
            ),
            Prefetch(
                "hardships",
                queryset=HouseholdHardship.objects.current().order_by("kind"),
                to_attr="current_hardship_list",
            ),
            Prefetch(
                "pairings",
                queryset=Pairing.objects.current().select_related("cadre__unit"),
                to_attr="current_pairings",
            ),
        )
        .order_by("number")
    )


# Residents -------------------------------------------------------------------------------


def filter_residents(qs: QuerySet[Resident], params: Mapping[str, Any]) -> QuerySet[Resident]:
    """name (prefix: 李秀 finds 李秀珍), initials (pinyin, prefix), township, village, group, sex,
    age_min, age_max (the age reached in the current calendar year, see AGE_RULE)."""
    name = text(params.get("name"))
    if name:
        qs = qs.filter(name__prefix=name)
    letters = _initials_query(text(params.get("initials")))
    if letters:
        qs = qs.filter(name_initials__prefix=letters)
    for param, column in (
        ("township", "household__township_id"),
        ("village", "household__village_id"),
        ("group", "household__region_id"),
        ("household", "household_id"),
    ):
        pk = to_int(params.get(param))
        if pk:
            qs = qs.filter(**{column: pk})
    sex = text(params.get("sex"))
    if sex in Sex.values:
        qs = qs.filter(sex=sex)
    # Only the birth year is stored in clear, so the filters count age by it (AGE_RULE).
    year = today().year
    age_min = to_int(params.get("age_min"))
    if age_min:
        qs = qs.filter(birth_year__lte=year - age_min)
    age_max = params.get("age_max")
    if age_max not in (None, "") and str(age_max).isdigit():
        qs = qs.filter(birth_year__gte=year - int(age_max))
    return qs


def resident_rows(qs: QuerySet[Resident]) -> QuerySet[Resident]:
    return qs.select_related(
        "household", "household__township", "household__village", "household__region"
    )


# Enterprises -----------------------------------------------------------------------------


def filter_enterprises(qs: QuerySet[Enterprise], params: Mapping[str, Any]) -> QuerySet[Enterprise]:
    """trade, township, village, q (name contains or pinyin initials), credit_code (exact)."""
    trade = text(params.get("trade")).upper()
    if trade in Trade.values:
        qs = qs.filter(trade=trade)
    for param, column in (("township", "township_id"), ("village", "village_id")):
        pk = to_int(params.get(param))
        if pk:
            qs = qs.filter(**{column: pk})
    q = text(params.get("q"))
    if q:
        match = Q(name__contains=q)
        letters = _initials_query(q)
        if letters:
            match |= Q(name_initials__startswith=letters)
        qs = qs.filter(match)
    code = idcard.normalize(text(params.get("credit_code"))).upper()
    if code:
        qs = qs.filter(credit_code=code)
    return qs


def enterprise_rows(qs: QuerySet[Enterprise]) -> QuerySet[Enterprise]:
    return qs.select_related("township", "village", "region")


# Region options for the filter forms -----------------------------------------------------


def region_options(user, params: Mapping[str, Any]) -> dict[str, Any]:
    """The township, village and group choices of a filter form: villages of the chosen
    township (all visible ones otherwise), groups only once a village is chosen — drawn by
    the cascading picker (`region_picker`, or `region_picker_short` without groups)."""
    from lianxin.geo.pickers import cascade_context

    chosen = [to_int(params.get(k)) for k in ("township", "village", "group")]
    full = cascade_context(user, chosen)
    # The lists without groups draw the same township and village selects.
    short = {**full, "selects": [s for s in full["selects"] if s["level"] != Level.GROUP]}
    return {"region_picker": full, "region_picker_short": short}


# Search ----------------------------------------------------------------------------------


@dataclass
class SearchResults:
    """Residents, households and enterprises matching one query, each capped at SEARCH_LIMIT."""

    q: str = ""
    matched_by: list[str] = field(default_factory=list)
    note: str = ""
    residents: list[Resident] = field(default_factory=list)
    households: list[Household] = field(default_factory=list)
    enterprises: list[Enterprise] = field(default_factory=list)
    more: list[str] = field(default_factory=list)

    @property
    def shown_q(self) -> str:
        """The query as pages and answers echo it: a typed ID number or mobile stays masked."""
        return scrub(self.q)

    @property
    def empty(self) -> bool:
        return not (self.residents or self.households or self.enterprises)


def _capped(qs: QuerySet, results: SearchResults, label: str) -> list:
    rows = list(qs[: SEARCH_LIMIT + 1])
    if len(rows) > SEARCH_LIMIT:
        results.more.append(label)
    return rows[:SEARCH_LIMIT]


def is_sensitive_query(q: str) -> bool:
    """Whether a search text is (or holds) an ID number or a mobile number, which must not go
    into a URL: what search() matches by hash, and anything the URL guard would refuse."""
    compact = idcard.normalize(q)
    if len(compact) == 18 and compact[:17].isdigit():
        return True
    digits = masking.compact(q)
    if digits.lstrip("+").isdigit() and phone_hash(digits) is not None:
        return True
    return contains_sensitive(q)


def search(user, q: Any) -> SearchResults:
    """Find by name (contains), pinyin initials ('zsf'), full ID number or mobile number (by
    their keyed hash), 户号 (prefix) or credit code — all inside the user's scope."""
    q = text(q)[:60]
    results = SearchResults(q=q)
    if not q:
        return results
    residents = Resident.objects.visible_to(user)
    compact = idcard.normalize(q)
    # A typed ID number or mobile is matched only by its hash: it never goes into a LIKE
    # (whose parameters end up in slow-query logs) and never matches names or 户号.
    if len(compact) == 18 and compact[:17].isdigit():
        id_hash = id_number_hash(compact)
        if id_hash is None:
            try:
                idcard.parse(compact)
            except InvalidValue as exc:
                results.note = f"这不是有效的身份证号：{exc}"
            return results
        results.matched_by.append("身份证号")
        results.residents = _capped(
            resident_rows(residents.filter(id_number_hash=id_hash)), results, "居民"
        )
        return results
    # A phone may come with any dash an input method types (138–1234–1234).
    digits = masking.compact(q)
    mobile_hash = phone_hash(digits) if digits.lstrip("+").isdigit() else None
    if mobile_hash:
        results.matched_by.append("联系电话")
        results.residents = _capped(
            resident_rows(residents.filter(phone_hash=mobile_hash)), results, "居民"
        )
        return results

    residents_q = Q(name__prefix=q)
    enterprises_q = Q(name__contains=q) | Q(credit_code=compact.upper())
    letters = _initials_query(q)
    if letters:
        residents_q |= Q(name_initials__prefix=letters)
        enterprises_q |= Q(name_initials__startswith=letters)
        results.matched_by.append("拼音首字母")
    results.matched_by += ["姓名", "户号"]
    results.residents = _capped(resident_rows(residents.filter(residents_q)), results, "居民")
    results.households = _capped(
        household_rows(Household.objects.visible_to(user).filter(number__prefix=compact)),
        results,
        "户",
    )
    results.enterprises = _capped(
        enterprise_rows(Enterprise.objects.visible_to(user).filter(enterprises_q)),
        results,
        "企业",
    )
    return results
