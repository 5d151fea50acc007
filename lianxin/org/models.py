"""Work units, their cadres, responsibility zones and city leaders' township liaisons."""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import Q

from lianxin.core.models import CountyOwned, Dated, DatedQuerySet, SealedRow, Timestamped

from .choices import UnitKind


class UnitQuerySet(models.QuerySet):
    def visible_to(self, user):
        """County-wide roles see every unit; region staff see units serving their area or based
        in it; cadres and handlers see their own unit."""
        # The three separated administrators manage the system, not people's data.
        if not user.is_authenticated or not user.sees_people:
            return self.none()
        qs = self.filter(county_id=user.county_id)
        if user.is_unit_scoped:
            return qs.filter(pk=user.unit_id) if user.unit_id else qs.none()
        if user.region_id:
            path = user.region.path
            serving = ResponsibilityZone.objects.current().filter(village__path__startswith=path)
            qs = qs.filter(Q(township__path__startswith=path) | Q(pk__in=serving.values("unit_id")))
        return qs

    def writable_by(self, user):
        return self if user.is_authenticated and user.writes_org else self.none()


class Unit(CountyOwned, Timestamped):
    """A work unit whose cadres take part; a department may also handle demands."""

    name = models.CharField("单位名称", max_length=80)
    short_name = models.CharField("简称", max_length=40, blank=True)
    kind = models.CharField("单位类型", max_length=24, choices=UnitKind.choices)
    handles_demands = models.BooleanField("承办诉求", default=False)
    township = models.ForeignKey(
        "geo.Region",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="所在乡镇",
        help_text="乡镇（街道）单位填写",
    )
    phone = models.CharField("办公电话", max_length=30, blank=True)
    dissolved_on = models.DateField("撤销日期", null=True, blank=True)

    objects = UnitQuerySet.as_manager()

    class Meta:
        verbose_name = "单位"
        verbose_name_plural = "单位"
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["county", "name"],
                name="%(app_label)s_%(class)s_unique_name",
                violation_error_message="同名单位已存在",
            )
        ]

    def __str__(self) -> str:
        return self.short_name or self.name


def serving(day: dt.date, via: str = "") -> Q:
    """The one leaving rule: a cadre serves on a day unless they left before it. 退出日期 is
    the last day in office, as every end date is the last day in force (lianxin.core.ending):
    a cadre who leaves on D still serves on D and is gone from D+1. `via` reaches the cadre
    from another model ("cadre__" on a pairing)."""
    return Q(**{f"{via}left_on__isnull": True}) | Q(**{f"{via}left_on__gte": day})


class CadreQuerySet(models.QuerySet):
    def visible_to(self, user):
        from lianxin.accounts.choices import Role

        if not user.is_authenticated or not user.sees_people:
            return self.none()
        if user.role == Role.CADRE and not user.unit_id:
            return self.filter(user=user)
        return self.filter(county_id=user.county_id, unit__in=Unit.objects.visible_to(user))

    def writable_by(self, user):
        return self if user.is_authenticated and user.writes_org else self.none()

    def active(self):
        """No departure recorded at all (may still be paired, transferred, assigned)."""
        return self.filter(left_on__isnull=True)

    def serving_on(self, day: dt.date):
        """Cadres still in office on the day (see `serving`)."""
        return self.filter(serving(day))


class Cadre(CountyOwned, Timestamped, SealedRow):
    """A cadre or staff member taking part in the program; belongs to one unit at a time."""

    sealed_fields = ("phone",)

    staff_no = models.CharField("人员编号", max_length=20)
    name = models.CharField("姓名", max_length=30)
    name_initials = models.CharField(max_length=30, db_index=True, editable=False)
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="cadres", verbose_name="单位"
    )
    post = models.CharField("职务", max_length=60, blank=True)
    phone_enc = models.TextField(editable=False, blank=True)
    phone_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    phone_masked = models.CharField("电话", max_length=20, blank=True, editable=False)
    is_city_leader = models.BooleanField("市级领导", default=False)
    joined_on = models.DateField("参加日期")
    left_on = models.DateField("退出日期", null=True, blank=True)
    user = models.OneToOneField(
        "accounts.User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="cadre",
        verbose_name="登录账号",
    )

    objects = CadreQuerySet.as_manager()

    class Meta:
        verbose_name = "干部职工"
        verbose_name_plural = "干部职工"
        ordering = ["unit_id", "staff_no"]
        constraints = [
            models.UniqueConstraint(
                fields=["county", "staff_no"],
                name="%(app_label)s_%(class)s_unique_staff_no",
                violation_error_message="人员编号已存在",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.left_on is None


class CadreAssignment(CountyOwned, Dated):
    """Which unit and post a cadre held over which dates: a transfer ends one and opens one."""

    cadre = models.ForeignKey(Cadre, on_delete=models.PROTECT, related_name="assignments")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="assignments")
    post = models.CharField("职务", max_length=60, blank=True)

    objects = DatedQuerySet.as_manager()

    class Meta:
        verbose_name = "任职记录"
        verbose_name_plural = "任职记录"
        ordering = ["valid_from", "id"]
        # Covers "holds a post on the day" per cadre (pairing.policy.eligible_cadres), probed
        # once for each of a county's 6,000 cadres on every coverage figure.
        indexes = [
            models.Index(fields=["cadre", "valid_to", "valid_from"], name="org_assignment_dated")
        ]


class ResponsibilityZone(CountyOwned, Dated):
    """A unit's responsibility for a village/community (责任区) over a period."""

    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="zones", verbose_name="单位"
    )
    village = models.ForeignKey(
        "geo.Region", on_delete=models.PROTECT, related_name="zones", verbose_name="村（社区）"
    )

    objects = DatedQuerySet.as_manager()

    class Meta:
        verbose_name = "责任区"
        verbose_name_plural = "责任区"
        ordering = ["unit_id", "village_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "village"],
                condition=Q(valid_to__isnull=True),
                name="%(app_label)s_%(class)s_unique_open_zone",
                violation_error_message="该单位已负责这个村（社区）",
            )
        ]


class LeaderLiaison(CountyOwned, Dated):
    """A city leader's liaison with a township (市级领导联系乡镇) over a period."""

    leader = models.ForeignKey(
        Cadre, on_delete=models.PROTECT, related_name="liaisons", verbose_name="市级领导"
    )
    township = models.ForeignKey(
        "geo.Region", on_delete=models.PROTECT, related_name="liaisons", verbose_name="乡镇（街道）"
    )

    objects = DatedQuerySet.as_manager()

    class Meta:
        verbose_name = "领导联系乡镇"
        verbose_name_plural = "领导联系乡镇"
        ordering = ["township_id", "leader_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["leader", "township"],
                condition=Q(valid_to__isnull=True),
                name="%(app_label)s_%(class)s_unique_open_liaison",
                violation_error_message="该领导已联系这个乡镇",
            )
        ]
