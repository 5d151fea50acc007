"""Which households a print covers: one household, a cadre's, a region's or a unit's — always
narrowed to what the printing user may see."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import models
from django.db.models import QuerySet
from django.http import Http404

from lianxin.core.access import get_visible_or_404
from lianxin.geo.models import Region, region_q
from lianxin.org.models import Cadre, Unit
from lianxin.pairing.models import Pairing
from lianxin.people.models import Household

KINDS = {
    "household": "户",
    "cadre": "干部",
    "region": "区划",
    "unit": "单位",
}
# Cards come out grouped the way they are handed out: by village, then group, then number.
CARD_ORDER = (
    "township__code",
    "township_id",
    "village__code",
    "village_id",
    "region__code",
    "region_id",
    "number",
    "pk",
)


@dataclass(frozen=True)
class Selection:
    """A print's scope: the object it was chosen from and the households it covers."""

    kind: str
    obj: models.Model
    label: str
    households: QuerySet[Household]

    @property
    def kind_label(self) -> str:
        if isinstance(self.obj, Region):
            return self.obj.get_level_display()
        return KINDS[self.kind]

    def ordered(self) -> QuerySet[Household]:
        return self.households.order_by(*CARD_ORDER)


def resolve(user: Any, kind: str, pk: Any) -> Selection:
    """The selection named by kind and pk, or 404 when the object is outside the user's scope
    (or the kind is unknown: a crafted URL gets the same answer as a missing object)."""
    if not user.is_authenticated or not user.sees_people or kind not in KINDS:
        raise Http404("对象不存在或不在您的权限范围内")
    visible = Household.objects.visible_to(user)
    if kind == "household":
        household = get_visible_or_404(Household, user, pk)
        return Selection(kind, household, f"户{household.number}", visible.filter(pk=household.pk))
    if kind == "cadre":
        cadre = get_visible_or_404(Cadre, user, pk)
        paired = Pairing.objects.current().filter(cadre=cadre)
        return Selection(kind, cadre, cadre.name, visible.filter(pk__in=paired.values("household")))
    if kind == "region":
        region = get_visible_or_404(Region, user, pk)
        return Selection(kind, region, region.short_name, visible.filter(region_q(region)))
    unit = get_visible_or_404(Unit, user, pk)
    paired = Pairing.objects.current().filter(cadre__unit=unit)
    return Selection(kind, unit, str(unit), visible.filter(pk__in=paired.values("household")))
