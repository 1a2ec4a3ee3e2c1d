"""Create, update and delete for any declared entity.

Every mutation validates all of its input first and reports every problem as a userError, writing nothing.
Writes run inside a savepoint, so a failure in one mutation of a document leaves the others intact and
never leaves half a change behind. Updates and deletes are optimistic: the row must still be at the
version the client read (``expectedVersion``) when the write happens, or the client gets CONFLICT.

Not using ``from __future__ import annotations``: resolvers built here name per-tenant classes.
"""

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, Protocol

import strawberry
from sqlalchemy import func, insert
from sqlalchemy import update as sql_update  # `update` below is the mutation
from sqlalchemy.exc import IntegrityError
from strawberry.utils.str_converters import to_camel_case

from rapport.context import RequestContext
from rapport.customfields.types.base import FieldValueError
from rapport.customfields.values import apply_custom_values
from rapport.errors import UserErrorCode
from rapport.ids import from_global_id, new_id, to_global_id
from rapport.resolvers.filtering import base_condition
from rapport.resolvers.records import record_class
from rapport.schema.common import UserError
from rapport.schema.declarations import Entity, run_parser
from rapport.schema.entities import ENTITIES

Info = strawberry.Info[RequestContext, None]
UNSET: Any = strawberry.UNSET


@dataclass
class Problems:
    items: list[UserError] = field(default_factory=list)

    def add(self, path: list[str], code: UserErrorCode, message: str) -> None:
        self.items.append(UserError(code=code, field=path, message=message))

    def __bool__(self) -> bool:
        return bool(self.items)


class Rules(Protocol):
    """Entity-specific checks and effects, beyond what the declaration says."""

    async def check(self, ctx: RequestContext, values: dict[str, Any], current: Any, problems: Problems) -> None: ...

    async def after_delete(self, ctx: RequestContext, record: Any) -> None: ...


class NoRules:
    async def check(self, ctx: RequestContext, values: dict[str, Any], current: Any, problems: Problems) -> None:
        return None

    async def after_delete(self, ctx: RequestContext, record: Any) -> None:
        return None


RULES: dict[str, Rules] = {}


def rules_for(entity: Entity) -> Rules:
    return RULES.get(entity.name, NoRules())


async def _collect(ctx: RequestContext, entity: Entity, data: Any, problems: Problems) -> dict[str, Any]:
    """Parsed column values for the input fields the client gave."""
    values: dict[str, Any] = {}
    references: list[tuple[list[str], Entity, uuid.UUID]] = []
    for item in entity.inputs:
        raw = getattr(data, item.name, UNSET)
        if raw is UNSET:
            continue
        path = ["input", to_camel_case(item.name)]
        if raw is None:
            if not item.nullable:
                problems.add(path, UserErrorCode.REQUIRED, "may not be null")
            elif item.expand is not None:
                values.update(item.expand(None))
            else:
                values[item.target_column] = None
            continue
        try:
            if item.reference is not None:
                decoded = from_global_id(str(raw))
                if decoded is None or decoded[0] != item.reference:
                    raise FieldValueError(UserErrorCode.NOT_FOUND, f"not a {item.reference} ID")
                references.append((path, ENTITIES[item.reference], decoded[1]))
                values[item.target_column] = decoded[1]
            elif item.expand is not None:
                values.update(item.expand(raw))
            else:
                values[item.target_column] = run_parser(item.parse, raw)
        except FieldValueError as exc:
            problems.add([*path, *exc.path], exc.code, exc.message)
    found = await asyncio.gather(*(ctx.loaders.by_id(target).load(key) for _, target, key in references))
    for (path, target, _), record in zip(references, found, strict=True):
        if record is None:
            problems.add(path, UserErrorCode.NOT_FOUND, f"no such {target.name} in this tenant")
    return values


