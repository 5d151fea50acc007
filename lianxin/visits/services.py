"""Visit state changes: recording a visit (once, idempotently: an offline outbox may send it
many times), correcting or withdrawing it within the author's 7 days, its photos, and the
county's visit cadence. Every do_* checks its actor, refuses in Chinese naming the field, and
writes its audit row in the same transaction."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from lianxin.audit.services import diff, record
from lianxin.core.access import NOT_FOUND, check_actor, check_in_scope
from lianxin.core.errors import Refused
from lianxin.core.fields import check_fields
from lianxin.core.integrity import refuse_conflicts
from lianxin.core.models import today
from lianxin.geo.models import County
from lianxin.org.models import Cadre
from lianxin.pairing.models import Pairing
from lianxin.people.choices import HardshipKind
from lianxin.people.models import Household, Resident

from . import rollup
from .choices import MULTI_HOUSEHOLD_MODES, HelpKind, VisitMode
from .models import (
    EDIT_WINDOW,
    MAX_VISITS_PER_MONTH,
    Visit,
    VisitCadence,
    VisitCadenceOverride,
    VisitConfirmation,
    VisitHousehold,
    VisitMember,
    VisitNeed,
    VisitPhoto,
)
from .photos import clean_photo

# One record covers one household, or the households of one yard meeting.
MAX_HOUSEHOLDS = 200
MAX_NEEDS = 20
MAX_PHOTOS = 9

ONLY_CADRES = "只有干部职工本人可以登记走访"
ONLY_AUTHOR = "只有登记人本人可以修改或撤回这条走访"
KEY_REUSED = (
    "该幂等键（Idempotency-Key）已用于另一条内容不同的走访记录，本次未保存；"
    "每条新的走访请生成新的键，重发同一条走访请原样提交"
)


@dataclass(frozen=True)
class Visited:
    """One household a visit covered: whether anyone was met (False: 家中无人, or a call
    nobody answered), and which of its members (resident ids)."""

    household: Household
    met: bool = True
    members: Sequence[int] = ()


@dataclass(frozen=True)
class Need:
    """A need raised on the visit: the household's words as written down, and a category."""

    household: Household
    text: str
    category: str = ""


class Recorded(NamedTuple):
    visit: Visit
    created: bool  # False: a replay of an earlier request with the same key answered its row


@dataclass
class _Unset:
    pass


UNSET: Any = _Unset()


# ---------------------------------------------------------------------------------------------
# Who records


def _recording_cadre(acting_user: Any, cadre: Cadre | None) -> Cadre:
    """The cadre a visit is recorded for: the acting user's own cadre record. The server
    (acting_user None: the demo, an import) names the cadre."""
    if acting_user is None:
        if cadre is None:
            raise Refused("请指定走访的干部", field="cadre")
        return cadre
    if not getattr(acting_user, "is_authenticated", False) or not acting_user.sees_people:
        raise Refused(ONLY_CADRES, status=403)
    own = Cadre.objects.filter(user=acting_user).first()
    if own is None:
        raise Refused(ONLY_CADRES, status=403)
    if cadre is not None and cadre.pk != own.pk:
        raise Refused("只能登记本人的走访", field="cadre", status=403)
    return own


def _check_author(acting_user: Any, visit: Visit) -> None:
    """Outside the actor's scope: 404; a reader who is not the author: 403."""
    if acting_user is None:
        return
    check_in_scope(acting_user, visit, write=False)
    if visit.author_id != acting_user.pk:
        raise Refused(ONLY_AUTHOR, status=403)


# ---------------------------------------------------------------------------------------------
# Checking what a visit says


def _check_day(occurred_on: Any) -> dt.date:
    if not isinstance(occurred_on, dt.date) or isinstance(occurred_on, dt.datetime):
        raise Refused("请填写走访日期", field="occurred_on")
    if occurred_on > today():
        raise Refused(f"走访日期{occurred_on}晚于今天，请填写实际走访的日期", field="occurred_on")
    return occurred_on


