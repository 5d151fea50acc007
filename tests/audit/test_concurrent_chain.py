"""Writers racing to append to one county's chain: it stays one line, with no fork.
(On PostgreSQL the chain head's row lock does this; SQLite serialises all writers anyway.)"""

import threading

from django.db import connections

from lianxin.audit.chain import GENESIS
from lianxin.audit.models import AuditEntry
from lianxin.audit.verify import verify
from lianxin.people.services import do_create_household, do_update_household
from tests.factories import build_world

THREADS = 6
EACH = 5


def test_it_keeps_one_chain_under_concurrent_writers(transactional_db):
    world = build_world()
    before = AuditEntry.objects.filter(county=world.county).count()
    start = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            start.wait()
            for i in range(EACH):
                household = do_create_household(
                    county=world.county,
                    number=f"5101842000{n:03d}{i:04d}",
                    region=world.group,
                    acting_user=world.township_staff,
                )
                do_update_household(
                    household, address=f"大坪村6组{n}-{i}号", acting_user=world.township_staff
                )
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    rows = list(
        AuditEntry.objects.filter(county=world.county)
        .order_by("seq")
        .values_list("seq", "prev_hash", "row_hash")
    )
    assert len(rows) == before + THREADS * EACH * 2
    assert [seq for seq, _, _ in rows] == list(range(1, len(rows) + 1))
    links = [prev for _, prev, _ in rows]
    assert links == [GENESIS] + [digest for _, _, digest in rows[:-1]]
    assert [r.broken for r in verify()] == [None]
