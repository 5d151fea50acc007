"""A unit with thousands of households prints in bounded queries and a reasonable file.

Measured, not timed: the numbers are printed (pytest -s) and recorded in docs/cards.md.
"""

import time
from collections import Counter

from django.db import connection
from django.test.utils import CaptureQueriesContext

from lianxin.core.models import today
from lianxin.pairing.models import Pairing
from lianxin.people.models import Household
from tests.cards.support import download, qr_codes, reader

CARDS = 2000


def _many_paired_households(w, n):
    # Bulk rows rather than n do_* calls: this test measures printing, not registration.
    households = Household.objects.bulk_create(
        Household(
            county=w.county,
            number=f"510184220000{i:05d}",
            township=w.township,
            village=w.village,
            region=w.group2,
            address=f"大坪村7组{i}号",
        )
        for i in range(n)
    )
    Pairing.objects.bulk_create(
        Pairing(county=w.county, cadre=w.cadre2, household=h, valid_from=today())
        for h in households
    )


def _is_progress(sql: str) -> bool:
    # The job's progress is written at most twice a second: bounded by time, not by cards.
    return sql.startswith('UPDATE "jobs_job" SET "progress_done"')


def test_it_prints_two_thousand_cards_in_bounded_queries(cards_world, login):
    w = cards_world
    _many_paired_households(w, CARDS)
    client = login(w.city_admin)
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        response = download(client, "unit", w.other_unit.pk)
        data = b"".join(response.streaming_content)
    elapsed = time.perf_counter() - started
    progress = [q for q in queries.captured_queries if _is_progress(q["sql"])]
    others = [q["sql"] for q in queries.captured_queries if not _is_progress(q["sql"])]
    print(
        f"\n{CARDS} cards: {len(data) / 1e6:.1f} MB in {elapsed:.1f} s, "
        f"{len(others)} queries and {len(progress)} progress writes"
    )
    # Households are read in batches of 500: the count must not grow card by card.
    assert len(others) <= 60, Counter(sql[:60] for sql in others).most_common(5)
    assert len(progress) <= 2 * elapsed + 2
    assert response["X-Card-Count"] == str(CARDS)
    pdf = reader(data)
    assert len(pdf.pages) == CARDS // 10
    assert len(data) < 15_000_000  # about 6 KB a card; a county office emails these
    assert len(qr_codes(data, page=len(pdf.pages) - 1)) == 10
