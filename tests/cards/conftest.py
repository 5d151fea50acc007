import pytest

from lianxin.org.choices import UnitKind
from lianxin.org.services import do_create_cadre, do_create_unit
from lianxin.pairing.services import do_pair
from tests.factories import household


@pytest.fixture(autouse=True)
def _prints_inline(settings, tmp_path):
    """Prints are drawn inside the request that asks for them, into a temporary MEDIA_ROOT."""
    settings.LIANXIN_JOBS_INLINE = True
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def cards_world(world):
    """The world with 文井江镇's government (and its phone), a second cadre in another unit,
    12 households in 大坪村 paired with 马林增 and one unpaired household in 大坪村 7组."""
    w = world
    w.township_office = do_create_unit(
        county=w.county,
        name="崇州市文井江镇人民政府",
        kind=UnitKind.TOWNSHIP_GOVERNMENT,
        township=w.township,
        phone="028-82211234",
        acting_user=None,
    )
    w.cadre2 = do_create_cadre(
        unit=w.other_unit,
        staff_no="C0002",
        name="王秀英",
        post="社会救助科科长",
        phone="13900000002",
        acting_user=None,
    )
    do_pair(cadre=w.cadre, household=w.household, acting_user=w.city_admin)
    w.village_households = [w.household]
    for i in range(10):
        h = household(
            w.county,
            w.group,
            f"51018411000001{i:03d}",
            head=f"赵{i}",
            address=f"大坪村6组{20 + i}号",
        )
        do_pair(cadre=w.cadre, household=h, acting_user=w.city_admin)
        w.village_households.append(h)
    # household2 (7组, no address) stays unpaired: its card shows the township's contact.
    w.village_households.append(w.household2)
    return w
