"""Every asset is served by the app itself: government intranets reach no CDN (issue 8, point 1).

Three checks: no template of the project (nor django-ninja's Swagger page, which the API docs
render) refers to an asset by an absolute http(s):// or protocol-relative URL; no stylesheet or
script under static/ loads one from another host either; and the API docs
page, rendered, loads each of its scripts, styles and icons from our own static files."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from django.conf import settings
from django.template.loader import get_template

import lianxin

ROOT = Path(lianxin.__file__).resolve().parent.parent
# src/href/srcset/url(...) pointing off the host; a plain <a href> to a web page is a link, not an
# asset, so anchors are not looked at (they do not load anything).
EXTERNAL = re.compile(
    r"""(?:<(?:script|link|img|iframe|source|video|audio)\b[^>]*?\b(?:src|href|srcset)\s*=\s*["']?"""
    r"""|url\(\s*["']?|@import\s+["']?)(?:https?:)?//""",
    re.IGNORECASE,
)


def _templates() -> list[Path]:
    found = sorted((ROOT / "templates").rglob("*.html"))
    found += sorted((ROOT / "lianxin").rglob("templates/**/*.html"))
    return found


def test_it_has_no_template_loading_an_asset_from_another_host():
    templates = _templates()
    assert len(templates) > 20  # the discovery itself works
    offending = [
        f"{path.relative_to(ROOT)}: {m.group(0)}"
        for path in templates
        for m in EXTERNAL.finditer(path.read_text(encoding="utf-8"))
    ]
    # The Swagger page django-ninja renders for /api/docs (its CDN twin must not be the one).
    ninja_page = Path(get_template("ninja/swagger.html").origin.name)
    offending += [m.group(0) for m in EXTERNAL.finditer(ninja_page.read_text(encoding="utf-8"))]
    assert not offending, offending


def test_it_has_no_static_file_loading_from_another_host():
    # Our stylesheets and scripts, vendored ones included: url(), @import, or a script/link tag
    # they write, never to another host.
    files = sorted(p for p in (ROOT / "static").rglob("*") if p.suffix in {".css", ".js"})
    assert any(p.name == "htmx.min.js" for p in files)
    offending = [
        f"{path.relative_to(ROOT)}: {m.group(0)}"
        for path in files
        for m in EXTERNAL.finditer(path.read_text(encoding="utf-8"))
    ]
    assert not offending, offending


class _Assets(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script" and attrs.get("src"):
            self.urls.append(attrs["src"])
        if tag == "link" and attrs.get("href"):
            self.urls.append(attrs["href"])
        if tag == "img" and attrs.get("src"):
            self.urls.append(attrs["src"])


def test_it_serves_the_api_docs_assets_itself(world, login):
    client = login(world.city_admin)
    page = client.get("/api/docs")
    assert page.status_code == 200
    parser = _Assets()
    parser.feed(page.content.decode())
    scripts = [u for u in parser.urls if u.endswith(".js")]
    assert any("swagger-ui-bundle" in u for u in scripts), parser.urls
    for url in parser.urls:
        assert url.startswith(settings.STATIC_URL), url
        asset = client.get(url)
        assert asset.status_code == 200, url
        body = b"".join(asset.streaming_content) if asset.streaming else asset.content
        assert body, url
