"""Household.member_count is a recount of the household's residents after every action that
registers one: the service, an import (new households and members added to registered ones),
an import run again, and the migration that filled it."""

from __future__ import annotations

import datetime as dt

from django.db import connection

from lianxin.lib.idcard import compose
from lianxin.people.counters import member_count_drift, recount_members
from lianxin.people.models import Household
from lianxin.people.services import do_create_resident
from lianxin.transfer.importers import import_people
from tests.transfer.files import RESIDENT_HEADER, resident, source


def counts(world):
    return dict(Household.objects.filter(county=world.county).values_list("number", "member_count"))


def test_it_counts_the_worlds_members(world):
    assert member_count_drift() == []
    assert counts(world)["51018411000000001"] == world.household.members.count() > 0


def test_it_counts_a_resident_the_service_registers(world):
    before = Household.objects.get(pk=world.household.pk).member_count
    do_create_resident(
        household=world.household,
        name="罗小妹",
        id_number=compose("510184", dt.date(2001, 3, 4), 77),
        relation="child",
        acting_user=world.township_staff,
    )
    assert Household.objects.get(pk=world.household.pk).member_count == before + 1
    assert member_count_drift() == []


def test_it_counts_what_an_import_adds_and_nothing_when_run_again(world):
    before = counts(world)["51018411000000001"]
    data = [
        resident("51018411000009001", "甲一", compose("510184", dt.date(1970, 1, 1), 1), "户主"),
        resident("51018411000009001", "甲二", compose("510184", dt.date(1972, 1, 1), 2), "配偶"),
        # A member added to a registered household.
        resident("51018411000000001", "罗新", compose("510184", dt.date(1999, 1, 1), 3), "子女"),
    ]
    for _ in range(2):
        result = import_people(
            source(RESIDENT_HEADER, data),
            county=world.county,
            kind="residents",
            mode="all",
            acting_user=world.township_staff,
        )
        assert result.errors == []
        assert counts(world)["51018411000009001"] == 2
        assert counts(world)["51018411000000001"] == before + 1
    assert member_count_drift() == []


def test_it_finds_and_repairs_a_counter_set_wrong(world):
    Household.objects.filter(pk=world.household.pk).update(member_count=99)
    actual = world.household.members.count()
    assert member_count_drift(world.county.pk) == [(world.household.pk, 99, actual)]
    recount_members([world.household.pk])
    assert member_count_drift() == []


def test_the_migration_fills_it_from_the_residents(world):
    Household.objects.update(member_count=0)
    from importlib import import_module

    fill = import_module("lianxin.people.migrations.0007_household_member_count").FILL
    with connection.cursor() as cursor:
        cursor.execute(fill)
    assert member_count_drift() == []
