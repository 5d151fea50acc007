"""Building visits for tests through the services, as a cadre records them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from lianxin.pairing.services import do_pair
from lianxin.visits.choices import VisitMode
from lianxin.visits.services import Need, Visited, do_record_visit


def pair(world, household, *, cadre=None, since: dt.date, until: dt.date | None = None):
    """Pair the household with the cadre (the world's by default) from `since`."""
    pairing = do_pair(
        cadre=cadre or world.cadre, household=household, acting_user=None, valid_from=since
    )
    if until is not None:
        pairing.valid_to = until
        pairing.save(update_fields=["valid_to"])
    return pairing


def visit(
    world,
    household,
    on: dt.date,
    *,
    mode: str = VisitMode.IN_PERSON,
    met: bool = True,
    by: Any = "cadre_user",
    cadre=None,
    needs: tuple[str, ...] = (),
    **kw,
):
    """A visit recorded by the world's cadre (by=None: by the server for `cadre`)."""
    actor = getattr(world, by) if isinstance(by, str) else by
    households = household if isinstance(household, list | tuple) else [household]
    return do_record_visit(
        acting_user=actor,
        cadre=cadre,
        households=[Visited(h, met=met) for h in households],
        occurred_on=on,
        mode=mode,
        needs=[Need(households[0], text) for text in needs],
        **kw,
    ).visit
