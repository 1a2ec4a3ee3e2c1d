"""A tenant's schema as SDL, for code generators."""

from __future__ import annotations

from graphql import print_schema
from sqlalchemy.ext.asyncio import AsyncConnection

from rapport.customfields.definition import schema_fingerprint
from rapport.customfields.service import load_definitions
from rapport.schema.tenant import TenantSchema, build_tenant_schema
from rapport.tenants import enter_tenant, find_tenant


def sdl(schema: TenantSchema) -> str:
    """Types in a stable order (declaration order), so committed SDL diffs stay small."""
    return print_schema(schema.graphql)


async def tenant_sdl(conn: AsyncConnection, slug_or_id: str) -> str:
    tenant = await find_tenant(conn, slug_or_id)
    if tenant is None:
        raise LookupError(f"no tenant {slug_or_id!r}")
    await enter_tenant(conn, tenant.id)
    definitions = await load_definitions(conn, tenant.id)
    return sdl(build_tenant_schema(definitions, schema_fingerprint(definitions)))
