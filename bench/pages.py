"""The pages and API lists bench/bench_pages.py measures: the one list every new page joins.

Each entry is a page as a user opens it (path and query, with `{placeholders}` read from the
database by the SQL in PLACES), the demo login it is measured as, and its reference: one
hand-written SQL query fetching the same rows (and the count the page shows, where it shows
one) on the same database. A page a later issue adds joins by one `Page(...)` line here.

Users: `admin` sees the whole county, `wenjing` is a township's staff (文井江镇), `malin` a
cadre. The references take `:county`, `:township` and the placeholders' values as parameters
(named `:name`, rewritten to the driver's style).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

# The rates page's periods: this month, and its 近六个月 (six calendar months up to today).
# The app's today (Asia/Shanghai), not the machine's: from 16:00 UTC they differ.
_TODAY = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()
_HALF = dt.date(_TODAY.year - (_TODAY.month <= 5), (_TODAY.month - 6) % 12 + 1, 1)

# Values the paths and the references use, each one query on the built demo.
PLACES = {
    "county": "SELECT id FROM geo_county WHERE code = '510184'",
    # The township holding the most households (the "largest township").
    "big_township": (
        "SELECT township_id FROM people_household GROUP BY township_id"
        " ORDER BY COUNT(*) DESC, township_id LIMIT 1"
    ),
    "wenjing": "SELECT id FROM geo_region WHERE level = 'township' AND name = '文井江镇'",
    "daping": (
        "SELECT v.id FROM geo_region v JOIN geo_region t ON t.id = v.parent_id"
        " WHERE v.short_name = '大坪村' AND t.name = '文井江镇'"
    ),
    "household": "SELECT MIN(id) FROM people_household WHERE village_id = ("
    "SELECT v.id FROM geo_region v JOIN geo_region t ON t.id = v.parent_id"
    " WHERE v.short_name = '大坪村' AND t.name = '文井江镇')",
    # The demo cadre malin's first household today (我联系的户 and its visit form).
    "malin_household": (
        "SELECT MIN(p.household_id) FROM pairing_pairing p"
        " JOIN org_cadre c ON c.id = p.cadre_id JOIN accounts_user u ON u.id = c.user_id"
        " WHERE u.username = 'malin' AND p.valid_from <= CURRENT_DATE"
        " AND (p.valid_to IS NULL OR p.valid_to >= CURRENT_DATE)"
    ),
    # The last page of the county's household list (50 a page), and its offset.
    "deep_page": "SELECT (COUNT(*) + 49) / 50 FROM people_household",
    "deep_offset": "SELECT ((COUNT(*) + 49) / 50 - 1) * 50 FROM people_household",
    "month_start": f"SELECT '{_TODAY.replace(day=1)}'",
    "half_start": f"SELECT '{_HALF}'",
    "half_year": f"SELECT '{_HALF}..{_TODAY}'",
}

# Reference queries, shared where pages fetch the same rows.
_HOUSEHOLD_PAGE = """
SELECT h.id, h.number, h.address, g.name, v.name, t.name, r.name,
       (SELECT COUNT(*) FROM people_resident m WHERE m.household_id = h.id)
FROM people_household h
JOIN geo_region g ON g.id = h.region_id
JOIN geo_region v ON v.id = h.village_id
JOIN geo_region t ON t.id = h.township_id
LEFT JOIN people_resident r ON r.household_id = h.id AND r.relation = 'head'
WHERE h.county_id = :county {where}
ORDER BY h.number LIMIT 50 OFFSET {offset}
"""
_CHILD_COUNTS = """
SELECT h.{column}, COUNT(DISTINCT h.id), COUNT(r.id)
FROM people_household h LEFT JOIN people_resident r ON r.household_id = h.id
WHERE h.county_id = :county {where}
GROUP BY h.{column}
"""
_COVERAGE = """
SELECT COUNT(*), COUNT(p.id) FROM people_household h
LEFT JOIN pairing_pairing p ON p.household_id = h.id AND p.valid_from <= :today
  AND (p.valid_to IS NULL OR p.valid_to >= :today)
