"""/api/households, /api/residents, /api/enterprises, /api/search: the registry pages as data.

Same filters (people.filters) and same scope as the pages; ID numbers and phones only ever
leave masked, except through the audited reveal endpoint.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import Http404
from ninja import Field, Query, Router, Schema, Status

from lianxin.core.access import get_visible_or_404
from lianxin.core.api import PageParams, RowId, documented, page_of
from lianxin.core.errors import Refused
from lianxin.core.fields import schema_field
from lianxin.geo.api import RegionRef
from lianxin.geo.filters import get_region_or_404
from lianxin.people import numbering, services

from .choices import HardshipKind, Sex, Trade
from .filters import (
    AGE_RULE,
    age_by_year,
    enterprise_rows,
    filter_enterprises,
    filter_households,
    filter_residents,
    household_rows,
    resident_rows,
    search,
)
from .models import Enterprise, Household, HouseholdHardship, HouseholdNumberRule, Resident

router = Router()

NO_WRITE = "您没有登记或修改户籍信息的权限"


def _writer(user) -> None:
    if not user.writes_registry:
        raise Refused(NO_WRITE, status=403)


def _region_for_write(user, region_id: int):
    """The region a new row goes to, looked up through the user's scope."""
    try:
        return get_region_or_404(user, region_id)
    except Http404:
        raise Refused("所选区域不存在或不在您的权限范围内", field="region_id", status=404) from None


# Schemas ---------------------------------------------------------------------------------


class CadreRef(Schema):
    id: int
    name: str
    unit: str
    phone_masked: str = Field(description="脱敏电话")

    @staticmethod
    def resolve_unit(obj) -> str:
        return str(obj.unit)


class HardshipOut(Schema):
    id: int
    kind: str
    label: str
    valid_from: dt.date
    valid_to: dt.date | None
    note: str

    @staticmethod
    def resolve_label(obj: HouseholdHardship) -> str:
        return obj.get_kind_display()


class PairingOut(Schema):
    cadre: CadreRef
    valid_from: dt.date
    valid_to: dt.date | None
    locked: bool


class HouseholdOut(Schema):
    id: int
    number: str = Field(description="户号")
    address: str
    township: RegionRef
    village: RegionRef
    region: RegionRef = Field(description="所在组（或直属的村）")
    head_name: str | None = Field(description="户主姓名；未登记户主时为空")
    member_count: int
    hardships: list[HardshipOut] = Field(description="当前的困难类型")
    cadre: CadreRef | None = Field(description="当前结对干部；未结对时为空")

    @staticmethod
    def resolve_head_name(obj: Household) -> str | None:
        heads = obj.heads  # type: ignore[attr-defined]
        return heads[0].name if heads else None

    @staticmethod
    def resolve_hardships(obj: Household) -> list:
        return obj.current_hardship_list  # type: ignore[attr-defined]

    @staticmethod
    def resolve_cadre(obj: Household):
        pairings = obj.current_pairings  # type: ignore[attr-defined]
        return pairings[0].cadre if pairings else None


class MemberOut(Schema):
    id: int
    name: str
    relation: str
    relation_label: str
    sex: str
    sex_label: str
    age: int = Field(description=f"年龄，{AGE_RULE}；出生日期不单独提供（它是身份证号的一部分）")
    id_number_masked: str = Field(description="脱敏身份证号，如 510184********1234")
    phone_masked: str = Field(description="脱敏手机号，如 138****1234；未登记为空")

    @staticmethod
    def resolve_relation_label(obj: Resident) -> str:
        return obj.get_relation_display()

    @staticmethod
    def resolve_sex_label(obj: Resident) -> str:
        return obj.get_sex_display()

    @staticmethod
    def resolve_age(obj: Resident) -> int:
        return age_by_year(obj.birth_year)


class HouseholdDetailOut(HouseholdOut):
    members: list[MemberOut]
    hardship_history: list[HardshipOut] = Field(description="全部困难类型记录，含已结束的")
    pairings: list[PairingOut] = Field(description="结对记录，最近的在前")

    @staticmethod
    def resolve_members(obj: Household) -> list[Resident]:
        return list(obj.members.order_by("id"))

    @staticmethod
    def resolve_hardship_history(obj: Household) -> list[HouseholdHardship]:
        return list(obj.hardships.order_by("-valid_from", "-id"))

    @staticmethod
    def resolve_pairings(obj: Household) -> list:
        return list(obj.pairings.select_related("cadre__unit").order_by("-valid_from", "-id"))


