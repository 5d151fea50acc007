"""Drawing 连心卡 sheets: ID-1 cards, ten to an A4 page, with cut marks and an embedded CJK font.

Django-free apart from reading the font setting: the services hand in plain `Card` rows, so the
layout can be drawn and checked on its own. Everything is drawn in absolute page coordinates
(no transforms), and the only stroked line segments on a page are the cut marks.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import segno
from django.conf import settings
from reportlab import rl_config
from reportlab.lib.colors import Color, HexColor, white
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont
from reportlab.pdfgen.canvas import Canvas

from lianxin.core.errors import Refused

# Debian's fonts-wqy-microhei: a TrueType collection reportlab can subset and embed
# (the Noto CJK fonts are CFF-based OpenType, which reportlab cannot embed).
DEFAULT_FONT_PATHS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/wqy-microhei/wqy-microhei.ttc",
)
FONT_HINT = (
    "请系统管理员安装中文字体 fonts-wqy-microhei（apt-get install fonts-wqy-microhei），"
    "或用 LIANXIN_CJK_FONT 指定一个含中文字形的 TrueType 字体文件（.ttf/.ttc）"
)

TITLE = "连心卡"
SLOGAN = "结对心连心·我们在一起"

# ISO/IEC 7810 ID-1, the size of a bank card: fits a wallet or the back of a phone case.
CARD_W = 85.6 * mm
CARD_H = 54 * mm
COLS, ROWS = 2, 5
PER_PAGE = COLS * ROWS
PAGE_W, PAGE_H = A4
# Gutters between cards, so each card's cut marks sit outside it and never on a neighbour.
GAP_X = 6 * mm
GAP_Y = 3 * mm
MARGIN_X = (PAGE_W - COLS * CARD_W - (COLS - 1) * GAP_X) / 2
MARGIN_Y = (PAGE_H - ROWS * CARD_H - (ROWS - 1) * GAP_Y) / 2
MARK_OFFSET = 0.5 * mm  # cut marks start this far from the corner
MARK_LENGTH = 3 * mm
MARK_WIDTH = 0.25

RED = HexColor("#C8161D")
INK = HexColor("#1A1A1A")
GREY = HexColor("#5A5A5A")

PAD = 4 * mm
BAND_H = 11 * mm
QR_SIZE = 21 * mm
QR_RIGHT = 3.5 * mm
TEXT_W = CARD_W - PAD - QR_RIGHT - QR_SIZE - 3 * mm


class FontMissing(Refused):
    """No usable CJK font on the server: the PDF cannot be made, and the admin must act."""

    def __init__(self, message: str) -> None:
        super().__init__(message, field="font", status=503)


@dataclass(frozen=True)
class Card:
    """What one card shows. No household member's name or ID number ever reaches it."""

    url: str
    address: str
    cadre_name: str = ""
    unit_name: str = ""
    post: str = ""
    phone: str = ""
    township_name: str = ""
    township_phone: str = ""

    @property
    def paired(self) -> bool:
        return bool(self.cadre_name)


_registered: dict[str, str] = {}


def font_path() -> Path:
    """The configured font file, or the first Debian default present; FontMissing otherwise."""
    configured = getattr(settings, "LIANXIN_CJK_FONT", "")
    if configured:
        path = Path(configured)
        if not path.is_file():
            raise FontMissing(f"打印连心卡所需的中文字体文件“{configured}”不存在。{FONT_HINT}")
        return path
    for candidate in DEFAULT_FONT_PATHS:
        if Path(candidate).is_file():
            return Path(candidate)
    raise FontMissing(f"服务器上没有打印连心卡所需的中文字体。{FONT_HINT}")


def cjk_font() -> str:
    """Register the CJK font with reportlab once per process and path; returns its name."""
    path = str(font_path())
    if path in _registered:
        return _registered[path]
    name = f"LianxinCJK{len(_registered)}"
    try:
        # subfontIndex picks the first face of a .ttc collection and is ignored for a .ttf.
        font = TTFont(name, path, subfontIndex=0)
    except (TTFError, OSError) as exc:
        raise FontMissing(f"字体文件“{path}”无法使用（{exc}）。{FONT_HINT}") from None
    if not all(ord(ch) in font.face.charToGlyph for ch in TITLE):
        raise FontMissing(f"字体文件“{path}”不含中文字形。{FONT_HINT}")
    pdfmetrics.registerFont(font)
    _registered[path] = name
    return name


def page_count(cards: int) -> int:
    return math.ceil(cards / PER_PAGE)


