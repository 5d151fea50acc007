"""Fixed facts of the demo county: its units, leaders' posts, staff posts and demo accounts.

Names follow a county-level city's party and government bodies; the departments that handle
demands are read from lianxin/data/demand-categories.csv so routing and the demo agree.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from lianxin.accounts.choices import Role
from lianxin.org.choices import UnitKind

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
DIVISIONS_CSV = DATA_DIR / "chongzhou-divisions-2014.csv"
CATEGORIES_CSV = DATA_DIR / "demand-categories.csv"

COUNTY_CODE = "510184"
COUNTY_NAME = "崇州市"
# The report: the mobilisation meeting was held "early last November" (2013).
LAUNCH = dt.date(2013, 11, 1)
# Ages are those of the 2014 register, so a given seed always yields the same ID numbers.
REGISTER_DAY = dt.date(2014, 6, 30)
UNIT_COUNT = 115
LEADER_COUNT = 28
DEMO_PASSWORD = "lianxin2014"
# The one audit action that marks a finished build; its changes hold the seed and scale.
BUILD_ACTION = "生成演示数据"


@dataclass(frozen=True)
class UnitSpec:
    """A unit of the demo: name, kind, whether it handles demands."""

    name: str
    kind: str
    handles_demands: bool = False
    short_name: str = ""
    township: str = ""  # short name of the township, for township governments


def _full_department_name(name: str) -> str:
    """'市民政局' -> '崇州市民政局', '市委组织部' -> '中共崇州市委组织部'."""
    if name.startswith("市委"):
        return f"中共崇州{name}"
    if name.startswith("市"):
        return f"崇州{name}"
    return name


@cache
def demand_departments() -> tuple[str, ...]:
    """Full names of the departments demands are routed to by default (townships excluded)."""
    with CATEGORIES_CSV.open(encoding="utf-8") as stream:
        names = [row["default_department"] for row in csv.DictReader(stream)]
    seen: dict[str, None] = {}
    for name in names:
        if "乡镇" not in name:
            seen[_full_department_name(name)] = None
    return tuple(seen)


@cache
def divisions() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(township, its villages) in the order of the 2014 table — the order house numbers use."""
    order: dict[str, list[str]] = {}
    with DIVISIONS_CSV.open(encoding="utf-8") as stream:
        for row in csv.DictReader(stream):
            order.setdefault(row["township"], []).append(row["village"])
    return tuple((t, tuple(v)) for t, v in order.items())


