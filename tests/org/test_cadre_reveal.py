from django.urls import reverse

from lianxin.audit.models import AuditEntry


def url(cadre):
    return reverse("org:cadre_reveal", args=[cadre.pk])


def test_it_reveals_the_phone_with_a_reason_and_audits_it(world, login):
    response = login(world.township_staff).post(url(world.cadre), {"reason": "联系走访事宜"})
    assert response.status_code == 200
    assert "13900000001" in response.content.decode()
    assert (
        response["Cache-Control"].startswith("no-store") or "no-store" in response["Cache-Control"]
    )
    entry = AuditEntry.objects.get(action="查看完整信息", target_id=str(world.cadre.pk))
    assert entry.reason == "联系走访事宜" and entry.actor == world.township_staff


def test_it_refuses_without_a_reason(world, login):
    response = login(world.township_staff).post(url(world.cadre), {"reason": ""})
    assert response.status_code == 400
    assert "13900000001" not in response.content.decode()
    assert not AuditEntry.objects.filter(action="查看完整信息").exists()


def test_it_refuses_a_user_without_the_permission(world, login):
    response = login(world.village_staff).post(url(world.cadre), {"reason": "联系走访事宜"})
    assert response.status_code == 403
    assert "您没有查看完整信息的权限" in response.content.decode()
    assert "13900000001" not in response.content.decode()


def test_it_answers_404_outside_the_scope(world, login):
    assert login(world.outsider).post(url(world.cadre), {"reason": "联系走访"}).status_code == 404
    assert not AuditEntry.objects.filter(action="查看完整信息").exists()


def test_it_does_not_answer_get(world, login):
    assert login(world.township_staff).get(url(world.cadre)).status_code == 405
