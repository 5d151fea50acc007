"""Pieces every API router shares: the Error answer and the documented error responses,
the {id, name} reference, and limit/offset paging answered as {count, items}."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from ninja import Field, Schema
from pydantic import ConfigDict

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


class PageParams(Schema):
    """limit/offset paging shared by every list endpoint."""

    limit: int = Field(50, ge=1, le=500, description="每页条数（1–500）")
    offset: int = Field(0, ge=0, description="跳过的条数")


def page_of(qs: QuerySet, params: PageParams) -> dict[str, Any]:
    """{count, items}: the honest total and one slice, in two queries plus prefetches."""
    return {
        "count": qs.count(),
        "items": list(qs[params.offset : params.offset + params.limit]),
    }
