"""Built schemas, cached in-process and bounded (LRU).

Two levels: ``(tenant_id, schema_version) -> fingerprint`` answers the common case without touching the
database; ``fingerprint -> TenantSchema`` lets tenants with identical definitions (including all tenants
with none) share one built schema. A definition change bumps the tenant's schema_version, so the next
request of any process misses the first level, reloads definitions and builds or reuses a schema.
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections import OrderedDict
from functools import lru_cache
from typing import Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection

from rapport import metrics
from rapport.customfields.definition import FieldDefinition, schema_fingerprint
from rapport.customfields.service import load_definitions
from rapport.schema.tenant import TenantSchema, build_tenant_schema

K = TypeVar("K")
V = TypeVar("V")


class LRU(Generic[K, V]):
    def __init__(self, size: int) -> None:
        self.size = max(1, size)
        self._items: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        value = self._items.get(key)
        if value is not None:
            self._items.move_to_end(key)
        return value

    def put(self, key: K, value: V) -> None:
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self.size:
            self._items.popitem(last=False)

    def discard(self, key: K) -> None:
        self._items.pop(key, None)

    def __len__(self) -> int:
        return len(self._items)

    def key_list(self) -> list[K]:
        return list(self._items)


def role_fingerprint(definitions: list[FieldDefinition], role: str) -> str:
    """Tenants (and roles) whose definitions and visible fields match share one built schema."""
    visible = sorted(f"{d.entity}.{d.key}" for d in definitions if not d.archived and d.visible_to(role))
    return hashlib.sha256((schema_fingerprint(definitions) + "|" + ",".join(visible)).encode()).hexdigest()


class SchemaCache:
    def __init__(self, size: int = 256) -> None:
        self._versions: LRU[tuple[uuid.UUID, int, str], str] = LRU(size * 4)
        self._schemas: LRU[str, TenantSchema] = LRU(size)
        self._building: dict[str, asyncio.Future[TenantSchema]] = {}
        self.builds = 0

    def cached(self, tenant_id: uuid.UUID, schema_version: int, role: str) -> TenantSchema | None:
        """The schema ``get`` would return, if it is built already (no I/O)."""
        fingerprint = self._versions.get((tenant_id, schema_version, role))
        return None if fingerprint is None else self._schemas.get(fingerprint)

    def latest(self, tenant_id: uuid.UUID) -> TenantSchema | None:
        """The schema cached for the tenant's highest known version (for inspection and tests)."""
        keys = [k for k in self._versions.key_list() if k[0] == tenant_id]
        if not keys:
            return None
        fingerprint = self._versions.get(max(keys, key=lambda k: k[1]))
        return None if fingerprint is None else self._schemas.get(fingerprint)

    async def get(
        self, conn: AsyncConnection, tenant_id: uuid.UUID, schema_version: int, role: str = "OWNER"
    ) -> TenantSchema:
        """The schema a ``role`` of the tenant sees at ``schema_version`` (fields hidden from the role are absent)."""
        key = (tenant_id, schema_version, role)
        fingerprint = self._versions.get(key)
        if fingerprint is not None:
            cached = self._schemas.get(fingerprint)
            if cached is not None:
                return cached
        definitions = await load_definitions(conn, tenant_id)
        fingerprint = role_fingerprint(definitions, role)
        self._versions.put(key, fingerprint)
        cached = self._schemas.get(fingerprint)
        if cached is not None:
            return cached
        # Concurrent first requests for one fingerprint share a single build.
        pending = self._building.get(fingerprint)
        if pending is not None:
            return await pending
        future: asyncio.Future[TenantSchema] = asyncio.get_running_loop().create_future()
        self._building[fingerprint] = future
        try:
            built = build_tenant_schema(definitions, fingerprint, role)
            self.builds += 1
            metrics.SCHEMA_BUILDS.inc()
            self._schemas.put(fingerprint, built)
            future.set_result(built)
            return built
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # mark retrieved: waiters re-raise it
            raise
        finally:
            del self._building[fingerprint]


@lru_cache(maxsize=1)
def plain_schema() -> TenantSchema:
    """The schema of a tenant without custom fields."""
    return build_tenant_schema([], schema_fingerprint([]))


def base_type_names() -> set[str]:
    return set(plain_schema().graphql.type_map)
