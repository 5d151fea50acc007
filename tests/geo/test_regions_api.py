"""/api/regions: the same regions and counts as the drill-down, in JSON."""

import datetime as dt

from lianxin.core.models import today
from lianxin.geo.choices import Level
from lianxin.geo.services import do_create_region, do_end_region
from tests.people.support import add_households, count_queries


def test_it_lists_the_regions_in_scope(world, login):
    everything = login(world.city_admin).get("/api/regions").json()
    assert everything["count"] == 8
    outsider = login(world.outsider).get("/api/regions").json()
    assert {r["id"] for r in outsider["items"]} == {
        world.other_township.pk,
        world.other_village.pk,
        world.other_group.pk,
    }
    village_staff = login(world.village_staff).get("/api/regions").json()
    assert {r["id"] for r in village_staff["items"]} == {
        world.village.pk,
        world.group.pk,
        world.group2.pk,
    }
    assert login(world.audit_admin).get("/api/regions").json() == {"count": 0, "items": []}


def test_it_filters_by_level_parent_and_name(world, login):
    client = login(world.city_admin)
    townships = client.get("/api/regions", {"level": "township"}).json()
    assert [r["short_name"] for r in townships["items"]] == ["文井江镇", "道明镇"]
    assert townships["items"][0]["level_label"] == "乡镇（街道）"
    children = client.get("/api/regions", {"parent": world.village.pk}).json()
    assert {r["id"] for r in children["items"]} == {world.group.pk, world.group2.pk}
    named = client.get("/api/regions", {"q": "双河"}).json()
    assert [r["id"] for r in named["items"]] == [world.village2.pk]
    assert client.get("/api/regions", {"level": "province"}).status_code == 422


def test_it_hides_ended_regions_unless_asked(world, login):
    old = do_create_region(
        county=world.county,
        level=Level.VILLAGE,
        name="老村村民委员会",
        parent=world.township,
        valid_from=dt.date(2020, 1, 1),
    )
    do_end_region(old, effective_on=today(), acting_user=None)
    client = login(world.city_admin)
    ids = {r["id"] for r in client.get("/api/regions").json()["items"]}
    assert old.pk not in ids
    with_ended = client.get("/api/regions", {"include_ended": "true"}).json()["items"]
    ended = next(r for r in with_ended if r["id"] == old.pk)
    assert ended["valid_to"] == str(today() - dt.timedelta(days=1))


def test_it_pages_with_limit_and_offset(world, login):
    client = login(world.city_admin)
    first = client.get("/api/regions", {"limit": 3}).json()
    second = client.get("/api/regions", {"limit": 3, "offset": 3}).json()
    assert first["count"] == second["count"] == 8
    assert len(first["items"]) == 3
    assert not {r["id"] for r in first["items"]} & {r["id"] for r in second["items"]}
    assert client.get("/api/regions", {"limit": 0}).status_code == 422


def test_it_shows_a_region_with_child_counts(world, login):
    add_households(world, 2)
    body = login(world.township_staff).get(f"/api/regions/{world.village.pk}").json()
    assert body["short_name"] == "大坪村"
    assert [a["short_name"] for a in body["ancestors"]] == ["文井江镇"]
    children = {c["id"]: c["counts"] for c in body["children"]}
    assert children[world.group.pk]["households"] == 2
    assert children[world.group.pk]["hardship_households"] == 1
    assert body["totals"]["households"] == 4
    assert body["changes"][0]["kind"] == "create"


def test_it_answers_404_in_chinese_outside_the_scope(world, login):
    response = login(world.outsider).get(f"/api/regions/{world.township.pk}")
    assert response.status_code == 404
    assert response.json()["detail"] == "对象不存在或不在您的权限范围内"


def test_it_runs_the_same_queries_for_3_or_30_households(world, login):
    client = login(world.city_admin)
    url = f"/api/regions/{world.township.pk}"
    few = count_queries(client, url), count_queries(client, "/api/regions")
    add_households(world, 27)
    assert (count_queries(client, url), count_queries(client, "/api/regions")) == few
