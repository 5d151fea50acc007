"""The morning reminders: every cadre their due and overdue households, every unit's and
area's staff their overdue pairings, e-mailed where configured — and run twice, each notice
and each e-mail once. The notices page, marking read, and the header's badge."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail

from lianxin.accounts.choices import Role
from lianxin.audit.models import AuditEntry
from lianxin.core.errors import Refused
from lianxin.jobs.periodic import send_visit_reminders
from lianxin.notices.choices import NoticeKind
from lianxin.notices.models import Notice
from lianxin.notices.reminders import do_send_visit_reminders
from lianxin.org.services import do_create_cadre
from lianxin.pairing.services import do_pair
from lianxin.visits.choices import VisitMode
from tests.factories import user
from tests.visits.support import pair, visit

D = dt.date
ON = D(2025, 6, 3)


@pytest.fixture
def program(world, monkeypatch, settings):
    for where in ("lianxin.visits.services", "lianxin.notices.reminders"):
        monkeypatch.setattr(f"{where}.today", lambda: ON)
    settings.LIANXIN_NOTICE_EMAIL = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    for u in (world.cadre_user, world.township_staff, world.village_staff):
        u.email = f"{u.username}@example.cn"
        u.save(update_fields=["email"])
    # 罗选志's household: not visited in May, overdue; 张三丰's: visited in May, due in June.
    pair(world, world.household, since=D(2025, 4, 1))
    pair(world, world.household2, since=D(2025, 4, 1))
    visit(world, world.household2, D(2025, 5, 20))
    # The other township's household has the other unit's cadre, visited this month: done.
    other = do_create_cadre(unit=world.other_unit, staff_no="C0100", name="王明", acting_user=None)
    do_pair(
        cadre=other, household=world.other_household, acting_user=None, valid_from=D(2025, 4, 1)
    )
    visit(
        world, world.other_household, D(2025, 6, 1), by=None, cadre=other, mode=VisitMode.IN_PERSON
    )
    return world


def test_it_sends_each_notice_and_each_mail_once_when_run_twice(program):
    w = program
    first = do_send_visit_reminders(on=ON)
    assert do_send_visit_reminders(on=ON) == 0
    notices = {(n.user.username, n.kind) for n in Notice.objects.select_related("user")}
    assert notices == {
        ("malin", NoticeKind.VISITS_DUE),
        ("wenjing", NoticeKind.PAIRINGS_OVERDUE),
        ("daping", NoticeKind.PAIRINGS_OVERDUE),
    }
    assert first == 3
    assert sorted(m.to[0] for m in mail.outbox) == [
        "daping@example.cn",
        "malin@example.cn",
        "wenjing@example.cn",
    ]
    mine = Notice.objects.get(user=w.cadre_user)
    assert "已逾期1户" in mine.body and w.household.number in mine.body
    assert "本月待走访1户" in mine.body and w.household2.number in mine.body
    staff = Notice.objects.get(user=w.township_staff)
    assert w.household.number in staff.body and w.household2.number not in staff.body
    assert "罗选志" not in staff.body + mine.body  # numbers, never names
    assert AuditEntry.objects.filter(action="发送走访提醒").count() == 1
    # The next morning is a new day.
    assert do_send_visit_reminders(on=ON + dt.timedelta(days=1)) == 3


def test_it_tells_a_units_staff_of_their_cadres_overdue_pairings(program):
    w = program
    handler = user(w.county, Role.HANDLER, "xuanchuan", unit=w.unit)
    do_send_visit_reminders(on=ON)
    assert Notice.objects.get(user=handler).kind == NoticeKind.PAIRINGS_OVERDUE
    # The civil affairs bureau's cadre is done this month: its handler gets nothing.
    assert not Notice.objects.filter(user=w.handler).exists()


def test_it_mails_nothing_where_mail_is_not_configured(program, settings):
    settings.LIANXIN_NOTICE_EMAIL = False
    do_send_visit_reminders(on=ON)
    assert Notice.objects.count() == 3 and mail.outbox == []


def test_it_runs_as_the_periodic_task_in_the_reminder_hour_only(program, settings, monkeypatch):
    from django.utils import timezone

    hour = timezone.localtime().hour
    settings.LIANXIN_REMINDER_HOUR = (hour + 1) % 24
    send_visit_reminders.call_local()
    assert not Notice.objects.exists()
    settings.LIANXIN_REMINDER_HOUR = hour
    send_visit_reminders.call_local()
    send_visit_reminders.call_local()
    assert Notice.objects.count() == 3 and len(mail.outbox) == 3


def test_it_is_the_servers_job_alone(program):
    with pytest.raises(Refused) as refused:
        do_send_visit_reminders(acting_user=program.city_admin, on=ON)
    assert refused.value.status == 403


def test_it_lists_marks_read_and_counts_the_badge(program, login):
    w = program
    do_send_visit_reminders(on=ON)
    client = login(w.cadre_user)
    page = client.get("/notices/").content.decode()
    assert "走访提醒" in page and "data-unread>1<" in page
    notice = Notice.objects.get(user=w.cadre_user)
    assert client.post(f"/notices/{notice.pk}/read/").status_code == 302
    notice.refresh_from_db()
    assert notice.read_at is not None
    assert "data-unread" not in client.get("/notices/").content.decode()
    # Someone else's notice is not there at all.
    other = Notice.objects.get(user=w.township_staff)
    assert client.post(f"/notices/{other.pk}/read/").status_code == 404
    assert login(w.township_staff).post("/notices/read-all/").status_code == 302
    assert not Notice.objects.filter(user=w.township_staff, read_at__isnull=True).exists()
