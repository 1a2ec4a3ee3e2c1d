# The entity and type enums are built from registries at import time; mypy cannot use them as types.
# mypy: disable-error-code="valid-type"
"""GraphQL API for custom field definitions: the generic query for form renderers, and the admin mutations.

These types are the same in every tenant's schema; what a definition adds to the typed schema appears on
the tenant's next request. Create and update inputs share one list of settings (``SETTINGS``); on update an
omitted setting stays as it is and an explicit null clears it.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Awaitable
from typing import Annotated, Any

import strawberry
from strawberry.scalars import JSON

from rapport.context import RequestContext
from rapport.customfields import service
from rapport.customfields.definition import FieldDefinition
from rapport.customfields.indexes import Pending, unique_name
from rapport.customfields.lifecycle import ConversionReport
from rapport.customfields.types.reference import TARGETS
from rapport.customfields.types.registry import FIELD_TYPES
from rapport.customfields.values import ValueProblem
from rapport.errors import UserErrorCode
from rapport.ids import from_global_id, to_global_id
from rapport.schema.common import UserError
from rapport.schema.entities import CUSTOMIZABLE
from rapport.schema.enums import Role, make_enum
from rapport.schema.roots import RootField

Info = strawberry.Info[RequestContext, None]
UNSET: Any = strawberry.UNSET

CustomFieldEntity = make_enum(
    "CustomFieldEntity", {k: k for k in CUSTOMIZABLE}, "Entities tenants can add custom fields to."
)
CustomFieldType = make_enum(
    "CustomFieldType",
    {name: name for name in FIELD_TYPES},
    "Custom field types:\n\n" + "\n".join(f"- {n}: {t.description}" for n, t in FIELD_TYPES.items()),
)
ReferenceTarget = make_enum(
    "CustomFieldReferenceTarget", {k: k for k in TARGETS}, "What a REFERENCE field can point at."
)
DEFINITION_TYPE = "CustomFieldDefinition"


@strawberry.enum(description="Where a field's indexes stand.")
class IndexStatus(enum.Enum):
    NONE = "NONE"
    PENDING = "PENDING"
    BUILDING = "BUILDING"
    READY = "READY"
    FAILED = "FAILED"


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
    description: str | None = strawberry.field(description="What the field is for.")
    help_text: str | None = strawberry.field(description="Help shown next to the input.")
    group: str | None = strawberry.field(description="Section of the form the field belongs in.")
    required: bool = strawberry.field(description="Every record must have a value.")
    unique: bool = strawberry.field(description="No two live records share a value.")
    filterable: bool = strawberry.field(description="Indexed for filtering (ranges, text prefixes).")
    sortable: bool = strawberry.field(description="Indexed for sorting.")
    default: JSON | None = strawberry.field(description="Value given to new records that omit the field.")
    options: list[CustomFieldOption] = strawberry.field(description="Choices (SELECT and MULTI_SELECT), in order.")
    visible_to: list[Role] | None = strawberry.field(description="Roles that see the field (null: every role).")
    editable_by: list[Role] | None = strawberry.field(description="Roles that may set it (null: every role).")
    config: JSON = strawberry.field(description="All settings in stored form (min, max, regex, target, ...).")
    position: int = strawberry.field(description="Order among the entity's fields.")
    archived: bool = strawberry.field(description="Hidden from the typed schema; values are kept.")
    index_status: IndexStatus = strawberry.field(description="Where the field's indexes stand.")
    index_error: str | None = strawberry.field(description="Why the last index build failed.")
    version: int = strawberry.field(description="Increases with every change.")
    created_at: dt.datetime | None = strawberry.field(description="When the field was added.")
    updated_at: dt.datetime | None = strawberry.field(description="When the field last changed.")


def view(d: FieldDefinition) -> CustomFieldDefinitionView:
    roles = {r.value: r for r in Role}
    visible, editable = d.setting("visibleTo"), d.setting("editableBy")
    return CustomFieldDefinitionView(
        id=strawberry.ID(to_global_id(DEFINITION_TYPE, d.id)),
        entity=CustomFieldEntity[d.entity],
        key=d.key,
        type=CustomFieldType[d.type],
        label=d.label,
        description=d.description,
        help_text=d.setting("helpText"),
        group=d.setting("group"),
        required=d.required,
        unique=bool(d.setting("unique")),
        filterable=bool(d.setting("filterable")),
        sortable=bool(d.setting("sortable")),
        default=d.default,
        options=[CustomFieldOption(id=o.id, value=o.value, label=o.label, color=o.color) for o in d.options],
        visible_to=None if visible is None else [roles[r] for r in visible],
        editable_by=None if editable is None else [roles[r] for r in editable],
        config=JSON(dict(d.config)),
        position=d.position,
        archived=d.archived,
        index_status=IndexStatus(d.index_status),
        index_error=d.index_error,
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
        default=None, description="An existing option's id, to keep it (relabel or reorder) in customFieldUpdate."
    )


# (python name, stored config key, annotation, description): the settings create and update share.
SETTINGS: list[tuple[str, str, Any, str]] = [
    ("required", "required", bool, "Every record must have a value (existing records need a default to fill)."),
    ("default", "default", JSON, "Value for new records that omit the field."),
    (
        "unique",
        "unique",
        bool,
        "No two live records may share a value (TEXT, numbers, dates, EMAIL, PHONE, URL, REFERENCE).",
    ),
    ("filterable", "filterable", bool, "Build an index for filtering (ranges, prefixes); see indexStatus."),
    ("sortable", "sortable", bool, "Build an index for sorting; see indexStatus."),
    ("visible_to", "visibleTo", list[Role], "Roles that see the field; others' schemas do not have it."),
    ("editable_by", "editableBy", list[Role], "Roles that may set it (a subset of visibleTo)."),
    ("help_text", "helpText", str, "Help shown next to the input."),
    ("group", "group", str, "Section of the form the field belongs in."),
    ("options", "options", list[CustomFieldOptionInput], "SELECT / MULTI_SELECT choices, in display order."),
    ("min", "min", JSON, "Smallest value (INTEGER, DECIMAL, PERCENT, DATE, MONEY amount)."),
    ("max", "max", JSON, "Largest value (INTEGER, DECIMAL, PERCENT, DATE, MONEY amount; RATING: stars)."),
    ("min_length", "minLength", int, "Shortest text (TEXT, LONG_TEXT)."),
    ("max_length", "maxLength", int, "Longest text (TEXT up to 1,000; LONG_TEXT up to 100,000)."),
    ("regex", "regex", str, "RE2 pattern the whole text must match (TEXT)."),
    ("scale", "scale", int, "Most decimal places (DECIMAL, PERCENT)."),
    ("default_region", "defaultRegion", str, "Region for numbers given without +country, e.g. CN (PHONE)."),
    ("currency", "currency", str, "Default ISO 4217 currency (MONEY)."),
    ("target", "target", ReferenceTarget, "What the field points at (REFERENCE)."),
    ("schema", "schema", JSON, "A JSON Schema the value must satisfy (JSON)."),
]


def _input_class(name: str, description: str, head: dict[str, tuple[Any, str, bool]], default: Any) -> Any:
    """An input with ``head`` fields (annotation, description, required) and every setting, defaulting to
    ``default`` (None on create, UNSET on update so null can clear)."""
    annotations: dict[str, Any] = {}
    namespace: dict[str, Any] = {}
    for attr, (annotation, doc, required) in head.items():
        annotations[attr] = annotation if required else annotation | None
        namespace[attr] = (
            strawberry.field(description=doc) if required else strawberry.field(default=default, description=doc)
        )
    for attr, _, annotation, doc in SETTINGS:
        annotations[attr] = annotation | None
        namespace[attr] = strawberry.field(default=default, description=doc)
    cls = type(name, (), {"__annotations__": annotations, **namespace})
    return strawberry.input(cls, name=name, description=description)


CustomFieldCreateInput = _input_class(
    "CustomFieldCreateInput",
    "A new custom field.",
    {
        "entity": (CustomFieldEntity, "The entity to add it to.", True),
        "key": (str, "Its API name: camelCase, unique on the entity, not a core field.", True),
        "type": (CustomFieldType, "Its type; see CustomFieldType.", True),
        "label": (str, "What people see.", True),
        "description": (str, "What the field is for.", False),
        "position": (int, "Order among the entity's fields.", False),
    },
    None,
)
CustomFieldUpdateInput = _input_class(
    "CustomFieldUpdateInput",
    "Changes to a custom field: omitted settings stay as they are; null clears one.",
    {
        "label": (str, "What people see.", False),
        "description": (str, "What the field is for.", False),
        "position": (int, "Order among the entity's fields.", False),
        "key": (str, "A new key: stored values move to it and the typed schema follows.", False),
        "add_options": (list[CustomFieldOptionInput], "Options to append (SELECT / MULTI_SELECT).", False),
    },
    UNSET,
)
CustomFieldSettingsInput = _input_class(
    "CustomFieldSettingsInput", "Settings for the field's new type in customFieldChangeType.", {}, None
)


@strawberry.type(description="Result of a custom field mutation.")
class CustomFieldPayload:
    custom_field: CustomFieldDefinitionView | None = strawberry.field(
        description="The definition after the change, or null if nothing changed."
    )
    user_errors: list[UserError] = strawberry.field(description="Problems with the input; empty on success.")


@strawberry.type(description="A stored value that does not convert to the new type.")
class ConversionSample:
    id: strawberry.ID = strawberry.field(description="The record holding it.")
    value: JSON = strawberry.field(description="The stored value.")
    problem: str = strawberry.field(description="Why it does not convert.")


@strawberry.type(description="How the stored values of a field fare under a type change.")
class ConversionReportView:
    total: int = strawberry.field(description="Records with a value.")
    convertible: int = strawberry.field(description="Values that convert.")
    failing: int = strawberry.field(description="Values that do not (the change is refused while any do).")
    samples: list[ConversionSample] = strawberry.field(description="Up to 10 failing values.")
    dropped_settings: list[str] = strawberry.field(
        description="Settings of the field the new type does not keep (it has no such setting, or the value does "
        "not fit it), e.g. scale going to INTEGER; the others carry over."
    )


@strawberry.type(description="Result of customFieldChangeType.")
class CustomFieldChangeTypePayload:
    custom_field: CustomFieldDefinitionView | None = strawberry.field(
        description="The field after the change (for a dry run: as it would be); null if refused."
    )
    report: ConversionReportView | None = strawberry.field(description="What the conversion finds.")
    applied: bool = strawberry.field(description="Whether the type (and the values) changed.")
    user_errors: list[UserError] = strawberry.field(description="Problems; empty on success.")


@strawberry.type(description="Result of customFieldDelete.")
class CustomFieldDeletePayload:
    deleted_id: strawberry.ID | None = strawberry.field(description="The deleted definition's ID.")
    purged_values: int = strawberry.field(description="How many records lost their value.")
    user_errors: list[UserError] = strawberry.field(description="Problems; empty on success.")


def _settings(data: Any, current: FieldDefinition | None = None) -> dict[str, Any]:
    """The settings the input gives (explicit nulls included on update), in stored form."""
    settings: dict[str, Any] = {}
    for attr, key, _, _ in SETTINGS:
        value = getattr(data, attr, UNSET)
        if value is UNSET or (value is None and current is None):
            continue
        if key == "options" and value is not None:
            value = [_option(o) for o in value]
        elif isinstance(value, list):
            value = [getattr(v, "value", v) for v in value]
        elif isinstance(value, enum.Enum):
            value = value.value
        settings[key] = value
    added = getattr(data, "add_options", UNSET)
    if added not in (UNSET, None):
        base = settings.get("options") or [o.as_json() for o in (current.options if current else ())]
        settings["options"] = base + [_option(o) for o in added]
    return settings


def _value(member: Any) -> str:
    value: str = member.value
    return value


def _option(o: CustomFieldOptionInput) -> dict[str, Any]:
    return {k: v for k, v in {"id": o.id, "label": o.label, "value": o.value, "color": o.color}.items() if v}


def _errors(problems: list[ValueProblem]) -> list[UserError]:
    return [UserError(code=p.code, field=p.path, message=p.message) for p in problems]


NOT_FOUND = [UserError(code=UserErrorCode.NOT_FOUND, field=["id"], message="no such custom field in this tenant")]


def _given(value: Any) -> Any:
    return None if value is UNSET else value


async def _current(ctx: RequestContext, global_id: str) -> FieldDefinition | None:
    decoded = from_global_id(global_id)
    if decoded is None or decoded[0] != DEFINITION_TYPE:
        return None
    return await service.get_definition(ctx.conn, ctx.tenant_id, decoded[1], for_update=True)


def _after_commit(ctx: RequestContext, definition: FieldDefinition, drop: tuple[str, ...] = ()) -> None:
    """Queue index work for after the request commits (index DDL cannot run inside it)."""
    if definition.index_status == "PENDING" or drop:
        ctx.index_jobs.append(Pending(ctx.tenant_id, definition.id, drop))


async def _run(
    ctx: RequestContext, change: Awaitable[FieldDefinition], drop: tuple[str, ...] = ()
) -> CustomFieldPayload:
    """Run a definition change in a savepoint: refused changes leave nothing behind."""
    try:
        async with ctx.conn.begin_nested():
            definition = await change
    except service.Refused as refused:
        return CustomFieldPayload(custom_field=None, user_errors=_errors(refused.problems))
    _after_commit(ctx, definition, drop)
    return CustomFieldPayload(custom_field=view(definition), user_errors=[])


async def custom_field_definitions(
    info: Info,
    entity: Annotated[CustomFieldEntity | None, strawberry.argument(description="Only this entity's fields.")] = None,
    include_archived: Annotated[bool, strawberry.argument(description="Include archived fields.")] = False,
) -> list[CustomFieldDefinitionView]:
    """The tenant's custom field definitions your role can see, in display order (for form renderers)."""
    ctx = info.context
    found = await service.load_definitions(ctx.conn, ctx.tenant_id)
    admin = ctx.actor.at_least("ADMIN")
    chosen = [
        d
        for d in found
        if (entity is None or d.entity == _value(entity))
        and (include_archived or not d.archived)
        and (admin or d.visible_to(ctx.actor.role))
    ]
    return [view(d) for d in sorted(chosen, key=lambda d: (d.entity, d.position, d.key))]


