"""The per-candidate arrays the exact search (``routing.search``) bounds and prunes with.

Built once per search, and only when sets of two or more locations must be examined: the
integer keys and their prefix sums (cheapest picks), per-SKU suffix sums and maxima (what the
remaining picks can still bring), the ``ge`` bitmasks (who holds at least v units of a SKU) and
the dominance masks. See the ``routing.search`` docstring for why the keys order sets exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SearchArrays:
    capped: Sequence[tuple[int, ...]]  # per position, per SKU: stock capped at the demand
    demand: tuple[int, ...]  # per SKU, capped at what all positions hold
    dominance: bool  # dominance pruning is on (every split is valid)
    keys: list[int]  # per position: additive key of (penalty, cost, id rank)
    prefix: list[int]  # prefix[i]: sum of keys[:i]
    sufsum: list[tuple[int, ...]]  # sufsum[i][s]: capped units of SKU s at positions >= i
    sufmax: list[tuple[int, ...]]  # sufmax[i][s]: most capped units of SKU s at one position >= i
    sufmax_total: list[int]  # sufmax_total[i]: most capped units in all at one position >= i
    ge: list[list[int]]  # ge[s][v]: bitmask of positions holding at least v units of SKU s
    dom: list[int]  # dom[j]: earlier positions at least as good as j on every SKU (0 = off)
    dom_count: list[int]  # dom[j].bit_count()

    def eligible(self, k: int) -> int:
        """Positions that can be in a canonical set of size k (fewer than k dominators), as bits."""
        all_bits = (1 << len(self.capped)) - 1
        if not self.dominance:
            return all_bits
        mask = 0
        for j, c in enumerate(self.dom_count):
            if c < k:
                mask |= 1 << j
        return mask


def search_arrays_build(
    *,
    capped: Sequence[tuple[int, ...]],
    demand: tuple[int, ...],
    penalty: Sequence[int],
    cost: Sequence[int],
    id_rank: Sequence[int] | None,
    dominance: bool,
) -> SearchArrays:
    """The arrays for ``capped`` stock (per position, per SKU, capped at ``demand``).

    Raises ``ValueError`` if ``id_rank`` is not a ranking or the positions are not in key order.
    """
    n, m, d = len(capped), len(demand), demand
    cmin = min(cost) if n else 0
    spread = n * ((max(cost) - cmin) if n else 0) + 1
    rank = id_rank if id_rank is not None else range(n)
    if sorted(rank) != list(range(n)):
        raise ValueError("id_rank must rank the candidates 0..n-1")
    keys = [
        ((penalty[i] * spread + cost[i] - cmin) << n) - (1 << (n - 1 - rank[i])) for i in range(n)
    ]
    for i in range(1, n):
        if keys[i] <= keys[i - 1]:
            raise ValueError("search candidates must be sorted by (penalty, cost, id)")
    prefix = [0] * (n + 1)
    for i in range(n):
        prefix[i + 1] = prefix[i] + keys[i]
    sufsum: list[tuple[int, ...]] = [tuple([0] * m)] * (n + 1)
    sufmax: list[tuple[int, ...]] = [tuple([0] * m)] * (n + 1)
    for i in range(n - 1, -1, -1):
        row, ss, sm = capped[i], sufsum[i + 1], sufmax[i + 1]
        sufsum[i] = tuple(ss[s] + row[s] for s in range(m))
        sufmax[i] = tuple(row[s] if row[s] > sm[s] else sm[s] for s in range(m))
    sufmax_total = [0] * (n + 1)
    for i in range(n - 1, -1, -1):
        sufmax_total[i] = max(sufmax_total[i + 1], sum(capped[i]))
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
    dom = [0] * n
    if dominance:
        for j in range(n):
            mask = (1 << j) - 1
            for s in range(m):
                if capped[j][s]:
                    mask &= ge[s][capped[j][s]]
                    if not mask:
                        break
            dom[j] = mask
    return SearchArrays(
        capped=capped,
        demand=demand,
        dominance=dominance,
        keys=keys,
        prefix=prefix,
        sufsum=sufsum,
        sufmax=sufmax,
        sufmax_total=sufmax_total,
        ge=ge,
        dom=dom,
        dom_count=[x.bit_count() for x in dom],
    )