# The units besides the departments demands are routed to and the township governments. How
# many cadres each has follows its zone's households (builder.cadre_counts), not its kind.
_PARTY_ORGANS = (
    "中共崇州市委办公室",
    "中共崇州市纪律检查委员会",
    "中共崇州市委宣传部",
    "中共崇州市委统一战线工作部",
    "中共崇州市委政法委员会",
    "中共崇州市委政策研究室",
    "中共崇州市委机构编制委员会办公室",
    "中共崇州市委党校",
    "中共崇州市委老干部局",
    "中共崇州市直属机关工作委员会",
)
_CITY_DEPARTMENTS = (
    "崇州市人民政府办公室",
    "崇州市发展和改革局",
    "崇州市财政局",
    "崇州市审计局",
    "崇州市统计局",
    "崇州市商务局",
    "崇州市市场监督管理局",
    "崇州市应急管理局",
    "崇州市退役军人事务局",
    "崇州市医疗保障局",
    "崇州市科学技术局",
    "崇州市城市管理局",
    "崇州市信访局",
    "崇州市投资促进局",
    "崇州市机关事务管理局",
    "崇州市行政审批局",
    "崇州市林业和园林管理局",
    "国家税务总局崇州市税务局",
    "崇州市气象局",
)
_OTHER = (
    "崇州市人大常委会办公室",
    "政协崇州市委员会办公室",
    "崇州市人民法院",
    "崇州市人民检察院",
    "崇州市人民武装部",
    "崇州市供销合作社联合社",
)
_MASS_ORGANISATIONS = (
    "崇州市总工会",
    "共青团崇州市委员会",
    "崇州市妇女联合会",
    "崇州市科学技术协会",
    "崇州市残疾人联合会",
    "崇州市工商业联合会",
    "崇州市文学艺术界联合会",
    "崇州市红十字会",
    "崇州市归国华侨联合会",
)
_PUBLIC_INSTITUTIONS = (
    "崇州市人民医院",
    "崇州市中医医院",
    "崇州市妇幼保健院",
    "崇州市疾病预防控制中心",
    "崇州市第二人民医院",
    "四川省崇庆中学",
    "崇州市蜀城中学",
    "崇州市崇州中学",
    "崇州市职业教育培训中心",
    "崇州市广播电视台",
    "崇州市图书馆",
    "崇州市文化馆",
    "崇州市农业技术推广服务中心",
    "崇州市社会保险事业管理局",
    "崇州市就业服务管理局",
    "崇州市不动产登记中心",
    "崇州市罨画池博物馆",
    "崇州市社会福利院",
)
_STATE_ENTERPRISES = (
    "崇州市自来水公司",
    "国网四川省电力公司崇州市供电分公司",
    "崇州市国有资产投资经营有限公司",
    "崇州市城市建设投资有限公司",
    "中国移动通信集团四川有限公司崇州分公司",
    "中国电信股份有限公司崇州分公司",
    "中国联合网络通信有限公司崇州市分公司",
    "中国邮政集团公司崇州市分公司",
    "四川崇州农村商业银行股份有限公司",
    "崇州市公共交通有限公司",
    "崇州市燃气有限责任公司",
    "崇州市粮油储备有限公司",
    "崇州市农业投资有限公司",
)


def township_unit_name(township: str) -> str:
    """The government of a township as a unit: '文井江镇人民政府', '崇阳街道办事处'."""
    return township if township.endswith("办事处") else f"{township}人民政府"


@cache
def units() -> tuple[UnitSpec, ...]:
    """The 115 units with a responsibility zone, in a fixed order (it numbers their staff)."""
    from lianxin.lib.names import short_region_name

    handlers = demand_departments()
    specs: list[UnitSpec] = []
    for name in handlers:
        kind = UnitKind.PARTY_ORGAN if name.startswith("中共") else UnitKind.CITY_DEPARTMENT
        specs.append(UnitSpec(name, kind, handles_demands=True))
    for group, kind in (
        (_PARTY_ORGANS, UnitKind.PARTY_ORGAN),
        (_CITY_DEPARTMENTS, UnitKind.CITY_DEPARTMENT),
        (_OTHER, UnitKind.OTHER),
        (_MASS_ORGANISATIONS, UnitKind.MASS_ORGANISATION),
        (_PUBLIC_INSTITUTIONS, UnitKind.PUBLIC_INSTITUTION),
        (_STATE_ENTERPRISES, UnitKind.STATE_ENTERPRISE),
    ):
        specs.extend(UnitSpec(n, kind) for n in group if n not in handlers)
    for township, _villages in divisions():
        short = short_region_name(township)
        specs.append(
            UnitSpec(
                township_unit_name(township),
                UnitKind.TOWNSHIP_GOVERNMENT,
                # Demands in no department's field go to the township (category OTHER).
                handles_demands=True,
                short_name=short,
                township=short,
            )
        )
    assert len({s.name for s in specs}) == len(specs), "duplicate unit names"
    if len(specs) != UNIT_COUNT:
        raise ValueError(f"demo catalogue has {len(specs)} units, the report has {UNIT_COUNT}")
    return tuple(specs)


