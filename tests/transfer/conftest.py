import pytest

from lianxin.core.sensitive import unseal_field


@pytest.fixture
def inline_jobs(settings, tmp_path):
    """Jobs run inside the request, files go to a temporary MEDIA_ROOT."""
    settings.LIANXIN_JOBS_INLINE = True
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings


@pytest.fixture
def known_id(world):
    """The full ID number of the head of world.household (大坪村6组, 户号 51018411000000001)."""
    return unseal_field(world.household.head, "id_number")
