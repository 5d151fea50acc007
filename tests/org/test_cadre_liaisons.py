import datetime as dt

from django.urls import reverse

from lianxin.org.models import LeaderLiaison


def test_it_assigns_a_township_to_a_leader(world, login):
    url = reverse("org:cadre_liaison_assign", args=[world.leader.pk])
    client = login(world.city_admin)
    page = client.get(url).content.decode()
    assert "道明镇" in page and f'value="{world.township.pk}"' not in page
    response = client.post(url, {"township": world.other_township.pk, "valid_from": "2025-02-01"})
    assert response.status_code == 302
    liaison = LeaderLiaison.objects.get(leader=world.leader, township=world.other_township)
    assert liaison.valid_from == dt.date(2025, 2, 1)


def test_it_refuses_a_cadre_who_is_not_a_city_leader(world, login):
    url = reverse("org:cadre_liaison_assign", args=[world.cadre.pk])
    response = login(world.city_admin).post(
        url, {"township": world.township.pk, "valid_from": "2025-02-01"}
    )
    assert response.status_code == 400
    assert "马林增不是市级领导" in response.content.decode()
    assert not LeaderLiaison.objects.filter(leader=world.cadre).exists()


def test_it_ends_a_liaison_and_keeps_it(world, login):
    liaison = LeaderLiaison.objects.get(leader=world.leader)
    LeaderLiaison.objects.filter(pk=liaison.pk).update(valid_from=dt.date(2024, 1, 1))
    url = reverse("org:cadre_liaison_end", args=[world.leader.pk, liaison.pk])
    assert login(world.city_admin).post(url, {"valid_to": "2025-01-31"}).status_code == 302
    liaison.refresh_from_db()
    assert liaison.valid_to == dt.date(2025, 1, 31)
    page = login(world.city_admin).get(reverse("org:cadre_detail", args=[world.leader.pk]))
    assert "2025-01-31" in page.content.decode()


def test_it_answers_404_to_non_admins(world, login):
    liaison = LeaderLiaison.objects.get(leader=world.leader)
    url = reverse("org:cadre_liaison_end", args=[world.leader.pk, liaison.pk])
    assert login(world.leader_user).post(url, {"valid_to": "2030-01-01"}).status_code == 404
    liaison.refresh_from_db()
    assert liaison.valid_to is None
