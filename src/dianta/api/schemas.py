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
    """An error answer: what went wrong as a code of the catalogue (dianta.messages.ERRORS), the English message
    and the Chinese one."""

    code: str = Field(description="the error's code in the catalogue, e.g. not_found, no_loan, forbidden")
    detail: str
    detail_zh: str


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
    """A refused request (422): Dianta's refusal names every problem (``code``, ``detail`` in English,
    ``detail_zh`` in Chinese, the ``findings`` of a batch that was not applied); a parameter or body that failed
    validation is answered with code ``invalid_request``, both texts naming each field, and ``errors`` listing
    what failed as FastAPI says it."""

    code: str
    detail: str
    detail_zh: str
    findings: list[FindingPublic] = []
    errors: list[ValidationIssue] = []


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


class BatchFilePublic(BaseModel):
    """A file of a refused batch: its name, size and SHA-256 as sent, and whether it is kept for download."""

    name: str
    size_bytes: int
    sha256: str
    kept: bool


class BatchPublic(BaseModel):
    batch_id: int
    received_at: str
    received_by: str
    reason: str | None
    status: str  # applied | partial | refused
    counts: dict[str, TableCounts]
    warnings: int
    errors: int = 0  # the findings that refused the batch (a refused batch's)
    files: list[BatchFilePublic] = Field(default_factory=list)  # a refused batch's files


class BatchList(BaseModel):
    items: list[BatchPublic]
    total: int  # every batch (of the status asked for), not only this page
    page: int
    page_size: int


# -- the operator's intake (issue 17): a batch checked before it is applied, a year computed before it is published
class TablePreviewPublic(BaseModel):
    """What applying the batch would do to one table: rows read, rows rejected (quarantined with ``partial``),
    and for a ledger table its valid rows that are new, unchanged or corrections (null for an interval table:
    compared with the stored files only when applied)."""

    rows: int
    rejected: int
    new: int | None
    unchanged: int | None
    corrected: int | None


class BatchPreviewPublic(BaseModel):
    """A batch checked and not applied. ``status``: applicable (every row passes), partial (rows would be
    quarantined: applied so only when sent with ``partial``) or refused."""

    status: Literal["applicable", "partial", "refused"]
    errors: int
    warnings: int
    tables: dict[str, TablePreviewPublic]
    findings: list[FindingPublic]


class AccountChangePublic(BaseModel):
    credit_code: str
    name: str | None
    old_grade: int | None
    new_grade: int | None
    old_score: float | None
    new_score: float | None
    published: bool  # an account of the year is published now
    computed: bool  # the computation gives one
    grade_changed: bool


class DryRunPublic(BaseModel):
    """A year computed and not published: the enterprises whose grade or score publishing it would change."""

    year: int
    profile_id: str
    accounts: int
    unchanged: int
    last_batch_id: int
    by_grade: dict[str, int]
    changes: list[AccountChangePublic]


class CorrectionChangePublic(BaseModel):
    """One column a correction changed: its name (the glossary's, zh and en), the old and the new value."""

    column: str
    column_zh: str
    old: object
    new: object


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
    table_zh: str = ""
    changes: list[CorrectionChangePublic] = Field(default_factory=list)  # the columns changed, old → new


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
    total: int  # every account the filters find, not only this page
    page: int
    size: int
    region_names: dict[str, str] = Field(default_factory=dict, description=(
        "the GB/T 2260 names of the page's region codes (province, prefecture, county), to show beside the codes"))


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
    outstanding_cny: float = Field(description="贷款余额: outstanding on the statistics' loans_as_of day")
    interest_saved_cny: float = 0.0


class StatisticsPublic(BaseModel):
    year: int
    profile_id: str
    accounts: int
    by_grade: list[GroupStatistics]
    by_industry: list[GroupStatistics]
    by_region: list[GroupStatistics]
    loans_as_of: str = Field(description="the day (CST) the loans' balances are taken on")
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


class MapEnterprise(BaseModel):
    """An enterprise of a map region (a bank's portfolio): its account's figures and the loans outstanding to it."""

    credit_code: str
    name: str | None
    region_code: str | None
    grade: int | None
    colour: str | None
    emissions_t: float | None = Field(description="tCO2")
    intensity: float | None = Field(description="tCO2 per 10k CNY")
    green_share: float | None = Field(description="fraction 0–1")
    outstanding_cny: float = Field(description="CNY outstanding on the map's as-of day")


class MapRegion(BaseModel):
    """A prefecture or county (GB/T 2260) of the map with its sums (None where suppressed)."""

    code: str
    name: str
    on_map: bool = Field(description="the shipped boundaries have this region (else it is listed only)")
    enterprises: int = Field(description="enterprises with an account of the year or a loan")
    accounts: int
    borrowers: int
    loans: int
    emissions_t: float | None = Field(description="Σ emissions [tCO2]")
    kwh_total: float | None
    kwh_green: float | None
    intensity: float | None = Field(description="Σ C / Σ V [tCO2 per 10k CNY]")
    green_share: float | None = Field(description="Σ E_green / Σ E_total [fraction 0–1]")
    outstanding_cny: float | None = Field(description="loans outstanding on the as-of day [CNY]")
    grades: dict[str, int] | None = Field(description="accounts by grade (not_rated: without a grade)")
    suppressed: bool = Field(description="fewer enterprises than min_enterprises: counts only, no figures")
    value: float | None = Field(description="the chosen metric's figure, in `unit`")
    enterprise_list: list[MapEnterprise] | None = Field(default=None, description="a bank's (the operator's) view "
                                                        "only: the region's enterprises")


