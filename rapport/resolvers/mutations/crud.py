"""Create, update and delete for any declared entity.

Every mutation validates all of its input first and reports every problem as a userError, writing nothing.
Writes run inside a savepoint, so a failure in one mutation of a document leaves the others intact and
never leaves half a change behind. Updates and deletes are optimistic: the row must still be at the
version the client read (``expectedVersion``) when the write happens, or the client gets CONFLICT.

Not using ``from __future__ import annotations``: resolvers built here name per-tenant classes.
"""

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Annotated, Any, Protocol

import strawberry
from sqlalchemy import ClauseElement, bindparam, func, insert
from sqlalchemy import delete as sql_delete
from sqlalchemy import update as sql_update  # `update` below is the mutation
from sqlalchemy.exc import IntegrityError
from strawberry.utils.str_converters import to_camel_case

from rapport.context import RequestContext
from rapport.customfields.definition import FieldDefinition
from rapport.customfields.locks import lock_for_values
from rapport.customfields.types.base import FieldValueError
from rapport.customfields.types.reference import target_of
from rapport.customfields.uniqueness import check_unique
from rapport.customfields.values import ValueProblem, apply_custom_values, given_keys, input_of
from rapport.db import driver
from rapport.db.driver import BoundStatement
from rapport.errors import UserErrorCode
from rapport.idempotency import KeyArgument, idempotent_write
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


class Refusal(Exception):
    """Raised inside a write (``after_write``) to undo it and report problems instead."""

    def __init__(self, problems: Problems) -> None:
        super().__init__("refused")
        self.problems = problems


class Rules(Protocol):
    """Entity-specific checks and effects, beyond what the declaration says.

    ``check`` runs before anything is written: it may add problems, fill defaults into ``values`` (the
    columns to write) and read ``extras`` (input fields that are not columns, such as an order's lines).
    ``after_write`` runs in the same savepoint as the insert or update, with the written record.
    """

    async def check(
        self, ctx: RequestContext, values: dict[str, Any], current: Any, problems: Problems, extras: dict[str, Any]
    ) -> None: ...

    async def after_write(self, ctx: RequestContext, record: Any, current: Any, extras: dict[str, Any]) -> None: ...

    async def after_delete(self, ctx: RequestContext, record: Any) -> None: ...


class NoRules:
    async def check(
        self, ctx: RequestContext, values: dict[str, Any], current: Any, problems: Problems, extras: dict[str, Any]
    ) -> None:
        return None

    async def after_write(self, ctx: RequestContext, record: Any, current: Any, extras: dict[str, Any]) -> None:
        return None

    async def after_delete(self, ctx: RequestContext, record: Any) -> None:
        return None


RULES: dict[str, Rules] = {}


def rules_for(entity: Entity) -> Rules:
    return RULES.get(entity.name, NoRules())


async def _collect(
    ctx: RequestContext, entity: Entity, data: Any, problems: Problems, extras: dict[str, Any], current: Any = None
) -> dict[str, Any]:
    """Parsed column values for the input fields the client gave; virtual inputs go to ``extras`` as sent.

    References must point at live objects of this tenant; a newly given user (an owner or assignee) must be
    active: inactive users keep what they hold but take on nothing new."""
    values: dict[str, Any] = {}
    references: list[tuple[list[str], Entity, uuid.UUID, str]] = []
    for item in entity.inputs:
        raw = getattr(data, item.name, UNSET)
        if raw is UNSET:
            continue
        path = ["input", to_camel_case(item.name)]
        if item.virtual:
            extras[item.name] = raw
            continue
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
                references.append((path, ENTITIES[item.reference], decoded[1], item.target_column))
                values[item.target_column] = decoded[1]
            elif item.expand is not None:
                values.update(item.expand(raw))
            else:
                parsed = run_parser(item.parse, raw)
                if parsed is None and not item.nullable:
                    raise FieldValueError(UserErrorCode.REQUIRED, "may not be empty")
                values[item.target_column] = parsed
        except FieldValueError as exc:
            problems.add([*path, *exc.path], exc.code, exc.message)
    found = await asyncio.gather(*(ctx.loaders.by_id(target).load(key) for _, target, key, _ in references))
    for (path, target, key, column), record in zip(references, found, strict=True):
        if record is None:
            problems.add(path, UserErrorCode.NOT_FOUND, f"no such {target.name} in this tenant")
        elif target.name == "User" and not record.active and getattr(current, column, None) != key:
            problems.add(path, UserErrorCode.INVALID_STATE, "the user is inactive; inactive users take on nothing new")
    return values