def _check_text(
    *, mode: str, heard: str, notes: str, help_kind: str, help_text: str
) -> dict[str, str]:
    values = {
        "mode": mode,
        "heard": (heard or "").strip(),
        "notes": (notes or "").strip(),
        "help_kind": help_kind or "",
        "help_text": (help_text or "").strip(),
    }
    if not mode:
        raise Refused("请选择走访方式", field="mode")
    check_fields(Visit, values)
    return values


def _resolve(
    cadre: Cadre, entries: Sequence[Visited], occurred_on: dt.date, mode: str
) -> dict[int, Pairing]:
    """The pairing each household's row serves: the cadre's pairing with it on the day."""
    if not entries:
        raise Refused("请选择走访的户", field="households")
    if len(entries) > 1 and mode not in MULTI_HOUSEHOLD_MODES:
        raise Refused(
            f"{VisitMode(mode).label}一次只能登记一户；院坝会/集中见面可以一次登记多户",
            field="households",
        )
    if len(entries) > MAX_HOUSEHOLDS:
        raise Refused(f"一次最多登记{MAX_HOUSEHOLDS}户", field="households")
    ids = [e.household.pk for e in entries]
    if len(set(ids)) != len(ids):
        raise Refused("同一户不能在一次走访中重复登记", field="households")
    if any(e.household.county_id != cadre.county_id for e in entries):
        raise Refused(NOT_FOUND, field="households", status=404)
    mine = list(
        Pairing.objects.filter(cadre=cadre, household_id__in=ids).order_by("valid_from", "id")
    )
    serving = {
        p.household_id: p
        for p in Pairing.objects.serving(occurred_on)
        .filter(cadre=cadre, household_id__in=ids)
        .order_by("valid_from", "id")  # the later of two pairings sharing the day wins
    }
    for e in entries:
        if e.household.pk in serving:
            continue
        history = [p for p in mine if p.household_id == e.household.pk]
        if not history:
            # Never this cadre's household: as if it did not exist.
            raise Refused(NOT_FOUND, field="households", status=404)
        if occurred_on < history[0].valid_from:
            raise Refused(
                f"走访日期{occurred_on}早于您与{e.household.number}户结对的开始日期"
                f"{history[0].valid_from}",
                field="occurred_on",
            )
        if cadre.left_on is not None and occurred_on > cadre.left_on:
            raise Refused(
                f"走访日期{occurred_on}晚于您的退出日期{cadre.left_on}", field="occurred_on"
            )
        raise Refused(
            f"{occurred_on}时{e.household.number}户不是您联系的户，请核对走访日期",
            field="occurred_on",
        )
    return serving


def _check_members(entries: Sequence[Visited]) -> None:
    wanted = {r for e in entries for r in e.members}
    if not wanted:
        return
    homes = dict(Resident.objects.filter(pk__in=wanted).values_list("pk", "household_id"))
    for e in entries:
        if e.members and not e.met:
            raise Refused("登记为“家中无人”时不能选择见到的成员", field="members")
        if len(set(e.members)) != len(e.members):
            raise Refused("见到的成员有重复", field="members")
        for r in e.members:
            if homes.get(r) != e.household.pk:
                raise Refused("见到的成员须是所走访户的成员", field="members")


def _check_needs(needs: Sequence[Need], entries: Sequence[Visited]) -> list[dict[str, Any]]:
    if len(needs) > MAX_NEEDS:
        raise Refused(f"一次走访最多登记{MAX_NEEDS}条诉求", field="needs")
    visited = {e.household.pk for e in entries}
    cleaned = []
    for need in needs:
        if need.household.pk not in visited:
            raise Refused("诉求须属于本次走访的户", field="needs")
        values = {"text": (need.text or "").strip(), "category": (need.category or "").strip()}
        check_fields(VisitNeed, values, aliases={"text": "needs", "category": "needs"})
        cleaned.append({"household": need.household, **values})
    return cleaned


def fingerprint(payload: Mapping[str, Any]) -> str:
    """A body's hash for the idempotency check: canonical JSON (sorted keys, no spaces), so
    the same visit sent twice hashes the same however its client spelled the JSON."""
    text = json.dumps(
        payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )
    return hashlib.sha256(text.encode()).hexdigest()


