"""What the routes share: the store, the authenticated principal (bearer token or API key), the parameter types
every router uses (year, language, methodology profile, credit code, paging…) and the error answers the OpenAPI
document declares for them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from fastapi import Depends, Path, Query, Request, Security
from fastapi.security import APIKeyHeader, OAuth2PasswordBearer

from dianta.api.schemas import CREDIT_CODE, ORG_ID, ErrorPublic, RefusalPublic
from dianta.errors import AuthError
from dianta.ledger.store import Store
from dianta.security import apikeys, tokens
from dianta.security.principal import Principal
from dianta.security.throttle import Throttle

oauth2 = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)
api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False)


def get_store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def scope_client(scope: Mapping[str, Any]) -> str:
    """The client's address of an ASGI request: the TCP peer, or what a proxy of `dianta serve
    --forwarded-allow-ips` says in X-Forwarded-For (uvicorn believes no one else). Throttles count by it."""
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def client_address(request: Request) -> str:
    return scope_client(request.scope)


def get_api_key_throttle(request: Request) -> Throttle:
    throttle: Throttle = request.app.state.api_key_throttle
    return throttle


def get_login_throttle(request: Request) -> Throttle:
    throttle: Throttle = request.app.state.login_throttle
    return throttle


def get_principal(store: Annotated[Store, Depends(get_store)],
                  token: Annotated[str | None, Security(oauth2)] = None,
                  api_key: Annotated[str | None, Security(api_key_header)] = None, *,
                  client: Annotated[str, Depends(client_address)],
                  throttle: Annotated[Throttle, Depends(get_api_key_throttle)]) -> Principal:
    """Who is asking: a bearer token from /auth/token, or an API key (machine clients; failed keys are
    throttled per key id and ``client`` address with ``throttle``)."""
    if token:
        return tokens.principal_from_token(store, token)
    if api_key:
        return apikeys.principal_from_api_key(store, api_key, client=client, throttle=throttle)
    raise AuthError.of("not_signed_in")


def requested_bank(principal: Principal, bank_id: str | None) -> str | None:
    """The bank a read is about: a bank's own tenant unless it names one (which the policy then judges), else
    the one the operator names (None: every bank)."""
    return principal.org_id if principal.role == "bank" and bank_id is None else bank_id


# --- the request's context -----------------------------------------------------------------------------------
StoreDep = Annotated[Store, Depends(get_store)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]
#: the bearer token of the request, if it came with one
TokenDep = Annotated[str | None, Security(oauth2)]
#: the client's address (see :func:`scope_client`)
ClientDep = Annotated[str, Depends(client_address)]
LoginThrottleDep = Annotated[Throttle, Depends(get_login_throttle)]

# --- parameters ----------------------------------------------------------------------------------------------
#: the years an account may be asked for
YEAR_MIN, YEAR_MAX = 1901, 2199
#: a row id in a path: a database integer (larger numbers are refused with 422, never sent to SQL)
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]
#: a row id in a query (optional): the same range
IdQuery = Annotated[int | None, Query(ge=1, le=2**31 - 1)]
Year = Annotated[int, Query(ge=YEAR_MIN, le=YEAR_MAX)]
YearPath = Annotated[int, Path(ge=YEAR_MIN, le=YEAR_MAX)]
YearOptional = Annotated[int | None, Query(ge=YEAR_MIN, le=YEAR_MAX)]
#: the language of a report, a label text or advice
Lang = Annotated[Literal["zh", "en"], Query()]
#: a shipped methodology profile id, or a shipped set of carbon-price scenarios
ProfileId = Annotated[str, Query(pattern=r"^[A-Za-z0-9_\-]{1,64}$")]
#: an enterprise's unified social credit code
CreditCode = Annotated[str, Path(pattern=CREDIT_CODE)]
CreditCodeQuery = Annotated[str | None, Query(pattern=CREDIT_CODE)]
#: a bank (an organisation id): the operator names one; a bank is always itself
BankId = Annotated[str | None, Query(pattern=ORG_ID, description="the operator names a bank; a bank is always itself")]
#: how many entries a page holds, and how many to skip before it
Limit = Annotated[int, Query(ge=1, le=1000)]
Offset = Annotated[int, Query(ge=0, le=2**31 - 1)]
#: accounts are listed by page number and size
Page = Annotated[int, Query(ge=1, le=100_000)]
PageSize = Annotated[int, Query(ge=1, le=500)]

# --- error answers -------------------------------------------------------------------------------------------
Responses = dict[int | str, dict[str, Any]]

#: what each error status means to a caller (Chinese first), and the model of its body
ERROR_ANSWERS: dict[int, tuple[str, type[ErrorPublic] | type[RefusalPublic]]] = {
    400: ("请求无法按所发内容执行 / the request cannot be carried out as sent", ErrorPublic),
    401: ("未认证：请登录或发送 X-API-Key / not authenticated: log in or send an X-API-Key header", ErrorPublic),
    403: ("无权执行此操作 / the caller's role or organisation may not do this", ErrorPublic),
    404: ("不存在，或调用方无权知道其存在 / not found, or not the caller's to know of", ErrorPublic),
    409: ("与账本的当前状态冲突，可重新发送 / conflicts with the ledger's state; send it again", ErrorPublic),
    413: ("请求体过大 / the request body is too large", ErrorPublic),
    422: ("输入被拒绝：列出每个问题 / the input was refused: every problem is listed", RefusalPublic),
    429: ("尝试失败次数过多，请按 Retry-After 等待 / too many failed attempts: wait for Retry-After seconds",
          ErrorPublic),
    503: ("账本繁忙或暂时无法连接，请稍后重试 / the ledger is busy or unreachable; try again shortly", ErrorPublic),
}


def errors(*codes: int) -> Responses:
    """The ``responses=`` of a router or a route: each status of ``codes`` with its meaning and body schema."""
    return {code: {"model": ERROR_ANSWERS[code][1], "description": ERROR_ANSWERS[code][0]} for code in codes}


#: what every route of a signed-in caller may answer besides its own: no or a bad token or key (401), a role or
#: tenant that may not (403), a parameter refused (422), too many failed API keys (429), the ledger busy (503)
SIGNED_IN = errors(401, 403, 422, 429, 503)


def signed_in(*codes: int) -> Responses:
    """The ``responses=`` of a router of signed-in callers: :data:`SIGNED_IN` and the statuses ``codes``."""
    return {**SIGNED_IN, **errors(*codes)}

#: what a public route that reads the ledger may answer
PUBLIC = errors(422, 503)
