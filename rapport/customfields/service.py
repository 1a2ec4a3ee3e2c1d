"""Creating and changing custom field definitions. Every change bumps ``tenants.schema_version`` in the same
transaction, so every API process serves the new schema on its next request."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import exists, func, insert, literal, select, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncConnection

from rapport.customfields.definition import FieldDefinition
from rapport.customfields.keys import key_problem
from rapport.customfields.types.base import ConfigProblem, FieldValueError
from rapport.customfields.types.registry import FIELD_TYPES, field_type
from rapport.customfields.values import ValueProblem
from rapport.errors import UserErrorCode
from rapport.ids import new_id
from rapport.models import CustomFieldDefinition, Tenant, table_of
from rapport.schema.entities import CUSTOMIZABLE

MAX_ACTIVE_FIELDS = 500
MAX_LABEL = 100
MAX_DESCRIPTION = 1000
COMMON_SETTINGS = frozenset({"required", "default"})

definitions = table_of(CustomFieldDefinition)


@dataclass
class DefinitionChange:
    """What a create or update asks for; None means "not given"."""

    label: str | None = None
    description: str | None = None
    position: int | None = None
    settings: dict[str, Any] | None = None  # config keys (camelCase) -> value, only those given


class Refused(Exception):
    def __init__(self, problems: list[ValueProblem]) -> None:
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems


def _problem(path: list[str], code: UserErrorCode, message: str) -> Refused:
    return Refused([ValueProblem(path, code, message)])


async def load_definitions(conn: AsyncConnection, tenant_id: uuid.UUID) -> list[FieldDefinition]:
    rows = (await conn.execute(select(definitions).where(definitions.c.tenant_id == tenant_id))).all()
    return [FieldDefinition.from_row(r) for r in rows]


async def get_definition(conn: AsyncConnection, tenant_id: uuid.UUID, id_: uuid.UUID) -> FieldDefinition | None:
    row = (
        await conn.execute(select(definitions).where(definitions.c.tenant_id == tenant_id, definitions.c.id == id_))
    ).first()
    return None if row is None else FieldDefinition.from_row(row)


async def bump_schema_version(conn: AsyncConnection, tenant_id: uuid.UUID) -> None:
    tenants = table_of(Tenant)
    await conn.execute(
        update(tenants).where(tenants.c.id == tenant_id).values(schema_version=tenants.c.schema_version + 1)
    )


def _check_text(change: DefinitionChange) -> list[ValueProblem]:
    problems = []
    if change.label is not None and not 1 <= len(change.label.strip()) <= MAX_LABEL:
        problems.append(ValueProblem(["input", "label"], UserErrorCode.INVALID, f"1 to {MAX_LABEL} characters"))
    if change.description is not None and len(change.description) > MAX_DESCRIPTION:
        problems.append(ValueProblem(["input", "description"], UserErrorCode.TOO_LONG, f"at most {MAX_DESCRIPTION}"))
    return problems


def build_config(definition: FieldDefinition, settings: dict[str, Any]) -> dict[str, Any]:
    """The definition's config with ``settings`` applied, checked and canonicalised; raises Refused."""
    ftype = field_type(definition.type)
    allowed = ftype.settings | COMMON_SETTINGS
    config = {k: v for k, v in definition.config.items() if k != "default"}
    for name, value in settings.items():
        if value is not None and name not in allowed:
            raise _problem(["input", name], UserErrorCode.INVALID, f"{name} does not apply to {definition.type} fields")
        if name != "default":
            if value is None:
                config.pop(name, None)
            else:
                config[name] = value
    if config.get("required") is False:
        config.pop("required")
    try:
        ftype.check_config(config, definition)
    except ConfigProblem as exc:
        raise _problem(["input", exc.setting], exc.code, exc.message) from exc
    default = settings["default"] if "default" in settings else definition.config.get("default")
    if default is not None:
        shaped = replace(definition, config=config)
        try:
            stored = ftype.to_storage(default, shaped)
        except FieldValueError as exc:
            raise _problem(["input", "default"], exc.code, f"default: {exc.message}") from exc
        if stored is not None:
            config["default"] = stored
    return config


