"""Calculate and evaluate stage: accounts of one year from its inputs (METHODOLOGY.md §3–§7b).

Everything numeric goes through the pure functions of :mod:`dianta.calc`; this module only aligns the
inputs into arrays (one element per account) and assembles the records of INTERFACE.md.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from dianta.accounts.inputs import Certificate, Trade, YearInputs, months_of
from dianta.accounts.record import Account, Electricity, FactorUsed, GreenInstrument, TimeOfUse, UnbackedTrade
from dianta.calc import electricity, energy, evaluation, indicators, instruments, matching, regions
from dianta.calc.missing import nan_if_none as _nan
from dianta.calc.missing import none_if_nan as _none
from dianta.errors import StoreError
from dianta.glossary import qualifying_flags
from dianta.reference.profile import Profile
from dianta.reference.tables import Factor, FactorChoice


def _month_text(value: object) -> str:
    return value.strftime("%Y-%m")  # type: ignore[attr-defined]


class _Energy:
    """Energy totals of years Y−1 and Y per enterprise and month (§3)."""

    def __init__(self, inp: YearInputs, profile: Profile):
        self.grid: dict[tuple[str, str], float] = defaultdict(float)
        self.mismatch: set[tuple[str, int]] = set()
        self.tou_monthly: dict[str, np.ndarray] = defaultdict(lambda: np.zeros(3))
        interval_holder: dict[tuple[str, str], dict[str, float]] = defaultdict(dict)
        mm = inp.aggregates["meter_month"].to_pydict()
        for meter, code, month, kwh in zip(mm["meter_id"], mm["credit_code"], mm["month"], mm["kwh"], strict=True):
            interval_holder[(meter, _month_text(month))][code] = kwh
        monthly = {(r[0], r[1]): r for r in inp.monthly}
        keys = sorted(set(monthly) | set(interval_holder))
        monthly_kwh = np.array([monthly[k][2] if k in monthly else np.nan for k in keys], dtype=float)
        interval_kwh = np.array([sum(interval_holder[k].values()) if k in interval_holder else np.nan for k in keys],
                                dtype=float)
        kwh, mismatch = energy.meter_month_kwh(monthly_kwh, interval_kwh, profile.meter_mismatch_tolerance)
        holders = {k: inp.meters.month_holder(*k) for k in monthly}
        _refuse_unheld([k for k, code in holders.items() if code is None])
        for i, (meter, month) in enumerate(keys):
            if (meter, month) in monthly:
                code = holders[(meter, month)]
                assert code is not None  # _refuse_unheld
                self.grid[(code, month)] += kwh[i]
                if mismatch[i]:
                    self.mismatch.add((code, int(month[:4])))
                row = monthly[(meter, month)]
                if row[3] is not None and row[4] is not None and row[5] is not None:
                    self.tou_monthly[f"{code}|{month[:4]}"] += np.array([row[3], row[4], row[5]])
            else:
                for code, value in interval_holder[(meter, month)].items():
                    self.grid[(code, month)] += value
        self.onsite: dict[tuple[str, str], float] = dict(inp.onsite)
        om = inp.aggregates["onsite_month"].to_pydict()
        for code, month, value in zip(om["credit_code"], om["month"], om["kwh"], strict=True):
            self.onsite.setdefault((code, _month_text(month)), value)
        self._instruments(inp)

    def _instruments(self, inp: YearInputs) -> None:
        """E_trade and E_cert (§3): inside the market boundary; certificates unbundled and retired within their
        validity (GREEN-POWER.md §9); certificates also by production month (§9b's C_m)."""
        self.trade: dict[tuple[str, int], float] = defaultdict(float)
        for t in inp.trades:
            if t.in_boundary:
                self.trade[(t.credit_code, int(t.month[:4]))] += t.kwh
        self.cert_mwh: dict[tuple[str, int], float] = defaultdict(float)
        self.cert_month_mwh: dict[tuple[str, str], float] = defaultdict(float)
        for g in inp.certificates:
            if g.in_boundary and g.valid and not g.bundled:
                self.cert_mwh[(g.credit_code, int(g.vintage_month[:4]))] += g.mwh
                self.cert_month_mwh[(g.credit_code, g.vintage_month)] += g.mwh

    def monthly_grid(self, codes: list[str], year: int) -> np.ndarray:
        """``(n, 12)`` grid kWh, NaN for a month without data."""
        return np.array([[self.grid.get((c, m), np.nan) for m in months_of(year)] for c in codes], dtype=float)

    def monthly_onsite(self, codes: list[str], year: int) -> np.ndarray:
        return np.array([[self.onsite.get((c, m), np.nan) for m in months_of(year)] for c in codes], dtype=float)

    def monthly_certificate_kwh(self, codes: list[str], year: int) -> np.ndarray:
        """``(n, 12)`` C_m: counted unbundled certificate kWh by production month (GREEN-POWER.md §9b)."""
        return energy.certificate_kwh(np.array([[self.cert_month_mwh.get((c, m), 0.0) for m in months_of(year)]
                                                for c in codes], dtype=float).reshape(-1, 12))


def energy_by_month(inp: YearInputs, profile: Profile) -> tuple[dict[tuple[str, str], float],
                                                                 dict[tuple[str, str], float]]:
    """E_grid and E_onsite [kWh] per (enterprise, month YYYY-MM) of years Y−1 and Y, as the accounts take them
    (§3: monthly totals, else 15-minute sums; a data centre's IT sub-meter left out, GREEN-POWER.md §11)."""
    en = _Energy(inp, profile)
    return dict(en.grid), dict(en.onsite)


def _refuse_unheld(unheld: list[tuple[str, str]]) -> None:
    """§3: a monthly total is never dropped. Ingest refuses one that no enterprise holds on the month's first or
    last day; one can only lose its holder through a later correction of the meters table."""
    if not unheld:
        return
    listed = ", ".join(f"{meter} {month}" for meter, month in sorted(unheld)[:20])
    more = f" (and {len(unheld) - 20} more)" if len(unheld) > 20 else ""
    more_zh = f"（另有 {len(unheld) - 20} 条）" if len(unheld) > 20 else ""
    raise StoreError(
        f"the monthly totals of {listed}{more} belong to no enterprise: no meters row holds the meter on the "
        "month's first or last day (the meters table was corrected after they were loaded); correct the meters "
        "table so that the enterprise that used the meter holds it, then compute again",
        zh=f"以下月度电量不属于任何企业：{listed}{more_zh}；meters 表中没有任何企业在该月第一天或最后一天持有该户号"
           "（户号表在其导入后被更正）。请更正 meters 表，使实际用电的企业持有该户号，然后重新计算")


def _has_account(inp: YearInputs, e_grid: np.ndarray, e_onsite: np.ndarray, codes: list[str], year: int) -> np.ndarray:
    """§3: grid or on-site data in the year, opened on or before 31 Dec and not closed before 1 Jan."""
    has_data = ~np.all(np.isnan(e_grid), axis=1) | ~np.all(np.isnan(e_onsite), axis=1)
    open_ = np.array([(inp.enterprises[c].opened_on or "0001-01-01") <= f"{year}-12-31"
                      and (inp.enterprises[c].closed_on or "9999-12-31") >= f"{year}-01-01" for c in codes])
    return has_data & open_


#: the §2 fallbacks of an account's factors: the columns of ``_factor_arrays``'s flag array, named as the flags
FACTOR_FLAGS = ("factor_area_fallback", "factor_year_fallback")


def _factor_arrays(inp: YearInputs, profile: Profile, codes: list[str], year: int
                   ) -> tuple[np.ndarray, np.ndarray, list[Factor], list[Factor], np.ndarray]:
    """Per account: location and residual factor [kgCO2/kWh], the Factor records and the §2 fallbacks taken by
    either role (bool, one column per :data:`FACTOR_FLAGS`): a province without a published factor takes its
    regional grid's (``factor_area_fallback``), a year without one the latest earlier year's
    (``factor_year_fallback``); a factor missing even so is an error."""
    chosen: dict[tuple[str, str], FactorChoice] = {}
    locs, ress, fallback = [], [], []
    for c in codes:
        picked = []
        for role in (profile.location, profile.residual):
            area = regions.province_code(inp.enterprises[c].region_code) if role.area == "province" else role.area
            if (role.kind, area) not in chosen:
                chosen[(role.kind, area)] = profile.factor_table.choose(role.kind, area, year)
            picked.append(chosen[(role.kind, area)])
        locs.append(picked[0].factor)
        ress.append(picked[1].factor)
        fallback.append((picked[0].area_fallback or picked[1].area_fallback,
                         picked[0].year_fallback or picked[1].year_fallback))
    return (np.array([f.value_kg_per_kwh for f in locs]), np.array([f.value_kg_per_kwh for f in ress]), locs, ress,
            np.array(fallback, dtype=bool).reshape(-1, len(FACTOR_FLAGS)))


def _value(inp: YearInputs, codes: list[str], year: int) -> tuple[np.ndarray, np.ndarray]:
    """V [10k CNY] of the year: value added, else revenue (flag ``intensity_basis_revenue``)."""
    values, revenue_basis = [], []
    for c in codes:
        va, rev = inp.economics.get((c, year), (None, None))
        values.append(va if va is not None else rev if rev is not None else np.nan)
        revenue_basis.append(va is None and rev is not None)
    return np.array(values, dtype=float), np.array(revenue_basis, dtype=bool)


def _emissions(en: _Energy, codes: list[str], year: int, ef_loc: np.ndarray, ef_res: np.ndarray, profile: Profile,
               grid_m: np.ndarray, onsite_m: np.ndarray) -> dict[str, np.ndarray]:
    """§4 and §5 indicators 1, 4–6 for one year's totals (summed over months before any min)."""
    kwh_grid = np.nansum(grid_m, axis=1)
    kwh_onsite = np.nansum(onsite_m, axis=1)
    kwh_trade = np.array([en.trade.get((c, year), 0.0) for c in codes])
    kwh_cert = energy.certificate_kwh([en.cert_mwh.get((c, year), 0.0) for c in codes])
    kwh_contract, excess = energy.contractual_green_kwh(kwh_trade, kwh_cert, kwh_grid)
    c_loc = energy.location_based_emissions_t(kwh_grid, ef_loc)
    c_mkt = energy.market_based_emissions_t(kwh_grid, kwh_contract, ef_res)
    kwh_total = energy.total_consumption_kwh(kwh_grid, kwh_onsite)
    kwh_green = kwh_onsite + kwh_contract
    return {"kwh_grid": kwh_grid, "kwh_onsite": kwh_onsite, "kwh_total": kwh_total, "kwh_trade": kwh_trade,
            "kwh_cert": kwh_cert, "kwh_contract": kwh_contract, "kwh_contract_excess": excess,
            "emissions_location_t": c_loc, "emissions_market_t": c_mkt,
            "emissions_t": c_mkt if profile.emissions_basis == "market" else c_loc,
            "kwh_green": kwh_green, "green_share": indicators.green_share(kwh_green, kwh_total),
            "green_reduction_t": indicators.green_reduction_t(kwh_green, ef_loc)}


def _grid_shares(grid: np.ndarray) -> list[list[float | None]]:
    shares = matching.cfe_score(grid[0], grid[1])
    return [[_none(x) for x in row] for row in np.where(grid[1] > 0, shares, np.nan)]


def build_accounts(inp: YearInputs, profile: Profile) -> list[Account]:
    """The accounts of ``inp.year`` as INTERFACE.md records (plus the electricity analysis details),
    evaluated (§7b)."""
    return evaluate_accounts(measure_accounts(inp, profile), profile)


def evaluate_accounts(records: list[Account], profile: Profile) -> list[Account]:
    """§7b over every account of a year (benchmarks need them all): benchmark, K, aspect scores, score,
    grade and label, from each record's own figures. Sets them in place and returns ``records``."""
    if not records:
        return records
    industries = [str(r["industry_code"]) for r in records]
    emissions, v, intensity, intensity_prev, green_share = (np.array([_nan(r.get(key)) for r in records])
                                                            for key in ("emissions_t", "value_10k_cny", "intensity",
                                                                        "intensity_prev", "green_share"))
    value_added = np.array([r.get("value_basis") != "revenue" for r in records], dtype=bool)
    bench = evaluation.industry_benchmarks(industries, emissions, v, value_added,
                                           min_group_size=profile.benchmark_min_group_size,
                                           table=profile.benchmark_table)
    k = evaluation.intensity_ratio(intensity, bench.value)
    aspects = np.column_stack([
        evaluation.score_at_most(k, profile.intensity_cuts, profile.intensity_else),
        evaluation.score_at_most(evaluation.intensity_change(intensity, intensity_prev), profile.reduction_cuts,
                                 profile.reduction_else),
        evaluation.score_at_least(green_share, profile.green_cuts, profile.green_else)])
    score = evaluation.weighted_score(aspects, [profile.weight_intensity, profile.weight_reduction,
                                                profile.weight_green])
    grades, colours = evaluation.grade(score, profile.grades, profile.grade_else)
    for i, r in enumerate(records):
        group = bench.group[i]
        # §7b: no benchmark shown unless the intensity aspect is rated (a zero benchmark or a null intensity is not)
        r["benchmark"] = None if group is None or np.isnan(k[i]) else {
            "group": group, "size": int(bench.size[i]), "value": _none(bench.value[i])}
        r["k"] = _none(k[i])
        r["aspect_scores"] = {"intensity": _none(aspects[i, 0]), "reduction": _none(aspects[i, 1]),
                              "green": _none(aspects[i, 2])}
        r["score"] = _none(score[i])
        r["grade"] = int(grades[i]) or None
        colour = colours[i]
        r["label"] = None if not grades[i] or colour is None else {
            "grade": int(grades[i]), "colour": colour, "year": r["year"], "profile_id": profile.profile_id,
            "flags": qualifying_flags(r["flags"])}
    return records


@dataclass(slots=True)
class _Columns:
    """The year's accounts as columns, one element (row) per account of ``codes``: the load stage's monthly
    grid and on-site kWh of years Y and Y−1, then what each later stage adds."""

    codes: list[str]
    grid_m: np.ndarray
    onsite_m: np.ndarray
    grid_prev: np.ndarray
    onsite_prev: np.ndarray
    has_prev: np.ndarray
    calc: dict[str, np.ndarray] = field(default_factory=dict)
    green: _GreenInstruments | None = None  # GREEN-POWER.md §9 per enterprise (the assemble stage lists them)


def measure_accounts(inp: YearInputs, profile: Profile, only: set[str] | None = None) -> list[Account]:
    """§3–§7 of the accounts of ``inp.year`` (of the enterprises ``only``, when given), without the §7b
    evaluation (:func:`evaluate_accounts`): load (which enterprises have an account, their monthly kWh) →
    calculate (§4–§5 indicators, §6 electricity analysis, §7 hourly matching) → assemble the records."""
    en = _Energy(inp, profile)
    cols = _load_columns(inp, en, only)
    if cols is None:
        return []
    ef_loc, ef_res, loc_f, res_f, fallback = _factor_arrays(inp, profile, cols.codes, inp.year)
    grids = _hourly_matching(inp, cols)
    _market_hourly(inp, en, cols, ef_res, grids)
    cols.green = _GreenInstruments(inp, profile)
    cols.calc.update(_indicators(inp, en, profile, cols, ef_loc, ef_res))
    cols.calc["factor_fallback"] = fallback
    cols.calc.update(_electricity_analysis(inp, en, profile, cols))
    return [_assemble(inp, en, profile, cols, i, (loc_f[i], res_f[i]), grids) for i in range(len(cols.codes))]


def _load_columns(inp: YearInputs, en: _Energy, only: set[str] | None) -> _Columns | None:
    """Load stage: the enterprises with an account in the year (§3) and their monthly kWh; None for none."""
    year = inp.year
    all_codes = sorted(inp.enterprises if only is None else set(inp.enterprises) & only)
    if not all_codes:
        return None
    grid_m, onsite_m = en.monthly_grid(all_codes, year), en.monthly_onsite(all_codes, year)
    grid_prev, onsite_prev = en.monthly_grid(all_codes, year - 1), en.monthly_onsite(all_codes, year - 1)
    has = _has_account(inp, grid_m, onsite_m, all_codes, year)
    has_prev = _has_account(inp, grid_prev, onsite_prev, all_codes, year - 1)
    idx = np.flatnonzero(has)
    if not idx.size:
        return None
    return _Columns([all_codes[i] for i in idx], grid_m[idx], onsite_m[idx], grid_prev[idx], onsite_prev[idx],
                    has_prev[idx])


def _indicators(inp: YearInputs, en: _Energy, profile: Profile, cols: _Columns, ef_loc: np.ndarray,
                ef_res: np.ndarray) -> dict[str, np.ndarray]:
    """Calculate stage, §4–§5: the year's totals, emissions and the six indicators (Y−1 for indicator 3)."""
    year, codes = inp.year, cols.codes
    cur = _emissions(en, codes, year, ef_loc, ef_res, profile, cols.grid_m, cols.onsite_m)
    # §5 indicator 3: Y−1 recomputed with year Y's factors and the current profile
    prev = _emissions(en, codes, year - 1, ef_loc, ef_res, profile, cols.grid_prev, cols.onsite_prev)
    _apply_market_method(profile, cols, cur, prev)
    v, revenue_basis = _value(inp, codes, year)
    v_prev, revenue_basis_prev = _value(inp, codes, year - 1)
    intensity = indicators.carbon_intensity(cur["emissions_t"], v)
    # §5: Y−1 and Y on different bases (value added against revenue) are not compared: no intensity_prev, so
    # neither reduction_t nor the reduction aspect (§7b), and the flag basis_changed
    basis_changed = cols.has_prev & ~np.isnan(v) & ~np.isnan(v_prev) & (revenue_basis != revenue_basis_prev)
    intensity_prev = np.where(cols.has_prev & ~basis_changed,
                              indicators.carbon_intensity(prev["emissions_t"], v_prev), np.nan)
    reduction = indicators.carbon_reduction_t(intensity_prev, intensity, v)
    return {**cur, "value_10k_cny": v, "revenue_basis": revenue_basis, "intensity": intensity,
            "intensity_prev": intensity_prev, "reduction_t": reduction, "basis_changed": basis_changed}


def _electricity_analysis(inp: YearInputs, en: _Energy, profile: Profile, cols: _Columns) -> dict[str, np.ndarray]:
    """Calculate stage, §6: alerts, changes, load factor, peak kW, operating rate and time-of-use shares."""
    codes = cols.codes
    # Y−2: the monthly totals read_year loads (the months a run carried into Y can start in), for sustained_decline
    alerts = electricity.credit_alerts(cols.grid_m, cols.grid_prev, sharp_drop_ratio=profile.sharp_drop_ratio,
                                       sustained_decline_months=profile.sustained_decline_months,
                                       kwh_monthly_two_years_before=en.monthly_grid(codes, inp.year - 2))
    yoy, yoy_months = electricity.year_on_year_comparable(cols.grid_m, cols.grid_prev)
    stats = inp.aggregates["ent_stats"].to_pydict()
    stat = {c: (k, p, n) for c, k, p, n in zip(stats["credit_code"], stats["kwh"], stats["peak_q"], stats["n"],
                                               strict=True)}
    lf_in = np.array([stat.get(c, (np.nan, np.nan, 0)) for c in codes], dtype=float)
    days = by_credit_code(inp.aggregates["ent_day"], "kwh")
    op_rate = np.array([electricity.operating_rate(days[c][0] if c in days else [],
                                                   threshold=profile.operating_day_threshold,
                                                   quantile=profile.operating_day_quantile) for c in codes])
    tou, tou_monthly = _time_of_use(inp, en, codes)
    return {**{f"alert:{code}": alerts[code] for code in electricity.ALERT_CODES},
            "year_on_year": yoy, "year_on_year_months": yoy_months,
            "month_on_month": electricity.month_on_month_change(cols.grid_m, cols.grid_prev),
            "load_factor": electricity.load_factor(lf_in[:, 0], lf_in[:, 2], lf_in[:, 1]),
            "peak_kw": electricity.peak_kw(lf_in[:, 1]), "operating_rate": op_rate,
            "time_of_use": tou, "time_of_use_monthly": tou_monthly}


TOU_PERIODS = ("peak", "flat", "valley")


def by_credit_code(table: pa.Table, *columns: str) -> dict[str, tuple[np.ndarray, ...]]:
    """The rows of an engine output grouped by ``credit_code``: per enterprise, each of ``columns`` as a NumPy
    array, with no Python object per row (at a province's 50,000 enterprises, ``ent_day`` has 18 M rows)."""
    if table.num_rows == 0:
        return {}
    table = table.take(pc.sort_indices(table, [("credit_code", "ascending")]))
    codes = table.column("credit_code").combine_chunks()
    index = codes.dictionary_encode().indices.to_numpy()
    bounds = np.append(np.flatnonzero(np.append(True, index[1:] != index[:-1])), len(index))
    arrays = [table.column(c).to_numpy() for c in columns]
    return {code: tuple(a[bounds[i]:bounds[i + 1]] for a in arrays)
            for i, code in enumerate(codes.take(pa.array(bounds[:-1])).to_pylist())}


def _time_of_use(inp: YearInputs, en: _Energy, codes: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """``(n, 3)`` time-of-use shares (§6): from the monthly peak/flat/valley readings when they hold any kWh,
    else from the 15-minute data; NaN rows without either. And whether each came from the monthly readings."""
    tou_interval: dict[str, dict[str, float]] = defaultdict(dict)
    td = inp.aggregates["ent_tou"].to_pydict()
    for c, period, k in zip(td["credit_code"], td["period"], td["kwh"], strict=True):
        tou_interval[c][period] = k
    monthly = electricity.time_of_use_shares(
        np.array([en.tou_monthly.get(f"{c}|{inp.year}", np.zeros(3)) for c in codes], dtype=float).reshape(-1, 3))
    interval = electricity.time_of_use_shares(
        np.array([[tou_interval[c].get(p, 0.0) for p in TOU_PERIODS] for c in codes], dtype=float).reshape(-1, 3))
    from_monthly = ~np.isnan(monthly[:, 0])
    return np.where(from_monthly[:, None], monthly, interval), from_monthly


def _hourly_matching(inp: YearInputs, cols: _Columns) -> dict[str, np.ndarray]:
    """Calculate stage, §7: the CFE score of the enterprises whose every meter has interval data in the year
    (``cols.calc["cfe_score"]``, NaN for the others) and their [matched, load] × month × hour-of-day grids."""
    grids = _complete_grids(inp, cols.codes, inp.year, "matching")
    sums = np.array([(grids[c][0].sum(), grids[c][1].sum()) if c in grids else (np.nan, np.nan) for c in cols.codes],
                    dtype=float).reshape(-1, 2)
    cols.calc["cfe_score"] = matching.cfe_score(sums[:, 0], sums[:, 1])
    return grids


def _complete_grids(inp: YearInputs, codes: list[str], year: int, output: str) -> dict[str, np.ndarray]:
    """The engine's matching ``output`` of ``year`` as [matched, load] × month × hour-of-day grids, for the
    enterprises of ``codes`` whose every meter held in the year has interval data in it (§7)."""
    with_interval: dict[str, set[str]] = defaultdict(set)
    mm = inp.aggregates["meter_month"].to_pydict()
    for meter, c, month in zip(mm["meter_id"], mm["credit_code"], mm["month"], strict=True):
        if month.year == year:
            with_interval[c].add(meter)
    held = inp.meters.held_during(f"{year}-01-01", f"{year}-12-31")
    grids: dict[str, np.ndarray] = {}  # per enterprise: [matched, load] × month × hour of day
    for c, (month, hour, m, ld) in by_credit_code(inp.aggregates[output], "month", "hour_of_day", "matched_kwh",
                                                  "load_kwh").items():
        grid = grids[c] = np.zeros((2, 12, 24))
        grid[0, month - 1, hour], grid[1, month - 1, hour] = m, ld
    return {c: grids[c] for c in codes if c in grids and held.get(c) and held[c] <= with_interval.get(c, set())}


def _market_hourly(inp: YearInputs, en: _Energy, cols: _Columns, ef_res: np.ndarray,
                   grids: dict[str, np.ndarray]) -> None:
    """Calculate stage, GREEN-POWER.md §9b: hourly market-based emissions, Σ_h min(L_h, G_h) and the certificates
    matched by month, of the enterprises with complete interval data (NaN for the others); and Y−1's hourly
    emissions when the engine matched Y−1 too (indicator 3 under ``market_method = "hourly"``), else NaN."""
    codes = cols.codes
    cert = en.monthly_certificate_kwh(codes, inp.year)
    u = _unmatched_monthly(codes, grids)
    cols.calc["emissions_market_hourly_t"] = matching.hourly_market_emissions_t(u, cert, ef_res)
    cols.calc["kwh_cert_monthly_matched"] = matching.certificate_matched_kwh(u, cert)
    cols.calc["kwh_matched_hourly"] = np.array([grids[c][0].sum() if c in grids else np.nan for c in codes],
                                               dtype=float)
    u_prev = np.full((len(codes), 12), np.nan)
    if inp.prev_matching:
        u_prev = _unmatched_monthly(codes, _complete_grids(inp, codes, inp.year - 1, "matching_prev"))
    cols.calc["emissions_market_hourly_prev_t"] = matching.hourly_market_emissions_t(
        u_prev, en.monthly_certificate_kwh(codes, inp.year - 1), ef_res)


def _unmatched_monthly(codes: list[str], grids: dict[str, np.ndarray]) -> np.ndarray:
    """``(n, 12)`` U_m [kWh] from the matching grids; NaN rows without complete interval data (§9b)."""
    u = np.full((len(codes), 12), np.nan)
    for i, c in enumerate(codes):
        if c in grids:
            u[i] = matching.unmatched_kwh(grids[c][1].sum(axis=1), grids[c][0].sum(axis=1))
    return u


def _apply_market_method(profile: Profile, cols: _Columns, cur: dict[str, np.ndarray],
                         prev: dict[str, np.ndarray]) -> None:
    """GREEN-POWER.md §9b: under ``market_method = "hourly"`` and the market basis, indicator 1 is the hourly
    market-based emissions where complete interval data exist, else the annual C_mkt, flagged
    ``annual_method_fallback``; indicator 3's Y−1 (recomputed with the current profile) likewise, and a Y−1
    account taken by the annual method raises the same flag (its reduction compares two methods)."""
    fallback = np.zeros(len(cols.codes), dtype=bool)
    if profile.market_method == "hourly" and profile.emissions_basis == "market":
        hourly, hourly_prev = cols.calc["emissions_market_hourly_t"], cols.calc["emissions_market_hourly_prev_t"]
        cur["emissions_t"] = np.where(np.isnan(hourly), cur["emissions_t"], hourly)
        prev["emissions_t"] = np.where(np.isnan(hourly_prev), prev["emissions_t"], hourly_prev)
        fallback = np.isnan(hourly) | (cols.has_prev & np.isnan(hourly_prev))
    cols.calc["annual_method_fallback"] = fallback


class _GreenInstruments:
    """GREEN-POWER.md §9 per enterprise for year Y: its trades and unbundled certificates traced to their plants
    (``instruments``), the kWh outside its market boundary, and its trade months whose bundled certificates fall
    short (``unbacked_trades``)."""

    def __init__(self, inp: YearInputs, profile: Profile):
        year = str(inp.year)
        self.plants = inp.plants
        self.listed: dict[str, list[GreenInstrument]] = defaultdict(list)
        self.outside: dict[str, float] = defaultdict(float)
        self.unbacked: dict[str, list[UnbackedTrade]] = defaultdict(list)
        trades = [t for t in inp.trades if t.month[:4] == year]
        certificates = [g for g in inp.certificates if g.vintage_month[:4] == year]
        self._trades(trades)
        self._certificates([g for g in certificates if not g.bundled and g.valid])
        self._unbacked(trades, [g for g in certificates if g.bundled], profile.bundled_certificate_tolerance)

    def _add(self, code: str, instrument: GreenInstrument) -> None:
        self.listed[code].append(instrument)
        if not instrument["in_boundary"]:
            self.outside[code] += instrument["kwh"]

    def _instrument(self, kind: Literal["trade", "certificate"], ids: list[str], plant: str | None,
                    technology: str, month: str | None, kwh: float, inside: bool) -> GreenInstrument:
        known = self.plants.get(plant) if plant is not None else None
        return {"source_kind": kind, "source_id": ids[0], "last_id": ids[-1] if kind == "certificate" else None,
                "n": len(ids), "plant_id": plant, "technology": technology,
                "plant_region_code": None if known is None else known.region_code, "month": month,
                "kwh": kwh, "in_boundary": inside}

    def _trades(self, trades: list[Trade]) -> None:
        """One entry per contract (and plant) with its settled kWh of the year."""
        groups: dict[tuple[str, str, str], list[Trade]] = defaultdict(list)
        for t in trades:
            groups[(t.credit_code, t.contract_id, t.plant_id or "")].append(t)
        for (code, contract, _), rows in sorted(groups.items()):
            self._add(code, self._instrument("trade", [contract], rows[0].plant_id, rows[0].technology, None,
                                             float(sum(t.kwh for t in rows)), rows[0].in_boundary))

    def _certificates(self, certificates: list[Certificate]) -> None:
        """The counted-if-inside unbundled certificates grouped per plant, production month and technology."""
        groups: dict[tuple[str, str, str, str], list[Certificate]] = defaultdict(list)
        for g in certificates:
            groups[(g.credit_code, g.vintage_month, g.plant_id or "", g.technology)].append(g)
        for (code, month, _, technology), rows in sorted(groups.items()):
            kwh = float(energy.certificate_kwh(sum(g.mwh for g in rows)))
            self._add(code, self._instrument("certificate", sorted(g.certificate_id for g in rows), rows[0].plant_id,
                                             technology, month, kwh, rows[0].in_boundary))

    def _unbacked(self, trades: list[Trade], bundled: list[Certificate], tolerance: float) -> None:
        """Per enterprise, settlement month and plant (null with null): settled kWh against the bundled
        certificates of that production month and plant (§9, ``trade_not_backed_by_certificates``)."""
        settled: dict[tuple[str, str, str | None], list[Trade]] = defaultdict(list)
        for t in trades:
            settled[(t.credit_code, t.month, t.plant_id)].append(t)
        mwh: dict[tuple[str, str, str | None], float] = defaultdict(float)
        for g in bundled:
            mwh[(g.credit_code, g.vintage_month, g.plant_id)] += g.mwh
        keys = sorted(settled, key=lambda k: (k[0], k[1], k[2] or ""))
        kwh = np.array([sum(t.kwh for t in settled[k]) for k in keys], dtype=float)
        backing = np.array([mwh.get(k, 0.0) for k in keys], dtype=float)
        short = instruments.bundled_shortfall(kwh, backing, tolerance)
        backing_kwh = energy.certificate_kwh(backing)
        for i in np.flatnonzero(short):
            code, month, plant = keys[i]
            self.unbacked[code].append({"contract_ids": sorted({t.contract_id for t in settled[keys[i]]}),
                                        "plant_id": plant, "month": month, "kwh_settled": float(kwh[i]),
                                        "kwh_bundled": float(backing_kwh[i])})

    def flags(self, code: str, calc: dict[str, np.ndarray], i: int) -> list[str]:
        """The account's §9–§9b flags."""
        return ((["annual_method_fallback"] if calc["annual_method_fallback"][i] else [])
                + (["trade_not_backed_by_certificates"] if self.unbacked.get(code) else []))


def _flags(inp: YearInputs, en: _Energy, cols: _Columns, i: int) -> list[str]:
    flags = [name for name, taken in zip(FACTOR_FLAGS, cols.calc["factor_fallback"][i], strict=True) if taken]
    if cols.calc["revenue_basis"][i]:
        flags.append("intensity_basis_revenue")
    if (cols.codes[i], inp.year) in en.mismatch:
        flags.append("meter_mismatch")
    if np.count_nonzero(~np.isnan(cols.grid_m[i])) < 12:
        flags.append("partial_year")
    if cols.calc["basis_changed"][i]:
        flags.append("basis_changed")
    return flags


def _electricity_record(cols: _Columns, i: int) -> Electricity:
    calc = cols.calc
    tou: TimeOfUse | None = None
    source: Literal["monthly", "interval"] | None = None
    if not np.isnan(calc["time_of_use"][i, 0]):
        peak, flat, valley = calc["time_of_use"][i].tolist()
        tou = {"peak": peak, "flat": flat, "valley": valley}
        source = "monthly" if calc["time_of_use_monthly"][i] else "interval"
    return {
        "monthly_kwh": [_none(x) for x in cols.grid_m[i]],
        "monthly_kwh_prev_year": [_none(x) for x in cols.grid_prev[i]],
        "month_on_month": [_none(x) for x in calc["month_on_month"][i]],
        "year_on_year": _none(calc["year_on_year"][i]),
        "year_on_year_months": int(calc["year_on_year_months"][i]),
        "load_factor": _none(calc["load_factor"][i]),
        "peak_kw": _none(calc["peak_kw"][i]),
        "operating_rate": _none(calc["operating_rate"][i]),
        "time_of_use": tou, "time_of_use_source": source,
    }


def _assemble(inp: YearInputs, en: _Energy, profile: Profile, cols: _Columns, i: int,
              factors: tuple[Factor, Factor], grids: dict[str, np.ndarray]) -> Account:
    """Assemble stage: the record of account ``i`` (INTERFACE.md), the §7b fields left for evaluate_accounts."""
    c, calc = cols.codes[i], cols.calc
    ent = inp.enterprises[c]
    green = cols.green
    assert green is not None  # set by measure_accounts before any record is assembled
    month_names = months_of(inp.year)
    v = calc["value_10k_cny"][i]
    return {
        "credit_code": c, "year": inp.year, "name": ent.name, "industry_code": ent.industry_code,
        "region_code": ent.region_code,
        "kwh_grid": _num(calc["kwh_grid"][i]), "kwh_onsite": _num(calc["kwh_onsite"][i]),
        "kwh_total": _num(calc["kwh_total"][i]), "kwh_contract": _num(calc["kwh_contract"][i]),
        "kwh_contract_excess": _num(calc["kwh_contract_excess"][i]),
        "emissions_location_t": _num(calc["emissions_location_t"][i]),
        "emissions_market_t": _num(calc["emissions_market_t"][i]), "emissions_t": _num(calc["emissions_t"][i]),
        "intensity": _none(calc["intensity"][i]), "reduction_t": _none(calc["reduction_t"][i]),
        "kwh_green": _num(calc["kwh_green"][i]), "green_share": _num(calc["green_share"][i]),
        "green_reduction_t": _num(calc["green_reduction_t"][i]),
        "cfe_score": _none(calc["cfe_score"][i]),
        # §7b, filled by evaluate_accounts over every account of the year
        "benchmark": None, "k": None, "aspect_scores": {"intensity": None, "reduction": None, "green": None},
        "score": None, "grade": None, "label": None,
        "alerts": [{"code": code, "month": month_names[m]} for m in range(12) for code in electricity.ALERT_CODES
                   if calc[f"alert:{code}"][i, m]],
        "profile_id": profile.profile_id,
        "factors": {"location": _factor_used(factors[0]), "residual": _factor_used(factors[1])},
        "flags": _flags(inp, en, cols, i) + green.flags(c, calc, i),
        "kwh_trade": _num(calc["kwh_trade"][i]), "kwh_cert": _num(calc["kwh_cert"][i]),
        "value_10k_cny": _none(v), "value_basis": "revenue" if calc["revenue_basis"][i] else
        ("value_added" if not math.isnan(v) else None),
        "intensity_prev": _none(calc["intensity_prev"][i]),
        "electricity": _electricity_record(cols, i),
        # §7 matched share Σmin(L,G)/ΣL of each month (rows) and hour of day (columns); null without load
        "hourly_matching": _grid_shares(grids[c]) if c in grids else None,
        # GREEN-POWER.md §9–§9b
        "market_method": profile.market_method, "market_boundary": profile.market_boundary,
        "emissions_market_hourly_t": _none(calc["emissions_market_hourly_t"][i]),
        "kwh_matched_hourly": _none(calc["kwh_matched_hourly"][i]),
        "kwh_cert_monthly_matched": _none(calc["kwh_cert_monthly_matched"][i]),
        "kwh_outside_boundary": float(green.outside.get(c, 0.0)), "instruments": green.listed.get(c, []),
        "unbacked_trades": green.unbacked.get(c, []),
    }


def _factor_used(f: Factor) -> FactorUsed:
    return {"year": f.year, "area": f.area, "kind": f.kind, "value_kg_per_kwh": f.value_kg_per_kwh,
            "source": f.source, "announcement_no": f.announcement_no}


def _num(x: np.floating | float) -> float:
    """A figure the methodology always defines (kWh summed with nansum, emissions of those with a required
    factor, a share that is 0 without electricity): a plain float, never NaN."""
    return float(x)
