"""The single path from a user to the rows they may see: scoped lists and 404 lookups."""

from __future__ import annotations

from typing import Any, TypeVar

from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.http import Http404

M = TypeVar("M", bound=models.Model)


def get_visible_or_404(model: type[M], user: Any, pk: Any, *, write: bool = False) -> M:
    """The object if the user's scope holds it; otherwise 404, exactly as if it did not exist.

    With write=True the user must also be allowed to change it (a read-only leader gets 404 too,
    so the answer never tells an outsider whether the object exists).
    """
    qs = model._default_manager.visible_to(user)  # type: ignore[attr-defined]
    if write:
        qs = qs.writable_by(user)
    try:
        return qs.get(pk=pk)
    except (ObjectDoesNotExist, ValueError, TypeError):
        raise Http404("对象不存在或不在您的权限范围内") from None