async def _custom(
    ctx: RequestContext, entity: Entity, data: Any, current: Any, problems: Problems, *, creating: bool
) -> dict[str, Any] | None:
    """The record's custom values after this write, or None when the write leaves them alone.

    Writing custom values first takes the entity's shared custom-values lock and checks that the tenant's
    definitions did not change meanwhile (a rename or type change would make these values stale)."""
    custom_entity = entity.custom_entity
    if custom_entity is None:
        return None
    typed, generic = getattr(data, "custom", UNSET), getattr(data, "custom_fields", UNSET)
    if not creating and typed in (UNSET, None) and generic in (UNSET, None):
        return None
    if await lock_for_values(ctx.conn, ctx.tenant_id, custom_entity) != ctx.schema_version:
        problems.add(
            ["input", "custom"],
            UserErrorCode.CONFLICT,
            "the tenant's custom fields changed while this request ran; read the schema again and retry",
        )
        return None
    visible, hidden = ctx.custom_for(custom_entity), ctx.hidden_for(custom_entity)
    before: dict[str, Any] = current.custom if current is not None else {}
    custom, value_problems = apply_custom_values(
        visible, before, typed, generic, creating=creating, role=ctx.actor.role, hidden=hidden
    )
    given = given_keys(typed, generic, visible)
    for key, definition in {**hidden, **visible}.items():
        if definition.type != "REFERENCE" or custom.get(key) in (None, before.get(key)):
            continue
        target = ENTITIES[target_of(definition)]
        if await ctx.loaders.by_id(target).load(uuid.UUID(custom[key])) is not None:
            continue
        if key in given:
            value_problems.append(
                ValueProblem(
                    [input_of(key, typed, generic), key],
                    UserErrorCode.NOT_FOUND,
                    f"{definition.label}: no such {target.name} in this tenant",
                )
            )
            continue
        # A default whose record was deleted after it was set: the field stays empty (as a reference to a
        # deleted record reads: null) instead of refusing every create that does not name a value.
        del custom[key]
        if definition.required and key in visible and definition.editable_by(ctx.actor.role):
            value_problems.append(
                ValueProblem(
                    ["custom", key],
                    UserErrorCode.REQUIRED,
                    f"{definition.label} is required (its default points at a deleted {target.name})",
                )
            )
    if not value_problems:
        record_id = current.id if current is not None else None
        duplicates = await check_unique(
            ctx.conn, entity, ctx.tenant_id, {**hidden, **visible}, custom, before, record_id
        )
        value_problems += [  # reported at the input the value came in
            replace(p, path=[input_of(p.path[1], typed, generic), *p.path[1:]]) for p in duplicates
        ]
    for p in value_problems:
        problems.add(["input", *p.path], p.code, p.message)
    return custom


async def load_current(ctx: RequestContext, entity: Entity, global_id: str, problems: Problems) -> Any:
    decoded = from_global_id(global_id)
    record = None
    if decoded is not None and decoded[0] == entity.name:
        record = await ctx.loaders.by_id(entity).load(decoded[1])
    if record is None:
        problems.add(["id"], UserErrorCode.NOT_FOUND, f"no such {entity.name} in this tenant")
    return record


def conflict(problems: Problems, current_version: int) -> None:
    problems.add(
        ["expectedVersion"],
        UserErrorCode.CONFLICT,
        f"the object changed since you read it; its current version is {current_version}",
    )


async def _write(
    ctx: RequestContext,
    entity: Entity,
    statement: Any,
    problems: Problems,
    values: dict[str, Any] | None = None,
    then: Callable[[Any], Awaitable[None]] | None = None,
) -> Any:
    """Run one write (and ``then`` with its record) in a savepoint; constraint violations and refusals become
    userErrors and undo the savepoint."""
    try:
        async with driver.savepoint(ctx.conn) as savepoint:
            if isinstance(statement, _DriverWrite):
                row = await savepoint.first(statement.bound.statement, statement.parameters)
            else:
                await savepoint.make()
                row = (await ctx.conn.execute(statement)).first()
            if row is not None and then is not None:
                await then(row)
    except IntegrityError as exc:
        problems.add(*_constraint_problem(entity, exc, values or {}, ctx.all_custom_fields))
        return None
    except Refusal as refusal:
        problems.items.extend(refusal.problems.items)
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
    entity: Entity,
    exc: IntegrityError,
    values: dict[str, Any],
    custom_fields: Mapping[str, Mapping[str, FieldDefinition]] | None = None,
) -> tuple[list[str], UserErrorCode, str]:
    """A broken database rule in the terms of the mutation's input. Validation checks every rule first, so this
    happens when a concurrent change (a referenced row deleted meanwhile) beat the write."""
    name = getattr(getattr(exc.orig, "diag", None), "constraint_name", None)
    sqlstate = getattr(exc.orig, "sqlstate", None)
    if name is not None and name.startswith("cfu_"):  # a unique custom field's index (customfields/indexes.py)
        fields = (custom_fields or {}).get(entity.custom_entity or "", {})
        key = next((k for k, d in fields.items() if d.id.hex == name[4:]), None)
        return ["input", "custom", *([key] if key else [])], UserErrorCode.DUPLICATE, "another record has this value"
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
    extras: dict[str, Any] = {}
    values = await _collect(ctx, entity, data, problems, extras)
    custom = await _custom(ctx, entity, data, None, problems, creating=True)
    if custom is not None:
        values["custom"] = custom
    rules = rules_for(entity)
    await rules.check(ctx, values, None, problems, extras)
    if problems:
        return None, problems.items
    values.setdefault("id", new_id())

    async def then(row: Any) -> None:
        await rules.after_write(ctx, _record(entity, row), None, extras)

    row = await _write(ctx, entity, _insert(entity, {"tenant_id": ctx.tenant_id, **values}), problems, values, then)
    return (None if row is None else await _reread(ctx, entity, row)), problems.items


