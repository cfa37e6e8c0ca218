"""What the staff console shows for a routing decision log: a title, why, and one row per
candidate. Pure functions over the stored JSON (no queries)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .console import blank, delivery_text, reason_text, trigger_text
from .decision_logs import decision_log_expand


@dataclass
class CandidateRow:
    code: str
    role: str
    fence: str | None
    reason: str
    distance_km: float | None
    cost: float | None
    ratings: list[str]
    total_penalty: float | None
    chosen: bool


@dataclass
class DecisionView:
    title: str
    why: str
    strategy: str
    routable: bool
    rating_names: list[str]
    candidates: list[CandidateRow]
    chosen: list[str]
    reasons: list[str]
    request: str
    objective: str
    search: str


def _rating_cell(detail: Mapping[str, Any] | None) -> str:
    if not detail:
        return ""
    raw = detail.get("raw")
    raw_text = "unknown" if raw is None else f"{raw:.2f}"
    return f"{raw_text} → {detail.get('weighted', 0.0):.3f}"


def _candidate_rows(
    entries: list[Mapping[str, Any]], rating_names: list[str], chosen_ids: set[Any]
) -> list[CandidateRow]:
    rows = [
        CandidateRow(
            code=e.get("code", ""),
            role=str(e.get("role", "")).replace("_", " "),
            fence=e.get("eliminated_by"),
            reason=e.get("reason") or "",
            distance_km=e.get("distance_km"),
            cost=e.get("cost"),
            ratings=[_rating_cell((e.get("ratings") or {}).get(n)) for n in rating_names],
            total_penalty=e.get("total_penalty"),
            chosen=e.get("location_id") in chosen_ids and e.get("eliminated_by") is None,
        )
        for e in entries
    ]
    # Survivors first, best penalty first; the fenced-out ones after them.
    rows.sort(key=lambda r: (r.fence is not None, r.total_penalty or 0.0, r.code))
    return rows


def _chosen_parts(chosen: Mapping[str, Any], by_id: Mapping[Any, str]) -> list[str]:
    parts = []
    for part in chosen.get("fulfilments") or ():
        text = f"{by_id.get(part.get('location_id'), part.get('location_id'))}: " + ", ".join(
            f"{ln.get('sku')} × {ln.get('quantity')}" for ln in part.get("lines") or ()
        )
        if part.get("transfer_to_location_id"):
            target = by_id.get(part["transfer_to_location_id"], part["transfer_to_location_id"])
            text += f" (transfer to {target})"
        parts.append(text)
    return parts


def _request_text(request: Mapping[str, Any], by_id: Mapping[Any, str]) -> str:
    dest = request.get("destination") or {}
    delivery = delivery_text({"delivery_type": request.get("delivery_type")})
    text = (
        f"{delivery} in {blank(dest.get('country'))} "
        f"({blank(dest.get('latitude'))}, {blank(dest.get('longitude'))}): "
        + ", ".join(f"{ln.get('sku')} × {ln.get('quantity')}" for ln in request.get("lines") or ())
    )
    if request.get("excluded_location_ids"):
        excluded = ", ".join(str(by_id.get(i, i)) for i in request["excluded_location_ids"])
        text += f"; excluded: {excluded}"
    if request.get("forced_location_id"):
        text += (
            f"; forced: {by_id.get(request['forced_location_id'], request['forced_location_id'])}"
        )
    return text


def _strategy_text(strategy: Mapping[str, Any]) -> str:
    weights = strategy.get("rating_weights") or {}
    split = strategy.get("split") or {}
    split_text = "split allowed" if split.get("allowed") else "no split"
    if split.get("allowed") and split.get("max_parts"):
        split_text += f" (max {split['max_parts']} parts)"
    weights_text = ", ".join(f"{k} {v}" for k, v in weights.items()) or "none"
    return (
        f"{strategy.get('name', '?')} v{strategy.get('version', '?')}: "
        f"weights {weights_text}; {split_text}"
    )


def _objective_text(objective: Mapping[str, Any]) -> str:
    penalty = float(objective.get("penalty") or 0)
    cost = float(objective.get("cost") or 0)
    return (
        f"{objective.get('units', 0)} of {objective.get('units_requested', 0)} units in "
        f"{objective.get('parts', 0)} part(s), total penalty {penalty:.3f}, cost {cost:.2f}"
    )


def describe_decision(log: Mapping[str, Any], *, routable: bool, trigger: str = "") -> DecisionView:
    """Tables and sentences for one stored decision log (routing.explain.decision_log)."""
    log = decision_log_expand(dict(log))
    strategy = log.get("strategy") or {}
    chosen = log.get("chosen") or {}
    entries = list(log.get("candidates") or ())
    rating_names = list(strategy.get("rating_weights") or {}) or sorted(
        {n for e in entries for n in e.get("ratings") or {}}
    )
    by_id = {e.get("location_id"): e.get("code") for e in entries}
    search = log.get("search") or {}
    return DecisionView(
        title=f"Routing {trigger_text(trigger)}".rstrip(),
        why=log.get("why") or "",
        strategy=_strategy_text(strategy),
        routable=routable,
        rating_names=rating_names,
        candidates=_candidate_rows(entries, rating_names, set(chosen.get("location_ids") or ())),
        chosen=_chosen_parts(chosen, by_id),
        reasons=[reason_text(str(r)) for r in log.get("reasons") or ()],
        request=_request_text(log.get("request") or {}, by_id),
        objective=_objective_text(chosen.get("objective") or {}),
        search=(
            f"{search.get('mode', 'none')} search, {search.get('nodes', 0)} node(s)"
            + (f" of {search['node_budget']}" if search.get("node_budget") else "")
        ),
    )