def _type_names() -> set[str]:
    from rapport.schema.cache import base_type_names

    return base_type_names()


async def custom_field_create(info: Info, input: CustomFieldCreateInput) -> CustomFieldPayload:
    ctx = info.context
    data: Any = input
    change = service.DefinitionChange(
        label=data.label, description=data.description, position=data.position, settings=_settings(data)
    )
    return await _run(
        ctx,
        service.create_definition(
            ctx.conn,
            ctx.tenant_id,
            entity=_value(data.entity),
            key=data.key,
            type_name=_value(data.type),
            change=change,
            schema_type_names=_type_names(),
        ),
    )


async def custom_field_update(
    info: Info,
    id: strawberry.ID,
    input: CustomFieldUpdateInput,
    expected_version: Annotated[int | None, strawberry.argument(description="Refuse if the field changed.")] = None,
) -> CustomFieldPayload:
    ctx = info.context
    data: Any = input
    current = await _current(ctx, id)
    if current is None:
        return CustomFieldPayload(custom_field=None, user_errors=NOT_FOUND)
    change = service.DefinitionChange(
        label=_given(data.label),
        description=_given(data.description),
        position=_given(data.position),
        key=_given(data.key),
        settings=_settings(data, current),
    )
    # A unique index that no longer applies is dropped: uniqueness turned off, or the key renamed (the index
    # is on the old key's value; the build that follows makes it anew on the new key).
    settings = change.settings or {}
    unique_off = settings.get("unique", True) in (None, False)
    renamed = change.key is not None and change.key != current.key
    drop = (unique_name(current),) if current.setting("unique") and (unique_off or renamed) else ()
    return await _run(
        ctx, service.update_definition(ctx.conn, ctx.tenant_id, current, change, expected_version, _type_names()), drop
    )


