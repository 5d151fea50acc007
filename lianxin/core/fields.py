"""The rules of user-given values, read from the model fields themselves: a CharField's
max_length, its choices and whether it may be blank, the range of an integer column, and no
NUL character (PostgreSQL refuses one in text). Services check them before saving
(check_fields), importers per cell (problem), pages' forms and API schemas take their limits
from here (form_field, schema_field), so no limit is written twice and both databases give the
same 400: SQLite would store an oversize value where PostgreSQL raises DataError.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from django import forms
from django.db import models
from django.db.backends.base.operations import BaseDatabaseOperations
from ninja import Field

from lianxin.core.errors import Refused

# The widths of PostgreSQL's integer columns, applied on SQLite too (whose integers are all
# 64-bit), so a value the one refuses the other refuses alike.
INTEGER_RANGES = BaseDatabaseOperations.integer_field_ranges
# PostgreSQL's bigint, the widest integer it compares with (OFFSET, an id); SQLite's are as wide.
INT64 = (-(2**63), 2**63 - 1)


def row_id(value: Any) -> int | None:
    """A row id from a form or a query string: a whole number from 1 to bigint's end, else
    None. Past the end SQLite cannot bind it (an `id IN (...)` raises OverflowError, a 500)."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        return None
    return number if 1 <= number <= INT64[1] else None


@dataclass(frozen=True, slots=True)
class Rule:
    """What a model field accepts."""

    label: str
    max_length: int | None
    required: bool
    choices: frozenset[str] | None
    min_value: int | None
    max_value: int | None


@cache
def rule(model: type[models.Model], name: str) -> Rule:
    """The rule of `model.name`, from its field (cached: fields do not change at run time)."""
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field), f"{model.__name__}.{name} is not a column"
    low = high = None
    if isinstance(field, models.IntegerField):  # Small/Big/Positive* are subclasses
        low, high = INTEGER_RANGES.get(field.get_internal_type(), INT64)
    choices = frozenset(str(v) for v, _ in field.flatchoices) if field.choices else None
    return Rule(
        label=str(field.verbose_name),
        max_length=field.max_length if isinstance(field, models.CharField) else None,
        required=not field.blank,
        choices=choices,
        min_value=low,
        max_value=high,
    )


def text_problem(label: str, value: str, max_length: int | None) -> str | None:
    """Why a text value cannot be stored (NUL, too long), or None; for values that are not a
    model field's (a reason, a search)."""
    if "\x00" in value:
        return f"{label}不能含空字符（\\0）"
    if max_length is not None and len(value) > max_length:
        return f"{label}最多{max_length}个字符（现为{len(value)}个）"
    return None


def problem(model: type[models.Model], name: str, value: Any) -> str | None:
    """Why `value` cannot be stored in `model.name`, as a Chinese message naming the field by
    its verbose_name and the limit; None when it can (None itself is "not given")."""
    if value is None:
        return None
    r = rule(model, name)
    if isinstance(value, str):
        found = text_problem(r.label, value, r.max_length)
        if found:
            return found
        if r.required and not value.strip():
            return f"{r.label}不能为空"
        if r.choices is not None and value and value not in r.choices:
            return f"无法识别的{r.label}“{value}”"
        return None
    if isinstance(value, int) and not isinstance(value, bool) and r.min_value is not None:
        assert r.max_value is not None
        if not r.min_value <= value <= r.max_value:
            return f"{r.label}应在{r.min_value}到{r.max_value}之间（现为{value}）"
    return None


def problems(model: type[models.Model], values: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(field name, message) for every value of `values` its field refuses."""
    found = []
    for name, value in values.items():
        message = problem(model, name, value)
        if message:
            found.append((name, message))
    return found


def check_fields(
    model: type[models.Model], values: Mapping[str, Any], *, aliases: Mapping[str, str] = {}
) -> None:
    """Refuse (400) the first value its field cannot store; `aliases` maps a model field to
    the name the caller knows it by (a form's or schema's field)."""
    for name, message in problems(model, values):
        raise Refused(message, field=aliases.get(name, name))


def max_length(model: type[models.Model], name: str) -> int:
    limit = rule(model, name).max_length
    assert limit is not None, f"{model.__name__}.{name} has no max_length"
    return limit


def form_field(model: type[models.Model], name: str, **kw: Any) -> forms.CharField:
    """A plain form's text field for `model.name`: its label, max_length and whether it is
    required, from the model (keywords override, e.g. another label)."""
    r = rule(model, name)
    kw.setdefault("label", r.label)
    kw.setdefault("required", r.required)
    # The service's message (problem), beside the field; %(show_value)d is the length given.
    messages = {"null_characters_not_allowed": f"{kw['label']}不能含空字符（\\0）"}
    if r.max_length is not None:
        messages["max_length"] = f"{kw['label']}最多{r.max_length}个字符（现为%(show_value)d个）"
    kw["error_messages"] = {**messages, **kw.get("error_messages", {})}
    return forms.CharField(max_length=r.max_length, **kw)


def schema_field(model: type[models.Model], name: str, default: Any = ..., **kw: Any) -> Any:
    """An API schema's field for `model.name`, documenting the column's max_length as
    maxLength. The service enforces it (check_fields), so a longer value answers 400 with the
    same Chinese message as the page's, not pydantic's English 422."""
    r = rule(model, name)
    extra: dict[str, Any] = {"maxLength": r.max_length} if r.max_length is not None else {}
    return Field(default, json_schema_extra=extra, **kw)
