"""Refusing an ID number registered in another township tells the importer it exists there:
the answer is kept (the office needs it) but budgeted per account and day, and audited. Once
the budget is spent every further resident registration of the account is refused the same
way, whatever the number, so refused-or-accepted tells nothing either."""

import datetime as dt
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.cache import cache
from django.db import connection

from lianxin.audit.models import AuditEntry
from lianxin.core.errors import Refused
from lianxin.core.sensitive import unseal_field
from lianxin.lib.idcard import compose
from lianxin.people.choices import Relation
from lianxin.people.disclosure import (
    ANSWERED_ACTION,
    LIMIT_ACTION,
    LIMIT_MESSAGE,
    OUTSIDE_SCOPE_MESSAGE,
)
from lianxin.people.services import do_create_resident
from lianxin.transfer import layouts as L
from lianxin.transfer.importers import import_people
from tests.factories import build_world
from tests.transfer.files import RESIDENT_HEADER, resident, source

FRESH = [compose("510184", dt.date(1991, 7, 1 + i), 11) for i in range(3)]


def _register_elsewhere(world) -> list[str]:
    """Three ID numbers registered in 道明镇, outside the village staffer's scope."""
    ids = [unseal_field(world.other_household.head, "id_number")]
    for i in range(2):
        number = compose("510184", dt.date(1990, 5, 1 + i), 31)
        do_create_resident(
            household=world.other_household,
            name=f"马{i}",
            id_number=number,
            relation=Relation.CHILD,
            acting_user=None,
        )
        ids.append(number)
    return ids


@pytest.fixture
def elsewhere(world, settings):
    settings.LIANXIN_OUTSIDE_SCOPE_ANSWERS_PER_DAY = 2
    return _register_elsewhere(world)


def run(world, ids, mode="good", user=None, numbers=None):
    rows = [
        resident(numbers[i] if numbers else f"5101841800000000{i}", "试一", number)
        for i, number in enumerate(ids)
    ]
    return import_people(
        source(RESIDENT_HEADER, rows),
        county=world.county,
        kind="residents",
        mode=mode,
        acting_user=user or world.village_staff,
        file_name="大坪村.xlsx",
    )


def create(world, number):
    return do_create_resident(
        household=world.household,
        name="试三",
        id_number=number,
        relation=Relation.CHILD,
        acting_user=world.village_staff,
    )


def refusal(world, number) -> tuple[str, str | None, int]:
    with pytest.raises(Refused) as exc:
        create(world, number)
    return exc.value.message, exc.value.field, exc.value.status


@pytest.mark.parametrize("mode", ["good", "all"])
def test_it_answers_within_the_daily_budget_and_audits_each_import(world, elsewhere, mode):
    result = run(world, [FRESH[0], *elsewhere, FRESH[1]], mode)

    reasons = [(e.row, e.column, e.reason) for e in result.errors]
    assert reasons == [
        (3, L.ID_NUMBER, OUTSIDE_SCOPE_MESSAGE),
        (4, L.ID_NUMBER, OUTSIDE_SCOPE_MESSAGE),
        # The budget is spent: from here on every row is refused alike, fresh or not.
        (5, L.ID_NUMBER, LIMIT_MESSAGE),
        (6, L.ID_NUMBER, LIMIT_MESSAGE),
    ]
    # Under the budget a fresh number is accepted as before.
    assert result.residents_created == (1 if mode == "good" else 0)
    answered = AuditEntry.objects.get(action=ANSWERED_ACTION)
    assert answered.actor == world.village_staff
    assert answered.changes == {"answers": [None, 2], "daily_budget": [None, 2]}
    refused = AuditEntry.objects.get(action=LIMIT_ACTION)
    assert refused.changes == {"refused": [None, 2], "daily_budget": [None, 2]}
    assert refused.target_label == "大坪村.xlsx"

    # The next import of the day is refused whole, one audit row with its count.
    again = run(world, [elsewhere[0], FRESH[2]], mode)
    assert [e.reason for e in again.errors] == [LIMIT_MESSAGE, LIMIT_MESSAGE]
    assert again.residents_created == 0
    assert AuditEntry.objects.filter(action=LIMIT_ACTION).count() == 2
    assert AuditEntry.objects.filter(action=ANSWERED_ACTION).count() == 1


@pytest.mark.parametrize("mode", ["good", "all"])
def test_past_the_budget_a_fresh_and_a_registered_number_get_the_same_answer(world, settings, mode):
    elsewhere = _register_elsewhere(world)
    settings.LIANXIN_OUTSIDE_SCOPE_ANSWERS_PER_DAY = 0

    result = run(world, [FRESH[0], elsewhere[0], FRESH[1], elsewhere[1]], mode)

    assert [(e.column, e.reason) for e in result.errors] == [(L.ID_NUMBER, LIMIT_MESSAGE)] * 4
    assert result.residents_created == 0 and not result.households_created
    assert AuditEntry.objects.get(action=LIMIT_ACTION).changes["refused"] == [None, 4]
    assert not AuditEntry.objects.filter(action=ANSWERED_ACTION).exists()

    # The create form (and the API, through the same service) answers alike too.
    assert (
        refusal(world, FRESH[2])
        == refusal(world, elsewhere[2])
        == (
            LIMIT_MESSAGE,
            "id_number",
            409,
        )
    )
    assert AuditEntry.objects.filter(action=LIMIT_ACTION).count() == 3
    assert not world.household.members.filter(name="试三").exists()


