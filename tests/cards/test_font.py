"""Without a CJK font the PDF cannot be made: a clear Chinese answer, never a 500."""

from django.urls import reverse

from lianxin.audit.models import AuditEntry
from lianxin.pairing.models import CardToken
from tests.cards.support import download, fonts, pdf_bytes


def test_it_explains_a_missing_font_in_chinese(cards_world, login, settings):
    settings.LIANXIN_CJK_FONT = "/nonexistent/wqy-microhei.ttc"
    client = login(cards_world.township_staff)
    response = download(client, "region", cards_world.village.pk)
    page = response.content.decode()
    assert response.status_code == 503
    assert "中文字体" in page and "fonts-wqy-microhei" in page
    assert "/nonexistent/wqy-microhei.ttc" in page
    assert "Traceback" not in page
    # Refused before anything changed: no token issued, no print recorded.
    assert not CardToken.objects.exists()
    assert not AuditEntry.objects.filter(action="打印连心卡").exists()
    summary = client.get(reverse("cards:print"), {"kind": "region", "pk": cards_world.village.pk})
    assert summary.status_code == 503 and "fonts-wqy-microhei" in summary.content.decode()


def test_it_refuses_a_file_that_is_not_a_font(cards_world, login, settings, tmp_path):
    junk = tmp_path / "font.ttf"
    junk.write_bytes(b"not a font at all")
    settings.LIANXIN_CJK_FONT = str(junk)
    response = download(login(cards_world.township_staff), "household", cards_world.household.pk)
    assert response.status_code == 503
    assert "无法使用" in response.content.decode()


def test_it_uses_the_configured_font_file(cards_world, login, settings):
    settings.LIANXIN_CJK_FONT = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
    data = pdf_bytes(
        download(login(cards_world.township_staff), "household", cards_world.household.pk)
    )
    assert all("WenQuanYi" in f["name"] for f in fonts(data))
