"""Row-level security is the second wall: even SQL that forgets its tenant filter sees only the tenant set
on the transaction, and nothing at all when none is set."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import Tenant

TABLES = ("customers", "contacts", "users", "api_tokens", "custom_field_definitions", "tenants")


async def _customer(tenant: Tenant) -> None:
    await tenant.mutate(
        'mutation { customerCreate(input: {kind: COMPANY, name: "Walled"}) { customer { id } userErrors { code } } }'
    )


async def test_app_role_sees_nothing_without_a_tenant(app_role_engine: AsyncEngine, tenant: Tenant) -> None:
    await _customer(tenant)
    async with app_role_engine.connect() as conn:
        role = (
            await conn.execute(
                text("SELECT current_user, (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)")
            )
        ).one()
        assert role == ("rapport_app", False)
        for table in TABLES:
            count = (await conn.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one()
            assert count == 0, table


async def test_app_role_sees_only_the_current_tenant(
    app_role_engine: AsyncEngine, tenant: Tenant, other_tenant: Tenant
) -> None:
    await _customer(tenant)
    await _customer(other_tenant)
    async with app_role_engine.begin() as conn:
        await conn.execute(text("SELECT set_config('rapport.tenant_id', :t, true)"), {"t": str(tenant.id)})
        tenants = (await conn.execute(text("SELECT DISTINCT tenant_id FROM customers"))).scalars().all()
        assert tenants == [tenant.id]
        visible = (await conn.execute(text("SELECT id FROM tenants"))).scalars().all()
        assert visible == [tenant.id]


async def test_reset_setting_reads_as_no_tenant(app_role_engine: AsyncEngine, tenant: Tenant) -> None:
    """After a transaction-local setting ends, the placeholder reads '' — still no rows, not an error."""
    await _customer(tenant)
    async with app_role_engine.connect() as conn:
        async with conn.begin():
            await conn.execute(text("SELECT set_config('rapport.tenant_id', :t, true)"), {"t": str(tenant.id)})
        assert (await conn.execute(text("SELECT count(*) FROM customers"))).scalar_one() == 0


async def test_app_role_cannot_write_into_another_tenant(
    app_role_engine: AsyncEngine, tenant: Tenant, other_tenant: Tenant
) -> None:
    insert = text("INSERT INTO customers (tenant_id, id, kind, name) VALUES (:t, :i, 'PERSON', 'Intruder')")
    async with app_role_engine.begin() as conn:
        await conn.execute(text("SELECT set_config('rapport.tenant_id', :t, true)"), {"t": str(tenant.id)})
        with pytest.raises(DBAPIError, match="row-level security"):
            await conn.execute(insert, {"t": other_tenant.id, "i": uuid.uuid4()})
        await conn.rollback()
