"""Request and response models of the API, named by one rule (the FastAPI template's schema families):

- ``XCreate``: a request body that creates something (a record, a version, a run, a quote);
- ``XUpdate``: a request body that changes an existing record;
- ``XPublic``: a response body (``XSecretPublic`` where a created secret is shown once);
- ``XList``: a response that wraps a page of ``XPublic`` items with its paging;
- a model nested inside one of those is named for what it is (``Benchmark``, ``TableCounts``, ``ScoreLink``).

Responses that are plain JSON arrays stay arrays (``list[XPublic]``).
"""

from __future__ import annotations

import datetime as dt
import functools
import operator
import types
from typing import TYPE_CHECKING, Annotated, Any, Literal, get_type_hints

from pydantic import BaseModel, ConfigDict, Field, RootModel, create_model, field_validator

from dianta.accounts import record
from dianta.accounts.record import Account, ComputingCertificate, ParkAccount, nested_records
from dianta.api.redact import redact_paths
from dianta.glossary import CERTIFICATE_FIELDS, FACTOR_COLUMNS, OUTPUTS, Quantity

Role = Literal["operator", "bank", "enterprise", "regulator", "park"]
Scope = Literal["summary", "full", "reports"]
CreditCode = str
ORG_ID = r"^[A-Za-z0-9_.\-]{1,64}$"
CREDIT_CODE = r"^[0-9A-Z]{18}$"
#: a park id (the parks table's key as the API takes it)
PARK_ID = r"^[A-Za-z0-9_.\-]{1,64}$"


class ErrorPublic(BaseModel):
    """An error answer: the English message, and the Chinese one where the error has it."""

    detail: str
    detail_zh: str | None = None


class FindingPublic(BaseModel):
    code: str
    severity: Literal["error", "warning"]
    table: str
    row: int | None
    column: str | None
    value: str | None
    message_en: str
    message_zh: str
    file: str | None = None
    #: the header cell as the file wrote it, where it differs from ``column`` (e.g. 月用电量 for kwh)
    header: str | None = None

    @field_validator("message_en", "message_zh", "file")
    @classmethod
    def _no_server_path(cls, text: str | None) -> str | None:
        """A reader's message (e.g. pyarrow's) may name the server's file: only its name is sent."""
        return None if text is None else redact_paths(text)


class EnterpriseFindingPublic(FindingPublic):
    batch_id: int
    received_at: str


class ValidationIssue(BaseModel):
    """One parameter or body field that failed validation (FastAPI's own answer)."""

    loc: list[str | int]
    msg: str
    type: str


class RefusalPublic(BaseModel):
    """A refused request (422): Dianta's refusal names every problem (``detail`` text, ``detail_zh``, the
    ``findings`` of a batch that was not applied); a parameter or body that failed validation is answered with
    ``detail`` listing what failed."""

    detail: str | list[ValidationIssue]
    detail_zh: str | None = None
    findings: list[FindingPublic] = []


