"""Every periodic task of the system, in one place. Each is idempotent: running it twice, or
on two workers at once, changes nothing the first run did not (the worker also takes a lock per
task so two schedulers do not run one task at the same time).

Later work (overdue scans, escalations, monthly roll-ups, classifier
retraining) is added here, as a function of its app called from a task below."""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import lock_task, periodic_task

from . import runner

logger = logging.getLogger(__name__)


@periodic_task(crontab(minute="*"))
@lock_task("lianxin.sweep_jobs")
def sweep_jobs() -> None:
    """Jobs whose worker died: failed or queued again, within a minute."""
    counts = runner.sweep()
    if any(counts.values()):
        logger.info("job sweep: %s", counts)


@periodic_task(crontab(minute="*/10"))
@lock_task("lianxin.purge_transfer_files")
def purge_transfer_files() -> None:
    """Full exports past their time to live, old uploads and reports (lianxin.transfer.retention)."""
    from lianxin.transfer.retention import do_purge_exports

    do_purge_exports()


@periodic_task(crontab(minute="*/10"))
@lock_task("lianxin.purge_card_prints")
def purge_card_prints() -> None:
    """连心卡 PDFs (names, addresses, phones) LIANXIN_TRANSFER_KEEP_DAYS after they were made
    (lianxin.cards.print_files)."""
    from lianxin.cards.print_files import do_purge_print_files

    do_purge_print_files()


@periodic_task(crontab(minute="7"))
@lock_task("lianxin.purge_rate_counters")
def purge_rate_counters() -> None:
    """Expired rate-limit counters in the database table (Redis expires its own)."""
    from lianxin.core.ratelimit import purge_expired_counters

    purge_expired_counters()


@periodic_task(crontab(minute="23"))
@lock_task("lianxin.refresh_expired_cover")
def refresh_expired_cover() -> None:
    """Households whose stored covered days have run out, refreshed from their pairings
    (lianxin.pairing.cover.refresh_expired: a pairing dated ahead after a gap). Hourly, so
    that the day boundary in Asia/Shanghai is caught whatever the queue's clock; a run with
    nothing expired reads one index range and writes nothing."""
    from lianxin.pairing.cover import refresh_expired

    changed = refresh_expired()
    if changed:
        logger.info("refreshed covered days of %d households", changed)


@periodic_task(crontab(minute="2"))
@lock_task("lianxin.keep_up_rollups")
def keep_up_rollups() -> None:
    """The rates' roll-up (lianxin.visits.rollup.keep_up): each county's overdue pairings of the
    new day, and a rebuild of any county left stale by a wide change. Hourly, so the day
    boundary in Asia/Shanghai is caught; until it has run the rates count from the records."""
    from lianxin.visits.rollup import keep_up

    counts = keep_up()
    if any(counts.values()):
        logger.info("rates roll-up: %s", counts)


@periodic_task(crontab(minute="5"))
@lock_task("lianxin.send_visit_reminders")
def send_visit_reminders() -> None:
    """The morning's visit reminders (lianxin.notices.reminders): each cadre's households due
    or overdue, each unit's and area's staff their overdue pairings, e-mailed where configured.
    Checked hourly and sent in the hour LIANXIN_REMINDER_HOUR of Asia/Shanghai, whatever the
    queue's clock; a second run that day sends nothing new (one notice per user, kind, day)."""
    from django.conf import settings
    from django.utils import timezone

    from lianxin.notices.reminders import do_send_visit_reminders

    if timezone.localtime().hour != settings.LIANXIN_REMINDER_HOUR:
        return
    sent = do_send_visit_reminders(acting_user=None)
    if sent:
        logger.info("sent %d visit reminders", sent)
