"""Each bank's pricing policy (versioned), quotes, and loans priced with the account (METHODOLOGY.md §8).

A policy (JSON, or TOML for the CLI)::

    name = "绿色信贷定价 2024"
    effective_from = "2024-01-01"
    cap_bp = 165
    [grade_discount_bp]            # grade → discount [bp]; a grade not listed gets none
    1 = 60
    2 = 40
    3 = 20
    [score_link]                   # optional: bp_per_point for each score point above base_score
    base_score = 70
    bp_per_point = 1
    [eligibility]
    no_discount_with_alerts = ["stoppage", "sustained_decline"]   # §6 alert codes in the account's year
    require_current_account = true  # an account of the pricing year or the year before

Versions are immutable: saving a policy makes the bank's next version. A quote uses the newest version in
effect on the pricing day and the enterprise's newest published account of that year or earlier, and says
why: each part of the discount, the cap, or the rule that withheld it.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import sqlalchemy as sa

from dianta.calc import electricity, pricing
from dianta.clock import now_iso, today_cst
from dianta.errors import Conflict, NotFound, UsageError
from dianta.glossary import ALERTS, FLAGS, qualifying_flags
from dianta.ledger import schema
from dianta.ledger.store import Store

KNOWN_KEYS = {"name", "effective_from", "cap_bp", "grade_discount_bp", "score_link", "eligibility"}
MAX_CAP_BP = 1000.0  # 10 percentage points: anything above is a typing error, not a policy


@dataclass(frozen=True, slots=True)
class Policy:
    bank_id: str
    version: int
    name: str
    effective_from: dt.date
    cap_bp: float
    grade_discount_bp: dict[int, float]
    score_base: float | None = None
    bp_per_point: float = 0.0
    no_discount_with_alerts: tuple[str, ...] = ()
    require_current_account: bool = True

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "effective_from": self.effective_from.isoformat(),
                               "cap_bp": self.cap_bp,
                               "grade_discount_bp": {str(g): bp for g, bp in sorted(self.grade_discount_bp.items())},
                               "eligibility": {"no_discount_with_alerts": list(self.no_discount_with_alerts),
                                               "require_current_account": self.require_current_account}}
        if self.score_base is not None:
            out["score_link"] = {"base_score": self.score_base, "bp_per_point": self.bp_per_point}
        return out


def _number(value: object, what: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value) or not low <= value <= high:
        raise UsageError.of("policy_number", what=what, low=low, high=high, value=value)
    return float(value)


def parse_policy(body: dict[str, Any], *, bank_id: str, version: int = 0) -> Policy:
    """Check a policy body (see the module) and make it a :class:`Policy`; every problem names the field."""
    if not isinstance(body, dict):
        raise UsageError.of("policy_object")
    unknown = set(body) - KNOWN_KEYS
    if unknown:
        raise UsageError.of("policy_unknown_fields", unknown=", ".join(sorted(unknown)),
                            allowed=", ".join(sorted(KNOWN_KEYS)))
    name = body.get("name")
    if not isinstance(name, str) or not 1 <= len(name.strip()) <= 100:
        raise UsageError.of("policy_name")
    try:
        effective = dt.date.fromisoformat(str(body.get("effective_from")))
    except ValueError:
        raise UsageError.of("policy_date", value=body.get("effective_from")) from None
    cap = _number(body.get("cap_bp"), "cap_bp", 0, MAX_CAP_BP)
    grades = body.get("grade_discount_bp")
    if not isinstance(grades, dict) or not grades:
        raise UsageError.of("policy_grades")
    by_grade: dict[int, float] = {}
    for g, bp in grades.items():
        if str(g) not in {"1", "2", "3", "4", "5"}:
            raise UsageError.of("policy_grade", grade=g)
        by_grade[int(g)] = _number(bp, f"grade_discount_bp.{g}", 0, MAX_CAP_BP)
    link = body.get("score_link") or {}
    if not isinstance(link, dict) or set(link) - {"base_score", "bp_per_point"}:
        raise UsageError.of("policy_score_link")
    base = _number(link["base_score"], "score_link.base_score", 0, 100) if link else None
    per_point = _number(link.get("bp_per_point", 0), "score_link.bp_per_point", 0, 100) if link else 0.0
    rules = body.get("eligibility") or {}
    if not isinstance(rules, dict) or set(rules) - {"no_discount_with_alerts", "require_current_account"}:
        raise UsageError.of("policy_eligibility")
    alerts = rules.get("no_discount_with_alerts", [])
    if not isinstance(alerts, list) or not set(alerts) <= set(electricity.ALERT_CODES):
        raise UsageError.of("policy_alerts", codes=", ".join(electricity.ALERT_CODES))
    current = rules.get("require_current_account", True)
    if not isinstance(current, bool):
        raise UsageError.of("policy_current")
    return Policy(bank_id=bank_id, version=version, name=name.strip(), effective_from=effective, cap_bp=cap,
                  grade_discount_bp=by_grade, score_base=base, bp_per_point=per_point,
                  no_discount_with_alerts=tuple(alerts), require_current_account=current)


def save_policy(store: Store, *, bank_id: str, body: dict[str, Any], actor: str) -> Policy:
    """Store ``body`` as the bank's next policy version (the bank must be a bank organisation)."""
    checked = parse_policy(body, bank_id=bank_id)
    pp, org = schema.pricing_policies, schema.organisations
    with store.engine.begin() as con:
        kind = con.execute(sa.select(org.c.kind).where(org.c.org_id == bank_id)).scalar()
        if kind != "bank":
            raise NotFound.of("no_bank", bank_id=bank_id)
        version = (con.execute(sa.select(sa.func.max(pp.c.version)).where(pp.c.bank_id == bank_id)).scalar() or 0) + 1
        try:
            con.execute(pp.insert().values(bank_id=bank_id, version=version, name=checked.name,
                                           effective_from=checked.effective_from.isoformat(),
                                           body_json=json.dumps(checked.body(), ensure_ascii=False),
                                           created_at=now_iso(), created_by=actor))
        except sa.exc.IntegrityError:
            raise Conflict.of("policy_same_moment") from None
    return parse_policy(checked.body(), bank_id=bank_id, version=version)