def _own_fingerprint(cadre: Cadre, entries, occurred_on, occurred_at, values, needs) -> str:
    return fingerprint(
        {
            "cadre": cadre.pk,
            "households": [
                {"household": e.household.pk, "met": e.met, "members": sorted(e.members)}
                for e in entries
            ],
            "occurred_on": occurred_on,
            "occurred_at": occurred_at,
            **values,
            "needs": [
                {"household": n["household"].pk, "text": n["text"], "category": n["category"]}
                for n in needs
            ],
        }
    )


def _write_rows(
    visit: Visit, entries: Sequence[Visited], serving: Mapping[int, Pairing], needs
) -> None:
    rows = VisitHousehold.objects.bulk_create(
        VisitHousehold.for_visit(visit, e.household.pk, pairing=serving[e.household.pk], met=e.met)
        for e in entries
    )
    members = [
        VisitMember(county_id=visit.county_id, visit_household=row, resident_id=r)
        for row, e in zip(rows, entries, strict=True)
        for r in e.members
    ]
    if members:
        VisitMember.objects.bulk_create(members)
    _write_needs(visit, needs)


def _write_needs(visit: Visit, needs) -> None:
    if needs:
        VisitNeed.objects.bulk_create(
            VisitNeed(
                county_id=visit.county_id,
                visit=visit,
                household=n["household"],
                text=n["text"],
                category=n["category"],
            )
            for n in needs
        )


def _numbers(entries: Sequence[Visited]) -> str:
    return "、".join(e.household.number for e in entries)


def _replay(existing: Visit, request_hash: str, acting_user: Any) -> Recorded:
    author = None if acting_user is None else acting_user.pk
    if existing.request_hash != request_hash or existing.author_id != author:
        raise Refused(KEY_REUSED, field="idempotency_key", status=422)
    return Recorded(existing, False)


def _key(value: Any) -> uuid.UUID | None:
    if value is None or value == "":
        return None
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise Refused(
            "幂等键（Idempotency-Key）须为 UUID，如 3f1c2a9e-5b7d-4e8a-9c0b-1d2e3f4a5b6c",
            field="idempotency_key",
        ) from None


# ---------------------------------------------------------------------------------------------
# Recording, correcting, withdrawing


def do_record_visit(
    *,
    acting_user: Any,
    households: Sequence[Visited],
    occurred_on: dt.date,
    mode: str,
    cadre: Cadre | None = None,
    occurred_at: dt.time | None = None,
    heard: str = "",
    notes: str = "",
    help_kind: str = "",
    help_text: str = "",
    needs: Sequence[Need] = (),
    idempotency_key: uuid.UUID | str | None = None,
    request_hash: str = "",
) -> Recorded:
    """Record a visit by the acting cadre to households paired with them on `occurred_on`
    (entered after the fact; never in the future, never before the pairing). Nobody home is a
    visit too (met=False). With an idempotency key, a repeat of the same request answers the
    visit it made (created=False); the same key with another body is refused (422)."""
    cadre = _recording_cadre(acting_user, cadre)
    key = _key(idempotency_key)
    with transaction.atomic():
        if key is not None:
            existing = Visit.objects.filter(county_id=cadre.county_id, idempotency_key=key).first()
            if existing is not None:
                values = _check_text(
                    mode=mode, heard=heard, notes=notes, help_kind=help_kind, help_text=help_text
                )
                needs_clean = [
                    {
                        "household": n.household,
                        "text": (n.text or "").strip(),
                        "category": (n.category or "").strip(),
                    }
                    for n in needs
                ]
                hashed = request_hash or _own_fingerprint(
                    cadre, households, occurred_on, occurred_at, values, needs_clean
                )
                return _replay(existing, hashed, acting_user)
        occurred_on = _check_day(occurred_on)
        values = _check_text(
            mode=mode, heard=heard, notes=notes, help_kind=help_kind, help_text=help_text
        )
        serving = _resolve(cadre, households, occurred_on, mode)
        _check_members(households)
        needs_clean = _check_needs(needs, households)
        if key is not None and not request_hash:
            request_hash = _own_fingerprint(
                cadre, households, occurred_on, occurred_at, values, needs_clean
            )
        try:
            # A savepoint: two sends of one offline visit racing (PostgreSQL lets both pass
            # the look above); the loser meets the unique key and answers the winner's row.
            with transaction.atomic():
                visit = Visit.objects.create(
                    county_id=cadre.county_id,
                    cadre=cadre,
                    occurred_on=occurred_on,
                    occurred_at=occurred_at,
                    author=acting_user,
                    idempotency_key=key,
                    request_hash=request_hash if key is not None else "",
                    **values,
                )
        except IntegrityError:
            existing = Visit.objects.filter(county_id=cadre.county_id, idempotency_key=key).first()
            if key is None or existing is None:
                raise
            return _replay(existing, request_hash, acting_user)
        _write_rows(visit, households, serving, needs_clean)
        rollup.touch(
            visit.county_id,
            households=[e.household.pk for e in households],
            since=occurred_on,
            cadre_months=[(cadre.pk, occurred_on)],
        )
        record(
            actor=acting_user,
            action="登记走访",
            target=visit,
            changes={
                "cadre": [None, cadre.name],
                "occurred_on": [None, str(occurred_on)],
                "mode": [None, VisitMode(values["mode"]).label],
                "households": [None, _numbers(households)],
                "met": [None, sum(1 for e in households if e.met)],
                "needs": [None, len(needs_clean)],
            },
        )
        return Recorded(visit, True)


