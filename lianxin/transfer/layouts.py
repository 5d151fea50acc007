"""The one column layout per kind of data that imports read, exports write and templates show.

docs/import-layout.md documents the same layouts for the offices filling them in; keep the two
in step. Column titles are what the header row must say (a leading * marks required columns in
the template and is ignored on import).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lianxin.lib.idcard import to_halfwidth
from lianxin.people.choices import HardshipKind, Relation, Trade

# Column titles, shared by importers, exporters and the template.
NUMBER = "户号"
TOWNSHIP = "乡镇（街道）"
VILLAGE = "村（社区）"
GROUP = "组"
ADDRESS = "住址"
HARDSHIP = "困难类型"
NAME = "姓名"
ID_NUMBER = "身份证号"
RELATION = "与户主关系"
PHONE = "联系电话"
CREDIT_CODE = "统一社会信用代码"
ENTERPRISE_NAME = "企业名称"
TRADE = "行业门类"
ENTERPRISE_ADDRESS = "地址"

NUMBER_CELL_MESSAGE = "该单元格被 Excel 存成了数字，请把这一列设为文本后重新填写"
# What Excel writes into a .csv for a number it shows in scientific notation (5.10184E+17).
_EXCEL_NUMBER = re.compile(r"[+-]?\d+(?:\.\d*)?[eE][+-]?\d+")


def is_excel_number(text: str) -> bool:
    """Whether a .csv cell is a number Excel wrote in scientific notation: its digits are lost."""
    return _EXCEL_NUMBER.fullmatch(text.strip()) is not None


# Several hardship kinds share one cell, joined by 、 (other common separators accepted).
HARDSHIP_JOINER = "、"
_HARDSHIP_SPLIT = re.compile(r"[、,，;；/\s]+")


@dataclass(frozen=True)
class Column:
    """One column of a layout: its title, whether it is required, and how to fill it in."""

    title: str
    required: bool = False
    note: str = ""
    example: str = ""
    width: int = 14
    # Text-only columns: Excel would turn them into numbers and lose digits (it keeps 15), so a
    # cell that arrives as a number is refused, never converted back (NUMBER_CELL_MESSAGE), and
    # the template formats the column as text ("@").
    text: bool = False


@dataclass(frozen=True)
class Layout:
    """The columns of one kind of file, in order."""

    kind: str
    label: str
    columns: tuple[Column, ...]

    @property
    def titles(self) -> list[str]:
        return [c.title for c in self.columns]

    @property
    def required(self) -> list[str]:
        return [c.title for c in self.columns if c.required]

    @property
    def text_titles(self) -> list[str]:
        """The text-only columns: a cell there that is a number is refused."""
        return [c.title for c in self.columns if c.text]

    def template_header(self) -> list[str]:
        """The header row of the template: required columns marked with a leading *."""
        return [("*" if c.required else "") + c.title for c in self.columns]


_REGION_COLUMNS = (
    Column(TOWNSHIP, True, "本县现有乡镇（街道）的名称，简称或全称均可", "文井江镇"),
    Column(VILLAGE, True, "该乡镇下现有村（社区）的名称，简称或全称均可", "大坪村"),
    Column(
        GROUP, False, "该村下的组（网格）名称，如“6组”，也可只填数字“6”；留空表示直属于村", "6组", 8
    ),
)

RESIDENTS = Layout(
    kind="residents",
    label="户和居民",
    columns=(
        Column(
            NUMBER,
            True,
            "户的编号，全县唯一，须符合本县户号规则（默认 17 位：县代码 6 位 + 乡镇 2 位 + 村 3 位"
            " + 组 2 位 + 序号 4 位）；同一户的每一行填写相同户号",
            "51018411003060001",
            20,
            True,
        ),
        *_REGION_COLUMNS,
        Column(
            ADDRESS, False, "户的住址；同一户的各行应一致，留空不清除已有住址", "大坪村6组12号", 24
        ),
        Column(
            HARDSHIP,
            False,
            "可填多个，用“、”分隔：" + HARDSHIP_JOINER.join(HardshipKind.labels) + "；留空表示无",
            "低保、残疾",
            16,
        ),
        Column(NAME, True, "居民姓名", "罗选志", 10),
        Column(ID_NUMBER, True, "18位居民身份证号，校验位须正确", "51018419700517001X", 22, True),
        Column(
            RELATION,
            True,
            "可填：" + "、".join(Relation.labels) + "；每户只能有一名户主",
            "户主",
            10,
        ),
        Column(PHONE, False, "11位手机号；留空不清除已有号码", "13800000000", 14, True),
    ),
)

ENTERPRISES = Layout(
    kind="enterprises",
    label="企业",
    columns=(
        Column(
            CREDIT_CODE, True, "18位统一社会信用代码，校验位须正确", "91510184MA0000001X", 22, True
        ),
        Column(ENTERPRISE_NAME, True, "企业名称", "崇州市某某农业有限公司", 28),
        Column(
            TRADE,
            True,
            "国民经济行业门类字母 A–T 或名称："
            + "、".join(f"{v} {lbl}" for v, lbl in Trade.choices),
            "A",
            10,
        ),
        *_REGION_COLUMNS,
        Column(ENTERPRISE_ADDRESS, False, "企业地址；留空不清除已有地址", "大坪村6组", 24),
    ),
)

LAYOUTS: dict[str, Layout] = {RESIDENTS.kind: RESIDENTS, ENTERPRISES.kind: ENTERPRISES}

# Words census and village registers often use for the relation, beside the labels themselves.
_RELATION_WORDS: dict[str, str] = {
    **{label: value for value, label in Relation.choices},
    **{value: value for value in Relation.values},
    "本人": Relation.HEAD,
    "妻": Relation.SPOUSE,
    "妻子": Relation.SPOUSE,
    "夫": Relation.SPOUSE,
    "丈夫": Relation.SPOUSE,
    "子": Relation.CHILD,
    "女": Relation.CHILD,
    "儿子": Relation.CHILD,
    "女儿": Relation.CHILD,
    "长子": Relation.CHILD,
    "次子": Relation.CHILD,
    "长女": Relation.CHILD,
    "次女": Relation.CHILD,
    "父": Relation.PARENT,
    "母": Relation.PARENT,
    "父亲": Relation.PARENT,
    "母亲": Relation.PARENT,
    "祖父": Relation.GRANDPARENT,
    "祖母": Relation.GRANDPARENT,
    "孙子": Relation.GRANDCHILD,
    "孙女": Relation.GRANDCHILD,
    "兄弟": Relation.SIBLING,
    "姐妹": Relation.SIBLING,
    "儿媳": Relation.CHILD_IN_LAW,
    "女婿": Relation.CHILD_IN_LAW,
}
_HARDSHIP_WORDS: dict[str, str] = {
    **{label: value for value, label in HardshipKind.choices},
    **{value: value for value in HardshipKind.values},
    "低保户": HardshipKind.SUBSISTENCE,
    "特困供养": HardshipKind.EXTREME_POVERTY,
    "特困户": HardshipKind.EXTREME_POVERTY,
    "重大疾病": HardshipKind.SERIOUS_ILLNESS,
    "其他": HardshipKind.OTHER,
}
_TRADE_WORDS: dict[str, str] = {label: value for value, label in Trade.choices}


def _compact(text: str) -> str:
    return "".join(to_halfwidth(text).split())


def parse_relation(text: str) -> str | None:
    """The Relation value for a cell (label, code or common synonym), None when unknown."""
    return _RELATION_WORDS.get(_compact(text))


def parse_hardships(text: str) -> tuple[frozenset[str], list[str]]:
    """(the HardshipKind values in the cell, the parts that are not a known kind)."""
    kinds: set[str] = set()
    unknown: list[str] = []
    for part in _HARDSHIP_SPLIT.split(text.strip()):
        if not part:
            continue
        kind = _HARDSHIP_WORDS.get(part)
        if kind is None:
            unknown.append(part)
        else:
            kinds.add(kind)
    return frozenset(kinds), unknown


def parse_trade(text: str) -> str | None:
    """The Trade section for 'C', '制造业' or 'C 制造业' / 'C-制造业'; None when unknown."""
    value = _compact(text)
    if value.upper() in Trade.values:
        return value.upper()
    if value in _TRADE_WORDS:
        return _TRADE_WORDS[value]
    letter, rest = value[:1].upper(), value[1:].lstrip("-_.、:：")
    if letter in Trade.values and _TRADE_WORDS.get(rest) == letter:
        return letter
    return None


def hardship_text(kinds: list[str] | set[str] | frozenset[str]) -> str:
    """The cell text for a set of kinds, in the order of HardshipKind."""
    return HARDSHIP_JOINER.join(k.label for k in HardshipKind if k.value in kinds)
