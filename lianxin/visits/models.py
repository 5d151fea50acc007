"""Visits (走访: 走听记帮): what a cadre recorded after going to, calling or meeting their
households, the households each visit covered, the needs raised, photos, and the county's
visit cadence. The visit plan and the rates are computed from these rows (plan.py, rates.py),
never stored."""

from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from lianxin.accounts.choices import Role
from lianxin.core.models import CountyOwned, Timestamped
from lianxin.people.choices import HardshipKind

from .choices import HelpKind, VisitMode

# The author may correct or withdraw a visit for this long after recording it; then it is
# read-only (the month's ledgers are read from it, issue 12 locks approved months).
EDIT_WINDOW = dt.timedelta(days=7)

# A cadence above this is not a visit plan but a check-in quota, which the rules forbid.
MAX_VISITS_PER_MONTH = 8


def _visible_households(user):
    from lianxin.people.models import Household

    return Household.objects.visible_to(user)


class VisitQuerySet(models.QuerySet):
    def visible_to(self, user):
        """A cadre sees the visits they recorded (also those of households since handed over);
        everyone else who reads people's data sees the visits covering a household they see."""
        if not user.is_authenticated or not user.sees_people:
            return self.none()
        qs = self.filter(county_id=user.county_id)
        if user.role == Role.CADRE:
            return qs.filter(cadre__user=user)
        if user.is_county_wide and not user.region_id:
            return qs
        # `id IN (the visit ids of the households seen)`: both databases read the ids once from
        # the (household, visit) index and probe (SQLite) or hash (PostgreSQL) them, so counting
        # costs the scope's visits, not the county's. A correlated EXISTS on the visit rows
        # was measured far worse on SQLite, which without statistics loops over the region's
        # households inside it for every visit (a township's page 4 s, its count 520 s).
        rows = VisitHousehold.objects.filter(household__in=_visible_households(user))
        return qs.filter(pk__in=rows.values("visit_id"))

    def writable_by(self, user):
        """Only the author edits a visit (the 7-day window is the service's rule)."""
        return self.filter(author=user) if user.is_authenticated else self.none()

    def live(self):
        """Not withdrawn: the visits every plan, rate and ledger counts."""
        return self.filter(withdrawn_at__isnull=True)


class Visit(CountyOwned, Timestamped):
    """One contact a cadre recorded: when, how, what was heard, noted and done to help."""

    cadre = models.ForeignKey(
        "org.Cadre", on_delete=models.PROTECT, related_name="visits", verbose_name="干部"
    )
    # Entered after the fact at any hour: never a live check-in, no location.
    occurred_on = models.DateField("走访日期")
    occurred_at = models.TimeField("走访时间", null=True, blank=True)
    mode = models.CharField("方式", max_length=16, choices=VisitMode.choices)
    heard = models.CharField("听", max_length=200, blank=True, help_text="群众说了什么（可不填）")
    notes = models.CharField("记", max_length=2000, blank=True)
    help_kind = models.CharField("帮扶类型", max_length=12, choices=HelpKind.choices, blank=True)
    help_text = models.CharField("帮", max_length=500, blank=True)
    # None: recorded by the server itself (the demo, an import), not by a person.
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="登记人",
    )
    # The client's key for this record (an offline outbox sends it with every retry) and the
    # hash of the body it first came with: a replay answers the same row, another body 422.
    idempotency_key = models.UUIDField("幂等键", null=True, blank=True, editable=False)
    request_hash = models.CharField(max_length=64, blank=True, editable=False)
    # Bumped by every edit: an edit made against an older version answers 409.
    version = models.PositiveIntegerField("版本", default=1, editable=False)
    withdrawn_at = models.DateTimeField("撤回时间", null=True, blank=True, editable=False)
    withdraw_reason = models.CharField("撤回原因", max_length=200, blank=True)

    objects = VisitQuerySet.as_manager()

    class Meta:
        verbose_name = "走访"
        verbose_name_plural = "走访"
        ordering = ["-occurred_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["county", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="%(app_label)s_%(class)s_unique_idempotency_key",
                violation_error_message="该幂等键已用于另一条走访记录",
            )
        ]
        indexes = [
            # A cadre's history, newest first.
            models.Index(fields=["cadre", "occurred_on"], name="visits_visit_cadre_day"),
            models.Index(fields=["county", "occurred_on"], name="visits_visit_county_day"),
        ]

    def __str__(self) -> str:
        return f"走访 {self.occurred_on:%Y-%m-%d}（{self.get_mode_display()}）"

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None

    @property
    def editable_until(self) -> dt.datetime:
        return self.created_at + EDIT_WINDOW

    def is_editable(self, now: dt.datetime | None = None) -> bool:
        """Within the author's 7-day window and not withdrawn."""
        return not self.is_withdrawn and (now or timezone.now()) <= self.editable_until