def _locked_for_change(visit: Visit, acting_user: Any, expected_version: int | None) -> Visit:
    """The visit, locked, once the author's window and version allow changing it."""
    # Two devices of the author editing at once: the version check must see the other's bump.
    visit = Visit.objects.select_for_update().get(pk=visit.pk)
    if visit.is_withdrawn:
        raise Refused("这条走访已撤回，不能再修改", field="visit", status=409)
    if not visit.is_editable():
        created = timezone.localtime(visit.created_at)
        raise Refused(
            f"走访登记{EDIT_WINDOW.days}天后只读，不能再修改（登记于{created:%Y-%m-%d %H:%M}）",
            field="visit",
            status=409,
        )
    if expected_version is not None and expected_version != visit.version:
        raise Refused(
            f"这条走访已在别处修改过（现为第{visit.version}版，您修改的是第{expected_version}版），"
            "请刷新后再改",
            field="version",
            status=409,
        )
    return visit


def _entries_of(visit: Visit) -> list[Visited]:
    rows = visit.households.select_related("household").prefetch_related("member_rows")
    return [
        Visited(r.household, r.met, tuple(sorted(m.resident_id for m in r.member_rows.all())))
        for r in rows.order_by("id")
    ]


def _entry_keys(entries: Sequence[Visited]) -> list[tuple[int, bool, tuple[int, ...]]]:
    return [(e.household.pk, bool(e.met), tuple(sorted(e.members))) for e in entries]


