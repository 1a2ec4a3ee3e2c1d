"""Creating and changing custom field definitions. Every change bumps ``tenants.schema_version`` in the same
transaction, so every API process serves the new schema on its next request."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import and_, delete, exists, func, insert, literal, select, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncConnection

from rapport.customfields import lifecycle
from rapport.customfields.definition import FieldDefinition
from rapport.customfields.indexes import UNIQUE_TYPES, index_statements
from rapport.customfields.keys import key_problem
from rapport.customfields.locks import lock_for_definitions
from rapport.customfields.types.base import ConfigProblem, FieldValueError
from rapport.customfields.types.reference import target_of
from rapport.customfields.types.registry import FIELD_TYPES, field_type
from rapport.customfields.uniqueness import duplicates
from rapport.customfields.values import ValueProblem
from rapport.errors import UserErrorCode
from rapport.ids import new_id
from rapport.models import CustomFieldDefinition, Tenant, table_of
from rapport.resolvers.filtering import base_condition
from rapport.schema.entities import CUSTOMIZABLE, ENTITIES

MAX_ACTIVE_FIELDS = 500
MAX_LABEL = 100
MAX_DESCRIPTION = 1000
MAX_HELP = 500
MAX_GROUP = 100
ROLES = ("OWNER", "ADMIN", "MEMBER", "VIEWER")
# Settings every type understands (the rest are per type: FieldType.settings).
COMMON_SETTINGS = frozenset(
    {"required", "default", "unique", "filterable", "sortable", "visibleTo", "editableBy", "helpText", "group"}
)
FLAGS = ("required", "unique", "filterable", "sortable")

definitions = table_of(CustomFieldDefinition)


@dataclass
class DefinitionChange:
    """What a create or update asks for; None means "not given"."""

    label: str | None = None
    description: str | None = None
    position: int | None = None
    settings: dict[str, Any] | None = None  # config keys (camelCase) -> value; None values clear a setting
    key: str | None = None  # a new key (rename)


class Refused(Exception):
    def __init__(self, problems: list[ValueProblem]) -> None:
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems


def _problem(path: list[str], code: UserErrorCode, message: str) -> Refused:
    return Refused([ValueProblem(path, code, message)])


async def load_definitions(conn: AsyncConnection, tenant_id: uuid.UUID) -> list[FieldDefinition]:
    rows = (await conn.execute(select(definitions).where(definitions.c.tenant_id == tenant_id))).all()
    return [FieldDefinition.from_row(r) for r in rows]


async def get_definition(
    conn: AsyncConnection, tenant_id: uuid.UUID, id_: uuid.UUID, *, for_update: bool = False
) -> FieldDefinition | None:
    stmt = select(definitions).where(definitions.c.tenant_id == tenant_id, definitions.c.id == id_)
    row = (await conn.execute(stmt.with_for_update() if for_update else stmt)).first()
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


def _check_common(config: dict[str, Any], definition: FieldDefinition) -> None:
    """Settings every type shares: flags, role allow-lists, help text and group."""
    ftype = field_type(definition.type)
    for flag in FLAGS:
        if flag in config and not isinstance(config[flag], bool):
            raise _problem(["input", flag], UserErrorCode.INVALID, f"{flag} is true or false")
        if config.get(flag) is False:
            config.pop(flag)
    if config.get("unique") and definition.type not in UNIQUE_TYPES:
        raise _problem(["input", "unique"], UserErrorCode.INVALID, f"{definition.type} fields cannot be unique")
    if config.get("sortable") and not ftype.sortable:
        raise _problem(["input", "sortable"], UserErrorCode.INVALID, f"{definition.type} fields do not sort")
    for setting in ("visibleTo", "editableBy"):
        roles = config.get(setting)
        if roles is None:
            continue
        if not isinstance(roles, list) or not roles or any(r not in ROLES for r in roles):
            raise _problem(["input", setting], UserErrorCode.INVALID, "a non-empty list of roles: " + ", ".join(ROLES))
        config[setting] = [r for r in ROLES if r in roles]
    visible, editable = config.get("visibleTo"), config.get("editableBy")
    if visible is not None and editable is not None and not set(editable) <= set(visible):
        raise _problem(["input", "editableBy"], UserErrorCode.INVALID, "roles can only edit fields they can see")
    for setting, limit in (("helpText", MAX_HELP), ("group", MAX_GROUP)):
        value = config.get(setting)
        if value is not None and (not isinstance(value, str) or len(value) > limit):
            raise _problem(["input", setting], UserErrorCode.TOO_LONG, f"text of at most {limit} characters")


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
    _check_common(config, definition)
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


async def _check_reference_default(conn: AsyncConnection, tenant_id: uuid.UUID, definition: FieldDefinition) -> None:
    """A REFERENCE default must point at a record that exists (a default that points nowhere is never stored)."""
    if definition.type != "REFERENCE" or definition.default is None:
        return
    target = ENTITIES[target_of(definition)]
    live = and_(base_condition(target, tenant_id), target.table.c.id == uuid.UUID(definition.default))
    if (await conn.execute(select(exists().where(live)))).scalar_one():
        return
    raise _problem(["input", "default"], UserErrorCode.NOT_FOUND, f"default: no such {target.name} in this tenant")


def _live(definition: FieldDefinition, tenant_id: uuid.UUID) -> list[Any]:
    return [base_condition(CUSTOMIZABLE[definition.entity], tenant_id)]


async def _rows_without_value(conn: AsyncConnection, tenant_id: uuid.UUID, definition: FieldDefinition) -> int:
    table = CUSTOMIZABLE[definition.entity].table
    stmt = select(func.count()).where(*_live(definition, tenant_id), ~table.c.custom.has_key(definition.key))
    return int((await conn.execute(stmt)).scalar_one())


async def _backfill_default(conn: AsyncConnection, tenant_id: uuid.UUID, definition: FieldDefinition) -> None:
    """Give every row without a value the default, in keyset batches like the other rewrites: one UPDATE of a
    large tenant's rows could outlast the statement timeout."""
    table = CUSTOMIZABLE[definition.entity].table
    filled = table.c.custom.op("||")(literal({definition.key: definition.default}, JSONB))
    last: uuid.UUID | None = None
    while True:
        batch = select(table.c.id).where(table.c.tenant_id == tenant_id, ~table.c.custom.has_key(definition.key))
        if last is not None:
            batch = batch.where(table.c.id > last)
        batch = batch.order_by(table.c.id).limit(lifecycle.BATCH)
        statement = (
            update(table)
            .where(table.c.tenant_id == tenant_id, table.c.id.in_(batch.scalar_subquery()))
            .values(custom=filled)
            .returning(table.c.id)
        )
        ids = (await conn.execute(statement)).scalars().all()
        if not ids:
            return
        last = max(ids)


