"""我联系的户 and the visit form on the server side (issue 10, point 3): the cadre's home lists
their households overdue first with the month's figures, shows their heads' numbers in full with
one audit row per page view, and the form records the common case with nothing typed; other
roles and other households answer 404."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest

from lianxin.audit.models import AuditEntry
from lianxin.core.models import today
from lianxin.people.models import Resident
from lianxin.visits.models import Visit, VisitHousehold, VisitNeed
from tests.factories import household
from tests.visits.support import pair, visit

pytestmark = pytest.mark.django_db

ROW = re.compile(r'data-plan-row data-household="(\d+)" data-status="(\w+)"')
TILE = re.compile(r'data-month-figure="(\w+)"><span class="num">(\d+)<')


@pytest.fixture
def mine(world):
    """Three households of the cadre: one overdue (paired two months ago, never visited), one
    done (visited today), one due (paired today)."""
    w = world
    long_ago = today().replace(day=1) - dt.timedelta(days=40)
    w.overdue = w.household
    pair(w, w.overdue, since=long_ago)
    w.done = w.household2
    pair(w, w.done, since=long_ago)
    visit(w, w.done, today(), needs=("屋顶漏雨，想申请危房改造",))
    w.due = household(w.county, w.group2, "51018411000000003", head="王大福")
    pair(w, w.due, since=today())
    return w


def test_it_lists_the_cadres_households_overdue_first_with_the_months_figures(mine, login):
    html = login(mine.cadre_user).get("/").content.decode()
    rows = ROW.findall(html)
    assert rows == [
        (str(mine.overdue.pk), "overdue"),
        (str(mine.due.pk), "due"),
        (str(mine.done.pk), "done"),
    ]
    tiles = dict(TILE.findall(html))
    for status in ("overdue", "due", "done"):
        assert int(tiles[status]) == sum(1 for _, s in rows if s == status), status
    # 见面率 1 of 3 this month, with its definition beside it.
    assert "33.3%" in html and "（1/3）" in html
    assert "见面率 = 统计期内当面见到人" in html and "对话率 = " in html
    assert "反映诉求 1 条" in html
    assert "上次：" in html and "上门走访" in html
    assert mine.other_household.number not in html


def test_it_shows_the_heads_numbers_in_full_with_one_audit_row_per_view(mine, login):
    client = login(mine.cadre_user)
    heads = Resident.objects.filter(
        household__in=[mine.overdue, mine.done, mine.due], relation="head"
    )
    phones = [h.phone_masked for h in heads]
    assert all(phones)
    before = AuditEntry.objects.filter(action="查看联系户电话").count()
    html = client.get("/").content.decode()
    calls = re.findall(r'href="tel:(\d{11})"', html)
    assert len(calls) == 3 and all("*" not in c for c in calls)
    assert {c[:3] + "****" + c[-4:] for c in calls} == set(phones)
    entries = AuditEntry.objects.filter(action="查看联系户电话")
    assert entries.count() == before + 1
    assert entries.latest("pk").changes["households"] == [None, 3]
    client.get("/")
    assert entries.count() == before + 2


def test_it_records_the_common_case_from_the_prefilled_form(mine, login):
    client = login(mine.cadre_user)
    url = f"/visits/new/{mine.due.pk}/"
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["form"]
    head = Resident.objects.get(household=mine.due, relation="head")
    assert form["mode"].value() == "in_person" and form["met"].value() == "1"
    assert form["members"].value() == [head.pk]
    key = form["idempotency_key"].value()
    # Saving sends what the form holds: nothing typed.
    data = {
        "mode": "in_person",
        "occurred_on": today().isoformat(),
        "met": "1",
        "members": [head.pk],
        "idempotency_key": str(key),
        "need": ["", "", ""],
    }
    response = client.post(url, data)
    assert response.status_code == 302 and response["Location"] == "/"
    row = VisitHousehold.objects.get(household=mine.due)
    assert row.met and row.mode == "in_person" and row.occurred_on == today()
    assert list(row.member_rows.values_list("resident_id", flat=True)) == [head.pk]
    # The same form sent again (a double tap) records nothing more.
    client.post(url, data)
    assert VisitHousehold.objects.filter(household=mine.due).count() == 1
    html = client.get("/").content.decode()
    assert (str(mine.due.pk), "done") in ROW.findall(html)


def test_it_records_nobody_home_and_needs_and_refuses_in_chinese(mine, login):
    client = login(mine.cadre_user)
    url = f"/visits/new/{mine.due.pk}/"
    head = Resident.objects.get(household=mine.due, relation="head")
    base = {
        "mode": "in_person",
        "occurred_on": today().isoformat(),
        "idempotency_key": str(uuid.uuid4()),
    }
    refused = client.post(url, {**base, "met": "0", "members": [head.pk]})
    assert refused.status_code == 200
    assert (
        "家中无人" in refused.content.decode()
        and Visit.objects.filter(cadre=mine.cadre).count() == 1
    )
    future = client.post(
        url, {**base, "met": "1", "occurred_on": (today() + dt.timedelta(days=3)).isoformat()}
    )
    assert "晚于今天" in future.content.decode()
    client.post(url, {**base, "met": "0", "need": ["路灯坏了", "", "孩子上学要开证明"]})
    row = VisitHousehold.objects.get(household=mine.due)
    assert not row.met
    assert list(VisitNeed.objects.filter(household=mine.due).values_list("text", flat=True)) == [
        "路灯坏了",
        "孩子上学要开证明",
    ]


@pytest.mark.parametrize("persona", ["outsider", "township_staff", "city_admin", "leader_user"])
def test_it_answers_404_to_anyone_but_the_cadre(mine, login, persona):
    client = login(getattr(mine, persona))
    assert client.get(f"/visits/new/{mine.due.pk}/").status_code == 404
    v = Visit.objects.get(cadre=mine.cadre)
    assert client.get(f"/visits/{v.pk}/edit/").status_code == 404


def test_it_answers_404_for_a_household_the_cadre_does_not_serve(mine, login):
    client = login(mine.cadre_user)
    assert client.get(f"/visits/new/{mine.other_household.pk}/").status_code == 404
    response = client.post(
        f"/visits/new/{mine.other_household.pk}/",
        {"mode": "in_person", "occurred_on": today().isoformat(), "met": "1"},
    )
    assert response.status_code == 404
    assert not VisitHousehold.objects.filter(household=mine.other_household).exists()


def test_it_corrects_a_visit_against_its_version(mine, login):
    client = login(mine.cadre_user)
    v = Visit.objects.get(cadre=mine.cadre)
    url = f"/visits/{v.pk}/edit/"
    page = client.get(url)
    assert page.status_code == 200 and page.context["form"]["version"].value() == 1
    data = {
        "mode": "phone",
        "occurred_on": today().isoformat(),
        "met": "1",
        "version": "1",
        "notes": "补记",
    }
    assert client.post(url, data).status_code == 302
    v.refresh_from_db()
    assert v.mode == "phone" and v.notes == "补记" and v.version == 2
    # A second device still holding version 1: refused, in Chinese, nothing changed.
    stale = client.post(url, {**data, "notes": "另一台手机"})
    assert stale.status_code == 200
    assert "已在别处修改过" in stale.content.decode()
    v.refresh_from_db()
    assert v.notes == "补记"


def test_it_serves_the_worker_from_the_root(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == "/"
    body = response.content.decode()
    assert "LIANXIN_SHELL" in body and "/static/js/visits.js" in body


def test_it_marks_only_the_cadres_pages_for_offline_use(mine, login, client):
    cadre = login(mine.cadre_user)
    assert cadre.get("/")["X-Lianxin-Offline"] == "1"
    assert cadre.get(f"/visits/new/{mine.due.pk}/")["X-Lianxin-Offline"] == "1"
    client.force_login(mine.city_admin)
    assert "X-Lianxin-Offline" not in client.get("/")
