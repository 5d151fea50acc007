"""State changes of the registry, and the audited reveal of sensitive values."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import OperationalError, connection, transaction

from lianxin.audit.services import diff, record, snapshot
from lianxin.core.access import check_actor, check_in_scope
from lianxin.core.errors import Refused
from lianxin.core.fields import check_fields
from lianxin.core.integrity import refuse_conflicts
from lianxin.core.models import new_seal_ref, today
from lianxin.core.sensitive import (
    Sealed,
    clear_birth_year,
    seal_id_number,
    seal_phone,
    unseal_field,
)
from lianxin.geo.choices import Level
from lianxin.geo.models import County, Region
from lianxin.lib.errors import InvalidValue
from lianxin.lib.patterns import canonical_rule, database_regex
from lianxin.lib.pinyin import initials
from lianxin.lib.uscc import validate as validate_credit_code

from . import disclosure, numbering
from .choices import HardshipKind, Relation, Trade
from .counters import recount_members
from .models import Enterprise, Household, HouseholdHardship, HouseholdNumberRule, Resident

HOUSEHOLD_FIELDS = ("number", "region_id", "address")
# The service's field names where the constraint's own last field is not what the user typed.
HARDSHIP_FIELD = {"people_householdhardship_unique_open_kind": "hardship"}
RESIDENT_FIELDS = {"people_resident_one_head": "relation"}
NOT_WRITER = "您没有登记或修改户籍信息的权限"
NOT_REVEALER = "您没有查看完整信息的权限"
NOT_RULE_SETTER = "只有本县的市级管理员可以设置户号规则"
REVEALABLE = {
    ("people.resident", "id_number"),
    ("people.resident", "phone"),
    ("org.cadre", "phone"),
}


def _check_writer(acting_user: Any, county_id: int, *objs: Any) -> None:
    """A registry writer of the county (writes_registry), every object in their write scope;
    acting_user None is the server (the demo, commands, tests' worlds)."""
    check_actor(acting_user, "writes_registry", NOT_WRITER, county_id=county_id)
    check_in_scope(acting_user, *objs)


def _check_place(acting_user: Any, region: Region | None) -> None:
    # A row goes only where its writer sees: a township's staff cannot register in another's.
    check_in_scope(acting_user, region, write=False)


def placement(region: Region, county_id: int) -> dict[str, int]:
    """The township/village/region columns for a row placed at a village or group."""
    if region.county_id != county_id:
        raise Refused("所选区域不属于本县", field="region")
    if region.level == Level.TOWNSHIP:
        raise Refused("请选择到村（社区）或组", field="region")
    if region.valid_to is not None:
        raise Refused(f"“{region.short_name}”已于{region.valid_to}撤销", field="region")
    ids = region.ancestor_ids
    return {"township_id": ids[0], "village_id": ids[1], "region_id": region.pk}


def do_create_household(
    *,
    county: County,
    number: str,
    region: Region,
    acting_user: Any,
    address: str = "",
    hardships: list[str] | None = None,
    hardship_since: dt.date | None = None,
) -> Household:
    _check_writer(acting_user, county.pk)
    _check_place(acting_user, region)
    number, address = number.strip(), address.strip()
    check_fields(Household, {"number": number, "address": address})
    problem = numbering.number_problem(county, number)
    if problem:
        raise Refused(problem, field="number")
    # The look below answers the common case; two requests passing it at once meet the
    # constraint, which refuse_conflicts turns into the same 409.
    with refuse_conflicts():
        if Household.objects.filter(county=county, number=number).exists():
            raise Refused(f"户号“{number}”已登记", field="number", status=409)
        household = Household.objects.create(
            county=county, number=number, address=address, **placement(region, county.pk)
        )
        record(
            actor=acting_user,
            action="新建户",
            target=household,
            changes=diff({}, {"number": number, "region": region.short_name, "address": address}),
        )
        for kind in dict.fromkeys(hardships or []):
            do_add_hardship(
                household, kind=kind, acting_user=acting_user, valid_from=hardship_since
            )
        return household


def do_set_household_number_rule(
    *, county: County, pattern: str, description: str, acting_user: Any, reason: str = ""
) -> numbering.NumberRule:
    """Set the county's own 户号 rule (a regular expression the whole number must match, and
    its description completing “户号须为……”), or go back to the default with a blank pattern.

    Refused when a household already registered in the county breaks the new rule: every 户号
    of a county follows its one rule, and numbers are never rewritten to fit one."""
    check_actor(acting_user, "sets_registry_rules", NOT_RULE_SETTER, county_id=county.pk)
    pattern, description = pattern.strip(), description.strip()
    check_fields(HouseholdNumberRule, {"pattern": pattern, "description": description})
    if pattern:
        try:
            canonical_rule(pattern)
        except InvalidValue as exc:
            raise Refused(f"户号规则：{exc}", field="pattern") from None
        if not description:
            raise Refused("请填写规则说明，它会显示在户号的提示和错误信息中", field="description")
        rule = numbering.NumberRule(pattern=pattern, description=description, custom=True)
    else:
        description = ""
        rule = numbering.default_rule(county)
    # Two administrators saving at once: the row's lock orders them; when the county has no
    # row yet, the second insert meets the one-per-county constraint and is refused (409).
    with refuse_conflicts():
        own = HouseholdNumberRule.objects.select_for_update().filter(
            county=county
        ).first() or HouseholdNumberRule(county=county)
        changes = diff(
            {"pattern": own.pattern, "description": own.description},
            {"pattern": pattern, "description": description},
        )
        if not changes:
            return rule
        # The database checks the county's numbers (≈230,000) against the rule, written as
        # an expression PostgreSQL and SQLite read as Python does (lib.patterns): only the
        # first few that break it are read out. Registrations do not take the rule row's lock
        # (it would queue every one behind the others), so one committed while this runs was
        # checked by the old rule; a number that slips in so is named by the next change.
        breaking = Household.objects.filter(county=county).exclude(
            number__regex=database_regex(rule.pattern)
        )
        examples = list(breaking.order_by("number").values_list("number", flat=True)[:3])
        if examples:
            raise Refused(
                f"本县已登记的 {breaking.count()} 户户号不符合该规则（如 {'、'.join(examples)}），"
                "规则须适用于本县所有户号",
                field="pattern",
                status=409,
            )
        own.pattern, own.description = pattern, description
        own.save()
        record(
            actor=acting_user,
            action="设置户号规则",
            target=own,
            county_id=county.pk,
            target_label=f"{county.name}户号规则",
            changes=changes,
            reason=reason,
        )
        return rule


def do_update_household(
    household: Household,
    *,
    acting_user: Any,
    address: str | None = None,
    region: Region | None = None,
) -> Household:
    """Change the address or move the household to another group/village."""
    _check_writer(acting_user, household.county_id, household)
    _check_place(acting_user, region)
    if address is not None:
        address = address.strip()
        check_fields(Household, {"address": address})
    with refuse_conflicts():
        household = Household.objects.select_for_update().get(pk=household.pk)
        before = snapshot(household, HOUSEHOLD_FIELDS)
        old_village = household.village_id
        if address is not None:
            household.address = address
        if region is not None and region.pk != household.region_id:
            for key, value in placement(region, household.county_id).items():
                setattr(household, key, value)
        changes = diff(before, snapshot(household, HOUSEHOLD_FIELDS))
        if not changes:
            return household
        household.save(update_fields=["address", "township", "village", "region", "updated_at"])
        if household.village_id != old_village:
            from lianxin.visits import rollup

            # The rates count a household in its current place: its rows and its visits' tallies.
            rollup.touch_visit_rows(household.county_id, [household.pk], None)
        record(actor=acting_user, action="修改户信息", target=household, changes=changes)
        return household


def _mend_plan(household: Household, since: dt.date) -> None:
    """A hardship may change the visits the plan owes (a county's per-hardship cadence): the
    overdue days the rates' roll-up holds for the household."""
    from lianxin.visits import rollup

    rollup.touch(household.county_id, households=[household.pk], since=since)


def do_add_hardship(
    household: Household,
    *,
    kind: str,
    acting_user: Any,
    valid_from: dt.date | None = None,
    note: str = "",
) -> HouseholdHardship:
    _check_writer(acting_user, household.county_id, household)
    if kind not in HardshipKind.values:
        raise Refused(f"无法识别的困难类型“{kind}”", field="hardship")
    check_fields(HouseholdHardship, {"note": note})
    with refuse_conflicts(HARDSHIP_FIELD):
        # The same refusal as the constraint's, so the answer does not depend on timing.
        if HouseholdHardship.objects.filter(
            household=household, kind=kind, valid_to__isnull=True
        ).exists():
            raise Refused(
                f"该户已登记困难类型“{HardshipKind(kind).label}”", field="hardship", status=409
            )
        hardship = HouseholdHardship.objects.create(
            county_id=household.county_id,
            household=household,
            kind=kind,
            note=note,
            valid_from=valid_from or today(),
        )
        _mend_plan(household, hardship.valid_from)
        record(
            actor=acting_user,
            action="登记困难类型",
            target=household,
            changes={"hardship": [None, HardshipKind(kind).label]},
        )
        return hardship


def do_end_hardship(
    hardship: HouseholdHardship, *, valid_to: dt.date, acting_user: Any
) -> HouseholdHardship:
    _check_writer(acting_user, hardship.county_id, hardship.household)
    with transaction.atomic():
        hardship = HouseholdHardship.objects.select_for_update().get(pk=hardship.pk)
        if hardship.valid_to is not None:
            return hardship
        if valid_to < hardship.valid_from:
            raise Refused("终止日期不能早于起始日期", field="valid_to")
        hardship.valid_to = valid_to
        hardship.save(update_fields=["valid_to"])
        _mend_plan(hardship.household, valid_to)
        record(
            actor=acting_user,
            action="结束困难类型",
            target=hardship.household,
            changes={"hardship": [hardship.get_kind_display(), None]},
        )
        return hardship


def _duplicate_message(existing: Resident, acting_user: Any) -> str:
    """Name the existing record only when the user may see it; otherwise say no more."""
    if (
        acting_user is not None
        and Resident.objects.visible_to(acting_user).filter(pk=existing.pk).exists()
    ):
        return (
            f"该身份证号已登记：{existing.name}（户号 {existing.household.number}，"
            f"{existing.household.region}）"
        )
    if acting_user is None:
        return disclosure.OUTSIDE_SCOPE_MESSAGE
    # Registered out of scope after _refuse_if_registered_outside looked (a race): this
    # transaction is refused, so an answer given here could not be budgeted or audited. The
    # constraint's own neutral message, as when the race reaches the INSERT; a second try
    # gets the budgeted answer.
    return RACE_MESSAGE


# What the ID-number constraint says (people.models.Resident): names no record and no place.
RACE_MESSAGE = "同一身份证号不能重复登记"
# SQLite lets one writer at a time in: a registration behind an all-or-nothing import (of any
# account) waits the busy timeout (settings, 20 s) and is then refused with this, not a 500.
SQLITE_BUSY_MESSAGE = "有导入正在进行，暂时不能登记，请等其结束后再登记"


@contextmanager
def _refused_when_locked() -> Iterator[None]:
    try:
        yield
    except OperationalError as exc:
        if connection.vendor == "sqlite" and "locked" in str(exc):
            raise Refused(SQLITE_BUSY_MESSAGE, field="id_number", status=409) from None
        raise


def _refuse_if_registered_outside(county_id: int, id_hash: str, acting_user: Any) -> None:
    """An ID number registered outside the user's scope, or once the account's daily budget of
    such answers is spent any number the user cannot see registered (people/disclosure.py):
    refused in a transaction of its own before the create's, so the audit row of the answer
    (which is the budget's count) commits although the create is refused. A number registered
    in the user's scope gets the create's own answer naming that record. The check inside the
    create's transaction still catches a record made meanwhile (RACE_MESSAGE).

    An import of the same account holds the budget's lock for its whole run: refused with
    disclosure.BUSY_MESSAGE after a few seconds rather than waiting behind it."""
    if acting_user is None:
        return
    message = ""
    with transaction.atomic():
        left = disclosure.remaining(acting_user, patience=disclosure.BUSY_PATIENCE_SECONDS)
        registered = Resident.objects.filter(county_id=county_id, id_number_hash=id_hash)
        if left is not None and left <= 0:
            if registered.visible_to(acting_user).exists():
                # The user sees that record anyway: nothing to budget.
                return
            # Registered elsewhere or new, alike: refused-or-accepted must not tell them apart.
            disclosure.record_limit_refusals(acting_user, refused=1)
            message = disclosure.LIMIT_MESSAGE
        elif registered.exclude(
            pk__in=Resident.objects.visible_to(acting_user).values("pk")
        ).exists():
            disclosure.record_answers(acting_user, shown=1)
            message = disclosure.OUTSIDE_SCOPE_MESSAGE
    if message:
        raise Refused(message, field="id_number", status=409)


def seal_resident_fields(id_number: str, phone: str, ref: str) -> tuple[Sealed, Any, Sealed]:
    """Validate and seal for the resident row whose seal reference is `ref`; Refused names the
    field that is wrong."""
    try:
        sealed_id, card = seal_id_number(id_number, label=Resident.seal_label("id_number"), ref=ref)
    except InvalidValue as exc:
        raise Refused(f"身份证号：{exc}", field="id_number") from None
    try:
        sealed_phone = seal_phone(phone, label=Resident.seal_label("phone"), ref=ref)
    except InvalidValue as exc:
        raise Refused(f"联系电话：{exc}", field="phone") from None
    return sealed_id, card, sealed_phone


def do_create_resident(
    *,
    household: Household,
    name: str,
    id_number: str,
    relation: str,
    acting_user: Any,
    phone: str = "",
) -> Resident:
    _check_writer(acting_user, household.county_id, household)
    name = name.strip()
    check_fields(Resident, {"name": name})
    if relation not in Relation.values:
        raise Refused(f"无法识别的与户主关系“{relation}”", field="relation")
    ref = new_seal_ref()
    sealed_id, card, sealed_phone = seal_resident_fields(id_number, phone, ref)
    with _refused_when_locked():
        return _create_resident(
            household, name, relation, ref, sealed_id, card, sealed_phone, acting_user
        )


def _create_resident(
    household: Household,
    name: str,
    relation: str,
    ref: str,
    sealed_id: Sealed,
    card: Any,
    sealed_phone: Sealed,
    acting_user: Any,
) -> Resident:
    _refuse_if_registered_outside(household.county_id, sealed_id.hash, acting_user)
    with refuse_conflicts(RESIDENT_FIELDS):
        existing = (
            Resident.objects.filter(county_id=household.county_id, id_number_hash=sealed_id.hash)
            .select_related("household")
            .first()
        )
        if existing:
            raise Refused(_duplicate_message(existing, acting_user), field="id_number", status=409)
        if relation == Relation.HEAD and household.members.filter(relation=Relation.HEAD).exists():
            raise Refused("该户已有户主", field="relation", status=409)
        resident = Resident.objects.create(
            county_id=household.county_id,
            household=household,
            name=name,
            name_initials=initials(name),
            seal_ref=ref,
            id_number_enc=sealed_id.enc,
            id_number_hash=sealed_id.hash,
            id_number_masked=sealed_id.masked,
            sex=card.sex,
            birth_year=clear_birth_year(card.birth_date, today()),
            phone_enc=sealed_phone.enc,
            phone_hash=sealed_phone.hash,
            phone_masked=sealed_phone.masked,
            relation=relation,
        )
        recount_members([household.pk])
        record(
            actor=acting_user,
            action="登记居民",
            target=resident,
            changes={
                "name": [None, name],
                "id_number": [None, sealed_id.masked],
                "phone": [None, sealed_phone.masked],
                "relation": [None, relation],
            },
        )
        return resident


def do_update_resident(
    resident: Resident,
    *,
    acting_user: Any,
    name: str | None = None,
    phone: str | None = None,
    relation: str | None = None,
) -> Resident:
    _check_writer(acting_user, resident.county_id, resident)
    if name is not None and name.strip():
        check_fields(Resident, {"name": name.strip()})
    # Two residents made head at once pass the head check together; the constraint answers.
    with refuse_conflicts(RESIDENT_FIELDS):
        resident = Resident.objects.select_for_update().get(pk=resident.pk)
        changes: dict[str, list[Any]] = {}
        fields: list[str] = []
        if name is not None and name.strip() and name.strip() != resident.name:
            changes["name"] = [resident.name, name.strip()]
            resident.name, resident.name_initials = name.strip(), initials(name.strip())
            fields += ["name", "name_initials"]
        if phone is not None:
            try:
                sealed = seal_phone(
                    phone, label=Resident.seal_label("phone"), ref=resident.seal_ref
                )
            except InvalidValue as exc:
                raise Refused(f"联系电话：{exc}", field="phone") from None
            if sealed.hash != resident.phone_hash:
                changes["phone"] = [resident.phone_masked, sealed.masked]
                resident.phone_enc, resident.phone_hash, resident.phone_masked = (
                    sealed.enc,
                    sealed.hash,
                    sealed.masked,
                )
                fields += ["phone_enc", "phone_hash", "phone_masked"]
        if relation is not None and relation != resident.relation:
            if relation not in Relation.values:
                raise Refused(f"无法识别的与户主关系“{relation}”", field="relation")
            if (
                relation == Relation.HEAD
                and resident.household.members.filter(relation=Relation.HEAD).exists()
            ):
                raise Refused("该户已有户主", field="relation", status=409)
            changes["relation"] = [resident.relation, relation]
            resident.relation = relation
            fields.append("relation")
        if not fields:
            return resident
        resident.save(update_fields=[*fields, "updated_at"])
        record(actor=acting_user, action="修改居民信息", target=resident, changes=changes)
        return resident


def do_create_enterprise(
    *,
    county: County,
    name: str,
    credit_code: str,
    trade: str,
    region: Region,
    acting_user: Any,
    address: str = "",
) -> Enterprise:
    _check_writer(acting_user, county.pk)
    _check_place(acting_user, region)
    name, address = name.strip(), address.strip()
    check_fields(Enterprise, {"name": name, "address": address})
    try:
        code = validate_credit_code(credit_code)
    except InvalidValue as exc:
        raise Refused(f"统一社会信用代码：{exc}", field="credit_code") from None
    if trade not in Trade.values:
        raise Refused(f"无法识别的行业门类“{trade}”", field="trade")
    with refuse_conflicts():
        if Enterprise.objects.filter(county=county, credit_code=code).exists():
            raise Refused(f"统一社会信用代码“{code}”已登记", field="credit_code", status=409)
        enterprise = Enterprise.objects.create(
            county=county,
            name=name,
            credit_code=code,
            trade=trade,
            address=address,
            name_initials=initials(name)[:60],
            **placement(region, county.pk),
        )
        record(
            actor=acting_user,
            action="登记企业",
            target=enterprise,
            changes={"name": [None, name], "credit_code": [None, code]},
        )
        return enterprise


def do_reveal(obj: Any, field: str, *, acting_user: Any, reason: str) -> str:
    """The full value of a sensitive field, for a user holding the reveal permission, with the
    reason recorded. The caller has already looked the object up through the user's scope."""
    label = obj._meta.label_lower
    if (label, field) not in REVEALABLE:
        raise Refused("该字段不可查看", field="field")
    # No console exemption: a full value is only ever shown to a person who gave a reason.
    if acting_user is None:
        raise Refused(NOT_REVEALER, status=403)
    check_actor(acting_user, "reveals_sensitive", NOT_REVEALER, county_id=obj.county_id)
    check_in_scope(acting_user, obj, write=False)
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise Refused("请填写查看事由（至少2个字）", field="reason")
    try:
        value = unseal_field(obj, field)
    except InvalidValue:
        # Sealed for another row or column (copied there), or under a key no longer held.
        raise Refused(
            "该字段的密文无法解密：它不属于此记录或此字段，或加密它的密钥已不在密钥环中；"
            "请联系系统管理员核查",
            field=field,
            status=409,
        ) from None
    with transaction.atomic():
        record(
            actor=acting_user,
            action="查看完整信息",
            target=obj,
            changes={"field": [None, field]},
            reason=reason,
        )
    return value
