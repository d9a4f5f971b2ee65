"""Migration 0005 on a PostgreSQL `curated` schema that already holds prices: stored rows become
base prices (above_tokens 0), the primary key gains above_tokens, offerings gain billing."""

from __future__ import annotations

import psycopg
import pytest
from yoyo import get_backend, read_migrations

from core.paths import read_sql
from core.stores.warehouse import MIGRATIONS_DIR, PostgresWarehouse, yoyo_url

pytestmark = pytest.mark.postgres


def test_migration_0005_upgrades_stored_prices(pg_database: str) -> None:
    with psycopg.connect(pg_database, autocommit=True) as conn:
        conn.execute(read_sql("postgres/create_schema.sql"))
    backend = get_backend(yoyo_url(pg_database))
    migrations = read_migrations(str(MIGRATIONS_DIR))
    before = migrations.__class__([m for m in migrations if m.id < "0005"], migrations.post_apply)
    with backend.lock():
        backend.apply_migrations(backend.to_apply(before))
    with psycopg.connect(pg_database) as conn:
        conn.execute(read_sql("postgres/set_search_path.sql"))
        conn.execute(
            "INSERT INTO offerings (provider_id, provider_model_id, model_key, creator, identity_method, source, source_kind) "
            "VALUES ('openai', 'gpt-4o', 'openai/gpt-4o', 'openai', 'rule', 'models_dev', 'aggregator')"
        )
        conn.execute(
            "INSERT INTO prices (provider_id, provider_model_id, model_key, price_type, usd_per_mtok, source, source_kind, valid_from) "
            "VALUES ('openai', 'gpt-4o', 'openai/gpt-4o', 'input', 2.5, 'models_dev', 'aggregator', '2026-01-01T00:00:00Z')"
        )

    applied = PostgresWarehouse(pg_database).migrate()
    assert [m for m in applied if m.startswith("0005")] == ["0005_price_tiers_billing"]

    with psycopg.connect(pg_database) as conn:
        conn.execute(read_sql("postgres/set_search_path.sql"))
        assert conn.execute("SELECT price_type, above_tokens, usd_per_mtok FROM prices").fetchall() == [("input", 0, 2.5)]
        assert conn.execute("SELECT provider_id, above_tokens, billing FROM current_prices").fetchall() == [("openai", 0, "metered")]
        key = conn.execute(
            "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
            "WHERE i.indrelid = 'curated.prices'::regclass AND i.indisprimary ORDER BY array_position(i.indkey, a.attnum)"
        ).fetchall()
        assert [c for (c,) in key] == ["provider_id", "provider_model_id", "price_type", "above_tokens", "valid_from"]
        # A long-context tier is a second row of the same price type, not a key clash.
        conn.execute(
            "INSERT INTO prices (provider_id, provider_model_id, model_key, price_type, above_tokens, usd_per_mtok, source, source_kind, valid_from) "
            "VALUES ('openai', 'gpt-4o', 'openai/gpt-4o', 'input', 200000, 5.0, 'litellm', 'aggregator', '2026-01-01T00:00:00Z')"
        )
        assert conn.execute("SELECT count(*) FROM current_prices WHERE price_type = 'input'").fetchone() == (2,)
        assert conn.execute("SELECT count(*) FROM leaderboard").fetchone() == (0,)
