"""One official order for regions (Region.sort_key): by code, then the number inside the name."""

import random

from django.urls import reverse

from lianxin.core.models import today
from lianxin.geo.choices import Level
from lianxin.geo.models import Region
from lianxin.geo.services import do_create_region, do_rename_region

TWELVE = [f"{n}组" for n in range(1, 13)]


def _twelve_groups(world) -> None:
    names = TWELVE[:]
    random.Random(8).shuffle(names)  # created out of order: ids do not give the order
    for name in names:
        do_create_region(county=world.county, level=Level.GROUP, name=name, parent=world.village2)


def _more_townships(world) -> None:
    # Code order 崇阳, 文井江, 道明, 安阜; character order 安, 崇, 文, 道; id order 文, 道, 崇, 安.
    for name, code in (("崇阳街道办事处", "510184001"), ("安阜镇人民政府", "510184120")):
        do_create_region(county=world.county, level=Level.TOWNSHIP, name=name, code=code)


OFFICIAL = ["崇阳街道", "文井江镇", "道明镇", "安阜镇"]


def _in_page_order(html: str, names: list[str]) -> list[str]:
    return sorted(names, key=html.index)


def test_it_lists_groups_in_numeric_order_on_the_drilldown(world, login):
    _twelve_groups(world)
    response = login(world.city_admin).get(reverse("geo:region_detail", args=[world.village2.pk]))
    assert [child.short_name for child, _ in response.context["rows"]] == TWELVE


def test_it_lists_groups_in_numeric_order_in_the_api(world, login):
    _twelve_groups(world)
    client = login(world.city_admin)
    body = client.get("/api/regions", {"parent": world.village2.pk, "limit": 50}).json()
    assert [r["name"] for r in body["items"]] == TWELVE
    detail = client.get(f"/api/regions/{world.village2.pk}").json()
    assert [c["name"] for c in detail["children"]] == TWELVE


def test_it_lists_townships_in_code_order_on_drilldown_and_coverage_alike(world, login):
    _more_townships(world)
    client = login(world.city_admin)
    county = client.get(reverse("geo:county"))
    assert [child.short_name for child, _ in county.context["rows"]] == OFFICIAL
    coverage = client.get(reverse("pairing:coverage"), {"list": "regions"})
    assert coverage.status_code == 200
    html = coverage.content.decode()
    body = html[html.index("</form>") :]  # the table, after the filter form's options
    assert _in_page_order(body, OFFICIAL) == OFFICIAL
    townships = client.get("/api/regions", {"level": "township"}).json()
    assert [r["short_name"] for r in townships["items"]] == OFFICIAL


def test_it_offers_the_filter_choices_in_the_same_order(world, login):
    _more_townships(world)
    _twelve_groups(world)
    client = login(world.city_admin)
    picker = client.get(
        reverse("people:household_list"),
        {"township": world.township.pk, "village": world.village2.pk},
    ).context["region_picker"]
    by_level = {s["level"]: [label for _, label in s["options"]] for s in picker["selects"]}
    assert by_level["township"] == OFFICIAL
    assert by_level["group"] == TWELVE
    answer = client.get(
        reverse("geo:picker_children"), {"level": "group", "parent": world.village2.pk}
    )
    assert [i["label"] for i in answer.json()["items"]] == TWELVE


def test_it_keeps_the_key_when_a_region_is_renamed_or_recoded(world):
    group = do_create_region(
        county=world.county, level=Level.GROUP, name="9组", parent=world.village2
    )
    do_rename_region(group, name="11组", effective_on=today(), acting_user=world.city_admin)
    group.refresh_from_db()
    assert group.sort_key[13:21] == "00000011"
    assert Region.objects.get(pk=world.township.pk).sort_key.startswith("0000510184110")
    assert Region.objects.get(pk=world.village.pk).name_initials == "dpc"
