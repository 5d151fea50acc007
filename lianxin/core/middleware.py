"""Response headers every answer carries, the refusal of ID numbers and phones in URLs, and
of input no database column can take (NUL characters, integers past 64 bits)."""

from __future__ import annotations

import json
import secrets
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers

from lianxin.core.fields import INT64
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

    The API's Swagger page (django-ninja's template, whose Swagger UI sets style attributes)
    gets its own policy, LIANXIN_CSP_API_DOCS, with inline styles; it shows no personal data."""

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


INT64_MIN, INT64_MAX = INT64
NUL_IN_INPUT = "“{name}”中含有空字符（\\0），无法保存或查找，请删去后重试"
NOT_UTF8 = "“{name}”中含有无效的字符（不成对的代理项，如 \\ud800），无法保存，请检查后重试"
INTEGER_TOO_LARGE = f"“{{name}}”的数值超出范围：整数须在{INT64_MIN}到{INT64_MAX}之间"


def _refusal(name: str, message: str) -> tuple[str, str]:
    name = name.replace("\x00", "")
    return name, message.format(name=name or "请求内容")


def _json_problem(value: Any, name: str) -> tuple[str, str] | None:
    """(field, message) for the first NUL or oversize integer in a parsed JSON body; a list's
    items are reported under the list's own name."""
    if isinstance(value, str):
        if "\x00" in value:
            return _refusal(name, NUL_IN_INPUT)
        return None if _encodable(value) else _refusal(name, NOT_UTF8)
    if isinstance(value, int) and not isinstance(value, bool):
        return None if INT64_MIN <= value <= INT64_MAX else _refusal(name, INTEGER_TOO_LARGE)
    if isinstance(value, dict):
        children = [(str(k), v) for k, v in value.items()]
    elif isinstance(value, list):
        children = [(name, v) for v in value]
    else:
        return None
    for key, item in children:
        if "\x00" in key:
            return _refusal(key, NUL_IN_INPUT)
        found = (
            _json_problem(item, key) if _encodable(key) else ("", NOT_UTF8.format(name="字段名"))
        )
        if found:
            return found
    return None


def _encodable(text: str) -> bool:
    """False for a lone surrogate (JSON's "\\ud800"), which no UTF-8 database can store."""
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def input_problem(request: HttpRequest) -> tuple[str, str] | None:
    """Why a request carries input no column can store or compare: a NUL character in the
    path, the query string, a form or a JSON body (PostgreSQL refuses it in text, a 500), a
    lone surrogate in a JSON string (valid JSON, not encodable as UTF-8), or an integer in a
    JSON body past 64 bits (PostgreSQL's bigint; pydantic takes any size).
    (field, message), or None. Files are the importers' to check, cell by cell."""
    if "\x00" in request.path:
        return "", NUL_IN_INPUT.format(name="网址")
    forms = [request.GET]
    if request.content_type == "application/x-www-form-urlencoded":
        forms.append(request.POST)
    for form in forms:
        for key, values in form.lists():
            if "\x00" in key or any("\x00" in v for v in values):
                return _refusal(key, NUL_IN_INPUT)
    if request.content_type == "application/json" and request.body:
        try:
            body = json.loads(request.body)
        except ValueError:
            return None  # the API answers malformed JSON itself
        return _json_problem(body, "")
    return None


class InputGuardMiddleware:
    """Answers 400, in Chinese and naming the field, a request whose input no column can take
    (see input_problem), before any view or service sees it: the same answer on SQLite, which
    would store or compare it, as on PostgreSQL, which would fail with a 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        found = input_problem(request)
        if found is None:
            return self.get_response(request)
        field, message = found
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": message, "field": field}, status=400)
        return render(request, "core/bad_input.html", {"message": message, "code": 400}, status=400)


class QueryCountMiddleware:
    """X-Query-Count on every answer: how many SQL queries it ran before its body was handed
    to the server (a streamed body's later queries are not counted). Installed only where
    LIANXIN_QUERY_COUNT_HEADER=1 (bench/bench_pages.py), never in production."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from django.db import connection

        count = 0

        def counted(execute, sql, params, many, context):
            nonlocal count
            count += 1
            return execute(sql, params, many, context)

        with connection.execute_wrapper(counted):
            response = self.get_response(request)
        response["X-Query-Count"] = str(count)
        return response