def do_edit_visit(
    visit: Visit,
    *,
    acting_user: Any,
    expected_version: int,
    occurred_on: Any = UNSET,
    occurred_at: Any = UNSET,
    mode: Any = UNSET,
    heard: Any = UNSET,
    notes: Any = UNSET,
    help_kind: Any = UNSET,
    help_text: Any = UNSET,
    households: Any = UNSET,
    needs: Any = UNSET,
) -> Visit:
    """Correct a visit: its author only, within 7 days of recording it, against the version
    they read (an older one: 409). Only the given fields change; households and needs, when
    given, replace the visit's. A change that changes nothing leaves the version as it was."""
    _check_author(acting_user, visit)
    if not isinstance(expected_version, int) or isinstance(expected_version, bool):
        raise Refused("请提供所修改记录的版本号", field="version")
    with transaction.atomic():
        visit = _locked_for_change(visit, acting_user, expected_version)
        cadre = visit.cadre
        scalar: dict[str, Any] = {
            "occurred_on": visit.occurred_on if occurred_on is UNSET else occurred_on,
            "occurred_at": visit.occurred_at if occurred_at is UNSET else occurred_at,
            "mode": visit.mode if mode is UNSET else mode,
            "heard": visit.heard if heard is UNSET else heard,
            "notes": visit.notes if notes is UNSET else notes,
            "help_kind": visit.help_kind if help_kind is UNSET else help_kind,
            "help_text": visit.help_text if help_text is UNSET else help_text,
        }
        day = _check_day(scalar["occurred_on"])
        values = _check_text(
            mode=scalar["mode"],
            heard=scalar["heard"],
            notes=scalar["notes"],
            help_kind=scalar["help_kind"],
            help_text=scalar["help_text"],
        )
        before_entries = _entries_of(visit)
        entries = before_entries if households is UNSET else list(households)
        rows_change = (
            _entry_keys(entries) != _entry_keys(before_entries)
            or day != visit.occurred_on
            or values["mode"] != visit.mode
        )
        serving = _resolve(cadre, entries, day, values["mode"])
        _check_members(entries)
        before_needs: list[dict[str, Any]] = [
            {"household": n.household, "text": n.text, "category": n.category}
            for n in visit.needs.select_related("household")
        ]
        needs_clean = before_needs if needs is UNSET else _check_needs(needs, entries)
        if needs is UNSET and rows_change:
            _check_needs(
                [Need(n["household"], n["text"], n["category"]) for n in before_needs], entries
            )
        needs_change = [(n["household"].pk, n["text"], n["category"]) for n in needs_clean] != [
            (n["household"].pk, n["text"], n["category"]) for n in before_needs
        ]
        before = {f: getattr(visit, f) for f in ("occurred_on", "occurred_at", *values)}
        after = {"occurred_on": day, "occurred_at": scalar["occurred_at"], **values}
        changed = diff(
            {k: _shown(k, v) for k, v in before.items()},
            {k: _shown(k, v) for k, v in after.items()},
        )
        if not changed and not rows_change and not needs_change:
            return visit
        for name, value in after.items():
            setattr(visit, name, value)
        visit.version += 1
        visit.save(update_fields=[*after, "version", "updated_at"])
        # Rows are replaced whole when they change: they carry the visit's day and mode and
        # the pairing served on that day. Needs only when they change themselves (issue 11
        # links each to its demand, and refuses dropping one that has become a demand).
        if rows_change:
            visit.households.all().delete()
            _write_rows(visit, entries, serving, [])
            rollup.touch(
                visit.county_id,
                households=[e.household.pk for e in (*before_entries, *entries)],
                since=min(day, before["occurred_on"]),
                cadre_months=[(cadre.pk, day), (cadre.pk, before["occurred_on"])],
            )
        if needs_change:
            visit.needs.all().delete()
            _write_needs(visit, needs_clean)
        if rows_change:
            changed["households"] = [_numbers(before_entries), _numbers(entries)]
            changed["met"] = [
                sum(1 for e in before_entries if e.met),
                sum(1 for e in entries if e.met),
            ]
        if needs_change:
            changed["needs"] = [len(before_needs), len(needs_clean)]
        changed["version"] = [visit.version - 1, visit.version]
        record(actor=acting_user, action="修改走访", target=visit, changes=changed)
        return visit


def _shown(name: str, value: Any) -> Any:
    """A value as the audit row shows it: labels for choices, at most 100 characters of text."""
    if value is None or value == "":
        return None
    if name == "mode":
        return VisitMode(value).label
    if name == "help_kind":
        return HelpKind(value).label
    if isinstance(value, str) and len(value) > 100:
        return value[:100] + "…"
    return str(value)


def do_withdraw_visit(
    visit: Visit, *, acting_user: Any, reason: str = "", expected_version: int | None = None
) -> Visit:
    """Withdraw a visit recorded by mistake: its author, within 7 days. The row stays (the
    audit trail and late ledger amendments read it) but no plan, rate or ledger counts it."""
    _check_author(acting_user, visit)
    reason = (reason or "").strip()
    check_fields(Visit, {"withdraw_reason": reason}, aliases={"withdraw_reason": "reason"})
    with transaction.atomic():
        current = Visit.objects.select_for_update().get(pk=visit.pk)
        if current.is_withdrawn:
            return current
        visit = _locked_for_change(current, acting_user, expected_version)
        visit.withdrawn_at = timezone.now()
        visit.withdraw_reason = reason
        visit.version += 1
        visit.save(update_fields=["withdrawn_at", "withdraw_reason", "version", "updated_at"])
        visit.households.update(withdrawn=True)
        rollup.touch(
            visit.county_id,
            households=list(visit.households.values_list("household_id", flat=True)),
            since=visit.occurred_on,
            cadre_months=[(visit.cadre_id, visit.occurred_on)],
        )
        record(
            actor=acting_user,
            action="撤回走访",
            target=visit,
            changes={"withdrawn_at": [None, timezone.localtime(visit.withdrawn_at).isoformat()]},
            reason=reason,
        )
        return visit


