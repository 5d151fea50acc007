"""Refusing an ID number registered in another township tells the importer it exists there:
the answer is kept (the office needs it) but budgeted per account and day, and audited."""

import datetime as dt

import pytest

from lianxin.audit.models import AuditEntry
from lianxin.core.sensitive import unseal
from lianxin.lib.idcard import compose
from lianxin.people.choices import Relation
from lianxin.people.disclosure import (
    ANSWERED_ACTION,
    OUTSIDE_SCOPE_MESSAGE,
    WITHHELD_ACTION,
    WITHHELD_MESSAGE,
)
from lianxin.people.services import do_create_resident
from lianxin.transfer import layouts as L
from lianxin.transfer.importers import import_people
from tests.transfer.files import RESIDENT_HEADER, resident, source


@pytest.fixture
def elsewhere(world, settings):
    """Three ID numbers registered in 道明镇, outside the village staffer's scope."""
    settings.LIANXIN_OUTSIDE_SCOPE_ANSWERS_PER_DAY = 2
    ids = [unseal(world.other_household.head.id_number_enc)]
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


def run(world, ids, mode="good"):
    rows = [resident(f"HO{i}", "试一", number) for i, number in enumerate(ids)]
    return import_people(
        source(RESIDENT_HEADER, rows),
        county=world.county,
        kind="residents",
        mode=mode,
        acting_user=world.village_staff,
        file_name="大坪村.xlsx",
    )


@pytest.mark.parametrize("mode", ["good", "all"])
def test_it_answers_within_the_daily_budget_and_audits_each_import(world, elsewhere, mode):
    result = run(world, elsewhere, mode)

    reasons = [(e.row, e.column, e.reason) for e in result.errors]
    assert reasons == [
        (2, L.ID_NUMBER, OUTSIDE_SCOPE_MESSAGE),
        (3, L.ID_NUMBER, OUTSIDE_SCOPE_MESSAGE),
        (4, L.ID_NUMBER, WITHHELD_MESSAGE),
    ]
    # The withheld answer says neither where nor whether the number is registered.
    assert "登记" not in WITHHELD_MESSAGE.replace("在此登记", "")
    answered = AuditEntry.objects.get(action=ANSWERED_ACTION)
    assert answered.actor == world.village_staff
    assert answered.changes == {"answers": [None, 2], "daily_budget": [None, 2]}
    withheld = AuditEntry.objects.get(action=WITHHELD_ACTION)
    assert withheld.changes["refused"] == [None, 1]
    assert withheld.target_label == "大坪村.xlsx"

    # The budget is spent for the day: the next import is told nothing.
    again = run(world, elsewhere[:1], mode)
    assert [e.reason for e in again.errors] == [WITHHELD_MESSAGE]
    assert AuditEntry.objects.filter(action=WITHHELD_ACTION).count() == 2


def test_the_budget_is_per_account(world, elsewhere):
    run(world, elsewhere)
    other = import_people(
        source(RESIDENT_HEADER, [resident("HO9", "试二", elsewhere[0])]),
        county=world.county,
        kind="residents",
        mode="good",
        acting_user=world.township_staff,
    )
    assert [e.reason for e in other.errors] == [OUTSIDE_SCOPE_MESSAGE]
    answered = AuditEntry.objects.get(action=ANSWERED_ACTION, actor=world.township_staff)
    assert answered.changes["answers"] == [None, 1]


def test_the_create_form_spends_the_same_budget_and_its_audit_survives_the_refusal(
    world, elsewhere
):
    from lianxin.core.errors import Refused

    messages = []
    for number in elsewhere:
        with pytest.raises(Refused) as exc:
            do_create_resident(
                household=world.household,
                name="试三",
                id_number=number,
                relation=Relation.CHILD,
                acting_user=world.village_staff,
            )
        assert exc.value.status == 409 and exc.value.field == "id_number"
        messages.append(exc.value.message)

    assert messages == [OUTSIDE_SCOPE_MESSAGE, OUTSIDE_SCOPE_MESSAGE, WITHHELD_MESSAGE]
    assert AuditEntry.objects.filter(action=ANSWERED_ACTION, actor=world.village_staff).count() == 2
    assert AuditEntry.objects.filter(action=WITHHELD_ACTION, actor=world.village_staff).count() == 1
    assert not world.household.members.filter(name="试三").exists()
