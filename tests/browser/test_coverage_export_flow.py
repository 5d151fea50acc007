"""The coverage page's 导出 Excel as a person clicks it (issue 9): a short list downloads at
once; a long one goes to its export job's page, which offers the file once it is ready, and the
coverage page then lists it."""

import io
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from lianxin.core.sheets import HEADING_ROWS
from tests.browser.test_accounts_flow import signed_in
from tests.browser.test_layout import NARROW, WIDE, _check
from tests.factories import build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(settings, tmp_path):
    # No worker process beside the live server: the job runs inside the request that submits it
    # (its page's polling while it waits: tests/pairing/test_coverage_export_jobs.py).
    settings.LIANXIN_JOBS_INLINE = True
    settings.MEDIA_ROOT = tmp_path / "media"
    return build_world()


def _numbers(path: str) -> list[str]:
    # The download's temporary file has no suffix: openpyxl reads it as a stream.
    book = load_workbook(io.BytesIO(Path(path).read_bytes()), read_only=True)
    try:
        rows = [list(r) for r in book.worksheets[0].iter_rows(values_only=True)]
    finally:
        book.close()
    return [r[0] for r in rows[HEADING_ROWS + 1 :]]


@pytest.mark.parametrize("viewport", [NARROW[1], WIDE], ids=["390px", "1366px"])
def test_it_downloads_a_short_list_and_makes_a_long_one_a_job(world, open_page, settings, viewport):
    page = signed_in(open_page, "city", viewport)
    page.goto("/pairing/coverage/")
    _check(page, "/pairing/coverage/", viewport)
    with page.expect_download() as info:
        page.get_by_role("button", name="导出 Excel").click()
    short = _numbers(info.value.path())
    assert short == ["51018411000000001", "51018411000000002", "51018411000000101"]

    settings.LIANXIN_SYNC_EXPORT_ROWS = 2
    # A plain link to a long list asks first (the page a bookmarked export URL opens).
    page.goto("/pairing/coverage/export/?list=households")
    expect(page.get_by_role("button", name="在后台生成")).to_be_visible()
    _check(page, "coverage export question", viewport)
    page.go_back()
    page.get_by_role("button", name="导出 Excel").click()
    page.wait_for_url("**/transfer/jobs/*/")
    expect(page.locator("#job-progress")).to_contain_text("已完成")
    _check(page, "coverage export job", viewport)
    link = page.get_by_role("link", name="下载 覆盖情况-未结对的户-")
    with page.expect_download() as info:
        link.click()
    assert info.value.suggested_filename.startswith("覆盖情况-未结对的户-")
    assert _numbers(info.value.path()) == short

    page.get_by_role("link", name="双向全覆盖").click()
    expect(page.get_by_text("我的覆盖情况导出")).to_be_visible()
