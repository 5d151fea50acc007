"""The single path from a user to the rows they may see and the actions they may take: scoped
lists and 404 lookups for views and API, and the actor checks every do_* service starts with.

What a role allows is asked of the user's role predicates (lianxin.accounts.models.User:
``writes_registry``, ``writes_org``, ``manages_pairing`` …), never of the role's string."""

from __future__ import annotations

from typing import Any, TypeVar

from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.http import Http404

from lianxin.core.errors import Refused

M = TypeVar("M", bound=models.Model)

NOT_FOUND = "对象不存在或不在您的权限范围内"


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
        raise Http404(NOT_FOUND) from None


def check_actor(
    acting_user: Any, allowed: str, message: str, *, county_id: int | None = None
) -> None:
    """Refuse (403, the Chinese ``message``) an actor whose role lacks the predicate named by
    ``allowed`` (a User property such as "writes_org"), or who belongs to another county.

    acting_user None is the server itself (install, `lianxin` commands, the demo builder): it
    passes, as every service has always treated it."""
    if acting_user is None:
        return
    if not getattr(acting_user, "is_authenticated", False) or not getattr(acting_user, allowed):
        raise Refused(message, status=403)
    if county_id is not None and acting_user.county_id != county_id:
        raise Refused(NOT_FOUND, status=404)


def check_console(acting_user: Any, message: str) -> None:
    """Refuse (403) anyone but the server itself: actions only an operator runs at the console."""
    if acting_user is not None:
        raise Refused(message, status=403)


def check_in_scope(acting_user: Any, *objs: models.Model | None, write: bool = True) -> None:
    """Refuse, as 404, an object outside the actor's scope (``visible_to``, and ``writable_by``
    with write=True): the same answer the pages give, so a service called directly tells no
    more than a lookup would. None objects are skipped; acting_user None is the server."""
    if acting_user is None:
        return
    for obj in objs:
        if obj is None:
            continue
        qs = type(obj)._default_manager.visible_to(acting_user)  # type: ignore[attr-defined]
        if write:
            qs = qs.writable_by(acting_user)
        if not qs.filter(pk=obj.pk).exists():
            raise Refused(NOT_FOUND, status=404)
