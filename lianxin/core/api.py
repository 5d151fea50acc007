"""Pieces every API router shares: the Error answer and the documented error responses,
the {id, name} reference, limit/offset paging answered as {count, items}, and LianxinAPI, the
NinjaAPI that answers every refusal as an Error. lianxin/api.py assembles the routers on it."""

from __future__ import annotations

from typing import Annotated, Any

from django.core.exceptions import ImproperlyConfigured
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from ninja import Field, NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.openapi.schema import OpenAPISchema
from pydantic import ConfigDict

from lianxin.core.errors import Refused
from lianxin.core.fields import INT64
from lianxin.core.paging import bounded_count, rows_at

# For schemas only ever answered, never read: a field with a default is still always in the
# answer, so the document lists it as required (pydantic leaves it optional by default).
ANSWER_CONFIG = ConfigDict(from_attributes=True, json_schema_serialization_defaults_required=True)


class Error(Schema):
    """Every error answer: a Chinese message, and the field at fault when there is one."""

    model_config = ANSWER_CONFIG
    detail: str = Field(description="中文说明")
    field: str = Field("", description="出错的字段或参数；无法归到某个字段时为空")


class Ref(Schema):
    """An object named by id and its display name."""

    id: int
    name: str


# What each error status means, as the OpenAPI document tells the reader.
ERROR_TEXT = {
    400: "输入有误：detail 说明原因，field 指出出错的字段",
    401: "未登录或会话已过期",
    403: "当前账号没有该操作的权限，或写操作缺少 CSRF 令牌（X-CSRFToken 头）",
    404: "对象不存在或不在您的权限范围内（不区分两者）",
    409: "与已登记的记录冲突（如户号、身份证号、统一社会信用代码重复），或对象的状态不允许该操作",
    422: "参数格式错误：detail 列出出错的参数，field 是第一个",
}


def documented(ok: Any, *codes: int, status: int = 200) -> dict[str, Any]:
    """response= and openapi_extra= for an operation: the success schema, and the Error schema
    with a Chinese description for every error status it can answer. 401 is always among them:
    every operation needs a logged-in session."""
    errors = sorted({401, *codes})
    described: dict[int, dict[str, str]] = {c: {"description": ERROR_TEXT[c]} for c in errors}
    described[status] = {"description": "成功" if status == 200 else "已创建"}
    return {
        "response": {status: ok, **dict.fromkeys(errors, Error)},
        "openapi_extra": {"responses": described},
    }


# A row id given as a filter or in a body: bigint's range, so a number past it is a 422 instead
# of a database error (SQLite cannot bind an integer past 2**63 - 1: a 500).
RowId = Annotated[int, Field(ge=1, le=INT64[1])]


class PageParams(Schema):
    """limit/offset paging shared by every list endpoint."""

    limit: int = Field(50, ge=1, le=500, description="每页条数（1–500）")
    # PostgreSQL takes an OFFSET up to bigint's end and fails past it (a 500): 422 here.
    offset: int = Field(0, ge=0, le=INT64[1], description="跳过的条数")


def page_of(qs: QuerySet, params: PageParams, *, cap: int | None = None) -> dict[str, Any]:
    """{count, items}: the honest total and one slice, in two queries plus prefetches (one
    more past core.paging.DEEP_FROM, however deep).

    With `cap` (a list too long to count on every request), {count, count_capped, items}: the
    total counted up to `cap` (core.paging.bounded_count); count_capped true says there are
    more than `count` rows. The slice is the same either way, at any offset."""
    stop = params.offset + params.limit
    if cap is None:
        return {"count": qs.count(), "items": rows_at(qs, params.offset, stop)}
    count, capped = bounded_count(qs, cap)
    return {"count": count, "count_capped": capped, "items": rows_at(qs, params.offset, stop)}


# ---------------------------------------------------------------------------------------------
# The API itself: one OpenAPI document, every refusal answered as an Error


class _OpenAPISchema(OpenAPISchema):
    """The OpenAPI document, refusing two different schemas under one component name.

    Ninja keys components by class name and lets the later of two same-named classes silently
    replace the earlier one (the coverage page's RegionPage once documented /api/regions), so a
    clash fails loudly here instead of publishing a wrong document."""

    def add_schema_definitions(self, definitions: dict) -> None:
        for name, schema in definitions.items():
            known = self.schemas.get(name)
            if known is not None and known != schema:
                raise ImproperlyConfigured(
                    f"OpenAPI: two different schemas are named {name!r}; rename one of them"
                )
        super().add_schema_definitions(definitions)


class LianxinAPI(NinjaAPI):
    """NinjaAPI whose OpenAPI document has unique component names (see _OpenAPISchema) and
    whose refusals, 404s, 401s and parameter errors all answer as an Error."""

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        if path_prefix is None:
            path_prefix = self.get_root_path(path_params or {})
        return _OpenAPISchema(self, path_prefix)

    def set_default_exception_handlers(self) -> None:
        # Ninja calls this from __init__: ours replace its English defaults.
        super().set_default_exception_handlers()
        self.add_exception_handler(Refused, self._refused)
        self.add_exception_handler(Http404, self._not_found)
        self.add_exception_handler(AuthenticationError, self._unauthenticated)
        self.add_exception_handler(HttpError, self._http_error)
        self.add_exception_handler(ValidationError, self._invalid)

    def _refused(self, request: HttpRequest, exc: Any) -> HttpResponse:
        return self.create_response(
            request, {"detail": exc.message, "field": exc.field}, status=exc.status
        )

    def _not_found(self, request: HttpRequest, exc: Any) -> HttpResponse:
        return self.create_response(
            request, {"detail": "对象不存在或不在您的权限范围内", "field": ""}, status=404
        )

    def _unauthenticated(self, request: HttpRequest, exc: Any) -> HttpResponse:
        return self.create_response(request, {"detail": "请先登录", "field": ""}, status=401)

    def _http_error(self, request: HttpRequest, exc: Any) -> HttpResponse:
        # Ninja's own refusals (a write without the session's CSRF token, a body that is not
        # JSON) speak English.
        detail = str(exc)
        if exc.status_code == 403 and detail == "CSRF check Failed":
            detail = "CSRF 校验失败：请刷新页面后重试，接口调用请在 X-CSRFToken 头中带上令牌"
        elif exc.status_code == 400 and detail.startswith("Cannot parse request body"):
            detail = "请求体无法解析：请以 JSON 提交（Content-Type: application/json）"
        return self.create_response(
            request, {"detail": detail, "field": ""}, status=exc.status_code
        )

    def _invalid(self, request: HttpRequest, exc: Any) -> HttpResponse:
        parts = []
        for err in exc.errors:
            loc = ".".join(
                str(p) for p in err.get("loc", []) if p not in ("body", "query", "path", "payload")
            )
            parts.append(f"{loc}：{err.get('msg', '')}")
        return self.create_response(
            request,
            {
                "detail": "参数错误：" + "；".join(parts),
                "field": parts[0].split("：")[0] if parts else "",
            },
            status=422,
        )
