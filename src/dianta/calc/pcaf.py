"""Climate-finance formulas of METHODOLOGY.md §8: PCAF financed emissions of business loans and the carbon-cost
exposure of borrowers (transition risk).

Financed emissions follow the PCAF Standard, Part A: Financed Emissions, 2nd ed. (2022), §5.2 "Business loans
and unlisted equity": a loan's attribution factor is its outstanding amount over the borrower's total equity plus
debt; the financed emissions are that share of the borrower's emissions. Portfolio metrics are the ones PCAF and
TCFD reporting use: the sum of financed emissions, economic emission intensity (per million CNY lent), weighted
average carbon intensity (WACI), the outstanding-weighted data quality score and coverage.

Every function takes columns (arrays or scalars), one value per loan or borrower; reductions over a portfolio
return a float, NaN where the quantity is undefined (no covered loan).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

F = NDArray[np.float64]

#: PCAF data quality score of an account built from metered electricity consumption and published grid emission
#: factors: option 2a, primary physical activity data (energy consumption) with emission factors specific to it
#: (PCAF Part A §5.2, data quality table of business loans); METHODOLOGY.md §8
SCORE_METERED_ELECTRICITY = 2


def _f(x: ArrayLike) -> F:
    return np.asarray(x, dtype=float)


def attribution_factor(outstanding_cny: ArrayLike, total_equity_plus_debt_cny: ArrayLike,
                       borrower_outstanding_cny: ArrayLike | None = None) -> F:
    """The share of a borrower attributed to a loan, capped so that one lender never holds more than 100 %.

    ``AF = O / max(EVIC, O_borrower)`` [fraction 0–1], which is ``O / EVIC`` while the lender's loans to the
    borrower together stay within its total equity plus debt, and otherwise shares 100 % among those loans in
    proportion to their outstanding amounts (so the lender's financed emissions of one borrower never exceed
    that borrower's emissions).

    Parameters
    ----------
    outstanding_cny : the loan's outstanding amount O [CNY]
    total_equity_plus_debt_cny : the borrower's total equity plus debt EVIC [CNY] (book values, for an unlisted
        company); NaN, 0 or negative gives NaN (not attributable)
    borrower_outstanding_cny : Σ O of the same lender's loans to the same borrower [CNY]; defaults to ``O``
        (one loan per borrower), which makes ``AF = min(O / EVIC, 1)``

    PCAF Part A 2nd ed. §5.2 (business loans: ``AF = outstanding / (total equity + debt)``); METHODOLOGY.md §8.
    The cap at 1 is a [platform rule] following PCAF's attribution principle (a financial institution accounts
    for at most the whole of a borrower's emissions).
    """
    o = _f(outstanding_cny)
    evic = _f(total_equity_plus_debt_cny)
    ob = o if borrower_outstanding_cny is None else _f(borrower_outstanding_cny)
    denominator = np.fmax(evic, ob)
    ok = (evic > 0) & ~np.isnan(evic)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(ok, o / np.where(ok, denominator, 1.0), np.nan)


def financed_emissions_t(attribution: ArrayLike, emissions_t: ArrayLike) -> F:
    """``FE = AF × C`` [tCO2]: the emissions of a borrower attributed to a loan (PCAF Part A §5.2).

    Parameters
    ----------
    attribution : attribution factor AF [fraction 0–1], from :func:`attribution_factor`
    emissions_t : the borrower's emissions C [tCO2] (indicator 1 of the account, Scope 2 electricity)
    """
    return _f(attribution) * _f(emissions_t)


def coverage(covered_outstanding_cny: ArrayLike, total_outstanding_cny: ArrayLike) -> F:
    """``coverage = O_covered / O_total`` [fraction 0–1]: the share of the outstanding amount whose financed
    emissions are calculated; NaN when nothing is outstanding (PCAF Part A ch. 6 asks for the share covered)."""
    c = _f(covered_outstanding_cny)
    t = _f(total_outstanding_cny)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(t > 0, c / np.where(t > 0, t, 1.0), np.nan)


def economic_intensity_t_per_million_cny(financed_emissions_t: ArrayLike, outstanding_cny: ArrayLike) -> float:
    """Economic emission intensity ``Σ FE / (Σ O / 10⁶)`` [tCO2 per million CNY lent] over the covered loans;
    NaN without a covered outstanding amount (PCAF Part A ch. 6, physical/economic intensity metrics).

    Parameters
    ----------
    financed_emissions_t : FE of each covered loan [tCO2]
    outstanding_cny : O of each covered loan [CNY]
    """
    total = float(np.sum(_f(outstanding_cny)))
    if total <= 0:
        return float("nan")
    return float(np.sum(_f(financed_emissions_t))) / (total / 1e6)


def weighted_average(values: ArrayLike, weights_cny: ArrayLike) -> float:
    """``Σ (w_i / Σ w) × x_i`` over the entries whose value is known; NaN when no weight remains.

    The form of WACI and of the weighted data quality score (PCAF Part A ch. 6), weights being outstanding
    amounts [CNY].
    """
    x = _f(values)
    w = _f(weights_cny)
    known = ~np.isnan(x) & (w > 0)
    total = float(np.sum(w[known]))
    if total <= 0:
        return float("nan")
    return float(np.sum(w[known] * x[known]) / total)


def waci(outstanding_cny: ArrayLike, intensity_t_per_10k_cny: ArrayLike) -> float:
    """Weighted average carbon intensity ``WACI = Σ_i (O_i / Σ O) × I_i`` [tCO2 per 10k CNY].

    Parameters
    ----------
    outstanding_cny : O_i of each covered loan [CNY] (the portfolio weight)
    intensity_t_per_10k_cny : the borrower's carbon intensity I_i [tCO2 per 10k CNY] — indicator 2 of the
        account, on value added (工业增加值), or on revenue where the account says so; PCAF and TCFD usually use
        revenue, so this figure is not comparable with revenue-based WACI. Loans with a NaN intensity are left
        out and the weights renormalised over the rest.

    The WACI of the TCFD recommendations and PCAF Part A ch. 6 (with value added for revenue); METHODOLOGY.md §8.
    """
    return weighted_average(intensity_t_per_10k_cny, outstanding_cny)


def carbon_cost_cny(emissions_t: ArrayLike, price_cny_per_t: ArrayLike) -> F:
    """A borrower's carbon cost under a carbon price, ``cost = C × p`` [CNY] (METHODOLOGY.md §8, transition risk).

    Parameters
    ----------
    emissions_t : emissions C [tCO2]
    price_cny_per_t : carbon price p [CNY per tCO2] of a scenario
    """
    return _f(emissions_t) * _f(price_cny_per_t)


def cost_share_of_value(cost_cny: ArrayLike, value_10k_cny: ArrayLike) -> F:
    """``share = cost / (V × 10⁴)`` [fraction]: carbon cost over the borrower's value added (or revenue, per the
    account's ``value_basis``); NaN when V is missing, 0 or negative (METHODOLOGY.md §8, transition risk).

    Parameters
    ----------
    cost_cny : carbon cost [CNY]
    value_10k_cny : value V [10k CNY], as in the account (``value_10k_cny``)
    """
    c = _f(cost_cny)
    v = _f(value_10k_cny)
    ok = v > 0  # False for NaN too
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(ok, c / (np.where(ok, v, 1.0) * 1e4), np.nan)