def list_policies(store: Store, *, bank_id: str) -> list[Policy]:
    pp = schema.pricing_policies
    with store.engine.connect() as con:
        rows = con.execute(sa.select(pp.c.version, pp.c.body_json).where(pp.c.bank_id == bank_id)
                           .order_by(pp.c.version)).all()
    return [parse_policy(json.loads(body), bank_id=bank_id, version=v) for v, body in rows]


def policy_in_effect(store: Store, *, bank_id: str, on: dt.date, version: int | None = None) -> Policy:
    """The given version, else the newest version in effect on ``on``."""
    policies = list_policies(store, bank_id=bank_id)
    if version is not None:
        found = [p for p in policies if p.version == version]
        if not found:
            raise NotFound.of("no_policy_version", bank_id=bank_id, version=version)
        return found[0]
    live = [p for p in policies if p.effective_from <= on]
    if not live:
        raise NotFound.of("no_policy", bank_id=bank_id, on=on)
    return max(live, key=lambda p: (p.effective_from, p.version))


#: Why a quote gives the discount it does (§8), each reason a sentence in English and Chinese: the one place they
#: are written. Fields in both; ``{x_en}``/``{x_zh}`` are given per language (lists of names).
REASONS: dict[str, tuple[str, str]] = {
    "policy": ("policy {bank} v{version} '{name}' (in effect from {since})",
               "{bank}定价政策第{version}版“{name}”（自{since}起生效）"),
    "no_account": ("no published account of {credit_code} up to {year}: no discount",
                   "{credit_code}截至{year}年没有已发布的电碳账户：不予优惠"),
    "not_current": ("the newest account is of {year}, older than {oldest}: the policy requires a current account, "
                    "no discount", "最新账户为{year}年，早于{oldest}年：政策要求有当期账户，不予优惠"),
    "not_rated": ("the account of {year} is not rated: no discount", "{year}年账户未评级：不予优惠"),
    "alerts": ("alerts {alerts_en} in the account of {year}: the policy gives no discount",
               "{year}年账户有预警{alerts_zh}：按政策不予优惠"),
    "grade": ("grade {grade} (account {year}{qualified_en}) → {bp} bp",
              "评级{grade}级（{year}年账户{qualified_zh}）→ 优惠{bp}基点"),
    "score": ("score {score} vs base {base} × {per_point} bp a point → {bp} bp",
              "得分{score}，高于基准分{base}的部分每分{per_point}基点 → 优惠{bp}基点"),
    "cap": ("capped at {cap} bp", "以政策上限{cap}基点为限"),
    "rate": ("{base} % − {discount} bp = {final} %", "{base}% − {discount}基点 = {final}%"),
    "no_policy": ("your bank has no pricing policy in effect on {day}: save one to see the discount",
                  "本行在{day}没有生效的定价政策：请先保存定价政策，再查看利率优惠"),
}


