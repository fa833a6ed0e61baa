"""Dependencies: the store and the authenticated principal (bearer token or API key)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import Depends, Path, Request, Security
from fastapi.security import APIKeyHeader, OAuth2PasswordBearer

from dianta.errors import AuthError
from dianta.ledger.store import Store
from dianta.security import apikeys, tokens
from dianta.security.principal import Principal
from dianta.security.throttle import Throttle

oauth2 = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)
api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False)


def get_store(request: Request) -> Store:
    return request.app.state.store


def scope_client(scope: Mapping[str, Any]) -> str:
    """The client's address of an ASGI request: the TCP peer, or what a proxy of `dianta serve
    --forwarded-allow-ips` says in X-Forwarded-For (uvicorn believes no one else). Throttles count by it."""
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def client_address(request: Request) -> str:
    return scope_client(request.scope)


def get_api_key_throttle(request: Request) -> Throttle:
    return request.app.state.api_key_throttle


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
    raise AuthError("not authenticated: log in at /api/v1/auth/token or send an X-API-Key header")


#: a row id in a path or query: a database integer (larger numbers are refused with 422, never sent to SQL)
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]
StoreDep = Annotated[Store, Depends(get_store)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]
TokenDep = Annotated[str | None, Security(oauth2)]
ClientDep = Annotated[str, Depends(client_address)]
