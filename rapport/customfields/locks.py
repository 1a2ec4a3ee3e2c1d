"""Advisory locks that keep custom values and definition changes from racing.

Writes that set custom values take the tenant-and-entity lock in shared mode; definition changes that rewrite
stored values (rename, merge options, change type, delete) take it exclusively. A write that waited for such
a change sees the new schema_version and is refused with CONFLICT instead of writing values in the old shape.
Unique values take a lock per (field, value), so two writers of the same value are serialised and the second
sees the first's row.
"""

from __future__ import annotations

import uuid

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from rapport.db import driver
from rapport.db.driver import DriverStatement

# Every write that sets custom values sends these two, in one message, straight to the driver
# (rapport/db/driver.py).
_SHARED = DriverStatement.of(text("SELECT pg_advisory_xact_lock_shared(hashtextextended(:key, 0))"))
# A separate statement: a statement's snapshot is taken when it starts, so a version read in the locking
# statement would predate a definition change the lock waited for, and a stale writer would pass.
_VERSION = DriverStatement.of(text("SELECT schema_version FROM tenants WHERE id = :tenant"))
_EXCLUSIVE = text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))")


def _entity_key(tenant_id: uuid.UUID, entity: str) -> str:
    return f"rapport.custom:{tenant_id}:{entity}"


async def lock_for_values(conn: AsyncConnection, tenant_id: uuid.UUID, entity: str) -> int:
    """Take the shared lock for writing ``entity``'s custom values; returns the schema_version as it is once
    the lock is held (after any definition change the lock waited for has committed)."""
    params = {"key": _entity_key(tenant_id, entity), "tenant": tenant_id}
    row = await driver.first_after(conn, _SHARED, _VERSION, params)
    assert row is not None  # the request's own tenant
    return int(row.schema_version)


async def lock_for_definitions(conn: AsyncConnection, tenant_id: uuid.UUID, entity: str) -> None:
    """Take the exclusive lock before rewriting ``entity``'s stored custom values."""
    await conn.execute(_EXCLUSIVE, {"key": _entity_key(tenant_id, entity)})


async def lock_value(conn: AsyncConnection, tenant_id: uuid.UUID, definition_id: uuid.UUID, value: str) -> None:
    await conn.execute(_EXCLUSIVE, {"key": f"rapport.unique:{tenant_id}:{definition_id}:{value}"})
