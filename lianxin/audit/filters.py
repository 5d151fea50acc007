"""The audit log's rows and filters, shared by the page and the API. Only the audit
administrator reads the log; everyone else gets 404, as if it did not exist."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from lianxin.core.forms import DATE_INPUT

from . import labels
from .models import AuditEntry

# ISO values (core.forms.DATE_INPUT): the locale's 2026/12/03 shows as an empty date picker.
DATE = DATE_INPUT


def visible_entries(user: Any) -> QuerySet[AuditEntry]:
    """The audit rows of the user's county, or 404 for anyone but the audit administrator."""
    if not user.is_authenticated or not user.reads_audit:
        raise Http404("对象不存在或不在您的权限范围内")
    return AuditEntry.objects.visible_to(user)


def last_verification(entries: QuerySet[AuditEntry]) -> dict[str, Any] | None:
    """The latest `lianxin audit-verify` result among these rows, for the log page's banner."""
    from .services import VERIFY_ACTION, VERIFY_OK, VERIFY_RESULT, VERIFY_ROWS

    entry = entries.filter(action=VERIFY_ACTION).order_by("-seq").first()
    if entry is None:
        return None
    result = (entry.changes.get(VERIFY_RESULT) or [None, ""])[-1]
    rows = (entry.changes.get(VERIFY_ROWS) or [None, 0])[-1]
    return {"at": entry.at, "ok": result == VERIFY_OK, "result": result, "rows": rows}


def target_type_label(target_type: str) -> str:
    """The Chinese name of an object type; the raw type only for rows older than its name."""
    return labels.target_type_label(target_type) or target_type


def _shown(field: Any, value: Any) -> Any:
    """A stored value as the log shows it: yes/no, a choice's Chinese name, lists joined."""
    if isinstance(value, bool):
        return "是" if value else "否"
    # A reverse relation (a visit's "households") is no field with choices.
    choices = dict(field.flatchoices) if getattr(field, "choices", None) else None
    if choices and isinstance(value, str | int) and value in choices:
        return str(choices[value])
    if isinstance(value, list | tuple):
        return "、".join(str(_shown(field, v)) for v in value)
    if isinstance(value, dict):
        return "；".join(
            f"{labels.CHANGE_LABELS.get(k, k)} {_shown(None, v)}" for k, v in value.items()
        )
    return value


def change_rows(entry: AuditEntry) -> list[tuple[str, Any, Any]]:
    """(field label, before, after) per change, for display; values are stored already masked."""
    model = labels.model_of(entry.target_type)
    changes = entry.changes if isinstance(entry.changes, dict) else {"": entry.changes}
    rows = []
    for name, value in changes.items():
        if isinstance(value, list | tuple) and len(value) == 2:
            before, after = value
        else:
            before, after = None, value
        field = labels.model_field(model, name)
        label = labels.change_label(model, name) or name
        rows.append((label, _shown(field, before), _shown(field, after)))
    return rows


def _day_start(day: dt.date) -> dt.datetime:
    """Midnight of a calendar day in the configured zone (Asia/Shanghai), as an aware time."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


class AuditFilter(forms.Form):
    """Filters of the audit log: action, actor, target type and id, date range, free text."""

    action = forms.CharField(label="操作", required=False, max_length=60, widget=forms.Select)
    actor = forms.CharField(label="操作人", required=False, max_length=80)
    target_type = forms.CharField(
        label="对象类型", required=False, max_length=40, widget=forms.Select
    )
    target_id = forms.CharField(label="对象编号", required=False, max_length=40)
    date_from = forms.DateField(label="起始日期", required=False, widget=DATE)
    date_to = forms.DateField(label="终止日期", required=False, widget=DATE)
    q = forms.CharField(label="关键词", required=False, max_length=100)

    def __init__(self, data: Any = None, *, user: Any) -> None:
        super().__init__(data if data is not None else {})
        self.user = user

    def load_choices(self, entries: QuerySet[AuditEntry]) -> None:
        """Offer the actions and target types present in the log (for the page's selects)."""
        actions = entries.order_by("action").values_list("action", flat=True).distinct()
        self.fields["action"].widget.choices = [("", "全部"), *((a, a) for a in actions)]
        types = entries.order_by("target_type").values_list("target_type", flat=True).distinct()
        self.fields["target_type"].widget.choices = [
            ("", "全部"),
            *((t, target_type_label(t)) for t in types if t),
        ]

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", "终止日期不能早于起始日期")
        return data

    def apply(self, qs: QuerySet[AuditEntry]) -> QuerySet[AuditEntry]:
        if not self.is_valid():
            return qs.none()
        data = self.cleaned_data
        if data["action"]:
            qs = qs.filter(action=data["action"])
        if data["actor"].strip():
            qs = qs.filter(actor_label__icontains=data["actor"].strip())
        if data["target_type"]:
            qs = qs.filter(target_type=data["target_type"])
        if data["target_id"].strip():
            qs = qs.filter(target_id=data["target_id"].strip())
        # Bounds computed in Asia/Shanghai so "1 March" means the local day, and the index on
        # `at` is used (a __date lookup would convert every row).
        if data["date_from"]:
            qs = qs.filter(at__gte=_day_start(data["date_from"]))
        if data["date_to"]:
            qs = qs.filter(at__lt=_day_start(data["date_to"] + dt.timedelta(days=1)))
        text = data["q"].strip()
        if text:
            qs = qs.filter(
                Q(target_label__icontains=text)
                | Q(reason__icontains=text)
                | Q(action__icontains=text)
                | Q(actor_label__icontains=text)
                | Q(source__icontains=text)
                | Q(changes__icontains=text)
                # SQLite keeps JSON with non-ASCII escaped (\uXXXX); PostgreSQL's jsonb does not.
                | Q(changes__icontains=json.dumps(text)[1:-1])
            )
        return qs

    def first_error(self) -> tuple[str, str]:
        for name, errors in self.errors.items():
            label = self.fields[name].label if name in self.fields else ""
            return name, f"{label}：{errors[0]}" if label else str(errors[0])
        return "", ""
