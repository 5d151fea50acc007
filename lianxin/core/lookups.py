"""`field__prefix="lxz"`: a prefix match that the column's index answers on every database.

Django's `startswith` is `LIKE 'lxz%'`. PostgreSQL answers it from the `…_like` index Django
makes beside every indexed CharField (varchar_pattern_ops), but SQLite's LIKE is
case-insensitive and never uses an ordinary index: a search by pinyin initials or a name read
every resident. On SQLite `prefix` is the range `col >= 'lxz' AND col < 'lx{'` (the last
character raised by one: under SQLite's BINARY collation every string starting with the prefix,
and only those, falls in it), which the column's index answers. Case-sensitive on both.
"""

from __future__ import annotations

from django.db.models import CharField, Lookup, TextField
from django.db.models.lookups import StartsWith


@CharField.register_lookup
@TextField.register_lookup
class Prefix(Lookup):
    lookup_name = "prefix"

    def as_sql(self, compiler, connection):
        # Elsewhere the backend's own indexable prefix match (LIKE with its escaping).
        return StartsWith(self.lhs, self.rhs).as_sql(compiler, connection)

    def as_sqlite(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        value = str(self.rhs)
        if not value or ord(value[-1]) == 0x10FFFF:
            return StartsWith(self.lhs, self.rhs).as_sql(compiler, connection)
        upper = value[:-1] + chr(ord(value[-1]) + 1)
        return f"({lhs} >= %s AND {lhs} < %s)", [*lhs_params, value, *lhs_params, upper]