class HouseholdPage(Schema):
    count: int
    items: list[HouseholdOut]


class ResidentOut(MemberOut):
    name_initials: str
    household_id: int
    household_number: str
    township: RegionRef
    village: RegionRef
    region: RegionRef

    @staticmethod
    def resolve_household_number(obj: Resident) -> str:
        return obj.household.number

    @staticmethod
    def resolve_township(obj: Resident):
        return obj.household.township

    @staticmethod
    def resolve_village(obj: Resident):
        return obj.household.village

    @staticmethod
    def resolve_region(obj: Resident):
        return obj.household.region


class ResidentPage(Schema):
    count: int
    items: list[ResidentOut]


class EnterpriseOut(Schema):
    id: int
    name: str
    credit_code: str
    trade: str
    trade_label: str
    township: RegionRef
    village: RegionRef
    region: RegionRef
    address: str

    @staticmethod
    def resolve_trade_label(obj: Enterprise) -> str:
        return obj.get_trade_display()


class EnterprisePage(Schema):
    count: int
    items: list[EnterpriseOut]


class SearchOut(Schema):
    q: str = Field(description="查询内容（身份证号、手机号已脱敏）")
    matched_by: list[str]
    note: str
    more: list[str] = Field(description="超过50条只返回前50条的分组")
    residents: list[ResidentOut]
    households: list[HouseholdOut]
    enterprises: list[EnterpriseOut]


class HouseholdFilters(PageParams):
    township: RowId | None = Field(None, description="乡镇（街道）id")
    village: RowId | None = Field(None, description="村（社区）id")
    group: RowId | None = Field(None, description="组 id")
    hardship: HardshipKind | None = Field(None, description="当前登记有该困难类型")
    has_hardship: bool | None = Field(None, description="是否为困难群众户")
    cadre: RowId | None = Field(None, description="干部 id：当前与该干部结对的户")
    q: str | None = Field(None, description="户号、户主姓名或户主拼音首字母（均为前缀）")


class ResidentFilters(PageParams):
    name: str | None = Field(None, description="姓名（前缀：“李秀”找到李秀珍）")
    initials: str | None = Field(None, description="姓名拼音首字母（前缀），如 zsf")
    township: RowId | None = None
    village: RowId | None = None
    group: RowId | None = None
    household: RowId | None = Field(None, description="户 id")
    sex: Sex | None = None
    age_min: int | None = Field(None, ge=0, le=150, description=f"最小年龄。{AGE_RULE}")
    age_max: int | None = Field(None, ge=0, le=150, description=f"最大年龄。{AGE_RULE}")


class EnterpriseFilters(PageParams):
    trade: Trade | None = Field(None, description="行业门类（GB/T 4754 门类字母）")
    township: RowId | None = None
    village: RowId | None = None
    q: str | None = Field(None, description="名称（包含）或拼音首字母（前缀）")
    credit_code: str | None = Field(None, description="统一社会信用代码（完整）")


# Text fields document their column's limits (lianxin.core.fields); the services enforce
# them, answering 400 with the same Chinese message as the pages.
class HouseholdIn(Schema):
    number: str = schema_field(
        Household,
        "number",
        description="户号，须符合本县户号规则（见 GET /api/households/number-rule），否则 400",
    )
    region_id: RowId = Field(description="所在组或村（社区）的 id")
    address: str = schema_field(Household, "address", "")
    hardships: list[str] = Field(default_factory=list, description="困难类型代码")
    hardship_since: dt.date | None = None


class NumberRuleOut(Schema):
    pattern: str = Field(
        description="整个户号须与之完全匹配的规则：正则表达式中不会回溯失控的一小部分"
        "（字母数字、\\d、[A-Z]、(510184|510129)，各加 {n}、{m,n} 或 ?），见 docs/operations.md"
    )
    description: str = Field(description="规则说明，接在“户号须为”之后")
    message: str = Field(description="户号不符合时的提示，如“户号须为 17 位数字：…”")
    custom: bool = Field(description="是否为本县自定规则（否则为默认规则）")


class NumberRuleIn(Schema):
    pattern: str = schema_field(
        HouseholdNumberRule,
        "pattern",
        description="规则（写法见 NumberRuleOut.pattern）；空字符串表示恢复默认规则",
    )
    description: str = schema_field(HouseholdNumberRule, "description", "")
    reason: str = Field("", max_length=200, description="修改事由，记入审计日志")