def _household_rows_visible(qs, user):
    """Rows of visible visits that name a household: only those of households the user sees
    (a yard meeting's row for another village's household stays hidden from this village's
    staff); a cadre sees every row of their own visits, the county-wide roles all.

    Written so that a page's prefetch (`visit_id IN (<the page's 50 ids>)`) is driven by those
    ids on SQLite, which plans without statistics: no condition on the rows' own county column
    (SQLite walks its index, every row of the county) and none on the household's place
    columns in the join (SQLite starts from the region's households and probes each one for
    every visit: 20 s for a township's staff at the demo's scale 1). The visit's county is
    probed by its primary key, the household's visibility by a subquery on the household's
    primary key: a row of a visible household belongs to a visible visit (see visible_to)."""
    if not user.is_authenticated or not user.sees_people:
        return qs.none()
    if user.role == Role.CADRE:
        return qs.filter(visit__in=Visit.objects.visible_to(user))
    qs = qs.filter(visit__county_id=user.county_id)
    if user.is_county_wide and not user.region_id:
        return qs
    return qs.filter(Exists(_visible_households(user).filter(pk=OuterRef("household_id"))))


class VisitHouseholdQuerySet(models.QuerySet):
    def visible_to(self, user):
        return _household_rows_visible(self, user)

    def live(self):
        return self.filter(withdrawn=False)


