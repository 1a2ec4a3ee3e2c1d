"""Per-request dataloaders: one batched statement per relation and argument set, whatever the row count.

Loaders live on the request context, so their caches never outlive a request (or cross tenants). Writes
clear the affected loaders.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import fields, is_dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any, TypeVar

import strawberry
from sqlalchemy import ColumnElement, and_, func, select
from strawberry.dataloader import DataLoader

from rapport.resolvers.filtering import base_condition
from rapport.resolvers.pagination import Page, PageRequest, SortKey, fetch_child_pages
from rapport.resolvers.records import record_class, to_records
from rapport.schema.declarations import Entity

if TYPE_CHECKING:
    from rapport.context import RequestContext


def freeze(value: Any) -> Hashable:
    """A hashable, order-stable form of GraphQL arguments (inputs, lists, enums), for loader keys."""
    if value is None or isinstance(value, str | int | float | bool | uuid.UUID):
        return value
    if isinstance(value, Enum):
        member: Hashable = value.value
        return member
    if isinstance(value, list | tuple):
        return tuple(freeze(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, freeze(v)) for k, v in value.items()))
    if is_dataclass(value):
        return tuple(
            (f.name, freeze(getattr(value, f.name)))
            for f in fields(value)
            if getattr(value, f.name) is not None and getattr(value, f.name) is not strawberry.UNSET
        )
    text: Hashable = repr(value)
    return text


K = TypeVar("K")
V = TypeVar("V")


class SharedLoader(DataLoader[K, V]):
    """A DataLoader whose callers may be cancelled one by one.

    Every caller of a key awaits one cached future. When a field fails, graphql-core cancels the sibling
    resolvers still running, and a resolver cancelled while awaiting that future cancels the future itself:
    every other field waiting for the same record then got a CancelledError, which is no Exception, so it
    escaped execution and failed the whole request. Each caller awaits its own shield of the future instead.
    """

    def load(self, key: K) -> Awaitable[V]:
        return asyncio.shield(super().load(key))


class Loaders:
    def __init__(self, ctx: RequestContext) -> None:
        self._ctx = ctx
        self._loaders: dict[Hashable, DataLoader[Any, Any]] = {}

    def _get(self, key: Hashable, load: Callable[[list[Any]], Awaitable[list[Any]]]) -> DataLoader[Any, Any]:
        loader = self._loaders.get(key)
        if loader is None:
            loader = self._loaders[key] = SharedLoader(load_fn=load)
        return loader

    def clear(self) -> None:
        """Forget everything loaded so far (after a write)."""
        self._loaders.clear()

    def batch(self, name: str, load: Callable[[list[Any]], Awaitable[list[Any]]]) -> DataLoader[Any, Any]:
        """A loader for a computed value (figures, scores): one call of ``load`` per batch of keys."""
        return self._get(("batch", name), load)

    def by_id(self, entity: Entity, *, include_deleted: bool = False) -> DataLoader[uuid.UUID, Any]:
        """Records by id (None when missing or another tenant's, and when deleted unless ``include_deleted``:
        what a record points at stays readable after it is deleted, e.g. an order's product)."""

        async def load(ids: list[uuid.UUID]) -> list[Any]:
            table = entity.table
            cls = record_class(table, entity.name)
            scope = (
                table.c.tenant_id == self._ctx.tenant_id
                if include_deleted
                else base_condition(entity, self._ctx.tenant_id)
            )
            stmt = select(*table.columns).where(scope, table.c.id.in_(ids))
            found = {r.id: r for r in to_records(cls, (await self._ctx.conn.execute(stmt)).all())}
            return [found.get(i) for i in ids]

        return self._get(("by_id", entity.name, include_deleted), load)

    def items(self, target: Entity, parent_column: str, order: tuple[str, ...]) -> DataLoader[uuid.UUID, list[Any]]:
        """Every ``target`` row of each parent, as a list in ``order``, all parents in one statement."""

        async def load(parent_ids: list[uuid.UUID]) -> list[list[Any]]:
            table = target.table
            cls = record_class(table, target.name)
            column = table.c[parent_column]
            stmt = (
                select(*table.columns)
                .where(base_condition(target, self._ctx.tenant_id), column.in_(parent_ids))
                .order_by(*(table.c[name] for name in order))
            )
            grouped: dict[uuid.UUID, list[Any]] = {p: [] for p in parent_ids}
            for record in to_records(cls, (await self._ctx.conn.execute(stmt)).all()):
                grouped[getattr(record, parent_column)].append(record)
            return [grouped[p] for p in parent_ids]

        return self._get(("items", target.name, parent_column), load)

    def child_pages(
        self,
        target: Entity,
        parent_column: str,
        args_key: Hashable,
        compile_args: Callable[[], tuple[ColumnElement[bool], Sequence[SortKey]]],
        request: PageRequest,
    ) -> DataLoader[uuid.UUID, Page]:
        """One page of ``target`` rows per parent id, all parents in one LATERAL statement. The filter and
        ordering are compiled once per argument set, not once per parent."""
        key = ("children", target.name, parent_column, args_key)
        if key in self._loaders:
            return self._loaders[key]
        where, keys = compile_args()

        async def load(parent_ids: list[uuid.UUID]) -> list[Page]:
            table = target.table
            cls = record_class(table, target.name)
            condition = and_(base_condition(target, self._ctx.tenant_id), where)
            pages = await fetch_child_pages(
                self._ctx.conn,
                list(table.columns),
                table.c[parent_column],
                parent_ids,
                condition,
                keys,
                request,
                cls,
            )
            return [pages[p] for p in parent_ids]

        return self._get(key, load)

    def child_counts(
        self,
        target: Entity,
        parent_column: str,
        filter_key: Hashable,
        compile_filter: Callable[[], ColumnElement[bool]],
    ) -> DataLoader[uuid.UUID, int]:
        """How many ``target`` rows (matching the filter) each parent has, in one grouped statement."""
        key = ("counts", target.name, parent_column, filter_key)
        if key in self._loaders:
            return self._loaders[key]
        where = compile_filter()

        async def load(parent_ids: list[uuid.UUID]) -> list[int]:
            table = target.table
            column = table.c[parent_column]
            stmt = (
                select(column, func.count())
                .where(base_condition(target, self._ctx.tenant_id), where, column.in_(parent_ids))
                .group_by(column)
            )
            counts: dict[uuid.UUID, int] = dict((await self._ctx.conn.execute(stmt)).all())
            return [counts.get(p, 0) for p in parent_ids]

        return self._get(key, load)
