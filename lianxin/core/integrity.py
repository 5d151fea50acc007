"""Writes a database constraint may refuse: the violated constraint answers 409 in Chinese.

Services look for a duplicate before they write, which gives the friendliest message; but two
requests can pass that look at the same moment, and on PostgreSQL the second then meets the
constraint itself (SQLite's IMMEDIATE transactions queue writers, so there the look usually
answers). `refuse_conflicts()` is the atomic block such writes run in: the IntegrityError is
caught at its edge and becomes `Refused(violation_error_message, field=..., status=409)`.

It is a savepoint when nested, so a refused write leaves the rest of the caller's transaction
as it was (on PostgreSQL an IntegrityError otherwise aborts the whole transaction), and it is
the transaction itself when outermost, so errors raised at commit are caught too.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db import IntegrityError, transaction
from django.db.models import BaseConstraint, Field, UniqueConstraint
from django.utils.text import capfirst

from lianxin.core.errors import Refused

logger = logging.getLogger(__name__)

# Anything the program cannot name (a row deleted under us, a constraint without a message).
GENERIC_MESSAGE = "保存时与同时进行的其他修改冲突，本次未保存，请刷新后重试"

# SQLite names the columns of a failed unique index, and the name of a failed CHECK.
_SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: (?:index '(?P<index>[^']+)'|(?P<cols>.+))")
_SQLITE_CHECK = re.compile(r"CHECK constraint failed: (?P<name>\S+)")
# PostgreSQL's detail names the columns of a unique violation (the values that follow are
# never read: they may be personal data).
_PG_KEY = re.compile(r"Key \((?P<cols>[^)]*)\)=")


@dataclass(frozen=True)
class _Rule:
    """What one constraint (or one unique=True field) refuses with."""

    model: Any
    constraint: BaseConstraint | None = None
    field: Field | None = None

    @property
    def name(self) -> str:
        return self.constraint.name if self.constraint else ""

    def message(self) -> str:
        if self.constraint is not None:
            if (
                self.constraint.violation_error_message
                == self.constraint.default_violation_error_message
            ):
                return GENERIC_MESSAGE
            return str(self.constraint.get_violation_error_message())
        assert self.field is not None
        return str(self.field.error_messages["unique"]) % {
            "model_name": capfirst(self.model._meta.verbose_name),
            "field_label": capfirst(self.field.verbose_name),
        }

    def field_name(self) -> str:
        """The input the refusal is shown beside: a unique constraint's first plain field (its
        relations only scope it: county, household), else its last relation; a hash is named
        as the value it seals. A CHECK names no field unless the caller maps it."""
        if self.field is not None:
            return self.field.name
        if not isinstance(self.constraint, UniqueConstraint) or not self.constraint.fields:
            return ""
        names = self.constraint.fields
        plain = [n for n in names if not self.model._meta.get_field(n).is_relation]
        return (plain[0] if plain else names[-1]).removesuffix("_hash")


def _column(field: Any) -> str:
    return str(field.column)


@functools.cache
def _rules() -> tuple[dict[str, _Rule], dict[tuple[str, frozenset[str]], _Rule]]:
    """Every model's constraints, by name and by (table, columns) for the unique ones."""
    by_name: dict[str, _Rule] = {}
    by_columns: dict[tuple[str, frozenset[str]], _Rule] = {}
    for model in apps.get_models():
        opts = model._meta
        for constraint in opts.constraints:
            rule = _Rule(model, constraint=constraint)
            by_name[constraint.name] = rule
            if isinstance(constraint, UniqueConstraint) and constraint.fields:
                columns = frozenset(_column(opts.get_field(f)) for f in constraint.fields)
                by_columns.setdefault((opts.db_table, columns), rule)
        for field in opts.local_fields:
            if field.unique and not field.primary_key:
                rule = _Rule(model, field=field)
                by_columns.setdefault((opts.db_table, frozenset([_column(field)])), rule)
                # PostgreSQL's own name for a UNIQUE declared with its column.
                by_name.setdefault(f"{opts.db_table}_{_column(field)}_key", rule)
    return by_name, by_columns


def _violated(exc: IntegrityError) -> _Rule | None:
    by_name, by_columns = _rules()
    diag = getattr(exc.__cause__, "diag", None)
    if diag is not None:  # PostgreSQL (psycopg) names the constraint and its table.
        rule = by_name.get(diag.constraint_name or "")
        # A unique=True field added later has a name Django made up: find it by its columns
        # (23505 = unique_violation; a missing foreign key's detail names columns too).
        if rule is None and diag.table_name and diag.sqlstate == "23505":
            key = _PG_KEY.search(diag.message_detail or "")
            if key:
                columns = frozenset(c.strip().strip('"') for c in key["cols"].split(","))
                rule = by_columns.get((diag.table_name, columns))
        return rule
    text = str(exc)
    if m := _SQLITE_CHECK.search(text):
        return by_name.get(m["name"])
    if m := _SQLITE_UNIQUE.search(text):
        if m["index"]:
            return by_name.get(m["index"])
        pairs = [c.strip().rsplit(".", 1) for c in m["cols"].split(",")]
        tables = {p[0] for p in pairs if len(p) == 2}
        if len(tables) == 1:
            return by_columns.get((tables.pop(), frozenset(p[1] for p in pairs)))
    return None


def refusal(exc: IntegrityError, fields: Mapping[str, str] | None = None) -> Refused:
    """The 409 refusal for an integrity error: the violated constraint's Chinese message and
    the field it concerns (`fields` maps a constraint name to the caller's field name)."""
    rule = _violated(exc)
    if rule is None:
        # Only the kind of failure is logged: the database's text may hold the values.
        logger.warning("unmapped integrity error (%s)", type(exc.__cause__ or exc).__name__)
        return Refused(GENERIC_MESSAGE, status=409)
    field = (fields or {}).get(rule.name, rule.field_name())
    return Refused(rule.message(), field=field, status=409)


@contextmanager
def refuse_conflicts(fields: Mapping[str, str] | None = None) -> Iterator[None]:
    """`transaction.atomic()` whose IntegrityError becomes a 409 `Refused` (see the module)."""
    try:
        with transaction.atomic():
            yield
    except IntegrityError as exc:
        # `from None`: the database's message quotes the conflicting values.
        raise refusal(exc, fields) from None
