"""Recording, correcting and withdrawing visits: who may, which dates, idempotent replays, the
version check and the author's 7-day window — each change with its audit row."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.utils import timezone

from lianxin.audit.models import AuditEntry
from lianxin.core.errors import Refused
from lianxin.core.models import today
from lianxin.org.services import do_create_cadre
from lianxin.pairing.services import do_pair
from lianxin.visits.choices import VisitMode
from lianxin.visits.models import Visit, VisitHousehold, VisitMember, VisitNeed
from lianxin.visits.services import (
    Need,
    Visited,
    do_edit_visit,
    do_record_visit,
    do_set_cadence,
    do_withdraw_visit,
)

from .support import pair, visit

DAY = dt.timedelta(days=1)


@pytest.fixture
def paired(world):
    return pair(world, world.household, since=today() - 30 * DAY)


def record(world, **kw):
    args = {
        "acting_user": world.cadre_user,
        "households": [Visited(world.household)],
        "occurred_on": today(),
        "mode": VisitMode.IN_PERSON,
        **kw,
    }
    return do_record_visit(**args)


def test_it_records_a_visit_with_its_pairing_members_needs_and_audit_row(world, paired):
    head = world.household.members.get(relation="head")
    v, created = record(
        world,
        households=[Visited(world.household, members=[head.pk])],
        heard="老人说腿疼",
        help_kind="policy",
        help_text="讲了医保报销",
        needs=[Need(world.household, "想办残疾证", "disability")],
    )
    assert created and v.author == world.cadre_user and v.version == 1
    row = VisitHousehold.objects.get(visit=v)
    assert (row.pairing, row.cadre, row.occurred_on, row.mode, row.met) == (
        paired,
        world.cadre,
        today(),
        VisitMode.IN_PERSON,
        True,
    )
    assert list(VisitMember.objects.values_list("resident_id", flat=True)) == [head.pk]
    assert VisitNeed.objects.get().text == "想办残疾证"
    entry = AuditEntry.objects.get(action="登记走访")
    assert entry.changes["households"] == [None, world.household.number]


def test_it_records_nobody_home_as_a_visit_not_met(world, paired):
    v = record(world, households=[Visited(world.household, met=False)]).visit
    assert VisitHousehold.objects.get(visit=v).met is False
    with pytest.raises(Refused) as refused:
        head = world.household.members.get(relation="head")
        record(world, households=[Visited(world.household, met=False, members=[head.pk])])
    assert refused.value.field == "members"


def test_it_refuses_a_date_in_the_future_or_before_the_pairing(world):
    pair(world, world.household, since=today() - 3 * DAY)
    with pytest.raises(Refused) as refused:
        record(world, occurred_on=today() + DAY)
    assert (refused.value.field, refused.value.status) == ("occurred_on", 400)
    with pytest.raises(Refused) as refused:
        record(world, occurred_on=today() - 5 * DAY)
    assert refused.value.field == "occurred_on" and "早于" in refused.value.message
    assert not Visit.objects.exists()


def test_it_refuses_a_household_the_cadre_was_never_paired_with_as_not_found(world, paired):
    with pytest.raises(Refused) as refused:
        record(world, households=[Visited(world.other_household)])
    assert (refused.value.status, refused.value.field) == (404, "households")


def test_it_records_a_visit_to_a_household_since_handed_over_for_a_day_it_was_theirs(world):
    pair(world, world.household, since=today() - 20 * DAY)
    other = do_create_cadre(unit=world.unit, staff_no="C0002", name="王新", acting_user=None)
    do_pair(cadre=other, household=world.household, acting_user=None, valid_from=today() - 2 * DAY)
    v = record(world, occurred_on=today() - 5 * DAY).visit
    assert VisitHousehold.objects.get(visit=v).pairing.cadre == world.cadre
    with pytest.raises(Refused) as refused:
        record(world, occurred_on=today())
    assert refused.value.field == "occurred_on"


def test_it_lets_only_a_yard_meeting_cover_several_households(world, paired):
    pair(world, world.household2, since=today() - 30 * DAY)
    both = [Visited(world.household), Visited(world.household2, met=False)]
    with pytest.raises(Refused) as refused:
        record(world, households=both)
    assert refused.value.field == "households"
    v = record(world, households=both, mode=VisitMode.MEETING).visit
    assert v.households.count() == 2


def test_it_answers_a_replay_with_the_same_row_and_another_body_with_422(world, paired):
    key = uuid.uuid4()
    first = record(world, idempotency_key=key, heard="路灯坏了")
    again = record(world, idempotency_key=str(key), heard="路灯坏了")
    assert (first.created, again.created, again.visit.pk) == (True, False, first.visit.pk)
    assert Visit.objects.count() == 1 and AuditEntry.objects.filter(action="登记走访").count() == 1
    with pytest.raises(Refused) as refused:
        record(world, idempotency_key=key, heard="别的事")
    assert (refused.value.status, refused.value.field) == (422, "idempotency_key")
    # With the caller's own body hash, as the API passes it.
    other = uuid.uuid4()
    made = record(world, idempotency_key=other, request_hash="a" * 64)
    assert record(world, idempotency_key=other, request_hash="a" * 64).visit == made.visit
    with pytest.raises(Refused):
        record(world, idempotency_key=other, request_hash="b" * 64)
    with pytest.raises(Refused) as refused:
        record(world, idempotency_key="not-a-uuid")
    assert refused.value.field == "idempotency_key"


def test_it_refuses_a_stale_edit_with_409_and_bumps_the_version(world, paired):
    v = record(world).visit
    v = do_edit_visit(v, acting_user=world.cadre_user, expected_version=1, notes="第一次补记")
    assert v.version == 2
    with pytest.raises(Refused) as refused:
        do_edit_visit(v, acting_user=world.cadre_user, expected_version=1, notes="旧的")
    assert (refused.value.status, refused.value.field) == (409, "version")
    # A change that changes nothing keeps the version.
    same = do_edit_visit(v, acting_user=world.cadre_user, expected_version=2, notes="第一次补记")
    assert same.version == 2
    assert AuditEntry.objects.filter(action="修改走访").count() == 1


def test_it_moves_the_rows_with_an_edited_day_and_mode(world, paired):
    v = record(world).visit
    do_edit_visit(
        v,
        acting_user=world.cadre_user,
        expected_version=1,
        occurred_on=today() - 2 * DAY,
        mode=VisitMode.PHONE,
        households=[Visited(world.household, met=False)],
    )
    row = VisitHousehold.objects.get(visit=v)
    assert (row.occurred_on, row.mode, row.met, row.pairing) == (
        today() - 2 * DAY,
        VisitMode.PHONE,
        False,
        paired,
    )


def test_it_keeps_a_visit_read_only_after_7_days(world, paired):
    v = record(world).visit
    Visit.objects.filter(pk=v.pk).update(created_at=timezone.now() - dt.timedelta(days=7, hours=1))
    v.refresh_from_db()
    for change in (
        lambda: do_edit_visit(v, acting_user=world.cadre_user, expected_version=1, notes="迟了"),
        lambda: do_withdraw_visit(v, acting_user=world.cadre_user),
    ):
        with pytest.raises(Refused) as refused:
            change()
        assert refused.value.status == 409 and "7天" in refused.value.message
    Visit.objects.filter(pk=v.pk).update(created_at=timezone.now() - dt.timedelta(days=6))
    v.refresh_from_db()
    assert (
        do_edit_visit(v, acting_user=world.cadre_user, expected_version=1, notes="还行").version
        == 2
    )


def test_it_lets_only_the_author_change_a_visit(world, paired):
    v = record(world).visit
    for actor, status in ((world.township_staff, 403), (world.outsider, 404)):
        with pytest.raises(Refused) as refused:
            do_edit_visit(v, acting_user=actor, expected_version=1, notes="代改")
        assert refused.value.status == status


def test_it_withdraws_a_visit_out_of_every_count(world, paired):
    v = record(world).visit
    w = do_withdraw_visit(v, acting_user=world.cadre_user, reason="登错了户")
    assert w.is_withdrawn and w.version == 2
    assert VisitHousehold.objects.get(visit=v).withdrawn is True
    assert not Visit.objects.live().exists()
    assert do_withdraw_visit(w, acting_user=world.cadre_user).version == 2  # no-op
    with pytest.raises(Refused) as refused:
        do_edit_visit(w, acting_user=world.cadre_user, expected_version=2, notes="x")
    assert refused.value.status == 409


def test_it_bounds_the_cadence(world):
    with pytest.raises(Refused) as refused:
        do_set_cadence(county=world.county, acting_user=world.city_admin, visits_per_month=20)
    assert refused.value.field == "visits_per_month"
    with pytest.raises(Refused) as refused:
        do_set_cadence(
            county=world.county,
            acting_user=world.city_admin,
            visits_per_month=1,
            overrides={"rich": 2},
        )
    assert refused.value.field == "overrides"
    do_set_cadence(
        county=world.county,
        acting_user=world.city_admin,
        visits_per_month=1,
        overrides={"alone": 2},
    )
    do_set_cadence(
        county=world.county,
        acting_user=world.city_admin,
        visits_per_month=1,
        overrides={"alone": 2},
    )
    assert AuditEntry.objects.filter(action="设置走访频次").count() == 1


def test_it_records_for_the_server_only_a_named_cadre(world, paired):
    with pytest.raises(Refused) as refused:
        do_record_visit(
            acting_user=None,
            households=[Visited(world.household)],
            occurred_on=today(),
            mode=VisitMode.IN_PERSON,
        )
    assert refused.value.field == "cadre"
    assert visit(world, world.household, today(), by=None, cadre=world.cadre).author is None


def test_it_keeps_the_needs_when_only_the_households_rows_change(world, paired):
    v = record(world, needs=[Need(world.household, "屋顶漏雨")]).visit
    need = VisitNeed.objects.get()
    do_edit_visit(
        v,
        acting_user=world.cadre_user,
        expected_version=1,
        households=[Visited(world.household, met=False)],
    )
    assert VisitNeed.objects.get().pk == need.pk
    do_edit_visit(
        v,
        acting_user=world.cadre_user,
        expected_version=2,
        needs=[Need(world.household, "屋顶漏雨，想申请危房改造", "housing")],
    )
    assert VisitNeed.objects.get().category == "housing"
    with pytest.raises(Refused) as refused:
        do_edit_visit(
            v,
            acting_user=world.cadre_user,
            expected_version=3,
            needs=[Need(world.household2, "不是本次走访的户")],
        )
    assert refused.value.field == "needs"