class TokenPublic(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_at: int = Field(description="unix time")


class PrincipalPublic(BaseModel):
    actor: str
    role: Role
    org_id: str | None
    credit_code: str | None
    park_id: str | None = Field(default=None, description="the park a park organisation's user manages")


class OrganisationCreate(BaseModel):
    org_id: str = Field(pattern=ORG_ID)
    kind: Role
    name: str = Field(min_length=1, max_length=200)
    credit_code: str | None = Field(default=None, pattern=CREDIT_CODE)
    park_id: str | None = Field(default=None, pattern=PARK_ID,
                                description="a park organisation: the park it manages (defined in the ledger)")


class OrganisationPublic(BaseModel):
    org_id: str
    kind: Role
    name: str
    credit_code: str | None
    park_id: str | None = None
    created_at: str


class UserCreate(BaseModel):
    username: str = Field(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9_.@\-]+$")
    password: str | None = Field(default=None, min_length=10, max_length=200,
                                 description="null for a machine user that only uses API keys")
    role: Role
    org_id: str = Field(pattern=ORG_ID)


class UserPublic(BaseModel):
    user_id: int
    username: str
    role: Role
    org_id: str
    active: bool
    created_at: str


class UserUpdate(BaseModel):
    active: bool


class ApiKeyCreate(BaseModel):
    label: str = Field(min_length=1, max_length=100)
    user_id: int | None = Field(default=None, ge=1, le=2**31 - 1,
                                description="the operator may create a key for another user")


class ApiKeySecretPublic(BaseModel):
    key: str = Field(description="shown once; send it as the X-API-Key header")
    key_id: str
    label: str


class ApiKeyPublic(BaseModel):
    key_id: str
    label: str
    created_at: str
    revoked_at: str | None


class TableCounts(BaseModel):
    new: int
    unchanged: int
    corrected: int
    quarantined: int


class BatchUploadPublic(BaseModel):
    status: Literal["applied", "partial", "unchanged"]
    batch_id: int | None
    counts: dict[str, TableCounts]
    marked_accounts: int
    findings: list[FindingPublic]


class BatchPublic(BaseModel):
    batch_id: int
    received_at: str
    received_by: str
    reason: str | None
    status: str
    counts: dict[str, TableCounts]
    warnings: int


class BatchList(BaseModel):
    items: list[BatchPublic]


class QuarantinePublic(BaseModel):
    quarantine_id: int
    batch_id: int
    table: str
    row: int | None
    file: str | None
    n_rows: int
    reasons: list[object]
    state: str


class CorrectionPublic(BaseModel):
    batch_id: int
    received_at: str
    received_by: str
    reason: str | None
    table: str
    row_key: str
    old: dict[str, object]
    new: dict[str, object]
    note: str


class ComputeRunCreate(BaseModel):
    year: int = Field(ge=1901, le=2199)
    profile: str = Field(default="default", pattern=r"^[A-Za-z0-9_\-]{1,64}$",
                         description="a shipped methodology profile id")
    incremental: bool = Field(default=False, description="recompute only the accounts marked by corrections "
                              "since the last run (the result equals a full run)")


class ComputeRunPublic(BaseModel):
    run_id: int
    year: int
    profile_id: str
    accounts: int
    by_grade: dict[str, int]
    mode: str = "full"
    recomputed: int = 0


def _describe(q: Quantity) -> str:
    unit = f" [{q.unit}]" if q.unit else ""
    return f"{q.zh} · {q.en}{unit}: {q.description}"


def _record_models(root: type, name: str, names: dict[type, str],
                   glossary: dict[str, Quantity] = OUTPUTS) -> type[BaseModel]:
    """The pydantic model of the record TypedDict ``root`` (accounts/record.py): every field declared, each
    described from the glossary (zh · en [unit]: meaning; ``glossary``: the output quantities, or the certificate's
    fields) so the OpenAPI document shows it; nested TypedDicts become the models ``names`` gives (a TypedDict used
    at several places describes every place)."""
    paths: dict[type, list[str]] = {root: [""]}

    def walk(td: type, prefix: str) -> None:
        for key, tp in get_type_hints(td).items():
            for nested in nested_records(tp):
                paths.setdefault(nested, []).append(f"{prefix}{key}.")
                walk(nested, f"{prefix}{key}.")

    walk(root, "")
    models: dict[type, type[BaseModel]] = {}

    def model(td: type) -> type[BaseModel]:
        if td not in models:
            fields: dict[str, Any] = {}
            for key, tp in get_type_hints(td).items():
                text = " / ".join(dict.fromkeys(_describe(glossary[p + key]) for p in paths[td]))
                required = key in td.__required_keys__  # type: ignore[attr-defined]  # td is a TypedDict class
                fields[key] = (swap(tp), Field(... if required else None, description=text))
            models[td] = create_model(names.get(td, name), __doc__=td.__doc__, **fields)
        return models[td]

    def swap(tp: Any) -> Any:
        if nested_records(tp) == [tp]:
            return model(tp)
        args = getattr(tp, "__args__", ())
        if not any(nested_records(a) for a in args):
            return tp
        if isinstance(tp, types.UnionType):
            return functools.reduce(operator.or_, [swap(a) for a in args])
        return tp.__origin__[tuple(swap(a) for a in args)]

    return model(root)


if TYPE_CHECKING:  # the model is built at import from the record; type checkers see what it accepts
    class AccountPublic(BaseModel):
        """An electricity-carbon account: the fields of :class:`dianta.accounts.record.Account`."""

        def __init__(self, **data: Any) -> None: ...
else:
    AccountPublic = _record_models(Account, "AccountPublic", {
        record.Benchmark: "Benchmark", record.AspectScores: "AspectScores", record.Label: "Label",
        record.Alert: "Alert", record.FactorUsed: "FactorUsed", record.Factors: "Factors",
        record.TimeOfUse: "TimeOfUse", record.Electricity: "Electricity", record.GreenInstrument: "GreenInstrument",
        record.UnbackedTrade: "UnbackedTrade"})


if TYPE_CHECKING:
    class ParkAccountPublic(BaseModel):
        """A park's account: the fields of :class:`dianta.accounts.record.ParkAccount`."""

        def __init__(self, **data: Any) -> None: ...

    class ComputingCertificatePublic(BaseModel):
        """A green-computing certificate: the fields of :class:`dianta.accounts.record.ComputingCertificate`."""

        def __init__(self, **data: Any) -> None: ...
else:
    ParkAccountPublic = _record_models(ParkAccount, "ParkAccountPublic", {})
    ComputingCertificatePublic = _record_models(ComputingCertificate, "ComputingCertificatePublic",
                                                {record.TraceEntry: "TraceEntry"}, CERTIFICATE_FIELDS)


class AccountList(BaseModel):
    items: list[AccountPublic]
    total: int
    page: int
    size: int


class MeterPublic(BaseModel):
    meter_id: str
    valid_from: str | None
    valid_to: str | None


class EnterprisePublic(BaseModel):
    credit_code: str
    name: str
    industry_code: str
    region_code: str
    opened_on: str | None
    closed_on: str | None
    meters: list[MeterPublic]


class MonthlyPublic(BaseModel):
    meter_id: str
    month: str
    kwh: float
    kwh_peak: float | None
    kwh_flat: float | None
    kwh_valley: float | None


class ConsentCreate(BaseModel):
    credit_code: str | None = Field(default=None, pattern=CREDIT_CODE,
                                    description="an enterprise user grants for itself; the operator names one")
    bank_org_id: str = Field(pattern=ORG_ID)
    scope: Scope
    expires_on: dt.date


class ConsentPublic(BaseModel):
    consent_id: int
    credit_code: str
    bank_org_id: str
    scope: Scope
    granted_at: str
    granted_by: str
    expires_on: str
    revoked_at: str | None
    revoked_by: str | None
    live: bool


class LoanCreate(BaseModel):
    loan_id: str = Field(pattern=r"^[A-Za-z0-9_.\-]{1,64}$")
    credit_code: str = Field(pattern=CREDIT_CODE)
    principal_cny: float = Field(ge=0, le=1e15)
    outstanding_cny: float = Field(ge=0, le=1e15)
    as_of: dt.date
    drawn_on: dt.date
    maturity_on: dt.date
    base_rate_pct: float = Field(ge=0, le=100)
    product: str | None = Field(default=None, max_length=100)


class LoanPublic(LoanCreate):
    bank_id: str


class GroupStatistics(BaseModel):
    group: str
    name: str | None = None
    accounts: int
    kwh_total: float
    kwh_green: float
    green_share: float
    emissions_t: float


class BankLoans(BaseModel):
    bank_id: str
    loans: int
    principal_cny: float
    outstanding_cny: float


class StatisticsPublic(BaseModel):
    year: int
    profile_id: str
    accounts: int
    by_grade: list[GroupStatistics]
    by_industry: list[GroupStatistics]
    by_region: list[GroupStatistics]
    loans_by_bank: list[BankLoans]


class AuditEntryPublic(BaseModel):
    entry_id: int
    at: str
    actor: str
    role: str
    org_id: str | None
    action: str
    resource: str
    outcome: str
    why: str | None
    detail: dict[str, object] = Field(default_factory=dict, description="what the entry records besides: for a "
                                      "read, which enterprises' figures it returned (credit_codes)")


class AuditVerificationPublic(BaseModel):
    ok: bool
    entries: int
    first_bad_entry: int | None
    problem: str | None
    head_entry: int = Field(description="the newest entry read in order (0: the log is empty)")
    head_hash: str | None = Field(description="its hash; keep `head_entry:head_hash` outside the ledger and "
                                  "pass it as expect_head later")


class CertificateVerificationPublic(BaseModel):
    """What a green-computing certificate (绿电绿算溯源证书, GREEN-POWER.md §11) states — period, level, CFE,
    green share — and whether it is still valid; nothing more."""

    code: str
    status: Literal["valid", "superseded"]
    period: str = Field(description="the year (YYYY) or month (YYYY-MM) the certificate covers")
    level: Literal["A", "B", "C", "annual"]
    cfe_score: float | None = Field(description="hourly carbon-free score of the period (fraction 0–1)")
    green_share: float = Field(description="annually matched green share of the period (fraction 0–1)")


class LabelVerificationPublic(BaseModel):
    """What a carbon evaluation label states and whether the published account still states it."""

    kind: Literal["enterprise"] = Field(default="enterprise", description="an enterprise's carbon evaluation label")
    code: str
    status: Literal["valid", "superseded"]
    credit_code: str
    name: str | None
    year: int
    profile_id: str
    grade: int
    colour: str
    score: float
    issued_at: str
    flags: list[str] | None = Field(default=None, description="the flags that qualify the grade, as the valid "
                                    "label states them (METHODOLOGY.md §7b); null for a superseded label")


class ParkLabelVerificationPublic(BaseModel):
    """What a park label (园区绿电标识, GREEN-POWER.md §10) states — the park, year, green share against its target,
    hourly CFE — and whether the published park account still states it; nothing more (no member's figures)."""

    kind: Literal["park"] = Field(description="a park's label")
    code: str
    status: Literal["valid", "superseded"]
    park_id: str
    park_name: str
    year: int
    profile_id: str
    green_share: float = Field(description="the park's green share the label states (fraction 0–1)")
    target_green_share: float = Field(description="the park's target green share (fraction 0–1)")
    target_year: int | None
    cfe_score: float | None = Field(description="the park's pooled hourly carbon-free score (fraction 0–1); null "
                                    "without hourly figures")
    issued_at: str
    superseded_at: str | None = None


class LabelCheckPublic(RootModel[Annotated[LabelVerificationPublic | ParkLabelVerificationPublic,
                                           Field(discriminator="kind")]]):
    """The public label check's answer: an enterprise's carbon evaluation label (``kind`` enterprise) or a park label
    (``kind`` park, GREEN-POWER.md §10)."""


class AdvicePublic(BaseModel):
    credit_code: str
    year: int
    lang: Literal["zh", "en"]
    advice: list[str]


class PortfolioGroup(BaseModel):
    group: str
    name: str
    enterprises: int
    emissions_t: float
    kwh_total: float
    kwh_green: float
    outstanding_cny: float
    intensity: float | None
    green_share: float | None


class PortfolioEnterprise(BaseModel):
    model_config = ConfigDict(extra="allow")  # `transition_risk`: carbon cost by scenario, flagged scenarios
    credit_code: str
    name: str
    industry_code: str
    region_code: str
    grade: int | None
    flags: list[str] = Field(default_factory=list, description="the account's flags that qualify its grade "
                             "(METHODOLOGY.md §7b), shown with it")
    score: float | None
    emissions_t: float | None
    intensity: float | None
    green_share: float | None
    kwh_total: float | None
    kwh_green: float | None
    value_10k_cny: float | None
    alerts: int
    outstanding_cny: float


class PortfolioPublic(BaseModel):
    """A bank's consented enterprises by grade, industry section and prefecture (sums; intensity Σ C / Σ V)."""

    year: int
    bank_id: str | None
    profile_id: str
    totals: PortfolioGroup
    by_grade: list[PortfolioGroup]
    by_industry: list[PortfolioGroup]
    by_region: list[PortfolioGroup]
    enterprises: list[PortfolioEnterprise]
    transition_risk: dict[str, object] | None = Field(default=None, description="carbon-price scenarios, threshold "
                                                      "and the borrowers flagged under each")


class StaleAccountPublic(BaseModel):
    """An account marked for recalculation (year 0: every published year of the enterprise)."""

    credit_code: str
    year: int


class ScoreLink(BaseModel):
    base_score: float = Field(ge=0, le=100)
    bp_per_point: float = Field(ge=0, le=100)


class Eligibility(BaseModel):
    no_discount_with_alerts: list[Literal["sharp_drop", "sustained_decline", "stoppage"]] = []
    require_current_account: bool = True


class PolicyCreate(BaseModel):
    """A bank's loan pricing policy (METHODOLOGY.md §8): grade → discount [bp], optional score link, cap."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=100)
    effective_from: dt.date
    cap_bp: float = Field(ge=0, le=1000)
    grade_discount_bp: dict[Literal["1", "2", "3", "4", "5"], float]
    score_link: ScoreLink | None = None
    eligibility: Eligibility = Eligibility()


class PolicyPublic(PolicyCreate):
    bank_id: str
    version: int


class QuoteCreate(BaseModel):
    credit_code: str = Field(pattern=r"^[0-9A-Z]{18}$")
    base_rate_pct: float = Field(ge=0, le=100)
    on: dt.date | None = Field(default=None, description="pricing day (default today, China Standard Time)")
    policy_version: int | None = Field(default=None, ge=1, le=2**31 - 1)


class ReasonPublic(BaseModel):
    """One reason of a quote or pricing as a sentence in English and Chinese (finance/pricing.py REASONS)."""

    code: str = Field(description="the reason's code in the catalogue (empty for a pricing recorded before it)")
    message_en: str
    message_zh: str


class QuotePublic(BaseModel):
    """A rate quote and why: each part of the discount, the cap, or the rule that withheld it."""

    credit_code: str
    bank_id: str
    policy_version: int
    on: str
    base_rate_pct: float | None = Field(description="null only in a credit view without a base rate")
    account_year: int | None
    grade: int | None
    score: float | None
    grade_bp: float
    score_bp: float
    discount_bp: float
    final_rate_pct: float | None = Field(description="null only in a credit view without a base rate")
    eligible: bool
    reasons: list[str]
    flags: list[str] = Field(default_factory=list, description="the account's flags that qualify its grade "
                             "(METHODOLOGY.md §7b), shown with it")
    explained: list[ReasonPublic] = Field(default_factory=list, description="the reasons in English and Chinese "
                                          "(``reasons`` holds their English sentences)")


class PricingCreate(BaseModel):
    on: dt.date | None = Field(default=None, description="the day the discount starts (default today, CST)")
    policy_version: int | None = Field(default=None, ge=1, le=2**31 - 1)


class PricingPublic(BaseModel):
    pricing_id: int
    loan_id: str
    bank_id: str
    credit_code: str
    policy_version: int
    account_year: int | None
    profile_id: str
    grade: int | None
    score: float | None
    base_rate_pct: float
    discount_bp: float
    final_rate_pct: float
    effective_on: str
    priced_at: str
    priced_by: str
    reasons: list[str]
    explained: list[ReasonPublic] = Field(default_factory=list)


class InterestRecordPublic(BaseModel):
    loan_id: str
    bank_id: str
    credit_code: str
    month: str
    days: int
    outstanding_cny_days: float
    interest_saved_cny: float


class ProgrammeGroup(BaseModel):
    model_config = ConfigDict(extra="allow")
    group: str
    loans: int
    principal_cny: float
    outstanding_cny: float
    interest_saved_cny: float
    borrowers: int
    borrowers_with_accounts: int


class ProgrammeTotalsPublic(BaseModel):
    """The programme totals (METHODOLOGY.md §8), each a sum over the loan records it was made from (the
    fingerprint identifies them; the operator may ask for the records themselves)."""

    through: str
    profile_id: str
    enterprises_with_accounts: int
    totals: dict[str, int | float]
    by_bank: list[ProgrammeGroup]
    by_industry: list[ProgrammeGroup]
    by_region: list[ProgrammeGroup]
    by_month: list[dict[str, float | str]]
    fingerprint: str
    loans: list[dict[str, object]] | None = None
    interest: list[InterestRecordPublic] | None = None


class WhatIfPublic(BaseModel):
    """The distance to the next grade, one lever at a time, and the discount that would follow."""

    model_config = ConfigDict(extra="allow")
    credit_code: str
    year: int
    profile_id: str
    grade: int | None
    score: float | None
    next_grade: int | None
    next_grade_score: float | None
    benchmark_held: float | None
    green: dict[str, float] | None
    intensity: dict[str, float] | None
    quote_now: QuotePublic | None = None
    quote_next_grade: QuotePublic | None = None
    discount_gain_bp: float | None = None


class AlertEventPublic(BaseModel):
    credit_code: str
    name: str | None
    year: int
    code: Literal["sharp_drop", "sustained_decline", "stoppage"]
    month: str
    first_seen_at: str
    seen_on: str
    # how the calling bank handles it (issue 17; null for other callers): acknowledged by whom and when, assigned to
    acknowledged_at: str | None = None
    acknowledged_by: str | None = None
    assignee: str | None = None


class AlertActionCreate(BaseModel):
    """Acknowledge one alert, or assign it to a user of the same bank (``assignee``, a username)."""

    credit_code: str = Field(pattern=CREDIT_CODE)
    year: int = Field(ge=1900, le=2200)
    code: Literal["sharp_drop", "sustained_decline", "stoppage"]
    month: str = Field(pattern=r"^\d{4}-\d{2}$")
    assignee: str | None = Field(default=None, min_length=1, max_length=100)


class CreditLoanPublic(BaseModel):
    """One of the bank's loans to the enterprise: outstanding today, the pricing in force and the interest saved."""

    loan_id: str
    product: str | None
    principal_cny: float
    outstanding_cny: float
    drawn_on: str
    maturity_on: str
    matured: bool
    base_rate_pct: float
    discount_bp: float | None
    final_rate_pct: float | None
    priced_on: str | None
    policy_version: int | None
    interest_saved_cny: float


class CreditAssignee(BaseModel):
    username: str


class CreditViewPublic(BaseModel):
    """A bank officer's one-page credit view of an enterprise (issue 17): the decision first (the quote under the
    bank's policy in effect today and why), then the bank's loans to it, the alerts and who handles them."""

    credit_code: str
    name: str | None
    industry_code: str | None
    region_code: str | None
    bank_id: str
    on: str
    account_year: int | None
    grade: int | None
    score: float | None
    colour: str | None
    flags: list[str]
    base_rate_source: Literal["given", "loan", "none"]
    quote: QuotePublic | None
    no_policy: ReasonPublic | None
    loans: list[CreditLoanPublic]
    outstanding_cny: float
    interest_saved_cny: float
    alerts: list[AlertEventPublic]
    assignees: list[CreditAssignee]


def _factor_column(name: str) -> str:
    q = FACTOR_COLUMNS[name]
    return f"{q.zh} / {q.en}: {q.description}"


class FactorPublic(BaseModel):
    """An emission factor of the table a methodology profile uses, with its announcement (METHODOLOGY.md §2); the
    fields and their order are those of `dianta factors --format json` (glossary.FACTOR_COLUMNS)."""

    year: int = Field(description=_factor_column("year"))
    kind: Literal["average", "excl_market_nonfossil", "fossil_only", "footprint"] = Field(
        description=_factor_column("kind"))
    area: str = Field(description=_factor_column("area"))
    technology: str | None = Field(description=_factor_column("technology"))
    value_kg_per_kwh: float = Field(description=_factor_column("value_kg_per_kwh"))
    unit: Literal["kgCO2/kWh", "kgCO2e/kWh"] = Field(description=_factor_column("unit"))
    announcement: str | None = Field(description=_factor_column("announcement"))
    announcement_no: str | None = Field(description=_factor_column("announcement_no"))
    published_on: str | None = Field(description=_factor_column("published_on"))
    source: str = Field(description=_factor_column("source"))
    status: Literal["confirmed", "single-source"] | None = Field(description=_factor_column("status"))


# -- parks (GREEN-POWER.md §10, issue 16) ----------------------------------------------------------------------

class ParkCreate(BaseModel):
    """A park as the operator defines it: one row of the `parks` table (DATA-REQUIREMENTS.md), ingested as a
    batch with that table's checks."""

    park_id: str = Field(pattern=PARK_ID)
    name: str = Field(min_length=1, max_length=200)
    region_code: str = Field(min_length=1, max_length=12, description="GB/T 2260 region code")
    target_green_share: float | None = Field(default=None, allow_inf_nan=False, description="0–1; default 1")
    target_year: int | None = Field(default=None, ge=1901, le=2199)
    supplier_credit_code: str | None = Field(default=None, pattern=CREDIT_CODE,
                                             description="the park's energy supplier (an enterprise in the ledger)")


class ParkMemberCreate(BaseModel):
    """A membership: one row of the `park_members` table, ingested as a batch with that table's checks."""

    credit_code: str = Field(pattern=CREDIT_CODE)
    valid_from: dt.date = Field(description="member from (inclusive)")
    valid_to: dt.date | None = Field(default=None, description="member to (inclusive); null: open")


class ParkBatchPublic(BaseModel):
    """What writing a park or a membership did: the batch it was ingested as (null when it changed nothing:
    ``unchanged``), its status and its warnings."""

    batch_id: int | None
    status: str
    findings: list[FindingPublic]


class ParkPublic(BaseModel):
    """A park as defined (the parks table), with its members in the year and its account of the year (null
    before the year is computed)."""

    park_id: str
    name: str
    region_code: str
    region_name: str | None = Field(default=None, description="the region's GB/T 2260 name")
    supplier_credit_code: str | None
    target_green_share: float = Field(description=_describe(OUTPUTS["target_green_share"]))
    target_year: int | None
    members: int = Field(description="enterprises with a membership on the first day of a month of the year")
    account: ParkAccountPublic | None


class ParkList(BaseModel):
    year: int
    items: list[ParkPublic]


class ParkYearsPublic(BaseModel):
    years: list[int] = Field(description="years with a published park account, oldest first")


class ParkDefinition(BaseModel):
    """A park as defined, with the number of its members in the year."""

    park_id: str
    name: str
    region_code: str
    region_name: str | None = Field(default=None, description="the region's GB/T 2260 name")
    supplier_credit_code: str | None
    target_green_share: float
    target_year: int | None
    members: int


class ParkMemberFigures(BaseModel):
    """A member's own figures of the year (from its published account), shown only to those allowed."""

    green_share: float | None
    cfe_score: float | None
    kwh_total: float | None
    emissions_location_t: float | None
    emissions_market_t: float | None
    intensity: float | None
    grade: int | None
    score: float | None


class ParkMember(BaseModel):
    credit_code: str
    name: str | None
    region_code: str | None
    industry_code: str | None
    valid_from: str | None
    valid_to: str | None
    consent: bool = Field(description="whether the member's figures may be shown to the caller")
    account: ParkMemberFigures | None


class ParkDetailPublic(BaseModel):
    """One park: its definition, its account of the year, the years it has accounts and (not for the regulator,
    who sees aggregates only) its members, each member's figures only where the caller may see them."""

    year: int | None
    park: ParkDefinition
    account: ParkAccountPublic | None
    years: list[int]
    members: list[ParkMember] | None = None