async def custom_field_archive(info: Info, id: strawberry.ID) -> CustomFieldPayload:
    """Hide a field from the typed schema; stored values are kept and come back with customFieldRestore."""
    ctx = info.context
    current = await _current(ctx, id)
    if current is None:
        return CustomFieldPayload(custom_field=None, user_errors=NOT_FOUND)
    return await _run(ctx, service.set_archived(ctx.conn, ctx.tenant_id, current, archived=True))


async def custom_field_restore(info: Info, id: strawberry.ID) -> CustomFieldPayload:
    """Bring an archived field back, with the values it had."""
    ctx = info.context
    current = await _current(ctx, id)
    if current is None:
        return CustomFieldPayload(custom_field=None, user_errors=NOT_FOUND)
    return await _run(ctx, service.set_archived(ctx.conn, ctx.tenant_id, current, archived=False))


async def custom_field_merge_options(
    info: Info,
    id: strawberry.ID,
    source_option_ids: Annotated[list[str], strawberry.argument(description="Options to fold into the target.")],
    target_option_id: Annotated[str, strawberry.argument(description="The option that remains.")],
    expected_version: Annotated[int | None, strawberry.argument(description="Refuse if the field changed.")] = None,
) -> CustomFieldPayload:
    """Merge options: every record holding a source option holds the target instead; the sources are removed.
    Also the way to remove an option that is in use (merge it into its replacement)."""
    ctx = info.context
    current = await _current(ctx, id)
    if current is None:
        return CustomFieldPayload(custom_field=None, user_errors=NOT_FOUND)
    return await _run(
        ctx,
        service.merge_options(ctx.conn, ctx.tenant_id, current, source_option_ids, target_option_id, expected_version),
    )


