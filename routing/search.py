"""Exact search for the set of locations that fulfils an order best.

The objective is lexicographic: (1) most units allocated, (2) fewest fulfilments, (3) lowest sum
of the locations' weighted penalties, (4) lowest total shipping cost, then the lexicographically
smallest sorted tuple of location ids. The search works on plain integer arrays prepared by
``routing.solving`` and knows nothing about orders, lines or money; split rules that depend on
line values reach it as a ``split_valid`` callback (plus an optional price bound for pruning).
This module holds the problem, the result and the driver (``Searcher``); the pruning arrays
are built in ``routing.search_arrays``, the position-order phases run in
``routing.search_branching``.

Why it is exact and still fast:

* Units are separable per SKU: a set S allocates ``sum_s min(d_s, sum_{l in S} atp_l[s])``. With
  the demand capped to what the whole network holds, "most units" means "covers the capped demand
  completely", whenever the split policy allows it. Phase A therefore looks, for k = k_min, k_min+1,
  ..., for the cheapest *complete cover* of size k, which prunes hard: every SKU's remaining need
  must fit in what the remaining picks can bring, and the last pick is found with a handful of
  bitmask ANDs instead of a scan. The first k with a cover is optimal for (1) and (2). When
  every split is valid, phase A branches on the scarcest SKU instead (``routing.cover``): the
  same answer, and far fewer nodes when stock is scattered thinly over many locations.
* Phase B (rare: the split policy forbids a complete cover) is a classic branch-and-bound that
  maximises units level by level.
* (3), (4) and the id tie-break are folded into one integer key per candidate, additive over a set:
  ``((penalty * C + cost) << n) - 2 ** (n - 1 - id_rank)``, where ``id_rank`` is the rank of the
  candidate's location id among all n (``SearchProblem.id_rank``). For sets of the same size,
  comparing the key sums compares (penalty, cost, ids) lexicographically: C exceeds any spread of
  cost sums, and the power-of-two term makes the set holding the smallest id of the symmetric
  difference win, which is exactly "lexicographically smallest sorted tuple of ids". The rank
  must be the id's, not the position's: positions follow the id only among equal penalty and
  cost, and two sets with equal sums can mix groups ({cost 0: id 4, cost 1: id 3} against
  {cost 0: id 7, cost 1: id 1}). Candidates are given sorted by key (the power-of-two term never
  outweighs a step of penalty or cost), so the cheapest r picks after position j are the next r
  positions and a prefix sum is an exact lower bound.
* Dominance (only when every split is valid): if candidate i is at least as good as j on every
  SKU's (capped) stock and comes first, any set holding j but not i improves by swapping, so the
  search only adds j when all its dominators are already in the set.
* Minimum part value: members are added in allocation order, so the units a member receives are
  known the moment it is added; units times the SKU's highest unit price bounds its part value,
  and a member that cannot reach the minimum is never added. The exact check runs on the winner.
* If ``node_budget`` is exceeded, a greedy heuristic finishes the job and the result says
  ``exact=False``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from routing.cover import BudgetExceeded, cheapest_cover, dominated_masks
from routing.search_arrays import SearchArrays, search_arrays_build
from routing.search_branching import SplitRules, cover_in_order, most_units

SplitCheck = Callable[[tuple[int, ...]], bool]


@dataclass(frozen=True)
class SearchProblem:
    """Candidates must be given in preference order: (penalty, cost, location id) ascending."""

    demand: tuple[int, ...]  # units to allocate per SKU index
    atp: Sequence[Sequence[int]]  # per candidate, per SKU index
    penalty: Sequence[int]  # quantised weighted penalty per candidate, >= 0
    cost: Sequence[int]  # quantised shipping cost per candidate
    max_parts: int  # largest allowed set; 0 = nothing may be allocated
    node_budget: int
    # None = every split is valid. Otherwise called with the positions of a set of at least
    # ``check_from_parts`` members before it becomes the best set (e.g. minimum part value).
    split_valid: SplitCheck | None = None
    check_from_parts: int = 2
    # Optional pruning for a minimum part value: a member's part value can be bounded as soon as
    # it is added (members are added in allocation order), by units * the SKU's highest price.
    min_part_value: int = 0
    unit_value_cap: Sequence[int] | None = None  # per SKU: highest unit price of its lines
    # Per candidate: rank of its location id among all candidates (0 = smallest), the last
    # tie-break. None = the positions (ids ascending in position order).
    id_rank: Sequence[int] | None = None


@dataclass(frozen=True)
class SearchResult:
    chosen: tuple[int, ...]  # positions, ascending (= preference order = allocation order)
    units: int
    exact: bool
    nodes: int
    phase: str  # "single" | "cover" | "max_units" | "heuristic" | "empty"
    largest_set_examined: int
    best_single: int | None  # best location alone (for explanations)
    best_single_units: int
    runner_up_single: int | None  # next best location alone with as many units
    dominance_pruning: bool


class Searcher:
    def __init__(self, problem: SearchProblem) -> None:
        self.p = problem
        atp = problem.atp
        n = len(atp)
        m = len(problem.demand)
        # Callers pass non-negative stock (the planner clamps it).
        totals = [sum(col) for col in zip(*atp, strict=True)] if n else [0] * m
        # Capping demand at what the network holds changes no set's units but turns
        # "most units" into "complete cover" (see module docstring).
        self.d = d = tuple(min(problem.demand[s], totals[s]) for s in range(m))
        self.capped = [tuple(map(min, row, d)) for row in atp]
        self.n = n
        self.m = m
        self.ub_all = sum(d)
        self.max_k = min(problem.max_parts, n)
        self.nodes = 0
        self.budget = problem.node_budget
        self.check = problem.split_valid
        self.check_from = problem.check_from_parts
        self.dominance = problem.split_valid is None
        cap = problem.unit_value_cap
        self.value_floor = problem.min_part_value if cap is not None else 0
        self.value_cap = tuple(cap) if cap is not None else (0,) * m
        self.largest = 0
        # Incumbent: (units, positions, key or None when only singles were compared).
        self.best_units = 0
        self.best: tuple[int, ...] = ()
        self.best_single: int | None = None
        self.best_single_units = 0
        self.runner_up: int | None = None
        self.arrays: SearchArrays | None = None
        self.dominated_by: list[int] | None = None

    # -- helpers ------------------------------------------------------------------------------

    def _valid(self, chosen: tuple[int, ...]) -> bool:
        if self.check is None or len(chosen) < self.check_from:
            return True
        return self.check(chosen)

    def _prepare(self) -> SearchArrays:
        """Arrays for set sizes >= 2; skipped in the common single-location case."""
        if self.arrays is None:
            self.arrays = search_arrays_build(
                capped=self.capped,
                demand=self.d,
                penalty=self.p.penalty,
                cost=self.p.cost,
                id_rank=self.p.id_rank,
                dominance=self.dominance,
            )
        return self.arrays

    def _tick(self) -> None:
        self.nodes += 1
        if self.nodes > self.budget:
            raise BudgetExceeded(self.nodes)

    def _min_parts(self) -> int:
        """Lower bound on the parts of a complete cover: per SKU, and over all units."""
        bound = 2
        targets = [(self.ub_all, [sum(row) for row in self.capped])]
        targets += [(self.d[s], [row[s] for row in self.capped]) for s in range(self.m)]
        for need, stock in targets:
            if need <= 0:
                continue
            got = count = 0
            for v in sorted(stock, reverse=True):
                got += v
                count += 1
                if got >= need:
                    break
            bound = max(bound, count)
        return bound

    # -- level 1 ----------------------------------------------------------------------------

    def _singles(self) -> None:
        best_units = 0
        best: int | None = None
        runner: int | None = None
        for j, row in enumerate(self.capped):
            self._tick()
            units = sum(row)
            if units == 0 or units < best_units:
                continue
            if best is not None and units == best_units:
                if runner is None and self._valid((j,)):
                    runner = j
                continue
            if self._valid((j,)):
                best, runner, best_units = j, None, units
        self.best_single, self.runner_up, self.best_single_units = best, runner, best_units
        if best is not None:
            self.best, self.best_units = (best,), best_units
        self.largest = 1

    # -- phase A: cheapest complete cover of size k --------------------------------------------

    def _cover(self, k: int) -> tuple[int, ...] | None:
        """Phase A in preference order (``routing.search_branching``); any split rule."""
        arrays = self._prepare()
        self.largest = max(self.largest, k)
        rules = SplitRules(self._valid, self.value_floor, self.value_cap)
        found, self.nodes = cover_in_order(arrays, k, rules, nodes=self.nodes, budget=self.budget)
        return found

    def _scarce_cover(self, k: int) -> tuple[int, ...] | None:
        """Phase A by branching on the scarcest SKU (``routing.cover``); needs dominance."""
        arrays = self._prepare()
        if self.dominated_by is None:
            self.dominated_by = dominated_masks(self.capped, arrays.ge)
        self.largest = max(self.largest, k)
        found, self.nodes = cheapest_cover(
            arrays, k, self.dominated_by, nodes=self.nodes, budget=self.budget
        )
        return found

    # -- phase B: most units when no complete cover is allowed ---------------------------------

    def _max_units(self, k: int) -> None:
        arrays = self._prepare()
        self.largest = max(self.largest, k)
        floor = self.value_floor if k >= self.check_from else 0
        rules = SplitRules(self._valid, floor, self.value_cap)
        units, found, self.nodes = most_units(
            arrays, k, rules, incumbent=self.best_units, nodes=self.nodes, budget=self.budget
        )
        if found is not None:
            self.best_units, self.best = units, found

    # -- fallback -------------------------------------------------------------------------------

    def _greedy(self) -> tuple[tuple[int, ...], int]:
        """Repeatedly add the location that brings the most new units (ties: preference order)."""
        need = list(self.d)
        chosen: list[int] = []
        units = 0
        for _ in range(self.max_k):
            best_gain, best_j = 0, -1
            for j, row in enumerate(self.capped):
                if j in chosen:
                    continue
                gain = sum(row[s] if row[s] < need[s] else need[s] for s in range(self.m))
                if gain > best_gain:
                    best_gain, best_j = gain, j
            if best_gain == 0:
                break
            chosen.append(best_j)
            row = self.capped[best_j]
            for s in range(self.m):
                need[s] -= min(need[s], row[s])
            units += best_gain
            if units == self.ub_all:
                break
        sel = tuple(sorted(chosen))
        while len(sel) > 1 and not self._valid(sel):
            # Drop the least preferred member until the split rules hold.
            sel = sel[:-1]
            units = self._units(sel)
        if sel and not self._valid(sel):
            return (), 0
        return sel, units

    def _units(self, chosen: tuple[int, ...]) -> int:
        return sum(min(self.d[s], sum(self.capped[j][s] for j in chosen)) for s in range(self.m))

    # -- driver ---------------------------------------------------------------------------------

    def run(self) -> SearchResult:
        if self.max_k <= 0 or self.n == 0 or self.ub_all == 0:
            return self._result(exact=True, phase="empty")
        try:
            self._singles()
            if self.best_units == self.ub_all or self.max_k == 1:
                return self._result(exact=True, phase="single")
            self._prepare()
            for k in range(self._min_parts(), self.max_k + 1):
                found = self._scarce_cover(k) if self.dominance else self._cover(k)
                if found is not None:
                    self.best, self.best_units = found, self.ub_all
                    return self._result(exact=True, phase="cover")
            for k in range(2, self.max_k + 1):
                self._max_units(k)
                if self.best_units == self.ub_all:
                    break
            return self._result(exact=True, phase="max_units")
        except BudgetExceeded as exc:
            self.nodes = exc.nodes  # where the phase that ran out stopped counting
            sel, units = self._greedy()
            if units > self.best_units or (
                units == self.best_units and 0 < len(sel) < len(self.best)
            ):
                self.best, self.best_units = sel, units
            return self._result(exact=False, phase="heuristic")

    def _result(self, *, exact: bool, phase: str) -> SearchResult:
        return SearchResult(
            chosen=self.best,
            units=self.best_units,
            exact=exact,
            nodes=self.nodes,
            phase=phase,
            largest_set_examined=self.largest,
            best_single=self.best_single,
            best_single_units=self.best_single_units,
            runner_up_single=self.runner_up,
            dominance_pruning=self.dominance,
        )


def find_best_set(problem: SearchProblem) -> SearchResult:
    """Best set of candidate positions for the lexicographic objective (see module docstring)."""
    return Searcher(problem).run()
