"""Chinese names for what audit rows name in English: object types that are no model, and change
keys that are no field (counts, summaries, settings). The audit log shows these, never the raw
key; with LIANXIN_AUDIT_LABELS_STRICT (set for the tests) record() refuses a row whose type or
change key has no Chinese name, so a new service cannot bring raw names back into the log."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.apps import apps

# Object types that are not models (or whose audit label differs from the model's name).
TARGET_LABELS: dict[str, str] = {
    "pairing.coverage": "覆盖情况",
    "audit.auditchain": "审计链",
}

# Change keys that are not fields of the target's model.
CHANGE_LABELS: dict[str, str] = {
    # accounts
    "access_approved": "权限已批准",
    "can_reveal": "可查看完整信息",
    "must_change_password": "须修改密码",
    "password": "密码",
    "proposal": "审批单",
    "recheck": "待复核",
    "region": "所在区划",
    "role": "角色",
    "status": "状态",
    "username": "用户名",
    # audit, keys, jobs and files
    "rows": "记录数",
    "files": "文件",
    "file": "文件",
    "reports": "报告",
    "kind": "数据类型",
    "list": "名单",
    "saved": "已保存",
    "stopped": "中止于",
    # the demo's closing row
    "scale": "规模",
    "seed": "随机种子",
    "accounts": "账号",
    "cadres": "干部职工",
    "enterprises": "企业",
    "groups": "组（网格）",
    "hardship_households": "困难群众户",
    "households": "户",
    "leaders": "市级领导",
    "liaisons": "联系乡镇",
    "residents": "居民",
    "townships": "乡镇（街道）",
    "units": "单位",
    "villages": "村（社区）",
    "zones": "责任片区",
    # the demo's visits (lianxin.demo.visits)
    "period": "统计期间",
    "visits": "走访记录",
    "visit_households": "走访户次",
    "visit_needs": "走访中反映的诉求",
    "confirmations": "群众确认",
    # regions
    "summary": "摘要",
    "code": "区划代码",
    "name": "名称",
    "parent": "上级区划",
    "successor": "撤并后归入",
    "valid_from": "起始日期",
    "valid_to": "终止日期",
    # units and cadres
    "count": "人数",
    "skipped": "跳过",
    "township": "乡镇（街道）",
    "unit": "单位",
    "zone": "责任片区",
    "left_on": "离开日期",
    "is_city_leader": "市级领导",
    "phone": "电话",
    "post": "职务",
    # pairing
    "cadre": "干部",
    "new": "新结对",
    "ended": "结束结对",
    "kept": "保持不变",
    "locked": "锁定",
    "uncovered": "仍无干部的户",
    "min_load": "每人最少联系户数",
    "max_load": "每人最多联系户数",
    "run_budget": "计算时限",
    "run_budget_max": "计算时限上限",
    "budget_seconds": "计算时限（秒）",
    "time_limit": "计算时限",
    "workers": "计算线程",
    # the registry and its disclosure limits
    "answers": "回答次数",
    "daily_budget": "每日额度",
    "refused": "已拒绝",
    "credit_code": "统一社会信用代码",
    "field": "字段",
    "hardship": "困难类型",
    "id_number": "身份证号",
    "relation": "与户主关系",
    # the filters an export or a coverage list was made with
    "on": "日期",
    "village": "村（社区）",
    "group": "组",
    "hardship_only": "只看困难群众户",
    "has_hardship": "困难群众户",
    "q": "关键词",
    "trade": "行业",
    # imports
    "bad_rows_not_listed": "未列出的有误行",
    "bad_rows": "有误的行",
    "rows_read": "读取行数",
    "unchanged": "未变",
    "households_created": "新增户",
    "households_updated": "更新户",
    "residents_created": "新增居民",
    "residents_updated": "更新居民",
    "hardships_added": "新增困难类型",
    "enterprises_created": "新增企业",
    "enterprises_updated": "更新企业",
    # visits
    "met": "见到人的户数",
    "needs": "反映的诉求",
    "photos": "照片",
    "overrides": "困难类型走访频次",
}


def model_of(target_type: str) -> Any:
    """The model named by an audit row's target type ("org.cadre"), or None."""
    try:
        return apps.get_model(target_type)
    except (LookupError, ValueError):
        return None


def target_type_label(target_type: str) -> str | None:
    """The Chinese name of an object type, or None when it has none."""
    if target_type in TARGET_LABELS:
        return TARGET_LABELS[target_type]
    model = model_of(target_type)
    return str(model._meta.verbose_name) if model is not None else None


def model_field(model: Any, name: str) -> Any:
    """The model's field a change key names (a sealed field's key names its masked column)."""
    if model is None:
        return None
    for candidate in (name, f"{name}_masked"):
        try:
            return model._meta.get_field(candidate)
        except Exception:  # FieldDoesNotExist, or a name that is not a field at all
            continue
    return None


def change_label(model: Any, name: str) -> str | None:
    """The Chinese name of a change key: a key that is already Chinese names itself, then the
    model's field, then the table above; None when it has none."""
    if name and not name.isascii():
        return name
    field = model_field(model, name)
    # A reverse relation (a visit's "households", "needs") has no verbose name: the table's.
    verbose = getattr(field, "verbose_name", None)
    if verbose is not None and not str(verbose).isascii():
        return str(verbose)
    return CHANGE_LABELS.get(name)


def unlabelled(target_type: str, changes: Mapping[str, Any] | Iterable[str] | None) -> list[str]:
    """What an audit row would show raw: its type and change keys without a Chinese name."""
    missing = []
    if target_type and target_type_label(target_type) is None:
        missing.append(target_type)
    model = model_of(target_type)
    for name in changes or ():
        if change_label(model, name) is None:
            missing.append(f"{target_type}.{name}")
    return missing
