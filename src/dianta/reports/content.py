"""What an account report shows, gathered from the ledger: the published account with the enterprise, its
meters, green sources (with the names of the plants its instruments trace to), findings and the run that
computed it. Reads only; the caller authorises and audits."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

import sqlalchemy as sa

from dianta.accounts import query
from dianta.accounts.peers import Peers, Trend, account_peers, account_trend
from dianta.accounts.record import Account
from dianta.calc import regions
from dianta.errors import NotFound
from dianta.ledger import schema
from dianta.ledger.store import Store
from dianta.reference.tables import industry_divisions, region_codes, regional_grid

#: findings listed in a report; the rest are counted
MAX_FINDINGS = 40


@dataclass(slots=True)
class AccountReport:
    record: Account
    enterprise: dict[str, object]
    industry_name: str
    region_name: str
    run: dict[str, object]
    certificates: list[dict[str, object]] = field(default_factory=list)
    contracts: list[dict[str, object]] = field(default_factory=list)
    onsite_technologies: list[str] = field(default_factory=list)
    findings: list[dict[str, object]] = field(default_factory=list)
    findings_total: int = 0
    #: plant id → name (data_plants) of the plants the account's instruments and unbacked trades name
    plant_names: dict[str, str] = field(default_factory=dict)
    #: GB/T 2260 code → name of the provinces those plants lie in
    place_names: dict[str, str] = field(default_factory=dict)
    #: the account among its peers and the enterprise's figures over the years (issue 17; accounts/peers.py)
    peers: Peers | None = None
    trend: Trend | None = None

    @property
    def boundary_area(self) -> str | None:
        """Where the account's instruments must come from (GREEN-POWER.md §9): the regional grid (``northwest``)
        or the province code (``630000``) of the enterprise under the account's market boundary; None under
        ``national`` (or for an account published before traceability)."""
        boundary, code = self.record.get("market_boundary"), str(self.enterprise.get("region_code") or "")
        if not code or boundary not in ("regional_grid", "province"):
            return None
        return regional_grid(code) if boundary == "regional_grid" else regions.province_code(code)

    @property
    def record_fingerprint(self) -> str:
        """SHA-256 of the account record as published (canonical JSON): the same inputs and profile give the
        same record, hence the same fingerprint."""
        body = {k: v for k, v in self.record.items() if k != "run_id"}
        text = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()


def region_name(code: str) -> str:
    """Province / prefecture / county names of a GB/T 2260 code, e.g. ``青海省 西宁市 城中区``."""
    names = region_codes()
    parts = [names.get(regions.province_code(code)), names.get(regions.prefecture_code(code)), names.get(code)]
    out: list[str] = []
    for p in parts:
        if p and p not in out:
            out.append(p)
    return " ".join(out)


def gather_account_report(store: Store, *, credit_code: str, year: int, profile_id: str = "default"
                          ) -> AccountReport:
    """Everything the report of ``credit_code``'s account for ``year`` shows (NotFound without an account)."""
    record = query.get_account(store, credit_code=credit_code, year=year, profile_id=profile_id)
    enterprise = query.get_enterprise(store, credit_code)
    industry = str(enterprise["industry_code"])
    cert, trades, onsite = (schema.data_tables[t] for t in ("green_certificates", "green_trades", "onsite_generation"))
    months = [f"{year}-{m:02d}" for m in range(1, 13)]
    with store.engine.connect() as con:
        run = con.execute(sa.select(schema.runs).where(schema.runs.c.run_id == record["run_id"])).mappings().first()
        if run is None:
            raise NotFound.of("run_missing", run_id=record["run_id"])
        # certificates by vintage month, technology and bundling (an enterprise may hold thousands)
        certificates = [dict(r) for r in con.execute(
            sa.select(cert.c.vintage_month, cert.c.technology, cert.c.bundled, sa.func.count().label("n"),
                      sa.func.sum(cert.c.mwh).label("mwh"), sa.func.min(cert.c.certificate_id).label("first_id"))
            .where(cert.c.credit_code == credit_code, cert.c.vintage_month.in_(months))
            .group_by(cert.c.vintage_month, cert.c.technology, cert.c.bundled)
            .order_by(cert.c.vintage_month, cert.c.technology, cert.c.bundled)).mappings()]
        contracts = [dict(r) for r in con.execute(
            sa.select(trades.c.contract_id, trades.c.technology, sa.func.count().label("months"),
                      sa.func.sum(trades.c.kwh).label("kwh"))
            .where(trades.c.credit_code == credit_code, trades.c.month.in_(months))
            .group_by(trades.c.contract_id, trades.c.technology).order_by(trades.c.contract_id)).mappings()]
        technologies = sorted({str(t) for t in con.execute(
            sa.select(onsite.c.technology).where(onsite.c.credit_code == credit_code, onsite.c.month.in_(months))
        ).scalars() if t})
        plant_ids = sorted({str(p) for p in (*(i.get("plant_id") for i in record.get("instruments") or []),
                                             *(u.get("plant_id") for u in record.get("unbacked_trades") or []))
                            if p})
        plants = schema.data_tables["plants"]
        plant_names = {str(r.plant_id): str(r.name) for r in con.execute(
            sa.select(plants.c.plant_id, plants.c.name).where(plants.c.plant_id.in_(plant_ids)))}
    findings = query.enterprise_findings(store, credit_code=credit_code)
    places = {str(c) for c in (i.get("plant_region_code") for i in record.get("instruments") or []) if c}
    return AccountReport(
        record=record, enterprise=enterprise,
        industry_name=industry_divisions().get(industry[:3], ""),
        region_name=region_name(str(enterprise["region_code"])),
        run={k: run[k] for k in ("run_id", "profile_id", "profile_version", "profile_fingerprint",
                                 "inputs_fingerprint", "finished_at", "factor_ids_json")},
        certificates=certificates, contracts=contracts, onsite_technologies=technologies,
        findings=findings[:MAX_FINDINGS], findings_total=len(findings), plant_names=plant_names,
        place_names={c: region_name(c) or c for c in sorted(places)},
        peers=account_peers(store, credit_code=credit_code, year=year, profile_id=profile_id),
        trend=account_trend(store, credit_code=credit_code, profile_id=profile_id))
