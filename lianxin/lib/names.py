"""Short display names for administrative divisions."""

from __future__ import annotations

# (official suffix, unit the short name must end with). Longest suffixes first.
_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("社区居民委员会", "社区"),
    ("居民委员会", "社区"),
    ("社区居委会", "社区"),
    ("居委会", "社区"),
    ("村民委员会", "村"),
    ("村委会", "村"),
    ("街道办事处", "街道"),
    ("街道办", "街道"),
    ("管理委员会", ""),
    ("管委会", ""),
    ("办事处", ""),
    ("人民政府", ""),
)


def short_region_name(full: str) -> str:
    """'大坪村村民委员会' -> '大坪村', '崇阳街道办事处' -> '崇阳街道'; other names unchanged."""
    name = "".join(full.split())
    for suffix, unit in _SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            base = name[: -len(suffix)]
            # '大坪村民委员会' and '大坪村村民委员会' both mean 大坪村.
            if unit and not base.endswith(unit):
                base += unit
            return base
    return name


# Chinese numerals a name may use instead of digits (一组 … 十二组, 第三网格, 七一村, 二〇一三).
_CN_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5}
_CN_DIGITS |= {"六": 6, "七": 7, "八": 8, "九": 9}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
_CN_MYRIAD = {"万": 10**4, "亿": 10**8}
NO_NUMBER = 10**8 - 1
SORT_KEY_LENGTH = 1 + 12 + 8 + 60


def _chinese_number(run: str) -> int:
    """A run of Chinese numerals as a number, in either of the two ways they are written.

    Positional, digit by digit, when the run has no unit character: '七一' -> 71 (七一村 is
    named after July 1st), '二〇一三' -> 2013, '三' -> 3. Classic, with units, otherwise:
    '十一' -> 11, '二十' -> 20, '一百零五' -> 105, '一百十' -> 110, '三万零五' -> 30005.
    """
    if not any(ch in _CN_UNITS or ch in _CN_MYRIAD for ch in run):
        return int("".join(str(_CN_DIGITS[ch]) for ch in run))
    total, section, digit = 0, 0, 0
    for ch in run:
        if ch in _CN_DIGITS:
            digit = _CN_DIGITS[ch]
        elif ch in _CN_UNITS:
            # A unit with no digit before it counts once: 十一 is 11, 一百十 is 110.
            section += (digit or 1) * _CN_UNITS[ch]
            digit = 0
        else:
            total = (total + section + digit) * _CN_MYRIAD[ch]
            section, digit = 0, 0
    return total + section + digit


def number_in_name(name: str) -> int | None:
    """The first number written inside a name: '10组' -> 10, '第3网格' -> 3, '十二组' -> 12,
    '七一村' -> 71 (digit by digit, as the name is read), '二〇一三年' -> 2013."""
    digits, chinese = "", ""
    for ch in name:
        if ch.isascii() and ch.isdigit():
            if chinese:
                break
            digits += ch
        elif ch in _CN_DIGITS or ch in _CN_UNITS or (chinese and ch in _CN_MYRIAD):
            if digits:
                break
            chinese += ch
        elif digits or chinese:
            break
    if digits:
        return int(digits)
    # A lone 十/百/千 inside a word (十里村, 千佛村) is a name, not a number: only a run that
    # holds a digit numeral, or stands right before the group word, counts.
    if chinese and (any(c in _CN_DIGITS for c in chinese) or name.endswith(chinese + "组")):
        return _chinese_number(chinese)
    return None


def region_sort_key(code: str, name: str) -> str:
    """The official order of sibling regions as one text that sorts the same byte by byte on
    every database: by statistical code where there is one (coded regions first, a shorter
    code zero-padded so 9 sorts before 10), then by the number inside the name (1组, 2组, …,
    10组), then by the name itself. Fixed-width fields, so no separator is needed."""
    code = code.strip()
    head = "0" + code.rjust(12, "0")[-12:] if code.isdigit() else "1" + "0" * 12
    number = number_in_name(name)
    number = NO_NUMBER if number is None else min(number, NO_NUMBER)
    return f"{head}{number:08d}{name[:60]}"