def card_origin(slot: int) -> tuple[float, float]:
    """Bottom-left corner of the card in slot 0–9, filled left to right, top to bottom."""
    row, col = divmod(slot, COLS)
    x = MARGIN_X + col * (CARD_W + GAP_X)
    y = PAGE_H - MARGIN_Y - (row + 1) * CARD_H - row * GAP_Y
    return x, y


def card_rects() -> list[tuple[float, float, float, float]]:
    """(x0, y0, x1, y1) of the ten card positions on a sheet."""
    return [(x, y, x + CARD_W, y + CARD_H) for x, y in map(card_origin, range(PER_PAGE))]


def format_phone(number: str) -> str:
    """Mobile numbers in 3-4-4 groups, the way people read them aloud; others unchanged."""
    if len(number) == 11 and number.isdigit():
        return f"{number[:3]} {number[3:7]} {number[7:]}"
    return number


def format_date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def write_cards(out: IO[bytes], cards: Iterable[Card], *, printed_on: dt.date) -> int:
    """Draw the cards onto A4 sheets and write the PDF to `out`; returns the number of cards.

    Each sheet is drawn and compressed as soon as its tenth card arrives, so `cards` may be a
    generator reading the database in batches.
    """
    font = cjk_font()
    # Binary (Flate only) streams: ASCII85 makes the file a quarter larger and costs more time
    # than drawing, and nothing on the way to a printer needs 7-bit PDF any more.
    rl_config.useA85 = 0
    canvas = Canvas(out, pagesize=A4, pageCompression=1, initialFontName=font)
    canvas.setTitle(TITLE)
    canvas.setAuthor("连心")
    canvas.setSubject(SLOGAN)
    canvas.setCreator("连心")
    sheet = _Sheet(canvas, font, format_date(printed_on))
    count = 0
    for count, card in enumerate(cards, start=1):
        slot = (count - 1) % PER_PAGE
        if slot == 0 and count > 1:
            canvas.showPage()
        if slot == 0:
            sheet.cut_marks()
        sheet.card(slot, card)
    if count:
        canvas.showPage()
    canvas.save()
    return count


