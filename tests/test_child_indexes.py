"""Indexes the relations need: every nested list (``Children`` in the entity declarations) reads its page through
an index that starts with (tenant_id, the parent's key), or each parent's page reads the tenant's rows; every
foreign key has an index on its columns, or each referenced row deleted reads the tenant's referencing rows; and
the tables that grow with the business list their newest rows first through an index."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from rapport.schema.declarations import Children
from rapport.schema.entities import ENTITIES


async def test_every_nested_list_has_an_index_on_its_parent_key(owner_engine: AsyncEngine) -> None:
    wanted = sorted(
        {
            (ENTITIES[field.target].table.name, field.column)
            for entity in ENTITIES.values()
            for field in entity.fields
            if isinstance(field, Children)
        }
    )
    assert len(wanted) >= 20
    async with owner_engine.connect() as conn:
        # Each index's first two columns, by name.
        rows = await conn.execute(
            text(
                "SELECT t.relname, a1.attname, a2.attname FROM pg_index i "
                "JOIN pg_class t ON t.oid = i.indrelid "
                "JOIN pg_attribute a1 ON a1.attrelid = i.indrelid AND a1.attnum = i.indkey[0] "
                "JOIN pg_attribute a2 ON a2.attrelid = i.indrelid AND a2.attnum = i.indkey[1] "
                "WHERE t.relnamespace = 'public'::regnamespace AND i.indpred IS NULL"
            )
        )
        leading = {(table, second) for table, first, second in rows if first == "tenant_id"}
    assert [w for w in wanted if w not in leading] == []


async def test_every_foreign_key_has_an_index_on_its_columns(owner_engine: AsyncEngine) -> None:
    """Deleting a referenced row (a purge, an erasure, a user removed) makes PostgreSQL look for the rows still
    pointing at it, once per row deleted: each foreign key needs an index whose leading columns are its own."""
    async with owner_engine.connect() as conn:
        rows = (
            await conn.execute(
                text(
                    "SELECT c.conrelid::regclass::text, c.conname, EXISTS ("
                    "  SELECT FROM pg_index i WHERE i.indrelid = c.conrelid AND i.indpred IS NULL"
                    "  AND (i.indkey::int2[])[0:cardinality(c.conkey) - 1] @> c.conkey"
                    "  AND (i.indkey::int2[])[0:cardinality(c.conkey) - 1] <@ c.conkey"
                    ") FROM pg_constraint c "
                    "WHERE c.contype = 'f' AND c.connamespace = 'public'::regnamespace"
                )
            )
        ).all()
    assert len(rows) >= 50
    assert [(table, name) for table, name, indexed in rows if not indexed] == []


# Tables that grow with the business: their lists' "newest first" (CREATED_AT) must walk an index, not sort the
# tenant's rows (orders by CREATED_AT DESC on the bench's largest tenant: 74 ms a page before, 1.9 ms after).
GROWING = (
    "customers",
    "contacts",
    "leads",
    "opportunities",
    "products",
    "orders",
    "service_cases",
    "interactions",
    "feedback",
    "ledger_entries",
)


@pytest.mark.parametrize("table", GROWING)
async def test_newest_first_walks_an_index(owner_engine: AsyncEngine, table: str) -> None:
    async with owner_engine.connect() as conn:
        # The tables are nearly empty here: with sorts and sequential scans ruled out, only an index that gives
        # (tenant_id, created_at, id) order can serve the page without a Sort node.
        await conn.execute(text("SET LOCAL enable_sort = off"))
        await conn.execute(text("SET LOCAL enable_seqscan = off"))
        plan = "\n".join(
            row[0]
            for row in await conn.execute(
                text(
                    f"EXPLAIN SELECT id FROM {table} WHERE tenant_id = '6f1c2a52-0000-4000-8000-000000000001' "
                    "AND (created_at, id) < ('2026-01-01', '6f1c2a52-0000-4000-8000-000000000002') "
                    "ORDER BY created_at DESC, id DESC LIMIT 20"
                )
            )
        )
    assert "Sort" not in plan
    assert f"ix_{table}_tenant_id_created_at_id" in plan
