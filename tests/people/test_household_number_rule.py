"""Every 户号 follows the county's one rule (people.numbering), checked alike by the household
form, the API and the import; the county's administrator may set its own rule."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.urls import reverse

from lianxin.audit.models import AuditEntry
from lianxin.core.errors import Refused
from lianxin.lib.idcard import compose
from lianxin.people import numbering
from lianxin.people.models import Household, HouseholdNumberRule
from lianxin.people.services import do_create_household, do_set_household_number_rule
from lianxin.transfer import layouts as L
from lianxin.transfer.importers import import_people
from tests.transfer.files import RESIDENT_HEADER, resident, source

DEFAULT = "户号须为 17 位数字：510184 + 乡镇 2 位 + 村 3 位 + 组 2 位 + 序号 4 位"
BAD = ["abc123", "5101841100306"]  # letters; 13 digits
GOOD = "51018411003060001"
# A county that numbers its households 5101 + township (2) + a letter + sequence (10).
CUSTOM = r"5101\d{2}[A-Z]\d{10}"
CUSTOM_TEXT = "17 位：县代码 4 位 + 乡镇 2 位 + 字母 1 位 + 序号 10 位"
CUSTOM_GOOD = "510111A0000000099"


def _custom(world):
    return do_set_household_number_rule(
        county=world.county, pattern=CUSTOM, description=CUSTOM_TEXT, acting_user=world.city_admin
    )


def _renumber(world, first: str) -> None:
    """Give the world's households numbers `first` + 0, 1, 2 (as another system would have)."""
    for i, pk in enumerate(Household.objects.filter(county=world.county).values_list("pk")):
        Household.objects.filter(pk=pk[0]).update(number=f"{first}{i}")


@pytest.fixture
def custom(world):
    # Registered households must follow a new rule: the world's are renumbered beforehand.
    _renumber(world, "510111A000000000")
    return _custom(world)


# The form --------------------------------------------------------------------------------


def _form_post(client, world, number):
    return client.post(
        reverse("people:household_create"), {"number": number, "region": world.group.pk}
    )


@pytest.mark.parametrize("number", BAD)
def test_it_refuses_a_bad_number_on_the_form(world, login, number):
    response = _form_post(login(world.village_staff), world, number)
    assert response.status_code == 400
    assert response.context["form"].errors["number"] == [DEFAULT]
    assert not Household.objects.filter(number=number).exists()


def test_it_accepts_a_valid_number_on_the_form_and_shows_the_rule(world, login):
    client = login(world.village_staff)
    assert DEFAULT in client.get(reverse("people:household_create")).content.decode()
    assert _form_post(client, world, GOOD).status_code == 302
    assert Household.objects.filter(number=GOOD).exists()


# The API ---------------------------------------------------------------------------------


def _api_post(client, world, number):
    body = json.dumps({"number": number, "region_id": world.group.pk})
    return client.post("/api/households", body, content_type="application/json")


@pytest.mark.parametrize("number", BAD)
def test_it_refuses_a_bad_number_through_the_api(world, login, number):
    response = _api_post(login(world.township_staff), world, number)
    assert response.status_code == 400
    assert response.json() == {"detail": DEFAULT, "field": "number"}


def test_it_accepts_a_valid_number_through_the_api(world, login):
    response = _api_post(login(world.township_staff), world, GOOD)
    assert response.status_code == 201 and response.json()["number"] == GOOD


# The import ------------------------------------------------------------------------------


def _import(world, numbers):
    rows = [
        resident(n, f"户主{i}", compose("510184", dt.date(1980, 1, 1 + i), 500 + i))
        for i, n in enumerate(numbers)
    ]
    return import_people(
        source(RESIDENT_HEADER, rows),
        county=world.county,
        kind="residents",
        mode="good",
        acting_user=world.township_staff,
    )


def test_it_reports_each_bad_number_of_an_import_with_its_row_and_the_rule(world):
    result = _import(world, [*BAD, GOOD])
    assert [(e.row, e.column, e.reason) for e in result.errors] == [
        (2, L.NUMBER, DEFAULT),
        (3, L.NUMBER, DEFAULT),
    ]
    assert result.households_created == 1
    assert list(Household.objects.filter(number__in=[*BAD, GOOD]).values_list("number", flat=True))
    assert not Household.objects.filter(number__in=BAD).exists()


