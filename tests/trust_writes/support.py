"""Helpers for the trust tests: raw rows through the owner connection, and the audit trail through the API."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from rapport.ids import from_global_id
from rapport.tenants import enter_tenant
from tests.conftest import Tenant

ERRORS = "userErrors { code field message }"
AUDIT_FIELDS = (
    "id occurredAt action entity entityId customerId actorUserId tokenId requestId "
    "actor { id } changes { field before after }"
)


def uuid_of(global_id: str) -> uuid.UUID:
    decoded = from_global_id(global_id)
    assert decoded is not None, global_id
    return decoded[1]


async def rows(engine: AsyncEngine, tenant: Tenant, sql: str, **params: Any) -> list[Any]:
    """Rows of ``sql`` run as the owner inside the tenant (name the tenant in ``sql`` too: the test cluster's
    owner is a superuser, whom row-level security does not stop)."""
    async with engine.begin() as conn:
        await enter_tenant(conn, tenant.id)
        return list((await conn.execute(text(sql), params)).all())


async def execute(engine: AsyncEngine, tenant: Tenant, sql: str, **params: Any) -> None:
    async with engine.begin() as conn:
        await enter_tenant(conn, tenant.id)
        await conn.execute(text(sql), params)


async def audit(tenant: Tenant, entity_id: str | None = None, first: int = 100, token: str | None = None) -> list[Any]:
    """Audit entries (newest first) through ``auditLog``."""
    data = await tenant.data(
        "query ($id: ID, $first: Int!) { auditLog(entityId: $id, first: $first) "
        f"{{ edges {{ node {{ {AUDIT_FIELDS} }} }} }} }}",
        {"id": entity_id, "first": first},
        token,
    )
    return [edge["node"] for edge in data["auditLog"]["edges"]]


def changes(entry: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    return {c["field"]: (c["before"], c["after"]) for c in entry["changes"]}


async def create_customer(tenant: Tenant, name: str, **fields: Any) -> dict[str, Any]:
    payload = await tenant.mutate(
        "mutation ($input: CustomerCreateInput!) { customerCreate(input: $input) "
        f"{{ customer {{ id version name }} {ERRORS} }} }}",
        {"input": {"kind": "PERSON", "name": name, **fields}},
    )
    customer: dict[str, Any] = payload["customer"]
    return customer
