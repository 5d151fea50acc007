from lianxin.audit.models import AuditEntry
from lianxin.people.models import Household, Resident


def test_it_builds_the_world_through_services(world):
    assert Household.objects.count() == 3
    assert Resident.objects.count() == 5
    assert AuditEntry.objects.filter(action="登记居民").count() == 5


def test_it_scopes_households_by_persona(world):
    assert set(Household.objects.visible_to(world.township_staff)) == {
        world.household,
        world.household2,
    }
    assert list(Household.objects.visible_to(world.outsider)) == [world.other_household]
    assert list(Household.objects.visible_to(world.village_staff).order_by("number")) == [
        world.household,
        world.household2,
    ]
    assert Household.objects.visible_to(world.city_admin).count() == 3
    assert Household.objects.visible_to(world.audit_admin).count() == 0
    assert Household.objects.visible_to(world.cadre_user).count() == 0
    assert list(Household.objects.visible_to(world.handler)) == [world.other_household]
