"""State changes of units and cadres; transfers end one assignment and open the next."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q

from lianxin.audit.services import diff, record, snapshot
from lianxin.core.access import check_actor, check_in_scope
from lianxin.core.errors import Refused
from lianxin.core.fields import check_fields, problems
from lianxin.core.integrity import refuse_conflicts
from lianxin.core.models import new_seal_ref, today
from lianxin.core.sensitive import seal_phone
from lianxin.geo.choices import Level
from lianxin.geo.models import County, Region
from lianxin.lib.errors import InvalidValue
from lianxin.lib.pinyin import initials

from .choices import UnitKind
from .models import Cadre, CadreAssignment, LeaderLiaison, ResponsibilityZone, Unit

UNIT_FIELDS = ("name", "short_name", "kind", "handles_demands", "township_id", "phone")
NOT_WRITER = "只有市级管理员可以修改单位、干部、责任区和领导联系"


def _check_writer(acting_user: Any, county_id: int, *objs: Any) -> None:
    """The county's city administrator (writes_org), with every object in their write scope;
    acting_user None is the server (install, demo, commands)."""
    check_actor(acting_user, "writes_org", NOT_WRITER, county_id=county_id)
    check_in_scope(acting_user, *objs)


def do_create_unit(
    *,
    county: County,
    name: str,
    kind: str,
    acting_user: Any,
    short_name: str = "",
    handles_demands: bool = False,
    township: Region | None = None,
    phone: str = "",
) -> Unit:
    _check_writer(acting_user, county.pk)
    check_in_scope(acting_user, township, write=False)
    name = name.strip()
    if not name:
        raise Refused("单位名称不能为空", field="name")
    if kind not in UnitKind.values:
        raise Refused(f"无法识别的单位类型“{kind}”", field="kind")
    check_fields(Unit, {"name": name, "short_name": short_name, "phone": phone})
    if township is not None and (
        township.level != Level.TOWNSHIP or township.county_id != county.pk
    ):
        raise Refused("所在乡镇必须是本县的乡镇（街道）", field="township")
    with refuse_conflicts():
        if Unit.objects.filter(county=county, name=name).exists():
            raise Refused(f"同名单位“{name}”已存在", field="name", status=409)
        unit = Unit.objects.create(
            county=county,
            name=name,
            short_name=short_name,
            kind=kind,
            handles_demands=handles_demands,
            township=township,
            phone=phone,
        )
        record(
            actor=acting_user,
            action="新建单位",
            target=unit,
            changes=diff({}, snapshot(unit, UNIT_FIELDS)),
        )
        return unit


def do_update_unit(unit: Unit, *, acting_user: Any, **fields: Any) -> Unit:
    _check_writer(acting_user, unit.county_id, unit)
    unknown = set(fields) - set(UNIT_FIELDS) - {"township"}
    if unknown:
        raise Refused("不能修改的字段：" + "、".join(sorted(unknown)))
    check_fields(
        Unit, {k: v for k, v in fields.items() if k in ("name", "short_name", "kind", "phone")}
    )
    with refuse_conflicts():
        unit = Unit.objects.select_for_update().get(pk=unit.pk)
        before = snapshot(unit, UNIT_FIELDS)
        for key, value in fields.items():
            setattr(unit, key, value)
        after = snapshot(unit, UNIT_FIELDS)
        changes = diff(before, after)
        if not changes:
            return unit
        taken = Unit.objects.filter(county_id=unit.county_id, name=unit.name).exclude(pk=unit.pk)
        if "name" in changes and taken.exists():
            raise Refused(f"同名单位“{unit.name}”已存在", field="name", status=409)
        unit.save(update_fields=[f.removesuffix("_id") for f in changes])
        record(actor=acting_user, action="修改单位", target=unit, changes=changes)
        return unit


def do_create_cadre(
    *,
    unit: Unit,
    staff_no: str,
    name: str,
    acting_user: Any,
    post: str = "",
    phone: str = "",
    is_city_leader: bool = False,
    joined_on: dt.date | None = None,
    user: Any = None,
) -> Cadre:
    _check_writer(acting_user, unit.county_id, unit)
    name, staff_no = name.strip(), staff_no.strip()
    if not name:
        raise Refused("姓名不能为空", field="name")
    if not staff_no:
        raise Refused("人员编号不能为空", field="staff_no")
    check_fields(Cadre, {"staff_no": staff_no, "name": name, "post": post})
    ref = new_seal_ref()
    try:
        sealed = seal_phone(phone, label=Cadre.seal_label("phone"), ref=ref)
    except InvalidValue as exc:
        raise Refused(str(exc), field="phone") from None
    joined_on = joined_on or today()
    with refuse_conflicts():
        if Cadre.objects.filter(county_id=unit.county_id, staff_no=staff_no).exists():
            raise Refused(f"人员编号“{staff_no}”已存在", field="staff_no", status=409)
        cadre = Cadre.objects.create(
            county_id=unit.county_id,
            staff_no=staff_no,
            name=name,
            name_initials=initials(name),
            unit=unit,
            post=post,
            seal_ref=ref,
            phone_enc=sealed.enc,
            phone_hash=sealed.hash,
            phone_masked=sealed.masked,
            is_city_leader=is_city_leader,
            joined_on=joined_on,
            user=user,
        )
        CadreAssignment.objects.create(
            county_id=unit.county_id, cadre=cadre, unit=unit, post=post, valid_from=joined_on
        )
        record(
            actor=acting_user,
            action="新建干部",
            target=cadre,
            changes={
                "unit": [None, str(unit)],
                "post": [None, post],
                "phone": [None, sealed.masked],
            },
        )
        return cadre


def do_transfer_cadre(
    cadre: Cadre,
    *,
    unit: Unit,
    acting_user: Any,
    post: str | None = None,
    effective_on: dt.date | None = None,
) -> Cadre:
    """Move a cadre to another unit (or post); the old assignment is ended, not overwritten."""
    _check_writer(acting_user, cadre.county_id, cadre, unit)
    effective_on = effective_on or today()
    if unit.county_id != cadre.county_id:
        raise Refused("不能调往其他县的单位", field="unit")
    check_fields(Cadre, {"post": post})
    with transaction.atomic():
        # Two administrators may transfer the same cadre at once: lock the row.
        cadre = Cadre.objects.select_for_update().get(pk=cadre.pk)
        if cadre.left_on is not None:
            raise Refused(f"{cadre.name}已于{cadre.left_on}退出，不能调动", field="cadre")
        new_post = cadre.post if post is None else post
        if cadre.unit_id == unit.pk and cadre.post == new_post:
            return cadre
        current = CadreAssignment.objects.filter(cadre=cadre, valid_to__isnull=True).first()
        if current is not None:
            if effective_on <= current.valid_from:
                raise Refused(
                    f"调动日期须晚于本次任职开始日期{current.valid_from}", field="effective_on"
                )
            current.valid_to = effective_on - dt.timedelta(days=1)
            current.save(update_fields=["valid_to"])
        CadreAssignment.objects.create(
            county_id=cadre.county_id,
            cadre=cadre,
            unit=unit,
            post=new_post,
            valid_from=effective_on,
        )
        changes = diff(
            {"unit": str(cadre.unit), "post": cadre.post}, {"unit": str(unit), "post": new_post}
        )
        cadre.unit, cadre.post = unit, new_post
        cadre.save(update_fields=["unit", "post", "updated_at"])
        from lianxin.visits import rollup

        rollup.cadre_moved(cadre)
        record(actor=acting_user, action="干部调动", target=cadre, changes=changes)
        return cadre


def do_update_cadre(
    cadre: Cadre,
    *,
    acting_user: Any,
    name: str | None = None,
    phone: str | None = None,
    is_city_leader: bool | None = None,
) -> Cadre:
    _check_writer(acting_user, cadre.county_id, cadre)
    if name is not None and name.strip():
        check_fields(Cadre, {"name": name.strip()})
    with transaction.atomic():
        cadre = Cadre.objects.select_for_update().get(pk=cadre.pk)
        changes: dict[str, list[Any]] = {}
        fields: list[str] = []
        if name is not None and name.strip() and name.strip() != cadre.name:
            changes["name"] = [cadre.name, name.strip()]
            cadre.name, cadre.name_initials = name.strip(), initials(name.strip())
            fields += ["name", "name_initials"]
        if phone is not None:
            try:
                sealed = seal_phone(phone, label=Cadre.seal_label("phone"), ref=cadre.seal_ref)
            except InvalidValue as exc:
                raise Refused(str(exc), field="phone") from None
            if sealed.hash != cadre.phone_hash:
                changes["phone"] = [cadre.phone_masked, sealed.masked]
                cadre.phone_enc, cadre.phone_hash, cadre.phone_masked = (
                    sealed.enc,
                    sealed.hash,
                    sealed.masked,
                )
                fields += ["phone_enc", "phone_hash", "phone_masked"]
        if is_city_leader is not None and is_city_leader != cadre.is_city_leader:
            # A leader still liaising with townships would leave those townships' rows dangling.
            if not is_city_leader and cadre.liaisons.filter(valid_to__isnull=True).exists():
                raise Refused(
                    f"{cadre.name}仍在联系乡镇，请先结束其联系再取消市级领导",
                    field="is_city_leader",
                )
            changes["is_city_leader"] = [cadre.is_city_leader, is_city_leader]
            cadre.is_city_leader = is_city_leader
            fields.append("is_city_leader")
        if not fields:
            return cadre
        cadre.save(update_fields=[*fields, "updated_at"])
        record(actor=acting_user, action="修改干部信息", target=cadre, changes=changes)
        return cadre


def do_cadre_leaves(cadre: Cadre, *, left_on: dt.date, acting_user: Any, reason: str = "") -> Cadre:
    """A cadre leaves the program (retired, transferred out of the county, on long leave)."""
    _check_writer(acting_user, cadre.county_id, cadre)
    with transaction.atomic():
        cadre = Cadre.objects.select_for_update().get(pk=cadre.pk)
        if cadre.left_on is not None:
            return cadre
        current = CadreAssignment.objects.filter(cadre=cadre, valid_to__isnull=True).first()
        # Ending an assignment before it began would leave a history row that never held.
        if current is not None and left_on < current.valid_from:
            raise Refused(f"退出日期不能早于本次任职开始日期{current.valid_from}", field="left_on")
        CadreAssignment.objects.filter(cadre=cadre, valid_to__isnull=True).update(valid_to=left_on)
        LeaderLiaison.objects.filter(leader=cadre, valid_to__isnull=True).update(valid_to=left_on)
        cadre.left_on = left_on
        cadre.save(update_fields=["left_on", "updated_at"])
        # Their households are covered to their last day and no longer (pairing.cover).
        from lianxin.pairing.cover import refresh_cadre

        refresh_cadre(cadre.pk)
        from lianxin.pairing.models import Pairing
        from lianxin.visits import rollup

        reached = Pairing.objects.filter(cadre=cadre).filter(
            Q(valid_to__isnull=True) | Q(valid_to__gte=left_on)
        )
        rollup.touch(
            cadre.county_id,
            households=list(reached.values_list("household_id", flat=True)),
            since=left_on,
        )
        record(
            actor=acting_user,
            action="干部退出",
            target=cadre,
            changes={"left_on": [None, str(left_on)]},
            reason=reason,
        )
        return cadre


def do_assign_zone(
    *, unit: Unit, village: Region, acting_user: Any, valid_from: dt.date | None = None
) -> ResponsibilityZone:
    _check_writer(acting_user, unit.county_id, unit)
    check_in_scope(acting_user, village, write=False)
    if village.level != Level.VILLAGE or village.county_id != unit.county_id:
        raise Refused("责任区必须是本县的村（社区）", field="village")
    with refuse_conflicts():
        existing = ResponsibilityZone.objects.filter(
            unit=unit, village=village, valid_to__isnull=True
        ).first()
        if existing:
            return existing
        zone = ResponsibilityZone.objects.create(
            county_id=unit.county_id, unit=unit, village=village, valid_from=valid_from or today()
        )
        record(
            actor=acting_user,
            action="划定责任区",
            target=unit,
            changes={"zone": [None, village.short_name]},
        )
        return zone


def do_end_zone(
    zone: ResponsibilityZone, *, valid_to: dt.date, acting_user: Any
) -> ResponsibilityZone:
    _check_writer(acting_user, zone.county_id, zone.unit)
    with transaction.atomic():
        zone = ResponsibilityZone.objects.select_for_update().get(pk=zone.pk)
        if zone.valid_to is not None:
            return zone
        if valid_to < zone.valid_from:
            raise Refused(f"终止日期不能早于起始日期{zone.valid_from}", field="valid_to")
        zone.valid_to = valid_to
        zone.save(update_fields=["valid_to"])
        record(
            actor=acting_user,
            action="结束责任区",
            target=zone.unit,
            changes={"zone": [zone.village.short_name, None]},
        )
        return zone


def do_assign_liaison(
    *, leader: Cadre, township: Region, acting_user: Any, valid_from: dt.date | None = None
) -> LeaderLiaison:
    _check_writer(acting_user, leader.county_id, leader)
    check_in_scope(acting_user, township, write=False)
    if not leader.is_city_leader:
        raise Refused(f"{leader.name}不是市级领导", field="leader")
    if township.level != Level.TOWNSHIP or township.county_id != leader.county_id:
        raise Refused("联系对象必须是本县的乡镇（街道）", field="township")
    with refuse_conflicts():
        existing = LeaderLiaison.objects.filter(
            leader=leader, township=township, valid_to__isnull=True
        ).first()
        if existing:
            return existing
        liaison = LeaderLiaison.objects.create(
            county_id=leader.county_id,
            leader=leader,
            township=township,
            valid_from=valid_from or today(),
        )
        record(
            actor=acting_user,
            action="领导联系乡镇",
            target=leader,
            changes={"township": [None, township.short_name]},
        )
        return liaison


def do_end_liaison(liaison: LeaderLiaison, *, valid_to: dt.date, acting_user: Any) -> LeaderLiaison:
    _check_writer(acting_user, liaison.county_id, liaison.leader)
    with transaction.atomic():
        liaison = LeaderLiaison.objects.select_for_update().get(pk=liaison.pk)
        if liaison.valid_to is not None:
            return liaison
        if valid_to < liaison.valid_from:
            raise Refused(f"终止日期不能早于起始日期{liaison.valid_from}", field="valid_to")
        liaison.valid_to = valid_to
        liaison.save(update_fields=["valid_to"])
        record(
            actor=acting_user,
            action="结束领导联系",
            target=liaison.leader,
            changes={"township": [liaison.township.short_name, None]},
        )
        return liaison


@dataclass(frozen=True)
class NewCadre:
    """One cadre for do_bulk_create_cadres: the same fields do_create_cadre takes."""

    unit: Unit
    staff_no: str
    name: str
    post: str = ""
    phone: str = ""
    is_city_leader: bool = False
    joined_on: dt.date | None = None
    user: Any = None


def do_bulk_create_cadres(
    cadres: Iterable[NewCadre], *, acting_user: Any, batch_size: int = 1000
) -> list[Cadre]:
    """Register many cadres at once (a unit's roster, the demo): the fields are checked and
    sealed as do_create_cadre does, each gets its opening assignment, and the batch is one
    audit row. Staff numbers already registered in the county are left as they are, so
    loading the same roster twice adds nothing. Returns the cadres created."""
    check_actor(acting_user, "writes_org", NOT_WRITER)
    rows: list[Cadre] = []
    seen: set[tuple[int, str]] = set()
    for number, spec in enumerate(cadres, start=1):
        name, staff_no = spec.name.strip(), spec.staff_no.strip()
        if not name:
            raise Refused(f"第{number}名干部：姓名不能为空", field="name")
        if not staff_no:
            raise Refused(f"第{number}名干部：人员编号不能为空", field="staff_no")
        for field, message in problems(
            Cadre, {"staff_no": staff_no, "name": name, "post": spec.post}
        ):
            raise Refused(f"第{number}名干部：{message}", field=field)
        ref = new_seal_ref()
        try:
            sealed = seal_phone(spec.phone, label=Cadre.seal_label("phone"), ref=ref)
        except InvalidValue as exc:
            raise Refused(f"第{number}名干部（{name}）：{exc}", field="phone") from None
        key = (spec.unit.county_id, staff_no)
        if key in seen:
            raise Refused(f"人员编号“{staff_no}”在本批中重复", field="staff_no")
        seen.add(key)
        rows.append(
            Cadre(
                county_id=spec.unit.county_id,
                staff_no=staff_no,
                name=name,
                name_initials=initials(name),
                unit=spec.unit,
                post=spec.post,
                seal_ref=ref,
                phone_enc=sealed.enc,
                phone_hash=sealed.hash,
                phone_masked=sealed.masked,
                is_city_leader=spec.is_city_leader,
                joined_on=spec.joined_on or today(),
                user=spec.user,
            )
        )
    if not rows:
        return []
    county_ids = {r.county_id for r in rows}
    if len(county_ids) != 1:
        raise Refused("一批干部只能属于同一个县", field="unit")
    (county_id,) = county_ids
    _check_writer(acting_user, county_id, *{r.unit_id: r.unit for r in rows}.values())
    with refuse_conflicts():
        taken = set(
            Cadre.objects.filter(
                county_id=county_id, staff_no__in=[r.staff_no for r in rows]
            ).values_list("staff_no", flat=True)
        )
        fresh = [r for r in rows if r.staff_no not in taken]
        if not fresh:
            return []
        created = Cadre.objects.bulk_create(fresh, batch_size=batch_size)
        if any(c.pk is None for c in created):
            # Backends that cannot return ids from a bulk insert: read them back by staff number.
            by_no = dict(
                Cadre.objects.filter(
                    county_id=county_id, staff_no__in=[c.staff_no for c in created]
                ).values_list("staff_no", "pk")
            )
            for c in created:
                c.pk = by_no[c.staff_no]
        CadreAssignment.objects.bulk_create(
            [
                CadreAssignment(
                    county_id=county_id,
                    cadre_id=c.pk,
                    unit_id=c.unit_id,
                    post=c.post,
                    valid_from=c.joined_on,
                )
                for c in created
            ],
            batch_size=batch_size,
        )
        record(
            actor=acting_user,
            action="批量新建干部",
            county_id=county_id,
            target_type="org.cadre",
            target_label=f"{len(created)}名干部",
            changes={
                "count": [None, len(created)],
                "units": [None, len({c.unit_id for c in created})],
                "skipped": [None, len(taken)],
            },
        )
        return created
