"""Bulk test data written straight to the database (as the owner, inside the tenant), for tests that need
many rows and are not about the create mutations."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from rapport.ids import new_id, to_global_id
from rapport.models import Contact, Customer, User, table_of
from rapport.tenants import enter_tenant
from tests.conftest import Tenant


async def insert_customers(
    engine: AsyncEngine,
    tenant: Tenant,
    count: int,
    *,
    contacts_each: int = 0,
    custom: dict[str, Any] | None = None,
) -> list[str]:
    """``count`` company customers (global IDs returned), each with ``contacts_each`` contacts."""
    customers: list[dict[str, Any]] = []
    contacts: list[dict[str, Any]] = []
    async with engine.begin() as conn:
        await enter_tenant(conn, tenant.id)
        users = table_of(User)
        owner = (await conn.execute(select(users.c.id).where(users.c.tenant_id == tenant.id))).scalars().first()
    for i in range(count):
        customer_id = new_id()
        customers.append(
            {
                "tenant_id": tenant.id,
                "id": customer_id,
                "kind": "COMPANY",
                "name": f"Company {i:04d}",
                "owner_id": owner,
                "custom": custom or {},
            }
        )
        for j in range(contacts_each):
            contacts.append(
                {
                    "tenant_id": tenant.id,
                    "id": new_id(),
                    "customer_id": customer_id,
                    "name": f"Contact {i:04d}-{j}",
                    "custom": {},
                }
            )
    async with engine.begin() as conn:
        await enter_tenant(conn, tenant.id)
        await conn.execute(insert(table_of(Customer)), customers)
        if contacts:
            await conn.execute(insert(table_of(Contact)), contacts)
    return [to_global_id("Customer", c["id"]) for c in customers]


async def populate_custom(
    engine: AsyncEngine, tenant: Tenant, count: int, custom_sql: str, params: dict[str, Any] | None = None
) -> None:
    """``count`` customers whose custom values are ``custom_sql`` (evaluated per row, with ``params``)."""
    await insert_customers(engine, tenant, count)
    async with engine.begin() as conn:
        await enter_tenant(conn, tenant.id)
        await conn.execute(
            text(f"UPDATE customers SET custom = {custom_sql} WHERE tenant_id = :t"), {**(params or {}), "t": tenant.id}
        )