def _report(report: ConversionReport) -> ConversionReportView:
    return ConversionReportView(
        total=report.total,
        convertible=report.convertible,
        failing=report.failing,
        samples=[
            ConversionSample(id=strawberry.ID(s["id"]), value=s["value"], problem=s["problem"]) for s in report.samples
        ],
        dropped_settings=report.dropped_settings,
    )


async def custom_field_change_type(
    info: Info,
    id: strawberry.ID,
    type: Annotated[CustomFieldType, strawberry.argument(description="The new type.")],
    dry_run: Annotated[bool, strawberry.argument(description="Only report what would convert.")] = False,
    settings: Annotated[
        CustomFieldSettingsInput | None,
        strawberry.argument(description="Settings for the new type (e.g. options for a SELECT)."),
    ] = None,
    expected_version: Annotated[int | None, strawberry.argument(description="Refuse if the field changed.")] = None,
) -> CustomFieldChangeTypePayload:
    """Change a field's type. Every stored value is converted, or nothing changes; dryRun reports how many
    values convert, with failing samples. Offered: SELECT<->MULTI_SELECT (one option at most), between number
    types (whole numbers for INTEGER/RATING), any scalar -> TEXT/LONG_TEXT, TEXT -> numbers, dates, EMAIL, PHONE,
    URL, BOOLEAN and SELECT (options from the settings, or one per distinct text)."""
    ctx = info.context
    current = await _current(ctx, id)
    if current is None:
        return CustomFieldChangeTypePayload(custom_field=None, report=None, applied=False, user_errors=NOT_FOUND)
    try:
        async with ctx.conn.begin_nested():
            changed, report = await service.change_type(
                ctx.conn,
                ctx.tenant_id,
                current,
                _value(type),
                _settings(settings) if settings else {},
                dry_run,
                expected_version,
            )
    except service.Refused as refused:
        found = None
        if not dry_run and any(p.code == UserErrorCode.INVALID_STATE for p in refused.problems):
            async with ctx.conn.begin_nested():
                _, found = await service.change_type(
                    ctx.conn, ctx.tenant_id, current, _value(type), _settings(settings) if settings else {}, True, None
                )
        return CustomFieldChangeTypePayload(
            custom_field=None,
            report=_report(found) if found else None,
            applied=False,
            user_errors=_errors(refused.problems),
        )
    if not dry_run:
        _after_commit(ctx, changed)
    return CustomFieldChangeTypePayload(
        custom_field=view(changed), report=_report(report), applied=not dry_run, user_errors=[]
    )