async def _require_values(conn: AsyncConnection, tenant_id: uuid.UUID, definition: FieldDefinition) -> None:
    """A required field must hold on every row: fill from the default, or refuse while rows lack a value.

    Holds the entity's custom-values lock exclusively, so no writer that does not know the field is required
    can add a record without a value after the rows were filled or counted (it waits, then gets CONFLICT)."""
    if not definition.required:
        return
    await lock_for_definitions(conn, tenant_id, definition.entity)
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


def _index_status(definition: FieldDefinition, tenant_id: uuid.UUID) -> str:
    """PENDING when the definition needs an index built after the change commits, else NONE."""
    return "PENDING" if index_statements(definition, tenant_id) else "NONE"


async def _check_unique_values(conn: AsyncConnection, tenant_id: uuid.UUID, definition: FieldDefinition) -> None:
    if not definition.setting("unique"):
        return
    # Writers that do not know the field is unique take no per-value lock: keep them out while checking.
    await lock_for_definitions(conn, tenant_id, definition.entity)
    found = await duplicates(conn, CUSTOMIZABLE[definition.entity], tenant_id, definition)
    if found:
        raise _problem(
            ["input", "unique"], UserErrorCode.DUPLICATE, "values held by more than one record: " + ", ".join(found)
        )


async def _key_problems(
    conn: AsyncConnection,
    tenant_id: uuid.UUID,
    entity: str,
    key: str,
    schema_type_names: set[str],
    ignore: uuid.UUID | None = None,
) -> list[ValueProblem]:
    # Every field's generated API names must stay distinct, archived ones included (they can come back).
    existing = [d for d in await load_definitions(conn, tenant_id) if d.id != ignore]
    siblings = [(CUSTOMIZABLE[d.entity], d.key) for d in existing]
    if (reason := key_problem(key, CUSTOMIZABLE[entity], schema_type_names, siblings)) is not None:
        return [ValueProblem(["input", "key"], *reason)]
    if any(d.entity == entity and d.key == key for d in existing):
        return [ValueProblem(["input", "key"], UserErrorCode.DUPLICATE, f"{key!r} is already defined (maybe archived)")]
    return []


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
    problems += await _key_problems(conn, tenant_id, entity, key, schema_type_names)
    if problems:
        raise Refused(problems)
    assert type_name in FIELD_TYPES
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
    draft = replace(draft, config=config)
    await _check_reference_default(conn, tenant_id, draft)
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
                index_status=_index_status(draft, tenant_id),
            )
            .returning(definitions)
        )
    ).one()
    created = FieldDefinition.from_row(row)
    await _require_values(conn, tenant_id, created)
    await _check_unique_values(conn, tenant_id, created)
    await bump_schema_version(conn, tenant_id)
    return created


