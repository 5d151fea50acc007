"""The JSON API: the same rows the pages show, scoped the same way. OpenAPI at /api/docs."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.openapi.schema import OpenAPISchema
from ninja.security import django_auth

from lianxin.core.api import Error
from lianxin.core.errors import Refused

__all__ = ["Error", "LianxinAPI", "api"]


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
    """NinjaAPI whose OpenAPI document has unique component names (see _OpenAPISchema)."""

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        if path_prefix is None:
            path_prefix = self.get_root_path(path_params or {})
        return _OpenAPISchema(self, path_prefix)


api = LianxinAPI(
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
    return api.create_response(
        request, {"detail": "对象不存在或不在您的权限范围内", "field": ""}, status=404
    )


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, exc):
    return api.create_response(request, {"detail": "请先登录", "field": ""}, status=401)


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    # Ninja's own refusal of a write without the session's CSRF token speaks English.
    csrf = exc.status_code == 403 and str(exc) == "CSRF check Failed"
    detail = "CSRF 校验失败：请刷新页面后重试，接口调用请在 X-CSRFToken 头中带上令牌"
    return api.create_response(
        request, {"detail": detail if csrf else str(exc), "field": ""}, status=exc.status_code
    )


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
