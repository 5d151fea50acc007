"""Geography: counties (the tenants) and their region tree, with history kept by dates."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from lianxin.core.models import CountyOwned, Dated, DatedQuerySet
from lianxin.lib.names import SORT_KEY_LENGTH, region_sort_key
from lianxin.lib.pinyin import initials

from .choices import ChangeKind, Level


class County(models.Model):
    """A county-level division running the program; every other row belongs to one."""

    code = models.CharField("区划代码", max_length=12, unique=True)
    name = models.CharField("名称", max_length=50)
    short_name = models.CharField("简称", max_length=30)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "县（市、区）"
        verbose_name_plural = "县（市、区）"
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class RegionQuerySet(DatedQuerySet):
    def visible_to(self, user):
        """Regions in the user's county, inside their region subtree when they have one.
        The three separated administrators see none: they manage the system, not the map."""
        if not user.is_authenticated or not user.sees_people:
            return self.none()
        qs = self.filter(county_id=user.county_id)
        if user.region_id:
            qs = qs.filter(path__startswith=user.region.path)
        return qs

    def writable_by(self, user):
        return self if user.is_authenticated and user.writes_regions else self.none()

    def of_level(self, level: Level):
        return self.filter(level=level)


class Region(CountyOwned, Dated):
    """A township, village/community or group; ended, never deleted, when the map changes."""

    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name="上级区划",
    )
    level = models.CharField("层级", max_length=10, choices=Level.choices)
    # Statistical division code (12 digits for villages) where known; never a civil-affairs code.
    code = models.CharField("统计区划代码", max_length=12, blank=True)
    name = models.CharField("全称", max_length=60)
    short_name = models.CharField("简称", max_length=30)
    # Derived from code and name on every save (the importer and the services both save):
    # lists order by sort_key in SQL (official order, 1组 … 10组) and search by initials.
    sort_key = models.CharField(max_length=SORT_KEY_LENGTH, editable=False, default="")
    name_initials = models.CharField(max_length=60, db_index=True, editable=False, default="")
    # Materialised ancestry "/<id>/<id>/": a subtree is one indexed prefix match.
    path = models.CharField(max_length=120, db_index=True, editable=False)
    successor = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="predecessors",
        verbose_name="撤并后归入",
    )

    objects = RegionQuerySet.as_manager()

    class Meta:
        verbose_name = "行政区划"
        verbose_name_plural = "行政区划"
        ordering = ["sort_key", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["county", "code", "valid_from"],
                condition=~Q(code=""),
                name="%(app_label)s_%(class)s_unique_code",
                violation_error_message="同一区划代码在同一起始日期只能有一条",
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="%(app_label)s_%(class)s_valid_dates",
                violation_error_message="终止日期不能早于起始日期",
            ),
            models.CheckConstraint(
                condition=Q(level=Level.TOWNSHIP, parent__isnull=True)
                | Q(~Q(level=Level.TOWNSHIP), parent__isnull=False),
                name="%(app_label)s_%(class)s_parent_by_level",
                violation_error_message="乡镇（街道）直属于县；村（社区）和组必须有上级",
            ),
        ]
        indexes = [
            models.Index(fields=["county", "level", "parent"]),
            models.Index(fields=["parent", "sort_key"], name="geo_region_parent_sort"),
        ]

    def __str__(self) -> str:
        return self.short_name

    def save(self, *args, **kwargs):
        self.sort_key = region_sort_key(self.code, self.name)
        self.name_initials = initials(self.short_name or self.name, surname=False)[:60]
        fields = kwargs.get("update_fields")
        if fields is not None and {"code", "name", "short_name"} & set(fields):
            kwargs["update_fields"] = {*fields, "sort_key", "name_initials"}
        super().save(*args, **kwargs)

    @property
    def ancestor_ids(self) -> list[int]:
        return [int(p) for p in self.path.strip("/").split("/") if p]

    def ancestors(self):
        """The chain from the township down to this region's parent."""
        ids = self.ancestor_ids[:-1]
        by_id = Region.objects.in_bulk(ids)
        return [by_id[i] for i in ids if i in by_id]

    @property
    def township_id(self) -> int:
        return self.ancestor_ids[0]

    @property
    def village_id(self) -> int | None:
        ids = self.ancestor_ids
        return ids[1] if len(ids) > 1 else None

    def is_within(self, other: Region) -> bool:
        return self.path.startswith(other.path)


class RegionChange(CountyOwned):
    """One event in a region's history: created, renamed, moved, merged or ended."""

    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="changes")
    kind = models.CharField("变更类型", max_length=10, choices=ChangeKind.choices)
    effective_on = models.DateField("生效日期")
    before = models.JSONField("变更前", default=dict, blank=True)
    after = models.JSONField("变更后", default=dict, blank=True)
    note = models.CharField("说明", max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "区划变更"
        verbose_name_plural = "区划变更"
        ordering = ["effective_on", "id"]


def region_q(region: Region, prefix: str = "") -> Q:
    """The filter for rows located in a region's subtree, on their denormalised
    township/village/region columns (indexed equality instead of a join on path)."""
    if region.level == Level.TOWNSHIP:
        return Q(**{f"{prefix}township_id": region.pk})
    if region.level == Level.VILLAGE:
        return Q(**{f"{prefix}village_id": region.pk})
    return Q(**{f"{prefix}region_id": region.pk})


def tree_order(prefix: str = "") -> list:
    """ORDER BY terms that list regions of mixed levels in map order (each township, then its
    villages, each with its groups), siblings in official order, the same on every database:
    township key, village key, group key, with ids to keep equal keys apart."""
    from django.db.models import Case, F, Value, When
    from django.db.models.functions import Coalesce

    p = prefix
    is_group, is_village = Q(**{f"{p}level": Level.GROUP}), Q(**{f"{p}level": Level.VILLAGE})
    blank, zero = Value(""), Value(0)
    return [
        Coalesce(F(f"{p}parent__parent__sort_key"), F(f"{p}parent__sort_key"), F(f"{p}sort_key")),
        Coalesce(F(f"{p}parent__parent_id"), F(f"{p}parent_id"), F(f"{p}id")),
        Case(
            When(is_group, then=F(f"{p}parent__sort_key")),
            When(is_village, then=F(f"{p}sort_key")),
            default=blank,
        ),
        Case(
            When(is_group, then=F(f"{p}parent_id")),
            When(is_village, then=F(f"{p}id")),
            default=zero,
        ),
        Case(When(is_group, then=F(f"{p}sort_key")), default=blank),
        F(f"{p}id"),
    ]


# Siblings in official order (Region.sort_key): one spelling for every order_by.
SIBLING_ORDER = ("sort_key", "id")
