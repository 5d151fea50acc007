"""The patterns an administrator types in (a county's household-number rule), in a small
language that cannot backtrack without end.

Such a pattern runs on every 户号 of every registration and import, and Python's `re` has no
time limit: "(a+)+$", "(\\d*)*" or "\\d?\\d?…\\d\\d…" would let one bad rule hang an import.
So a rule is not any regular expression but a sequence of these pieces, each matching one
character or one of a few fixed strings, each repeated a bounded number of times:

    piece    := atom count?
    atom     := a letter or digit (any script), "-", "_", "/", or "\\." "\\-" "\\_" "\\/"
              | "\\d"                        one ASCII digit 0-9
              | "[" … "]"                     one of the characters listed, ranges 0-9 A-Z a-z
              | "(" text "|" text … ")"       one of fixed strings; also "(?:…)"
    count    := "{n}" | "{m,n}" | "?"          1 ≤ n ≤ 30, 0 ≤ m ≤ n; no "*", "+" or "{m,}"

and "^" at the start, "$" at the end are allowed (the whole number must match anyway). What it
leaves out is what backtracks: unbounded and nested repeats, "." and "\\w", alternatives that
are not fixed strings or where one begins another ("12|123"), back-references. One more rule
makes the matching deterministic: a piece of variable count must not be followed by a piece
that may begin with the same character ("\\d{1,3}\\d{2}": where does the first end?). Then each
character of a number has at most one place in the pattern, and a check takes time linear in
the number's length.

A rule is rewritten into one canonical expression that Python's `re` and PostgreSQL's `~`
read alike (`\\d` as [0-9], so a full-width "１" is not a digit on either), so the database can
check every registered number against a new rule without reading them out (`database_regex`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from string import ascii_lowercase, ascii_uppercase, digits

from .errors import InvalidValue

MAX_PATTERN_LENGTH = 200
# A 户号 has at most 30 characters (Household.number): no count needs more.
MAX_COUNT = 30
MAX_NUMBER_LENGTH = 30
# Punctuation a 户号 may hold besides letters and digits (as a literal, or inside [...]).
PUNCTUATION = "-_/."
_KINDS = (digits, ascii_uppercase, ascii_lowercase)
UNBOUNDED = "不能使用“*”或“+”：次数不限、长度可变的重复会让检查无休止地回溯，请写明次数，如 \\d{11} 或 \\d{8,11}"
GRAMMAR_HINT = "规则可用：字母或数字、\\d、[A-Z] 这样的字符组、(510184|510129) 这样的几种固定写法，各加 {n}、{m,n} 或 ? 表示次数"


@dataclass(frozen=True)
class _Piece:
    """One atom with its count, as the grammar above reads it."""

    source: str  # as typed, to name it in a message
    first: frozenset[str]  # the characters it can begin with
    shortest: int  # the length of one repetition, at least…
    longest: int  # …and at most
    regex: str  # one repetition in the canonical expression
    low: int = 1
    high: int | None = 1  # None: unbounded ("*", "+", "{m,}"), refused once read

    @property
    def varies(self) -> bool:
        return self.low != self.high


def _literal(ch: str) -> str:
    """A character as the canonical expression writes it: letters and digits as themselves,
    punctuation inside brackets (literal in every engine without escaping rules)."""
    return ch if ch.isalnum() else f"[{ch}]"


def _class_regex(chars: frozenset[str]) -> str:
    # Every character listed, "-" first: no ranges, whose meaning could depend on collation.
    return "[" + "".join(sorted(chars, key=lambda c: (c != "-", c))) + "]"


class _Reader:
    def __init__(self, pattern: str) -> None:
        self.text = pattern
        self.pos = 0

    def peek(self, ahead: int = 0) -> str:
        i = self.pos + ahead
        return self.text[i] if i < len(self.text) else ""

    def fail(self, message: str) -> InvalidValue:
        return InvalidValue(f"第 {self.pos + 1} 个字符：{message}")

    # -- atoms ------------------------------------------------------------------------------

    def literal_char(self) -> str | None:
        """A plain or escaped literal character at the reader, consumed; None when the
        reader is at something else."""
        ch = self.peek()
        if ch == "\\":
            nxt = self.peek(1)
            if nxt in PUNCTUATION and nxt:
                self.pos += 2
                return nxt
            return None
        if ch.isalnum() or (ch in "-_/" and ch):
            self.pos += 1
            return ch
        return None

    def atom(self) -> _Piece:
        start = self.pos
        ch = self.peek()
        if ch == "(":
            return self.group()
        if ch == "[":
            return self.char_class()
        if ch == "\\":
            nxt = self.peek(1)
            if nxt == "d":
                self.pos += 2
                return _Piece("\\d", frozenset(digits), 1, 1, _class_regex(frozenset(digits)))
            if nxt.isdigit():
                raise self.fail("规则不能使用反向引用（\\1 或 (?P=名称)）")
            if nxt and nxt not in PUNCTUATION:
                raise self.fail(f"不能使用“\\{nxt}”；{GRAMMAR_HINT}")
        if ch == ".":
            raise self.fail(
                "不能使用“.”（任意字符）：请写明允许的字符，如 \\d（数字）、[A-Z]（大写字母），"
                "小数点本身写作 \\."
            )
        if ch in "*+":
            raise self.fail(UNBOUNDED)
        if ch in "?{":
            raise self.fail(f"“{ch}”前面没有可重复的内容")
        if ch == "|":
            raise self.fail("“|”只能用在括号里，列出几种固定的写法，如 (510184|510129)\\d{11}")
        if ch == ")":
            raise self.fail("多了一个“)”")
        if ch.isspace():
            raise self.fail("规则不能含空格")
        got = self.literal_char()
        if got is None:
            raise self.fail(f"不能使用字符“{ch}”；{GRAMMAR_HINT}")
        return _Piece(self.text[start : self.pos], frozenset(got), 1, 1, _literal(got))

    def char_class(self) -> _Piece:
        start = self.pos
        self.pos += 1
        if self.peek() == "^":
            raise self.fail("不能使用取反的字符组 [^…]：请列出允许的字符")
        chars: set[str] = set()
        while self.peek() != "]":
            if not self.peek():
                self.pos = start
                raise self.fail("“[”没有对应的“]”")
            if self.peek() == "\\" and self.peek(1) == "d":
                self.pos += 2
                chars |= set(digits)
                continue
            at = self.pos
            low = self.literal_char()
            if low is None and self.peek() == ".":  # a dot inside [...] is the dot itself
                self.pos += 1
                low = "."
            if low is None:
                raise self.fail(
                    f"字符组里不能使用“{self.peek()}”；可列出字母、数字和 {PUNCTUATION}"
                )
            if self.peek() == "-" and self.peek(1) not in ("]", ""):
                self.pos += 1
                high = self.literal_char()
                kind = next((k for k in _KINDS if low in k), None)
                if not high or kind is None or high not in kind or high < low:
                    self.pos = at
                    raise self.fail("字符组的范围只能是 0-9、A-Z、a-z 之内由小到大的一段")
                chars |= set(kind[kind.index(low) : kind.index(high) + 1])
            else:
                chars.add(low)
        self.pos += 1
        if not chars:
            raise self.fail("字符组 [] 是空的")
        first = frozenset(chars)
        return _Piece(self.text[start : self.pos], first, 1, 1, _class_regex(first))

    def group(self) -> _Piece:
        start = self.pos
        self.pos += 1
        if self.peek() == "?":
            if self.peek(1) != ":":
                raise self.fail("括号里不能使用 (?…) 这样的扩展写法（(?:…) 除外）")
            self.pos += 2
        options, text, counted, other = [], "", False, ""
        while True:
            ch = self.peek()
            if not ch:
                self.pos = start
                raise self.fail("“(”没有对应的“)”")
            if ch in "|)":
                options.append(text)
                text = ""
                self.pos += 1
                if ch == ")":
                    break
                continue
            if ch == "(":
                raise self.fail("括号不能嵌套")
            if ch in "*+?{":
                counted = True
                self.pos += 1
                continue
            got = self.literal_char()
            if got is None:
                # \d, [..], "." and the like: read on, so that a count inside still comes first.
                other = other or ch
                self.pos += 2 if ch == "\\" else 1
                continue
            text += got
        source = self.text[start : self.pos]
        if counted:
            self.pos = start
            raise self.fail(
                f"“{source}”：括号里不能再用重复（如 (\\d+)+ 这样重复套重复、长度可变的重复，"
                "会让检查无休止地回溯）；括号只用来列出几种固定的写法，如 (510184|510129)"
            )
        if other:
            self.pos = start
            raise self.fail(
                f"“{source}”：括号里只能写固定的字符，用“|”分隔各种写法，如 (510184|510129)；"
                "\\d 和 […] 请写在括号外"
            )
        if any(not o for o in options):
            self.pos = start
            raise self.fail(f"“{source}”：括号里用“|”分隔的写法不能有空的")
        for a in options:
            for b in options:
                if a is not b and b.startswith(a):
                    self.pos = start
                    raise self.fail(
                        f"“{source}”：括号里用“|”分隔的写法不能一个是另一个的开头"
                        f"（“{a}”与“{b}”），检查时无法确定用哪一种"
                    )
        regex = "(?:" + "|".join("".join(_literal(c) for c in o) for o in options) + ")"
        return _Piece(
            source,
            frozenset(o[0] for o in options),
            min(map(len, options)),
            max(map(len, options)),
            regex,
        )

    # -- counts -----------------------------------------------------------------------------

    def count(self, piece: _Piece) -> _Piece:
        start = self.pos
        ch = self.peek()
        if not ch:
            return piece
        if ch == "?":
            self.pos += 1
            low, high = 0, 1
        elif ch in "*+":
            self.pos += 1
            low, high = (0 if ch == "*" else 1), None
        elif ch == "{":
            found = re.compile(r"\{(\d{1,3})(?:(,)(\d{0,3}))?\}").match(self.text, self.pos)
            if not found:
                raise self.fail("次数须写成 {n} 或 {m,n}，如 \\d{11}、\\d{8,11}")
            self.pos = found.end()
            low = int(found[1])
            high = low if not found[2] else (int(found[3]) if found[3] else None)
        else:
            return piece
        if high is not None and high > MAX_COUNT:
            raise self.fail(f"重复次数最多 {MAX_COUNT}（户号最多 {MAX_NUMBER_LENGTH} 个字符）")
        if high is not None and (high < 1 or low > high):
            raise self.fail("重复次数须至少为 1，且 {m,n} 的 m 不能大于 n")
        if self.peek() and self.peek() in "?*+{":
            raise self.fail("不能连用两个表示次数的符号（如 \\d{2}? 或 \\d{2}{3}）")
        return _Piece(
            piece.source + self.text[start : self.pos],
            piece.first,
            piece.shortest,
            piece.longest,
            piece.regex,
            low,
            high,
        )

    def pieces(self) -> list[_Piece]:
        if self.peek() == "^":
            self.pos += 1
        found: list[_Piece] = []
        while self.pos < len(self.text):
            if self.peek() == "$" and self.pos == len(self.text) - 1:
                self.pos += 1
                break
            if self.peek() in "^$":
                raise self.fail("“^”只能写在最前面，“$”只能写在最后面")
            found.append(self.count(self.atom()))
        return found


def _has_back_reference(pattern: str) -> bool:
    i = 0
    while i < len(pattern):
        if pattern[i] == "\\":
            if pattern[i + 1 : i + 2].isdigit():
                return True
            i += 2
            continue
        if pattern.startswith("(?P=", i):
            return True
        i += 1
    return False


def _canonical(pattern: str) -> str:
    if not pattern.strip():
        raise InvalidValue("规则不能为空")
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise InvalidValue(f"规则最多 {MAX_PATTERN_LENGTH} 个字符（现有 {len(pattern)} 个）")
    try:
        re.compile(pattern)
    except re.error as exc:
        where = f"（第 {exc.pos + 1} 个字符附近有误）" if exc.pos is not None else ""
        raise InvalidValue(f"不是有效的正则表达式{where}") from None
    except RecursionError:
        raise InvalidValue("规则嵌套过深") from None
    if _has_back_reference(pattern):
        raise InvalidValue("规则不能使用反向引用（\\1 或 (?P=名称)）")
    pieces = _Reader(pattern).pieces()
    if sum(p.low * p.shortest for p in pieces) == 0:
        raise InvalidValue("规则不能接受空的户号")
    for p in pieces:
        if p.high is None:
            raise InvalidValue(f"“{p.source}”：{UNBOUNDED}")
    shortest = sum(p.low * p.shortest for p in pieces)
    if shortest > MAX_NUMBER_LENGTH:
        raise InvalidValue(
            f"规则要求户号至少 {shortest} 个字符，而户号最多 {MAX_NUMBER_LENGTH} 个字符"
        )
    for i, p in enumerate(pieces):
        if not p.varies:
            continue
        for q in pieces[i + 1 :]:
            if p.first & q.first:
                raise InvalidValue(
                    f"“{p.source}”的次数可变，而其后的“{q.source}”可能以同样的字符开头，"
                    "检查时无法确定两段的分界；请写成固定位数，或在两段之间用不同的字符隔开"
                )
            if q.low:
                break
    return "".join(p.regex + _count_regex(p) for p in pieces)


def _count_regex(p: _Piece) -> str:
    if (p.low, p.high) == (1, 1):
        return ""
    return f"{{{p.low}}}" if p.low == p.high else f"{{{p.low},{p.high}}}"


def canonical_rule(pattern: str) -> str:
    """The rule as one expression Python and PostgreSQL read alike, or InvalidValue with a
    Chinese message saying what is wrong and where."""
    return _canonical(pattern)


def compile_rule(pattern: str) -> re.Pattern[str]:
    """The compiled rule (its canonical expression); `fullmatch` a number against it."""
    return re.compile(canonical_rule(pattern))


def database_regex(pattern: str) -> str:
    """The rule anchored for a `__regex` lookup (PostgreSQL `~`, SQLite's REGEXP, which is
    Python's `re.search`): true exactly when the whole value follows the rule."""
    return rf"\A(?:{canonical_rule(pattern)})\Z"
