# The entity and type enums are built from registries at import time; mypy cannot use them as types.
# mypy: disable-error-code="valid-type"
"""GraphQL API for custom field definitions: the generic query for form renderers, and the admin mutations.

These types are the same in every tenant's schema; what a definition adds to the typed schema appears on
the tenant's next request.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import strawberry
from strawberry.scalars import JSON

from rapport.context import RequestContext
from rapport.customfields import service
from rapport.customfields.definition import FieldDefinition
from rapport.customfields.types.registry import FIELD_TYPES
from rapport.customfields.values import ValueProblem
from rapport.errors import UserErrorCode
from rapport.ids import from_global_id, to_global_id
from rapport.schema.common import UserError
from rapport.schema.entities import CUSTOMIZABLE
from rapport.schema.enums import make_enum
from rapport.schema.roots import RootField

Info = strawberry.Info[RequestContext, None]

CustomFieldEntity = make_enum(
    "CustomFieldEntity", {k: k for k in CUSTOMIZABLE}, "Entities tenants can add custom fields to."
)
CustomFieldType = make_enum(
    "CustomFieldType",
    {name: name for name in FIELD_TYPES},
    "Custom field types:\n\n" + "\n".join(f"- {n}: {t.description}" for n, t in FIELD_TYPES.items()),
)
DEFINITION_TYPE = "CustomFieldDefinition"


@strawberry.type(description="A choice of a SELECT or MULTI_SELECT field.")
class CustomFieldOption:
    id: str = strawberry.field(description="Stable id; what is stored. Never changes.")
    value: str = strawberry.field(description="The GraphQL enum value, e.g. GOLD.")
    label: str = strawberry.field(description="What people see.")
    color: str | None = strawberry.field(description="Display colour, if set.")


@strawberry.type(name="CustomFieldDefinition", description="A custom field a tenant admin added to an entity.")
class CustomFieldDefinitionView:
    id: strawberry.ID = strawberry.field(description="Global ID of the definition.")
    entity: CustomFieldEntity = strawberry.field(description="The entity the field belongs to.")
    key: str = strawberry.field(description="The field's name in the API (camelCase).")
    type: CustomFieldType = strawberry.field(description="The field's type.")
    label: str = strawberry.field(description="What people see.")
    description: str | None = strawberry.field(description="Help for people filling the field in.")
    required: bool = strawberry.field(description="Every record must have a value.")
    default: JSON | None = strawberry.field(description="Value given to new records that omit the field.")
    options: list[CustomFieldOption] = strawberry.field(description="Choices (SELECT and MULTI_SELECT).")
    config: JSON = strawberry.field(description="All settings in stored form (min, max, regex, ...).")
    position: int = strawberry.field(description="Order among the entity's fields.")
    archived: bool = strawberry.field(description="Hidden from the typed schema; values are kept.")
    version: int = strawberry.field(description="Increases with every change.")
    created_at: dt.datetime | None = strawberry.field(description="When the field was added.")
    updated_at: dt.datetime | None = strawberry.field(description="When the field last changed.")


def view(d: FieldDefinition) -> CustomFieldDefinitionView:
    return CustomFieldDefinitionView(
        id=strawberry.ID(to_global_id(DEFINITION_TYPE, d.id)),
        entity=CustomFieldEntity[d.entity],
        key=d.key,
        type=CustomFieldType[d.type],
        label=d.label,
        description=d.description,
        required=d.required,
        default=d.default,
        options=[CustomFieldOption(id=o.id, value=o.value, label=o.label, color=o.color) for o in d.options],
        config=JSON(dict(d.config)),
        position=d.position,
        archived=d.archived,
        version=d.version,
        created_at=d.created_at,
        updated_at=d.updated_at,
    )


@strawberry.input(description="A choice of a SELECT or MULTI_SELECT field.")
class CustomFieldOptionInput:
    label: str = strawberry.field(description="What people see.")
    value: str | None = strawberry.field(
        default=None, description="The enum value (UPPER_SNAKE). Default: derived from the label."
    )
    color: str | None = strawberry.field(default=None, description="Display colour, e.g. #f5a623.")
    id: str | None = strawberry.field(
        default=None,
        description="An existing option's id, to keep it (relabel or reorder) in customFieldUpdate.",
    )


@strawberry.input(description="Settings shared by create and update; each applies to some types only.")
class _Settings:
    description: str | None = strawberry.field(default=None, description="Help for people filling the field in.")
    required: bool | None = strawberry.field(default=None, description="Every record must have a value.")
    default: JSON | None = strawberry.field(default=None, description="Value for new records that omit the field.")
    options: list[CustomFieldOptionInput] | None = strawberry.field(
        default=None, description="SELECT / MULTI_SELECT choices, in display order."
    )
    min: JSON | None = strawberry.field(default=None, description="Smallest value (INTEGER, DECIMAL, DATE).")
    max: JSON | None = strawberry.field(default=None, description="Largest value (INTEGER, DECIMAL, DATE).")
    min_length: int | None = strawberry.field(default=None, description="Shortest text (TEXT).")
    max_length: int | None = strawberry.field(default=None, description="Longest text (TEXT; at most 1000).")
    regex: str | None = strawberry.field(default=None, description="RE2 pattern the whole text must match (TEXT).")
    scale: int | None = strawberry.field(default=None, description="Most decimal places (DECIMAL).")
    default_region: str | None = strawberry.field(
        default=None, description="Region for numbers given without +country, e.g. CN (PHONE)."
    )
    position: int | None = strawberry.field(default=None, description="Order among the entity's fields.")


@strawberry.input(description="A new custom field.")
class CustomFieldCreateInput(_Settings):
    entity: CustomFieldEntity = strawberry.field(description="The entity to add it to.")
    key: str = strawberry.field(description="Its API name: camelCase, unique on the entity, not a core field.")
    type: CustomFieldType = strawberry.field(description="Its type; see CustomFieldType.")
    label: str = strawberry.field(description="What people see.")


@strawberry.input(description="Changes to a custom field; omitted settings stay as they are.")
class CustomFieldUpdateInput(_Settings):
    label: str | None = strawberry.field(default=None, description="What people see.")
    add_options: list[CustomFieldOptionInput] | None = strawberry.field(
        default=None, description="Options to append (SELECT / MULTI_SELECT)."
    )


@strawberry.type(description="Result of a custom field mutation.")
class CustomFieldPayload:
    custom_field: CustomFieldDefinitionView | None = strawberry.field(
        description="The definition after the change, or null if nothing changed."
    )
    user_errors: list[UserError] = strawberry.field(description="Problems with the input; empty on success.")


_SETTING_NAMES = {
    "required": "required",
    "default": "default",
    "min": "min",
    "max": "max",
    "min_length": "minLength",
    "max_length": "maxLength",
    "regex": "regex",
    "scale": "scale",
    "default_region": "defaultRegion",
}


def _settings(data: _Settings, current: FieldDefinition | None = None) -> dict[str, Any]:
    settings = {name: getattr(data, attr) for attr, name in _SETTING_NAMES.items() if getattr(data, attr) is not None}
    options: list[dict[str, Any]] | None = None
    if data.options is not None:
        options = [_option(o) for o in data.options]
    added = getattr(data, "add_options", None)
    if added:
        base = options if options is not None else [o.as_json() for o in (current.options if current else ())]
        options = base + [_option(o) for o in added]
    if options is not None:
        settings["options"] = options
    return settings


def _value(member: Any) -> str:
    value: str = member.value
    return value


def _option(o: CustomFieldOptionInput) -> dict[str, Any]:
    return {k: v for k, v in {"id": o.id, "label": o.label, "value": o.value, "color": o.color}.items() if v}


def _errors(problems: list[ValueProblem]) -> list[UserError]:
    return [UserError(code=p.code, field=p.path, message=p.message) for p in problems]


def _not_found() -> CustomFieldPayload:
    return CustomFieldPayload(
        custom_field=None,
        user_errors=[
            UserError(code=UserErrorCode.NOT_FOUND, field=["id"], message="no such custom field in this tenant")
        ],
    )


async def _current(ctx: RequestContext, global_id: str) -> FieldDefinition | None:
    decoded = from_global_id(global_id)
    if decoded is None or decoded[0] != DEFINITION_TYPE:
        return None
    return await service.get_definition(ctx.conn, ctx.tenant_id, decoded[1])


async def _run(ctx: RequestContext, change: Any) -> CustomFieldPayload:
    """Run a definition change in a savepoint: refused changes leave nothing behind."""
    try:
        async with ctx.conn.begin_nested():
            definition = await change
    except service.Refused as refused:
        return CustomFieldPayload(custom_field=None, user_errors=_errors(refused.problems))
    return CustomFieldPayload(custom_field=view(definition), user_errors=[])


async def custom_field_definitions(
    info: Info,
    entity: Annotated[CustomFieldEntity | None, strawberry.argument(description="Only this entity's fields.")] = None,
    include_archived: Annotated[bool, strawberry.argument(description="Include archived fields.")] = False,
) -> list[CustomFieldDefinitionView]:
    """The tenant's custom field definitions, in display order (for form renderers and tools)."""
    ctx = info.context
    found = await service.load_definitions(ctx.conn, ctx.tenant_id)
    chosen = [
        d for d in found if (entity is None or d.entity == _value(entity)) and (include_archived or not d.archived)
    ]
    return [view(d) for d in sorted(chosen, key=lambda d: (d.entity, d.position, d.key))]


