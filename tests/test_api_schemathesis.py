"""Property-based tests of every API operation from its OpenAPI description: no input gives a 5xx."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from conftest import BACKENDS
from hypothesis import HealthCheck, settings
from service import Service, start_service, stop_service


@pytest.fixture(scope="module", params=BACKENDS)
def service(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    s = start_service(request.param, tmp_path_factory.mktemp("schemathesis"), request)
    yield s
    stop_service(s)


@pytest.fixture(scope="module")
def api_schema(service: Service):
    return schemathesis.openapi.from_url(service.url + "/api/v1/openapi.json")


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_error_for_the_operator(case, service: Service):
    response = case.call(headers={"Authorization": f"Bearer {service.tokens['operator']}"}, timeout=120)
    assert response.status_code < 500, (case.method, case.path, response.status_code, response.text[:500])
