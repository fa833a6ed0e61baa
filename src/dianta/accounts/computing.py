"""Green-computing certificates (绿电绿算溯源证书) of data centres, GREEN-POWER.md §11.

Load → aggregate → calculate, as the accounts: the data centre's ledger rows and lake files are read in one
snapshot (:func:`dianta.accounts.inputs.read_year` for that enterprise only), the engine runs the year's script
with the data centre's hourly supply by source (:data:`dianta.engine.queries.SOURCE_STATEMENTS`), and the pure
functions of :mod:`dianta.calc.computing` give the PUE, the level and the trace.

A certificate is issued when it is computed with a level: its verification code is an HMAC of what it states
under a secret kept with the store (as the label's, :mod:`dianta.accounts.labels`), so a computation that
changes nothing keeps the code. It stays ``valid`` while a computation of the same enterprise, period and
profile states the same figures; once one states others (a correction, then ``dianta compute`` or
``green-computing`` again) it is ``superseded``.
"""

from __future__ import annotations

import base64
import calendar
import hashlib
import hmac
import json
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Literal, cast

import numpy as np
import pyarrow as pa
import sqlalchemy as sa

from dianta.accounts.build import energy_by_month
from dianta.accounts.inputs import Certificate, MeterPeriods, Trade, YearInputs, months_of, read_year
from dianta.accounts.labels import normalise_code
from dianta.accounts.record import ComputingCertificate, TraceEntry
from dianta.calc import computing, energy, indicators, matching
from dianta.clock import now_iso
from dianta.engine.choice import get_engine
from dianta.engine.queries import year_script
from dianta.errors import NotFound, UsageError
from dianta.ledger import schema
from dianta.ledger.secrets import store_secret
from dianta.ledger.store import Store
from dianta.reference.profile import Profile, load_profile

#: the name of the secret the certificates' codes are made with, in the store's secrets file
SECRET_KEY = "certificate_secret"
Level = Literal["A", "B", "C", "annual"]


def period_months(year: int, month: str | None) -> list[str]:
    """The months (YYYY-MM) a certificate of ``year`` (and ``month``, when given) covers."""
    if not 1900 < year < 2200:
        raise UsageError(f"--year {year} is not a calendar year", zh=f"--year {year} 不是公历年份")
    if month is None:
        return months_of(year)
    if month not in months_of(year):
        raise UsageError(f"--month {month} is not a month YYYY-MM of --year {year}",
                         zh=f"--month {month} 不是 --year {year} 中的月份（格式 YYYY-MM）")
    return [month]


def compute_certificate(store: Store, *, credit_code: str, year: int, month: str | None = None,
                        profile: str | Path | Profile = "default", engine: str = "duckdb") -> ComputingCertificate:
    """The green-computing certificate of a data centre for ``year`` (or its ``month``), not yet issued
    (``verification_code`` null): NotFound when the enterprise is not a data centre or has no electricity data
    in the period."""
    prof = profile if isinstance(profile, Profile) else load_profile(profile)
    months = period_months(year, month)
    with store.snapshot() as view:
        site = _data_centre(view, credit_code)
        inp = read_year(view, store, year, prof, only={credit_code})
        technology = _onsite_technology(view, credit_code, months)
    inp.engine_inputs["chosen"] = pa.table({"credit_code": pa.array([credit_code], pa.string())})
    inp.engine_inputs["it_meters"] = _it_meter_table(inp.it_meters, credit_code)
    inp.aggregates = get_engine(engine, temp_dir=store.temp_dir()).run(
        year_script(inp.prev_matching, sources=True, unique_hours=inp.unique_hours), inp.engine_inputs)
    return certificate_figures(inp, prof, credit_code=credit_code, site_name=site, months=months,
                               onsite_technology=technology)


def _data_centre(con: sa.Connection, credit_code: str) -> str:
    dc = schema.data_tables["data_centres"].c
    site = con.execute(sa.select(dc.site_name).where(dc.credit_code == credit_code)).scalar()
    if site is None:
        raise NotFound(f"{credit_code} is not a data centre: send its row in the data_centres table first "
                       "(DATA-REQUIREMENTS.md)",
                       zh=f"{credit_code} 不是数据中心：请先在 data_centres 表中报送该企业（见数据需求表）")
    return str(site)


