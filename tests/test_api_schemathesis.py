"""Property-based tests of every API operation from its OpenAPI description: no input gives a 5xx.

Schemathesis generates the requests from /api/v1/openapi.json (its pytest plugin does not support this
pytest yet, so the operations are driven through hypothesis here); they go to a real server on localhost.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from service import Service

#: CI runs a fixed, repeatable set of cases; DIANTA_FUZZ_EXAMPLES=200 DIANTA_FUZZ_EXPLORE=1 looks further
EXAMPLES = int(os.environ.get("DIANTA_FUZZ_EXAMPLES", "12"))
EXPLORE = bool(os.environ.get("DIANTA_FUZZ_EXPLORE"))
PUBLIC = {"/api/v1/auth/token", "/api/v1/labels/{code}", "/api/v1/reference/data-requirements",
          "/api/v1/reference/data_requirements.xlsx"}



@pytest.mark.parametrize("who", ["operator", "bank_a", None])
def test_no_input_gives_a_server_error(service: Service, who: str | None):
    schema = schemathesis.openapi.from_url(service.url + "/api/v1/openapi.json")
    headers = {"Authorization": f"Bearer {service.tokens[who]}"} if who else {}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 29
    server_errors: list[str] = []
    statuses: list[int] = []
    succeeded: set[str] = set()  # the operations that answered 2xx
    for operation in operations:
        if operation.path == "/api/v1/auth/logout":
            continue  # it would end the session the other operations use

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=not EXPLORE,
                  suppress_health_check=list(HealthCheck))
        def call(case) -> None:  # noqa: ANN001 - a schemathesis Case
            response = case.call(headers=headers, timeout=120)
            statuses.append(response.status_code)
            if response.status_code < 300:
                succeeded.add(case.operation.path)
            if response.status_code >= 500:
                server_errors.append(f"{case.method} {case.formatted_path}: {response.status_code} "
                                     f"{response.text[:300]}")

        call()
    assert server_errors == []
    assert len(statuses) >= 3 * len(operations)  # the requests were really made
    if who is None:  # without credentials only the public routes answer
        assert succeeded <= PUBLIC and "/api/v1/reference/data-requirements" in succeeded
    else:
        assert succeeded - PUBLIC