def reason(code: str, en: Mapping[str, object] | None = None, zh: Mapping[str, object] | None = None,
           **fields: object) -> dict[str, str]:
    """Reason ``code`` of :data:`REASONS` as ``{code, message_en, message_zh}``: ``fields`` fill both sentences,
    ``en``/``zh`` the fields written per language."""
    text_en, text_zh = REASONS[code]
    return {"code": code, "message_en": text_en.format(**fields, **{f"{k}_en": v for k, v in (en or {}).items()}),
            "message_zh": text_zh.format(**fields, **{f"{k}_zh": v for k, v in (zh or {}).items()})}


@dataclass(slots=True)
class Quote:
    credit_code: str
    bank_id: str
    policy_version: int
    on: str
    base_rate_pct: float
    account_year: int | None
    grade: int | None
    score: float | None
    grade_bp: float
    score_bp: float
    discount_bp: float
    final_rate_pct: float
    eligible: bool
    reasons: list[str] = field(default_factory=list)  # the English sentences of ``explained``
    flags: list[str] = field(default_factory=list)  # the account's flags that qualify its grade (§7b)
    explained: list[dict[str, str]] = field(default_factory=list)  # each reason: code, message_en, message_zh

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def current_account(store: Store, *, credit_code: str, on: dt.date, profile_id: str = "default"
                    ) -> dict[str, Any] | None:
    """The enterprise's newest published account of the year of ``on`` or earlier."""
    acc = schema.accounts
    with store.engine.connect() as con:
        row = con.execute(sa.select(acc.c.record_json).where(
            acc.c.credit_code == credit_code, acc.c.profile_id == profile_id, acc.c.year <= on.year)
            .order_by(acc.c.year.desc()).limit(1)).scalar()
    return None if row is None else json.loads(row)


def _eligibility(policy: Policy, account: Mapping[str, Any] | None, *, credit_code: str, on: dt.date
                 ) -> list[dict[str, str]]:
    """The reasons the policy withholds any discount (none: eligible)."""
    if account is None:
        return [reason("no_account", credit_code=credit_code, year=on.year)]
    year = account.get("year")
    out = []
    if policy.require_current_account and int(year) < on.year - 1:  # type: ignore[arg-type]
        out.append(reason("not_current", year=year, oldest=on.year - 1))
    if account.get("grade") is None:
        out.append(reason("not_rated", year=year))
    blocking = sorted({(a["code"], a["month"]) for a in account.get("alerts", [])
                       if a["code"] in policy.no_discount_with_alerts})
    if blocking:
        out.append(reason("alerts", year=year,
                          en={"alerts": ", ".join(f"{ALERTS[c].en} ({m})" for c, m in blocking)},
                          zh={"alerts": "、".join(f"{ALERTS[c].zh}（{m}）" for c, m in blocking)}))
    return out


def quote(policy: Policy, account: Mapping[str, Any] | None, *, credit_code: str, base_rate_pct: float,
          on: dt.date) -> Quote:
    """The rate a loan gets under ``policy`` with ``account`` (§8), and why (:data:`REASONS`)."""
    base = _number(base_rate_pct, "base_rate_pct", 0, 100)
    explained = [reason("policy", bank=policy.bank_id, version=policy.version, name=policy.name,
                        since=policy.effective_from)]
    grade = account.get("grade") if account else None
    flags = qualifying_flags(account.get("flags")) if account else []
    score = account.get("score") if account else None
    year = account.get("year") if account else None
    withheld = _eligibility(policy, account, credit_code=credit_code, on=on)
    explained += withheld
    eligible = not withheld
    grade_bp = policy.grade_discount_bp.get(int(grade), 0.0) if eligible and grade else 0.0
    score_bp = 0.0
    if eligible:
        explained.append(reason("grade", grade=grade, year=year, bp=f"{grade_bp:g}",
                                en={"qualified": f"; qualified by: {'; '.join(FLAGS[f].en for f in flags)}"
                                    if flags else ""},
                                zh={"qualified": f"；等级附注：{'；'.join(FLAGS[f].zh for f in flags)}"
                                    if flags else ""}))
        if policy.score_base is not None and score is not None:
            score_bp = max(float(score) - policy.score_base, 0.0) * policy.bp_per_point
            explained.append(reason("score", score=f"{float(score):.1f}", base=f"{policy.score_base:g}",
                                    per_point=f"{policy.bp_per_point:g}", bp=f"{score_bp:g}"))
    discount = float(pricing.rate_discount_bp(grade_bp, score if score is not None else math.nan,
                                              score_base=policy.score_base if eligible else None,
                                              bp_per_point=policy.bp_per_point, cap_bp=policy.cap_bp))
    if eligible and grade_bp + score_bp > policy.cap_bp:
        explained.append(reason("cap", cap=f"{policy.cap_bp:g}"))
    final = float(pricing.final_rate_pct(base, discount))
    explained.append(reason("rate", base=f"{base:g}", discount=f"{discount:g}", final=f"{final:g}"))
    return Quote(credit_code=credit_code, bank_id=policy.bank_id, policy_version=policy.version, on=on.isoformat(),
                 base_rate_pct=base, account_year=year, grade=grade, score=score, grade_bp=grade_bp,
                 score_bp=score_bp, discount_bp=discount, final_rate_pct=final, eligible=eligible,
                 reasons=[r["message_en"] for r in explained], flags=flags, explained=explained)


