"""``rapport purge``: remove for good what was deleted longer ago than the retention period, and expired
idempotency keys.

Runs as the table owner, one transaction per tenant with that tenant's context set (FORCE ROW LEVEL SECURITY
applies to the owner too). Tables are purged children first, so a parent goes after the deleted children that
pointed at it. A deleted record is kept while anything not purged still points at it (a live order of a
deleted customer, a tracking event of a still-referenced line): its references must be removed first. Rows that
only exist as part of a record (order lines, tracking events, stage history, ledger entries, balances,
campaign memberships) go with it. The audit trigger records each removal as PURGE (without values).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, Table, delete, exists, func, literal, or_, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from rapport.models import Base, IdempotencyKey, Tenant, table_of

BATCH = 500
# Rows that belong to a record and go with it: parent table -> (child table, column pointing at the parent).
OWNED: dict[str, tuple[tuple[str, str], ...]] = {
    "orders": (("order_items", "order_id"), ("shipment_events", "order_id")),
    "opportunities": (("opportunity_stage_changes", "opportunity_id"),),
    "customers": (("ledger_entries", "customer_id"), ("member_accounts", "id"), ("campaign_members", "customer_id")),
    "leads": (("campaign_members", "lead_id"),),
    "campaigns": (("campaign_members", "campaign_id"),),
}


def _soft_tables() -> list[Table]:
    """Tables with soft deletes, children before parents."""
    return [t for t in reversed(Base.metadata.sorted_tables) if "deleted_at" in t.c]


def _references_to(target: Table) -> list[tuple[Table, str]]:
    """Every (table, column) whose tenant-scoped foreign key points at ``target``."""
    found = []
    for table in Base.metadata.sorted_tables:
        for constraint in table.foreign_key_constraints:
            columns = [c.name for c in constraint.columns if c.name != "tenant_id"]
            if constraint.referred_table is target and len(columns) == 1:
                found.append((table, columns[0]))
    return found


def _unreferenced(target: Table, skip: Iterable[tuple[str, str]] = ()) -> list[ColumnElement[bool]]:
    """Conditions: no row (other than the ``skip`` ones) points at the ``target`` row."""
    skipped = set(skip)
    return [
        ~exists().where(table.c.tenant_id == target.c.tenant_id, table.c[column] == target.c.id)
        for table, column in _references_to(target)
        if (table.name, column) not in skipped
    ]


async def _purge_table(
    conn: AsyncConnection, tenant_id: uuid.UUID, table: Table, cutoff: ColumnElement[Any]
) -> Counter[str]:
    tables = Base.metadata.tables
    owned = OWNED.get(table.name, ())
    conditions = [table.c.tenant_id == tenant_id, table.c.deleted_at < cutoff, *_unreferenced(table, owned)]
    # A record's own rows must not be pointed at either (a service case naming one of an order's lines).
    for child_name, column in owned:
        child = tables[child_name]
        pointed_at = [~condition for condition in _unreferenced(child)]
        if pointed_at:
            conditions.append(
                ~exists().where(child.c.tenant_id == table.c.tenant_id, child.c[column] == table.c.id, or_(*pointed_at))
            )
    removed: Counter[str] = Counter()
    while True:
        ids = (await conn.execute(select(table.c.id).where(*conditions).limit(BATCH))).scalars().all()
        if not ids:
            return removed
        for child_name, column in owned:
            child = tables[child_name]
            result = await conn.execute(delete(child).where(child.c.tenant_id == tenant_id, child.c[column].in_(ids)))
            removed[child_name] += result.rowcount
        result = await conn.execute(delete(table).where(table.c.tenant_id == tenant_id, table.c.id.in_(ids)))
        removed[table.name] += result.rowcount


async def purge_tenant(conn: AsyncConnection, tenant_id: uuid.UUID, retention: dt.timedelta) -> Counter[str]:
    """Purge one tenant inside the caller's (owner) transaction."""
    await conn.execute(text("SELECT set_config('rapport.tenant_id', :t, true)"), {"t": str(tenant_id)})
    await conn.execute(text("SELECT set_config('rapport.audit_action', 'PURGE', true)"))
    cutoff = func.now() - literal(retention)
    removed: Counter[str] = Counter()
    for table in _soft_tables():
        removed += await _purge_table(conn, tenant_id, table, cutoff)
    keys = table_of(IdempotencyKey)
    result = await conn.execute(delete(keys).where(keys.c.tenant_id == tenant_id, keys.c.expires_at <= func.now()))
    removed["idempotency_keys"] += result.rowcount
    await conn.execute(text("SELECT set_config('rapport.audit_action', '', true)"))
    return removed


async def purge(
    engine: AsyncEngine, retention: dt.timedelta, tenant_ids: Iterable[uuid.UUID] | None = None
) -> Counter[str]:
    """Purge every tenant (or the given ones), one transaction each; returns rows removed per table."""
    if tenant_ids is None:
        async with engine.connect() as conn:
            tenants = table_of(Tenant)
            tenant_ids = list((await conn.execute(select(tenants.c.id).order_by(tenants.c.id))).scalars())
    total: Counter[str] = Counter()
    for tenant_id in tenant_ids:
        async with engine.begin() as conn:
            total += await purge_tenant(conn, tenant_id, retention)
    return total