class VisitHousehold(CountyOwned):
    """A household one visit covered: one for a home visit, several for a yard meeting."""

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="households")
    household = models.ForeignKey(
        "people.Household", on_delete=models.PROTECT, related_name="visit_rows", verbose_name="户"
    )
    # The pairing the visit served, resolved when it is saved: the cadre's pairing with the
    # household on occurred_on. The plan counts a pairing's own rows, so a household handed
    # to a new cadre mid-month is due for the new cadre. Null only for a contact that served
    # no pairing (none through do_record_visit today); rates and plans ignore such rows.
    pairing = models.ForeignKey(
        "pairing.Pairing",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="visit_rows",
        verbose_name="结对",
    )
    # False is 家中无人: an attempt that reached nobody (or a call nobody answered). It counts
    # as a visit record, never as met or as a conversation.
    met = models.BooleanField("见到人", default=True)
    members = models.ManyToManyField(
        "people.Resident",
        through="VisitMember",
        blank=True,
        related_name="+",
        verbose_name="见到的成员",
    )
    # Copies of the visit's cadre, day, mode and withdrawal, kept equal by the visit services
    # (and set by `for_visit` for bulk builders): the rates and plans group millions of rows
    # by (household or cadre or pairing, day, mode) and must read them from one index, not
    # join every row to its visit.
    cadre = models.ForeignKey("org.Cadre", on_delete=models.PROTECT, related_name="+")
    occurred_on = models.DateField("走访日期")
    mode = models.CharField("方式", max_length=16, choices=VisitMode.choices)
    withdrawn = models.BooleanField("已撤回", default=False)

    objects = VisitHouseholdQuerySet.as_manager()

    class Meta:
        verbose_name = "走访户"
        verbose_name_plural = "走访户"
        constraints = [
            models.UniqueConstraint(
                fields=["visit", "household"],
                name="%(app_label)s_%(class)s_unique_household",
                violation_error_message="同一次走访不能重复登记同一户",
            )
        ]
        indexes = [
            models.Index(
                fields=["county", "household", "occurred_on"], name="visits_vh_household_day"
            ),
            # The visits of a region's households (Visit.visible_to: `id IN (SELECT visit_id
            # ... WHERE household_id IN <the region's households>)`) and of one household (the
            # history's household filter), read from this index alone.
            models.Index(fields=["household", "visit"], name="visits_vh_household_visit"),
            models.Index(fields=["county", "cadre", "occurred_on"], name="visits_vh_cadre_day"),
            # The plan's per-pairing counts (plan.annotate_plan): one probe per pairing.
            models.Index(
                fields=["pairing", "occurred_on", "mode", "met", "withdrawn"],
                name="visits_vh_pairing_day",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_on:%Y-%m-%d} 户{self.household_id}"

    @classmethod
    def for_visit(cls, visit: Visit, household_id: int, **kw) -> VisitHousehold:
        """An unsaved row with the visit's copies filled in (for bulk_create by the demo)."""
        return cls(
            county_id=visit.county_id,
            visit=visit,
            household_id=household_id,
            cadre_id=visit.cadre_id,
            occurred_on=visit.occurred_on,
            mode=visit.mode,
            withdrawn=visit.withdrawn_at is not None,
            **kw,
        )


class VisitMemberQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(visit_household__in=VisitHousehold.objects.visible_to(user))


class VisitMember(CountyOwned):
    """A member of the household met on the visit: a reference to the resident, never a copy
    of their name or numbers."""

    visit_household = models.ForeignKey(
        VisitHousehold, on_delete=models.CASCADE, related_name="member_rows"
    )
    resident = models.ForeignKey(
        "people.Resident", on_delete=models.PROTECT, related_name="+", verbose_name="成员"
    )

    objects = VisitMemberQuerySet.as_manager()

    class Meta:
        verbose_name = "见到的成员"
        verbose_name_plural = "见到的成员"
        constraints = [
            models.UniqueConstraint(
                fields=["visit_household", "resident"],
                name="%(app_label)s_%(class)s_unique_resident",
                violation_error_message="同一成员不能重复登记",
            )
        ]


class VisitNeedQuerySet(models.QuerySet):
    def visible_to(self, user):
        return _household_rows_visible(self, user)


class VisitNeed(CountyOwned, Timestamped):
    """A need a household raised on a visit, as the cadre wrote it down: the demand workflow
    (issue 11) turns each one into a tracked demand without re-typing."""

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="needs")
    household = models.ForeignKey(
        "people.Household", on_delete=models.PROTECT, related_name="visit_needs", verbose_name="户"
    )
    text = models.CharField("诉求内容", max_length=500)
    # A code of the demand taxonomy (lianxin/data/demand-categories.csv, issue 11); free text
    # until that taxonomy exists.
    category = models.CharField("诉求类别", max_length=40, blank=True)
    # Issue 11 adds here the demand this need became:
    #   demand = models.OneToOneField("demands.Demand", null=True, blank=True, ...)
    # one AddField; nothing else of this model changes.

    objects = VisitNeedQuerySet.as_manager()

    class Meta:
        verbose_name = "走访中反映的诉求"
        verbose_name_plural = "走访中反映的诉求"
        ordering = ["id"]
        indexes = [models.Index(fields=["county", "household"], name="visits_need_household")]

    def __str__(self) -> str:
        return self.text[:20]


def photo_path(instance: VisitPhoto, filename: str) -> str:
    """A random name under the month: the uploaded file's own name may say who is in it."""
    return f"visits/photos/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.jpg"


class VisitPhotoQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(visit__in=Visit.objects.visible_to(user))


