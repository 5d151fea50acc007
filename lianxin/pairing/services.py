"""Making and ending pairings. The automatic pairing run builds on these."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from lianxin.audit.services import record
from lianxin.core.errors import Refused
from lianxin.core.models import today
from lianxin.org.models import Cadre
from lianxin.people.models import Household

from .models import Pairing


def do_pair(
    *,
    cadre: Cadre,
    household: Household,
    acting_user: Any,
    locked: bool = False,
    valid_from: dt.date | None = None,
) -> Pairing:
    """Pair a cadre with a household; the household's current pairing, if any, is ended."""
    if cadre.county_id != household.county_id:
        raise Refused("干部和户不在同一县", field="cadre")
    if cadre.left_on is not None:
        raise Refused(f"{cadre.name}已退出，不能结对", field="cadre")
    valid_from = valid_from or today()
    with transaction.atomic():
        # Two people pairing the same household at once: lock it first.
        Household.objects.select_for_update().get(pk=household.pk)
        current = Pairing.objects.filter(household=household, valid_to__isnull=True).first()
        if current and current.cadre_id == cadre.pk:
            return current
        before = None
        if current:
            before = current.cadre.name
            current.valid_to = valid_from - dt.timedelta(days=1)
            current.save(update_fields=["valid_to"])
        pairing = Pairing.objects.create(
            county_id=cadre.county_id,
            cadre=cadre,
            household=household,
            locked=locked,
            made_by=acting_user,
            valid_from=valid_from,
        )
        record(
            actor=acting_user,
            action="结对",
            target=household,
            changes={"cadre": [before, cadre.name], "locked": [None, locked]},
        )
        return pairing


def do_end_pairing(pairing: Pairing, *, valid_to: dt.date, acting_user: Any) -> Pairing:
    with transaction.atomic():
        pairing = Pairing.objects.select_for_update().get(pk=pairing.pk)
        if pairing.valid_to is not None:
            return pairing
        pairing.valid_to = valid_to
        pairing.save(update_fields=["valid_to"])
        record(
            actor=acting_user,
            action="结束结对",
            target=pairing.household,
            changes={"cadre": [pairing.cadre.name, None]},
        )
        return pairing