def _custom(
    ctx: RequestContext, entity: Entity, data: Any, current: dict[str, Any], problems: Problems, *, creating: bool
) -> dict[str, Any] | None:
    if entity.custom_entity is None:
        return None
    definitions = ctx.custom_for(entity.custom_entity)
    custom, value_problems = apply_custom_values(
        definitions, current, getattr(data, "custom", UNSET), getattr(data, "custom_fields", UNSET), creating=creating
    )
    for p in value_problems:
        problems.add(["input", *p.path], p.code, p.message)
    return custom


async def _load_current(ctx: RequestContext, entity: Entity, global_id: str, problems: Problems) -> Any:
    decoded = from_global_id(global_id)
    record = None
    if decoded is not None and decoded[0] == entity.name:
        record = await ctx.loaders.by_id(entity).load(decoded[1])
    if record is None:
        problems.add(["id"], UserErrorCode.NOT_FOUND, f"no such {entity.name} in this tenant")
    return record


def _conflict(problems: Problems, current_version: int) -> None:
    problems.add(
        ["expectedVersion"],
        UserErrorCode.CONFLICT,
        f"the object changed since you read it; its current version is {current_version}",
    )


async def _write(
    ctx: RequestContext, entity: Entity, statement: Any, problems: Problems, values: dict[str, Any] | None = None
) -> Any:
    """Run one write in a savepoint; constraint violations become userErrors and undo the savepoint."""
    try:
        async with ctx.conn.begin_nested():
            row = (await ctx.conn.execute(statement)).first()
    except IntegrityError as exc:
        problems.add(*_constraint_problem(entity, exc, values or {}))
        return None
    finally:
        ctx.loaders.clear()
    return row


def _record(entity: Entity, row: Any) -> Any:
    cls: Any = record_class(entity.table, entity.name)
    return cls._make(row)


FOREIGN_KEY_VIOLATION = "23503"
UNIQUE_VIOLATION = "23505"


def _constraint_problem(
    entity: Entity, exc: IntegrityError, values: dict[str, Any]
) -> tuple[list[str], UserErrorCode, str]:
    """A broken database rule in the terms of the mutation's input. Validation checks every rule first, so this
    happens when a concurrent change (a referenced row deleted meanwhile) beat the write."""
    name = getattr(getattr(exc.orig, "diag", None), "constraint_name", None)
    sqlstate = getattr(exc.orig, "sqlstate", None)
    table = entity.table
    columns: set[str] = set()
    candidates: list[Any] = [*table.constraints, *table.indexes]
    for constraint in candidates:
        if name is not None and constraint.name == name:
            columns = {c.name for c in constraint.columns} - {"tenant_id"}
    inputs = [item for item in entity.inputs if item.target_column in columns]
    if not inputs and sqlstate == FOREIGN_KEY_VIOLATION:
        # The database names the constraint differently from the metadata: the key that broke is one of the
        # references this write set.
        inputs = [i for i in entity.inputs if i.reference is not None and values.get(i.target_column) is not None]
    path = ["input", to_camel_case(inputs[0].name)] if len(inputs) == 1 else ["input"]
    if sqlstate == FOREIGN_KEY_VIOLATION:
        return path, UserErrorCode.NOT_FOUND, "the object this refers to no longer exists (it was just deleted)"
    if sqlstate == UNIQUE_VIOLATION:
        return path, UserErrorCode.DUPLICATE, "another record already has this value"
    return path, UserErrorCode.INVALID, f"the change breaks a data rule ({name or 'integrity'})"


async def create(ctx: RequestContext, entity: Entity, data: Any) -> tuple[Any, list[UserError]]:
    problems = Problems()
    values = await _collect(ctx, entity, data, problems)
    custom = _custom(ctx, entity, data, {}, problems, creating=True)
    if custom is not None:
        values["custom"] = custom
    await rules_for(entity).check(ctx, values, None, problems)
    if problems:
        return None, problems.items
    table = entity.table
    statement = insert(table).values(tenant_id=ctx.tenant_id, id=new_id(), **values).returning(*table.columns)
    row = await _write(ctx, entity, statement, problems, values)
    return (None if row is None else _record(entity, row)), problems.items


