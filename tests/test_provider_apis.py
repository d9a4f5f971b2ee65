"""The seven first-party provider APIs through the whole catalog graph, against the replay server:
paging, auth, badge `api` winning, the edges (no key, rejected key, 429, 500, repeated cursor)
and key hygiene (a planted key appears nowhere the platform writes or prints)."""

from __future__ import annotations

import gzip
import json
import time
from pathlib import Path

import duckdb
import pytest

from tests.conftest import API_FIXTURES, FIXTURES, ReplayedApis

pytestmark = pytest.mark.slow

SEVEN = ("openai", "anthropic", "google", "mistral", "cohere", "replicate", "huggingface")
BOUND_S = 30.0  # a refresh of everything, retries and Retry-After included, stays well under a minute
NO_KEY = "skipped: no API key (set OPENAI_API_KEY)"


def timed(refresh):
    started = time.monotonic()
    summary = refresh()
    elapsed = time.monotonic() - started
    assert elapsed < BOUND_S, f"refresh took {elapsed:.1f}s"
    assert summary.success, summary.errors
    return summary, elapsed


def latest(home: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(home / "snapshots" / "latest.duckdb"), read_only=True)


def rows(home: Path, sql: str, *params: object) -> list[tuple]:
    with latest(home) as con:
        return con.execute(sql, list(params)).fetchall()


def runs_of(home: Path, run_id: str) -> dict[str, dict[str, object]]:
    with latest(home) as con:
        cursor = con.execute("SELECT * FROM source_runs WHERE run_id = ?", [run_id])
        columns = [c[0] for c in cursor.description]
        found = [dict(zip(columns, r)) for r in cursor.fetchall()]
    return {r["source"]: r for r in found}


def with_overlap(apis: ReplayedApis) -> None:
    """Adds to the aggregator fixtures the offerings (google, gemini-2.5-pro) and (mistral,
    mistral-large-latest) with limits other than the provider APIs give."""
    overlap = json.loads((API_FIXTURES / "aggregator_overlap.json").read_text())
    models_dev = json.loads((FIXTURES / "models_dev_api.json").read_text()) | overlap["models_dev"]
    litellm = json.loads((FIXTURES / "litellm_prices.json").read_text()) | overlap["litellm"]
    apis.server.routes["/models_dev/api.json"].body = json.dumps(models_dev).encode()
    apis.server.routes["/litellm/model_prices_and_context_window.json"].body = json.dumps(litellm).encode()


# -- key hygiene ----------------------------------------------------------------------------


