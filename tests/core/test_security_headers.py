"""Every page carries a Content-Security-Policy it passes (no inline script, no on* handler, no
style attribute), every answer Django makes is `no-store`, and `check --deploy` is clean with
the production settings docs/deployment.md lists."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from html.parser import HTMLParser

from django.conf import settings
from django.urls import reverse

from lianxin.cards.services import do_issue_token
from lianxin.lib.crypto import generate_key
from lianxin.people.models import Resident


class _Inline(HTMLParser):
    """Collects what a `script-src 'self'; style-src 'self'` policy would block."""

    def __init__(self) -> None:
        super().__init__()
        self.blocked: list[str] = []
        self.style_nonces: list[str] = []

    def handle_starttag(self, tag, attrs):
        named = dict(attrs)
        if tag == "script" and not named.get("src"):
            self.blocked.append("<script> without src")
        if tag == "style":
            self.style_nonces.append(named.get("nonce") or "")
        for name, _ in attrs:
            if name.startswith("on") or name == "style":
                self.blocked.append(f"<{tag} {name}=…>")


def _directives(header: str) -> dict[str, list[str]]:
    parts = (p.split() for p in header.split(";") if p.strip())
    return {p[0]: p[1:] for p in parts}


def _check_page(response) -> None:
    assert response.status_code == 200, response.request["PATH_INFO"]
    policy = _directives(response["Content-Security-Policy"])
    assert policy["default-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"] and policy["form-action"] == ["'self'"]
    for directive in ("script-src", "style-src"):
        assert "'unsafe-inline'" not in policy[directive]
        assert [s for s in policy[directive] if not s.startswith("'nonce-")] == ["'self'"]
    parser = _Inline()
    parser.feed(response.content.decode())
    assert parser.blocked == [], (response.request["PATH_INFO"], parser.blocked)
    for nonce in parser.style_nonces:
        assert nonce and f"'nonce-{nonce}'" in policy["style-src"]
    assert "no-store" in response["Cache-Control"]
    assert response["Pragma"] == "no-cache"


def test_it_serves_every_page_with_a_policy_it_passes(world, login):
    resident = Resident.objects.visible_to(world.township_staff).first()
    client = login(world.township_staff)
    pages = [
        reverse("core:home"),
        reverse("geo:county"),
        reverse("people:household_list"),
        reverse("people:household_detail", args=[world.household.pk]),
        reverse("people:resident_list"),
        reverse("people:resident_detail", args=[resident.pk]),
        reverse("people:enterprise_list"),
        reverse("people:search"),
        reverse("people:search") + "?q=张",
        reverse("org:unit_list"),
        reverse("org:cadre_list"),
        reverse("pairing:coverage"),
        reverse("transfer:index"),
        reverse("accounts:password_change"),
    ]
    for url in pages:
        _check_page(client.get(url))
    _check_page(login(world.audit_admin).get(reverse("audit:entry_list")))
    _check_page(login(world.system_admin).get(reverse("accounts:user_list")))
    client.logout()
    _check_page(client.get(reverse("accounts:login")))
    # The public card page keeps its one inline <style> (it must open with no other request),
    # allowed by this response's nonce only.
    token = do_issue_token(world.household, acting_user=world.township_staff).token
    _check_page(client.get(reverse("cards:public", args=[token])))


def test_it_marks_personal_data_answers_no_store_and_leaves_static_files_cacheable(world, login):
    client = login(world.township_staff)
    for url in ("/api/residents", "/api/households", f"/api/households/{world.household.pk}"):
        response = client.get(url)
        assert response.status_code == 200
        assert "no-store" in response["Cache-Control"], url
        assert "Content-Security-Policy" in response
    static = client.get(settings.STATIC_URL + "js/lianxin.js")
    assert static.status_code == 200
    assert "no-store" not in static.get("Cache-Control", "")


def test_it_serves_the_api_docs_page_with_no_inline_script(world, login):
    response = login(world.township_staff).get("/api/docs")
    assert response.status_code == 200
    policy = _directives(response["Content-Security-Policy"])
    assert policy["script-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
    assert "no-store" in response["Cache-Control"]


PRODUCTION = {
    # As in docs/deployment.md, "Production settings".
    "LIANXIN_HTTPS": "1",
    "LIANXIN_SSL_REDIRECT": "1",
    "LIANXIN_HSTS_SECONDS": "31536000",
    "LIANXIN_HSTS_INCLUDE_SUBDOMAINS": "1",
    "LIANXIN_HSTS_PRELOAD": "1",
    "LIANXIN_ALLOWED_HOSTS": "lianxin.example.gov.cn",
    "LIANXIN_CSRF_TRUSTED_ORIGINS": "https://lianxin.example.gov.cn",
}


def production_keys() -> dict[str, str]:
    return {
        "LIANXIN_SECRET_KEY": secrets.token_urlsafe(50),
        "LIANXIN_FIELD_KEY": generate_key(),
        "LIANXIN_LOOKUP_KEY": generate_key(),
        "LIANXIN_AUDIT_KEY": generate_key(),
    }


def _check_deploy(env: dict[str, str]) -> subprocess.CompletedProcess:
    code = (
        "import django; django.setup();"
        "from django.core.management import call_command;"
        "call_command('check', deploy=True, fail_level='WARNING')"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=settings.BASE_DIR,
        env={**env, "DJANGO_SETTINGS_MODULE": "lianxin.settings"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_it_passes_check_deploy_with_the_documented_production_settings():
    # The browser tests set DJANGO_ALLOW_ASYNC_UNSAFE in this process (playwright's loop);
    # a deployment never has it, and check --deploy rightly refuses it.
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("LIANXIN_") and k != "DJANGO_ALLOW_ASYNC_UNSAFE"
    }
    base["LIANXIN_VAR_DIR"] = str(settings.VAR_DIR)
    # A production box has its keys (docs/deployment.md, "Keys"); none is made up for it.
    base.update(production_keys())
    # The shared job files directory (on PostgreSQL, lianxin.W102 asks for it).
    base["LIANXIN_FILES_DIR"] = str(settings.VAR_DIR / "files")
    production = _check_deploy({**base, **PRODUCTION})
    assert production.returncode == 0, production.stderr
    assert "no issues" in production.stdout
    # The defaults are for a plain-HTTP test install: the check says what is missing.
    defaults = _check_deploy(base)
    assert defaults.returncode != 0
    for warning in ("security.W004", "security.W008", "security.W012"):
        assert warning in defaults.stderr
