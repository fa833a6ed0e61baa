"""What the demo shows besides the accounts: tenants and logins for the dashboard, consents, and sample
reports, labels, a portfolio report and the data requirement template, written by the same functions the
API and the CLI use."""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa

from dianta.accounts.computing import compute_certificate, interface_order, issue_certificate
from dianta.accounts.record import Account, ComputingCertificate
from dianta.ledger import schema
from dianta.ledger.store import Store
from dianta.reports.certificates import render_certificate
from dianta.reports.content import gather_account_report
from dianta.reports.labels import label_image
from dianta.reports.portfolio import bank_portfolio, portfolio_codes, render_portfolio
from dianta.reports.render import render_account_report
from dianta.reports.requirements import XLSX_NAME, requirements_xlsx
from dianta.security import consents, users
from dianta.security.audit import record
from dianta.security.principal import local_operator

#: the demo's banks (the loans of the sample province name them), regulator and the dashboard's logins
BANKS = {"BANK-QH-001": "青海示范银行", "BANK-QH-002": "高原商业银行", "BANK-QH-003": "西宁农商银行",
         "BANK-QH-004": "柴达木村镇银行"}
DEMO_BANK = "BANK-QH-001"
REGULATOR = ("PBOC-QH", "中国人民银行青海省分行")
#: the demo park whose management logs in (park id, organisation id, organisation name)
DEMO_PARK = ("QH-GEM-ZCP", "PARK-QH-GEM-ZCP", "格尔木零碳产业园管理委员会")


def set_up_tenants(store: Store, *, year: int, records: Sequence[Account]) -> dict[str, tuple[str, str]]:
    """Organisations, one user per role with a fresh random password, and consents: every enterprise with a
    loan from the demo bank grants it `full`, every fifth other enterprise `summary`. Returns
    ``{role: (username, password)}``; the enterprise user belongs to the best-rated enterprise. When the ledger
    defines the demo park, its management organisation and user ``park`` too (:func:`set_up_park`)."""
    logins = {role: (name, secrets.token_urlsafe(9)) for role, name in (
        ("operator", "operator"), ("bank", "bank"), ("enterprise", "enterprise"), ("regulator", "regulator"))}
    users.bootstrap_admin(store, username=logins["operator"][0], password=logins["operator"][1])
    for org_id, name in BANKS.items():
        users.create_organisation(store, org_id=org_id, kind="bank", name=name)
    users.create_organisation(store, org_id=REGULATOR[0], kind="regulator", name=REGULATOR[1])
    best = best_account(records)
    users.create_organisation(store, org_id="ENT-" + str(best["credit_code"]), kind="enterprise",
                              name=str(best["name"]), credit_code=str(best["credit_code"]))
    for role, org in (("bank", DEMO_BANK), ("regulator", REGULATOR[0]),
                      ("enterprise", "ENT-" + str(best["credit_code"]))):
        users.create_user(store, username=logins[role][0], password=logins[role][1], role=role, org_id=org)
    loans = schema.data_tables["loans"]
    with store.engine.connect() as con:
        borrowers = set(con.execute(sa.select(loans.c.credit_code).where(loans.c.bank_id == DEMO_BANK)).scalars())
    expires = (dt.date.today() + dt.timedelta(days=365)).isoformat()
    for i, r in enumerate(records):
        code = str(r["credit_code"])
        scope = "full" if code in borrowers else "summary" if i % 5 == 0 else None
        if scope:
            consents.grant_consent(store, credit_code=code, bank_org_id=DEMO_BANK, scope=scope, expires_on=expires,
                                   granted_by="demo")
    park_login = set_up_park(store, expires_on=expires)
    if park_login is not None:
        logins["park"] = park_login
    return logins


def set_up_park(store: Store, *, expires_on: str) -> tuple[str, str] | None:
    """The demo park's management: organisation :data:`DEMO_PARK` (kind park) and its user ``park``, and the
    members' consents to it: every member of the park in the ledger but the last (by credit code) grants it
    `summary`, so the park sees one member without figures. None (nothing made) when the ledger does not define
    the park. Returns the login (user name, fresh random password)."""
    park_id, org_id, name = DEMO_PARK
    parks, members = schema.data_tables["parks"], schema.data_tables["park_members"]
    with store.engine.connect() as con:
        if con.execute(sa.select(parks.c.park_id).where(parks.c.park_id == park_id)).first() is None:
            return None
        codes = sorted(set(con.execute(sa.select(members.c.credit_code).where(members.c.park_id == park_id))
                           .scalars()))
    users.create_organisation(store, org_id=org_id, kind="park", name=name, park_id=park_id)
    login = ("park", secrets.token_urlsafe(9))
    users.create_user(store, username=login[0], password=login[1], role="park", org_id=org_id)
    for code in codes[:-1]:
        consents.grant_consent(store, credit_code=code, bank_org_id=org_id, scope="summary", expires_on=expires_on,
                               granted_by="demo")
    return login