class VisitPhoto(CountyOwned):
    """A photo attached to a visit (never required), stored re-encoded without EXIF/GPS."""

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="photos")
    image = models.FileField("照片", upload_to=photo_path, max_length=200)
    width = models.PositiveIntegerField("宽", default=0)
    height = models.PositiveIntegerField("高", default=0)
    size = models.PositiveIntegerField("字节数", default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField("上传时间", auto_now_add=True)

    objects = VisitPhotoQuerySet.as_manager()

    class Meta:
        verbose_name = "走访照片"
        verbose_name_plural = "走访照片"
        ordering = ["id"]

    def __str__(self) -> str:
        return f"走访照片 #{self.pk}"


class CadenceQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Every role that reads people's data reads its county's cadence (a cadre's plan is
        computed from it)."""
        if not user.is_authenticated or not user.sees_people:
            return self.none()
        return self.filter(county_id=user.county_id)

    def writable_by(self, user):
        return self if user.is_authenticated and user.manages_pairing else self.none()


class VisitCadence(CountyOwned):
    """A county's visit cadence: visits per calendar month a paired household is owed (the
    report's 每一个月左右), with overrides per hardship kind (VisitCadenceOverride)."""

    visits_per_month = models.PositiveSmallIntegerField("每月走访次数", default=1)
    # Whether a phone call or an online conversation that reached the household also fulfils
    # the plan; by default only meeting in person does (走访 is going there).
    remote_counts = models.BooleanField("电话、线上联系也计入走访计划", default=False)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = CadenceQuerySet.as_manager()

    class Meta:
        verbose_name = "走访频次"
        verbose_name_plural = "走访频次"
        constraints = [
            models.UniqueConstraint(
                fields=["county"],
                name="%(app_label)s_%(class)s_one_per_county",
                violation_error_message="每个县只有一套走访频次",
            ),
            models.CheckConstraint(
                condition=Q(visits_per_month__gte=1, visits_per_month__lte=MAX_VISITS_PER_MONTH),
                name="%(app_label)s_%(class)s_visits_bounds",
                violation_error_message=f"每月走访次数须在1到{MAX_VISITS_PER_MONTH}次之间",
            ),
        ]

    def __str__(self) -> str:
        return f"每月{self.visits_per_month}次"


class VisitCadenceOverride(CountyOwned):
    """Visits per month for households of one hardship kind (e.g. 特困、独居: twice)."""

    cadence = models.ForeignKey(VisitCadence, on_delete=models.CASCADE, related_name="overrides")
    kind = models.CharField("困难类型", max_length=12, choices=HardshipKind.choices)
    visits_per_month = models.PositiveSmallIntegerField("每月走访次数")

    objects = CadenceQuerySet.as_manager()

    class Meta:
        verbose_name = "困难类型走访频次"
        verbose_name_plural = "困难类型走访频次"
        constraints = [
            models.UniqueConstraint(
                fields=["cadence", "kind"],
                name="%(app_label)s_%(class)s_unique_kind",
                violation_error_message="该困难类型已设置走访频次",
            ),
            models.CheckConstraint(
                condition=Q(visits_per_month__gte=1, visits_per_month__lte=MAX_VISITS_PER_MONTH),
                name="%(app_label)s_%(class)s_visits_bounds",
                violation_error_message=f"每月走访次数须在1到{MAX_VISITS_PER_MONTH}次之间",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}每月{self.visits_per_month}次"


class VisitConfirmationQuerySet(models.QuerySet):
    def visible_to(self, user):
        """A confirmation is seen exactly when its household is."""
        if not user.is_authenticated or not user.sees_people:
            return self.none()
        return self.filter(county_id=user.county_id, household__in=_visible_households(user))


class VisitConfirmation(CountyOwned):
    """A household's own word, tapped on its 连心卡 page, that its cadre came or called this
    month (本月联系干部来过了/联系过我). Never required, never a condition of a cadre's record:
    it feeds only the separate 群众确认率 (rates.py)."""

    household = models.ForeignKey(
        "people.Household",
        on_delete=models.PROTECT,
        related_name="visit_confirmations",
        verbose_name="户",
    )
    # The first day of the calendar month confirmed.
    month = models.DateField("确认月份")
    created_at = models.DateTimeField("确认时间", auto_now_add=True)

    objects = VisitConfirmationQuerySet.as_manager()

    class Meta:
        verbose_name = "群众确认"
        verbose_name_plural = "群众确认"
        ordering = ["-month", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["household", "month"],
                name="%(app_label)s_%(class)s_unique_month",
                violation_error_message="该户本月已确认",
            )
        ]
        indexes = [
            models.Index(fields=["county", "month", "household"], name="visits_confirm_month")
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y年%m月}群众确认"


# ---------------------------------------------------------------------------------------------
# The rates' roll-up (rollup.py): derived rows, kept equal to the records by the services that
# change them and rebuilt by a job; the rates read them instead of millions of visit rows. No
# one writes them but rollup.py, and nothing reads them but the rates (and their recount test).


class _Rolled(models.Model):
    """What every roll-up row has: its county (led by the covering indexes: no index of its
    own, each one slows the rebuild)."""

    county = models.ForeignKey(
        "geo.County", on_delete=models.CASCADE, related_name="+", db_index=False
    )

    class Meta:
        abstract = True


class _Months(_Rolled):
    """A household's place (kept by rollup.touch when it moves) and its months as masks."""

    township = models.ForeignKey(
        "geo.Region", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    village = models.ForeignKey(
        "geo.Region", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    paired = models.PositiveIntegerField("结对月份", default=0)
    met = models.PositiveIntegerField("见面月份", default=0)
    talked = models.PositiveIntegerField("对话月份", default=0)
    confirmed = models.PositiveIntegerField("群众确认月份", default=0)

    class Meta:
        abstract = True


class ContactMonths(_Months):
    """One household's months of pairing and contact in a calendar year and the year before, as
    24-bit masks (bit 0 January of the year before … bit 23 December of the year): for all its
    cadres together (a place's figures) or, in CadreContactMonths, for one cadre's."""

    year = models.PositiveSmallIntegerField("年度")
    household = models.ForeignKey(
        "people.Household", on_delete=models.CASCADE, related_name="+", db_index=False
    )

    class Meta:
        verbose_name = "户联系月份"
        verbose_name_plural = "户联系月份"
        constraints = [
            models.UniqueConstraint(
                fields=["household", "year"], name="%(app_label)s_%(class)s_unique_year"
            )
        ]
        indexes = [
            # Covering: a county's (or township's) figures by place read this index alone.
            models.Index(
                fields=[
                    "county",
                    "year",
                    "township",
                    "village",
                    "paired",
                    "met",
                    "talked",
                    "confirmed",
                ],
                name="visits_contact_place",
            ),
        ]

    def __str__(self) -> str:
        return f"户{self.household_id} {self.year}"


class CadreContactMonths(_Months):
    """The same months for one cadre and one household they served: a person's (or a unit's)
    figures count each household for each cadre, met only by their own visits."""

    year = models.PositiveSmallIntegerField("年度")
    cadre = models.ForeignKey(
        "org.Cadre", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    # The cadre's current unit, as the rates group them (Cadre.unit), kept by rollup.touch.
    unit = models.ForeignKey("org.Unit", on_delete=models.CASCADE, related_name="+", db_index=False)
    household = models.ForeignKey(
        "people.Household", on_delete=models.CASCADE, related_name="+", db_index=False
    )

    class Meta:
        verbose_name = "干部联系月份"
        verbose_name_plural = "干部联系月份"
        constraints = [
            models.UniqueConstraint(
                fields=["cadre", "household", "year"], name="%(app_label)s_%(class)s_unique_year"
            )
        ]
        indexes = [
            models.Index(fields=["household", "year"], name="visits_cadre_contact_hh"),
            models.Index(
                fields=[
                    "county",
                    "year",
                    "cadre",
                    "township",
                    "village",
                    "paired",
                    "met",
                    "talked",
                    "confirmed",
                ],
                name="visits_cadre_contact_cadre",
            ),
        ]

    def __str__(self) -> str:
        return f"干部{self.cadre_id} 户{self.household_id} {self.year}"


class UnitContactMonths(_Months):
    """The same months for one unit (its cadres' pairings and visits together, each cadre in
    their current unit) and one household: a unit counts a household once however many of its
    cadres served it."""

    year = models.PositiveSmallIntegerField("年度")
    unit = models.ForeignKey("org.Unit", on_delete=models.CASCADE, related_name="+", db_index=False)
    household = models.ForeignKey(
        "people.Household", on_delete=models.CASCADE, related_name="+", db_index=False
    )

    class Meta:
        verbose_name = "单位联系月份"
        verbose_name_plural = "单位联系月份"
        constraints = [
            models.UniqueConstraint(
                fields=["household", "year", "unit"], name="%(app_label)s_%(class)s_unique_year"
            )
        ]
        indexes = [
            models.Index(
                fields=[
                    "county",
                    "year",
                    "unit",
                    "township",
                    "village",
                    "paired",
                    "met",
                    "talked",
                    "confirmed",
                ],
                name="visits_unit_contact",
            ),
        ]

    def __str__(self) -> str:
        return f"单位{self.unit_id} 户{self.household_id} {self.year}"


class VisitTally(_Rolled):
    """Visit records of one cadre in one month touching one village, one township, or the county
    (region null): 走访次数 counts a yard meeting once per place it reached, and once in all."""

    class Scope(models.TextChoices):
        VILLAGE = "village", "村（社区）"
        TOWNSHIP = "township", "乡镇（街道）"
        COUNTY = "county", "县（市、区）"

    month = models.DateField("月份")
    cadre = models.ForeignKey(
        "org.Cadre", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    unit = models.ForeignKey("org.Unit", on_delete=models.CASCADE, related_name="+", db_index=False)
    scope = models.CharField("范围", max_length=8, choices=Scope.choices)
    region = models.ForeignKey(
        "geo.Region", on_delete=models.CASCADE, related_name="+", null=True, db_index=False
    )
    # The village's township (the township itself on its own rows): a township's villages.
    township = models.ForeignKey(
        "geo.Region", on_delete=models.CASCADE, related_name="+", null=True, db_index=False
    )
    visits = models.PositiveIntegerField("走访次数")

    class Meta:
        verbose_name = "走访次数汇总"
        verbose_name_plural = "走访次数汇总"
        indexes = [
            models.Index(
                fields=["county", "scope", "month", "township", "region"], name="visits_tally_place"
            ),
            models.Index(fields=["cadre", "month"], name="visits_tally_cadre"),
        ]

    def __str__(self) -> str:
        return f"干部{self.cadre_id} {self.month:%Y-%m} {self.scope} {self.visits}"


class OverdueDay(_Rolled):
    """A pairing whose visit plan was overdue on a day: today's, and each month's last day
    (the overdue count of a past month)."""

    day = models.DateField("日期")
    pairing = models.ForeignKey(
        "pairing.Pairing", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    cadre = models.ForeignKey(
        "org.Cadre", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    unit = models.ForeignKey("org.Unit", on_delete=models.CASCADE, related_name="+", db_index=False)
    household = models.ForeignKey(
        "people.Household", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    township = models.ForeignKey(
        "geo.Region", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    village = models.ForeignKey(
        "geo.Region", on_delete=models.CASCADE, related_name="+", db_index=False
    )

    class Meta:
        verbose_name = "逾期结对"
        verbose_name_plural = "逾期结对"
        indexes = [
            models.Index(
                fields=["county", "day", "township", "village"], name="visits_overdue_day"
            ),
            models.Index(fields=["household", "day"], name="visits_overdue_household"),
        ]

    def __str__(self) -> str:
        return f"{self.day} 结对{self.pairing_id}"


class RollupState(models.Model):
    """Whether a county's roll-up may be read: built for which years and days, and not made
    stale since (a change too wide to mend in place bumps the generation; a rebuild that
    started before it does not mark the roll-up fresh)."""

    county = models.OneToOneField("geo.County", on_delete=models.CASCADE, related_name="+")
    generation = models.PositiveIntegerField(default=0)
    fresh = models.BooleanField(default=False)
    first_year = models.PositiveSmallIntegerField(null=True)
    last_year = models.PositiveSmallIntegerField(null=True)
    # The days OverdueDay holds, ISO dates.
    days = models.JSONField(default=list)
    built_at = models.DateTimeField(null=True)
    stale_since = models.DateTimeField(null=True)
    stale_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = "走访统计汇总状态"
        verbose_name_plural = "走访统计汇总状态"

    def __str__(self) -> str:
        return f"{self.county_id} {'fresh' if self.fresh else 'stale'}"
