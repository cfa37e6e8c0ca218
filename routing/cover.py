"""Cheapest complete cover of exactly k members, branching on the scarcest SKU.

Used by ``routing.search`` (phase A) when every split is valid, which is when dominance holds.
The position-order enumeration there (add members in preference order) proves that no smaller
cover exists only slowly when stock is scattered thinly: with a hundred locations holding one or
two units each, the sets to rule out are many and its bounds see only sums. Branching on the SKU
with the fewest holders left is the classic exact method for covering problems: every cover
must contain one of that SKU's holders, so the branches are "the first holder", "not the first
but the second", ... - they partition the covers, and each excludes the holders before it.

Bounds at every node, all exact (a pruned branch holds no better cover):

* every SKU still needed must be reachable: some allowed location brings at least
  ``need / picks left`` units of it (the ``ge`` bitmasks answer that with one AND), and so
  must the total;
* the key sum plus the cheapest keys still allowed must beat the incumbent (positions are in
  key order, so the cheapest are the lowest set bits);
* dominance: a location is chosen only if every location that dominates it is chosen or still
  allowed, and excluding a location excludes every location it dominates (an optimal set is
  closed under dominators: swapping in the dominator covers as much at a lower key).

The answer is the same set the enumeration finds: the cover of size k with the lowest key sum
(keys encode penalty, cost and the id tie-break, see ``routing.search``).
"""

from __future__ import annotations

from collections.abc import Sequence

from routing.search_arrays import SearchArrays


class BudgetExceeded(Exception):
    """The node budget ran out; ``nodes`` says how many were visited."""

    def __init__(self, nodes: int = 0) -> None:
        super().__init__(nodes)
        self.nodes = nodes


def dominated_masks(capped: Sequence[tuple[int, ...]], ge: Sequence[Sequence[int]]) -> list[int]:
    """Per position j: the later positions whose capped stock is at most j's on every SKU."""
    n = len(capped)
    all_bits = (1 << n) - 1
    # le[s][v]: positions holding at most v units of s.
    le = [[all_bits & ~masks[v + 1] for v in range(len(masks) - 1)] + [all_bits] for masks in ge]
    out = []
    for j, row in enumerate(capped):
        mask = all_bits & ~((1 << (j + 1)) - 1)
        for s, v in enumerate(row):
            mask &= le[s][v]
            if not mask:
                break
        out.append(mask)
    return out


def cheapest_cover(
    arrays: SearchArrays, k: int, dominated_by: Sequence[int], *, nodes: int, budget: int
) -> tuple[tuple[int, ...] | None, int]:
    """``(positions ascending or None, nodes)``; raises ``BudgetExceeded`` past ``budget``.

    ``dominated_by`` comes from ``dominated_masks`` (the same for every k, so callers keep it).
    """
    need, keys, capped, ge, dom = arrays.demand, arrays.keys, arrays.capped, arrays.ge, arrays.dom
    m = len(need)
    ge_any = [masks[1] if len(masks) > 1 else 0 for masks in ge]
    totals = [sum(row) for row in capped]
    # ge_total[v]: locations bringing at least v units in all.
    top = max(totals, default=0)
    exact_total = [0] * (top + 1)
    for j, t in enumerate(totals):
        exact_total[t] |= 1 << j
    ge_total = [0] * (top + 1)
    acc = 0
    for v in range(top, -1, -1):
        acc |= exact_total[v]
        ge_total[v] = acc
    best_key: int | None = None
    best_sel: tuple[int, ...] | None = None

    def cheapest(allowed: int, r: int) -> int | None:
        """Sum of the r lowest keys among ``allowed`` (None if it has fewer than r members).

        Keys can be negative (see ``routing.search``)."""
        total = 0
        while r:
            if not allowed:
                return None
            low = allowed & -allowed
            total += keys[low.bit_length() - 1]
            allowed ^= low
            r -= 1
        return total

    def node(need: tuple[int, ...], r: int, key_sum: int, chosen: int, allowed: int) -> None:
        nonlocal best_key, best_sel, nodes
        # Only locations bringing some SKU still needed can help.
        useful = 0
        scarce = -1
        scarce_bits = 0
        scarce_count = 0
        total_need = 0
        for s in range(m):
            ns = need[s]
            if not ns:
                continue
            total_need += ns
            masks = ge[s]
            # Some pick must bring at least ceil(ns / r) units of s.
            if not allowed & masks[-(-ns // r)]:
                return
            holders = allowed & ge_any[s]
            useful |= holders
            count = holders.bit_count()
            if scarce < 0 or count < scarce_count:
                scarce, scarce_bits, scarce_count = s, holders, count
        per_pick = -(-total_need // r)
        if per_pick > top or not useful & ge_total[per_pick]:
            return
        allowed &= useful
        if r == 1:
            bits = allowed
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
                    return  # later bits have larger keys
                if dom[j] & ~chosen:
                    continue  # a dominator is not in the set
                best_key, best_sel = key, _positions(chosen | low)
                return
            return
        bits = scarce_bits
        while bits:
            low = bits & -bits
            bits ^= low
            j = low.bit_length() - 1
            nodes += 1
            if nodes > budget:
                raise BudgetExceeded(nodes)
            rest = allowed & ~low
            if best_key is not None:
                bound = cheapest(rest, r - 1)
                if bound is None or key_sum + keys[j] + bound >= best_key:
                    return  # later holders have larger keys and fewer others allowed
            if not dom[j] & ~(chosen | allowed):
                row = capped[j]
                new = tuple(ns - row[s] if ns > row[s] else 0 for s, ns in enumerate(need))
                if any(new):  # completing early: a smaller cover exists, this is no k-set
                    node(new, r - 1, key_sum + keys[j], chosen | low, rest)
            # Further branches leave j out, and with it everything j dominates.
            allowed = rest & ~dominated_by[j]
            bits &= allowed

    all_bits = 0
    for masks in ge_any:
        all_bits |= masks
    node(need, k, 0, 0, all_bits)
    return best_sel, nodes


def _positions(mask: int) -> tuple[int, ...]:
    out = []
    while mask:
        low = mask & -mask
        out.append(low.bit_length() - 1)
        mask ^= low
    return tuple(out)