class _Sheet:
    """The drawing of one card at a time onto the current page."""

    def __init__(self, canvas: Canvas, font: str, date_text: str) -> None:
        self.c = canvas
        self.font = font
        self.date_text = date_text

    def cut_marks(self) -> None:
        """Short lines extending each card edge past its corners, in the gutter or margin only."""
        c = self.c
        c.setStrokeColor(INK)
        c.setLineWidth(MARK_WIDTH)
        for slot in range(PER_PAGE):
            row, col = divmod(slot, COLS)
            x0, y0 = card_origin(slot)
            x1, y1 = x0 + CARD_W, y0 + CARD_H
            left = self._mark_room(MARGIN_X if col == 0 else GAP_X)
            right = self._mark_room(MARGIN_X if col == COLS - 1 else GAP_X)
            top = self._mark_room(MARGIN_Y if row == 0 else GAP_Y)
            bottom = self._mark_room(MARGIN_Y if row == ROWS - 1 else GAP_Y)
            for y in (y0, y1):
                c.line(x0 - MARK_OFFSET - left, y, x0 - MARK_OFFSET, y)
                c.line(x1 + MARK_OFFSET, y, x1 + MARK_OFFSET + right, y)
            for x in (x0, x1):
                c.line(x, y1 + MARK_OFFSET, x, y1 + MARK_OFFSET + top)
                c.line(x, y0 - MARK_OFFSET - bottom, x, y0 - MARK_OFFSET)

    @staticmethod
    def _mark_room(space: float) -> float:
        """A mark's length: full in a margin, shortened to stay clear of the next card."""
        return min(MARK_LENGTH, space - 2 * MARK_OFFSET)

    def card(self, slot: int, card: Card) -> None:
        c = self.c
        x0, y0 = card_origin(slot)
        top = y0 + CARD_H
        # Title band.
        c.setFillColor(RED)
        c.rect(x0, top - BAND_H, CARD_W, BAND_H, stroke=0, fill=1)
        c.setFillColor(white)
        c.setFont(self.font, 15)
        c.drawString(x0 + PAD, top - BAND_H + 3.4 * mm, TITLE)
        c.setFont(self.font, 6.5)
        c.drawRightString(x0 + CARD_W - QR_RIGHT, top - BAND_H + 3.6 * mm, SLOGAN)
        # QR code to the household's public page, with a caption under it.
        qr_x = x0 + CARD_W - QR_RIGHT - QR_SIZE
        qr_top = top - BAND_H - 3 * mm
        self._qr(card.url, qr_x, qr_top)
        self._text(
            "扫码查看联系方式", qr_x + QR_SIZE / 2, qr_top - QR_SIZE - 3 * mm, 5.5, GREY, "center"
        )
        # Text column, top down.
        tx = x0 + PAD
        y = top - BAND_H - 5.2 * mm
        if card.paired:
            y = self._line(tx, y, "联系干部", 6.5, GREY, after=5.4)
            y = self._line(tx, y, card.cadre_name, 13, INK, after=4.6)
            y = self._line(tx, y, card.unit_name, 8, INK, after=3.8, min_size=5.5, lines=2)
            if card.post:
                y = self._line(tx, y, card.post, 7.5, INK, after=5.2, min_size=5.5)
            else:
                y -= 1.4 * mm
            phone = format_phone(card.phone) if card.phone else "未登记"
            y = self._line(tx, y, f"电话 {phone}", 10.5, INK, after=4.6)
        else:
            y = self._line(tx, y, "联系干部", 6.5, GREY, after=5.4)
            y = self._line(tx, y, "暂未结对", 13, RED, after=4.6)
            y = self._line(tx, y, "如有需要，请联系乡镇（街道）：", 6.5, GREY, after=3.8)
            y = self._line(tx, y, card.township_name or "所在乡镇（街道）", 8, INK, after=5.2)
            if card.township_phone:
                y = self._line(tx, y, f"电话 {format_phone(card.township_phone)}", 10.5, INK, 4.6)
        self._line(tx, y, f"住址 {card.address}", 6.5, INK, after=0, min_size=5)
        self._text(f"打印日期 {self.date_text}", tx, y0 + 3.2 * mm, 5.5, GREY)

    def _line(
        self,
        x: float,
        y: float,
        text: str,
        size: float,
        color: Color,
        after: float,
        *,
        min_size: float | None = None,
        lines: int = 1,
    ) -> float:
        """Draw text fitted to the column at baseline y; returns the next baseline."""
        fitted, used = fit_text(text, self.font, size, min_size or size, TEXT_W, lines)
        for i, part in enumerate(fitted):
            self._text(part, x, y - i * used * 1.2, used, color)
        return y - (len(fitted) - 1) * used * 1.2 - after * mm

    def _text(
        self, text: str, x: float, y: float, size: float, color: Color, align: str = "left"
    ) -> None:
        c = self.c
        c.setFillColor(color)
        c.setFont(self.font, size)
        if align == "center":
            c.drawCentredString(x, y, text)
        else:
            c.drawString(x, y, text)

    def _qr(self, url: str, x: float, top: float) -> None:
        """The QR code as one filled vector path: sharp at any printer resolution."""
        matrix = segno.make_qr(url, error="m").matrix
        module = QR_SIZE / len(matrix)
        # Thousands of module rectangles per sheet: written as literal "re" operators, since
        # reportlab's pure-Python number formatting costs more than encoding the code itself.
        ops = []
        for r, row in enumerate(matrix):
            y = top - (r + 1) * module
            for start, length in _runs(row):
                ops.append(
                    f"{x + start * module:.3f} {y:.3f} {length * module:.3f} {module:.3f} re"
                )
        self.c.setFillColor(INK)
        self.c.addLiteral("\n".join(ops) + "\nf")


def _runs(row: Iterable[int]) -> Iterator[tuple[int, int]]:
    """(start, length) of each run of dark modules in a QR row."""
    start = None
    i = -1
    for i, dark in enumerate(row):
        if dark and start is None:
            start = i
        elif not dark and start is not None:
            yield start, i - start
            start = None
    if start is not None:
        yield start, i + 1 - start


def fit_text(
    text: str, font: str, size: float, min_size: float, width: float, max_lines: int = 1
) -> tuple[list[str], float]:
    """Shrink the text from size towards min_size until it fits; then wrap it onto up to
    max_lines lines at min_size, ending with "…" if it still does not fit."""
    text = " ".join(text.split())
    current = size
    while current >= min_size:
        if pdfmetrics.stringWidth(text, font, current) <= width:
            return [text], current
        current -= 0.5
    current = min_size
    lines: list[str] = []
    rest = text
    while rest and len(lines) < max_lines:
        cut = len(rest)
        while cut > 1 and pdfmetrics.stringWidth(rest[:cut], font, current) > width:
            cut -= 1
        lines.append(rest[:cut])
        rest = rest[cut:].lstrip()
    if rest:
        last = lines[-1]
        while last and pdfmetrics.stringWidth(last + "…", font, current) > width:
            last = last[:-1]
        lines[-1] = last + "…"
    return lines, current