# ---------------------------------------------------------------------------------------------
# Photos


def do_add_visit_photo(visit: Visit, *, upload: Any, acting_user: Any) -> VisitPhoto:
    """Attach a photo (never required) to a visit: its author, within the 7 days. The stored
    file is re-encoded without EXIF/GPS (visits.photos); a file that is no image is refused."""
    _check_author(acting_user, visit)
    photo = clean_photo(upload)
    with transaction.atomic():
        visit = _locked_for_change(visit, acting_user, None)
        if visit.photos.count() >= MAX_PHOTOS:
            raise Refused(f"每次走访最多上传{MAX_PHOTOS}张照片", field="image", status=409)
        row = VisitPhoto(
            county_id=visit.county_id,
            visit=visit,
            width=photo.width,
            height=photo.height,
            size=len(photo.data),
            uploaded_by=acting_user,
        )
        # The file is written before the row commits; a rollback leaves an orphan file that
        # names nobody (random name), never a row without its file.
        row.image.save("photo.jpg", ContentFile(photo.data), save=False)
        row.save()
        record(
            actor=acting_user,
            action="上传走访照片",
            target=visit,
            changes={"photos": [None, f"{photo.width}×{photo.height}"]},
        )
        return row


def do_remove_visit_photo(photo: VisitPhoto, *, acting_user: Any) -> None:
    """Remove a photo from a visit: its author, within the 7 days."""
    visit = photo.visit
    _check_author(acting_user, visit)
    with transaction.atomic():
        visit = _locked_for_change(visit, acting_user, None)
        photo = VisitPhoto.objects.get(pk=photo.pk)
        name = photo.image.name or ""
        record(
            actor=acting_user,
            action="删除走访照片",
            target=visit,
            changes={"photos": [f"{photo.width}×{photo.height}", None]},
        )
        photo.delete()
        transaction.on_commit(lambda: photo.image.storage.delete(name))


# ---------------------------------------------------------------------------------------------
# The county's cadence


