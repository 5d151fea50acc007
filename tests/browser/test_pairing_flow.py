"""The flow the pairing issue names: an administrator previews an automatic pairing run, applies
it, sees coverage reach 100%, and prints a village's 连心卡 at phone and desktop width — the
print's page offers the PDF once the job is done, and the PDF is read back page by page."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from lianxin.org.services import do_create_cadre
from lianxin.pairing.models import CardToken, Pairing
from tests.cards.support import fonts, page_texts, qr_codes, reader
from tests.factories import PASSWORD, build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(settings):
    # No worker process beside the live server: jobs run inside the request that submits them
    # (the pages' polling is tested in tests/cards/test_print_jobs.py and tests/pairing).
    settings.LIANXIN_JOBS_INLINE = True
    w = build_world()
    # 民政局 is responsible for 三龙村 but has no cadre who may take households yet.
    do_create_cadre(
        unit=w.other_unit,
        staff_no="C0002",
        name="李艾国",
        post="科长",
        phone="13900000002",
        acting_user=None,
    )
    return w


def _print_village_cards(page, world) -> bytes:
    """From the village's page to the PDF, as a user clicks through."""
    page.goto(f"/geo/{world.village.pk}/")
    page.get_by_role("link", name="打印本村（社区）的连心卡").click()
    page.get_by_role("button", name="生成 PDF").click()
    # The print's own page: its status, then the download once the job is done.
    expect(page.locator("#print-progress")).to_contain_text("共 2 张，1 页", timeout=60000)
    with page.expect_download() as info:
        page.get_by_role("link", name="下载 PDF").click()
    assert info.value.suggested_filename == "大坪村连心卡.pdf"
    return Path(info.value.path()).read_bytes()


def _check_cards(data: bytes, world, live_server) -> set[str]:
    assert len(reader(data).pages) == 1  # two households of 大坪村: one sheet
    assert fonts(data) and all(
        {"/FontFile", "/FontFile2", "/FontFile3"} & f["descriptor"] for f in fonts(data)
    )
    text = page_texts(data)[0]
    assert "连心卡" in text and "马林增" in text
    tokens = {t.household_id: t.token for t in CardToken.objects.filter(revoked_at__isnull=True)}
    expected = {f"{live_server.url}/h/{tokens[h.pk]}" for h in (world.household, world.household2)}
    assert set(qr_codes(data)) == expected
    return expected


def test_it_previews_applies_reaches_full_coverage_and_prints_cards(
    world, page, sign_in, live_server, open_page
):
    sign_in("city", PASSWORD)
    page.goto("/pairing/coverage/")
    households = page.locator(".card", has_text="户有结对干部")
    expect(households).to_contain_text("0 / 3")

    page.goto("/pairing/runs/")
    page.get_by_role("link", name="计算新的预览").click()
    page.get_by_role("button", name="开始计算").click()
    # The preview computes as a job (inline here), then its page shows the result.
    apply = page.get_by_role("button", name="确认执行")
    expect(apply).to_be_visible(timeout=60000)
    expect(page.locator("body")).to_contain_text("新结对")
    assert Pairing.objects.count() == 0  # a preview writes nothing
    apply.click()
    expect(page.locator("body")).to_contain_text("已执行")
    assert Pairing.objects.filter(valid_to__isnull=True).count() == 3

    page.goto("/pairing/coverage/")
    expect(page.locator(".card", has_text="户有结对干部")).to_contain_text("100")
    expect(page.locator(".card", has_text="户有结对干部")).to_contain_text("3 / 3")

    expected = _check_cards(_print_village_cards(page, world), world, live_server)

    # At desktop width, in another session: the same cards (printing again keeps every QR code).
    desktop = open_page({"width": 1280, "height": 900})
    desktop.goto("/accounts/login/")
    desktop.fill("#id_username", "city")
    desktop.fill("#id_password", PASSWORD)
    desktop.click("button[type=submit]")
    desktop.wait_for_url(lambda url: "/accounts/login" not in url)
    assert _check_cards(_print_village_cards(desktop, world), world, live_server) == expected

    # The QR code leads to the household's public page, which names its cadre.
    page.goto(sorted(expected)[0])
    expect(page.locator("body")).to_contain_text("马林增")
