"""Browser tests: playwright (Python) driving Debian's chromium against the live test server."""

import os
import shutil

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    # playwright's sync API runs an event loop in this thread; Django's ORM calls made by the
    # test itself are still synchronous and safe.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(
        base_url=live_server.url, locale="zh-CN", viewport={"width": 412, "height": 915}
    )
    page = context.new_page()
    page.set_default_timeout(15000)
    # Whatever the Content-Security-Policy blocks (an inline script, a style="" attribute)
    # shows up as a console error: a flow that trips it fails.
    blocked: list[str] = []
    page.on(
        "console",
        lambda msg: blocked.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    yield page
    context.close()
    assert blocked == []


@pytest.fixture
def sign_in(page):
    def _sign_in(username, password):
        page.goto("/accounts/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        page.click("button[type=submit]")
        page.wait_for_url(lambda url: "/accounts/login" not in url)
        return page

    return _sign_in


@pytest.fixture
def open_page(browser, live_server):
    """A page in a fresh browser context (its own cookies) at the given viewport; like the
    `page` fixture, a Content-Security-Policy violation fails the test."""
    contexts = []
    blocked: list[str] = []

    def _open(viewport):
        context = browser.new_context(base_url=live_server.url, locale="zh-CN", viewport=viewport)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15000)
        page.on(
            "console",
            lambda msg: blocked.append(msg.text) if "Content Security Policy" in msg.text else None,
        )
        return page

    yield _open
    for context in contexts:
        context.close()
    assert blocked == []


def menu(page):
    """Open the header's menu where it is folded (phone widths), as a person would tap 菜单."""
    button = page.locator("[data-menu-button]")
    if button.is_visible() and button.get_attribute("aria-expanded") != "true":
        button.click()
    return page
