"""The household registry: households, residents and enterprises. ID numbers and phones are
stored encrypted, with a keyed hash for exact search and a masked copy for display."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from lianxin.accounts.choices import Role
from lianxin.core.models import CountyOwned, Dated, DatedQuerySet, SealedRow, Timestamped
from lianxin.geo.models import region_q

from .choices import HardshipKind, Relation, Sex, Trade


def _located_visible(qs, user, *, prefix: str = ""):
    """Scope for rows placed in the region tree (households, enterprises, via prefix residents).
    County-wide users: the row's own county column (CountyOwned), so a county's residents are
    no join with the households. A region's staff: the county and the region both through the
    prefix, so the planner starts from the region's households (a condition on the residents'
    own county would lead SQLite to walk the whole county's residents in list order)."""
    if not user.is_authenticated or not (user.is_county_wide or user.is_region_scoped):
        return None
    if user.region_id:
        return qs.filter(**{f"{prefix}county_id": user.county_id}).filter(
            region_q(user.region, prefix)
        )
    return qs.filter(county_id=user.county_id)


class HouseholdQuerySet(models.QuerySet):
    def visible_to(self, user):
        """County roles: the county or their region; cadres: the households paired with them;
        handlers: households in their unit's responsibility zone; the three admins: none."""
        located = _located_visible(self, user)
        if located is not None:
            return located
        if not user.is_authenticated:
            return self.none()
        if user.role == Role.CADRE:
            from lianxin.pairing.models import Pairing

            mine = Pairing.objects.current().filter(cadre__user=user, county_id=user.county_id)
            return self.filter(pk__in=mine.values("household_id"))
        if user.role == Role.HANDLER and user.unit_id:
            from lianxin.org.models import ResponsibilityZone

            zones = ResponsibilityZone.objects.current().filter(unit_id=user.unit_id)
            return self.filter(county_id=user.county_id, village_id__in=zones.values("village_id"))
        return self.none()

    def writable_by(self, user):
        return self if user.is_authenticated and user.writes_registry else self.none()


