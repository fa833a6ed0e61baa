"""Authorisation, in one place for every route and command: role × tenant × consent.

Every action a principal can take is a row of ``POLICY``; :func:`authorize` is the only gate, and every
refusal is written to the audit log before it is raised. Listing routes narrow what they return with
:func:`visible_codes` (the same rules, applied to a set of enterprises); park routes show a member's figures only
to those :func:`visible_park_members` names.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import sqlalchemy as sa

from dianta.errors import Forbidden, NotFound
from dianta.ledger import schema
from dianta.ledger.store import Store
from dianta.messages import ERRORS
from dianta.security import audit, consents
from dianta.security.principal import Principal, Role

ALL: frozenset[Role] = frozenset({"operator", "bank", "enterprise", "regulator", "park"})
#: consent scopes that let a bank read an account summary / the full data / reports
SUMMARY_SCOPES = frozenset({"summary", "full", "reports"})


@dataclass(frozen=True, slots=True)
class Rule:
    """Who may take an action.

    roles: the roles that may take it at all.
    enterprise_own: an enterprise user only for its own enterprise (the request names a credit code).
    bank_scopes: a bank only for enterprises that granted it a live consent with one of these scopes (a park
        organisation too, where the rule lets it in: it is granted consents as a bank is).
    bank_own: a bank only for its own records (loans): the record's bank id must be its tenant.
    self_only: only for the principal's own user (API keys), unless the principal is the operator.
    park_own: a park organisation only for its own park (the request names a park id).
    """

    roles: frozenset[Role]
    enterprise_own: bool = False
    bank_scopes: frozenset[str] = field(default_factory=frozenset)
    bank_own: bool = False
    self_only: bool = False
    park_own: bool = False


def _r(*roles: Role, **kw: object) -> Rule:
    return Rule(frozenset(roles), **kw)  # type: ignore[arg-type]


POLICY: dict[str, Rule] = {
    # the operator runs the platform
    "batch.upload": _r("operator"), "batch.read": _r("operator"), "compute.run": _r("operator"),
    "corrections.read": _r("operator"), "users.manage": _r("operator"), "organisations.manage": _r("operator"),
    "organisations.read": _r(*ALL), "audit.read": _r("operator", "regulator"),
    # enterprise data: the operator; the enterprise itself; a bank with a live consent of the right scope
    "account.read": _r("operator", "enterprise", "bank", enterprise_own=True, bank_scopes=SUMMARY_SCOPES),
    "account.list": _r("operator", "enterprise", "bank", enterprise_own=True, bank_scopes=SUMMARY_SCOPES),
    "data.read": _r("operator", "enterprise", "bank", enterprise_own=True, bank_scopes=frozenset({"full"})),
    "report.read": _r("operator", "enterprise", "bank", enterprise_own=True,
                      bank_scopes=frozenset({"reports", "full"})),
    # consents: granted and revoked by the enterprise (or the operator for it); a bank (a park organisation) its own
    "consent.manage": _r("operator", "enterprise", enterprise_own=True),
    "consent.read": _r("operator", "enterprise", "bank", "park", enterprise_own=True),
    # a bank's portfolio: the operator for any bank (or all accounts), a bank for its own consents
    "portfolio.read": _r("operator", "bank", bank_own=True),
    # green finance (METHODOLOGY.md §8): each bank its own policies, quotes (with the borrower's consent),
    # pricings, interest saved and financed emissions; the operator all of them
    "policy.manage": _r("operator", "bank", bank_own=True), "policy.read": _r("operator", "bank", bank_own=True),
    "quote.create": _r("operator", "bank", bank_own=True, bank_scopes=SUMMARY_SCOPES),
    "loan.price": _r("bank", bank_own=True, bank_scopes=SUMMARY_SCOPES),
    "finance.read": _r("operator", "bank", bank_own=True),
    # §6 credit-risk alerts: to the banks with a live consent, the enterprise itself, the operator
    "alerts.read": _r("operator", "enterprise", "bank", enterprise_own=True, bank_scopes=SUMMARY_SCOPES),
    # issue 17: a bank acknowledges the alerts it sees and assigns them to its own users (its credit work, not the
    # operator's)
    "alerts.handle": _r("bank", bank_scopes=SUMMARY_SCOPES),
    # the regulator sees programme statistics, never an enterprise's raw data
    "statistics.read": _r("operator", "regulator"),
    # each bank's own loans
    "loan.write": _r("bank", bank_own=True), "loan.read": _r("operator", "bank", bank_own=True),
    # API keys: every user for itself
    "apikey.manage": _r(*ALL, self_only=True),
    # parks (GREEN-POWER.md §10, issue 16): the operator defines them; a park's account (aggregates only) is read by
    # the operator, the regulator and the park's own management; a member's figures in a park only by the operator
    # and, per live consent of the member (any scope), the park's management: never the regulator
    "park.define": _r("operator"),
    "park.read": _r("operator", "regulator", "park", park_own=True),
    "park.member.read": _r("operator", "park", park_own=True, bank_scopes=SUMMARY_SCOPES),
    # the map (issue 17): the regulator the programme's region aggregates (counts only in small regions), a bank
    # its consented portfolio by region, the operator either
    "map.read": _r("operator", "regulator", "bank", bank_own=True),
}
#: the roles a consent is granted to (security.consents.GRANTEE_KINDS): the rules' ``bank_scopes`` apply to them
CONSENTED: frozenset[Role] = frozenset({"bank", "park"})


def _refusal(store: Store, principal: Principal, action: str, credit_code: str | None, bank_id: str | None,
             user_id: int | None, on: dt.date | None, park_id: str | None = None) -> tuple[Forbidden, str] | None:
    """Why ``principal`` may not take ``action`` (the error saying it in both languages), and the kind of refusal
    (``role``, ``tenant``, ``consent``, ``self``); None: allowed."""
    rule = POLICY.get(action)
    if rule is None:
        return Forbidden.of("unknown_action", action=action), "role"
    if principal.role not in rule.roles:
        return Forbidden.of("role_may_not", role=principal.role, action=action), "role"
    if principal.role == "enterprise" and rule.enterprise_own and credit_code is not None \
            and credit_code != principal.credit_code:
        return Forbidden.of("enterprise_own_only"), "tenant"
    if principal.role == "bank" and rule.bank_own and bank_id is not None and bank_id != principal.org_id:
        return Forbidden.of("bank_own_only"), "tenant"
    if principal.role == "park" and rule.park_own and park_id is not None and park_id != principal.park_id:
        return Forbidden.of("park_own_only"), "tenant"
    if principal.role in CONSENTED and rule.bank_scopes and credit_code is not None:
        if not consents.live_scopes(store, credit_code=credit_code, bank_org_id=str(principal.org_id), on=on) \
                & rule.bank_scopes:
            scopes = "/".join(sorted(rule.bank_scopes))
            return Forbidden.of("no_live_consent", scopes=scopes, credit_code=credit_code, role=principal.role,
                                org_id=principal.org_id), "consent"
    if rule.self_only and principal.role != "operator" and user_id is not None and user_id != principal.user_id:
        return Forbidden.of("keys_for_yourself"), "self"
    return None


def authorize(store: Store, principal: Principal, action: str, *, resource: str, credit_code: str | None = None,
              bank_id: str | None = None, user_id: int | None = None, on: dt.date | None = None,
              hidden: str | NotFound | None = None, park_id: str | None = None) -> None:
    """Allow ``action`` on ``resource`` or raise :class:`Forbidden`; a refusal is audited first.

    ``credit_code``: the enterprise whose data it touches; ``bank_id``: the bank a record belongs to;
    ``user_id``: the user it is done for; ``park_id``: the park it is about. Called with none of them, only the
    role is checked: routes that look a record up by id do that first, so that what an unknown id answers does
    not depend on the role.

    ``hidden``: the record belongs to someone the caller may not know of (another bank's loan, another
    enterprise's consent, another park). A refusal for that reason raises this :class:`NotFound` (raised for the id
    that does not exist: ``NotFound.of("no_loan", loan_id=…)``; a text alone is answered with the catalogue's
    ``not_found`` in Chinese), the same answer as for an id that does not exist, so ids cannot be probed (issue 12);
    it is audited as a refusal."""
    refusal = _refusal(store, principal, action, credit_code, bank_id, user_id, on, park_id)
    if refusal is not None:
        error, kind = refusal
        audit.record(store, principal=principal, action=action, resource=resource, outcome="denied", why=str(error))
        if hidden is not None and kind == "tenant":
            raise hidden if isinstance(hidden, NotFound) else NotFound(hidden, zh=ERRORS["not_found"][1])
        raise error


def visible_codes(store: Store, principal: Principal, action: str = "account.list", *, on: dt.date | None = None
                  ) -> set[str] | None:
    """The enterprises whose data ``principal`` may list under ``action``: None means all (the operator)."""
    rule = POLICY[action]
    if principal.role not in rule.roles:
        return set()
    if principal.role == "operator":
        return None
    if principal.role == "enterprise":
        return {principal.credit_code} if principal.credit_code else set()
    if principal.role == "bank":
        return consents.consented_codes(store, bank_org_id=str(principal.org_id), scopes=set(rule.bank_scopes), on=on)
    return set()


def visible_park_members(store: Store, principal: Principal, park_id: str, *, on: dt.date | None = None) -> set[str]:
    """The members of park ``park_id`` (credit codes, any membership period in the ledger) whose figures
    ``principal`` may see in that park (rule ``park.member.read``): every member for the operator; for the park's
    own management those with a live consent to it (scope summary, full or reports) on ``on`` (default today,
    CST); none for anyone else: the regulator, banks and enterprises see a park's aggregates at most."""
    rule = POLICY["park.member.read"]
    if principal.role not in rule.roles or (principal.role == "park" and principal.park_id != park_id):
        return set()
    pm = schema.data_tables["park_members"]
    with store.engine.connect() as con:
        members = set(con.execute(sa.select(pm.c.credit_code).distinct().where(pm.c.park_id == park_id)).scalars())
    if principal.role == "operator":
        return members
    return members & consents.consented_codes(store, bank_org_id=str(principal.org_id), scopes=set(rule.bank_scopes),
                                              on=on)
