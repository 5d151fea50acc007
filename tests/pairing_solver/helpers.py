"""Small builders shared by the solver tests."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping

from lianxin.pairing.solver import Cadre, Existing, Household, Instance, Solution, Zone


def households(
    village: int, sizes: Iterable[int], *, start: int = 1, group0: int = 0
) -> list[Household]:
    """Households of one village, ``sizes`` giving each group's size; ids count up from start."""
    out: list[Household] = []
    hid = start
    for g, n in enumerate(sizes):
        for _ in range(n):
            out.append(Household(hid, group0 + g, village))
            hid += 1
    return out


def cadres(
    unit: int, count: int, *, start: int, min_load: int = 0, max_load: int = 40
) -> list[Cadre]:
    return [Cadre(start + i, unit, min_load, max_load) for i in range(count)]


def loads(solution: Solution, cadre_ids: Iterable[int]) -> list[int]:
    count = Counter(solution.assignment.values())
    return sorted(count.get(c, 0) for c in cadre_ids)


def as_existing(assignment: Mapping[int, int], instance: Instance) -> list[Existing]:
    unit = {c.id: c.unit_id for c in instance.cadres}
    return [Existing(h, c, unit_id=unit[c]) for h, c in assignment.items()]


def zone_respected(instance: Instance, solution: Solution) -> bool:
    zone = {z.unit_id: set(z.village_ids) for z in instance.zones}
    unit = {c.id: c.unit_id for c in instance.cadres}
    village = {h.id: h.village_id for h in instance.households}
    return all(village[h] in zone.get(unit[c], set()) for h, c in solution.assignment.items())


def rerun(instance: Instance, solution: Solution, **changes: object) -> Instance:
    """The same instance with the solution as its existing pairings, plus any changes."""
    fields: dict[str, object] = {
        "households": instance.households,
        "cadres": instance.cadres,
        "zones": instance.zones,
        "existing": as_existing(solution.assignment, instance),
        "keep_groups_together": instance.keep_groups_together,
        "names": instance.names,
    }
    fields.update(changes)
    return Instance(**fields)  # type: ignore[arg-type]


__all__ = ["Zone", "as_existing", "cadres", "households", "loads", "rerun", "zone_respected"]