# Zones the stories in the report name: the propaganda department's staffer visits 大坪村 6组,
# the organisation department's section chief 道明镇三龙村 (the civil affairs bureau takes it in
# the test world; here the department of the story does).
STORY_ZONES = {
    "中共崇州市委宣传部": ("文井江镇", "大坪村"),
    "中共崇州市委组织部": ("道明镇", "三龙村"),
    "崇州市民政局": ("道明镇", "升平村"),
}
# Deliberate gaps (docs/demo.md, "Deliberate gaps"): everything else can be covered under the
# demo's policy, these three are left for the coverage page (覆盖情况) to show.
# 1. A unit whose zone is not assigned yet: its cadres are registered (as many as the village
#    meant for it needs) but have no households, and that village has no unit.
PENDING_UNIT = "崇州市归国华侨联合会"
PENDING_VILLAGE = ("崇阳街道", "西桥社区")
# 2. A small unit with a large zone, staffed for three fifths of it at the policy's upper bound:
#    the run's shortfall (缺口) says how many cadres it lacks.
SHORT_UNIT = "崇州市气象局"
SHORT_ZONE = (("大划镇", "崇镇村"), ("大划镇", "德寿村"), ("大划镇", "登田村"))
SHORT_SHARE = 0.6

# Cadres named in the report, registered first in their unit: (name, post).
STORY_CADRES = {
    "中共崇州市委宣传部": [("马林增", "网信办干部")],
    "中共崇州市委组织部": [("李艾国", "组织科科长")],
}

# The 28 city leaders (市级领导) and the office each belongs to.
PARTY_OFFICE = "中共崇州市委办公室"
GOVERNMENT_OFFICE = "崇州市人民政府办公室"
LEADER_POSTS: tuple[tuple[str, str], ...] = (
    (PARTY_OFFICE, "市委书记"),
    (GOVERNMENT_OFFICE, "市委副书记、市长"),
    (PARTY_OFFICE, "市委副书记"),
    (PARTY_OFFICE, "市人大常委会主任"),
    (PARTY_OFFICE, "市政协主席"),
    (GOVERNMENT_OFFICE, "市委常委、常务副市长"),
    (PARTY_OFFICE, "市委常委、纪委书记"),
    (PARTY_OFFICE, "市委常委、组织部部长"),
    (PARTY_OFFICE, "市委常委、宣传部部长"),
    (PARTY_OFFICE, "市委常委、政法委书记"),
    (PARTY_OFFICE, "市委常委、统战部部长"),
    (PARTY_OFFICE, "市委常委、市委办公室主任"),
    (PARTY_OFFICE, "市委常委、人武部部长"),
    (GOVERNMENT_OFFICE, "市委常委、副市长"),
    (GOVERNMENT_OFFICE, "副市长"),
    (GOVERNMENT_OFFICE, "副市长"),
    (GOVERNMENT_OFFICE, "副市长"),
    (GOVERNMENT_OFFICE, "副市长"),
    (GOVERNMENT_OFFICE, "副市长"),
    (GOVERNMENT_OFFICE, "市政府党组成员"),
    (PARTY_OFFICE, "市人大常委会副主任"),
    (PARTY_OFFICE, "市人大常委会副主任"),
    (PARTY_OFFICE, "市人大常委会副主任"),
    (PARTY_OFFICE, "市人大常委会副主任"),
    (PARTY_OFFICE, "市政协副主席"),
    (PARTY_OFFICE, "市政协副主席"),
    (PARTY_OFFICE, "市政协副主席"),
    (PARTY_OFFICE, "市政协副主席"),
)
assert len(LEADER_POSTS) == LEADER_COUNT


