"""The morning visit reminders (a periodic job, lianxin.jobs.periodic.send_visit_reminders):
every cadre gets one in-app notice listing their households overdue or still due this month
(from the visit plan, lianxin.visits.plan), and every unit's staff (its department handlers)
and every township's or village's staff get the overdue pairings of their unit or area.

Idempotent: a notice is one per user, kind and day (the unique key), so a second run the same
day — or two workers at once — sends nothing new, and each e-mail copy goes once (mailed_at).
No GPS, no check-in quota, no ranking: the notice says which households wait, nothing else."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.db import transaction

from lianxin.accounts.choices import REGION_SCOPED, Role
from lianxin.accounts.models import User
from lianxin.audit.services import record
from lianxin.core.access import check_console
from lianxin.core.models import today
from lianxin.geo.models import County
from lianxin.pairing.models import Pairing
from lianxin.visits.choices import PlanStatus
from lianxin.visits.plan import annotate_plan, cadence_for

from .choices import NoticeKind
from .services import Draft, mail_pending, send

# A notice lists at most this many households; the rest are counted ("等N户").
LISTED = 50


def _listing(numbers: list[str]) -> str:
    shown = "、".join(numbers[:LISTED])
    return shown + (f" 等{len(numbers)}户" if len(numbers) > LISTED else "")


def _rows(county_id: int, on: dt.date) -> list[dict[str, Any]]:
    """Every pairing serving on the day whose plan is not done: one query for the county."""
    qs = annotate_plan(
        Pairing.objects.serving(on).filter(county_id=county_id), on, cadence_for(county_id)
    )
    return list(
        qs.exclude(plan_status=PlanStatus.DONE.value)  # type: ignore[misc]
        .order_by("household__number", "id")
        .values(
            "plan_status",
            "household__number",
            "household__township_id",
            "household__village_id",
            "household__region_id",
            "cadre__name",
            "cadre__user_id",
            "cadre__unit_id",
        )
    )


def _cadre_drafts(county_id: int, on: dt.date, rows: list[dict[str, Any]]) -> list[Draft]:
    mine: dict[int, dict[str, list[str]]] = defaultdict(lambda: {"overdue": [], "due": []})
    for r in rows:
        if r["cadre__user_id"]:
            mine[r["cadre__user_id"]][r["plan_status"]].append(r["household__number"])
    drafts = []
    for user_id, found in mine.items():
        overdue, due = found["overdue"], found["due"]
        parts = []
        if overdue:
            parts.append(f"已逾期{len(overdue)}户：{_listing(overdue)}")
        if due:
            parts.append(f"本月待走访{len(due)}户：{_listing(due)}")
        heads = [f"逾期{len(overdue)}户" if overdue else "", f"待走访{len(due)}户" if due else ""]
        drafts.append(
            Draft(
                user_id=user_id,
                county_id=county_id,
                kind=NoticeKind.VISITS_DUE,
                day=on,
                title=f"{on:%m月%d日}走访提醒：{'，'.join(h for h in heads if h)}",
                body="\n".join(parts) + "\n\n走访后在“我联系的户”登记一次即可。",
                link="/",
            )
        )
    return drafts


def _staff_drafts(county_id: int, on: dt.date, rows: list[dict[str, Any]]) -> list[Draft]:
    overdue = [r for r in rows if r["plan_status"] == PlanStatus.OVERDUE.value]
    if not overdue:
        return []
    by_unit: dict[int, list[str]] = defaultdict(list)
    by_region: dict[int, list[str]] = defaultdict(list)
    for r in overdue:
        line = f"{r['household__number']}（{r['cadre__name']}）"
        by_unit[r["cadre__unit_id"]].append(line)
        for key in ("household__township_id", "household__village_id", "household__region_id"):
            if r[key]:
                by_region[r[key]].append(line)
    staff = User.objects.filter(county_id=county_id, is_active=True).filter(
        role__in=[Role.HANDLER, *sorted(REGION_SCOPED)]
    )
    drafts = []
    for u in staff.only("pk", "role", "unit_id", "region_id"):
        if u.role == Role.HANDLER:
            lines, where = by_unit.get(u.unit_id or 0, []), "本单位干部"
        else:
            lines, where = by_region.get(u.region_id or 0, []), "本辖区"
        if not lines:
            continue
        drafts.append(
            Draft(
                user_id=u.pk,
                county_id=county_id,
                kind=NoticeKind.PAIRINGS_OVERDUE,
                day=on,
                title=f"{on:%m月%d日}逾期未走访：{where}{len(lines)}户",
                body=f"{where}按走访计划已逾期的结对户（户号和联系干部）：\n{_listing(lines)}",
                link="/visits/",
            )
        )
    return drafts


def do_send_visit_reminders(*, acting_user: Any = None, on: dt.date | None = None) -> int:
    """The morning's reminders for every county; how many notices were new. The server's job
    alone (the periodic task, `lianxin` at the console)."""
    check_console(acting_user, "走访提醒由系统每天早上自动发送")
    on = on or today()
    sent = 0
    for county_id in County.objects.values_list("pk", flat=True):
        rows = _rows(county_id, on)
        drafts = _cadre_drafts(county_id, on, rows) + _staff_drafts(county_id, on, rows)
        with transaction.atomic():
            n = send(drafts)
            if n:
                record(
                    actor=None,
                    action="发送走访提醒",
                    county_id=county_id,
                    target_type="notices.notice",
                    target_label=f"{on:%Y-%m-%d}走访提醒",
                    changes={"count": [None, n]},
                )
        sent += n
    mail_pending(on)
    return sent
