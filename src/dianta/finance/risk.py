"""Transition risk (METHODOLOGY.md §8): each borrower's carbon cost under carbon-price scenarios, as a share of
its value added, flagged above the scenario set's threshold.

For each account and scenario: ``cost_cny = emissions_t × price`` [CNY]; ``share = cost_cny / (value_10k_cny ×
10⁴)`` [fraction] (:mod:`dianta.calc.pcaf`). The value is the account's ``value_10k_cny``, which is value added
(工业增加值) or, where the enterprise reported no value added, revenue (营业收入): ``value_basis`` says which and
is repeated in each result. Without a positive value the share is null and nothing is flagged (reason
``no_value``); without emissions the cost is null too (reason ``no_emissions``). A borrower is flagged under a
scenario when ``share > threshold_share`` of the scenario set (a [platform rule], 5 % by default).

Scenario sets are versioned reference data (:mod:`dianta.reference.scenarios`): a shipped id or an operator's file.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from dianta.accounts import query
from dianta.calc import pcaf
from dianta.calc.missing import nan_if_none as _float
from dianta.calc.missing import none_if_nan as _none
from dianta.ledger.store import Store
from dianta.reference.scenarios import ScenarioSet, load_scenarios

Scenarios = ScenarioSet | str | Path

REASONS = {
    "no_emissions": ("the account has no emissions figure", "账户没有碳排放量"),
    "no_value": ("no positive value added or revenue in the account: the share cannot be computed",
                 "账户没有为正的工业增加值或营业收入，无法计算占比"),
}


def as_scenarios(scenarios: Scenarios) -> ScenarioSet:
    """A loaded scenario set, or load one by shipped id or path."""
    return scenarios if isinstance(scenarios, ScenarioSet) else load_scenarios(scenarios)


def _entries(records: Sequence[Mapping[str, Any]], s: ScenarioSet) -> list[dict[str, object]]:
    """The ``transition_risk`` entry of each record: ``value_basis``, ``carbon_cost`` by scenario id (price,
    ``cost_cny``, ``share``, ``flagged``), the ``flagged`` scenario ids and the ``reason`` when not assessable."""
    emissions = np.array([_float(r.get("emissions_t")) for r in records], dtype=float)
    value = np.array([_float(r.get("value_10k_cny")) for r in records], dtype=float)
    costs = {sc.scenario_id: pcaf.carbon_cost_cny(emissions, sc.price_cny_per_t) for sc in s.scenarios}
    shares = {k: pcaf.cost_share_of_value(c, value) for k, c in costs.items()}
    out = []
    for i, r in enumerate(records):
        reason = None
        if math.isnan(emissions[i]):
            reason = "no_emissions"
        elif not value[i] > 0:
            reason = "no_value"
        by_scenario = {}
        for sc in s.scenarios:
            share = _none(shares[sc.scenario_id][i])
            by_scenario[sc.scenario_id] = {"price_cny_per_t": sc.price_cny_per_t,
                                           "cost_cny": _none(costs[sc.scenario_id][i]), "share": share,
                                           "flagged": share is not None and share > s.threshold_share}
        out.append({
            "value_10k_cny": _none(value[i]), "value_basis": r.get("value_basis"),
            "threshold_share": s.threshold_share, "carbon_cost": by_scenario,
            "flagged": [k for k, v in by_scenario.items() if v["flagged"]],
            "reason": None if reason is None else {"code": reason, "message_en": REASONS[reason][0],
                                                   "message_zh": REASONS[reason][1]},
        })
    return out


def transition_risk(records: Sequence[Mapping[str, Any]], scenarios: Scenarios = "default"
                    ) -> list[dict[str, object]]:
    """Carbon cost exposure of each account record (``credit_code``, ``year``, ``emissions_t``,
    ``value_10k_cny``, ``value_basis``, as published) under each scenario; one result per record, in order.

    Each result: ``credit_code``, ``year``, ``emissions_t``, ``value_10k_cny``, ``value_basis``,
    ``threshold_share``, ``carbon_cost`` = ``{scenario_id: {"price_cny_per_t", "cost_cny", "share", "flagged"}}``,
    ``flagged`` (scenario ids) and ``reason`` (null, or ``{"code", "message_en", "message_zh"}`` when the share
    cannot be computed). Pure: no store.
    """
    s = as_scenarios(scenarios)
    return [{"credit_code": r.get("credit_code"), "year": r.get("year"), "emissions_t": r.get("emissions_t"), **e}
            for r, e in zip(records, _entries(records, s), strict=True)]


def _summary(entries: list[dict[str, object]], s: ScenarioSet) -> dict[str, object]:
    per = {}
    for sc in s.scenarios:
        cells = [e["carbon_cost"][sc.scenario_id] for e in entries]  # type: ignore[index]
        per[sc.scenario_id] = {
            "price_cny_per_t": sc.price_cny_per_t,
            "flagged_borrowers": sum(1 for c in cells if c["flagged"]),
            "assessed_borrowers": sum(1 for c in cells if c["share"] is not None),
            "cost_cny": float(sum(c["cost_cny"] for c in cells if c["cost_cny"] is not None)),
        }
    return {"scenarios": s.provenance(), "threshold_share": s.threshold_share, "borrowers": len(entries),
            "not_assessed": sum(1 for e in entries if e["reason"] is not None), "by_scenario": per}


def portfolio_transition_risk(store: Store, *, codes: set[str] | None, year: int,
                              scenarios_id_or_path: Scenarios = "default", profile_id: str = "default"
                              ) -> dict[str, object]:
    """Transition risk of the published accounts of ``year`` among ``codes`` (None: every account; a bank's
    portfolio: :func:`dianta.reports.portfolio.portfolio_codes`): ``year``, ``profile_id``, ``enterprises`` (as
    :func:`transition_risk`, with ``name``) and ``summary`` (scenario provenance, threshold, and per scenario
    the number of flagged and assessed borrowers and the total carbon cost [CNY])."""
    s = as_scenarios(scenarios_id_or_path)
    records = query.list_accounts(store, year=year, visible=codes, profile_id=profile_id, size=1_000_000).items
    rows = [{"name": r.get("name"), **e} for r, e in zip(records, transition_risk(records, s), strict=True)]
    return {"year": year, "profile_id": profile_id, "enterprises": rows, "summary": _summary(rows, s)}


def with_transition_risk(portfolio: dict[str, object], scenarios: Scenarios = "default") -> dict[str, object]:
    """A copy of a bank portfolio (:func:`dianta.reports.portfolio.bank_portfolio`) whose ``enterprises`` rows
    each carry a ``transition_risk`` entry (``carbon_cost`` by scenario, ``flagged`` scenario ids, ``reason``)
    and with a ``transition_risk`` summary (flagged borrowers per scenario). The portfolio is not changed.

    The portfolio's rows hold ``emissions_t`` and ``value_10k_cny``; ``value_basis`` is reported when the row
    has it (null otherwise).
    """
    s = as_scenarios(scenarios)
    rows: list[dict[str, object]] = portfolio["enterprises"]  # type: ignore[assignment]
    entries = _entries(rows, s)
    return {**portfolio, "enterprises": [{**r, "transition_risk": e} for r, e in zip(rows, entries, strict=True)],
            "transition_risk": _summary(entries, s)}
