"""One rule per test, each on an instance small enough that the right answer is known by hand."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from lianxin.pairing.solver import Cadre, Existing, Household, Instance, Zone, solve

from .helpers import cadres, households, loads, rerun, zone_respected

# --- zones and coverage ---------------------------------------------------------------------


def test_cadres_pair_only_inside_their_units_zone() -> None:
    # Unit 1 has room to spare, but village 20 belongs to unit 2 alone, whose one cadre takes 1.
    inst = Instance(
        households=households(10, [3]) + households(20, [2], start=100),
        cadres=cadres(1, 1, start=1, max_load=10) + cadres(2, 1, start=2, max_load=1),
        zones=[Zone(1, (10,)), Zone(2, (20,))],
    )
    sol = solve(inst)
    assert zone_respected(inst, sol)
    assert len(sol.uncovered) == 1 and sol.uncovered[0] in (100, 101)
    assert sol.units[1].households == 3 and sol.units[2].households == 1


def test_full_coverage_when_capacity_allows() -> None:
    inst = Instance(households(1, [5, 4, 3]), cadres(7, 3, start=1, max_load=4), [Zone(7, (1,))])
    sol = solve(inst)
    assert sol.uncovered == [] and sol.shortfalls == []
    assert loads(sol, [1, 2, 3]) == [4, 4, 4]
    assert sol.status == "OPTIMAL"


def test_infeasible_zone_reports_exact_shortfall() -> None:
    # 12 cadres at 15 each can take 180 of 212: 32 left, 3 more cadres or a cap of ⌈212/12⌉ = 18.
    inst = Instance(
        households=households(5, [22] * 9 + [14]),
        cadres=cadres(3, 12, start=1, max_load=15),
        zones=[Zone(3, (5,))],
        names={5: "大坪村"},
    )
    sol = solve(inst)
    assert len(sol.uncovered) == 32
    [short] = sol.shortfalls
    assert (short.unit_ids, short.village_ids) == ((3,), (5,))
    assert (short.households_needing, short.capacity, short.uncovered) == (212, 180, 32)
    assert (short.cadres_missing, short.max_load_needed) == (3, 18)
    assert (
        short.message_zh
        == "大坪村: 212 户需覆盖, 本单位可承接 180 户, 缺 3 名干部或上限提高到 18 户"
    )
    assert loads(sol, range(1, 13)) == [15] * 12


def test_shortfall_counts_only_what_kept_pairings_leave() -> None:
    # Cadre 1 keeps 8 of 10; 6 new households; capacity left is 2 + 5 = 7 ≥ 6: no shortfall.
    # Then with 9 new households: 9 needing, 7 capacity; a common cap L (never lowering anyone's)
    # needs (max(10, L) − 8) + max(5, L) ≥ 9 → L = 7, not ⌈17/2⌉ = 9, which ignores who holds what.
    old = households(1, [8])
    inst = Instance(
        households=old + households(1, [6], start=50, group0=1),
        cadres=[Cadre(1, 1, 0, 10), Cadre(2, 1, 0, 5)],
        zones=[Zone(1, (1,))],
        existing=[Existing(h.id, 1) for h in old],
        names={1: "小河村"},
    )
    assert solve(inst).shortfalls == []
    inst = Instance(
        households=old + households(1, [9], start=50, group0=1),
        cadres=[Cadre(1, 1, 0, 10), Cadre(2, 1, 0, 5)],
        zones=[Zone(1, (1,))],
        existing=[Existing(h.id, 1) for h in old],
        names={1: "小河村"},
    )
    [short] = solve(inst).shortfalls
    assert (short.households_needing, short.capacity, short.uncovered) == (9, 7, 2)
    assert short.max_load_needed == 7
    assert short.message_zh == "小河村: 9 户需覆盖, 本单位可承接 7 户, 缺 1 名干部或上限提高到 7 户"


def test_village_outside_every_zone_is_reported() -> None:
    inst = Instance(
        households(1, [2]) + households(9, [3], start=10),
        cadres(1, 1, start=1),
        [Zone(1, (1,))],
        names={9: "石门村"},
    )
    sol = solve(inst)
    assert sol.uncovered == [10, 11, 12]
    [short] = sol.shortfalls
    assert (
        short.unit_ids == ()
        and short.message_zh == "石门村: 3 户需覆盖, 该村未划入任何单位的责任区"
    )


def test_unit_without_cadres_needs_cadres() -> None:
    inst = Instance(
        households(1, [30]) + households(2, [3], start=100),
        cadres(1, 2, start=1, max_load=20),  # sets the typical max load: 20
        [Zone(1, (1,)), Zone(2, (2,))],
        names={2: "枫林村"},
    )
    [short] = solve(inst).shortfalls
    assert short.unit_ids == (2,) and short.cadres_missing == 1 and short.max_load_needed is None
    assert short.message_zh == "枫林村: 3 户需覆盖, 本单位可承接 0 户, 缺 1 名干部"


# --- loads and groups -----------------------------------------------------------------------


def test_loads_within_bounds_and_even() -> None:
    # Ten households of ten groups: splits cost nothing, so only evenness decides: 4/3/3.
    inst = Instance(households(1, [1] * 10), cadres(1, 3, start=1, max_load=10), [Zone(1, (1,))])
    sol = solve(inst)
    assert loads(sol, [1, 2, 3]) == [3, 3, 4]
    assert sol.units[1].load_spread == 1 and sol.objective.split_pieces == 0


def test_one_group_spread_evenly_when_it_must_be_split() -> None:
    inst = Instance(households(1, [10]), cadres(1, 3, start=1, max_load=4), [Zone(1, (1,))])
    sol = solve(inst)
    assert loads(sol, [1, 2, 3]) == [3, 3, 4]
    assert sol.objective.split_pieces == 2 and sol.units[1].groups_split == 1


def test_groups_are_not_split_when_they_fit() -> None:
    inst = Instance(households(1, [5, 5]), cadres(1, 2, start=1, max_load=5), [Zone(1, (1,))])
    sol = solve(inst)
    holders = {h.group_id: {sol.assignment[h.id]} for h in inst.households}
    for h in inst.households:
        holders[h.group_id].add(sol.assignment[h.id])
    assert all(len(s) == 1 for s in holders.values())
    assert sol.objective.split_pieces == 0


def test_keeping_groups_together_comes_before_evenness() -> None:
    # 7+3 and 5+5 fit two cadres of 10 exactly without splitting anything.
    inst = Instance(
        households(1, [7, 5, 3, 5]), cadres(1, 2, start=1, max_load=10), [Zone(1, (1,))]
    )
    sol = solve(inst)
    assert sol.objective.split_pieces == 0 and loads(sol, [1, 2]) == [10, 10]
    # 6 and 4: unsplit beats the even 5/5 that a split would give.
    inst = Instance(households(1, [6, 4]), cadres(1, 2, start=1, max_load=10), [Zone(1, (1,))])
    sol = solve(inst)
    assert sol.objective.split_pieces == 0 and loads(sol, [1, 2]) == [4, 6]


def test_every_cadre_gets_households_before_groups_are_kept_whole() -> None:
    # One group of 6 and three cadres: an idle cadre is worse than a split group.
    inst = Instance(households(1, [6]), cadres(1, 3, start=1, max_load=6), [Zone(1, (1,))])
    sol = solve(inst)
    assert loads(sol, [1, 2, 3]) == [2, 2, 2]
    assert sol.units[1].idle_cadres == ()


def test_min_load_is_soft_and_reported() -> None:
    inst = Instance(households(1, [2]), cadres(1, 3, start=1, min_load=1), [Zone(1, (1,))])
    sol = solve(inst)
    assert sol.uncovered == []
    assert loads(sol, [1, 2, 3]) == [0, 1, 1]
    assert len(sol.units[1].idle_cadres) == 1 and sol.units[1].below_min == sol.units[1].idle_cadres


def test_without_keep_groups_together_loads_are_still_even() -> None:
    inst = Instance(
        households(1, [6, 4]),
        cadres(1, 2, start=1, max_load=10),
        [Zone(1, (1,))],
        keep_groups_together=False,
    )
    sol = solve(inst)
    assert loads(sol, [1, 2]) == [5, 5]


# --- stability ------------------------------------------------------------------------------


def _two_units() -> Instance:
    return Instance(
        households=households(1, [9, 7, 5]) + households(2, [8, 6], start=100, group0=10),
        cadres=cadres(1, 3, start=1, max_load=12) + cadres(2, 2, start=11, max_load=9),
        zones=[Zone(1, (1,)), Zone(2, (2,))],
    )


def test_rerun_with_nothing_changed_changes_nothing() -> None:
    inst = _two_units()
    first = solve(inst)
    again = solve(rerun(inst, first))
    assert again.assignment == first.assignment
    assert again.new == [] and again.ended == []
    assert len(again.kept) == len(first.assignment)


def test_cadre_leaving_moves_only_their_households_within_the_unit() -> None:
    inst = _two_units()
    first = solve(inst)
    gone = 2
    mine = {h for h, c in first.assignment.items() if c == gone}
    after = solve(rerun(inst, first, cadres=[c for c in inst.cadres if c.id != gone]))
    assert {p.household_id for p in after.new} == mine
    assert {e.household_id for e in after.ended} == mine
    assert {e.reason for e in after.ended} == {"cadre_gone"}
    assert all(p.cadre_id in (1, 3) for p in after.new)
    for h, c in first.assignment.items():
        if h not in mine:
            assert after.assignment[h] == c


def test_cadre_leaving_a_shared_village_stays_with_their_unit() -> None:
    # Village 1 is in both zones. Unit 2's cadre is idle, so evenness alone would send the
    # orphaned households there; they go to unit 1's remaining cadre instead.
    hh = households(1, [4])
    inst = Instance(
        households=hh,
        cadres=[Cadre(1, 1, 0, 10), Cadre(3, 2, 0, 10)],
        zones=[Zone(1, (1,)), Zone(2, (1,))],
        existing=[Existing(h.id, 2, unit_id=1) for h in hh],
    )
    sol = solve(inst)
    assert set(sol.assignment.values()) == {1}
    assert sol.objective.cross_unit == 0


def test_new_households_do_not_disturb_existing_pairings() -> None:
    inst = _two_units()
    first = solve(inst)
    extra = [Household(500, 0, 1), Household(501, 2, 1), Household(502, 11, 2)]
    after = solve(rerun(inst, first, households=[*inst.households, *extra]))
    assert {p.household_id for p in after.new} == {500, 501, 502}
    assert after.ended == []
    assert all(after.assignment[h] == c for h, c in first.assignment.items())


def test_new_households_join_the_cadre_already_holding_their_group() -> None:
    hh = households(1, [3, 3])
    inst = Instance(
        households=[*hh, Household(50, 1, 1)],
        cadres=cadres(1, 2, start=1, max_load=5),
        zones=[Zone(1, (1,))],
        existing=[Existing(h.id, 1 if h.group_id == 0 else 2) for h in hh],
    )
    assert solve(inst).assignment[50] == 2


def test_locked_pairings_are_kept_even_when_suboptimal() -> None:
    # Locked: all 4 households of group 0 with cadre 1 (max 3!) and one of group 1 out of zone.
    hh = households(1, [4]) + households(2, [1], start=10, group0=1)
    inst = Instance(
        households=[*hh, *households(1, [2], start=20, group0=2)],
        cadres=[Cadre(1, 1, 0, 3), Cadre(2, 1, 0, 3)],
        zones=[Zone(1, (1,))],
        existing=[Existing(h.id, 1, locked=True) for h in hh],
    )
    sol = solve(inst)
    assert all(sol.assignment[h.id] == 1 for h in hh)
    assert sol.locked_out_of_zone == [10]
    assert sol.units[1].over_max == (1,)
    assert sol.assignment[20] == sol.assignment[21] == 2


def test_over_max_load_releases_only_the_excess_smallest_fragment_first() -> None:
    hh = households(1, [4, 2])  # group 0: ids 1–4, group 1: ids 5–6
    inst = Instance(
        households=hh,
        cadres=[Cadre(1, 1, 0, 4), Cadre(2, 1, 0, 4)],
        zones=[Zone(1, (1,))],
        existing=[Existing(h.id, 1) for h in hh],
    )
    sol = solve(inst)
    assert {(e.household_id, e.reason) for e in sol.ended} == {
        (5, "over_max_load"),
        (6, "over_max_load"),
    }
    assert sol.assignment[5] == sol.assignment[6] == 2
    assert sol.objective.split_pieces == 0


def test_pairings_that_no_longer_apply_are_ended_with_a_reason() -> None:
    inst = Instance(
        households=households(1, [2]) + households(2, [1], start=10),
        cadres=cadres(1, 2, start=1),
        zones=[Zone(1, (1,))],
        existing=[Existing(1, 1), Existing(10, 1), Existing(99, 1)],
    )
    reasons = {e.household_id: e.reason for e in solve(inst).ended}
    assert reasons == {10: "out_of_zone", 99: "household_gone"}


# --- mechanics ------------------------------------------------------------------------------


def _mixed(seed: int) -> Instance:
    rnd = random.Random(seed)
    hh: list[Household] = []
    for v in range(4):
        hh += households(
            v, [rnd.randint(3, 15) for _ in range(4)], start=len(hh) + 1, group0=v * 10
        )
    cs = cadres(1, 4, start=1, max_load=12) + cadres(2, 3, start=11, max_load=12)
    return Instance(hh, cs, [Zone(1, (0, 1, 2)), Zone(2, (2, 3))])


def test_same_input_same_output_whatever_the_order() -> None:
    inst = _mixed(3)
    first = solve(inst)
    rnd = random.Random(0)
    shuffled = Instance(
        rnd.sample(list(inst.households), len(inst.households)),
        rnd.sample(list(inst.cadres), len(inst.cadres)),
        list(reversed(inst.zones)),
    )
    assert solve(shuffled).assignment == first.assignment == solve(inst).assignment


def test_worker_processes_give_the_same_answer_and_report_progress() -> None:
    hh = households(1, [7, 7]) + households(2, [5, 9], start=100, group0=10)
    hh += households(3, [6], start=200, group0=20)
    inst = Instance(
        hh,
        cadres(1, 2, start=1, max_load=9)
        + cadres(2, 2, start=11, max_load=9)
        + cadres(3, 1, start=21),
        [Zone(1, (1,)), Zone(2, (2,)), Zone(3, (3,))],
    )
    seen: list[tuple[int, int]] = []
    parallel = solve(inst, workers=2, progress=lambda done, total: seen.append((done, total)))
    assert parallel.assignment == solve(inst).assignment
    assert seen == [(1, 3), (2, 3), (3, 3)]
    assert parallel.components == 3


def test_invalid_input_is_refused() -> None:
    with pytest.raises(ValueError, match="duplicate household"):
        solve(Instance([Household(1, 1, 1), Household(1, 1, 1)], [], []))
    with pytest.raises(ValueError, match="negative"):
        solve(Instance([], [Cadre(1, 1, 0, -1)], []))


def test_objective_matches_the_reported_statistics() -> None:
    sol = solve(_mixed(5))
    count = Counter(sol.assignment.values())
    assert sol.objective.load_squares == sum(n * n for n in count.values())
    assert sol.objective.split_pieces == sum(u.split_pieces for u in sol.units.values())
    assert sol.bound.as_tuple() <= sol.objective.as_tuple()