async def _rows_without_value(conn: AsyncConnection, tenant_id: uuid.UUID, definition: FieldDefinition) -> int:
    table = CUSTOMIZABLE[definition.entity].table
    stmt = select(func.count()).where(
        table.c.tenant_id == tenant_id, table.c.deleted_at.is_(None), ~table.c.custom.has_key(definition.key)
    )
    return int((await conn.execute(stmt)).scalar_one())


async def _backfill_default(conn: AsyncConnection, tenant_id: uuid.UUID, definition: FieldDefinition) -> None:
    table = CUSTOMIZABLE[definition.entity].table
    await conn.execute(
        update(table)
        .where(table.c.tenant_id == tenant_id, ~table.c.custom.has_key(definition.key))
        .values(custom=table.c.custom.op("||")(literal({definition.key: definition.default}, JSONB)))
    )


async def _require_values(conn: AsyncConnection, tenant_id: uuid.UUID, definition: FieldDefinition) -> None:
    """A required field must hold on every row: fill from the default, or refuse while rows lack a value."""
    if not definition.required:
        return
    if definition.default is not None:
        await _backfill_default(conn, tenant_id, definition)
        return
    missing = await _rows_without_value(conn, tenant_id, definition)
    if missing:
        raise _problem(
            ["input", "required"],
            UserErrorCode.REQUIRED,
            f"{missing} records have no value for this field; give a default to fill them",
        )


async def _active_count(conn: AsyncConnection, tenant_id: uuid.UUID, entity: str) -> int:
    stmt = select(func.count()).where(
        definitions.c.tenant_id == tenant_id, definitions.c.entity == entity, definitions.c.archived_at.is_(None)
    )
    return int((await conn.execute(stmt)).scalar_one())


async def create_definition(
    conn: AsyncConnection,
    tenant_id: uuid.UUID,
    *,
    entity: str,
    key: str,
    type_name: str,
    change: DefinitionChange,
    schema_type_names: set[str],
) -> FieldDefinition:
    """Add a field; raises Refused with every problem found."""
    problems = _check_text(change)
    # Every field's generated API names must stay distinct, archived ones included (they can come back).
    siblings = [(CUSTOMIZABLE[d.entity], d.key) for d in await load_definitions(conn, tenant_id)]
    if (reason := key_problem(key, CUSTOMIZABLE[entity], schema_type_names, siblings)) is not None:
        problems.append(ValueProblem(["input", "key"], *reason))
    if problems:
        raise Refused(problems)
    assert type_name in FIELD_TYPES
    taken = await conn.execute(
        select(
            exists().where(
                definitions.c.tenant_id == tenant_id, definitions.c.entity == entity, definitions.c.key == key
            )
        )
    )
    if taken.scalar_one():
        raise _problem(["input", "key"], UserErrorCode.DUPLICATE, f"{key!r} is already defined (maybe archived)")
    if await _active_count(conn, tenant_id, entity) >= MAX_ACTIVE_FIELDS:
        raise _problem(
            ["input", "entity"],
            UserErrorCode.LIMIT_EXCEEDED,
            f"{entity} already has {MAX_ACTIVE_FIELDS} active custom fields",
        )
    draft = FieldDefinition(
        id=new_id(),
        entity=entity,
        key=key,
        type=type_name,
        label=(change.label or "").strip(),
        description=change.description,
    )
    config = build_config(draft, change.settings or {})
    position = change.position
    if position is None:
        last = await conn.execute(
            select(func.max(definitions.c.position)).where(
                definitions.c.tenant_id == tenant_id, definitions.c.entity == entity
            )
        )
        position = (last.scalar_one() or 0) + 1
    row = (
        await conn.execute(
            insert(definitions)
            .values(
                tenant_id=tenant_id,
                id=draft.id,
                entity=entity,
                key=key,
                type=type_name,
                label=draft.label,
                description=draft.description,
                config=config,
                position=position,
            )
            .returning(definitions)
        )
    ).one()
    created = FieldDefinition.from_row(row)
    await _require_values(conn, tenant_id, created)
    await bump_schema_version(conn, tenant_id)
    return created