def _file_text(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if path.suffix == ".gz" else data


def _snapshot_texts(path: Path) -> list[tuple[str, str]]:
    """(table.column, every value cast to text) for every table and view of a DuckDB snapshot."""
    found = []
    with duckdb.connect(str(path), read_only=True) as con:
        columns = con.execute(
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'main' ORDER BY 1, 2"
        ).fetchall()
        for table, column in columns:
            text = con.execute(f'SELECT string_agg(CAST("{column}" AS VARCHAR), chr(10)) FROM "{table}"').fetchone()[0]
            found.append((f"{path.name}:{table}.{column}", text or ""))
    return found


def assert_no_key_anywhere(home: Path, secrets: list[str], texts: dict[str, str]) -> None:
    """No secret in any file under AISI_HOME (archive objects gunzipped, index.sqlite, snapshots,
    Dagster run/event/compute-log storage), any snapshot table, or any of ``texts``."""
    files = [p for p in home.rglob("*") if p.is_file()]
    # The scan covers what it claims to: archived payloads, the index, snapshots, Dagster storage.
    names = [str(p.relative_to(home)) for p in files]
    assert any(n.startswith("raw/objects/") and n.endswith(".gz") for n in names), names
    assert any(n == "raw/index.sqlite" for n in names), names
    assert any(n.startswith("snapshots/") and n.endswith(".duckdb") for n in names), names
    assert any(n.startswith("dagster/history/runs/") and n.endswith(".db") for n in names), names  # event logs
    assert any("/compute_logs/" in n for n in names), names  # captured step output
    # Pickled asset outputs (the fetch outcomes), one folder per run.
    assert any(n.startswith("dagster/storage/runs/") and n.endswith("/anthropic_raw") for n in names), names

    leaks = []
    for path in files:
        data = _file_text(path)
        leaks += [f"{path.relative_to(home)}" for s in secrets if s.encode() in data]
    snapshots = [p for p in (home / "snapshots").glob("*.duckdb") if not p.is_symlink()]
    assert snapshots
    scanned_columns = 0
    for snapshot in snapshots:
        for where, text in _snapshot_texts(snapshot):
            scanned_columns += 1
            leaks += [where for s in secrets if s in text]
    assert scanned_columns > 50  # every column of every table, not an empty scan
    for where, text in texts.items():
        leaks += [where for s in secrets if s in text]
    assert not leaks, f"a planted key leaked into: {sorted(set(leaks))}"


# -- the tests ------------------------------------------------------------------------------


def test_seven_provider_apis_land_with_badge_api_every_page_fetched_and_no_key_leaks(
    replay_apis: ReplayedApis, home, refresh, caplog, capsys
):
    with_overlap(replay_apis)
    summary, _ = timed(refresh)

    statuses = {s["source"]: (s["status"], s["badge"], s["error"]) for s in summary.sources}
    for source in SEVEN:
        assert statuses[source] == ("ok", "api", None), source
    runs = runs_of(home, summary.run_id)
    expected_rows = {"openai": 5, "anthropic": 5, "google": 6, "mistral": 5, "cohere": 5, "replicate": 4, "huggingface": 7}
    assert {s: (runs[s]["status"], runs[s]["badge"], runs[s]["rows"], runs[s]["http_status"]) for s in SEVEN} == {
        s: ("ok", "api", n, 200) for s, n in expected_rows.items()
    }
    assert {s: runs[s]["rejected"] for s in SEVEN} == {
        "openai": 1, "anthropic": 0, "google": 0, "mistral": 1, "cohere": 1, "replicate": 1, "huggingface": 0
    }
    assert "fine-tuned" in runs["openai"]["rejected_reasons"] and "private model" in runs["replicate"]["rejected_reasons"]

    # Paging: every page fetched once, in order, each with the key in the API's own header.
    for source, api in replay_apis.apis.items():
        assert replay_apis.targets_seen(source) == api.targets, source
        key = replay_apis.keys[api.key_variable]
        for seen in replay_apis.server.seen(api.path):
            assert seen.status == 200
            for header, value in api.auth(key).items():
                assert seen.headers.get(header) == value, (source, seen.target, header)
            assert key not in seen.target
    assert len(replay_apis.targets_seen("anthropic")) == 3 and len(replay_apis.targets_seen("replicate")) == 3

    with latest(home) as con:
        # Each API's offerings are in the snapshot, described by the API itself (badge api).
        by_source = dict(
            con.execute(
                "SELECT source, list(provider_model_id ORDER BY provider_model_id) FROM offerings "
                "WHERE source_kind = 'api' GROUP BY source"
            ).fetchall()
        )
        assert by_source["openai"] == sorted(["gpt-4o", "gpt-4o-2024-08-06", "o3-mini", "text-embedding-3-small", "dall-e-3"])
        assert by_source["anthropic"] == sorted([
            "claude-opus-4-1-20250805", "claude-opus-4-20250514", "claude-sonnet-4-20250514",
            "claude-3-7-sonnet-20250219", "claude-3-5-haiku-20241022",
        ])
        assert "gemini-2.5-pro" in by_source["google"] and "imagen-3.0-generate-002" in by_source["google"]
        assert len(by_source["google"]) == 6
        assert "ft:gpt-4o-mini:acme::abc" not in by_source["openai"]
        assert "acme/internal-classifier" not in by_source["replicate"] and len(by_source["replicate"]) == 4
        assert "command-r-plus-08-2024" in by_source["cohere"] and len(by_source["cohere"]) == 5
        assert "mistral-large-latest" in by_source["mistral"] and len(by_source["mistral"]) == 5
        assert len(by_source["huggingface"]) == 7

        # HF: one offering per serving provider, provider ids mapped, prices USD per 1M.
        hf = con.execute(
            "SELECT provider_id, provider_model_id FROM offerings WHERE source = 'huggingface' ORDER BY 1, 2"
        ).fetchall()
        assert ("novita-ai", "Qwen/Qwen3-235B-A22B") in hf and ("sambanova", "meta-llama/Llama-3.1-70B-Instruct") in hf
        assert all(provider for provider, _ in hf) and ("novita", "Qwen/Qwen3-235B-A22B") not in hf
        hf_prices = con.execute(
            "SELECT provider_id, provider_model_id, price_type, usd_per_mtok, source_kind FROM current_prices "
            "WHERE source = 'huggingface' ORDER BY 1, 2, 3"
        ).fetchall()
        assert ("novita-ai", "Qwen/Qwen3-235B-A22B", "input", 0.2, "api") in hf_prices
        assert ("sambanova", "meta-llama/Llama-3.1-70B-Instruct", "output", 1.2, "api") in hf_prices
        assert len(hf_prices) == 10 and not any(p[0] in ("nebius", "featherless-ai") for p in hf_prices)
        llama_key = con.execute(
            "SELECT DISTINCT model_key FROM offerings WHERE provider_model_id = 'meta-llama/Llama-3.1-70B-Instruct'"
        ).fetchall()
        assert llama_key == [("meta/llama-3.1-70b-instruct",)]  # one model with models.dev's and OpenRouter's ids

        # Listed by its provider, priced nowhere: published with no price rows (not 0), badge api.
        for provider_id, provider_model_id in (("anthropic", "claude-3-5-haiku-20241022"), ("google", "gemini-2.0-flash-001")):
            model_key, kind = con.execute(
                "SELECT model_key, source_kind FROM offerings WHERE provider_id = ? AND provider_model_id = ?",
                [provider_id, provider_model_id],
            ).fetchone()
            assert kind == "api"
            model = con.execute("SELECT source, source_kind, offerings_count FROM models WHERE model_key = ?", [model_key]).fetchone()
            assert model == (provider_id, "api", 1), model_key
            assert con.execute("SELECT count(*) FROM prices WHERE model_key = ?", [model_key]).fetchone()[0] == 0
            assert con.execute("SELECT count(*) FROM current_prices WHERE model_key = ?", [model_key]).fetchone()[0] == 0
        haiku = con.execute(
            "SELECT m.name, m.input_modalities, m.release_date FROM models m JOIN offerings o USING (model_key) "
            "WHERE o.provider_model_id = 'claude-3-5-haiku-20241022'"
        ).fetchone()
        assert haiku[0] == "Claude Haiku 3.5" and list(haiku[1]) == ["text", "image"] and str(haiku[2]) == "2024-10-22"

        # `api` wins over the aggregators for limits of the same offering: models.dev and LiteLLM
        # say 1,000,000 tokens for Gemini 2.5 Pro and 128,000 for Mistral Large (config 262,144).
        offering = con.execute(
            "SELECT context_window, max_output, source, source_kind FROM offerings "
            "WHERE provider_id = 'google' AND provider_model_id = 'gemini-2.5-pro'"
        ).fetchone()
        assert offering == (1048576, 65536, "google", "api")
        model = con.execute(
            "SELECT context_window, max_output, source_kind FROM models WHERE model_key = 'google/gemini-2.5-pro'"
        ).fetchone()
        assert model == (1048576, 65536, "api")
        # ... while the aggregators still price it.
        gemini_prices = con.execute(
            "SELECT source, price_type, usd_per_mtok FROM current_prices "
            "WHERE provider_id = 'google' AND provider_model_id = 'gemini-2.5-pro' AND price_type IN ('input', 'output') ORDER BY 2"
        ).fetchall()
        assert gemini_prices == [("models_dev", "input", 1.25), ("models_dev", "output", 10.0)]
        offering = con.execute(
            "SELECT context_window, deprecation_date, source_kind FROM offerings "
            "WHERE provider_id = 'mistral' AND provider_model_id = 'mistral-large-latest'"
        ).fetchone()
        assert (offering[0], str(offering[1]), offering[2]) == (131072, "2026-05-31", "api")
        model = con.execute(
            "SELECT context_window, source, source_kind FROM models WHERE model_key = 'mistral/mistral-large-latest'"
        ).fetchone()
        assert model == (131072, "mistral", "api")
        # Limits from an API on other offerings: Cohere's context, Gemini's output limit.
        assert con.execute(
            "SELECT context_window FROM offerings WHERE provider_id = 'cohere' AND provider_model_id = 'embed-english-v3.0'"
        ).fetchone() == (512,)

    # No planted key anywhere: files, tables, the summary, the logs.
    captured = capsys.readouterr()
    logs = caplog.text + captured.out + captured.err
    assert "anthropic: ok" in logs  # the captured logs are the run's (the scan below is not vacuous)
    assert_no_key_anywhere(
        home,
        list(replay_apis.keys.values()),
        {"summary": summary.render(1.0), "errors": "\n".join(summary.errors), "logs": logs},
    )


def test_edges_missing_key_rejected_key_retries_and_repeated_cursor_are_recorded_and_bounded(
    replay_apis: ReplayedApis, home, refresh, monkeypatch, caplog, capsys
):
    server = replay_apis.server
    wrong_anthropic = "sk-ant-api03-WRONGplantedKey9z8y7x6w"
    wrong_google = "AIzaSyWRONGplantedGoogleKey5v4u3t2s1"
    # No OpenAI key: skipped. A wrong Anthropic key: 401 on the first page.
    monkeypatch.delenv("OPENAI_API_KEY")
    monkeypatch.setenv("ANTHROPIC_API_KEY", wrong_anthropic)
    # Gemini's second page: 429 with Retry-After: 1, then the page.
    gemini_page2 = replay_apis.routes("google")[1]
    gemini_page2.mode, gemini_page2.fail_times = "429", 1
    # Mistral: 500, then the listing.
    mistral_route = replay_apis.routes("mistral")[0]
    mistral_route.mode, mistral_route.fail_times = "500-then-ok", 1
    # Replicate's second page sends the fetch back to the first page's URL.
    replicate_page2 = replay_apis.routes("replicate")[1]
    first_url = server.url + replay_apis.apis["replicate"].targets[0]
    page2 = json.loads(replicate_page2.body)
    page2["next"] = first_url
    replicate_page2.body = json.dumps(page2).encode()

    summary, elapsed = timed(refresh)
    assert elapsed >= 1.0  # the Retry-After was honoured
    by_source = {s["source"]: s for s in summary.sources}
    runs = runs_of(home, summary.run_id)

    # Missing key: skipped (not failed), nothing requested, nothing published.
    assert (by_source["openai"]["status"], by_source["openai"]["badge"], by_source["openai"]["error"]) == ("skipped", None, NO_KEY)
    assert (runs["openai"]["status"], runs["openai"]["error"], runs["openai"]["rows"]) == ("skipped", NO_KEY, 0)
    assert server.seen("/openai/v1/models") == []

    # Wrong key: 401, "key rejected", failed (no earlier good payload to serve).
    anthropic_run = runs["anthropic"]
    assert (anthropic_run["status"], anthropic_run["badge"], anthropic_run["http_status"]) == ("failed", None, 401)
    assert "key rejected (HTTP 401)" in anthropic_run["error"]
    assert [s.status for s in server.seen("/anthropic/v1/models")] == [401]  # not retried, not paged on
    assert server.seen("/anthropic/v1/models")[0].headers["x-api-key"] == wrong_anthropic

    # 429 with Retry-After, then the page: ok, and every page still arrives in order.
    google_targets = replay_apis.apis["google"].targets
    assert replay_apis.targets_seen("google") == [google_targets[0], google_targets[1], google_targets[1], google_targets[2]]
    assert [s.status for s in server.seen("/google/v1beta/models")] == [200, 429, 200, 200]
    assert (runs["google"]["status"], runs["google"]["badge"], runs["google"]["rows"]) == ("ok", "api", 6)

    # 500, then the listing: ok.
    assert [s.status for s in server.seen("/mistral/v1/models")] == [500, 200]
    assert (runs["mistral"]["status"], runs["mistral"]["badge"], runs["mistral"]["rows"]) == ("ok", "api", 5)

    # Repeated cursor: stopped after two pages with an error that says so.
    assert replay_apis.targets_seen("replicate") == replay_apis.apis["replicate"].targets[:2]
    assert runs["replicate"]["status"] == "failed" and "repeated cursor" in runs["replicate"]["error"]
    assert "repeated cursor" in by_source["replicate"]["error"]

    # The others are unaffected.
    for source in ("cohere", "huggingface"):
        assert (runs[source]["status"], runs[source]["badge"]) == ("ok", "api"), source
    text = summary.render(elapsed)
    assert NO_KEY in text and "key rejected (HTTP 401)" in text and "repeated cursor" in text
    assert rows(home, "SELECT count(*) FROM offerings WHERE source IN ('openai', 'anthropic', 'replicate')") == [(0,)]

    # Second run: Google's key (now from its second variable, GEMINI_API_KEY) is rejected; its
    # earlier good listing is served as cached. Cohere's key comes from CO_API_KEY and works.
    monkeypatch.delenv("GOOGLE_AI_API_KEY")
    monkeypatch.setenv("GEMINI_API_KEY", wrong_google)
    monkeypatch.delenv("COHERE_API_KEY")
    monkeypatch.setenv("CO_API_KEY", replay_apis.keys["COHERE_API_KEY"])
    second, _ = timed(refresh)
    runs = runs_of(home, second.run_id)
    assert (runs["cohere"]["status"], runs["cohere"]["badge"], runs["cohere"]["rows"]) == ("ok", "api", 5)
    assert replay_apis.targets_seen("cohere") == replay_apis.apis["cohere"].targets * 2
    google_run = runs["google"]
    assert (google_run["status"], google_run["badge"], google_run["http_status"]) == ("cached", "cached", 401)
    assert "key rejected (HTTP 401)" in google_run["error"]
    assert google_run["rows"] == 6
    assert rows(
        home, "SELECT context_window, source_kind FROM offerings WHERE provider_id = 'google' AND provider_model_id = 'gemini-2.5-pro'"
    ) == [(1048576, "cached")]
    assert (runs["anthropic"]["status"], runs["openai"]["status"]) == ("failed", "skipped")
    assert [s.status for s in server.seen("/google/v1beta/models")][-1] == 401
    assert server.seen("/google/v1beta/models")[-1].headers["x-goog-api-key"] == wrong_google

    # The rejected keys (and the good ones) appear nowhere: error texts included.
    captured = capsys.readouterr()
    logs = caplog.text + captured.out + captured.err
    assert "key rejected" in logs
    assert_no_key_anywhere(
        home,
        [*replay_apis.keys.values(), wrong_anthropic, wrong_google],
        {
            "summaries": summary.render(1.0) + second.render(1.0),
            "errors": "\n".join(summary.errors + second.errors),
            "logs": logs,
        },
    )
