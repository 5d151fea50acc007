"""The audit log as data, for the audit administrator alone (everyone else 404). Read-only: the
router has no write operation, and the model refuses updates and deletes anyway."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from ninja import Field, Query, Router, Schema

from lianxin.core.access import get_visible_or_404
from lianxin.core.api import PageParams, documented, page_of
from lianxin.core.errors import Refused

from .filters import AuditFilter, target_type_label, visible_entries
from .models import AuditEntry

router = Router(tags=["审计"])


class AuditEntryOut(Schema):
    id: int
    at: dt.datetime = Field(description="时间（北京时间，带 +08:00）")
    actor_id: int | None
    actor_label: str
    source: str = Field(description="来源 IP，命令行操作为 cli@主机名")
    action: str
    target_type: str
    target_type_label: str
    target_id: str
    target_label: str
    reason: str
    changes: dict[str, Any] = Field(description="{字段: [变更前, 变更后]}，敏感值已脱敏")


class AuditPage(Schema):
    count: int
    items: list[AuditEntryOut]


class AuditQuery(Schema):
    action: str | None = Field(None, description="操作，精确匹配，如 新建干部")
    actor: str | None = Field(None, description="操作人姓名或用户名包含")
    target_type: str | None = Field(None, description="对象类型，如 org.cadre")
    target_id: str | None = Field(None, description="对象编号")
    date_from: dt.date | None = Field(None, description="起始日期（北京时间，含）")
    date_to: dt.date | None = Field(None, description="终止日期（北京时间，含）")
    q: str | None = Field(None, description="对象、事由、操作人、来源或变更内容包含")


def _out(e: AuditEntry) -> dict[str, Any]:
    return {
        "id": e.pk,
        "at": timezone.localtime(e.at),
        "actor_id": e.actor_id,
        "actor_label": e.actor_label,
        "source": e.source,
        "action": e.action,
        "target_type": e.target_type,
        "target_type_label": target_type_label(e.target_type),
        "target_id": e.target_id,
        "target_label": e.target_label,
        "reason": e.reason,
        "changes": e.changes if isinstance(e.changes, dict) else {"": e.changes},
    }


@router.get("", summary="审计日志", **documented(AuditPage, 404, 422))
def list_entries(request, filters: Query[AuditQuery], paging: Query[PageParams]):
    """Audit rows of the caller's county, newest first, with the audit page's filters."""
    entries = visible_entries(request.user)
    data = {k: str(v) for k, v in filters.model_dump(exclude_none=True).items()}
    filterset = AuditFilter(data, user=request.user)
    if not filterset.is_valid():
        field, message = filterset.first_error()
        raise Refused(message, field=field, status=422)
    page = page_of(filterset.apply(entries), paging)
    return {"count": page["count"], "items": [_out(e) for e in page["items"]]}


@router.get("/{entry_id}", summary="审计记录", **documented(AuditEntryOut, 404, 422))
def get_entry(request, entry_id: int):
    """One audit row."""
    visible_entries(request.user)
    return _out(get_visible_or_404(AuditEntry, request.user, entry_id))
