"""The two position-order branch-and-bound phases of the exact search (``routing.search``).

Both add candidates in preference order (= key order, = allocation order) and prune with the
arrays of ``routing.search_arrays``; the module docstring of ``routing.search`` explains the
objective, the keys and why every bound is exact. Each returns the node count it reached and
raises ``BudgetExceeded(nodes)`` once the node budget runs out.

* ``cover_in_order``: phase A, the cheapest complete cover of exactly k members (used when a
  split rule is set; without one ``routing.cover`` branches on the scarcest SKU instead).
* ``most_units``: phase B, the most units with k members when no complete cover is allowed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from routing.cover import BudgetExceeded
from routing.search_arrays import SearchArrays


@dataclass(frozen=True, slots=True)
class SplitRules:
    valid: Callable[[tuple[int, ...]], bool]  # the split rules, on a set about to become the best
    value_floor: int  # minimum part value to prune with (0 = no pruning)
    value_cap: tuple[int, ...]  # per SKU: highest unit price of its lines


def cover_in_order(
    arrays: SearchArrays, k: int, rules: SplitRules, *, nodes: int, budget: int
) -> tuple[tuple[int, ...] | None, int]:
    """``(positions ascending or None, nodes)``: the size-k complete cover with the lowest keys."""
    capped, d, use_dom = arrays.capped, arrays.demand, arrays.dominance
    eligible = arrays.eligible(k)
    n, m = len(capped), len(d)
    keys, prefix, sufsum, sufmax = arrays.keys, arrays.prefix, arrays.sufsum, arrays.sufmax
    sufmax_total, ge, dom = arrays.sufmax_total, arrays.ge, arrays.dom
    valid, floor, cap = rules.valid, rules.value_floor, rules.value_cap
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
                raise BudgetExceeded(nodes)
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
        start: int, r: int, need: tuple[int, ...], key_sum: int, mask: int, chosen: tuple[int, ...]
    ) -> None:
        # r >= 2 picks still to make, this one included. Every bound below only gets worse
        # as j grows, so a failed bound ends the loop.
        nonlocal nodes
        total_need = sum(need)
        for j in range(start, n - r + 1):
            nodes += 1
            if nodes > budget:
                raise BudgetExceeded(nodes)
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

    pick(0, k, d, 0, 0, ())
    return best_sel, nodes


def most_units(
    arrays: SearchArrays, k: int, rules: SplitRules, *, incumbent: int, nodes: int, budget: int
) -> tuple[int, tuple[int, ...] | None, int]:
    """``(units, positions ascending or None, nodes)``: the set of size k with the most units.

    Only a set with more units than ``incumbent`` (the best smaller set's) is returned: as many
    units with more parts is worse.
    """
    capped, d, use_dom = arrays.capped, arrays.demand, arrays.dominance
    eligible = arrays.eligible(k)
    n, m = len(capped), len(d)
    keys, prefix, sufmax_total, dom = arrays.keys, arrays.prefix, arrays.sufmax_total, arrays.dom
    sufsum, sufmax = arrays.sufsum, arrays.sufmax
    valid, floor, cap = rules.valid, rules.value_floor, rules.value_cap
    inc_units = incumbent
    inc_key: int | None = None
    inc_sel: tuple[int, ...] | None = None

    def pick(
        start: int, r: int, cur: tuple[int, ...], key_sum: int, mask: int, chosen: tuple[int, ...]
    ) -> None:
        nonlocal inc_units, inc_key, inc_sel, nodes
        cur_units = sum(cur)
        for j in range(start, n - r + 1):
            nodes += 1
            if nodes > budget:
                raise BudgetExceeded(nodes)
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

    pick(0, k, tuple([0] * m), 0, 0, ())
    return inc_units, inc_sel, nodes
