"""Short display names for administrative divisions."""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

import pytest

from lianxin.lib.names import short_region_name

UNITS = ("村", "社区", "街道", "镇", "乡", "市", "区", "县")
_CANDIDATE_DIRS = [
    Path(__file__).resolve().parents[2] / "lianxin" / "data",
    Path("/work/shared/data"),
]


def _data_file(name: str) -> Path:
    for folder in _CANDIDATE_DIRS:
        if (folder / name).is_file():
            return folder / name
    pytest.skip(f"{name} not found")


@pytest.mark.parametrize(
    ("official", "short"),
    [
        ("汇蜀社区居民委员会", "汇蜀社区"),
        ("大坪村民委员会", "大坪村"),
        ("大坪村村民委员会", "大坪村"),
        ("新村村民委员会", "新村"),
        ("大坪村委会", "大坪村"),
        ("五福居委会", "五福社区"),
        ("崇阳街道办事处", "崇阳街道"),
        ("文井江镇人民政府", "文井江镇"),
        ("公议乡人民政府", "公议乡"),
        ("崇州市人民政府", "崇州市"),
        ("崇州市", "崇州市"),
        ("大划场镇社区居民委员会", "大划场镇社区"),
        (" 崇阳街道 ", "崇阳街道"),
        ("人民政府", "人民政府"),
    ],
)
def test_it_shortens_official_names(official: str, short: str) -> None:
    assert short_region_name(official) == short


def _assert_sensible(by_township: dict[str, list[str]]) -> None:
    townships = [short_region_name(t) for t in by_township]
    assert len(set(townships)) == len(townships)
    for township, villages in by_township.items():
        assert short_region_name(township).endswith(UNITS), township
        shorts = [short_region_name(v) for v in villages]
        for official, short in zip(villages, shorts, strict=True):
            assert short, official
            assert short.endswith(("村", "社区")), official
            assert "委员会" not in short and "委会" not in short, official
            assert len(short) < len(official), official
        assert len(set(shorts)) == len(shorts), township


def test_it_shortens_every_2014_name() -> None:
    by_township: dict[str, list[str]] = defaultdict(list)
    with _data_file("chongzhou-divisions-2014.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            by_township[row["township"]].append(row["village"])
    assert len(by_township) == 25
    assert sum(map(len, by_township.values())) == 253
    _assert_sensible(by_township)


def test_it_shortens_every_2023_name() -> None:
    names: dict[str, str] = {}
    by_township: dict[str, list[str]] = defaultdict(list)
    with _data_file("chongzhou-divisions-2023.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        names[row["code"]] = row["name"]
    for row in rows:
        if row["level"] == "village":
            by_township[names[row["parent_code"]]].append(row["name"])
        elif row["level"] == "county":
            assert short_region_name(row["name"]) == "崇州市"
    assert len(by_township) == 15
    assert sum(map(len, by_township.values())) == 172
    _assert_sensible(by_township)


@pytest.mark.parametrize(
    ("name", "number"),
    [
        ("10组", 10),
        ("第3网格", 3),
        ("十二组", 12),
        ("二十组", 20),
        ("三组", 3),
        ("十组", 10),
        ("大坪村", None),
        ("十里村", None),
        ("第1网格（东）", 1),
        # Positional numerals, read digit by digit (七一村 is named after July 1st).
        ("七一村", 71),
        ("二〇一三", 2013),
        ("二零一三年新村", 2013),
        # Classic numerals, with units.
        ("十一组", 11),
        ("一百零五", 105),
        ("一百零五组", 105),
        ("一百十组", 110),
        ("三万零五", 30005),
        ("万家村", None),
    ],
)
def test_it_reads_the_number_inside_a_name(name: str, number: int | None) -> None:
    from lianxin.lib.names import number_in_name

    assert number_in_name(name) == number


def test_it_sorts_regions_naturally_and_by_code_first() -> None:
    from lianxin.lib.names import region_sort_key

    groups = [f"{n}组" for n in range(1, 13)]
    assert sorted(groups, key=lambda g: region_sort_key("", g)) == groups
    grids = [f"第{n}网格" for n in (10, 2, 1, 11)]
    assert sorted(grids, key=lambda g: region_sort_key("", g)) == [
        "第1网格",
        "第2网格",
        "第10网格",
        "第11网格",
    ]
    # A positional name sorts by what it reads as: 七一 (71) after 八 (8) and 十一 (11).
    named = ["七一村", "十一组", "八一村", "八组", "二〇一三村"]
    assert sorted(named, key=lambda g: region_sort_key("", g)) == [
        "八组",
        "十一组",
        "七一村",
        "八一村",
        "二〇一三村",
    ]
    # By code where there is one (coded first), then the name; a short code pads on the left.
    towns = [("", "安阜镇"), ("510184113", "道明镇"), ("510184110", "文井江镇"), ("99", "乙")]
    ordered = sorted(towns, key=lambda t: region_sort_key(*t))
    assert [n for _, n in ordered] == ["乙", "文井江镇", "道明镇", "安阜镇"]
    # Fixed width: every key of a coded region is longer than the code field alone.
    assert region_sort_key("510184110", "1组").startswith("0000510184110" + "00000001")
