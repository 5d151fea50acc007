import itertools

import pytest

from lianxin.org.choices import UnitKind
from lianxin.org.services import do_assign_zone, do_create_cadre, do_create_unit
from lianxin.pairing.services import do_pair
from tests.factories import household

_seq = itertools.count(1)


@pytest.fixture
def grow(world):
    """Add units, each with a zone in 大坪村, two cadres and a paired household, so list pages
    can be measured with more rows (query counts must not grow with them)."""

    def _grow(n: int) -> None:
        for _ in range(n):
            i = next(_seq)
            unit = do_create_unit(
                county=world.county, name=f"测试单位{i}", kind=UnitKind.OTHER, acting_user=None
            )
            do_assign_zone(unit=unit, village=world.village2, acting_user=None)
            first = do_create_cadre(
                unit=unit,
                staff_no=f"G{i:04d}A",
                name=f"干部甲{i}",
                phone=f"137{i:08d}",
                acting_user=None,
            )
            do_create_cadre(unit=unit, staff_no=f"G{i:04d}B", name=f"干部乙{i}", acting_user=None)
            home = household(world.county, world.group2, f"5101842300000{i:04d}")
            do_pair(cadre=first, household=home, acting_user=None)

    return _grow


def rows_of(response) -> str:
    return response.content.decode()
