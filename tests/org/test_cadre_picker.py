"""The cadre search picker: by name, pinyin initials or staff number, inside the scope."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lianxin.core.pickers import PICKER_LIMIT
from lianxin.org.services import do_create_cadre

CADRES = reverse("org:picker_cadres")


@pytest.mark.parametrize("q", ["马林", "mlz", "MLZ", "C000"])
def test_it_finds_a_cadre_by_name_initials_or_staff_number(world, login, q):
    items = login(world.city_admin).get(CADRES, {"q": q}).json()["items"]
    assert world.cadre.pk in [i["id"] for i in items]
    found = next(i for i in items if i["id"] == world.cadre.pk)
    assert found["label"] == "马林增" and "C0001" in found["detail"]


def test_it_never_finds_cadres_outside_the_scope(world, login):
    assert login(world.outsider).get(CADRES, {"q": "mlz"}).json()["items"] == []
    assert login(world.audit_admin).get(CADRES, {"q": "mlz"}).json()["items"] == []


def test_it_caps_the_answer_in_a_fixed_number_of_queries(world, login):
    for n in range(PICKER_LIMIT + 5):
        do_create_cadre(unit=world.unit, staff_no=f"Z{n:04d}", name=f"张{n}", acting_user=None)
    client = login(world.city_admin)
    client.get(CADRES, {"q": "z"})
    with CaptureQueriesContext(connection) as ctx:
        body = client.get(CADRES, {"q": "z"}).json()
    assert len(body["items"]) == PICKER_LIMIT and body["more"] is True
    assert len(ctx.captured_queries) <= 4


def test_it_refuses_an_empty_query(world, login):
    answer = login(world.city_admin).get(CADRES, {"q": " "})
    assert answer.status_code == 400 and "请输入" in answer.json()["detail"]


def test_it_excludes_the_cadre_chosen_in_the_picker(world, login):
    from lianxin.pairing.models import CadreExclusion

    client = login(world.city_admin)
    page = client.get(reverse("pairing:policy")).content.decode()
    assert "data-search-picker" in page and 'for="id_cadre"' in page
    response = client.post(
        reverse("pairing:policy_exclusion"), {"cadre": world.cadre.pk, "reason": "病假"}
    )
    assert response.status_code == 302
    assert CadreExclusion.objects.get().cadre == world.cadre
    # Without the script the typed staff number still finds the cadre.
    CadreExclusion.objects.all().delete()
    typed = client.post(
        reverse("pairing:policy_exclusion"), {"cadre_text": "C0001", "reason": "借调"}
    )
    assert typed.status_code == 302 and CadreExclusion.objects.get().cadre == world.cadre
