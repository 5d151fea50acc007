"""The home page: what the signed-in role acts on, each card linking to exactly the rows it
counts. A page above every app, as lianxin/api.py is for the API, so that core, which every app
builds on, imports none of them.

- the organisation department (市级管理员), leaders and the information group: coverage by
  township, each township's gap linking to its list of households without a cadre;
- township and village staff: their area's gaps (households without a cadre, villages without a
  responsible unit) and the villages where they are;
- a cadre: 我联系的户 (lianxin.visits.views.mine), their households by what is due, the month's
  figures and the visit form one tap away; a cadre's account not yet linked to a cadre record:
  that it is not, and whom to ask;
- a department's handler: the unit's cadres and how many are paired;
- the audit administrator: recent audit activity; the other administrators: what awaits them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from lianxin.accounts.choices import ProposalStatus, Role
from lianxin.accounts.models import AccountProposal, User
from lianxin.audit.filters import target_type_label, visible_entries
from lianxin.core.models import today
from lianxin.geo.filters import visible_hardships
from lianxin.lib.numbers import count_text
from lianxin.org.models import Cadre
from lianxin.pairing.coverage import coverage_for
from lianxin.pairing.coverage_figures import Ratio
from lianxin.people.filters import household_rows
from lianxin.people.models import Household
from lianxin.visits import views as visit_pages

RECENT_AUDIT_ROWS = 10
SHORT_LIST = 10


@dataclass(frozen=True)
class Card:
    """One figure on the home page and the page that lists what it counts."""

    label: str
    value: int | str
    url: str
    note: str = ""
    open: bool = False  # a gap to act on: highlighted


def link(name: str, **params: Any) -> str:
    query = urlencode({k: v for k, v in params.items() if v not in (None, "")})
    return reverse(name) + (f"?{query}" if query else "")


def _hardship_card(user: User) -> Card:
    """Households in difficulty the user sees, linking to exactly those (counted on the
    hardships' own columns, as the drill-down counts them: no subquery of every household)."""
    return Card(
        "困难群众户",
        visible_hardships(user).values("household_id").distinct().count(),
        link("people:household_list", has_hardship=1),
    )


def _coverage_card(gap: str, ratio: Ratio, list_name: str, rate: str, **params: Any) -> Card:
    """The gap (what is still uncovered) as the figure, linking to its list; the rate beside."""
    return Card(
        label=gap,
        value=ratio.gaps,
        url=link("pairing:coverage", list=list_name, **params),
        note=f"{rate} {ratio.percent}（{count_text(ratio.covered)}/{count_text(ratio.total)}）",
        open=ratio.gaps > 0,
    )


def county_home(user: User) -> dict[str, Any]:
    """Coverage by township, for the whole county (or the account's region)."""
    cov = coverage_for(user)
    summary = cov.summary()
    cards = [
        _coverage_card("未结对的户", summary.households, "households", "户覆盖率"),
        _coverage_card("未联系户的干部", summary.cadres, "cadres", "干部结对率", load="none"),
        _coverage_card("无责任单位的村（社区）", summary.villages, "villages", "村（社区）覆盖率"),
        _coverage_card(
            "无市级领导联系的乡镇（街道）", summary.townships, "townships", "乡镇（街道）覆盖率"
        ),
        _hardship_card(user),
    ]
    rows = [
        {
            "township": t.township,
            "households": t.households,
            "url": link("pairing:coverage", list="households", township=t.township.pk),
        }
        for t in cov.region_rows()
    ]
    return {"cards": cards, "townships": rows, "coverage_title": "分乡镇（街道）覆盖情况"}


def area_home(user: User) -> dict[str, Any]:
    """Township or village staff: the gaps in their area and the households without a cadre."""
    cov = coverage_for(user)
    summary = cov.summary()
    households = Household.objects.visible_to(user)
    cards = [
        _coverage_card("未结对的户", summary.households, "households", "户覆盖率"),
        _hardship_card(user),
        Card("户", households.count(), link("people:household_list")),
    ]
    if summary.villages.total > 1:
        cards.insert(
            1,
            _coverage_card(
                "无责任单位的村（社区）", summary.villages, "villages", "村（社区）覆盖率"
            ),
        )
    gaps = cov.households_without_cadre().order_by().values("pk")
    without = household_rows(Household.objects.filter(pk__in=gaps))[:SHORT_LIST]
    villages = [
        {
            "township": v.village,
            "households": v.households,
            "url": link("pairing:coverage", list="households", village=v.village.pk),
        }
        for t in cov.region_rows()
        for v in t.villages
    ]
    return {
        "cards": cards,
        "without_cadre": list(without),
        "without_cadre_url": link("pairing:coverage", list="households"),
        "townships": villages if len(villages) > 1 else [],
        "coverage_title": "分村（社区）覆盖情况",
    }


def cadre_home(user: User) -> dict[str, Any]:
    """A cadre's account not yet linked to its cadre record has nothing of its own to show, and
    is told so rather than shown its unit's (a linked cadre's home is 我联系的户, see home())."""
    return {"no_cadre": True}


def unit_home(user: User) -> dict[str, Any]:
    """A department's handler (demands arrive with issue 11): the unit's cadres and loads."""
    cov = coverage_for(user)
    summary = cov.summary()
    unit = user.unit
    cards = [
        _coverage_card(
            "本单位未联系户的干部",
            summary.cadres,
            "cadres",
            "干部结对率",
            load="none",
            unit=unit.pk if unit else None,
        ),
    ]
    return {"cards": cards}


def audit_home(user: User) -> dict[str, Any]:
    entries = visible_entries(user)
    day = today()
    cards = [
        Card(
            "今天的审计记录",
            entries.filter(at__date=day).count(),
            link("audit:entry_list", date_from=day.isoformat(), date_to=day.isoformat()),
        ),
        Card(
            "今天查看完整信息",
            entries.filter(at__date=day, action="查看完整信息").count(),
            link(
                "audit:entry_list",
                action="查看完整信息",
                date_from=day.isoformat(),
                date_to=day.isoformat(),
            ),
        ),
    ]
    recent = [
        (e, target_type_label(e.target_type))
        for e in entries.order_by("-at", "-pk")[:RECENT_AUDIT_ROWS]
    ]
    return {"cards": cards, "recent": recent}


def accounts_home(user: User) -> dict[str, Any]:
    accounts = User.objects.visible_to(user)
    cards = [
        Card("账号", accounts.count(), link("accounts:user_list")),
        Card(
            "已停用的账号",
            accounts.filter(is_active=False).count(),
            link("accounts:user_list", active="false"),
        ),
    ]
    if user.is_separated_admin:
        pending = AccountProposal.objects.visible_to(user).filter(status=ProposalStatus.PENDING)
        count = pending.count()
        cards.insert(0, Card("待审批", count, link("accounts:proposal_list"), open=count > 0))
    return {"cards": cards}


def home_for(user: User) -> dict[str, Any]:
    if user.reads_audit:
        return audit_home(user)
    if user.manages_accounts or user.manages_permissions:
        return accounts_home(user)
    if not user.sees_people:
        return {}
    if user.is_county_wide and not user.region_id:
        return county_home(user)
    if user.is_region_scoped or user.is_county_wide:
        return area_home(user)
    if user.role == Role.CADRE:
        return cadre_home(user)
    return unit_home(user)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    if user.role == Role.CADRE and user.sees_people:
        cadre = Cadre.objects.filter(user=user).first()
        if cadre is not None:
            return visit_pages.mine(request, cadre)
    context = {"today": today(), **home_for(user)}
    return render(request, "core/home.html", context)