async def _options_in_use(
    conn: AsyncConnection, tenant_id: uuid.UUID, definition: FieldDefinition, option_ids: set[str]
) -> set[str]:
    table = CUSTOMIZABLE[definition.entity].table
    used = set()
    for option_id in option_ids:
        value: Any = [option_id] if definition.type == "MULTI_SELECT" else option_id
        stmt = select(exists().where(table.c.tenant_id == tenant_id, table.c.custom.contains({definition.key: value})))
        if (await conn.execute(stmt)).scalar_one():
            used.add(option_id)
    return used


async def update_definition(
    conn: AsyncConnection,
    tenant_id: uuid.UUID,
    current: FieldDefinition,
    change: DefinitionChange,
    expected_version: int | None,
) -> FieldDefinition:
    """Change label, description, position or settings (options keep their ids). Raises Refused."""
    if expected_version is not None and expected_version != current.version:
        raise _problem(
            ["expectedVersion"],
            UserErrorCode.CONFLICT,
            f"the definition changed since you read it; its current version is {current.version}",
        )
    problems = _check_text(change)
    if problems:
        raise Refused(problems)
    settings = dict(change.settings or {})
    if "options" in settings and settings["options"] is not None:
        removed = {o.id for o in current.options} - {o.get("id") for o in settings["options"]}
        in_use = await _options_in_use(conn, tenant_id, current, removed)
        if in_use:
            names = ", ".join(o.value for o in current.options if o.id in in_use)
            raise _problem(
                ["input", "options"], UserErrorCode.INVALID_STATE, f"options still in use cannot be removed: {names}"
            )
    config = build_config(current, settings)
    values: dict[str, Any] = {"config": config}
    if change.label is not None:
        values["label"] = change.label.strip()
    if change.description is not None:
        values["description"] = change.description or None
    if change.position is not None:
        values["position"] = change.position
    updated = await _write(conn, tenant_id, current, values)
    if not current.required:
        await _require_values(conn, tenant_id, updated)
    return updated


async def set_archived(
    conn: AsyncConnection, tenant_id: uuid.UUID, current: FieldDefinition, archived: bool
) -> FieldDefinition:
    """Archive (hide from the typed schema, keep values) or restore a field."""
    if current.archived == archived:
        return current
    if not archived and await _active_count(conn, tenant_id, current.entity) >= MAX_ACTIVE_FIELDS:
        raise _problem(["id"], UserErrorCode.LIMIT_EXCEEDED, f"{current.entity} has {MAX_ACTIVE_FIELDS} active fields")
    updated = await _write(conn, tenant_id, current, {"archived_at": func.now() if archived else None})
    if not archived:
        await _require_values(conn, tenant_id, updated)
    return updated


async def _write(
    conn: AsyncConnection, tenant_id: uuid.UUID, current: FieldDefinition, values: dict[str, Any]
) -> FieldDefinition:
    row = (
        await conn.execute(
            update(definitions)
            .where(
                definitions.c.tenant_id == tenant_id,
                definitions.c.id == current.id,
                definitions.c.version == current.version,
            )
            .values(**values, version=definitions.c.version + 1, updated_at=func.now())
            .returning(definitions)
        )
    ).first()
    if row is None:
        raise _problem(["id"], UserErrorCode.CONFLICT, "the definition changed concurrently; read it again")
    await bump_schema_version(conn, tenant_id)
    return FieldDefinition.from_row(row)
