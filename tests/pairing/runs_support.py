"""Fixtures and builders shared by the automatic-pairing tests (engine, runs, policy, CLI,
transfers). Imported by the test modules that use them, so they live beside the coverage
tests without a shared conftest."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from lianxin.geo.choices import Level
from lianxin.geo.services import do_create_region
from lianxin.org.choices import UnitKind
from lianxin.org.services import do_assign_zone, do_create_cadre, do_create_unit
from lianxin.pairing.models import Pairing, PairingRun
from lianxin.pairing.services import do_apply_pairing_run, do_start_pairing_run
from lianxin.people.services import do_create_household

# Short limits keep the suite quick; the instances here are proved optimal well within them.
FAST = 0.5


@pytest.fixture
def inline_runs(settings):
    """Runs compute inside the request instead of a worker thread."""
    settings.LIANXIN_JOBS_INLINE = True
    return settings


def build_county(world, *, units: int = 3, households: int = 60, cadres: int = 10):
    """A township beside the world's, with `units` units, each with a zone of two villages of
    two or three groups; households spread over the groups and cadres over the units, all
    made through the services. Returns a namespace with lists of everything."""
    c = SimpleNamespace(units=[], villages=[], groups=[], households=[], cadres=[])
    county = world.county
    township = do_create_region(
        county=county, level=Level.TOWNSHIP, name="隆兴镇人民政府", code="510184120"
    )
    c.township = township
    for u in range(units):
        unit = do_create_unit(
            county=county, name=f"测试单位{u + 1}", kind=UnitKind.CITY_DEPARTMENT, acting_user=None
        )
        c.units.append(unit)
        for v in range(2):
            village = do_create_region(
                county=county,
                level=Level.VILLAGE,
                name=f"测试{u + 1}{'甲乙'[v]}村村民委员会",
                parent=township,
            )
            c.villages.append(village)
            do_assign_zone(unit=unit, village=village, acting_user=None)
            for g in range(2 + (u + v) % 2):
                c.groups.append(
                    do_create_region(
                        county=county, level=Level.GROUP, name=f"{g + 1}组", parent=village
                    )
                )
    for i in range(households):
        group = c.groups[i % len(c.groups)]
        c.households.append(
            do_create_household(
                county=county, number=f"5101842000000{i + 1:04d}", region=group, acting_user=None
            )
        )
    for i in range(cadres):
        unit = c.units[i % units]
        c.cadres.append(
            do_create_cadre(
                unit=unit,
                staff_no=f"T{i + 1:04d}",
                name=f"测试干部{i + 1}",
                acting_user=None,
                joined_on=dt.date(2020, 1, 1),
            )
        )
    return c


def dry_run(county, user=None, **kw) -> PairingRun:
    """Start a run inline (the `inline_runs` fixture must be active) and return it computed."""
    run = do_start_pairing_run(county=county, acting_user=user, time_limit=FAST, **kw)
    run.refresh_from_db()
    return run


def apply(county, user=None) -> PairingRun:
    """Dry run, then apply it."""
    run = dry_run(county, user)
    do_apply_pairing_run(run, acting_user=user)
    run.refresh_from_db()
    return run


def current_cadre(household) -> int | None:
    p = Pairing.objects.filter(household=household, valid_to__isnull=True).first()
    return p.cadre_id if p else None
