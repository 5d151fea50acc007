"""The JSON API: the same rows the pages show, scoped the same way. OpenAPI at /api/docs.

This module only assembles the apps' routers on one LianxinAPI; every shared piece (the Error
answer, paging, the error handlers) lives in lianxin/core/api.py, which the apps import.
"""

from __future__ import annotations

from ninja.security import django_auth

from lianxin.audit.api import router as audit_router
from lianxin.core.api import LianxinAPI
from lianxin.geo.api import router as geo_router
from lianxin.org.api import router as org_router
from lianxin.pairing.coverage_api import router as coverage_router
from lianxin.pairing.run_api import router as run_router
from lianxin.people.api import router as people_router
from lianxin.visits.api import rates_router
from lianxin.visits.api import router as visits_router

__all__ = ["api"]

api = LianxinAPI(
    title="连心 API",
    version="1",
    description="结对心连心：区划、单位、干部、户、居民、企业、走访及见面率、对话率。所有列表按当前账号的权限范围过滤；"
    "范围外的对象一律返回 404。身份证号和电话默认脱敏。",
    auth=django_auth,
    urls_namespace="api",
)

api.add_router("/regions", geo_router)
api.add_router("/", org_router)
api.add_router("/", people_router)
api.add_router("/audit", audit_router)
api.add_router("/coverage", coverage_router)
api.add_router("/pairing", run_router)
api.add_router("/visits", visits_router)
api.add_router("/rates", rates_router)
