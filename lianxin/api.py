"""The JSON API: the same rows the pages show, scoped the same way. OpenAPI at /api/docs."""

from __future__ import annotations

from django.http import Http404
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, ValidationError
from ninja.security import django_auth

from lianxin.core.errors import Refused


class Error(Schema):
    """Every error answer: a Chinese message, and the field at fault when there is one."""

    detail: str
    field: str = ""


api = NinjaAPI(
    title="连心 API",
    version="1",
    description="结对心连心：区划、单位、干部、户、居民、企业。所有列表按当前账号的权限范围过滤；"
    "范围外的对象一律返回 404。身份证号和电话默认脱敏。",
    auth=django_auth,
    urls_namespace="api",
)


@api.exception_handler(Refused)
def _refused(request, exc: Refused):
    return api.create_response(
        request, {"detail": exc.message, "field": exc.field}, status=exc.status
    )


@api.exception_handler(Http404)
def _not_found(request, exc):
    return api.create_response(request, {"detail": "对象不存在或不在您的权限范围内"}, status=404)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, exc):
    return api.create_response(request, {"detail": "请先登录"}, status=401)


@api.exception_handler(ValidationError)
def _invalid(request, exc: ValidationError):
    parts = []
    for err in exc.errors:
        loc = ".".join(
            str(p) for p in err.get("loc", []) if p not in ("body", "query", "path", "payload")
        )
        parts.append(f"{loc}：{err.get('msg', '')}")
    return api.create_response(
        request,
        {
            "detail": "参数错误：" + "；".join(parts),
            "field": parts[0].split("：")[0] if parts else "",
        },
        status=422,
    )


def _add_routers() -> None:
    from lianxin.audit.api import router as audit_router
    from lianxin.geo.api import router as geo_router
    from lianxin.org.api import router as org_router
    from lianxin.pairing.api import router as pairing_router
    from lianxin.pairing.run_api import router as run_router
    from lianxin.people.api import router as people_router

    api.add_router("/regions", geo_router)
    api.add_router("/", org_router)
    api.add_router("/", people_router)
    api.add_router("/audit", audit_router)
    api.add_router("/coverage", pairing_router)
    api.add_router("/pairing", run_router)


_add_routers()
