"""The principal: who a request or command acts as."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Role = Literal["operator", "bank", "enterprise", "regulator", "park", "public"]
#: ``park``: a park's management (园区管理机构, GREEN-POWER.md §10 and issue 16), tied to one park
ROLES: tuple[Role, ...] = ("operator", "bank", "enterprise", "regulator", "park")
#: the organisation kind each role belongs to (a user's role is its organisation's kind)
ORG_KINDS = ROLES


@dataclass(frozen=True, slots=True)
class Principal:
    """``actor``: user name, ``key:<key_id>`` for an API key, or ``cli:<OS user>`` for a local command.
    ``org_id``: the tenant (a bank's id, the operator, the regulator, or an enterprise's organisation);
    ``credit_code``: the enterprise an enterprise user belongs to; ``park_id``: the park a park organisation's user
    manages."""

    actor: str
    role: Role
    org_id: str | None
    credit_code: str | None = None
    user_id: int | None = None
    park_id: str | None = None


def local_operator(user: str) -> Principal:
    """Whoever runs the CLI on the operator's machine acts as the operator (they hold the store)."""
    return Principal(actor=f"cli:{user}", role="operator", org_id="operator")


def anonymous(client: str | None) -> Principal:
    """A caller without credentials, on the few public routes (label verification): audited by address.
    Its role ``public`` is in no rule of the policy, so it may take no other action."""
    return Principal(actor=f"anonymous:{client or 'unknown'}", role="public", org_id=None)