class Household(CountyOwned, Timestamped):
    """A registered household (户), placed in a group (or a village without groups)."""

    number = models.CharField("户号", max_length=30)
    township = models.ForeignKey(
        "geo.Region", on_delete=models.PROTECT, related_name="+", verbose_name="乡镇（街道）"
    )
    village = models.ForeignKey(
        "geo.Region", on_delete=models.PROTECT, related_name="+", verbose_name="村（社区）"
    )
    region = models.ForeignKey(
        "geo.Region", on_delete=models.PROTECT, related_name="households", verbose_name="组（网格）"
    )
    address = models.CharField("住址", max_length=120, blank=True)
    # A counter of the household's residents, kept by the actions that register them
    # (people.counters.recount_members in the same transaction) so that lists and region
    # tallies read one column instead of counting 670,000 residents per request.
    member_count = models.PositiveIntegerField("人口", default=0, editable=False)
    # The days a pairing covers the household, as the pairing actions last left them
    # (lianxin.pairing.cover.refresh_cover, in the same transaction): the unbroken run of
    # serving pairings (in force, cadre still in office) that holds today or starts next;
    # covered_until None is open-ended, covered_from None is "no such pairing". Today's
    # coverage of 231,000 households then reads two columns of an index instead of probing
    # the pairings once per household. Past and future days are computed from the pairings.
    covered_from = models.DateField(null=True, blank=True, editable=False)
    covered_until = models.DateField(null=True, blank=True, editable=False)

    objects = HouseholdQuerySet.as_manager()

    class Meta:
        verbose_name = "户"
        verbose_name_plural = "户"
        ordering = ["number"]
        constraints = [
            # On PostgreSQL migration 0011 adds people_hh_number_keys, (county, number)
            # INCLUDE (id), so that a deep page's keys come from an index alone (core.paging);
            # SQLite's index for this constraint carries the rowid anyway.
            models.UniqueConstraint(
                fields=["county", "number"],
                name="%(app_label)s_%(class)s_unique_number",
                violation_error_message="同一户号不能重复登记",
            )
        ]
        indexes = [
            # Covers the region tallies (households and their members per township, village
            # or group: geo.filters.child_counts) without reading the table.
            models.Index(
                fields=["county", "township", "village", "region", "member_count"],
                name="people_hh_tally",
            ),
            models.Index(fields=["village", "region"]),
            # Covers today's coverage per village (lianxin.pairing.coverage) the same way.
            models.Index(
                fields=["county", "township", "village", "covered_from", "covered_until"],
                name="people_hh_cover",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number}"

    @property
    def places(self) -> list[str]:
        """Township, village and (when it has one) group, by their short names."""
        names = [self.township.short_name, self.village.short_name]
        if self.region_id != self.village_id:
            names.append(self.region.short_name)
        return names

    @property
    def full_address(self) -> str:
        """The address with its township, computed from the regions (the stored address is
        left as typed): “大坪村6组12号” shows as “文井江镇大坪村6组12号”; an address that
        already starts with the township, village or group is completed only above it, and
        one that names none of them (“12号”) is placed under the whole chain."""
        places, address = self.places, self.address.strip()
        for level, name in enumerate(places):
            if address.startswith(name):
                return "".join(places[:level]) + address
        return "".join(places) + address

    @property
    def head(self) -> Resident | None:
        """The member registered as 户主 (uses prefetched members when present)."""
        for member in self.members.all():
            if member.relation == Relation.HEAD:
                return member
        return None

    @property
    def title(self) -> str:
        """“罗选志户 · 51018411003060001”, named by its head; says so when none is registered."""
        head = self.head
        if head is None:
            return f"户 · {self.number}（未登记户主）"
        return f"{head.name}户 · {self.number}"

    @property
    def named(self) -> str:
        """How a question or a message names the household: "罗选志户（51018411003060001）"."""
        head = self.head
        return f"{head.name}户（{self.number}）" if head else f"户 {self.number}"

    def current_hardships(self):
        return [h for h in self.hardships.all() if h.is_current()]


class HouseholdHardship(CountyOwned, Dated):
    """A kind of hardship a household is registered with (困难群众), over a period."""

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="hardships")
    kind = models.CharField("困难类型", max_length=12, choices=HardshipKind.choices)
    note = models.CharField("说明", max_length=200, blank=True)

    objects = DatedQuerySet.as_manager()

    class Meta:
        verbose_name = "困难类型"
        verbose_name_plural = "困难类型"
        constraints = [
            models.UniqueConstraint(
                fields=["household", "kind"],
                condition=Q(valid_to__isnull=True),
                name="%(app_label)s_%(class)s_unique_open_kind",
                violation_error_message="该户已登记此困难类型",
            )
        ]
        indexes = [models.Index(fields=["county", "kind"])]

    def __str__(self) -> str:
        return self.get_kind_display()


class ResidentQuerySet(models.QuerySet):
    def visible_to(self, user):
        """A resident is visible exactly when their household is."""
        located = _located_visible(self, user, prefix="household__")
        if located is not None:
            return located
        return self.filter(household__in=Household.objects.visible_to(user))

    def writable_by(self, user):
        return self if user.is_authenticated and user.writes_registry else self.none()