WHERE h.county_id = :county {where}
"""

# The rates page (lianxin.visits.rates): households met, talked to, and visit records by group
# in the period (the pairings' count, the page's denominator, is its own GROUP BY on top).
_RATES = """
SELECT {column},
  COUNT(DISTINCT CASE WHEN vh.met AND vh.mode IN ('in_person', 'meeting', 'met_elsewhere')
        THEN vh.household_id END),
  COUNT(DISTINCT CASE WHEN vh.met THEN vh.household_id END),
  COUNT(DISTINCT vh.visit_id)
FROM visits_visithousehold vh JOIN people_household h ON h.id = vh.household_id
WHERE vh.county_id = :county AND vh.pairing_id IS NOT NULL AND NOT vh.withdrawn
  AND vh.occurred_on >= :{start} AND vh.occurred_on <= :today {where}
GROUP BY {column}
"""


def _rates(column: str = "h.township_id", where: str = "", start: str = "month_start") -> str:
    return _RATES.format(column=column, where=where, start=start)


# 我联系的户: the cadre's households today, each with its head and its last visit.
_MINE = """
SELECT p.id, h.id, h.number, r.name, r.phone_enc,
       (SELECT MAX(vh.occurred_on) FROM visits_visithousehold vh
        WHERE vh.pairing_id = p.id AND NOT vh.withdrawn)
