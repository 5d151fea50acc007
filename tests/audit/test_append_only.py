import pytest
from django.urls import reverse

from lianxin.audit.models import AuditEntry, AuditImmutable


@pytest.fixture
def urls(world):
    entry = AuditEntry.objects.first()
    return [
        reverse("audit:entry_list"),
        reverse("audit:entry_detail", args=[entry.pk]),
        "/api/audit",
        f"/api/audit/{entry.pk}",
    ]


def test_it_offers_no_way_to_change_rows_over_http(world, login, urls):
    before = list(AuditEntry.objects.order_by("id").values_list("id", "action", "changes"))
    for persona in (world.audit_admin, world.system_admin, world.city_admin):
        client = login(persona)
        for url in urls:
            for method in (client.post, client.put, client.patch, client.delete):
                response = method(url, {"action": "篡改"}, content_type="application/json")
                assert response.status_code in (404, 405), (persona.role, url, method)
    after = AuditEntry.objects.order_by("id").values_list("id", "action", "changes")
    # Only the log-ins of this test were added; nothing existing changed.
    assert list(after)[: len(before)] == before


def test_it_refuses_save_on_an_existing_row(world):
    entry = AuditEntry.objects.first()
    entry.reason = "改写"
    with pytest.raises(AuditImmutable):
        entry.save()


def test_it_refuses_delete_of_a_row(world):
    with pytest.raises(AuditImmutable):
        AuditEntry.objects.first().delete()


def test_it_refuses_queryset_update_and_delete(world):
    with pytest.raises(AuditImmutable):
        AuditEntry.objects.all().update(reason="改写")
    with pytest.raises(AuditImmutable):
        AuditEntry.objects.filter(action="新建干部").delete()
    assert AuditEntry.objects.filter(action="新建干部").count() == 2
