"""The coverage views' filters, one set for the page, its xlsx export and the API.

Parameters (the same names everywhere): on (YYYY-MM-DD, "as of"; today by default), township,
village, unit (ids), hardship_only (true/1), list (which gap list) and load (which cadres).
A township, village or unit outside the user's scope answers 404, exactly as if it did not
exist; a malformed value is refused with a Chinese message naming the parameter.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.http import Http404

from lianxin.core.access import get_visible_or_404
from lianxin.core.errors import Refused
from lianxin.core.models import today
from lianxin.geo.choices import Level
from lianxin.geo.filters import text, truthy
from lianxin.geo.models import Region
from lianxin.org.filters import require_registry_reader
from lianxin.org.models import Unit

from .coverage_figures import LOAD_CHOICES, LOAD_NONE, CoverageQuery

# The gap lists and tables of the coverage page, by the `list` parameter.
LISTS = {
    "households": "未结对的户",
    "cadres": "干部结对情况",
    "villages": "无责任单位的村（社区）",
    "townships": "无市级领导联系的乡镇（街道）",
    "regions": "分乡镇、村（社区）覆盖情况",
    "units": "分单位结对情况",
}
DEFAULT_LIST = "households"
NOT_FOUND = "对象不存在或不在您的权限范围内"


def _id(value: Any, field: str, label: str) -> int | None:
    value = text(value)
    if not value:
        return None
    if not value.isdigit() or int(value) <= 0:
        raise Refused(f"{label}参数应为编号，收到“{value[:20]}”", field=field)
    return int(value)


def _region(user: Any, value: Any, level: Level, field: str) -> Region | None:
    pk = _id(value, field, level.label)
    if pk is None:
        return None
    region = get_visible_or_404(Region, user, pk)
    if region.level != level:
        raise Http404(NOT_FOUND)
    return region


def parse_day(value: Any) -> dt.date:
    """The "as of" day: today when empty; never in the future."""
    if isinstance(value, dt.date):
        day = value
    else:
        raw = text(value)
        if not raw:
            return today()
        try:
            day = dt.date.fromisoformat(raw)
        except ValueError:
            raise Refused(f"查询日期应为 YYYY-MM-DD 格式，收到“{raw[:20]}”", field="on") from None
    if day > today():
        raise Refused("查询日期不能晚于今天", field="on")
    return day


def parse_query(user: Any, params: Mapping[str, Any]) -> CoverageQuery:
    """The checked filters of a coverage request. 404 for the separated administrators (they
    manage the system, not people's data) and for any id outside the user's scope."""
    require_registry_reader(user)
    on = parse_day(params.get("on"))
    township = _region(user, params.get("township"), Level.TOWNSHIP, "township")
    village = _region(user, params.get("village"), Level.VILLAGE, "village")
    if township is not None and village is not None and village.parent_id != township.pk:
        raise Refused(
            f"{village.short_name}不属于{township.short_name}，请重新选择村（社区）",
            field="village",
        )
    unit_id = _id(params.get("unit"), "unit", "单位")
    unit = get_visible_or_404(Unit, user, unit_id) if unit_id is not None else None
    return CoverageQuery(
        on=on,
        township=township,
        village=village,
        unit=unit,
        hardship_only=truthy(params.get("hardship_only")),
    )


def parse_list(value: Any) -> str:
    name = text(value) or DEFAULT_LIST
    if name not in LISTS:
        raise Refused(f"无法识别的清单“{name[:20]}”，可选：" + "、".join(LISTS), field="list")
    return name


def parse_load(value: Any) -> str:
    load = text(value) or LOAD_NONE
    if load not in LOAD_CHOICES:
        raise Refused(
            f"无法识别的干部筛选“{load[:20]}”，可选：" + "、".join(LOAD_CHOICES), field="load"
        )
    return load


def filter_options(user: Any, query: CoverageQuery) -> dict[str, Any]:
    """The choices of the filter form: townships and villages in force in the user's scope
    (villages of the chosen township only, through the cascading picker), and the units
    the user may see."""
    from lianxin.geo.pickers import cascade_context

    chosen = [getattr(query.township, "pk", None), getattr(query.village, "pk", None)]
    return {
        "region_picker": cascade_context(user, chosen, names=("township", "village")),
        "units": list(Unit.objects.visible_to(user).order_by("name", "pk")),
    }
