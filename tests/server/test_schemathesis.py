"""Schemathesis against the server's own OpenAPI schema: generated requests on every operation, zero 5xx.

The example budget is small by default (`LOOPCACHE_SCHEMATHESIS_EXAMPLES`, default 25 per operation) so that
`make test` stays quick; raise it for a deeper run.
"""

from __future__ import annotations

import os

import schemathesis
from hypothesis import HealthCheck, given, settings

EXAMPLES = int(os.environ.get("LOOPCACHE_SCHEMATHESIS_EXAMPLES", "25"))


def _shorten(body: object) -> None:
    """Generated `max_tokens` can be huge; the protocol is what is under test, not long generations."""
    if isinstance(body, dict):
        for key in ("max_tokens", "max_completion_tokens"):
            if isinstance(body.get(key), int) and not isinstance(body[key], bool) and body[key] > 8:
                body[key] = 8


def test_no_5xx_on_generated_requests(make_server) -> None:  # noqa: ANN001
    server = make_server(default_max_tokens=8)
    statuses: dict[int, int] = {}
    schema = schemathesis.openapi.from_url(server.base_url + "/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.path for op in operations} >= {"/v1/chat/completions", "/v1/completions", "/v1/messages", "/v1/models"}
    failures: list[str] = []
    for operation in operations:

        @settings(max_examples=EXAMPLES, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def check(case) -> None:  # noqa: ANN001
            _shorten(case.body)
            response = case.call(base_url=server.base_url, timeout=60)
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.path} -> {response.status_code}: {response.text[:300]}")

        check()
    assert not failures, "\n".join(failures[:10])
    assert statuses.get(200, 0) > 0 and sum(n for code, n in statuses.items() if 400 <= code < 500) > 0, statuses