class Resident(CountyOwned, Timestamped, SealedRow):
    """A member of a household. Sex and birth year come from the ID number; the full birth
    date is not stored apart from it, since it is the eight digits the masked copy hides."""

    sealed_fields = ("id_number", "phone")

    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="members", verbose_name="所在户"
    )
    # Indexed for the prefix searches (core.lookups.Prefix): a name typed finds its residents
    # without reading the 670,000 rows.
    name = models.CharField("姓名", max_length=30, db_index=True)
    name_initials = models.CharField("姓名首字母", max_length=30, db_index=True, editable=False)
    id_number_enc = models.TextField(editable=False)
    id_number_hash = models.CharField(max_length=64, editable=False)
    id_number_masked = models.CharField("身份证号", max_length=18, editable=False)
    sex = models.CharField("性别", max_length=1, choices=Sex.choices, editable=False)
    # Only the year stays in clear, for the age rules (留守老人/留守儿童, the age filters): with
    # the masked number it leaves a day of birth in the year and a sequence number unknown.
    birth_year = models.PositiveSmallIntegerField("出生年份", editable=False)
    phone_enc = models.TextField(blank=True, editable=False)
    phone_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    phone_masked = models.CharField("联系电话", max_length=11, blank=True, editable=False)
    relation = models.CharField("与户主关系", max_length=14, choices=Relation.choices)

    objects = ResidentQuerySet.as_manager()

    class Meta:
        verbose_name = "居民"
        verbose_name_plural = "居民"
        ordering = ["household_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["county", "id_number_hash"],
                name="%(app_label)s_%(class)s_unique_id_number",
                violation_error_message="同一身份证号不能重复登记",
            ),
            models.UniqueConstraint(
                fields=["household"],
                condition=Q(relation=Relation.HEAD),
                name="%(app_label)s_%(class)s_one_head",
                violation_error_message="一户只能有一名户主",
            ),
        ]
        indexes = [
            models.Index(fields=["county", "name"]),
            models.Index(fields=["county", "birth_year"]),
            # A county's residents in list order (household, then id) without sorting them all.
            models.Index(fields=["county", "household"], name="people_resident_listed"),
        ]

    def __str__(self) -> str:
        return self.name


class EnterpriseQuerySet(models.QuerySet):
    def visible_to(self, user):
        located = _located_visible(self, user)
        if located is not None:
            return located
        if user.is_authenticated and user.role == Role.HANDLER and user.unit_id:
            from lianxin.org.models import ResponsibilityZone

            zones = ResponsibilityZone.objects.current().filter(unit_id=user.unit_id)
            return self.filter(county_id=user.county_id, village_id__in=zones.values("village_id"))
        return self.none()

    def writable_by(self, user):
        return self if user.is_authenticated and user.writes_registry else self.none()


class Enterprise(CountyOwned, Timestamped):
    """An enterprise in the county: coverage reaches every trade, not only households."""

    name = models.CharField("企业名称", max_length=100)
    credit_code = models.CharField("统一社会信用代码", max_length=18)
    trade = models.CharField("行业门类", max_length=1, choices=Trade.choices)
    township = models.ForeignKey(
        "geo.Region", on_delete=models.PROTECT, related_name="+", verbose_name="乡镇（街道）"
    )
    village = models.ForeignKey(
        "geo.Region", on_delete=models.PROTECT, related_name="+", verbose_name="村（社区）"
    )
    region = models.ForeignKey(
        "geo.Region", on_delete=models.PROTECT, related_name="enterprises", verbose_name="所在区域"
    )
    address = models.CharField("地址", max_length=120, blank=True)
    name_initials = models.CharField(max_length=60, db_index=True, editable=False)

    objects = EnterpriseQuerySet.as_manager()

    class Meta:
        verbose_name = "企业"
        verbose_name_plural = "企业"
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["county", "credit_code"],
                name="%(app_label)s_%(class)s_unique_credit_code",
                violation_error_message="同一统一社会信用代码不能重复登记",
            )
        ]

    def __str__(self) -> str:
        return self.name


class HouseholdNumberRule(models.Model):
    """A county's own rule for 户号, set by its administrator (people.numbering); a county
    without a row, or with a blank pattern, follows the default 17-digit rule. Changed only
    through people.services.do_set_household_number_rule (audited)."""

    county = models.OneToOneField(
        "geo.County",
        on_delete=models.CASCADE,
        related_name="household_number_rule",
        verbose_name="县（市、区）",
    )
    pattern = models.CharField("户号规则（正则表达式）", max_length=200, blank=True)
    description = models.CharField("规则说明", max_length=100, blank=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "户号规则"
        verbose_name_plural = "户号规则"

    def __str__(self) -> str:
        return "户号规则"
