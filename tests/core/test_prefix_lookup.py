"""`__prefix`: the same rows as startswith (case-sensitive), from the column's index."""

import pytest
from django.db import connection

from lianxin.people.models import Resident


@pytest.mark.parametrize("text", ["罗", "罗选", "罗选志", "l", "lx", "lxz", "z", "", "%", "_"])
def test_it_finds_what_startswith_finds(world, text):
    for field in ("name", "name_initials"):
        by_prefix = set(Resident.objects.filter(**{f"{field}__prefix": text}))
        by_like = {r for r in Resident.objects.all() if getattr(r, field).startswith(text)}
        assert by_prefix == by_like, (field, text)


def test_it_is_case_sensitive_and_takes_like_characters_literally(world):
    assert not Resident.objects.filter(name_initials__prefix="L").exists()
    assert not Resident.objects.filter(name__prefix="%").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["name", "name_initials"])
def test_sqlite_answers_it_from_the_index(field):
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL answers LIKE 'x%' from the _like index Django makes")
    qs = Resident.objects.filter(**{f"{field}__prefix": "lxz"}).values("id")
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        plan = " ".join(str(row) for row in cursor.fetchall())
    # A search of the index's range, not a scan of the table.
    assert "SEARCH" in plan and "INDEX" in plan, plan
    assert f"({field}>? AND {field}<?)" in plan, plan
