"""The OpenAPI document as a contract (issue 14): one router per resource with its prefix, the error answers every
route shares declared with their body schema, schema names by one rule, and error bodies that match it."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute

from dianta.api.app import create_app
from dianta.api.routers import ROUTERS
from dianta.api.schemas import ErrorPublic, RefusalPublic
from dianta.ledger.store import Store

#: the routes anyone may call (no token, no key)
PUBLIC = {("post", "/api/v1/auth/token"), ("get", "/api/v1/labels/{code}"), ("get", "/api/v1/certificates/{code}"),
          ("get", "/api/v1/reference/data-requirements"), ("get", "/api/v1/reference/data_requirements.xlsx")}
REF = "#/components/schemas/"


class Client:
    """Requests to the application in this process (through its whole middleware stack)."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    def get(self, path: str, **kw: Any) -> httpx.Response:
        async def call() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
                return await c.get(path, **kw)

        return asyncio.run(call())


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Client:
    return Client(create_app(Store(Path(tmp_path_factory.mktemp("openapi")) / "store")))


@pytest.fixture(scope="module")
def spec(client: Client) -> dict[str, Any]:
    document: dict[str, Any] = client.get("/api/v1/openapi.json").json()
    return document


def _operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(method, path, op) for path, ops in spec["paths"].items() for method, op in ops.items()]


def _json_schema(body: dict[str, Any]) -> dict[str, Any] | None:
    schema: dict[str, Any] | None = body.get("content", {}).get("application/json", {}).get("schema")
    return schema


def test_every_router_has_a_prefix_and_tags() -> None:
    assert ROUTERS
    for router in ROUTERS:
        assert router.prefix.startswith("/") and router.tags, router.prefix
        assert all(isinstance(route, APIRoute) and route.path.startswith(router.prefix) for route in router.routes)


def test_signed_in_routes_declare_their_error_answers(spec: dict[str, Any]) -> None:
    """Every route of a signed-in caller declares 401, 403, 429 and 503 with the error body; every route that
    takes a body declares 413; every route with parameters or a body declares 422 with the refusal body."""
    for method, path, op in _operations(spec):
        responses = op["responses"]
        expected = {"413"} if "requestBody" in op else set()
        if (method, path) not in PUBLIC:
            expected |= {"401", "403", "429", "503"}
        if op.get("parameters") or "requestBody" in op:
            expected.add("422")
        assert expected <= set(responses), (method, path, expected - set(responses))
        for status, answer in responses.items():
            if status.startswith(("4", "5")):
                model = "RefusalPublic" if status == "422" else "ErrorPublic"
                assert _json_schema(answer) == {"$ref": REF + model}, (method, path, status)
                assert answer["description"].split(" / ")[0], (method, path, status)  # Chinese first, then English


def test_schema_names_follow_one_rule(spec: dict[str, Any]) -> None:
    """Request bodies are XCreate or XUpdate; JSON response bodies XPublic or XList (or arrays of XPublic)."""
    for method, path, op in _operations(spec):
        body = op.get("requestBody")
        if body is not None and (schema := _json_schema(body)) is not None:
            assert schema["$ref"].removeprefix(REF).endswith(("Create", "Update")), (method, path, schema)
        for status, answer in op["responses"].items():
            schema = _json_schema(answer)
            if not status.startswith("2") or not schema:
                continue
            ref = schema.get("$ref") or schema.get("items", {}).get("$ref")
            if ref is None:  # a list of plain values (the years)
                assert schema["type"] == "array" and "$ref" not in schema["items"], (method, path)
                continue
            assert ref.removeprefix(REF).endswith(("Public", "List")), (method, path, ref)


def test_error_bodies_match_their_declared_schema(client: Client) -> None:
    """The answers the document declares are the answers sent: a missing token (401), a parameter refused by
    validation and an unknown label code (422, 404)."""
    r = client.get("/api/v1/me")
    assert r.status_code == 401 and ErrorPublic.model_validate(r.json()).detail.startswith("not authenticated")
    r = client.get("/api/v1/reference/data-requirements", params={"lang": "fr"})
    assert r.status_code == 422
    refusal = RefusalPublic.model_validate(r.json())
    assert refusal.code == "invalid_request" and refusal.errors[0].loc == ["query", "lang"]
    assert refusal.detail == "the request was refused: query parameter 'lang' must be 'zh' or 'en'"
    assert refusal.detail_zh == "请求被拒绝：查询参数“lang”须为 zh 或 en"
    r = client.get("/api/v1/labels/not-a-code")
    assert r.status_code == 422 and RefusalPublic.model_validate(r.json()).errors