def _onsite_technology(con: sa.Connection, credit_code: str, months: list[str]) -> str | None:
    """The technology of the enterprise's on-site generation in the period when it names one only."""
    o = schema.data_tables["onsite_generation"].c
    found = set(con.execute(sa.select(o.technology).where(o.credit_code == credit_code, o.month.in_(months))
                            .distinct()).scalars())
    return found.pop() if len(found) == 1 else None


def _it_meter_table(periods: MeterPeriods, credit_code: str) -> pa.Table:
    rows = [(meter, a, b) for meter, spans in periods.periods.items() for a, b, code in spans if code == credit_code]
    ts = pa.timestamp("us")

    def at(day: str, plus: int = 0) -> np.datetime64:
        return np.datetime64(day, "us") + np.timedelta64(plus, "D")

    return pa.table({"meter_id": pa.array([r[0] for r in rows], pa.string()),
                     "credit_code": pa.array([credit_code] * len(rows), pa.string()),
                     "valid_from_ts": pa.array([at(max(r[1], "1900-01-01")) for r in rows], ts),
                     "valid_to_excl_ts": pa.array([at(min(r[2], "2299-12-30"), 1) for r in rows], ts)})


def certificate_figures(inp: YearInputs, profile: Profile, *, credit_code: str, site_name: str, months: list[str],
                        onsite_technology: str | None = None) -> ComputingCertificate:
    """Calculate stage of a certificate (GREEN-POWER.md §11) from the year's inputs and aggregates (with the
    source statements): annual figures of the period (§4–§5), the hourly ones where every grid meter held in
    the period has interval data in it (§7, §9b), the trace, the PUE and the level."""
    grid, onsite = energy_by_month(inp, profile)
    g = np.array([grid.get((credit_code, m), np.nan) for m in months], dtype=float)
    o = np.array([onsite.get((credit_code, m), np.nan) for m in months], dtype=float)
    period = months[0] if len(months) == 1 else months[0][:4]
    if np.all(np.isnan(g)) and np.all(np.isnan(o)):
        raise NotFound(f"{credit_code} has no electricity data in {period}: no certificate can be computed",
                       zh=f"{credit_code} 在 {period} 没有用电数据，无法计算证书")
    kwh_grid, kwh_onsite = float(np.nansum(g)), float(np.nansum(o))
    trades = [t for t in inp.trades if t.credit_code == credit_code and t.month in months and t.in_boundary]
    certs = [c for c in inp.certificates if c.credit_code == credit_code and c.vintage_month in months
             and c.in_boundary and c.valid and not c.bundled]
    kwh_cert = float(energy.certificate_kwh(sum(c.mwh for c in certs)))
    contract, _ = energy.contractual_green_kwh(sum(t.kwh for t in trades), kwh_cert, kwh_grid)
    kwh_total = float(energy.total_consumption_kwh(kwh_grid, kwh_onsite))
    share = float(indicators.green_share(kwh_onsite + float(contract), kwh_total))
    hourly = _hourly_figures(inp, credit_code, months, trades, certs, onsite_technology)
    cfe = np.nan if hourly is None else hourly[0]
    lv = profile.computing_levels
    level = str(computing.computing_level(cfe, share, a_min_cfe=lv.a_min_cfe, b_min_cfe=lv.b_min_cfe,
                                          c_min_cfe=lv.c_min_cfe, annual_min_green_share=lv.annual_min_green_share))
    pue = float(computing.power_usage_effectiveness(kwh_total, _it_kwh(inp, credit_code, months)))
    return {"credit_code": credit_code, "site_name": site_name, "period": period,
            "level": cast(Level, level) if level else None, "kwh_load": kwh_total, "green_share": share,
            "cfe_score": None if hourly is None else hourly[0],
            "kwh_matched_hourly": None if hourly is None else hourly[1],
            "kwh_cert_monthly_matched": None if hourly is None else hourly[2],
            "pue": None if np.isnan(pue) else pue, "trace": [] if hourly is None else hourly[3],
            "profile_id": profile.profile_id, "verification_code": None}