class MapProvince(BaseModel):
    code: str
    name: str


class MapPublic(BaseModel):
    """The electricity-carbon map (电碳地图): a province's prefectures or counties with the chosen metric."""

    year: int
    level: Literal["prefecture", "county"]
    metric: Literal["emissions", "intensity", "green_share", "accounts", "loans"]
    unit: str = Field(description="the unit of each region's `value`: tCO2, tCO2/10k CNY, 1 (a fraction), CNY, "
                      "or empty for a count")
    province: str | None
    province_name: str
    provinces: list[MapProvince] = Field(description="the provinces with data to show")
    map_file: str | None = Field(description="the boundaries (GeoJSON) under /app/maps/")
    as_of: dt.date = Field(description="the day loans are taken outstanding on")
    min_enterprises: int | None = Field(description="smaller regions show counts only (the regulator's view)")
    bank_id: str | None
    regions: list[MapRegion]


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


class ProgrammeTrendPoint(BaseModel):
    model_config = ConfigDict(extra="allow")
    year: int
    as_of: str
    accounts_opened: int
    accounts_opened_to_date: int
    carbon_loans: int
    carbon_loan_amount_cny: float
    carbon_loan_outstanding_cny: float
    interest_saved_cny: float


class ProgrammeFigures(BaseModel):
    """The headline's figures (glossary: accounts_opened, carbon_loans, …) and their yearly trend."""

    model_config = ConfigDict(extra="allow")
    accounts_opened: int
    carbon_loans: int
    carbon_loan_amount_cny: float
    carbon_loan_outstanding_cny: float
    interest_saved_cny: float
    borrowers: int
    trend: list[ProgrammeTrendPoint]


class ProgrammeCell(ProgrammeFigures):
    """One cell of a breakdown: ``group`` a bank id, a division, a prefecture code, a park id, or ``other``
    (the pooled cells below the minimum group size: ``groups`` of them)."""

    group: str
    name: str | None = None
    enterprises: int
    groups: int | None = None


class ProgrammeHeadlineFigures(ProgrammeFigures):
    loans: int
    loan_outstanding_cny: float


class ProgrammeHeadlinePublic(BaseModel):
    """The programme's headline as of a day (METHODOLOGY.md §8) and its breakdowns: aggregates only."""

    as_of: str
    profile_id: str
    min_group_size: int
    years: list[int]
    latest_loan_report_on: str | None
    headline: ProgrammeHeadlineFigures
    by_bank: list[ProgrammeCell]
    by_industry: list[ProgrammeCell]
    by_region: list[ProgrammeCell]
    by_park: list[ProgrammeCell]


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


# ---------------------------------------------------------------- an account among its peers, over the years (issue 17)

def _g(name: str) -> str:
    return _describe(OUTPUTS[name])


class PeerFigure(BaseModel):
    """One figure of the account among its peers (accounts/peers.py): never another firm's name or code."""

    metric: Literal["intensity", "score", "green_share"] = Field(description=_g("peers.metric"))
    status: Literal["ranked", "no_value", "too_small", "no_industry"] = Field(
        description="ranked; no_value (the account has no such figure: the distribution alone); too_small (no "
                    "group of the minimum size: nothing revealed); no_industry")
    group: str | None = Field(description=_g("peers.group"))
    group_level: Literal["division", "section"] | None = Field(description=_g("peers.group_level"))
    group_name_zh: str | None = Field(description="GB/T 4754 name of the group (Chinese)")
    size: int = Field(description=_g("peers.size"))
    excluded: int = Field(description=_g("peers.excluded"))
    value: float | None = Field(description="the account's own figure")
    rank: int | None = Field(description=_g("peers.rank"))
    percentile: float | None = Field(description=_g("peers.percentile"))
    distribution: list[float] | None = Field(description=_g("peers.distribution"))
    higher_is_better: bool
    member: bool = Field(description="the account's own figure is one of the distribution (false: it has none, or "
                                     "its intensity is on revenue and is placed against the distribution, §7b)")


class PeersPublic(BaseModel):
    credit_code: CreditCode
    year: int
    profile_id: str
    min_group_size: int = Field(description=_g("peers.min_group_size"))
    figures: list[PeerFigure]


class TrendYear(BaseModel):
    year: int
    grade: int | None = Field(description=_g("grade"))
    score: float | None = Field(description=_g("score"))
    intensity: float | None = Field(description=_g("intensity"))
    emissions_t: float | None = Field(description=_g("emissions_t"))
    green_share: float | None = Field(description=_g("green_share"))
    cfe_score: float | None = Field(description=_g("cfe_score"))
    changes: dict[str, float | None] = Field(description=_g("trend.change"))


class TrendPublic(BaseModel):
    credit_code: CreditCode
    profile_id: str
    years: list[TrendYear]
