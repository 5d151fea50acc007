"""The automatic pairing pages: who may see them, the preview → apply flow, progress polling,
and query counts that do not grow with the number of changes."""

from __future__ import annotations

import pytest
from django.urls import reverse

from lianxin.audit.models import AuditEntry
from lianxin.pairing.choices import RunStatus
from lianxin.pairing.models import Pairing, PairingRun
from lianxin.pairing.services import do_pair, do_start_pairing_run
from tests.pairing.runs_support import build_county, dry_run, inline_runs  # noqa: F401

pytestmark = pytest.mark.usefixtures("inline_runs")

OTHERS = (
    "township_staff",
    "village_staff",
    "outsider",
    "cadre_user",
    "handler",
    "info_group",
    "system_admin",
    "security_admin",
    "audit_admin",
)


@pytest.mark.parametrize("persona", OTHERS)
def test_it_answers_404_to_everyone_but_administrators_and_leaders(world, login, persona):
    run = dry_run(world.county, world.city_admin)
    client = login(getattr(world, persona))
    for name, args in (
        ("pairing:run_list", []),
        ("pairing:run_create", []),
        ("pairing:run_detail", [run.pk]),
        ("pairing:run_progress", [run.pk]),
        ("pairing:policy", []),
    ):
        assert client.get(reverse(name, args=args)).status_code == 404, name
    assert client.post(reverse("pairing:run_apply", args=[run.pk])).status_code == 404
    assert client.post(reverse("pairing:run_create")).status_code == 404
    assert not Pairing.objects.exists()


def test_it_lets_a_leader_read_but_not_run(world, login):
    run = dry_run(world.county, world.city_admin)
    client = login(world.leader_user)
    listing = client.get(reverse("pairing:run_list"))
    assert listing.status_code == 200 and f"#{run.pk}" in listing.content.decode()
    assert "计算新的预览" not in listing.content.decode()
    detail = client.get(reverse("pairing:run_detail", args=[run.pk]))
    assert detail.status_code == 200 and "确认执行" not in detail.content.decode()
    assert client.post(reverse("pairing:run_apply", args=[run.pk])).status_code == 404
    assert client.get(reverse("pairing:run_create")).status_code == 404
    run.refresh_from_db()
    assert run.status == RunStatus.PREVIEWED


def test_it_asks_for_login(client, world):
    response = client.get(reverse("pairing:run_list"))
    assert response.status_code == 302 and "login" in response["Location"]


def test_it_walks_the_city_administrator_from_preview_to_apply(world, login):
    build_county(world, households=24, cadres=6)
    client = login(world.city_admin)

    response = client.post(reverse("pairing:run_create"), {"note": "月初例行"})
    run = PairingRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("pairing:run_detail", args=[run.pk])
    assert not Pairing.objects.exists()

    page = client.get(response["Location"]).content.decode()
    assert "确认执行" in page and "测试单位1" in page and "月初例行" in page
    assert "户覆盖" in page and "三龙村" not in page  # the units tab: no villages listed
    villages = client.get(response["Location"], {"tab": "villages"}).content.decode()
    assert "测试1甲村" in villages
    changes = client.get(response["Location"], {"tab": "changes", "kind": "new"}).content.decode()
    assert "51018420000000001" in changes and "尚未结对" in changes
    shortfalls = client.get(response["Location"], {"tab": "shortfalls"}).content.decode()
    assert "三龙村" in shortfalls

    applied = client.post(reverse("pairing:run_apply", args=[run.pk]), follow=True)
    assert applied.status_code == 200
    assert "已执行：新结对 26 户" in applied.content.decode()
    assert Pairing.objects.count() == 26
    assert AuditEntry.objects.filter(action="执行自动结对", actor=world.city_admin).count() == 1
    assert "确认执行" not in applied.content.decode()


def test_it_shows_a_stale_refusal_beside_the_preview(world, login):
    run = dry_run(world.county, world.city_admin)
    do_pair(cadre=world.cadre, household=world.household, acting_user=world.city_admin)
    client = login(world.city_admin)
    response = client.post(reverse("pairing:run_apply", args=[run.pk]))
    assert response.status_code == 409
    text = response.content.decode()
    assert "已过期" in text and "重新计算预览" in text


def test_it_filters_the_changes_by_unit_and_village(world, login):
    c = build_county(world, households=24, cadres=6)
    run = dry_run(world.county, world.city_admin)
    client = login(world.city_admin)
    url = reverse("pairing:run_detail", args=[run.pk])
    page = client.get(url, {"tab": "changes", "unit": c.units[1].pk})
    rows = list(page.context["page"])
    assert rows and {r.unit_id for r in rows} == {c.units[1].pk}
    page = client.get(url, {"tab": "changes", "village": c.villages[0].pk})
    assert {r.village_id for r in page.context["page"]} == {c.villages[0].pk}
    # Nonsense filters are ignored, not an error.
    assert client.get(url, {"tab": "nope", "unit": "x"}).status_code == 200


def test_it_polls_progress_until_the_run_is_done(world, login, settings):
    settings.LIANXIN_JOBS_INLINE = False
    client = login(world.city_admin)
    # Outside inline mode the run waits for its thread, which only starts after a commit the
    # test transaction never makes: it stays queued, as a page sees it in its first second.
    run = do_start_pairing_run(county=world.county, acting_user=world.city_admin)
    url = reverse("pairing:run_progress", args=[run.pk])
    waiting = client.get(url, HTTP_HX_REQUEST="true")
    assert (
        "排队中" in waiting.content.decode() and 'hx-trigger="every 1s"' in waiting.content.decode()
    )
    assert "HX-Refresh" not in waiting
    detail = client.get(reverse("pairing:run_detail", args=[run.pk])).content.decode()
    assert "hx-get" in detail and "确认执行" not in detail

    from lianxin.jobs import runner

    assert runner.execute(run.job_id, foreground=True)
    done = client.get(url, HTTP_HX_REQUEST="true")
    assert done["HX-Refresh"] == "true"
    assert "待确认" in done.content.decode()


def test_it_keeps_query_counts_flat_as_runs_and_changes_grow(
    world, login, django_assert_max_num_queries
):
    build_county(world, households=60, cadres=10)
    runs = [dry_run(world.county, world.city_admin) for _ in range(3)]
    client = login(world.city_admin)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("pairing:run_list")).status_code == 200
    url = reverse("pairing:run_detail", args=[runs[-1].pk])
    for tab in ("units", "villages", "changes", "shortfalls"):
        with django_assert_max_num_queries(10):
            assert client.get(url, {"tab": tab}).status_code == 200, tab
    assert runs[-1].changes.count() == 62
