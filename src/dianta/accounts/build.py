"""Calculate and evaluate stage: accounts of one year from its inputs (METHODOLOGY.md §3–§7b).

Everything numeric goes through the pure functions of :mod:`dianta.calc`; this module only aligns the
inputs into arrays (one element per account) and assembles the records of INTERFACE.md.
"""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np

from dianta.accounts.inputs import YearInputs, months_of
from dianta.calc import electricity, energy, evaluation, indicators, matching
from dianta.calc.missing import nan_if_none as _nan
from dianta.calc.missing import none_if_nan as _none
from dianta.reference.profile import Profile
from dianta.reference.tables import Factor


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
        for i, (meter, month) in enumerate(keys):
            if (meter, month) in monthly:
                code = inp.meters.holder(meter, f"{month}-01")
                if code is None:
                    continue
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
        self.trade: dict[tuple[str, int], float] = defaultdict(float)
        for _contract, code, month, value in inp.trades:
            self.trade[(code, int(month[:4]))] += value
        self.cert_mwh: dict[tuple[str, int], float] = defaultdict(float)
        for code, vintage, mwh in inp.certificates:
            self.cert_mwh[(code, int(vintage[:4]))] += mwh

    def monthly_grid(self, codes: list[str], year: int) -> np.ndarray:
        """``(n, 12)`` grid kWh, NaN for a month without data."""
        return np.array([[self.grid.get((c, m), np.nan) for m in months_of(year)] for c in codes], dtype=float)

    def monthly_onsite(self, codes: list[str], year: int) -> np.ndarray:
        return np.array([[self.onsite.get((c, m), np.nan) for m in months_of(year)] for c in codes], dtype=float)


def _has_account(inp: YearInputs, e_grid: np.ndarray, e_onsite: np.ndarray, codes: list[str], year: int) -> np.ndarray:
    """§3: grid or on-site data in the year, opened on or before 31 Dec and not closed before 1 Jan."""
    has_data = ~np.all(np.isnan(e_grid), axis=1) | ~np.all(np.isnan(e_onsite), axis=1)
    open_ = np.array([(inp.enterprises[c].opened_on or "0001-01-01") <= f"{year}-12-31"
                      and (inp.enterprises[c].closed_on or "9999-12-31") >= f"{year}-01-01" for c in codes])
    return has_data & open_


def _factor_arrays(inp: YearInputs, profile: Profile, codes: list[str], year: int
                   ) -> tuple[np.ndarray, np.ndarray, list[Factor], list[Factor], np.ndarray]:
    """Per account: location and residual factor [kgCO2/kWh], the Factor records and the fallback flag (§2)."""
    chosen: dict[tuple[str, str], tuple[Factor, bool]] = {}
    locs, ress, fallback = [], [], []
    for c in codes:
        picked = []
        for role in (profile.location, profile.residual):
            area = inp.enterprises[c].region_code[:2] + "0000" if role.area == "province" else role.area
            if (role.kind, area) not in chosen:
                chosen[(role.kind, area)] = profile.factor_table.select(role.kind, area, year)
            picked.append(chosen[(role.kind, area)])
        locs.append(picked[0][0])
        ress.append(picked[1][0])
        fallback.append(picked[0][1] or picked[1][1])
    return (np.array([f.value_kg_per_kwh for f in locs]), np.array([f.value_kg_per_kwh for f in ress]), locs, ress,
            np.array(fallback, dtype=bool))


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


def build_accounts(inp: YearInputs, profile: Profile) -> list[dict[str, object]]:
    """The accounts of ``inp.year`` as INTERFACE.md records (plus the electricity analysis details),
    evaluated (§7b)."""
    return evaluate_accounts(measure_accounts(inp, profile), profile)


def evaluate_accounts(records: list[dict[str, object]], profile: Profile) -> list[dict[str, object]]:
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
        r["benchmark"] = None if bench.group[i] is None else {"group": bench.group[i], "size": int(bench.size[i]),
                                                              "value": _none(bench.value[i])}
        r["k"] = _none(k[i])
        r["aspect_scores"] = {"intensity": _none(aspects[i, 0]), "reduction": _none(aspects[i, 1]),
                              "green": _none(aspects[i, 2])}
        r["score"] = _none(score[i])
        r["grade"] = int(grades[i]) or None
        r["label"] = None if not grades[i] else {"grade": int(grades[i]), "colour": colours[i], "year": r["year"],
                                                 "profile_id": profile.profile_id}
    return records