FROM pairing_pairing p
JOIN org_cadre c ON c.id = p.cadre_id JOIN accounts_user u ON u.id = c.user_id
JOIN people_household h ON h.id = p.household_id
LEFT JOIN people_resident r ON r.household_id = h.id AND r.relation = 'head'
WHERE u.username = 'malin' AND p.valid_from <= :today AND (p.valid_to IS NULL OR p.valid_to >= :today)
ORDER BY h.number
"""


@dataclass(frozen=True)
class Page:
    name: str
    path: str
    reference: str
    # Measured as each of these logins (a county-only page names only county users).
    users: tuple[str, ...] = ("admin", "wenjing")


def _households(where: str = "", offset: str = "0") -> str:
    return _HOUSEHOLD_PAGE.format(where=where, offset=offset)


PAGES: list[Page] = [
    Page("首页", "/", _COVERAGE.format(where="")),
    # A cadre's home is 我联系的户 (issue 10).
    Page("我联系的户（干部首页）", "/", _MINE, ("malin",)),
    Page(
        "登记走访表",
        "/visits/new/{malin_household}/",
        "SELECT id, name, relation FROM people_resident WHERE household_id = :malin_household",
        ("malin",),
    ),
    Page("县级下钻 /geo/", "/geo/", _CHILD_COUNTS.format(column="township_id", where="")),
    Page(
        "最大乡镇",
        "/geo/{big_township}/",
        _CHILD_COUNTS.format(column="village_id", where="AND h.township_id = :big_township"),
        ("admin",),
    ),
    Page(
        "村 大坪村",
        "/geo/{daping}/",
        _CHILD_COUNTS.format(column="region_id", where="AND h.village_id = :daping"),
    ),
    Page("户列表 第1页", "/people/households/", _households()),
    Page(
        "户列表 深页",
        "/people/households/?page={deep_page}",
        _households(offset="{deep_offset}"),
        ("admin",),
    ),
    Page(
        "户列表 拼音 lxz",
        "/people/households/?q=lxz",
        _households(
            where="AND h.id IN (SELECT household_id FROM people_resident"
            " WHERE name_initials LIKE 'lxz%')"
        ),
    ),
    Page(
        "查找 lxz",
        "/people/search/?q=lxz",
        "SELECT id, name, household_id FROM people_resident"
        " WHERE county_id = :county AND name_initials LIKE 'lxz%' LIMIT 20",
    ),
    Page("居民列表", "/people/residents/", _households()),
    Page("干部列表", "/org/cadres/", "SELECT id, name, unit_id FROM org_cadre LIMIT 50"),
    Page("单位列表", "/org/units/", "SELECT id, name FROM org_unit ORDER BY name"),
    Page("覆盖情况", "/pairing/coverage/", _COVERAGE.format(where="")),
    # A list longer than LIANXIN_SYNC_EXPORT_ROWS (2,000) answers the page that offers the
    # export job: the county's gap list on a day early in the program (4,702 households at
    # scale 1). Today's county gap list (1,763 households) and one village's are the file
    # itself, written while the user waits.
    Page(
        "覆盖情况 导出（全县，2014-06-01，后台任务确认页）",
        "/pairing/coverage/export/?list=households&on=2014-06-01",
        _COVERAGE.format(where=""),
        ("admin",),
    ),
    Page(
        "覆盖情况 xlsx（全县未结对户）",
        "/pairing/coverage/export/?list=households",
        _COVERAGE.format(where=""),
        ("admin",),
    ),
    Page(
        "覆盖情况 xlsx（大坪村）",
        "/pairing/coverage/export/?list=households&village={daping}",
        _COVERAGE.format(where="AND h.village_id = :daping"),
    ),
    Page(
        "户详情",
        "/people/households/{household}/",
        "SELECT * FROM people_household WHERE id = :household",
    ),
    Page("API 户 第1页", "/api/households", _households()),
    Page(
        "API 户 offset 200000",
        "/api/households?offset=200000",
        _households(offset="200000"),
        ("admin",),
    ),
    Page(
        "API 户详情",
        "/api/households/{household}",
        "SELECT * FROM people_household WHERE id = :household",
    ),
    Page("API 居民", "/api/residents", _households()),
    Page("API 覆盖", "/api/coverage", _COVERAGE.format(where="")),
    Page("API 覆盖 未结对户", "/api/coverage/households", _COVERAGE.format(where="")),
    Page("API 覆盖 干部", "/api/coverage/cadres", _COVERAGE.format(where="")),
    Page("API 覆盖 分区域", "/api/coverage/regions", _COVERAGE.format(where="")),
    Page("API 覆盖 单位", "/api/coverage/units", _COVERAGE.format(where="")),
    # Issue 10: the visit history, notices and stories.
    Page(
        "走访记录",
        "/visits/",
        "SELECT id, occurred_on, mode, cadre_id FROM visits_visit WHERE county_id = :county"
        " AND withdrawn_at IS NULL ORDER BY occurred_on DESC, id DESC LIMIT 50",
        ("admin", "wenjing", "malin"),
    ),
    Page(
        "走访记录 户",
        "/visits/?household={household}",
        "SELECT visit_id FROM visits_visithousehold WHERE household_id = :household"
        " ORDER BY occurred_on DESC LIMIT 50",
    ),
    Page(
        "API 走访记录",
        "/api/visits",
        "SELECT id, occurred_on, mode, cadre_id FROM visits_visit WHERE county_id = :county"
        " AND withdrawn_at IS NULL ORDER BY occurred_on DESC, id DESC LIMIT 50",
        ("admin", "malin"),
    ),
    Page(
        "通知",
        "/notices/",
        "SELECT * FROM notices_notice ORDER BY day DESC, id DESC LIMIT 50",
        ("admin", "wenjing", "malin"),
    ),
    Page(
        "我的日记",
        "/stories/diaries/",
        "SELECT * FROM stories_diary ORDER BY date DESC, id DESC LIMIT 50",
        ("malin",),
    ),
    Page(
        "暖心故事审核",
        "/stories/review/",
        "SELECT * FROM stories_story WHERE status = 'submitted' ORDER BY submitted_at LIMIT 50",
        ("admin",),
    ),
    Page(
        "暖心故事（公开）",
        "/stories/",
        "SELECT * FROM stories_story WHERE status = 'published'"
        " ORDER BY published_at DESC LIMIT 10",
        ("admin",),
    ),
    Page("走访统计 按乡镇 本月", "/visits/rates/", _rates(), ("admin",)),
    Page(
        "走访统计 按乡镇 近六个月",
        "/visits/rates/?period={half_year}",
        _rates(start="half_start"),
        ("admin",),
    ),
    Page(
        "走访统计 文井江镇 按村",
        "/visits/rates/?level=village&region={wenjing}",
        _rates("h.village_id", "AND h.township_id = :wenjing"),
    ),
    Page(
        "走访统计 大坪村 按干部",
        "/visits/rates/?level=cadre&region={daping}",
        _rates("vh.cadre_id", "AND h.village_id = :daping"),
    ),
    Page("走访统计 按单位", "/visits/rates/?level=unit", _rates("vh.cadre_id"), ("admin",)),
    Page("走访统计 干部本人", "/visits/rates/", _rates("vh.cadre_id"), ("malin",)),
    Page("API 走访统计 按乡镇", "/api/rates?level=township", _rates(), ("admin",)),
    Page(
        "审计日志",
        "/audit/",
        "SELECT * FROM audit_auditentry ORDER BY id DESC LIMIT 50",
        ("auditor",),
    ),
]
