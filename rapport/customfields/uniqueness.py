"""Unique custom fields: checked on every write under a per-value advisory lock, so concurrent writers of
the same value cannot both pass, even before the unique index exists. The error names the record that
already holds the value."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from rapport.customfields.definition import FieldDefinition
from rapport.customfields.locks import lock_value
from rapport.customfields.types.base import stored_text
from rapport.customfields.values import ValueProblem
from rapport.errors import UserErrorCode
from rapport.ids import to_global_id
from rapport.schema.declarations import Entity


def unique_text(stored: Any) -> str:
    """What the unique index compares: the stored value as ``custom ->> key`` renders it."""
    if isinstance(stored, bool):
        return "true" if stored else "false"
    return str(stored)


async def holders(
    conn: AsyncConnection,
    entity: Entity,
    tenant_id: uuid.UUID,
    definition: FieldDefinition,
    value: str,
    exclude: uuid.UUID | None,
) -> list[uuid.UUID]:
    table = entity.table
    condition = [table.c.tenant_id == tenant_id, stored_text(table.c.custom, definition.key) == value]
    if entity.soft_delete:
        condition.append(table.c.deleted_at.is_(None))
    if exclude is not None:
        condition.append(table.c.id != exclude)
    return list((await conn.execute(select(table.c.id).where(*condition).limit(1))).scalars())


async def check_unique(
    conn: AsyncConnection,
    entity: Entity,
    tenant_id: uuid.UUID,
    definitions: Mapping[str, FieldDefinition],
    custom: Mapping[str, Any],
    current: Mapping[str, Any],
    record_id: uuid.UUID | None,
) -> list[ValueProblem]:
    """Problems for unique values this write sets that another live record already has."""
    problems: list[ValueProblem] = []
    for key, definition in sorted(definitions.items()):
        if not definition.setting("unique") or key not in custom or custom.get(key) == current.get(key):
            continue
        value = unique_text(custom[key])
        await lock_value(conn, tenant_id, definition.id, value)
        found = await holders(conn, entity, tenant_id, definition, value, record_id)
        if found:
            other = to_global_id(entity.name, found[0])
            problems.append(
                ValueProblem(
                    ["custom", key], UserErrorCode.DUPLICATE, f"{definition.label}: {other} already has this value"
                )
            )
    return problems


async def duplicates(
    conn: AsyncConnection, entity: Entity, tenant_id: uuid.UUID, definition: FieldDefinition, limit: int = 5
) -> list[str]:
    """Values more than one live record holds (making a field unique is refused while there are any)."""
    from sqlalchemy import func

    table = entity.table
    value = stored_text(table.c.custom, definition.key)
    condition = [table.c.tenant_id == tenant_id, table.c.custom.has_key(definition.key)]
    if entity.soft_delete:
        condition.append(table.c.deleted_at.is_(None))
    stmt = select(value).where(*condition).group_by(value).having(func.count() > 1).limit(limit)
    return [str(v) for v in (await conn.execute(stmt)).scalars()]
