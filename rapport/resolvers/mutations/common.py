"""Small checks several entities' rules share."""

from __future__ import annotations

import uuid
from typing import Any

from rapport.context import RequestContext
from rapport.errors import UserErrorCode
from rapport.resolvers.mutations.crud import Problems
from rapport.schema.entities import ENTITIES


def default_currency(ctx: RequestContext, values: dict[str, Any], current: Any) -> None:
    """New records without a currency use the tenant's."""
    if current is None and "currency" not in values:
        values["currency"] = ctx.settings.currency


def effective(values: dict[str, Any], current: Any, column: str) -> Any:
    """The value a column will have after this write."""
    if column in values:
        return values[column]
    return getattr(current, column) if current is not None else None


async def belongs_to(
    ctx: RequestContext,
    problems: Problems,
    *,
    child: str,
    child_id: uuid.UUID | None,
    column: str,
    parent_id: uuid.UUID | None,
    path: list[str],
    what: str,
) -> None:
    """Report when the referenced ``child`` row does not belong to ``parent_id`` (e.g. a contact of another
    customer). Missing rows are reported by the reference check itself."""
    if child_id is None or parent_id is None or any(p.field == path for p in problems.items):
        return
    record = await ctx.loaders.by_id(ENTITIES[child]).load(child_id)
    if record is not None and getattr(record, column) != parent_id:
        problems.add(path, UserErrorCode.INVALID, what)
