"""One fence pass over the candidates, and the decision-log entries it explains.

The fences are evaluated eagerly only for the candidates that can matter: those holding some of
the order's SKUs. A candidate holding none can never survive (the ``no_stock`` fence removes it,
if an earlier fence does not), so it skips the distance and stock work entirely; its fence result
is worked out only if someone asks - the decision log when it is read, or a shortfall reason.
In a large network most locations hold none of an order's few SKUs: this is where most of the
planner's time used to go. The log stays complete and truthful: every candidate still gets an
entry with the first fence that removes it (``fences.FENCE_CODES`` order), computed by the same
evaluator, only later.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from routing.fences import (
    ROLE_PICKUP_STORE,
    STOCK_FENCES,
    FenceContext,
    FenceResult,
    fence_evaluator,
)
from routing.plan_types import Candidate

# A rating column: (name, weight, raw value per survivor, penalty per survivor).
RatingColumn = tuple[str, float, list[float | None], list[float]]


@dataclass
class Pool:
    """Candidates that took part in one fence pass (one role)."""

    role: str = ""
    candidates: tuple[Candidate, ...] = ()
    evaluate: Callable[[Candidate], FenceResult] | None = None
    # Fence results of the candidates evaluated eagerly, by position in ``candidates``.
    checked: dict[int, FenceResult] = field(default_factory=dict)
    survivors: list[Candidate] = field(default_factory=list)
    kms: list[float | None] = field(default_factory=list)
    survivor_pos: list[int] = field(default_factory=list)  # positions in ``candidates``
    # Set by ``solving.solve`` once the survivors are rated (entries show them).
    costs: list[float] | None = None
    totals: list[float] | None = None
    columns: list[RatingColumn] = field(default_factory=list)
    survivor_reason: str | None = None  # replaces "eligible" (e.g. "not needed: ...")
    _stock_fenced: list[Candidate] | None = None

    def result(self, pos: int) -> FenceResult:
        found = self.checked.get(pos)
        if found is not None:
            return found
        assert self.evaluate is not None
        return self.evaluate(self.candidates[pos])

    @property
    def stock_fenced(self) -> list[Candidate]:
        """Candidates that passed every fence but the stock fences (input order)."""
        if self._stock_fenced is None:
            self._stock_fenced = [
                c for pos, c in enumerate(self.candidates) if self.result(pos)[0] in STOCK_FENCES
            ]
        return self._stock_fenced

    def entries(self) -> list[dict]:
        """One decision-log entry per candidate, in input order."""
        rated: dict[int, int] = {}
        if self.totals is not None:
            rated = {pos: k for k, pos in enumerate(self.survivor_pos)}
        out = []
        role = self.role
        for pos, c in enumerate(self.candidates):
            code, reason, km = self.result(pos)
            entry: dict = {
                "location_id": c.location_id,
                "code": c.code,
                "role": role,
                "eliminated_by": code,
                "reason": reason,
                "distance_km": km,
                "ratings": {},
                "total_penalty": None,
                "cost": None,
            }
            if code is None:
                if self.survivor_reason is not None:
                    entry["reason"] = self.survivor_reason
                k = rated.get(pos)
                if k is not None:
                    entry["ratings"] = {
                        name: {
                            "raw": raws[k],
                            "penalty": pens[k],
                            "weight": weight,
                            "weighted": weight * pens[k],
                        }
                        for name, weight, raws, pens in self.columns
                    }
                    assert self.totals is not None and self.costs is not None
                    entry["total_penalty"] = self.totals[k]
                    entry["cost"] = self.costs[k]
            out.append(entry)
        return out


def fence_pool(candidates: Sequence[Candidate], ctx: FenceContext, pool: Pool) -> None:
    """Fence ``candidates`` into ``pool``: survivors (with their distances) in input order."""
    evaluate = fence_evaluator(ctx)
    cands = tuple(candidates)
    pool.role, pool.candidates, pool.evaluate = ctx.role, cands, evaluate
    skus = tuple(ctx.demand) if ctx.role != ROLE_PICKUP_STORE else ()
    if skus:
        # Only a candidate holding some requested SKU can survive: the rest is fenced later,
        # when (if) someone reads why.
        positions = [
            pos
            for pos, c in enumerate(cands)
            if c.atp and not c.atp.keys().isdisjoint(skus) and _holds_any(c, skus)
        ]
    else:
        positions = list(range(len(cands)))
    checked = pool.checked
    for pos in positions:
        c = cands[pos]
        result = checked[pos] = evaluate(c)
        if result[0] is None:
            pool.survivors.append(c)
            pool.kms.append(result[2])
            pool.survivor_pos.append(pos)


def _holds_any(c: Candidate, skus: Sequence[str]) -> bool:
    get = c.atp.get
    return any(get(sku, 0) > 0 for sku in skus)
