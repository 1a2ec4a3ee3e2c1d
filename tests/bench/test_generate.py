"""The bench data generator: the same seed gives the same rows, and loaded rows keep every rule."""

from __future__ import annotations

import decimal
import uuid
from collections import defaultdict
from typing import Any

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.fields import CUSTOMER_FIELDS, in_memory_definitions
from bench.generate import COLUMNS, TABLE_ORDER, LoadReport, TenantRows, count_rows, load_tenant
from bench.presets import PRESETS, TenantPlan
from rapport.customfields.service import load_definitions
from rapport.customfields.types.registry import field_type
from rapport.tenants import enter_tenant

TENANT = uuid.UUID(int=1)
OWNER = uuid.UUID(int=2)
# Made once: select options get random ids when defined, and stored values are those ids.
DEFINITIONS = in_memory_definitions(CUSTOMER_FIELDS)


def generate_all(seed: int) -> dict[str, list[tuple[Any, ...]]]:
    rows = TenantRows(PRESETS["tiny"].tenants[0], seed, TENANT, OWNER, DEFINITIONS)
    made: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    for table, table_rows in rows.fixed().items():
        made[table] += table_rows
    for chunk in rows.chunks(size=7):
        for table, table_rows in chunk.items():
            made[table] += table_rows
    return made


def test_the_same_seed_gives_the_same_rows() -> None:
    first, again, other = generate_all(1), generate_all(1), generate_all(2)
    assert first == again
    assert first["customers"] != other["customers"]
    assert set(first) == set(TABLE_ORDER)
    assert all(len(row) == len(COLUMNS[table]) for table, rows in first.items() for row in rows)


def test_ids_are_uuid7_in_generation_order() -> None:
    made = generate_all(1)
    ids = [row[1] for table in TABLE_ORDER for row in made[table]]
    assert all(i.version == 7 for i in ids)
    assert len(set(ids)) == len(ids)
    customers = [row[1] for row in made["customers"]]
    assert customers == sorted(customers)


def test_rows_are_proportional_to_customers() -> None:
    made = generate_all(3)
    customers = len(made["customers"])
    assert customers == PRESETS["tiny"].customers
    assert 1.2 < len(made["contacts"]) / customers < 2.8
    assert 3.5 < len(made["orders"]) / customers < 6.5
    assert 2.3 < len(made["order_items"]) / len(made["orders"]) < 3.7
    assert 7 < len(made["interactions"]) / customers < 13


async def count(engine: AsyncEngine, tenant_id: uuid.UUID, sql: str) -> Any:
    async with engine.begin() as conn:
        await enter_tenant(conn, tenant_id)
        return (await conn.execute(text(sql), {"t": tenant_id})).scalar_one()


async def test_loaded_rows_keep_the_rules(tiny: LoadReport, owner_engine: AsyncEngine) -> None:
    tenant = tiny.tenants[0]
    t = tenant.ref.id
    assert tenant.rows["customers"] == PRESETS["tiny"].customers
    for table in TABLE_ORDER:
        assert await count(owner_engine, t, f"SELECT count(*) FROM {table} WHERE tenant_id = :t") == tenant.rows[table]
    # Order totals are the sums of their lines, as the API computes them.
    mismatched = await count(
        owner_engine,
        t,
        """SELECT count(*) FROM orders o
             JOIN LATERAL (SELECT sum(i.unit_price * i.quantity) AS gross, sum(i.discount) AS discount,
                                  sum(i.line_total) AS total
                             FROM order_items i WHERE i.tenant_id = o.tenant_id AND i.order_id = o.id) s ON true
            WHERE o.tenant_id = :t
              AND (o.subtotal, o.discount_total, o.total) IS DISTINCT FROM (s.gross, s.discount, s.total)""",
    )
    assert mismatched == 0
    # Only companies have contacts; interactions name contacts of their own customer.
    person_contacts = await count(
        owner_engine,
        t,
        """SELECT count(*) FROM contacts x JOIN customers c ON c.tenant_id = x.tenant_id AND c.id = x.customer_id
            WHERE x.tenant_id = :t AND c.kind <> 'COMPANY'""",
    )
    assert person_contacts == 0
    foreign_contacts = await count(
        owner_engine,
        t,
        """SELECT count(*) FROM interactions i JOIN contacts x ON x.tenant_id = i.tenant_id AND x.id = i.contact_id
            WHERE i.tenant_id = :t AND x.customer_id <> i.customer_id""",
    )
    assert foreign_contacts == 0


async def test_custom_values_are_what_the_api_would_store(tiny: LoadReport, owner_engine: AsyncEngine) -> None:
    t = tiny.tenants[0].ref.id
    async with owner_engine.begin() as conn:
        definitions = {d.key: d for d in await load_definitions(conn, t)}
        await enter_tenant(conn, t)
        rows = (await conn.execute(text("SELECT custom FROM customers WHERE tenant_id = :t"), {"t": t})).scalars()
        customs = list(rows)
    assert {s.key for s in CUSTOMER_FIELDS} == set(definitions)
    seen: set[str] = set()
    for custom in customs:
        assert set(custom) <= set(definitions)
        assert "signupDate" in custom  # customFilter sorts by it: every customer has one
        for key, value in custom.items():
            definition = definitions[key]
            assert field_type(definition.type).to_storage(value, definition) == value, (key, value)
            seen.add(key)
    assert len(seen) >= 15  # most fields hold values somewhere


def test_decimal_values_are_exact() -> None:
    made = generate_all(5)
    for row in made["order_items"]:
        price, quantity, discount, line_total = row[6], row[5], row[7], row[8]
        assert isinstance(price, decimal.Decimal)
        assert line_total == (price * quantity).quantize(decimal.Decimal("0.01")) - discount >= 0
    custom = orjson.loads(made["customers"][0][COLUMNS["customers"].index("custom")])
    assert isinstance(custom, dict)


async def test_roles_under_row_level_security_load_through_staging_tables(owner_engine: AsyncEngine) -> None:
    # COPY cannot write into a table under RLS for a role that does not bypass it; staging tables can.
    plan = TenantPlan(0, 12, CUSTOMER_FIELDS[:5])
    async with owner_engine.begin() as conn:
        loaded = await load_tenant(conn, "staged", plan, 11, direct=False)
    async with owner_engine.begin() as conn:
        assert await count_rows(conn, loaded.ref.id) == loaded.rows
    assert loaded.rows["customers"] == 12
