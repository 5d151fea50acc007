"""Printing a village's cards: sheets, embedded font, text, QR codes and cut marks."""

from urllib.parse import quote

from reportlab.lib.pagesizes import A4

from lianxin.audit.models import AuditEntry
from lianxin.cards import pdf
from lianxin.core.models import today
from lianxin.pairing.models import CardToken
from tests.cards.support import (
    download,
    fonts,
    line_segments,
    page_texts,
    pdf_bytes,
    qr_codes,
    reader,
)

MM = 72 / 25.4
E = 0.05  # points: PDF coordinates are written rounded


def _live_urls(households, base="http://testserver"):
    tokens = CardToken.objects.filter(household__in=households, revoked_at__isnull=True)
    return {t.household_id: f"{base}/h/{t.token}" for t in tokens}


def test_it_prints_a_village_on_one_sheet_per_ten_cards(cards_world, login):
    w = cards_world
    response = download(login(w.township_staff), "region", w.village.pk)
    data = pdf_bytes(response)
    assert len(w.village_households) == 12
    assert len(reader(data).pages) == 2  # ceil(12 / 10)
    assert response["X-Card-Count"] == "12"
    assert f"filename*=UTF-8''{quote('大坪村连心卡.pdf')}" in response["Content-Disposition"]
    assert response["Content-Disposition"].startswith("attachment;")


def test_it_embeds_every_font(cards_world, login):
    data = pdf_bytes(download(login(cards_world.township_staff), "region", cards_world.village.pk))
    found = fonts(data)
    assert found
    for font in found:
        assert font["descriptor"] & {"/FontFile", "/FontFile2", "/FontFile3"}, font["name"]


def test_it_prints_the_cadre_unit_post_phone_address_and_date_as_chinese_text(cards_world, login):
    w = cards_world
    first, second = page_texts(pdf_bytes(download(login(w.township_staff), "region", w.village.pk)))
    for expected in (
        "连心卡",
        "结对心连心·我们在一起",
        "马林增",
        "中共崇州市委宣传部",
        "网信办干部",
        "139 0000 0001",
        # Always under its township, computed from the regions (the stored address has none).
        "住址 文井江镇大坪村6组12号",
        f"打印日期 {pdf.format_date(today())}",
    ):
        assert expected in first, expected
    # 大坪村7组's household has no cadre: its card says so and gives the township's contact.
    for expected in (
        "暂未结对",
        "崇州市文井江镇人民政府",
        "028-82211234",
        "住址 文井江镇大坪村7组",
    ):
        assert expected in second, expected
    for personal in ("罗选志", "张三丰", "赵0", "51018411000000001"):
        assert personal not in first + second


def test_it_prints_qr_codes_that_lead_to_each_households_public_page(cards_world, login):
    w = cards_world
    data = pdf_bytes(download(login(w.township_staff), "region", w.village.pk))
    urls = _live_urls(w.village_households)
    first, second = qr_codes(data, 0), qr_codes(data, 1)
    assert len(first) == 10 and len(second) == 2
    assert set(first) | set(second) == set(urls.values())
    # Cards come out by group, then household number: 6组's 51018411000000001 first, 7组's 51018411000000002 last.
    assert urls[w.household.pk] in first
    assert urls[w.household2.pk] in second


def test_it_uses_the_configured_public_base_url(cards_world, login, settings):
    settings.LIANXIN_PUBLIC_BASE_URL = "https://lianxin.example.gov.cn"
    w = cards_world
    data = pdf_bytes(download(login(w.township_staff), "household", w.household.pk))
    token = CardToken.objects.get(household=w.household, revoked_at__isnull=True).token
    assert qr_codes(data) == [f"https://lianxin.example.gov.cn/h/{token}"]


def test_it_lays_out_id1_cards_centred_on_a4_with_cut_marks_outside_them(cards_world, login):
    data = pdf_bytes(download(login(cards_world.township_staff), "region", cards_world.village.pk))
    page = reader(data).pages[0]
    assert [round(float(v), 1) for v in page.mediabox[2:]] == [round(v, 1) for v in A4]
    rects = pdf.card_rects()
    for x0, y0, x1, y1 in rects:
        assert round(x1 - x0, 2) == round(85.6 * MM, 2) and round(y1 - y0, 2) == round(54 * MM, 2)
    assert round(rects[0][0] + rects[-1][2], 2) == round(A4[0], 2)  # centred across
    assert round(rects[-1][1] + rects[0][3], 2) == round(A4[1], 2)  # and down

    segments = line_segments(data)
    assert len(segments) == 8 * len(rects)  # two short lines at each of the four corners
    for x0, y0, x1, y1 in segments:
        assert _same(x0, x1) or _same(y0, y1), "cut marks are horizontal or vertical"
        # Coordinates are rounded in the PDF: a mark on an edge's extension may touch it.
        for rx0, ry0, rx1, ry1 in ((a + E, b + E, c - E, d - E) for a, b, c, d in rects):
            overlaps = min(x0, x1) < rx1 and max(x0, x1) > rx0 and min(y0, y1) < ry1
            overlaps = overlaps and max(y0, y1) > ry0
            assert not overlaps, "a cut mark runs over a card"
    for rx0, ry0, rx1, ry1 in rects:
        for cx, cy in ((rx0, ry0), (rx0, ry1), (rx1, ry0), (rx1, ry1)):
            near = [s for s in segments if _touches(s, cx, cy, 1 * MM)]
            assert any(_same(s[1], cy) and _same(s[3], cy) for s in near), "horizontal mark"
            assert any(_same(s[0], cx) and _same(s[2], cx) for s in near), "vertical mark"


def _same(a, b):
    return abs(a - b) < E


def _touches(segment, x, y, distance):
    x0, y0, x1, y1 = segment
    return any(
        abs(px - x) <= distance and abs(py - y) <= distance for px, py in ((x0, y0), (x1, y1))
    )


def test_it_issues_missing_tokens_and_records_one_audit_row_per_print(cards_world, login):
    w = cards_world
    client = login(w.township_staff)
    assert not CardToken.objects.filter(household__in=w.village_households).exists()
    pdf_bytes(download(client, "region", w.village.pk))
    first = _live_urls(w.village_households)
    assert len(first) == 12
    assert all(len(url.rsplit("/", 1)[1]) == 43 for url in first.values())
    pdf_bytes(download(client, "region", w.village.pk))
    assert _live_urls(w.village_households) == first  # printing again keeps every card valid
    rows = list(AuditEntry.objects.filter(action="打印连心卡").order_by("id"))
    assert len(rows) == 2
    assert rows[0].actor == w.township_staff
    assert rows[0].target_id == str(w.village.pk)
    assert rows[0].changes["张数"] == [None, 12]
    assert rows[0].changes["新签发二维码"] == [None, 12]
    assert rows[0].changes["范围"] == [None, "村（社区）：大坪村"]
    assert rows[1].changes["新签发二维码"] == [None, 0]
