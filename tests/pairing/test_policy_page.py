"""The pairing policy page: rules, unit load overrides, cadre exclusions; refusals beside the
field; read-only for leaders; 404 for everyone else."""

from __future__ import annotations

import pytest
from django.urls import reverse

from lianxin.core.models import today
from lianxin.pairing.models import CadreExclusion, UnitLoadOverride
from lianxin.pairing.policy import policy_for


def policy_post(**kw):
    data = {
        "coverage": "all",
        "min_load": "5",
        "max_load": "15",
        "keep_groups_together": "on",
        "exclude_city_leaders": "on",
    }
    data.update(kw)
    return data


def test_it_saves_the_policy(world, login):
    client = login(world.city_admin)
    page = client.get(reverse("pairing:policy"))
    assert page.status_code == 200 and "保存结对规则" in page.content.decode()

    response = client.post(
        reverse("pairing:policy"),
        policy_post(coverage="hardship", hardship_kinds=["dibao", "tekun"], max_load="12"),
    )

    assert response.status_code == 302
    policy = policy_for(world.county)
    assert policy.coverage == "hardship" and policy.hardship_kinds == ["dibao", "tekun"]
    assert policy.max_load == 12 and policy.keep_groups_together


def test_it_saves_chosen_regions(world, login):
    client = login(world.city_admin)
    response = client.post(
        reverse("pairing:policy"), policy_post(coverage="regions", regions=[world.village.pk])
    )
    assert response.status_code == 302
    assert list(policy_for(world.county).regions.all()) == [world.village]


def test_it_shows_refusals_beside_the_field(world, login):
    client = login(world.city_admin)
    response = client.post(reverse("pairing:policy"), policy_post(min_load="9", max_load="3"))
    assert response.status_code == 400
    assert "最少联系户数不能大于最多联系户数" in response.content.decode()
    response = client.post(reverse("pairing:policy"), policy_post(coverage="regions"))
    assert response.status_code == 400
    assert "请至少选择一个村（社区）或组" in response.content.decode()
    assert policy_for(world.county).coverage == "all"


def test_it_sets_and_removes_a_unit_override(world, login):
    client = login(world.city_admin)
    response = client.post(
        reverse("pairing:policy_override"),
        {"unit": world.unit.pk, "min_load": "2", "max_load": "8"},
    )
    assert response.status_code == 302
    override = UnitLoadOverride.objects.get()
    assert (override.min_load, override.max_load) == (2, 8)
    bad = client.post(
        reverse("pairing:policy_override"),
        {"unit": world.unit.pk, "min_load": "9", "max_load": "8"},
    )
    assert bad.status_code == 400 and "不能大于" in bad.content.decode()
    client.post(reverse("pairing:policy_override_remove", args=[override.pk]))
    assert not UnitLoadOverride.objects.exists()


def test_it_excludes_a_cadre_by_staff_number_and_ends_it(world, login):
    client = login(world.city_admin)
    response = client.post(
        reverse("pairing:policy_exclusion"),
        {"cadre": "C0001", "reason": "病假", "valid_from": today().isoformat()},
    )
    assert response.status_code == 302
    x = CadreExclusion.objects.get()
    assert x.cadre == world.cadre and x.reason == "病假"
    page = client.get(reverse("pairing:policy")).content.decode()
    assert "马林增" in page and "病假" in page
    again = client.post(reverse("pairing:policy_exclusion"), {"cadre": "马林增", "reason": "借调"})
    assert again.status_code == 409 and "已设置为不参与结对" in again.content.decode()
    client.post(
        reverse("pairing:policy_exclusion_end", args=[x.pk]), {"valid_to": today().isoformat()}
    )
    x.refresh_from_db()
    assert x.valid_to == today()


def test_it_names_an_unknown_cadre(world, login):
    response = login(world.city_admin).post(
        reverse("pairing:policy_exclusion"), {"cadre": "C9999", "reason": "病假"}
    )
    assert response.status_code == 400
    assert "找不到人员编号或姓名为“C9999”的干部" in response.content.decode()


def test_it_shows_the_policy_read_only_to_a_leader(world, login):
    client = login(world.leader_user)
    page = client.get(reverse("pairing:policy"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "保存结对规则" not in text and "5–15 户" in text
    assert client.post(reverse("pairing:policy"), policy_post(max_load="9")).status_code == 404
    assert (
        client.post(
            reverse("pairing:policy_override"),
            {"unit": world.unit.pk, "min_load": "2", "max_load": "8"},
        ).status_code
        == 404
    )
    assert policy_for(world.county).max_load == 15


@pytest.mark.parametrize("persona", ["outsider", "township_staff", "cadre_user", "audit_admin"])
def test_it_answers_404_to_others(world, login, persona):
    x = CadreExclusion.objects.create(county=world.county, cadre=world.cadre, reason="病假")
    client = login(getattr(world, persona))
    assert client.get(reverse("pairing:policy")).status_code == 404
    assert (
        client.post(
            reverse("pairing:policy_exclusion_end", args=[x.pk]), {"valid_to": "2030-01-01"}
        ).status_code
        == 404
    )
    x.refresh_from_db()
    assert x.valid_to is None
