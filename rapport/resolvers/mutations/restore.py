"""``<entity>Restore``: bring back a soft-deleted record while it is within the retention period.

A record comes back only when the records it points at are alive (restore a customer before its contacts).
Restoring a customer also restores the contacts that were deleted with it: the ones whose ``deleted_at`` is
the customer's (a customer delete stamps both in one transaction, so the times are equal). Once
``RAPPORT_DELETE_RETENTION_DAYS`` have passed, the record can no longer be restored and ``rapport purge``
removes it for good.

Not using ``from __future__ import annotations``: the resolver's signature names per-tenant classes.
"""

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

import strawberry
from sqlalchemy import Table, func, select, update

from rapport.config import get_settings
from rapport.context import RequestContext
from rapport.errors import UserErrorCode
from rapport.ids import from_global_id
from rapport.resolvers.mutations import crud
from rapport.resolvers.mutations.crud import Problems, TargetId
from rapport.schema.common import UserError
from rapport.schema.declarations import Entity
from rapport.schema.entities import ENTITIES

Info = strawberry.Info[RequestContext, None]
Cascade = Callable[[RequestContext, Any, dt.datetime], Awaitable[None]]


def retention() -> dt.timedelta:
    return dt.timedelta(days=get_settings().delete_retention_days)


def _entity_of_table(table: Table) -> Entity | None:
    return next((e for e in ENTITIES.values() if e.table is table and e.soft_delete), None)


async def _deleted_parents(ctx: RequestContext, entity: Entity, row: Any) -> list[str]:
    """Names of the soft-deleted records this row points at (they must come back first)."""
    found = []
    for constraint in entity.table.foreign_key_constraints:
        parent = _entity_of_table(constraint.referred_table)
        columns = [c.name for c in constraint.columns if c.name != "tenant_id"]
        if parent is None or len(columns) != 1 or getattr(row, columns[0]) is None:
            continue
        table = parent.table
        deleted = await ctx.conn.execute(
            select(table.c.deleted_at).where(table.c.tenant_id == ctx.tenant_id, table.c.id == getattr(row, columns[0]))
        )
        if deleted.scalar_one_or_none() is not None:
            found.append(parent.name)
    return found


async def _restore_contacts(ctx: RequestContext, customer: Any, deleted_at: dt.datetime) -> None:
    contacts = ENTITIES["Contact"].table
    await ctx.conn.execute(
        update(contacts)
        .where(
            contacts.c.tenant_id == ctx.tenant_id,
            contacts.c.customer_id == customer.id,
            contacts.c.deleted_at == deleted_at,
        )
        .values(deleted_at=None, version=contacts.c.version + 1, updated_at=func.now())
    )


# What else comes back with a restored record.
CASCADES: dict[str, Cascade] = {"Customer": _restore_contacts}


async def restore(ctx: RequestContext, entity: Entity, global_id: str) -> tuple[Any, list[UserError]]:
    problems = Problems()
    table = entity.table
    decoded = from_global_id(global_id)
    row = None
    if decoded is not None and decoded[0] == entity.name:
        row = (
            await ctx.conn.execute(
                select(*table.columns).where(table.c.tenant_id == ctx.tenant_id, table.c.id == decoded[1])
            )
        ).first()
    if row is None:
        problems.add(["id"], UserErrorCode.NOT_FOUND, f"no such {entity.name} in this tenant")
        return None, problems.items
    if row.deleted_at is None:
        problems.add(["id"], UserErrorCode.INVALID_STATE, f"the {entity.name} is not deleted")
        return None, problems.items
    if row.deleted_at < dt.datetime.now(dt.UTC) - retention():
        problems.add(
            ["id"],
            UserErrorCode.INVALID_STATE,
            f"the {entity.name} was deleted more than {get_settings().delete_retention_days:g} days ago and can no "
            "longer be restored",
        )
        return None, problems.items
    for parent in await _deleted_parents(ctx, entity, row):
        problems.add(["id"], UserErrorCode.INVALID_STATE, f"it belongs to a deleted {parent}; restore that first")
    if problems:
        return None, problems.items
    statement = (
        update(table)
        .where(table.c.tenant_id == ctx.tenant_id, table.c.id == row.id, table.c.deleted_at == row.deleted_at)
        .values(deleted_at=None, version=table.c.version + 1, updated_at=func.now())
        .returning(*table.columns)
    )
    cascade = CASCADES.get(entity.name)

    async def then(restored: Any) -> None:
        if cascade is not None:
            await cascade(ctx, restored, row.deleted_at)

    written = await crud._write(ctx, entity, statement, problems, None, then)
    if written is None:
        if not problems:  # restored (or purged) concurrently
            problems.add(["id"], UserErrorCode.CONFLICT, f"the {entity.name} changed meanwhile; read it again")
        return None, problems.items
    return await ctx.loaders.by_id(entity).load(written.id), []


def restore_resolver(entity: Entity, payload: Any, field_name: str) -> Callable[..., Awaitable[Any]]:
    async def resolve(info: Info, id: TargetId) -> payload | None:
        record, errors = await restore(info.context, entity, id)
        return payload(**{field_name: record, "user_errors": errors})

    return resolve