async def custom_field_create(info: Info, input: CustomFieldCreateInput) -> CustomFieldPayload:
    ctx = info.context
    from rapport.schema.cache import base_type_names

    change = service.DefinitionChange(
        label=input.label, description=input.description, position=input.position, settings=_settings(input)
    )
    return await _run(
        ctx,
        service.create_definition(
            ctx.conn,
            ctx.tenant_id,
            entity=_value(input.entity),
            key=input.key,
            type_name=_value(input.type),
            change=change,
            schema_type_names=base_type_names(),
        ),
    )


async def custom_field_update(
    info: Info,
    id: strawberry.ID,
    input: CustomFieldUpdateInput,
    expected_version: Annotated[int | None, strawberry.argument(description="Refuse if the field changed.")] = None,
) -> CustomFieldPayload:
    ctx = info.context
    current = await _current(ctx, id)
    if current is None:
        return _not_found()
    change = service.DefinitionChange(
        label=input.label,
        description=input.description,
        position=input.position,
        settings=_settings(input, current),
    )
    return await _run(ctx, service.update_definition(ctx.conn, ctx.tenant_id, current, change, expected_version))


async def custom_field_archive(info: Info, id: strawberry.ID) -> CustomFieldPayload:
    """Hide a field from the typed schema; stored values are kept and come back with customFieldRestore."""
    ctx = info.context
    current = await _current(ctx, id)
    if current is None:
        return _not_found()
    return await _run(ctx, service.set_archived(ctx.conn, ctx.tenant_id, current, archived=True))


async def custom_field_restore(info: Info, id: strawberry.ID) -> CustomFieldPayload:
    """Bring an archived field back, with the values it had."""
    ctx = info.context
    current = await _current(ctx, id)
    if current is None:
        return _not_found()
    return await _run(ctx, service.set_archived(ctx.conn, ctx.tenant_id, current, archived=False))


def query_fields(objects: dict[str, Any]) -> dict[str, RootField]:
    return {
        "custom_field_definitions": RootField(
            custom_field_definitions, "The tenant's custom field definitions, in display order."
        )
    }


def mutation_fields(objects: dict[str, Any]) -> dict[str, RootField]:
    return {
        "custom_field_create": RootField(
            custom_field_create,
            "Add a custom field. It appears, typed, in the tenant's schema on the next request.",
            role="ADMIN",
        ),
        "custom_field_update": RootField(
            custom_field_update,
            "Change a field's label, description, settings or options (option ids never change).",
            role="ADMIN",
        ),
        "custom_field_archive": RootField(custom_field_archive, custom_field_archive.__doc__ or "", role="ADMIN"),
        "custom_field_restore": RootField(custom_field_restore, custom_field_restore.__doc__ or "", role="ADMIN"),
    }
