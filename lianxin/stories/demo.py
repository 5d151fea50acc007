"""The demo's diaries and stories (lianxin demo): a few entries of the demo cadre 马林增 in the
spirit of the report's two stories — a 连心卡 thrown away and picked back up, a first visit to a
mountain village's 6th group — written for Lianxin, through the same services an office uses:
two published (names taken out of the public copy), one waiting for review, one returned with
a comment, one kept as a plain diary. Run again, it adds nothing."""

from __future__ import annotations

import datetime as dt

from lianxin.accounts.choices import Role
from lianxin.accounts.models import User
from lianxin.core.models import today
from lianxin.geo.models import County
from lianxin.org.models import Cadre
from lianxin.pairing.models import Pairing
from lianxin.people.models import Household

from .models import Diary
from .services import do_publish_story, do_return_story, do_submit_story, do_write_diary

DEMO_CADRE_LOGIN = "malin"

# (title, text with {head} for the household head's name and {village}, days ago, outcome)
ENTRIES = [
    (
        "一张捡回来的连心卡",
        "第一次去{head}家，我把连心卡递过去，他接了，客气地说“晓得了”。出门时，我在院坝边的"
        "柴堆上看见了那张卡，还是新的。心里不好受，没有声张，第二个月又去了一趟，帮他把"
        "去年的医保报销单据理了一遍，跑了一趟镇上。第三次去，他从堂屋的相框后面摸出那张卡，"
        "说是孙女捡回来擦干净放的：“上回你们留的电话，我打通了。”卡片角上还有一点柴灰。",
        120,
        "published",
    ),
    (
        "第一次进六组",
        "{village}六组在半山上，十一户人家，最远的一户要走四十分钟的田坎路。第一次去，"
        "我背了一张手画的地图，每户门口记一个记号：谁家老人独居，谁家娃娃在外打工，"
        "谁家的水管冬天会冻。走完一圈天已经黑了。回来的路上想，地图画得再细，"
        "不如多走几趟，下个月争取每户都能叫出名字。",
        90,
        "published",
    ),
    (
        "院坝会上的一碗茶",
        "这个月在{village}开了第一次院坝会，来了十几户。{head}端来一碗老鹰茶，"
        "说路灯坏了半年，晚上接娃娃不方便。当场记下，会后报给了镇上。茶是苦的，话是实的。",
        30,
        "submitted",
    ),
    (
        "帮{head}跑残疾证",
        "{head}家的老人腿脚不便，残疾证一直没办下来。我陪着去了两趟医院做鉴定，"
        "材料交到了区残联。还差一个签字，下周再去。",
        20,
        "returned",
    ),
    (
        "雨天的电话",
        "连下三天雨，挨个给联系的户打了电话，问房子漏不漏、路断没断。都说还好。"
        "有一户说后山有点垮，已经告诉村上去看了。",
        5,
        "",
    ),
]
RETURN_COMMENT = "事情还没办完，等残疾证办下来再补上结果，会更完整。"


def build_demo_stories(county: County) -> int:
    """Write the demo cadre's diaries and put some forward; how many diaries were new."""
    user = User.objects.filter(county=county, username=DEMO_CADRE_LOGIN).first()
    cadre = Cadre.objects.filter(user=user).first() if user is not None else None
    if cadre is None or Diary.objects.filter(cadre=cadre).exists():
        return 0
    paired = list(
        Household.objects.filter(
            pk__in=Pairing.objects.filter(cadre=cadre).values("household_id")
        ).order_by("number")[:4]
    )
    if not paired:
        return 0
    reviewer = User.objects.filter(county=county, role=Role.CITY_ADMIN, is_active=True).first()
    written = 0
    for i, (title, text, days_ago, outcome) in enumerate(ENTRIES):
        household = paired[i % len(paired)]
        head = household.head
        words = {"head": head.name if head else "老乡", "village": household.village.short_name}
        diary = do_write_diary(
            acting_user=user,
            title=title.format(**words),
            text=text.format(**words),
            date=today() - dt.timedelta(days=days_ago),
            households=[household],
        )
        written += 1
        if not outcome:
            continue
        story = do_submit_story(diary, acting_user=user)
        if outcome == "published":
            do_publish_story(story, acting_user=reviewer)
        elif outcome == "returned":
            do_return_story(story, acting_user=reviewer, comment=RETURN_COMMENT)
    return written