async def custom_field_delete(
    info: Info,
    id: strawberry.ID,
    expected_version: Annotated[int | None, strawberry.argument(description="Refuse if the field changed.")] = None,
) -> CustomFieldDeletePayload:
    """Delete a field for good: its stored values are purged too. (customFieldArchive hides it and keeps them.)"""
    ctx = info.context
    current = await _current(ctx, id)
    if current is None:
        return CustomFieldDeletePayload(deleted_id=None, purged_values=0, user_errors=NOT_FOUND)
    try:
        async with ctx.conn.begin_nested():
            purged = await service.delete_definition(ctx.conn, ctx.tenant_id, current, expected_version)
    except service.Refused as refused:
        return CustomFieldDeletePayload(deleted_id=None, purged_values=0, user_errors=_errors(refused.problems))
    if current.setting("unique"):
        ctx.index_jobs.append(Pending(ctx.tenant_id, current.id, (unique_name(current),)))
    return CustomFieldDeletePayload(deleted_id=id, purged_values=purged, user_errors=[])


def query_fields(objects: dict[str, Any]) -> dict[str, RootField]:
    return {
        "custom_field_definitions": RootField(
            custom_field_definitions, "The tenant's custom field definitions, in display order."
        )
    }


def mutation_fields(objects: dict[str, Any]) -> dict[str, RootField]:
    def admin(resolver: Any, description: str) -> RootField:
        return RootField(resolver, description, role="ADMIN")

    return {
        "custom_field_create": admin(
            custom_field_create, "Add a custom field. It appears, typed, in the tenant's schema on the next request."
        ),
        "custom_field_update": admin(
            custom_field_update, "Change a field's label, settings, options (ids never change) or key (values move)."
        ),
        "custom_field_archive": admin(custom_field_archive, custom_field_archive.__doc__ or ""),
        "custom_field_restore": admin(custom_field_restore, custom_field_restore.__doc__ or ""),
        "custom_field_merge_options": admin(custom_field_merge_options, custom_field_merge_options.__doc__ or ""),
        "custom_field_change_type": admin(custom_field_change_type, custom_field_change_type.__doc__ or ""),
        "custom_field_delete": admin(custom_field_delete, custom_field_delete.__doc__ or ""),
    }