@dataclass(frozen=True)
class _DriverWrite:
    """A write sent straight to psycopg (decision 27), and its parameters."""

    bound: BoundStatement
    parameters: dict[str, Any]


def _insert(entity: Entity, values: dict[str, Any]) -> Any:
    """INSERT ... RETURNING the record. Compiled once per entity and set of columns for the driver: building
    and executing it through SQLAlchemy's Core cost about a fifth of a create's CPU (decision 27)."""
    bound = None
    if not any(isinstance(v, ClauseElement) for v in values.values()):
        bound = _insert_statement(entity.name, tuple(sorted(values)))
    if bound is None:
        return insert(entity.table).values(**values).returning(*entity.table.columns)
    return _DriverWrite(bound, bound.parameters(values))


@lru_cache(maxsize=1024)
def _insert_statement(entity_name: str, columns: tuple[str, ...]) -> BoundStatement | None:
    table = ENTITIES[entity_name].table
    values = {c: bindparam(c, None, type_=table.c[c].type) for c in columns}  # every one given at each write
    return BoundStatement.of(insert(table).values(values).returning(*table.columns))


async def _reread(ctx: RequestContext, entity: Entity, row: Any) -> Any:
    """The record as written; re-read when ``after_write`` may have changed it (e.g. an order's totals)."""
    if not getattr(rules_for(entity), "rewrites", False):
        return _record(entity, row)
    return await ctx.loaders.by_id(entity).load(row.id)


async def update(
    ctx: RequestContext, entity: Entity, global_id: str, data: Any, expected_version: int
) -> tuple[Any, list[UserError]]:
    problems = Problems()
    current = await load_current(ctx, entity, global_id, problems)
    if current is None:
        return None, problems.items
    if current.version != expected_version:
        conflict(problems, current.version)
        return None, problems.items
    extras: dict[str, Any] = {}
    values = await _collect(ctx, entity, data, problems, extras, current)
    custom = await _custom(ctx, entity, data, current, problems, creating=False)
    if custom is not None and custom != current.custom:
        values["custom"] = custom
    rules = rules_for(entity)
    await rules.check(ctx, values, current, problems, extras)
    if problems:
        return None, problems.items
    changed = {k: v for k, v in values.items() if getattr(current, k) != v}
    if not changed and not extras:
        return current, []
    table = entity.table
    statement = (
        sql_update(table)
        .where(base_condition(entity, ctx.tenant_id), table.c.id == current.id, table.c.version == current.version)
        .values(**changed, version=table.c.version + 1, updated_at=func.now())
        .returning(*table.columns)
    )

    async def then(row: Any) -> None:
        await rules.after_write(ctx, _record(entity, row), current, extras)

    row = await _write(ctx, entity, statement, problems, changed, then)
    if row is None and not problems:
        conflict(problems, current.version + 1)
    return (None if row is None else await _reread(ctx, entity, row)), problems.items


async def delete(
    ctx: RequestContext, entity: Entity, global_id: str, expected_version: int | None
) -> tuple[str | None, list[UserError]]:
    problems = Problems()
    current = await load_current(ctx, entity, global_id, problems)
    if current is None:
        return None, problems.items
    if expected_version is not None and current.version != expected_version:
        conflict(problems, current.version)
        return None, problems.items
    table = entity.table
    matches = (base_condition(entity, ctx.tenant_id), table.c.id == current.id, table.c.version == current.version)
    if entity.soft_delete:
        statement: Any = (
            sql_update(table)
            .where(*matches)
            .values(deleted_at=func.now(), version=table.c.version + 1, updated_at=func.now())
            .returning(table.c.id)
        )
    else:
        statement = sql_delete(table).where(*matches).returning(table.c.id)

    async def then(row: Any) -> None:
        await rules_for(entity).after_delete(ctx, current)

    row = await _write(ctx, entity, statement, problems, None, then)
    if row is None:
        if not problems:
            conflict(problems, current.version + 1)
        return None, problems.items
    return to_global_id(entity.name, current.id), []


ExpectedVersion = Annotated[int, strawberry.argument(description="The version you read; stale versions get CONFLICT.")]
TargetId = Annotated[strawberry.ID, strawberry.argument(description="ID of the object.")]


def create_resolver(entity: Entity, input_cls: Any, payload: Any, field_name: str) -> Callable[..., Awaitable[Any]]:
    async def resolve(info: Info, input: input_cls, idempotency_key: KeyArgument = None) -> payload | None:
        ctx = info.context
        record, errors = await idempotent_write(
            ctx, idempotency_key, entity, f"{field_name}Create", input, lambda: create(ctx, entity, input)
        )
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