async def _has_values(conn: AsyncConnection, tenant_id: uuid.UUID, definition: FieldDefinition) -> bool:
    """Whether any record (deleted ones included: they can be restored) holds a value for the field."""
    table = CUSTOMIZABLE[definition.entity].table
    stmt = select(exists().where(table.c.tenant_id == tenant_id, table.c.custom.has_key(definition.key)))
    return bool((await conn.execute(stmt)).scalar_one())


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


def _conflict(current: FieldDefinition, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != current.version:
        raise _problem(
            ["expectedVersion"],
            UserErrorCode.CONFLICT,
            f"the definition changed since you read it; its current version is {current.version}",
        )


async def update_definition(
    conn: AsyncConnection,
    tenant_id: uuid.UUID,
    current: FieldDefinition,
    change: DefinitionChange,
    expected_version: int | None,
    schema_type_names: set[str] | None = None,
) -> FieldDefinition:
    """Change label, description, position, settings or options (option ids never change), or rename the key
    (stored values move with it). Raises Refused."""
    _conflict(current, expected_version)
    problems = _check_text(change)
    renaming = change.key is not None and change.key != current.key
    if renaming:
        assert change.key is not None
        problems += await _key_problems(
            conn, tenant_id, current.entity, change.key, schema_type_names or set(), ignore=current.id
        )
    if problems:
        raise Refused(problems)
    settings = dict(change.settings or {})
    if settings.get("options") is not None:
        removed = {o.id for o in current.options} - {o.get("id") for o in settings["options"]}
        in_use = await _options_in_use(conn, tenant_id, current, removed)
        if in_use:
            names = ", ".join(o.value for o in current.options if o.id in in_use)
            raise _problem(
                ["input", "options"],
                UserErrorCode.INVALID_STATE,
                f"options still in use cannot be removed: {names}; merge them into another option "
                "with customFieldMergeOptions",
            )
    if (
        current.type == "REFERENCE"
        and settings.get("target", current.setting("target")) != current.setting("target")
        and await _has_values(conn, tenant_id, current)
    ):
        # Stored ids would silently point into another table (and read as null).
        raise _problem(
            ["input", "target"],
            UserErrorCode.INVALID_STATE,
            "records already point at a " + current.setting("target") + "; the target can change only while "
            "no record has a value (add a new field instead)",
        )
    config = build_config(current, settings)
    if settings.get("default") is not None:
        await _check_reference_default(conn, tenant_id, replace(current, config=config))
    values: dict[str, Any] = {"config": config}
    if change.label is not None:
        values["label"] = change.label.strip()
    if change.description is not None:
        values["description"] = change.description or None
    if change.position is not None:
        values["position"] = change.position
    shaped = replace(current, config=config, key=change.key or current.key)
    status = _index_status(shaped, tenant_id)
    if status == "PENDING" and current.index_status == "READY" and _same_indexes(current, shaped, tenant_id):
        status = "READY"
    values["index_status"], values["index_error"] = status, None
    if renaming:
        await lock_for_definitions(conn, tenant_id, current.entity)
        await lifecycle.rewrite(conn, tenant_id, current, new_key=change.key)
        values["key"] = change.key
    updated = await _write(conn, tenant_id, current, values)
    if not current.required or (settings.get("default") is not None):
        await _require_values(conn, tenant_id, updated)
    if not current.setting("unique"):
        await _check_unique_values(conn, tenant_id, updated)
    return updated


def _same_indexes(old: FieldDefinition, new: FieldDefinition, tenant_id: uuid.UUID) -> bool:
    return index_statements(old, tenant_id) == index_statements(new, tenant_id)


async def set_archived(
    conn: AsyncConnection, tenant_id: uuid.UUID, current: FieldDefinition, archived: bool
) -> FieldDefinition:
    """Archive (hide from the typed schema, keep values) or restore a field."""
    if current.archived == archived:
        return current
    if not archived and await _active_count(conn, tenant_id, current.entity) >= MAX_ACTIVE_FIELDS:
        raise _problem(["id"], UserErrorCode.LIMIT_EXCEEDED, f"{current.entity} has {MAX_ACTIVE_FIELDS} active fields")
    values: dict[str, Any] = {"archived_at": func.now() if archived else None}
    if not archived:
        values["index_status"] = _index_status(current, tenant_id)
    updated = await _write(conn, tenant_id, current, values)
    if not archived:
        await _require_values(conn, tenant_id, updated)
        await _check_unique_values(conn, tenant_id, updated)
    return updated


async def merge_options(
    conn: AsyncConnection,
    tenant_id: uuid.UUID,
    current: FieldDefinition,
    sources: list[str],
    target: str,
    expected_version: int | None,
) -> FieldDefinition:
    """Remap every stored use of the ``sources`` options to ``target`` and remove the sources."""
    _conflict(current, expected_version)
    if current.type not in ("SELECT", "MULTI_SELECT"):
        raise _problem(["id"], UserErrorCode.INVALID, "only SELECT and MULTI_SELECT fields have options")
    ids = {o.id for o in current.options}
    unknown = [s for s in [*sources, target] if s not in ids]
    if unknown or not sources or target in sources:
        raise _problem(
            ["sourceOptionIds"],
            UserErrorCode.UNKNOWN_OPTION,
            "give existing option ids, and a target that is not among the sources",
        )
    remaining = [o.as_json() for o in current.options if o.id not in sources]
    order = [o["id"] for o in remaining]

    def remap(value: Any) -> Any:
        if current.type == "SELECT":
            return target if value in sources else value
        chosen = {target if v in sources else v for v in value}
        return [i for i in order if i in chosen]

    await lock_for_definitions(conn, tenant_id, current.entity)
    await lifecycle.rewrite(conn, tenant_id, current, convert=remap)
    config = {**current.config, "options": remaining}
    if config.get("default") is not None:
        config["default"] = remap(config["default"])
    return await _write(conn, tenant_id, current, {"config": config})


def _carry_over(
    current: FieldDefinition, draft: FieldDefinition, carried: dict[str, Any], settings: dict[str, Any]
) -> tuple[dict[str, Any], list[str]]:
    """The config of ``draft`` (the field under its new type) from ``carried`` and the given ``settings``, plus
    the old type's own settings that the new type also has, while they fit it (INTEGER -> DECIMAL keeps min and
    max), and the default converted as the values are. Returns it with the settings left behind."""
    to_new = lifecycle.converter(current.type, draft.type)
    assert to_new is not None
    own = {k: v for k, v in current.config.items() if k not in COMMON_SETTINGS and k not in settings}
    optional = {k: v for k, v in own.items() if k in field_type(draft.type).settings}
    dropped = [k for k in own if k not in optional]
    if current.type in lifecycle.NUMBERS and draft.type in lifecycle.NUMBERS:
        # Bounds are values of the field, so they convert as its values do ("10" becomes 10 for INTEGER).
        for bound in [b for b in ("min", "max") if b in optional]:
            try:
                optional[bound] = to_new(optional[bound], current)
            except FieldValueError:
                del optional[bound]
                dropped.append(bound)
    while True:
        try:
            config = build_config(draft, {**carried, **optional, **settings})
            break
        except Refused as refused:
            blamed = refused.problems[0].path[-1]
            if len(refused.problems) != 1 or blamed not in optional:
                raise
            del optional[blamed]  # the new type refuses it (a RATING max of 500 stars)
            dropped.append(blamed)
    if "default" not in settings and current.default is not None:
        try:
            default = lifecycle.convert_value(current.default, current, replace(draft, config=config))
        except FieldValueError:
            default = None
        if default is None:
            dropped.append("default")
        else:
            config["default"] = default
    return config, sorted(dropped)


async def change_type(
    conn: AsyncConnection,
    tenant_id: uuid.UUID,
    current: FieldDefinition,
    new_type: str,
    settings: dict[str, Any],
    dry_run: bool,
    expected_version: int | None,
) -> tuple[FieldDefinition, lifecycle.ConversionReport]:
    """Convert the field and every stored value to ``new_type``; with ``dry_run`` only report. Refuses (and
    changes nothing) unless every value converts. The report names the settings that do not carry over."""
    _conflict(current, expected_version)
    if lifecycle.converter(current.type, new_type) is None:
        raise _problem(["type"], UserErrorCode.INVALID, f"{current.type} fields cannot become {new_type}")
    carried = {k: v for k, v in current.config.items() if k in COMMON_SETTINGS and k != "default"}
    # Between select types the options (and so the stored ids) carry over: the draft keeps them, since
    # options given with ids must be existing ones.
    kept: dict[str, Any] = {}
    if current.type in ("SELECT", "MULTI_SELECT") and new_type in ("SELECT", "MULTI_SELECT"):
        kept = {"options": current.config.get("options")}
        carried |= kept
    if new_type == "SELECT" and current.type in lifecycle.TEXTS and not settings.get("options"):
        texts = await lifecycle.distinct_texts(conn, tenant_id, current, 500)
        carried["options"] = lifecycle.text_options(texts) if texts else [{"label": "Other"}]
    draft = replace(current, type=new_type, config=kept)
    config, dropped = _carry_over(current, draft, carried, settings)
    new = replace(current, type=new_type, config=config)
    if settings.get("default") is not None:
        await _check_reference_default(conn, tenant_id, new)
    if not dry_run:
        await lock_for_definitions(conn, tenant_id, current.entity)
    report = await lifecycle.convert_values(conn, tenant_id, current, new, write=not dry_run)
    report.dropped_settings = dropped
    if dry_run:
        return new, report
    if report.failing:
        raise Refused(
            [
                ValueProblem(
                    ["type"],
                    UserErrorCode.INVALID_STATE,
                    f"{report.failing} of {report.total} values do not convert; nothing changed "
                    "(run with dryRun: true to see them)",
                )
            ]
        )
    updated = await _write(
        conn, tenant_id, current, {"type": new_type, "config": config, "index_status": _index_status(new, tenant_id)}
    )
    return updated, report


async def delete_definition(
    conn: AsyncConnection, tenant_id: uuid.UUID, current: FieldDefinition, expected_version: int | None
) -> int:
    """Remove the field and purge its stored values; returns how many records lost a value."""
    _conflict(current, expected_version)
    await lock_for_definitions(conn, tenant_id, current.entity)
    purged = await lifecycle.purge(conn, tenant_id, current)
    await conn.execute(delete(definitions).where(definitions.c.tenant_id == tenant_id, definitions.c.id == current.id))
    await bump_schema_version(conn, tenant_id)
    return purged


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