def test_in_scope_duplicates_do_not_spend_the_budget(world, settings, known_id):
    elsewhere = _register_elsewhere(world)
    settings.LIANXIN_OUTSIDE_SCOPE_ANSWERS_PER_DAY = 1

    # 罗选志 of 51018411000000001 is in the village staffer's scope: named, as before, budget untouched.
    for number in ("51018429000000001", "51018429000000002"):
        again = run(world, [known_id], numbers=[number])
        assert [e.reason for e in again.errors] == [
            "该身份证号已登记在户号“51018411000000001”（罗选志），不能在两户重复登记"
        ]
    second = run(world, [elsewhere[0]])
    assert [e.reason for e in second.errors] == [OUTSIDE_SCOPE_MESSAGE]
    assert refusal(world, FRESH[0])[0] == LIMIT_MESSAGE
    assert (
        not AuditEntry.objects.filter(action=ANSWERED_ACTION)
        .exclude(changes__answers=[None, 1])
        .exists()
    )


def test_the_budget_is_per_account(world, elsewhere):
    run(world, elsewhere)
    other = run(world, elsewhere[:1], user=world.township_staff, numbers=["51018418000000009"])
    assert [e.reason for e in other.errors] == [OUTSIDE_SCOPE_MESSAGE]
    answered = AuditEntry.objects.get(action=ANSWERED_ACTION, actor=world.township_staff)
    assert answered.changes["answers"] == [None, 1]


def test_the_create_form_spends_the_same_budget_and_its_audit_survives_the_refusal(
    world, elsewhere
):
    messages = [refusal(world, number) for number in elsewhere]

    assert [m[0] for m in messages] == [OUTSIDE_SCOPE_MESSAGE, OUTSIDE_SCOPE_MESSAGE, LIMIT_MESSAGE]
    assert all(m[1:] == ("id_number", 409) for m in messages)
    assert AuditEntry.objects.filter(action=ANSWERED_ACTION, actor=world.village_staff).count() == 2
    assert AuditEntry.objects.filter(action=LIMIT_ACTION, actor=world.village_staff).count() == 1
    assert not world.household.members.filter(name="试三").exists()


def test_the_budget_survives_a_restart(world, elsewhere):
    assert refusal(world, elsewhere[0])[0] == OUTSIDE_SCOPE_MESSAGE
    run(world, elsewhere[1:2])
    # A restarted process (or another worker) starts with an empty cache: nothing changes.
    cache.clear()
    assert refusal(world, elsewhere[2])[0] == LIMIT_MESSAGE
    assert [e.reason for e in run(world, [FRESH[0]]).errors] == [LIMIT_MESSAGE]


_SPENDER = """
import json, os, sys, time
import django
django.setup()
from lianxin.accounts.models import User
from lianxin.transfer.importers import import_people
from tests.transfer.files import RESIDENT_HEADER, resident, source
job = json.loads(sys.argv[1])
user = User.objects.select_related("county").get(pk=job["user"])
rows = [resident(f"51018412000{'AB'.index(job['tag']) + 1:02d}{i:04d}", "试四", n) for i, n in enumerate(job["ids"])]
while not os.path.exists(job["go"]):
    time.sleep(0.005)
result = import_people(source(RESIDENT_HEADER, rows), county=user.county, kind="residents",
                       mode="good", acting_user=user, batch_size=1)
print(json.dumps([e.reason for e in result.errors]))
"""


@pytest.mark.django_db(transaction=True)
def test_two_processes_spending_at_once_never_pass_the_budget(tmp_path):
    world = build_world()
    elsewhere = _register_elsewhere(world)
    env = {**os.environ, "LIANXIN_OUTSIDE_SCOPE_ANSWERS_PER_DAY": "2"}
    name = connection.settings_dict["NAME"]
    if connection.vendor == "postgresql":
        s = connection.settings_dict
        env["DATABASE_URL"] = f"postgres://{s['USER']}@{s['HOST']}:{s['PORT']}/{name}"
    else:
        env.pop("DATABASE_URL", None)
        env["LIANXIN_SQLITE_PATH"] = str(name)
    go = tmp_path / "go"
    spenders = []
    for tag in "AB":
        job = {"user": world.village_staff.pk, "ids": elsewhere, "tag": tag, "go": str(go)}
        spenders.append(
            subprocess.Popen(
                [sys.executable, "-c", _SPENDER, json.dumps(job)],
                stdout=subprocess.PIPE,
                text=True,
                env=env,
                cwd=Path(__file__).resolve().parents[2],
            )
        )
    go.touch()
    reasons = []
    for p in spenders:
        out, _ = p.communicate(timeout=120)
        assert p.returncode == 0
        reasons += json.loads(out)

    # Each process alone would have been given two answers (a per-process counter did).
    assert reasons.count(OUTSIDE_SCOPE_MESSAGE) == 2
    assert reasons.count(LIMIT_MESSAGE) == 2 * 3 - 2
    spent = AuditEntry.objects.filter(action=ANSWERED_ACTION, actor=world.village_staff)
    assert sum(e.changes["answers"][1] for e in spent) == 2