def _check_per_month(value: Any, field_name: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise Refused("每月走访次数须为整数", field=field_name)
    if not 1 <= value <= MAX_VISITS_PER_MONTH:
        raise Refused(f"每月走访次数须在1到{MAX_VISITS_PER_MONTH}次之间", field=field_name)
    return value


def _overrides_text(overrides: Mapping[str, int]) -> str:
    return "、".join(f"{HardshipKind(k).label}{v}次" for k, v in sorted(overrides.items()))


def do_set_cadence(
    *,
    county: County | int,
    acting_user: Any,
    visits_per_month: int,
    overrides: Mapping[str, int] | None = None,
    remote_counts: bool = False,
) -> VisitCadence:
    """Set the county's visit cadence: visits per calendar month owed to each paired household,
    and per hardship kind the number owed instead (the strictest of a household's kinds
    applies). The city administrator's, like the pairing policy."""
    county_id = county if isinstance(county, int) else county.pk
    check_actor(
        acting_user, "manages_pairing", "只有市级管理员可以设置走访频次", county_id=county_id
    )
    if overrides is not None and not isinstance(overrides, Mapping):
        raise Refused("困难类型走访频次格式不正确", field="overrides")
    overrides = dict(overrides or {})
    visits_per_month = _check_per_month(visits_per_month, "visits_per_month")
    for kind, n in overrides.items():
        if kind not in HardshipKind.values:
            raise Refused(f"无法识别的困难类型“{kind}”", field="overrides")
        _check_per_month(n, "overrides")
    with refuse_conflicts():
        VisitCadence.objects.get_or_create(county_id=county_id)
        # Two administrators saving at once: the second reads the first's overrides.
        cadence = VisitCadence.objects.select_for_update().get(county_id=county_id)
        before_overrides = dict(cadence.overrides.values_list("kind", "visits_per_month"))
        before = {
            "visits_per_month": cadence.visits_per_month,
            "remote_counts": cadence.remote_counts,
            "overrides": _overrides_text(before_overrides),
        }
        after = {
            "visits_per_month": visits_per_month,
            "remote_counts": bool(remote_counts),
            "overrides": _overrides_text(overrides),
        }
        changed = diff(before, after)
        if not changed:
            return cadence
        cadence.visits_per_month = visits_per_month
        cadence.remote_counts = bool(remote_counts)
        cadence.save(update_fields=["visits_per_month", "remote_counts", "updated_at"])
        if before_overrides != overrides:
            cadence.overrides.all().delete()
            VisitCadenceOverride.objects.bulk_create(
                VisitCadenceOverride(
                    county_id=county_id, cadence=cadence, kind=k, visits_per_month=n
                )
                for k, n in sorted(overrides.items())
            )
        # Every pairing's plan, hence every overdue day, may change.
        rollup.invalidate(county_id, "走访频次变更")
        record(
            actor=acting_user,
            action="设置走访频次",
            county_id=county_id,
            target=cadence,
            target_label="走访频次",
            changes=changed,
        )
        return cadence


# ---------------------------------------------------------------------------------------------
# The cadre's own households' phone numbers


def do_show_contact_phones(*, acting_user: Any, cadre: Cadre, shown: int) -> None:
    """Record that the cadre's page showed their own households' heads' numbers in full (it is
    their job to call them): one audit row per page view, however many numbers it showed.
    Only the cadre themself is shown these numbers."""
    if (
        acting_user is None
        or not getattr(acting_user, "is_authenticated", False)
        or not acting_user.sees_people
        or cadre.user_id != acting_user.pk
    ):
        raise Refused("只有干部职工本人可以查看所联系户的电话", status=403)
    if shown <= 0:
        return
    with transaction.atomic():
        record(
            actor=acting_user,
            action="查看联系户电话",
            target=cadre,
            changes={"field": [None, "phone"], "households": [None, shown]},
            reason="我联系的户",
        )


# The household's own confirmation (群众确认)

STAFF_CANNOT_CONFIRM = "群众确认须由群众本人在连心卡页面点击；工作人员登录时不能代为确认"


class Confirmed(NamedTuple):
    confirmation: VisitConfirmation
    created: bool  # False: the month was confirmed already; nothing changed


def do_confirm_contact(*, token: str, acting_user: Any, on: dt.date | None = None) -> Confirmed:
    """Record that the household behind a live 连心卡 token says its cadre came or called this
    month. The actor is whoever holds the card: anonymous. A signed-in account is refused —
    a cadre tapping their own households' cards would confirm their own visits. A second tap
    in the same month changes nothing. Unknown or revoked tokens: 404."""
    from lianxin.pairing.models import CardToken

    if acting_user is not None and getattr(acting_user, "is_authenticated", False):
        raise Refused(STAFF_CANNOT_CONFIRM, status=403)
    if not token or len(token) > 64:
        raise Refused(NOT_FOUND, status=404)
    card = (
        CardToken.objects.filter(token=token, revoked_at__isnull=True)
        .select_related("household")
        .first()
    )
    if card is None:
        raise Refused(NOT_FOUND, status=404)
    month = (on or today()).replace(day=1)
    household = card.household
    with transaction.atomic():
        existing = VisitConfirmation.objects.filter(household=household, month=month).first()
        if existing is not None:
            return Confirmed(existing, False)
        try:
            # Two taps racing: the unique (household, month) key lets one in.
            with transaction.atomic():
                row = VisitConfirmation.objects.create(
                    county_id=household.county_id, household=household, month=month
                )
        except IntegrityError:
            return Confirmed(VisitConfirmation.objects.get(household=household, month=month), False)
        rollup.touch(household.county_id, households=[household.pk], since=month)
        record(
            actor=None,
            action="群众确认联系",
            target=row,
            target_label=f"{household.number}户{month:%Y年%m月}",
            changes={"month": [None, f"{month:%Y-%m}"]},
        )
        return Confirmed(row, True)


def confirmed_this_month(household_id: int, on: dt.date | None = None) -> bool:
    month = (on or today()).replace(day=1)
    return VisitConfirmation.objects.filter(household_id=household_id, month=month).exists()