def price_loans(store: Store, *, programme_start: dt.date = dt.date(2023, 1, 1)) -> int:
    """Each demo bank adopts the example pricing policy (policy-example.toml, in effect from the programme's
    start) and prices its loans with the accounts from that day, or from draw-down if later. Returns the
    loans priced."""
    import tomllib

    from dianta.finance.loans import load_loans
    from dianta.finance.pricing import price_loan, save_policy

    with (Path(__file__).parent.parent / "finance" / "policy-example.toml").open("rb") as f:
        policy = {**tomllib.load(f), "effective_from": programme_start.isoformat()}
    for bank_id in BANKS:
        save_policy(store, bank_id=bank_id, body=policy, actor="demo")
    priced = 0
    for loan in load_loans(store):
        if loan.bank_id in BANKS and loan.maturity_on >= programme_start:
            price_loan(store, bank_id=loan.bank_id, loan_id=loan.loan_id, actor="demo",
                       on=max(loan.drawn_on, programme_start))
            priced += 1
    return priced


def best_account(records: Sequence[Account]) -> dict[str, object]:
    rated = [r for r in records if r["score"] is not None]
    return min(rated, key=lambda r: (-float(r["score"]), str(r["credit_code"])))  # type: ignore[arg-type]


def write_samples(store: Store, folder: Path, *, year: int, records: Sequence[Account]) -> list[Path]:
    """Reports of the best-rated enterprise and of one with 15-minute data (PDF in both languages, HTML),
    their labels, the demo bank's portfolio report and the data requirement template."""
    folder.mkdir(parents=True, exist_ok=True)
    best = best_account(records)
    interval = next((r for r in records if r.get("hourly_matching") and r["credit_code"] != best["credit_code"]),
                    None)
    written: list[Path] = []

    def write(name: str, data: bytes) -> None:
        path = folder / name
        path.write_bytes(data)
        written.append(path)

    for r in (best, interval):
        if r is None:
            continue
        code = str(r["credit_code"])
        report = gather_account_report(store, credit_code=code, year=year)
        for lang in ("zh", "en"):
            write(f"report-{code}-{year}-{lang}.pdf", render_account_report(report, fmt="pdf", lang=lang))
        write(f"report-{code}-{year}-zh.html", render_account_report(report, fmt="html", lang="zh"))
        if r.get("label"):
            for fmt in ("svg", "png"):
                write(f"label-{code}-{year}.{fmt}", label_image(r, name=str(r["name"]), fmt=fmt))  # type: ignore[arg-type]
    portfolio = bank_portfolio(store, year=year, codes=portfolio_codes(store, DEMO_BANK), bank_id=DEMO_BANK)
    for fmt in ("pdf", "xlsx"):
        write(f"portfolio-{DEMO_BANK}-{year}.{fmt}", render_portfolio(portfolio, fmt=fmt, lang="zh"))
    write(XLSX_NAME, requirements_xlsx())
    return written


#: the month of the last year a sub-metered data centre also gets a monthly certificate for
CERTIFICATE_MONTH = 7


def issue_certificates(store: Store, folder: Path, *, year: int) -> list[tuple[ComputingCertificate, list[Path]]]:
    """Green-computing certificates (GREEN-POWER.md §11) of every data centre for ``year``, and of those with an
    IT-load sub-meter also for July of it, issued and audited as ``dianta green-computing`` does, each written as
    JSON (INTERFACE.md's order) and Chinese HTML. Returns each certificate with its files."""
    folder.mkdir(parents=True, exist_ok=True)
    dc = schema.data_tables["data_centres"].c
    with store.engine.connect() as con:
        sites = con.execute(sa.select(dc.credit_code, dc.it_meter_id).order_by(dc.credit_code)).all()
    issued: list[tuple[ComputingCertificate, list[Path]]] = []
    for code, it_meter in sites:
        for month in (None, f"{year}-{CERTIFICATE_MONTH:02d}") if it_meter else (None,):
            cert = issue_certificate(store, compute_certificate(store, credit_code=code, year=year, month=month))
            record(store, principal=local_operator("demo"), action="certificate.issue",
                   resource=f"certificate:{code}:{cert['period']}",
                   detail={"format": "json+html", "level": cert["level"], "code": cert["verification_code"]})
            stem = folder / f"green-computing-{code}-{cert['period']}"
            paths = [stem.with_suffix(".json"), stem.with_suffix(".html")]
            paths[0].write_text(json.dumps(interface_order(cert), ensure_ascii=False, indent=2) + "\n",
                                encoding="utf-8")
            paths[1].write_bytes(render_certificate(cert, fmt="html", lang="zh"))
            issued.append((cert, paths))
    return issued