# A county's own rule ---------------------------------------------------------------------


def test_it_checks_a_countys_own_rule_everywhere(world, login, custom):
    message = f"户号须为 {CUSTOM_TEXT}"
    assert custom.message == message
    with pytest.raises(Refused) as refused:
        do_create_household(county=world.county, number=GOOD, region=world.group, acting_user=None)
    assert (refused.value.message, refused.value.field) == (message, "number")
    client = login(world.village_staff)
    assert message in client.get(reverse("people:household_create")).content.decode()
    assert _form_post(client, world, CUSTOM_GOOD).status_code == 302
    result = _import(world, [GOOD, "510111B0000000009"])
    assert [(e.row, e.reason) for e in result.errors] == [(2, message)]
    assert Household.objects.filter(number="510111B0000000009").exists()


def test_it_sets_the_rule_on_the_page_with_an_audit_row(world, login):
    _renumber(world, "510111A000000000")
    client = login(world.city_admin)
    url = reverse("people:number_rule")
    assert DEFAULT in client.get(url).content.decode()
    response = client.post(
        url, {"pattern": CUSTOM, "description": CUSTOM_TEXT, "reason": "本县户籍编号"}
    )
    assert response.status_code == 302
    own = HouseholdNumberRule.objects.get(county=world.county)
    assert (own.pattern, own.description) == (CUSTOM, CUSTOM_TEXT)
    entry = AuditEntry.objects.get(action="设置户号规则")
    assert entry.actor == world.city_admin and entry.reason == "本县户籍编号"
    assert entry.changes["pattern"] == ["", CUSTOM]
    # A blank pattern goes back to the default.
    _renumber(world, "5101841100306000")
    assert client.post(url, {"pattern": "", "description": ""}).status_code == 302
    assert numbering.rule_for(world.county).message == DEFAULT


def test_it_refuses_a_non_administrator_setting_the_rule(world, login):
    for persona in (world.township_staff, world.leader_user, world.system_admin):
        with pytest.raises(Refused) as refused:
            do_set_household_number_rule(
                county=world.county, pattern=CUSTOM, description=CUSTOM_TEXT, acting_user=persona
            )
        assert refused.value.status == 403 and "市级管理员" in refused.value.message
    client = login(world.township_staff)
    page = client.get(reverse("people:number_rule")).content.decode()
    assert DEFAULT in page and 'name="pattern"' not in page
    response = client.post(
        reverse("people:number_rule"), {"pattern": CUSTOM, "description": CUSTOM_TEXT}
    )
    assert response.status_code == 403 and "只有本县的市级管理员可以设置户号规则" in (
        response.content.decode()
    )
    body = json.dumps({"pattern": CUSTOM, "description": CUSTOM_TEXT})
    api = client.put("/api/households/number-rule", body, content_type="application/json")
    assert api.status_code == 403
    assert not HouseholdNumberRule.objects.exists()
    assert not AuditEntry.objects.filter(action="设置户号规则").exists()


@pytest.mark.parametrize(
    ("pattern", "says"),
    [
        ("5101(\\d{13}", "不是有效的正则表达式"),
        ("(\\d+)+", "长度可变的重复"),
        ("(12|123)+\\d", "“|”"),
        ("(\\d)\\1\\d{15}", "反向引用"),
        ("\\d*", "空的户号"),
        # Shapes that would backtrack without end on a hostile number (ReDoS).
        ("(a+)+$", "长度可变的重复"),
        ("(\\d*)*\\d{17}", "长度可变的重复"),
        (".*.*.*", "任意字符"),
        ("5101\\d{1,9}\\d{4}", "无法确定两段的分界"),
        ("\\d{17,}", "次数不限"),
    ],
)
def test_it_refuses_an_invalid_or_unsafe_pattern_in_chinese(world, pattern, says):
    with pytest.raises(Refused) as refused:
        do_set_household_number_rule(
            county=world.county, pattern=pattern, description="某规则", acting_user=world.city_admin
        )
    assert refused.value.field == "pattern" and says in refused.value.message
    assert refused.value.message.startswith("户号规则：")


