"""Exact search for the set of locations that fulfils an order best.

The objective is lexicographic: (1) most units allocated, (2) fewest fulfilments, (3) lowest sum
of the locations' weighted penalties, (4) lowest total shipping cost, then the lexicographically
smallest sorted tuple of location ids. The search works on plain integer arrays prepared by
``routing.solving`` and knows nothing about orders, lines or money; split rules that depend on
line values reach it as a ``split_valid`` callback (plus an optional price bound for pruning).

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


_BudgetExceeded = BudgetExceeded


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
        self._prepared = False

    # -- helpers ------------------------------------------------------------------------------

    def _valid(self, chosen: tuple[int, ...]) -> bool:
        if self.check is None or len(chosen) < self.check_from:
            return True
        return self.check(chosen)

    def _prepare(self) -> None:
        """Arrays for set sizes >= 2; skipped in the common single-location case."""
        if self._prepared:
            return
        self._prepared = True
        n, m, d, capped = self.n, self.m, self.d, self.capped
        pen, cost = self.p.penalty, self.p.cost
        cmin = min(cost) if n else 0
        spread = n * ((max(cost) - cmin) if n else 0) + 1
        rank = self.p.id_rank if self.p.id_rank is not None else range(n)
        if sorted(rank) != list(range(n)):
            raise ValueError("id_rank must rank the candidates 0..n-1")
        keys = [
            ((pen[i] * spread + cost[i] - cmin) << n) - (1 << (n - 1 - rank[i])) for i in range(n)
        ]
        for i in range(1, n):
            if keys[i] <= keys[i - 1]:
                raise ValueError("search candidates must be sorted by (penalty, cost, id)")
        self.keys = keys
        prefix = [0] * (n + 1)
        for i in range(n):
            prefix[i + 1] = prefix[i] + keys[i]
        self.prefix = prefix
        # Suffix sums and maxima per SKU bound what the remaining picks can still bring.
        sufsum: list[tuple[int, ...]] = [tuple([0] * m)] * (n + 1)
        sufmax: list[tuple[int, ...]] = [tuple([0] * m)] * (n + 1)
        for i in range(n - 1, -1, -1):
            row, ss, sm = capped[i], sufsum[i + 1], sufmax[i + 1]
            sufsum[i] = tuple(ss[s] + row[s] for s in range(m))
            sufmax[i] = tuple(row[s] if row[s] > sm[s] else sm[s] for s in range(m))
        self.sufsum, self.sufmax = sufsum, sufmax
        # Largest number of (capped) units any one remaining candidate can bring.
        sufmax_total = [0] * (n + 1)
        for i in range(n - 1, -1, -1):
            sufmax_total[i] = max(sufmax_total[i + 1], sum(capped[i]))
        self.sufmax_total = sufmax_total
        # ge[s][v]: bitmask of candidates holding at least v units of SKU s.
        ge: list[list[int]] = []
        for s in range(m):
            exact = [0] * (d[s] + 1)
            for i in range(n):
                exact[capped[i][s]] |= 1 << i
            acc = 0
            masks = [0] * (d[s] + 1)
            for v in range(d[s], -1, -1):
                acc |= exact[v]
                masks[v] = acc
            ge.append(masks)
        self.ge = ge
        dom = [0] * n
        if self.dominance:
            for j in range(n):
                mask = (1 << j) - 1
                for s in range(m):
                    if capped[j][s]:
                        mask &= ge[s][capped[j][s]]
                        if not mask:
                            break
                dom[j] = mask
        self.dom = dom
        self.dom_count = [x.bit_count() for x in dom]

    def _eligible(self, k: int) -> int:
        """Candidates that can be in a canonical set of size k (fewer than k dominators)."""
        all_bits = (1 << self.n) - 1
        if not self.dominance:
            return all_bits
        mask = 0
        for j, c in enumerate(self.dom_count):
            if c < k:
                mask |= 1 << j
        return mask

    def _tick(self) -> None:
        self.nodes += 1
        if self.nodes > self.budget:
            raise _BudgetExceeded

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
        self._prepare()
        n, m = self.n, self.m
        keys, prefix, sufsum, sufmax, sufmax_total, ge, dom = (
            self.keys,
            self.prefix,
            self.sufsum,
            self.sufmax,
            self.sufmax_total,
            self.ge,
            self.dom,
        )
        capped, use_dom, valid = self.capped, self.dominance, self._valid
        floor, cap = self.value_floor, self.value_cap
        eligible = self._eligible(k)
        budget = self.budget
        nodes = self.nodes
        best_key: int | None = None
        best_sel: tuple[int, ...] | None = None

        def last_pick(
            start: int, need: tuple[int, ...], key_sum: int, mask: int, chosen: tuple[int, ...]
        ) -> None:
            nonlocal best_key, best_sel, nodes
            if floor and sum(need[s] * cap[s] for s in range(m)) < floor:
                return  # whoever completes the set gets too small a part
            bits = eligible & ~((1 << start) - 1)
            for s in range(m):
                if need[s]:
                    bits &= ge[s][need[s]]
                    if not bits:
                        return
            while bits:
                low = bits & -bits
                bits ^= low
                j = low.bit_length() - 1
                nodes += 1
                if nodes > budget:
                    raise _BudgetExceeded
                key = key_sum + keys[j]
                if best_key is not None and key >= best_key:
                    return  # later bits only have larger keys
                if use_dom and dom[j] & ~mask:
                    continue
                sel = (*chosen, j)
                if valid(sel):
                    best_key, best_sel = key, sel
                    return

        def pick(
            start: int,
            r: int,
            need: tuple[int, ...],
            key_sum: int,
            mask: int,
            chosen: tuple[int, ...],
        ) -> None:
            # r >= 2 picks still to make, this one included. Every bound below only gets worse
            # as j grows, so a failed bound ends the loop.
            nonlocal nodes
            total_need = sum(need)
            for j in range(start, n - r + 1):
                nodes += 1
                if nodes > budget:
                    raise _BudgetExceeded
                if total_need > r * sufmax_total[j]:
                    return
                ss, sm = sufsum[j], sufmax[j]
                for s in range(m):
                    ns = need[s]
                    if ns and (ns > ss[s] or ns > r * sm[s]):
                        return
                if best_key is not None and key_sum + prefix[j + r] - prefix[j] >= best_key:
                    return
                if not (eligible >> j) & 1 or (use_dom and dom[j] & ~mask):
                    continue
                row = capped[j]
                new = tuple(ns - row[s] if ns > row[s] else 0 for s, ns in enumerate(need))
                if new == need or not any(new):
                    # Adds nothing, or completes early: a smaller set was already examined.
                    continue
                if floor and sum((need[s] - new[s]) * cap[s] for s in range(m)) < floor:
                    continue  # its part would be worth less than the minimum
                if r == 2:
                    last_pick(j + 1, new, key_sum + keys[j], mask | (1 << j), (*chosen, j))
                else:
                    pick(j + 1, r - 1, new, key_sum + keys[j], mask | (1 << j), (*chosen, j))

        self.largest = max(self.largest, k)
        try:
            pick(0, k, self.d, 0, 0, ())
        finally:
            self.nodes = nodes
        return best_sel

    def _scarce_cover(self, k: int) -> tuple[int, ...] | None:
        """Phase A by branching on the scarcest SKU (``routing.cover``); needs dominance."""
        if not hasattr(self, "dominated_by"):
            self.dominated_by = dominated_masks(self.capped, self.ge)
        self.largest = max(self.largest, k)
        try:
            found, self.nodes = cheapest_cover(
                k=k,
                need=self.d,
                keys=self.keys,
                capped=self.capped,
                ge=self.ge,
                dom=self.dom,
                dominated_by=self.dominated_by,
                nodes=self.nodes,
                budget=self.budget,
            )
        except BudgetExceeded as exc:
            self.nodes = exc.nodes
            raise
        return found

    # -- phase B: most units when no complete cover is allowed ---------------------------------

    def _max_units(self, k: int) -> None:
        self._prepare()
        n, m, d = self.n, self.m, self.d
        keys, prefix, sufsum, sufmax, sufmax_total, dom = (
            self.keys,
            self.prefix,
            self.sufsum,
            self.sufmax,
            self.sufmax_total,
            self.dom,
        )
        capped, use_dom, valid = self.capped, self.dominance, self._valid
        floor = self.value_floor if k >= self.check_from else 0
        cap = self.value_cap
        eligible = self._eligible(k)
        budget = self.budget
        nodes = self.nodes
        # Must beat every smaller set strictly: as many units with more parts is worse.
        inc_units = self.best_units
        inc_key: int | None = None
        inc_sel: tuple[int, ...] | None = None

        def pick(
            start: int,
            r: int,
            cur: tuple[int, ...],
            key_sum: int,
            mask: int,
            chosen: tuple[int, ...],
        ) -> None:
            nonlocal inc_units, inc_key, inc_sel, nodes
            cur_units = sum(cur)
            for j in range(start, n - r + 1):
                nodes += 1
                if nodes > budget:
                    raise _BudgetExceeded
                ss, sm = sufsum[j], sufmax[j]
                ub = 0
                for s in range(m):
                    extra = ss[s] if ss[s] < r * sm[s] else r * sm[s]
                    v = cur[s] + extra
                    ub += d[s] if v > d[s] else v
                ub = min(ub, cur_units + r * sufmax_total[j])
                if inc_key is None:
                    if ub <= inc_units:
                        return  # the bound only shrinks as j grows
                elif ub < inc_units or (
                    ub == inc_units and key_sum + prefix[j + r] - prefix[j] >= inc_key
                ):
                    return
                if not (eligible >> j) & 1 or (use_dom and dom[j] & ~mask):
                    continue
                row = capped[j]
                new = tuple(d[s] if cur[s] + row[s] > d[s] else cur[s] + row[s] for s in range(m))
                if new == cur:
                    continue
                if floor and sum((new[s] - cur[s]) * cap[s] for s in range(m)) < floor:
                    continue  # its part would be worth less than the minimum
                if r > 1:
                    pick(j + 1, r - 1, new, key_sum + keys[j], mask | (1 << j), (*chosen, j))
                    continue
                units = sum(new)
                key = key_sum + keys[j]
                if inc_key is None:
                    better = units > inc_units
                else:
                    better = units > inc_units or (units == inc_units and key < inc_key)
                sel = (*chosen, j)
                if better and valid(sel):
                    inc_units, inc_key, inc_sel = units, key, sel

        self.largest = max(self.largest, k)
        try:
            pick(0, k, tuple([0] * m), 0, 0, ())
        finally:
            self.nodes = nodes
        if inc_sel is not None:
            self.best_units, self.best = inc_units, inc_sel

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
        except _BudgetExceeded:
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