class ResidentIn(Schema):
    name: str = schema_field(Resident, "name")
    id_number: str = Field(description="18位身份证号（保存后只以脱敏形式返回）")
    relation: str = Field(description="与户主关系代码，如 head、spouse、child")
    phone: str = ""


class EnterpriseIn(Schema):
    name: str = schema_field(Enterprise, "name")
    credit_code: str
    trade: str = Field(description="行业门类字母")
    region_id: int
    address: str = schema_field(Enterprise, "address", "")


class ResidentRevealIn(Schema):
    # The enum and the minimum length are documented here and enforced by do_reveal, which
    # answers 400 with its Chinese message (after the permission check, so 403 comes first).
    field: str = Field(
        description="id_number 或 phone", json_schema_extra={"enum": ["id_number", "phone"]}
    )
    reason: str = Field(
        description="查看事由，至少2个字，记入审计日志", json_schema_extra={"minLength": 2}
    )


class ResidentRevealOut(Schema):
    value: str


def _params(filters: Schema) -> dict[str, Any]:
    return filters.dict(exclude_none=True)


def _household_detail(household: Household) -> Household:
    """One household (already checked against the scope) with everything the answer shows."""
    return household_rows(Household.objects.filter(pk=household.pk)).get()


# Households ------------------------------------------------------------------------------


@router.get(
    "/households",
    tags=["户"],
    summary="户列表",
    description="筛选参数与“户”页面相同。",
    **documented(HouseholdPage, 401, 422),
)
def household_list(request, filters: Query[HouseholdFilters]):
    qs = filter_households(Household.objects.visible_to(request.user), _params(filters))
    return page_of(household_rows(qs), filters)


@router.get(
    "/households/number-rule",
    tags=["户"],
    summary="本县户号规则",
    description="新建户、批量导入都按此规则检查户号。",
    **documented(NumberRuleOut, 403),
)
def number_rule(request):
    if not request.user.sees_people:
        raise Refused("您没有查看户籍信息的权限", status=403)
    return numbering.rule_for(request.user.county)


@router.put(
    "/households/number-rule",
    tags=["户"],
    summary="设置本县户号规则",
    description="仅市级管理员；规则须适用于本县已登记的所有户号，否则返回 409。",
    **documented(NumberRuleOut, 400, 403, 409, 422),
)
def number_rule_set(request, payload: NumberRuleIn):
    return services.do_set_household_number_rule(
        county=request.user.county,
        pattern=payload.pattern,
        description=payload.description,
        reason=payload.reason,
        acting_user=request.user,
    )


@router.get(
    "/households/{household_id}",
    tags=["户"],
    summary="户详情",
    description="成员（身份证号、电话脱敏）、困难类型、当前结对干部和结对记录。",
    **documented(HouseholdDetailOut, 401, 404, 422),
)
def household_detail(request, household_id: int):
    return _household_detail(get_visible_or_404(Household, request.user, household_id))


@router.post(
    "/households",
    tags=["户"],
    summary="新建户",
    **documented(HouseholdDetailOut, 400, 401, 403, 404, 409, 422, status=201),
)
def household_create(request, payload: HouseholdIn):
    _writer(request.user)
    household = services.do_create_household(
        county=request.user.county,
        number=payload.number,
        region=_region_for_write(request.user, payload.region_id),
        address=payload.address,
        hardships=payload.hardships,
        hardship_since=payload.hardship_since,
        acting_user=request.user,
    )
    return Status(201, _household_detail(household))


@router.post(
    "/households/{household_id}/residents",
    tags=["户"],
    summary="登记户成员",
    description="身份证号重复时返回 409；在您范围内的已登记记录会在 detail 中指明。",
    **documented(ResidentOut, 400, 401, 403, 404, 409, 422, status=201),
)
def resident_create(request, household_id: int, payload: ResidentIn):
    household = get_visible_or_404(Household, request.user, household_id, write=True)
    resident = services.do_create_resident(
        household=household,
        name=payload.name,
        id_number=payload.id_number,
        relation=payload.relation,
        phone=payload.phone,
        acting_user=request.user,
    )
    return Status(201, resident_rows(Resident.objects.filter(pk=resident.pk)).get())


# Residents -------------------------------------------------------------------------------


