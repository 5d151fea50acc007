"""Notice state changes: sending (idempotent per user, kind, day and subject), e-mailing the
copies where configured, and marking read. Every do_* checks its actor and writes its audit
row in the same transaction."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from lianxin.audit.services import record
from lianxin.core.access import check_in_scope
from lianxin.core.errors import Refused

from .models import Notice

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Draft:
    """A notice to send: its addressee, kind, day and words."""

    user_id: int
    county_id: int
    kind: str
    day: dt.date
    title: str
    body: str = ""
    link: str = ""
    ref: str = ""


def send(drafts: Iterable[Draft]) -> int:
    """Write the notices not yet written (same user, kind, day and subject: nothing); how many
    were new. Server-side only: called by the reminder job and by services that already checked
    their actor, inside their transaction."""
    drafts = list(drafts)
    if not drafts:
        return 0
    have = set(
        Notice.objects.filter(
            day__in={d.day for d in drafts}, user_id__in={d.user_id for d in drafts}
        ).values_list("user_id", "kind", "day", "ref")
    )
    new = [d for d in drafts if (d.user_id, d.kind, d.day, d.ref) not in have]
    # ignore_conflicts: a run racing this one meets the unique key and adds nothing twice.
    Notice.objects.bulk_create(
        [
            Notice(
                county_id=d.county_id,
                user_id=d.user_id,
                kind=d.kind,
                day=d.day,
                title=d.title[:120],
                body=d.body,
                link=d.link[:200],
                ref=d.ref[:40],
            )
            for d in new
        ],
        ignore_conflicts=True,
        batch_size=500,
    )
    return len(new)


def mail_enabled() -> bool:
    return bool(settings.LIANXIN_NOTICE_EMAIL)


def mail_pending(day: dt.date | None = None) -> int:
    """E-mail every notice not yet mailed whose addressee has an address, where e-mail is
    configured (LIANXIN_NOTICE_EMAIL); how many went. Each is marked as it goes, so a run that
    fails half-way resumes where it stopped and no one gets a copy twice."""
    if not mail_enabled():
        return 0
    pending = Notice.objects.filter(mailed_at__isnull=True, user__is_active=True).exclude(
        user__email=""
    )
    if day is not None:
        pending = pending.filter(day=day)
    sent = 0
    for notice in pending.select_related("user").order_by("id").iterator(chunk_size=200):
        # Claim it first: two workers mailing at once send it once.
        claimed = Notice.objects.filter(pk=notice.pk, mailed_at__isnull=True).update(
            mailed_at=timezone.now()
        )
        if not claimed:
            continue
        try:
            send_mail(
                subject=f"[连心] {notice.title}",
                message=_mail_text(notice),
                from_email=None,
                recipient_list=[notice.user.email],
            )
        except Exception as exc:  # a mail server down must not stop the rest
            logger.error("notice %s: e-mail not sent (%s)", notice.pk, type(exc).__name__)
            Notice.objects.filter(pk=notice.pk).update(mailed_at=None)
            continue
        sent += 1
    return sent


def _mail_text(notice: Notice) -> str:
    base = settings.LIANXIN_PUBLIC_BASE_URL
    link = f"\n\n{base}{notice.link}" if base and notice.link else ""
    return f"{notice.body}{link}\n\n——连心（结对心连心·我们在一起）"


def do_mark_read(notice: Notice, *, acting_user: Any) -> Notice:
    """Mark one of the user's own notices read (again: nothing changes)."""
    if acting_user is None or not getattr(acting_user, "is_authenticated", False):
        raise Refused("请先登录", status=403)
    check_in_scope(acting_user, notice)
    with transaction.atomic():
        notice = Notice.objects.select_for_update().get(pk=notice.pk)
        if notice.read_at is not None:
            return notice
        notice.read_at = timezone.now()
        notice.save(update_fields=["read_at"])
        record(actor=acting_user, action="通知标为已读", target=notice)
        return notice


def do_mark_all_read(user: Any, *, acting_user: Any) -> int:
    """Mark every unread notice of the user read (the user's own act alone); how many."""
    if (
        acting_user is None
        or not getattr(acting_user, "is_authenticated", False)
        or acting_user.pk != user.pk
    ):
        raise Refused("只能标记自己的通知", status=403)
    with transaction.atomic():
        n = Notice.objects.visible_to(acting_user).unread().update(read_at=timezone.now())
        if n:
            record(
                actor=acting_user,
                action="通知全部标为已读",
                target_type="notices.notice",
                target_label="全部通知",
                changes={"count": [None, n]},
            )
        return n
