"""Pieces every API router shares: limit/offset paging answered as {count, items}."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from ninja import Field, Schema


class PageParams(Schema):
    """limit/offset paging shared by every list endpoint."""

    limit: int = Field(50, ge=1, le=500, description="每页条数（1–500）")
    offset: int = Field(0, ge=0, description="跳过的条数")


def page_of(qs: QuerySet, params: PageParams) -> dict[str, Any]:
    """{count, items}: the honest total and one slice, in two queries plus prefetches."""
    return {
        "count": qs.count(),
        "items": list(qs[params.offset : params.offset + params.limit]),
    }