@router.get(
    "/residents",
    tags=["居民"],
    summary="居民列表",
    description="筛选参数与“居民”页面相同；身份证号、电话脱敏。",
    **documented(ResidentPage, 401, 422),
)
def resident_list(request, filters: Query[ResidentFilters]):
    qs = filter_residents(Resident.objects.visible_to(request.user), _params(filters))
    return page_of(resident_rows(qs), filters)


@router.get(
    "/residents/{resident_id}",
    tags=["居民"],
    summary="居民详情",
    **documented(ResidentOut, 401, 404, 422),
)
def resident_detail(request, resident_id: int):
    resident = get_visible_or_404(Resident, request.user, resident_id)
    return resident_rows(Resident.objects.filter(pk=resident.pk)).get()


@router.post(
    "/residents/{resident_id}/reveal",
    tags=["居民"],
    summary="查看完整身份证号或电话",
    description="需要“可查看完整信息”权限和查看事由（至少2个字）；每次查看都记入审计日志。",
    **documented(ResidentRevealOut, 400, 401, 403, 404, 422),
)
def resident_reveal(request, resident_id: int, payload: ResidentRevealIn):
    # Scope first: an outsider learns nothing (404), not even that they lack the permission.
    resident = get_visible_or_404(Resident, request.user, resident_id)
    value = services.do_reveal(
        resident, payload.field, acting_user=request.user, reason=payload.reason
    )
    return {"value": value}


# Enterprises -----------------------------------------------------------------------------


@router.get(
    "/enterprises",
    tags=["企业"],
    summary="企业列表",
    description="筛选参数与“企业”页面相同。",
    **documented(EnterprisePage, 401, 422),
)
def enterprise_list(request, filters: Query[EnterpriseFilters]):
    qs = filter_enterprises(Enterprise.objects.visible_to(request.user), _params(filters))
    return page_of(enterprise_rows(qs), filters)


@router.get(
    "/enterprises/{enterprise_id}",
    tags=["企业"],
    summary="企业详情",
    **documented(EnterpriseOut, 401, 404, 422),
)
def enterprise_detail(request, enterprise_id: int):
    enterprise = get_visible_or_404(Enterprise, request.user, enterprise_id)
    return enterprise_rows(Enterprise.objects.filter(pk=enterprise.pk)).get()


@router.post(
    "/enterprises",
    tags=["企业"],
    summary="登记企业",
    **documented(EnterpriseOut, 400, 401, 403, 404, 409, 422, status=201),
)
def enterprise_create(request, payload: EnterpriseIn):
    _writer(request.user)
    enterprise = services.do_create_enterprise(
        county=request.user.county,
        name=payload.name,
        credit_code=payload.credit_code,
        trade=payload.trade,
        region=_region_for_write(request.user, payload.region_id),
        address=payload.address,
        acting_user=request.user,
    )
    return Status(201, enterprise_rows(Enterprise.objects.filter(pk=enterprise.pk)).get())


# Search ----------------------------------------------------------------------------------


class SearchIn(Schema):
    q: str = Field(
        max_length=200, description="查询内容：姓名、拼音首字母、完整身份证号、手机号、户号等"
    )


def _search_answer(user, q: str) -> dict[str, Any]:
    results = search(user, q)
    return {
        "q": results.shown_q,
        "matched_by": results.matched_by,
        "note": results.note,
        "more": results.more,
        "residents": results.residents,
        "households": results.households,
        "enterprises": results.enterprises,
    }


@router.get(
    "/search",
    tags=["查找"],
    summary="查找居民、户和企业",
    description="按姓名（前缀）、拼音首字母（如 zsf）、户号（前缀）、企业名称或统一社会信用代码查找；"
    "每组最多50条，只含您权限范围内的记录。完整身份证号或手机号不能放在网址里（会进日志和浏览器历史），"
    "这样的查询答 400，请改用 POST /api/search。",
    **documented(SearchOut, 400),
)
def search_endpoint(request, q: str = ""):
    # A q holding an ID number or phone never gets here: SensitiveQueryMiddleware answers 400.
    return _search_answer(request.user, q)


@router.post(
    "/search",
    tags=["查找"],
    summary="查找居民、户和企业（请求体提交）",
    description="与 GET /api/search 相同，查询内容放在请求体中：按完整身份证号或手机号查找时必须用这个，"
    "号码不进网址和访问日志。",
    **documented(SearchOut, 403, 422),
)
def search_post(request, payload: SearchIn):
    return _search_answer(request.user, payload.q)
