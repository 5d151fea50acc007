"""System checks for the keys (lianxin.core.keys): `lianxin check --database default` compares
them with the database's canaries; a missing or malformed key never gets this far (the app
refuses to load, CoreConfig.ready)."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Warning, register

from . import keys


@register("lianxin", "database")
def keys_match_the_database(app_configs=None, databases=None, **kwargs):
    if not databases:
        return []
    return [
        Error(p.message, hint=p.hint or None, id="lianxin.E110")
        if p.fatal
        else Warning(p.message, hint=p.hint or None, id="lianxin.W110")
        for p in keys.canary_problems()
    ]


@register("lianxin")
def development_keys_in_production(app_configs=None, **kwargs):
    """LIANXIN_DEV_KEYS keeps keys in var/ beside the data: a production database says so."""
    if settings.DEV_KEYS and settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        return [
            Warning(
                "LIANXIN_DEV_KEYS=1：缺少的密钥会在 var/ 下自动生成，与数据放在同一台机器上。",
                hint="生产环境去掉 LIANXIN_DEV_KEYS，按 docs/deployment.md「密钥」设置各密钥。",
                id="lianxin.W103",
            )
        ]
    return []