def make_quote(store: Store, *, bank_id: str, credit_code: str, base_rate_pct: float, on: dt.date | None = None,
               version: int | None = None, profile_id: str = "default") -> Quote:
    day = on or today_cst()
    policy = policy_in_effect(store, bank_id=bank_id, on=day, version=version)
    account = current_account(store, credit_code=credit_code, on=day, profile_id=profile_id)
    return quote(policy, account, credit_code=credit_code, base_rate_pct=base_rate_pct, on=day)


def price_loan(store: Store, *, bank_id: str, loan_id: str, actor: str, on: dt.date | None = None,
               version: int | None = None, profile_id: str = "default") -> dict[str, Any]:
    """Price the bank's loan ``loan_id`` (its base rate as recorded) and record it: the discount holds from
    ``on`` (default today, CST; not before the draw-down) until the loan is priced again."""
    loans = schema.data_tables["loans"]
    with store.engine.connect() as con:
        loan = con.execute(sa.select(loans).where(loans.c.loan_id == loan_id)).mappings().first()
    if loan is None or loan["bank_id"] != bank_id:
        raise NotFound.of("bank_has_no_loan", bank_id=bank_id, loan_id=loan_id)
    day = max(on or today_cst(), dt.date.fromisoformat(str(loan["drawn_on"])))
    matured = dt.date.fromisoformat(str(loan["maturity_on"]))
    if day > matured:
        raise UsageError(f"loan {loan_id} matured on {matured}: a matured loan is not priced (pricing day {day}); "
                         "price a loan on a day up to its maturity",
                         zh=f"贷款{loan_id}已于{matured}到期：到期贷款不再定价（定价日{day}）；请选择到期日及之前的定价日")
    q = make_quote(store, bank_id=bank_id, credit_code=loan["credit_code"], base_rate_pct=float(loan["base_rate_pct"]),
                   on=day, version=version, profile_id=profile_id)
    values = {"loan_id": loan_id, "bank_id": bank_id, "credit_code": loan["credit_code"],
              "policy_version": q.policy_version, "account_year": q.account_year, "profile_id": profile_id,
              "grade": q.grade, "score": q.score, "base_rate_pct": q.base_rate_pct, "discount_bp": q.discount_bp,
              "final_rate_pct": q.final_rate_pct, "reasons_json": json.dumps(q.explained, ensure_ascii=False),
              "effective_on": day.isoformat(), "priced_at": now_iso(), "priced_by": actor}
    with store.engine.begin() as con:
        inserted = con.execute(schema.loan_pricings.insert().values(**values)).inserted_primary_key
    assert inserted is not None  # a one-row insert always has its key
    pricing_id = inserted[0]
    return {"pricing_id": pricing_id, **{k: v for k, v in values.items() if k != "reasons_json"},
            "reasons": q.reasons, "explained": q.explained}


def list_pricings(store: Store, *, bank_id: str | None = None, loan_id: str | None = None) -> list[dict[str, Any]]:
    lp = schema.loan_pricings
    query = sa.select(lp).order_by(lp.c.loan_id, lp.c.effective_on, lp.c.pricing_id)
    if bank_id is not None:
        query = query.where(lp.c.bank_id == bank_id)
    if loan_id is not None:
        query = query.where(lp.c.loan_id == loan_id)
    with store.engine.connect() as con:
        rows = [dict(r) for r in con.execute(query).mappings()]
    for r in rows:
        r["explained"] = [_stored_reason(x) for x in json.loads(r.pop("reasons_json"))]
        r["reasons"] = [x["message_en"] for x in r["explained"]]
    return rows


def _stored_reason(item: object) -> dict[str, str]:
    """A stored reason: ``{code, message_en, message_zh}``; a pricing recorded before the reasons had their Chinese
    (issue 17) kept its English sentence only, which stands for both."""
    if isinstance(item, dict):
        return {k: str(item[k]) for k in ("code", "message_en", "message_zh")}
    return {"code": "", "message_en": str(item), "message_zh": str(item)}