def test_another_townships_household_is_refused_without_a_word_about_it(world, elsewhere):
    head = elsewhere[0]  # 马蓉, head of 51018411000000101 in 道明镇
    answers = [
        run(world, [number], numbers=["51018411000000101"]).errors for number in (head, FRESH[0])
    ]

    # The same single refusal for the head's own number and a fresh one: neither the head's
    # name nor whether the number is the head's, and no answer spent on the ID number.
    expected = [(2, L.NUMBER, "户号“51018411000000101”已在其他辖区登记，不能在此导入")]
    assert [[(e.row, e.column, e.reason) for e in errors] for errors in answers] == [
        expected,
        expected,
    ]
    assert "马蓉" not in str(answers)
    assert not AuditEntry.objects.filter(action=ANSWERED_ACTION).exists()


@pytest.mark.parametrize("mode", ["good", "all"])
def test_past_the_budget_numbers_registered_in_scope_get_their_usual_answer(
    world, settings, known_id, mode
):
    elsewhere = _register_elsewhere(world)
    yesterday = [compose("510184", dt.date(1992, 8, 1 + i), 21) for i in range(2)]
    assert (
        run(world, yesterday, numbers=["51018430000000000", "51018430000000001"]).residents_created
        == 2
    )
    settings.LIANXIN_OUTSIDE_SCOPE_ANSWERS_PER_DAY = 0

    # Yesterday's file again: its rows are in the user's own scope, nothing to budget.
    again = run(world, yesterday, mode, numbers=["51018430000000000", "51018430000000001"])
    assert again.errors == [] and again.residents_created == 0
    assert again.saved

    # With a few new rows: only those that would need a look outside the scope (a new number,
    # one registered elsewhere) are refused, alike; an in-scope duplicate is named as usual.
    mixed = run(
        world,
        [*yesterday, FRESH[0], elsewhere[0], known_id],
        mode,
        numbers=[
            "51018430000000000",
            "51018430000000001",
            "51018430000000002",
            "51018430000000003",
            "51018430000000004",
        ],
    )
    assert [(e.row, e.reason) for e in mixed.errors] == [
        (4, LIMIT_MESSAGE),
        (5, LIMIT_MESSAGE),
        (6, "该身份证号已登记在户号“51018411000000001”（罗选志），不能在两户重复登记"),
    ]
    assert AuditEntry.objects.filter(action=LIMIT_ACTION).get().changes["refused"] == [None, 2]

    # The create form alike: an in-scope number names its record, the others are refused alike.
    message, _, status = refusal(world, known_id)
    assert message.startswith("该身份证号已登记：罗选志（户号 51018411000000001") and status == 409
    assert (
        refusal(world, FRESH[1])
        == refusal(world, elsewhere[1])
        == (LIMIT_MESSAGE, "id_number", 409)
    )
    assert not AuditEntry.objects.filter(action=ANSWERED_ACTION).exists()


def _make_elsewhere(world, number):
    return do_create_resident(
        household=world.other_household,
        name="马同时",
        id_number=number,
        relation=Relation.CHILD,
        acting_user=None,
    )


def test_a_number_registered_elsewhere_during_the_create_is_not_answered_unbudgeted(world):
    """The record is made after the budgeted look and before the create's own: this refusal
    rolls back, so it cannot spend the budget; it says no more than the constraint does."""
    number = FRESH[0]
    selects = re.compile(r'\s*SELECT .*"people_household"\."number".* FROM "people_resident"')
    done = False

    def elsewhere_first(execute, sql, params, many, context):
        nonlocal done
        if not done and selects.match(sql):
            done = True
            _make_elsewhere(world, number)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(elsewhere_first):
        message, field, status = refusal(world, number)
    assert done
    assert (message, field, status) == ("同一身份证号不能重复登记", "id_number", 409)
    assert not AuditEntry.objects.filter(action=ANSWERED_ACTION).exists()
    # The other registration commits on its own connection in a real race (here it went with
    # the refused transaction): the next try is answered through the budget, and audited.
    _make_elsewhere(world, number)
    assert refusal(world, number)[0] == OUTSIDE_SCOPE_MESSAGE
    assert AuditEntry.objects.filter(action=ANSWERED_ACTION).count() == 1
