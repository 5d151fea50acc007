"""The one rule for ending a dated fact (lianxin.core.ending): the day given is the last day;
ended today, a row is still current today and stops counting tomorrow. The words pages show
for it, and the end-date field every ending form uses."""

from __future__ import annotations

import datetime as dt

from lianxin.core.ending import END_DATE_HELP, day_text, end_note, end_tag, ended_message
from lianxin.core.forms import end_date_field
from lianxin.core.models import today
from lianxin.pairing.models import Pairing
from lianxin.pairing.services import do_end_pairing, do_pair

DAY = dt.date(2026, 3, 10)
ONE = dt.timedelta(days=1)


def test_it_says_ended_today_is_the_last_day():
    assert end_note(DAY, on=DAY) == "已结束，今天（2026-03-10）为最后一天，明天起不再计入"
    assert end_tag(DAY, on=DAY) == "今天结束"


def test_it_says_an_earlier_end_has_ended_and_a_later_one_will():
    assert end_note(DAY - ONE, on=DAY) == "已于2026-03-09结束"
    assert end_tag(DAY - ONE, on=DAY) == "已结束"
    assert end_note(DAY + ONE, on=DAY) == (
        "将于2026-03-11结束（该日为最后一天），2026-03-12起不再计入"
    )
    assert end_tag(DAY + ONE, on=DAY) == "将于2026-03-11结束"


def test_it_names_today_and_yesterday_in_a_question():
    assert day_text(DAY, on=DAY) == "2026-03-10（今天）"
    assert day_text(DAY - ONE, on=DAY) == "2026-03-09（昨天）"
    assert day_text(DAY + ONE, on=DAY) == "2026-03-11"


def test_it_says_nothing_of_an_open_row():
    assert end_note(None, on=DAY) == "" and end_tag(None, on=DAY) == ""


def test_it_names_the_subject_in_the_banner():
    assert ended_message("马林增与户H0001的结对", today()).startswith(
        f"马林增与户H0001的结对：已结束，今天（{today():%Y-%m-%d}）为最后一天"
    )


def test_it_keeps_a_row_ended_today_current_until_tomorrow(world):
    pairing = do_pair(cadre=world.cadre, household=world.household, acting_user=None)
    pairing.valid_from = today() - 5 * ONE
    pairing.save(update_fields=["valid_from"])
    do_end_pairing(pairing, valid_to=today(), acting_user=world.city_admin)
    pairing.refresh_from_db()

    # The model, the queryset and the words agree, on the last day and on the day after.
    assert pairing.is_current() and Pairing.objects.current().filter(pk=pairing.pk).exists()
    assert end_tag(pairing.valid_to) == "今天结束"
    tomorrow = today() + ONE
    assert not pairing.is_current(tomorrow)
    assert not Pairing.objects.current(tomorrow).filter(pk=pairing.pk).exists()
    assert end_tag(pairing.valid_to, on=tomorrow) == "已结束"


def test_it_ends_a_pairing_made_today_on_its_first_day(world):
    # Why not "as of yesterday": a pairing made today could then never be ended.
    pairing = do_pair(cadre=world.cadre, household=world.household, acting_user=None)
    do_end_pairing(pairing, valid_to=today(), acting_user=world.city_admin)
    pairing.refresh_from_db()
    assert pairing.valid_from == pairing.valid_to == today()


def test_the_end_date_field_defaults_to_today_and_shows_the_rule():
    field = end_date_field()
    assert field.initial() == today() and field.help_text == END_DATE_HELP
    html = field.widget.render("valid_to", today())
    assert 'type="date"' in html and "data-end-date" in html
    assert f'data-today="{today():%Y-%m-%d}"' in html
    assert "当天仍计入，次日起不再计入" in END_DATE_HELP
