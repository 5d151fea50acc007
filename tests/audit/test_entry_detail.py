from django.urls import reverse

from lianxin.audit.models import AuditEntry


def test_it_shows_one_entry_with_labelled_changes(world, login):
    entry = AuditEntry.objects.filter(action="新建干部", target_id=str(world.cadre.pk)).get()
    page = login(world.audit_admin).get(reverse("audit:entry_detail", args=[entry.pk]))
    text = page.content.decode()
    assert page.status_code == 200
    assert "新建干部" in text and "马林增" in text
    assert "<td>单位</td>" in text and "<td>电话</td>" in text and "139****0001" in text
    assert "该对象的全部记录" in text


def test_it_answers_404_to_everyone_but_the_audit_admin(world, login):
    entry = AuditEntry.objects.first()
    url = reverse("audit:entry_detail", args=[entry.pk])
    for persona in (world.city_admin, world.system_admin, world.security_admin, world.outsider):
        assert login(persona).get(url).status_code == 404