def test_it_refuses_a_rule_without_a_description(world):
    with pytest.raises(Refused) as refused:
        do_set_household_number_rule(
            county=world.county, pattern=CUSTOM, description=" ", acting_user=world.city_admin
        )
    assert refused.value.field == "description"


def test_it_refuses_a_rule_that_registered_households_break(world):
    with pytest.raises(Refused) as refused:
        _custom(world)
    assert refused.value.status == 409 and refused.value.field == "pattern"
    assert "本县已登记的 3 户户号不符合该规则" in refused.value.message
    assert not HouseholdNumberRule.objects.exists()


def test_it_asks_the_database_which_registered_numbers_break_a_rule(
    world, django_assert_max_num_queries
):
    """Counted and the first few named by the database, not read out one by one; a
    full-width digit is not a digit there either."""
    Household.objects.filter(number="51018411000000002").update(number="51018411000000０2")
    Household.objects.filter(number="51018411000000101").update(number="51018411000000A01")
    with django_assert_max_num_queries(6), pytest.raises(Refused) as refused:
        do_set_household_number_rule(
            county=world.county,
            pattern=r"510184\d{11}",
            description="510184 加 11 位数字",
            acting_user=world.city_admin,
        )
    assert refused.value.status == 409
    message = refused.value.message
    assert message.startswith("本县已登记的 2 户户号不符合该规则（如 ")
    assert "51018411000000０2" in message and "51018411000000A01" in message
    assert "51018411000000001" not in message


# Who reads the rule ---------------------------------------------------------------------------


def test_it_shows_each_county_its_own_rule_and_the_administrators_none(world, login, client):
    """The rule belongs to one county: another county's user reads theirs; the separated
    administrators, who read no registry, get 404 on the page and 403 from the API."""
    from lianxin.accounts.choices import Role
    from lianxin.geo.models import County
    from tests.factories import user

    do_set_household_number_rule(
        county=world.county,
        pattern=r"510184\d{11}",
        description="510184 加 11 位数字（崇州自定）",
        reason="本县沿用旧编号",
        acting_user=world.city_admin,
    )
    other = County.objects.create(code="510185", name="邻县", short_name="邻县")
    neighbour = user(other, Role.CITY_ADMIN, "neighbour")
    answer = login(neighbour).get("/api/households/number-rule").json()
    assert "510185" in json.dumps(answer, ensure_ascii=False)
    assert "崇州自定" not in json.dumps(answer, ensure_ascii=False)
    page = login(neighbour).get(reverse("people:number_rule")).content.decode()
    assert "510185" in page and "崇州自定" not in page
    client.logout()
    assert login(world.system_admin).get(reverse("people:number_rule")).status_code == 404
    assert login(world.system_admin).get("/api/households/number-rule").status_code == 403


def test_it_draws_the_rule_page_in_a_few_queries(world, login, django_assert_max_num_queries):
    client = login(world.city_admin)
    client.get(reverse("people:number_rule"))
    with django_assert_max_num_queries(8):
        assert client.get(reverse("people:number_rule")).status_code == 200


def test_a_rule_saved_before_the_pattern_language_refused_it_refuses_numbers_not_500(world, login):
    # Written past the service, as a rule saved by an earlier version would be.
    HouseholdNumberRule.objects.create(
        county=world.county, pattern=r"(\d{2}-)+\d{4}", description="旧规则"
    )
    form = _form_post(login(world.township_staff), world, GOOD)
    api = _api_post(login(world.township_staff), world, GOOD)
    assert form.status_code == api.status_code == 400
    assert "本县的户号规则须由管理员重新设置" in form.content.decode()
    assert "本县的户号规则须由管理员重新设置" in api.json()["detail"]
    # The rule page still opens for the administrator to set it again.
    assert login(world.city_admin).get(reverse("people:number_rule")).status_code == 200