def head_title(unit: UnitSpec) -> str:
    """The title of a unit's head, from how its name ends."""
    name = unit.name
    if unit.kind == UnitKind.TOWNSHIP_GOVERNMENT:
        if name.endswith("办事处"):
            return "主任"
        return "乡长" if unit.township.endswith("乡") else "镇长"
    for suffix, title in (
        ("纪律检查委员会", "书记"),
        ("政法委员会", "书记"),
        ("工作委员会", "书记"),
        ("党校", "常务副校长"),
        ("检察院", "检察长"),
        ("法院", "院长"),
        ("医院", "院长"),
        ("保健院", "院长"),
        ("福利院", "院长"),
        ("中学", "校长"),
        ("共青团崇州市委员会", "书记"),
        ("部", "部长"),
        ("局", "局长"),
        ("室", "主任"),
        ("中心", "主任"),
        ("台", "台长"),
        ("馆", "馆长"),
        ("公司", "总经理"),
        ("分公司", "总经理"),
        ("会", "主席"),
        ("社", "主任"),
    ):
        if name.endswith(suffix):
            return title
    return "负责人"


# Middle and staff posts by the kind of workplace.
_POSTS_BY_WORKPLACE = {
    "government": (("科长", "副科长", "股长"), ("科员", "科员", "科员", "办事员", "工作人员")),
    "township": (
        ("党政办主任", "经济发展办主任", "社会事务办主任", "副主任科员"),
        ("科员", "驻村干部", "驻村干部", "办事员", "大学生村官", "工作人员"),
    ),
    "hospital": (("科主任", "护士长", "副主任医师"), ("医师", "医师", "护士", "护士", "药剂师")),
    "school": (("教务主任", "年级组长", "教研组长"), ("教师", "教师", "教师", "教师", "职员")),
    "enterprise": (("部门经理", "副经理", "班组长"), ("职工", "职工", "技术员", "客户经理")),
    "mass": (("部长", "副部长"), ("干事", "干事", "工作人员")),
}


def workplace(unit: UnitSpec) -> str:
    if unit.kind == UnitKind.TOWNSHIP_GOVERNMENT:
        return "township"
    if unit.kind == UnitKind.STATE_ENTERPRISE:
        return "enterprise"
    if unit.kind == UnitKind.MASS_ORGANISATION:
        return "mass"
    if unit.name.endswith(("医院", "保健院")):
        return "hospital"
    if unit.name.endswith("中学"):
        return "school"
    return "government"


def staff_posts(unit: UnitSpec) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(middle posts, staff posts) for a unit."""
    return _POSTS_BY_WORKPLACE[workplace(unit)]


@dataclass(frozen=True)
class AccountSpec:
    """A demo login: what the lead and testers sign in as."""

    username: str
    role: str
    full_name: str
    region: tuple[str, ...] = ()  # (township,) or (township, village), short names
    unit: str = ""
    can_reveal: bool = False
    cadre: str = ""  # name of the cadre this login belongs to


ACCOUNTS: tuple[AccountSpec, ...] = (
    AccountSpec("admin", Role.CITY_ADMIN, "市委组织部管理员", can_reveal=True),
    AccountSpec("wenjing", Role.TOWNSHIP_STAFF, "文井江镇工作人员", ("文井江镇",), can_reveal=True),
    AccountSpec("daping", Role.VILLAGE_STAFF, "大坪村工作人员", ("文井江镇", "大坪村")),
    AccountSpec("malin", Role.CADRE, "马林增", unit="中共崇州市委宣传部", cadre="马林增"),
    AccountSpec("minzheng", Role.HANDLER, "民政局办理人员", unit="崇州市民政局"),
    AccountSpec("info", Role.INFO_GROUP, "信息处理组"),
    AccountSpec("leader", Role.LEADER, "市级领导（只读）"),
    AccountSpec("sysadmin", Role.SYSTEM_ADMIN, "系统管理员"),
    AccountSpec("secadmin", Role.SECURITY_ADMIN, "安全管理员"),
    AccountSpec("auditor", Role.AUDIT_ADMIN, "审计管理员"),
    AccountSpec("daoming", Role.TOWNSHIP_STAFF, "道明镇工作人员", ("道明镇",), can_reveal=True),
)
