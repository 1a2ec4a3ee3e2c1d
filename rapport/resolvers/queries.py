# Types here are built at run time; mypy cannot check annotations that name them.
# mypy: disable-error-code="valid-type"
"""Read resolvers, built per entity when the base schema is generated: global IDs, references, child connections,
root connections, ``node``/``nodes`` and custom values.

Not using ``from __future__ import annotations``: the generated classes passed in must be named by the
signatures below at definition time.
"""

import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import strawberry
from sqlalchemy import and_, func, select
from strawberry.scalars import JSON

from rapport.context import RequestContext
from rapport.errors import BadInput
from rapport.ids import from_global_id, to_global_id
from rapport.resolvers.filtering import base_condition, filter_condition, order_keys
from rapport.resolvers.loaders import freeze
from rapport.resolvers.pagination import fetch_page, page_request
from rapport.resolvers.records import record_class
from rapport.schema.common import ConnectionValue, Node
from rapport.schema.declarations import Children, Entity, Items, Reference
from rapport.schema.entities import ENTITIES

Info = strawberry.Info[RequestContext, None]

First = Annotated[int | None, strawberry.argument(description="Return the first n items (1 to 100).")]
After = Annotated[str | None, strawberry.argument(description="Start after this cursor.")]
Last = Annotated[int | None, strawberry.argument(description="Return the last n items (1 to 100).")]
Before = Annotated[str | None, strawberry.argument(description="End before this cursor.")]
MAX_NODES = 100


def global_id_resolver(type_name: str) -> Callable[..., strawberry.ID]:
    def resolve(root: strawberry.Parent[Any]) -> strawberry.ID:
        return strawberry.ID(to_global_id(type_name, root.id))

    return resolve


def reference_resolver(field: Reference, target: Entity, annotation: Any) -> Callable[..., Awaitable[Any]]:
    column = field.column

    async def resolve(root: strawberry.Parent[Any], info: Info) -> annotation:
        key = getattr(root, column)
        if key is None:
            return None
        return await info.context.loaders.by_id(target, include_deleted=True).load(key)

    return resolve


def children_resolver(
    field: Children, target: Entity, connection: Any, filter_cls: Any, order_cls: Any
) -> Callable[..., Awaitable[Any]]:
    column = field.column

    async def resolve(
        root: strawberry.Parent[Any],
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        filter: Annotated[filter_cls | None, strawberry.argument(description="Only items matching this.")] = None,
        order_by: Annotated[list[order_cls] | None, strawberry.argument(description="Sort keys, in order.")] = None,
    ) -> connection:
        ctx = info.context
        request = page_request(first, after, last, before)
        custom = ctx.custom_for(target.custom_entity)
        filter_key = freeze(filter)
        loaders = ctx.loaders
        pages = loaders.child_pages(
            target,
            column,
            (filter_key, freeze(order_by), request),
            lambda: (filter_condition(target, custom, filter), order_keys(target, custom, order_by)),
            request,
        )
        page = await pages.load(root.id)

        async def count() -> int:
            counts = loaders.child_counts(target, column, filter_key, lambda: filter_condition(target, custom, filter))
            return await counts.load(root.id)

        return ConnectionValue(page, count)

    return resolve


def items_resolver(field: Items, target: Entity, target_cls: Any) -> Callable[..., Awaitable[Any]]:
    column, order = field.column, field.order

    async def resolve(root: strawberry.Parent[Any], info: Info) -> list[target_cls]:
        return await info.context.loaders.items(target, column, order).load(root.id)

    return resolve


def root_resolver(entity: Entity, connection: Any, filter_cls: Any, order_cls: Any) -> Callable[..., Awaitable[Any]]:
    table = entity.table
    record_cls = record_class(table, entity.name)

    async def resolve(
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        filter: Annotated[filter_cls | None, strawberry.argument(description="Only items matching this.")] = None,
        order_by: Annotated[list[order_cls] | None, strawberry.argument(description="Sort keys, in order.")] = None,
    ) -> connection:
        ctx = info.context
        request = page_request(first, after, last, before)
        custom = ctx.custom_for(entity.custom_entity)
        where = and_(base_condition(entity, ctx.tenant_id), filter_condition(entity, custom, filter))
        page = await fetch_page(
            ctx.conn, list(table.columns), where, order_keys(entity, custom, order_by), request, record_cls
        )

        async def count() -> int:
            return int((await ctx.conn.execute(select(func.count()).select_from(table).where(where))).scalar_one())

        return ConnectionValue(page, count)

    return resolve


def _decode(global_id: str) -> tuple[Entity, uuid.UUID] | None:
    decoded = from_global_id(global_id)
    if decoded is None or decoded[0] not in ENTITIES:
        return None
    return ENTITIES[decoded[0]], decoded[1]


async def node(
    info: Info,
    id: Annotated[strawberry.ID, strawberry.argument(description="A global ID.")],
) -> Node | None:
    """The object with this ID, or null when it does not exist in this tenant."""
    decoded = _decode(id)
    if decoded is None:
        return None
    entity, key = decoded
    return await info.context.loaders.by_id(entity).load(key)  # type: ignore[no-any-return]


async def nodes(
    info: Info, ids: Annotated[list[strawberry.ID], strawberry.argument(description="Up to 100 global IDs.")]
) -> list[Node | None]:
    """The objects with these IDs, in order; null where one does not exist in this tenant."""
    if len(ids) > MAX_NODES:
        raise BadInput(f"at most {MAX_NODES} ids")
    pending: list[Awaitable[Any] | None] = []
    for global_id in ids:
        decoded = _decode(global_id)
        pending.append(None if decoded is None else info.context.loaders.by_id(decoded[0]).load(decoded[1]))
    return [None if p is None else await p for p in pending]


def custom_resolver(output_cls: Any) -> Callable[..., Any]:
    def resolve(root: strawberry.Parent[Any]) -> output_cls:
        # The row's JSONB dict is served directly: field types store values in their wire form.
        return root.custom

    return resolve


def custom_json_resolver(entity: Entity) -> Callable[..., Any]:
    custom_entity = entity.custom_entity

    def resolve(root: strawberry.Parent[Any], info: Info) -> JSON:
        active = info.context.custom_for(custom_entity)
        return JSON({k: v for k, v in root.custom.items() if k in active})

    return resolve


__all__ = ["base_condition"]
