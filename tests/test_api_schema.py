"""``openapi.json`` describes the API as it behaves: schemathesis sends generated requests
(valid and invalid) to a real server over HTTP and checks every answer against the documented
status codes, headers and bodies; the bodies' models forbid undocumented fields, so a column
that reaches a response without its documentation fails here."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import schemathesis

from tests.test_api import ApiServer, Served, served  # noqa: F401  (the module-scoped server fixture)

# Operations, as they are named in openapi.json (the test below checks none is left out).
OPERATIONS = (
    "GET /api/v1/models", "GET /api/v1/models/{model_key}", "GET /api/v1/pricing", "GET /api/v1/pricing/compare",
    "GET /api/v1/pricing/history", "GET /api/v1/changes", "GET /api/v1/benchmarks", "GET /api/v1/providers",
    "GET /api/v1/search", "GET /api/v1/status", "GET /api/v1/providers/{provider_id}/availability",
    "POST /api/v1/sync/{source}", "GET /api/v1/export", "GET /api/v1/export/snapshot.duckdb", "GET /api/v1/export/{name}",
)
# Documented too, but an answer that never ends: tests/test_api_events.py covers it.
STREAMS = ("GET /api/v1/events",)


@pytest.fixture(scope="module")
def operations(served: Served) -> dict[str, Any]:  # noqa: F811
    loaded = schemathesis.openapi.from_url(f"{served.api.url}/openapi.json")
    found = {}
    for result in loaded.get_all_operations():
        operation = result.ok()
        found[f"{operation.method.upper()} {operation.path}"] = operation
    return found


def test_every_operation_is_exercised(operations: dict[str, Any]):
    assert sorted(operations) == sorted(OPERATIONS + STREAMS)


def test_schemathesis_finds_no_failure_in_any_phase(served: Served, tmp_path: Path) -> None:  # noqa: F811
    """The schemathesis CLI over every operation but the endless event stream, in all its phases
    (examples, coverage: boundaries and each parameter missing or malformed, fuzzing, stateful):
    no 5xx, every status, header and body as documented, invalid input refused, valid accepted."""
    st = Path(sys.executable).parent / "st"
    done = subprocess.run(
        [str(st), "run", f"{served.api.url}/openapi.json", "--exclude-path", "/api/v1/events", "--max-examples", "25",
         "--workers", "1", "--generation-database", "none", "--no-color"],
        cwd=tmp_path, capture_output=True, text=True, timeout=600,
    )
    summary = done.stdout[done.stdout.rfind("SUMMARY"):]
    assert done.returncode == 0, done.stdout[-6000:]
    assert f"Tested: {len(OPERATIONS)}" in summary and " passed" in summary, summary


@pytest.fixture(scope="module")
def spec(served: Served) -> dict[str, Any]:  # noqa: F811
    return served.api.get("/openapi.json").json()


def test_every_get_documents_its_body_errors_and_refusals(spec: dict[str, Any]):
    gets = {path: ops["get"] for path, ops in spec["paths"].items()
            if "get" in ops and path.startswith("/api/") and not path.startswith(("/api/v1/events", "/api/v1/export/"))}
    assert len(gets) >= 12
    for path, op in gets.items():
        responses = op["responses"]
        assert {"200", "422", "414", "429", "431"} <= set(responses), (path, sorted(responses))
        ok = responses["200"]["content"]["application/json"]["schema"]
        assert ok.get("$ref", "").startswith("#/components/schemas/"), (path, ok)  # a model, not {}
        invalid = responses["422"]["content"]["application/json"]["schema"]["$ref"]
        assert invalid == "#/components/schemas/InvalidParameters", path
        if path not in ("/api/v1/status", "/api/v1/export"):  # computed per request, not per snapshot
            assert "304" in responses and "ETag" in responses["304"]["headers"], path
    assert "404" in gets["/api/v1/models/{model_key}"]["responses"]
    assert spec["components"]["schemas"]["ModelSummary"]["additionalProperties"] is False


def test_sync_is_a_bearer_secured_operation(spec: dict[str, Any], api: ApiServer):
    assert spec["components"]["securitySchemes"]["HTTPBearer"] == {
        "type": "http", "scheme": "bearer", "description": "AISI_API_TOKEN of the API server."}
    op = spec["paths"]["/api/v1/sync/{source}"]["post"]
    assert op["security"] == [{"HTTPBearer": []}]
    assert {"202", "401", "403", "404", "409"} <= set(op["responses"])
    # No token configured on this server: without credentials 401 (saying sync is off), with any 403.
    missing = api.post("/api/v1/sync/openrouter")
    assert missing.status_code == 401 and missing.headers["WWW-Authenticate"] == "Bearer"
    assert "disabled" in missing.json()["error"]
    assert api.post("/api/v1/sync/openrouter", headers={"Authorization": "bearer x"}).status_code == 403


@pytest.fixture
def api(served: Served) -> ApiServer:  # noqa: F811
    return served.api
