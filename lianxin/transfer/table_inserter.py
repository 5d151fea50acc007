"""Multi-row inserts straight into a model's table, and the look-ups of existing rows by a
list of keys: the import's hot path."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection, models
from django.utils import timezone


class Inserter:
    """executemany straight into a model's table: the import's hot path.

    bulk_create spent about half of an import's time building model instances and preparing
    every value of each (profiled at 20,000 residents); here rows are plain tuples.
    Columns the importer does not give get the field's default (now, for auto_now fields), so
    a field added to the model later is still filled the way the ORM would fill it."""

    def __init__(self, model: type[models.Model], given: Sequence[str]):
        ops = connection.ops
        fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        by_name = {f.attname: f for f in fields}
        self.given = [by_name[name] for name in given]
        self.rest = [f for f in fields if f.attname not in set(given)]
        columns = [*self.given, *self.rest]
        self.sql = (
            f"INSERT INTO {ops.quote_name(model._meta.db_table)} ("
            + ", ".join(ops.quote_name(str(f.column)) for f in columns)
            + ") VALUES ("
            + ", ".join(["%s"] * len(columns))
            + ")"
        )
        # Dates and times need the backend's adapter (SQLite stores text); DateTimeField is a
        # DateField.
        self.dates = [
            i
            for i, f in enumerate(self.given)
            if isinstance(f, models.DateField | models.TimeField)
        ]

    def insert(self, rows: list[tuple]) -> None:
        if not rows:
            return
        now = timezone.now()
        tail = tuple(
            f.get_db_prep_save(
                now
                if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
                else f.get_default(),
                connection,
            )
            for f in self.rest
        )
        if self.dates:
            adapt = [(i, self.given[i]) for i in self.dates]
            prepared = []
            for row in rows:
                values = list(row)
                for i, f in adapt:
                    values[i] = f.get_db_prep_save(values[i], connection)
                prepared.append((*values, *tail))
        else:
            prepared = [(*row, *tail) for row in rows]
        with connection.cursor() as cursor:
            cursor.executemany(self.sql, prepared)


class KeyLookup:
    """`SELECT <columns> FROM <from> WHERE <where> AND <key> IN (…)` for a batch of keys, as
    dicts named by `columns`' keys, the columns given as (name, "table"."column") so that the
    query may join. Django builds and prepares an `IN` list value by value (a third of an
    import's look-up time at 5,000 keys); the keys here are the importer's own plain strings
    and ints, passed as parameters. An empty list of keys asks nothing."""

    def __init__(self, columns: Sequence[tuple[str, str]], source: str, where: str, key: str):
        self.names = [name for name, _ in columns]
        self.head = (
            "SELECT "
            + ", ".join(column for _, column in columns)
            + f" FROM {source} WHERE {where + ' AND ' if where else ''}{key} IN ("
        )

    def fetch(self, params: Sequence[Any], keys: Iterable[Any]) -> list[dict[str, Any]]:
        keys = list(keys)
        if not keys:
            return []
        with connection.cursor() as cursor:
            cursor.execute(self.head + ", ".join(["%s"] * len(keys)) + ")", [*params, *keys])
            names = self.names
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def column(model: type[models.Model], name: str) -> str:
    """A model's column, quoted with its table, for KeyLookup."""
    ops = connection.ops
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field) and field.column, name
    return f"{ops.quote_name(model._meta.db_table)}.{ops.quote_name(field.column)}"


def table(model: type[models.Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)
