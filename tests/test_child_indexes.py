"""Every nested list (``Children`` in the entity declarations) reads its page through an index that starts with
(tenant_id, the parent's key): without one, each parent's page reads the tenant's rows."""

from __future__ import annotations

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