async def update(
    ctx: RequestContext, entity: Entity, global_id: str, data: Any, expected_version: int
) -> tuple[Any, list[UserError]]:
    problems = Problems()
    current = await _load_current(ctx, entity, global_id, problems)
    if current is None:
        return None, problems.items
    if current.version != expected_version:
        _conflict(problems, current.version)
        return None, problems.items
    values = await _collect(ctx, entity, data, problems)
    custom = _custom(ctx, entity, data, current.custom, problems, creating=False)
    if custom is not None and custom != current.custom:
        values["custom"] = custom
    await rules_for(entity).check(ctx, values, current, problems)
    if problems:
        return None, problems.items
    changed = {k: v for k, v in values.items() if getattr(current, k) != v}
    if not changed:
        return current, []
    table = entity.table
    statement = (
        sql_update(table)
        .where(base_condition(entity, ctx.tenant_id), table.c.id == current.id, table.c.version == current.version)
        .values(**changed, version=table.c.version + 1, updated_at=func.now())
        .returning(*table.columns)
    )
    row = await _write(ctx, entity, statement, problems, changed)
    if row is None and not problems:
        _conflict(problems, current.version + 1)
    return (None if row is None else _record(entity, row)), problems.items


async def delete(
    ctx: RequestContext, entity: Entity, global_id: str, expected_version: int | None
) -> tuple[str | None, list[UserError]]:
    problems = Problems()
    current = await _load_current(ctx, entity, global_id, problems)
    if current is None:
        return None, problems.items
    if expected_version is not None and current.version != expected_version:
        _conflict(problems, current.version)
        return None, problems.items
    table = entity.table
    statement = (
        sql_update(table)
        .where(base_condition(entity, ctx.tenant_id), table.c.id == current.id, table.c.version == current.version)
        .values(deleted_at=func.now(), version=table.c.version + 1, updated_at=func.now())
        .returning(table.c.id)
    )
    async with ctx.conn.begin_nested():
        row = await _write(ctx, entity, statement, problems)
        if row is not None:
            await rules_for(entity).after_delete(ctx, current)
    if row is None:
        if not problems:
            _conflict(problems, current.version + 1)
        return None, problems.items
    return to_global_id(entity.name, current.id), []


ExpectedVersion = Annotated[int, strawberry.argument(description="The version you read; stale versions get CONFLICT.")]
TargetId = Annotated[strawberry.ID, strawberry.argument(description="ID of the object.")]


def create_resolver(entity: Entity, input_cls: Any, payload: Any, field_name: str) -> Callable[..., Awaitable[Any]]:
    async def resolve(info: Info, input: input_cls) -> payload | None:
        record, errors = await create(info.context, entity, input)
        return payload(**{field_name: record, "user_errors": errors})

    return resolve


def update_resolver(entity: Entity, input_cls: Any, payload: Any, field_name: str) -> Callable[..., Awaitable[Any]]:
    async def resolve(
        info: Info,
        id: TargetId,
        input: input_cls,
        expected_version: ExpectedVersion,
    ) -> payload | None:
        record, errors = await update(info.context, entity, id, input, expected_version)
        return payload(**{field_name: record, "user_errors": errors})

    return resolve


def delete_resolver(entity: Entity, payload: Any) -> Callable[..., Awaitable[Any]]:
    async def resolve(
        info: Info,
        id: TargetId,
        expected_version: Annotated[
            int | None, strawberry.argument(description="If given, the delete is refused (CONFLICT) when stale.")
        ] = None,
    ) -> payload | None:
        deleted_id, errors = await delete(info.context, entity, id, expected_version)
        return payload(deleted_id=deleted_id, user_errors=errors)

    return resolve
