import pytest

from tests.people.support import pair


@pytest.fixture
def paired(world):
    """world.household paired with world.cadre (the cadre_user's cadre)."""
    return pair(world)
