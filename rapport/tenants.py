"""Tenant administration for operators (CLI): create tenants with their owner, find them, issue tokens.

These run on the owner's connection: the tenant registry is visible to the owner, and every tenant-owned
row is written inside that tenant's context, under row-level security like any request.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from dataclasses import dataclass

from sqlalchemy import insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from rapport.auth import tokens
from rapport.ids import new_id
from rapport.models import ApiToken, Pipeline, PipelineStage, Tenant, User, table_of

ROLES = ("OWNER", "ADMIN", "MEMBER", "VIEWER")
_SET_TENANT = text("SELECT set_config('rapport.tenant_id', :tenant, true)")


async def enter_tenant(conn: AsyncConnection, tenant_id: uuid.UUID) -> None:
    """Scope the current transaction to one tenant (row-level security reads this setting)."""
    await conn.execute(_SET_TENANT, {"tenant": str(tenant_id)})


def slugify(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:40].strip("-")
    return slug or "tenant"


@dataclass(frozen=True)
class TenantRef:
    id: uuid.UUID
    slug: str
    name: str


@dataclass(frozen=True)
class CreatedTenant:
    tenant: TenantRef
    owner_id: uuid.UUID
    token: str


# The default sales process every tenant starts with: (name, win probability %, kind).
DEFAULT_STAGES = (
    ("Potential", 10, "OPEN"),
    ("Qualified", 20, "OPEN"),
    ("Needs analysis", 40, "OPEN"),
    ("Proposal", 60, "OPEN"),
    ("Negotiation", 80, "OPEN"),
    ("Won", 100, "WON"),
    ("Lost", 0, "LOST"),
)


async def create_default_pipeline(conn: AsyncConnection, tenant_id: uuid.UUID) -> uuid.UUID:
    pipeline_id = new_id()
    await conn.execute(
        insert(table_of(Pipeline)).values(tenant_id=tenant_id, id=pipeline_id, name="Sales", is_default=True)
    )
    await conn.execute(
        insert(table_of(PipelineStage)),
        [
            {
                "tenant_id": tenant_id,
                "id": new_id(),
                "pipeline_id": pipeline_id,
                "name": name,
                "position": position,
                "probability": probability,
                "kind": kind,
            }
            for position, (name, probability, kind) in enumerate(DEFAULT_STAGES, start=1)
        ],
    )
    return pipeline_id


async def find_tenant(conn: AsyncConnection, slug_or_id: str) -> TenantRef | None:
    table = table_of(Tenant)
    try:
        condition = table.c.id == uuid.UUID(slug_or_id)
    except ValueError:
        condition = table.c.slug == slug_or_id
    row = (await conn.execute(select(table.c.id, table.c.slug, table.c.name).where(condition))).first()
    return None if row is None else TenantRef(row.id, row.slug, row.name)


async def _free_slug(conn: AsyncConnection, wanted: str) -> str:
    table = table_of(Tenant)
    taken = set((await conn.execute(select(table.c.slug).where(table.c.slug.like(f"{wanted}%")))).scalars())
    if wanted not in taken:
        return wanted
    n = 2
    while f"{wanted}-{n}" in taken:
        n += 1
    return f"{wanted}-{n}"


async def create_tenant(
    conn: AsyncConnection,
    name: str,
    *,
    slug: str | None = None,
    owner_email: str | None = None,
    owner_name: str | None = None,
) -> CreatedTenant:
    """A tenant, its OWNER user and an OWNER token, in the caller's transaction."""
    name = name.strip()
    if not name:
        raise ValueError("a tenant needs a name")
    # Serialise slug allocation between concurrent creators.
    await conn.execute(text("SELECT pg_advisory_xact_lock(hashtext('rapport.tenant_slugs'))"))
    chosen = await _free_slug(conn, slugify(slug or name))
    tenant_id = new_id()
    await conn.execute(insert(table_of(Tenant)).values(id=tenant_id, name=name, slug=chosen))
    await enter_tenant(conn, tenant_id)
    owner_id = new_id()
    await conn.execute(
        insert(table_of(User)).values(
            tenant_id=tenant_id,
            id=owner_id,
            name=owner_name or f"{name} owner",
            email=(owner_email or f"owner@{chosen}.example").lower(),
            role="OWNER",
        )
    )
    await create_default_pipeline(conn, tenant_id)
    token = await tokens.issue(conn, tenant_id, owner_id, "OWNER", name="owner token (tenant create)")
    return CreatedTenant(TenantRef(tenant_id, chosen, name), owner_id, token)


async def issue_token(
    conn: AsyncConnection, tenant: TenantRef, role: str, *, user_email: str | None = None, name: str = "cli"
) -> str:
    """A new token for a user of the tenant (default: its owner) with ``role`` (at most the user's role)."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    await enter_tenant(conn, tenant.id)
    users = table_of(User)
    query = select(users.c.id, users.c.role).where(users.c.tenant_id == tenant.id)
    query = query.where(users.c.email == user_email.lower()) if user_email else query.where(users.c.role == "OWNER")
    user = (await conn.execute(query.order_by(users.c.id).limit(1))).first()
    if user is None:
        raise ValueError(f"no such user in tenant {tenant.slug}")
    if ROLES.index(role) < ROLES.index(user.role):
        raise ValueError(f"the user is {user.role}; a token cannot have more rights ({role})")
    return await tokens.issue(conn, tenant.id, user.id, role, name=name)


async def revoke_tokens_named(conn: AsyncConnection, tenant: TenantRef, name: str) -> None:
    await enter_tenant(conn, tenant.id)
    table = table_of(ApiToken)
    await conn.execute(
        update(table)
        .where(table.c.tenant_id == tenant.id, table.c.name == name, table.c.revoked_at.is_(None))
        .values(revoked_at=text("now()"))
    )