def measure_accounts(inp: YearInputs, profile: Profile, only: set[str] | None = None) -> list[dict[str, object]]:
    """§3–§7 of the accounts of ``inp.year`` (of the enterprises ``only``, when given), without the §7b
    evaluation (:func:`evaluate_accounts`)."""
    year = inp.year
    en = _Energy(inp, profile)
    all_codes = sorted(inp.enterprises if only is None else set(inp.enterprises) & only)
    if not all_codes:
        return []
    grid_m, onsite_m = en.monthly_grid(all_codes, year), en.monthly_onsite(all_codes, year)
    grid_prev, onsite_prev = en.monthly_grid(all_codes, year - 1), en.monthly_onsite(all_codes, year - 1)
    has = _has_account(inp, grid_m, onsite_m, all_codes, year)
    has_prev = _has_account(inp, grid_prev, onsite_prev, all_codes, year - 1)
    idx = np.flatnonzero(has)
    codes = [all_codes[i] for i in idx]
    if not codes:
        return []
    grid_m, onsite_m, grid_prev, onsite_prev, has_prev = (a[idx] for a in (grid_m, onsite_m, grid_prev, onsite_prev,
                                                                            has_prev))
    ef_loc, ef_res, loc_f, res_f, fallback = _factor_arrays(inp, profile, codes, year)
    cur = _emissions(en, codes, year, ef_loc, ef_res, profile, grid_m, onsite_m)
    # §5 indicator 3: Y−1 recomputed with year Y's factors and the current profile
    prev = _emissions(en, codes, year - 1, ef_loc, ef_res, profile, grid_prev, onsite_prev)
    v, revenue_basis = _value(inp, codes, year)
    v_prev, _ = _value(inp, codes, year - 1)
    intensity = indicators.carbon_intensity(cur["emissions_t"], v)
    intensity_prev = np.where(has_prev, indicators.carbon_intensity(prev["emissions_t"], v_prev), np.nan)
    reduction = indicators.carbon_reduction_t(intensity_prev, intensity, v)

    # §6 electricity analysis
    alerts = electricity.credit_alerts(grid_m, grid_prev, sharp_drop_ratio=profile.sharp_drop_ratio,
                                       sustained_decline_months=profile.sustained_decline_months)
    has_prev_grid = ~np.all(np.isnan(grid_prev), axis=1)
    yoy = np.where(has_prev_grid, electricity.year_on_year_change(cur["kwh_grid"], np.nansum(grid_prev, axis=1)),
                   np.nan)
    mom = electricity.month_on_month_change(grid_m, grid_prev)
    stats = inp.aggregates["ent_stats"].to_pydict()
    stat = {c: (k, p, n) for c, k, p, n in zip(stats["credit_code"], stats["kwh"], stats["peak_q"], stats["n"],
                                               strict=True)}
    lf_in = np.array([stat.get(c, (np.nan, np.nan, 0)) for c in codes], dtype=float)
    load_factor = electricity.load_factor(lf_in[:, 0], lf_in[:, 2], lf_in[:, 1])
    days: dict[str, list[float]] = defaultdict(list)
    dd = inp.aggregates["ent_day"].to_pydict()
    for c, k in zip(dd["credit_code"], dd["kwh"], strict=True):
        days[c].append(k)
    op_rate = np.array([electricity.operating_rate(days.get(c, []), threshold=profile.operating_day_threshold,
                                                   quantile=profile.operating_day_quantile) for c in codes])
    tou_interval: dict[str, dict[str, float]] = defaultdict(dict)
    td = inp.aggregates["ent_tou"].to_pydict()
    for c, period, k in zip(td["credit_code"], td["period"], td["kwh"], strict=True):
        tou_interval[c][period] = k

    # §7 hourly matching, for enterprises whose every meter has interval data in the year
    with_interval: dict[str, set[str]] = defaultdict(set)
    mm = inp.aggregates["meter_month"].to_pydict()
    for meter, c, month in zip(mm["meter_id"], mm["credit_code"], mm["month"], strict=True):
        if month.year == year:
            with_interval[c].add(meter)
    held = inp.meters.held_during(f"{year}-01-01", f"{year}-12-31")
    md = inp.aggregates["matching"].to_pydict()
    grids: dict[str, np.ndarray] = {}  # per enterprise: [matched, load] × month × hour of day
    for c, month, hour, m, ld in zip(md["credit_code"], md["month"], md["hour_of_day"], md["matched_kwh"],
                                     md["load_kwh"], strict=True):
        grids.setdefault(c, np.zeros((2, 12, 24)))[:, month - 1, hour] = (m, ld)
    match = {c: (g[0].sum(), g[1].sum()) for c, g in grids.items()}
    complete = np.array([bool(held.get(c)) and held[c] <= with_interval.get(c, set()) and c in match for c in codes])
    sums = np.array([match.get(c, (np.nan, np.nan)) for c in codes], dtype=float)
    cfe = np.where(complete, matching.cfe_score(sums[:, 0], sums[:, 1]), np.nan)

    records = []
    month_names = months_of(year)
    for i, c in enumerate(codes):
        ent = inp.enterprises[c]
        flags = []
        if fallback[i]:
            flags.append("factor_year_fallback")
        if revenue_basis[i]:
            flags.append("intensity_basis_revenue")
        if (c, year) in en.mismatch:
            flags.append("meter_mismatch")
        if np.count_nonzero(~np.isnan(grid_m[i])) < 12:
            flags.append("partial_year")
        alert_list = [{"code": code, "month": month_names[m]} for m in range(12) for code in electricity.ALERT_CODES
                      if alerts[code][i, m]]
        tou_sums = en.tou_monthly.get(f"{c}|{year}")
        if tou_sums is not None and tou_sums.sum() > 0:
            tou = dict(zip(("peak", "flat", "valley"), (tou_sums / tou_sums.sum()).tolist(), strict=True))
            tou_source = "monthly"
        elif tou_interval.get(c) and sum(tou_interval[c].values()) > 0:
            total = sum(tou_interval[c].values())
            tou = {p: tou_interval[c].get(p, 0.0) / total for p in ("peak", "flat", "valley")}
            tou_source = "interval"
        else:
            tou, tou_source = None, None
        records.append({
            "credit_code": c, "year": year, "name": ent.name, "industry_code": ent.industry_code,
            "region_code": ent.region_code,
            **{key: _none(cur[key][i]) for key in ("kwh_grid", "kwh_onsite", "kwh_total", "kwh_contract",
                                                   "kwh_contract_excess", "emissions_location_t",
                                                   "emissions_market_t", "emissions_t")},
            "intensity": _none(intensity[i]), "reduction_t": _none(reduction[i]),
            "kwh_green": _none(cur["kwh_green"][i]), "green_share": _none(cur["green_share"][i]),
            "green_reduction_t": _none(cur["green_reduction_t"][i]),
            "cfe_score": _none(cfe[i]),
            # §7b, filled by evaluate_accounts over every account of the year
            "benchmark": None, "k": None, "aspect_scores": {"intensity": None, "reduction": None, "green": None},
            "score": None, "grade": None, "label": None,
            "alerts": alert_list,
            "profile_id": profile.profile_id,
            "factors": {role: {"year": f.year, "area": f.area, "kind": f.kind, "value_kg_per_kwh": f.value_kg_per_kwh,
                               "source": f.source}
                        for role, f in (("location", loc_f[i]), ("residual", res_f[i]))},
            "flags": flags,
            "kwh_trade": _none(cur["kwh_trade"][i]), "kwh_cert": _none(cur["kwh_cert"][i]),
            "value_10k_cny": _none(v[i]), "value_basis": "revenue" if revenue_basis[i] else
            ("value_added" if not math.isnan(v[i]) else None),
            "intensity_prev": _none(intensity_prev[i]),
            "electricity": {
                "monthly_kwh": [_none(x) for x in grid_m[i]],
                "monthly_kwh_prev_year": [_none(x) for x in grid_prev[i]],
                "month_on_month": [_none(x) for x in mom[i]],
                "year_on_year": _none(yoy[i]),
                "load_factor": _none(load_factor[i]),
                "peak_kw": _none(lf_in[i, 1] * 4.0),
                "operating_rate": _none(op_rate[i]),
                "time_of_use": tou, "time_of_use_source": tou_source,
            },
            # §7 matched share Σmin(L,G)/ΣL of each month (rows) and hour of day (columns); null without load
            "hourly_matching": _grid_shares(grids[c]) if complete[i] else None,
        })
    return records
