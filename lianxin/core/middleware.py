"""Response headers every answer carries, and the refusal of ID numbers and phones in URLs."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers

from lianxin.lib.masking import query_has_sensitive

SENSITIVE_IN_URL = (
    "网址中不能含完整身份证号或手机号：网址会留在浏览器历史和服务器、代理的日志里。"
    "请在查找框中输入后提交"
)
SENSITIVE_IN_API_URL = (
    "查询参数中不能含完整身份证号或手机号（网址会被记入日志）；"
    '请改用 POST /api/search，在请求体中提交 {"q": "…"}'
)


class CspNonce:
    """A per-request nonce, made only when a template asks for it: a page that needs no inline
    element keeps a policy without any nonce."""

    def __init__(self) -> None:
        self._value = ""

    def __str__(self) -> str:
        if not self._value:
            self._value = secrets.token_urlsafe(18)
        return self._value

    @property
    def used(self) -> bool:
        return bool(self._value)


def _policy(directives: dict[str, list[str]], nonce: CspNonce) -> str:
    parts = []
    for name, sources in directives.items():
        values = list(sources)
        if nonce.used and name in ("script-src", "style-src"):
            values.append(f"'nonce-{nonce}'")
        parts.append(" ".join([name, *values]))
    return "; ".join(parts)


class SecurityHeadersMiddleware:
    """Content-Security-Policy on every answer, and `Cache-Control: no-store` on every answer
    Django makes: pages and API answers carry people's data, and a shared office computer or a
    proxy must not keep them. Static files are answered by whitenoise before this runs and keep
    their long caching.

    The API's Swagger page (django-ninja's template, with an inline script and its assets on a
    CDN) gets its own, looser policy, LIANXIN_CSP_API_DOCS; it shows no personal data."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        nonce = CspNonce()
        request.csp_nonce = nonce  # type: ignore[attr-defined]
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        directives = (
            settings.LIANXIN_CSP_API_DOCS
            if match is not None and match.view_name == "api:openapi-view"
            else settings.LIANXIN_CSP
        )
        if "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = _policy(directives, nonce)
        if "no-store" not in response.get("Cache-Control", ""):
            add_never_cache_headers(response)
        response["Pragma"] = "no-cache"
        return response


class SensitiveQueryMiddleware:
    """Refuses any request whose query string holds an ID number or a mobile number (400, in
    Chinese): searches by such values are POSTed (the page redirects to a one-way token, the
    API has POST /api/search). The value is already in this one request line, but no page or
    client of ours produces such a URL, and refusing keeps bookmarks and scripts from relying
    on one."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        query = request.META.get("QUERY_STRING", "")
        if query and query_has_sensitive(query):
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": SENSITIVE_IN_API_URL, "field": "q"}, status=400)
            return render(
                request, "core/sensitive_query.html", {"message": SENSITIVE_IN_URL}, status=400
            )
        return self.get_response(request)
