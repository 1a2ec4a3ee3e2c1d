"""A tenant's schema as SDL, for code generators."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from rapport.customfields.definition import schema_fingerprint
from rapport.customfields.service import load_definitions
from rapport.schema.factory import build_schema
from rapport.tenants import enter_tenant, find_tenant


async def tenant_sdl(conn: AsyncConnection, slug_or_id: str) -> str:
    tenant = await find_tenant(conn, slug_or_id)
    if tenant is None:
        raise LookupError(f"no tenant {slug_or_id!r}")
    await enter_tenant(conn, tenant.id)
    definitions = await load_definitions(conn, tenant.id)
    return build_schema(definitions, schema_fingerprint(definitions)).schema.as_str()