def _complete(inp: YearInputs, credit_code: str, months: list[str]) -> bool:
    """§7: the enterprise holds grid meters in the period and each has interval data in it."""
    first, last = months[0], months[-1]
    last_day = f"{last}-{calendar.monthrange(int(last[:4]), int(last[5:]))[1]:02d}"
    held = inp.meters.held_during(f"{first}-01", last_day).get(credit_code, set())
    mm = inp.aggregates["meter_month"].to_pydict()
    with_interval = {meter for meter, c, month in zip(mm["meter_id"], mm["credit_code"], mm["month"], strict=True)
                     if c == credit_code and month.strftime("%Y-%m") in months}
    return bool(held) and held <= with_interval


def _hour_index(table: pa.Table, start: np.datetime64, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Positions of the rows' ``hour`` among the period's ``n`` hours from ``start``, and a mask of those inside."""
    hours = np.asarray(table.column("hour").to_numpy(zero_copy_only=False), dtype="datetime64[h]")
    idx = (hours - start).astype(int)
    return idx, (idx >= 0) & (idx < n)


def _hourly_figures(inp: YearInputs, credit_code: str, months: list[str], trades: Sequence[Trade],
                    certs: Sequence[Certificate], onsite_technology: str | None
                    ) -> tuple[float, float, float, list[TraceEntry]] | None:
    """(cfe_score, kwh_matched_hourly, kwh_cert_monthly_matched, trace) of the period, None without complete
    interval data."""
    if not _complete(inp, credit_code, months):
        return None
    start = np.datetime64(f"{months[0]}-01T00", "h")
    end = np.datetime64(f"{months[-1]}-01", "M") + np.timedelta64(1, "M")
    n = int((end.astype("datetime64[h]") - start).astype(int))
    month_of_hour = ((start + np.arange(n)).astype("datetime64[M]") - start.astype("datetime64[M]")).astype(int)
    load = np.zeros(n)
    sources: list[TraceEntry] = []
    columns: list[np.ndarray] = []
    for name in ("source_grid_hour", "source_onsite_hour"):
        table = inp.aggregates[name]
        idx, inside = _hour_index(table, start, n)
        kwh = np.asarray(table.column("kwh").to_numpy(zero_copy_only=False), dtype=float)
        np.add.at(load, idx[inside], kwh[inside])
        if name == "source_onsite_hour" and inside.any():
            column = np.zeros(n)
            np.add.at(column, idx[inside], kwh[inside])
            columns.append(column)
            sources.append({"source_kind": "onsite", "source_id": credit_code, "plant_id": None,
                            "technology": onsite_technology, "kwh": 0.0})
    _trade_columns(inp.aggregates["source_trade_hour"], trades, start, n, sources, columns)
    supply = np.column_stack(columns) if columns else np.zeros((n, 0))
    green = supply.sum(axis=1)
    matched = matching.matched_kwh(load, green)
    n_months = len(months)
    load_m, matched_m = (np.bincount(month_of_hour, weights=x, minlength=n_months) for x in (load, matched))
    unmatched = matching.unmatched_kwh(load_m, matched_m)
    groups, cert_kwh = _certificate_groups(certs, months)
    cert_matched = float(matching.certificate_matched_kwh(unmatched, cert_kwh.sum(axis=1)))
    traced = np.concatenate([computing.hourly_trace_kwh(load, supply), computing.certificate_trace_kwh(unmatched,
                                                                                                        cert_kwh)])
    trace = [{**s, "kwh": float(k)} for s, k in zip([*sources, *groups], traced, strict=True)]
    total_load = float(load.sum())
    return (float(matching.cfe_score(float(matched.sum()), total_load)), float(matched.sum()), cert_matched,
            cast(list[TraceEntry], trace))


def _trade_columns(table: pa.Table, trades: Sequence[Trade], start: np.datetime64, n: int,
                   sources: list[TraceEntry], columns: list[np.ndarray]) -> None:
    """One supply column per contract and plant: the contract's share of its hourly profile (§7), each month's
    hours under the plant its settled row of that month names."""
    named = {(t.contract_id, t.month): t for t in trades}
    idx, inside = _hour_index(table, start, n)
    contract = table.column("contract_id").to_pylist()
    hours = np.asarray(table.column("hour").to_numpy(zero_copy_only=False), dtype="datetime64[M]").astype(str)
    kwh = np.asarray(table.column("kwh").to_numpy(zero_copy_only=False), dtype=float)
    by_source: dict[tuple[str, str | None, str], np.ndarray] = defaultdict(lambda: np.zeros(n))
    for i in np.flatnonzero(inside):
        t = named.get((contract[i], str(hours[i])))
        if t is None:  # a profile hour of a month the enterprise settled nothing of the contract
            continue
        by_source[(t.contract_id, t.plant_id, t.technology)][idx[i]] += kwh[i]
    for (cid, plant, technology), column in sorted(by_source.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")):
        columns.append(column)
        sources.append({"source_kind": "trade", "source_id": cid, "plant_id": plant, "technology": technology,
                        "kwh": 0.0})


def _certificate_groups(certs: Sequence[Certificate], months: list[str]) -> tuple[list[TraceEntry], np.ndarray]:
    """Certificates by plant (and technology): the trace entries and their kWh by production month
    ``(months, groups)`` (§9b: C_m split by plant)."""
    grouped: dict[tuple[str, str], list[Certificate]] = defaultdict(list)
    for c in certs:
        grouped[(c.plant_id or "", c.technology)].append(c)
    keys = sorted(grouped)
    kwh = np.zeros((len(months), len(keys)))
    entries: list[TraceEntry] = []
    for k, key in enumerate(keys):
        rows = grouped[key]
        for c in rows:
            kwh[months.index(c.vintage_month), k] += float(energy.certificate_kwh(c.mwh))
        entries.append({"source_kind": "certificate", "source_id": min(c.certificate_id for c in rows),
                        "plant_id": rows[0].plant_id, "technology": key[1], "kwh": 0.0})
    return entries, kwh


def _it_kwh(inp: YearInputs, credit_code: str, months: list[str]) -> float:
    """The IT sub-meters' kWh of the period: each month's monthly total, else its 15-minute sum (§3 as for grid
    meters); NaN without any."""
    monthly = {(r[0], r[1]): r[2] for r in inp.it_monthly
               if r[1] in months and inp.it_meters.month_holder(r[0], r[1]) == credit_code}
    im = inp.aggregates["it_meter_month"].to_pydict()
    interval = {(meter, month.strftime("%Y-%m")): kwh for meter, c, month, kwh
                in zip(im["meter_id"], im["credit_code"], im["month"], im["kwh"], strict=True)
                if c == credit_code and month.strftime("%Y-%m") in months}
    values = {**interval, **monthly}
    return float(sum(values.values())) if values else float("nan")


def interface_order(cert: ComputingCertificate) -> dict[str, object]:
    """The certificate's fields in INTERFACE.md's order (``green-computing --format json``), then the others."""
    first = ("credit_code", "period", "level", "kwh_load", "green_share", "cfe_score", "kwh_matched_hourly",
             "kwh_cert_monthly_matched", "pue", "trace", "verification_code")
    return {**{k: cert[k] for k in first}, **{k: v for k, v in cert.items() if k not in first}}  # type: ignore[literal-required]


# -- issue and verify ------------------------------------------------------------------------------------------

def _statement(cert: ComputingCertificate) -> str:
    """What the certificate states, as canonical JSON (figures to 6 decimals), its code excluded."""
    def rounded(x: object) -> object:
        if isinstance(x, float):
            return round(x, 6)
        if isinstance(x, dict):
            return {k: rounded(v) for k, v in x.items()}
        if isinstance(x, list):
            return [rounded(v) for v in x]
        return x

    body = {k: v for k, v in cert.items() if k != "verification_code"}
    return json.dumps(rounded(body), sort_keys=True, ensure_ascii=False)


def certificate_code(secret: str, cert: ComputingCertificate) -> str:
    """``XXXX-XXXX-XXXX-XXXX``: 80 bits of HMAC-SHA256 over the certificate's statement in RFC 4648 base32, as
    the label's code (:func:`dianta.accounts.labels.label_code`)."""
    digest = hmac.new(secret.encode(), _statement(cert).encode(), hashlib.sha256).digest()[:10]
    text = base64.b32encode(digest).decode()
    return "-".join(text[i:i + 4] for i in range(0, 16, 4))


def issue_certificate(store: Store, cert: ComputingCertificate) -> ComputingCertificate:
    """Issue a computed certificate: with a level, its verification code is set and recorded (``valid``);
    every other valid certificate of the same enterprise, period and profile is ``superseded`` (its figures are
    no longer those computed). Without a level nothing is issued and the valid ones are superseded too."""
    cc = schema.computing_certificates
    code = certificate_code(store_secret(store, SECRET_KEY), cert) if cert["level"] is not None else None
    cert["verification_code"] = code
    at = now_iso()
    same = (cc.c.credit_code == cert["credit_code"], cc.c.period == cert["period"],
            cc.c.profile_id == cert["profile_id"])
    with store.engine.begin() as tx:
        tx.execute(cc.update().where(*same, cc.c.state == "valid", cc.c.code != (code or ""))
                   .values(state="superseded", superseded_at=at))
        if code is None:
            return cert
        # a code is its figures: figures that come back to an earlier certificate's make it valid again
        if tx.execute(cc.update().where(cc.c.code == code).values(state="valid", superseded_at=None)).rowcount == 0:
            tx.execute(cc.insert().values(code=code, credit_code=cert["credit_code"], period=cert["period"],
                                          profile_id=cert["profile_id"], level=cert["level"],
                                          statement_json=json.dumps(cert, ensure_ascii=False), state="valid",
                                          issued_at=at))
    return cert


def verify_certificate(store: Store, code: str) -> dict[str, object]:
    """What the certificate with ``code`` states — period, level, CFE, green share — and whether it is still
    ``valid`` or ``superseded``; nothing more (the enterprise's other figures are not public). NotFound when
    never issued."""
    code = normalise_code(code)
    cc = schema.computing_certificates
    with store.engine.connect() as con:
        row = con.execute(sa.select(cc).where(cc.c.code == code)).mappings().first()
    if row is None:
        raise NotFound(f"no green-computing certificate with verification code {code} was issued by this platform; "
                       "the certificate is not genuine or the code was mistyped",
                       zh=f"本平台未签发验证码为 {code} 的绿电绿算溯源证书：证书不真实或验证码输入有误")
    stated = json.loads(row["statement_json"])
    return {"code": code, "status": row["state"], "period": stated["period"], "level": stated["level"],
            "cfe_score": stated["cfe_score"], "green_share": stated["green_share"]}


def refresh_certificates(store: Store, year: int, profile: Profile, *, engine: str = "duckdb") -> int:
    """Compute again every valid certificate of ``year`` under ``profile`` and issue it (after ``dianta compute``
    published the year: a correction that changed a certificate's figures supersedes it). The number of
    certificates superseded."""
    cc = schema.computing_certificates
    with store.engine.connect() as con:
        rows = con.execute(sa.select(cc.c.code, cc.c.credit_code, cc.c.period).where(
            cc.c.state == "valid", cc.c.profile_id == profile.profile_id,
            sa.or_(cc.c.period == str(year), cc.c.period.like(f"{year}-%")))).all()
    superseded = 0
    for code, credit_code, period in rows:
        try:
            cert = compute_certificate(store, credit_code=credit_code, year=year,
                                       month=period if len(period) == 7 else None, profile=profile, engine=engine)
        except NotFound:  # no data left in the period: the certificate no longer holds
            cert = None
        if cert is None:
            with store.engine.begin() as tx:
                tx.execute(cc.update().where(cc.c.code == code).values(state="superseded", superseded_at=now_iso()))
            superseded += 1
        elif issue_certificate(store, cert)["verification_code"] != code:
            superseded += 1
    return superseded
