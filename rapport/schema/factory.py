# Types here are built at run time; mypy cannot check annotations that name them.
# mypy: disable-error-code="valid-type"
"""Builds one tenant's GraphQL schema: every core entity from its declaration, plus the tenant's custom
fields as typed fields, inputs, filters and sort keys.

Because ``Customer.custom`` differs per tenant, every type that reaches ``Customer`` differs too, so the whole
type graph is generated here, per set of definitions, and cached by the caller. Types are first created as
empty classes (so they can reference each other, cycles included), then filled, then handed to strawberry.

This module deliberately does not use ``from __future__ import annotations``: resolver signatures built here
refer to classes that exist only inside one build, so annotations must be evaluated when defined.
"""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import strawberry
from strawberry.extensions.field_extension import FieldExtension
from strawberry.permission import PermissionExtension
from strawberry.scalars import JSON
from strawberry.schema.config import StrawberryConfig

from rapport.customfields.definition import FieldDefinition
from rapport.customfields.types.registry import field_type
from rapport.schema import scalars
from rapport.schema.common import ConnectionValue, Node, PageInfo, UserError
from rapport.schema.declarations import Children, Column, Computed, Entity, Reference
from rapport.schema.entities import ENTITIES
from rapport.schema.enums import OrderDirection, enum_filter, make_enum
from rapport.schema.filters import IDFilter

UNSET: Any = strawberry.UNSET


def pascal(key: str) -> str:
    return key[:1].upper() + key[1:]


def screaming(key: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", key).upper()


def lower_first(name: str) -> str:
    return name[:1].lower() + name[1:]


def dict_or_attr(source: Any, name: str) -> Any:
    """Default resolver: custom values are dicts (the row's JSONB), everything else records or objects."""
    if type(source) is dict:
        return source.get(name)
    return getattr(source, name)


def _always(cls: Any, obj: Any, info: Any) -> bool:
    # Resolvers only ever return the right records for a field; skip strawberry's isinstance checks.
    return True


class RapportSchema(strawberry.Schema):
    """Errors are shaped and logged once, by the request executor (with the request id)."""

    def process_errors(self, errors: Any, execution_context: Any = None) -> None:
        return None


@dataclass(frozen=True)
class TenantSchema:
    schema: strawberry.Schema
    fingerprint: str
    # Active definitions by entity key, then field key: what resolvers validate and filter against.
    custom_fields: Mapping[str, Mapping[str, FieldDefinition]]


class _Build:
    """One tenant's type graph under construction."""

    def __init__(self, definitions: Sequence[FieldDefinition]) -> None:
        grouped: dict[str, list[FieldDefinition]] = {}
        for d in sorted(definitions, key=lambda d: (d.position, d.key)):
            if not d.archived:
                grouped.setdefault(d.entity, []).append(d)
        self.custom: dict[str, dict[str, FieldDefinition]] = {
            entity: {d.key: d for d in defs} for entity, defs in grouped.items()
        }
        self.objects: dict[str, Any] = {e.name: type(e.name, (Node,), {}) for e in ENTITIES.values()}
        self.pending: list[tuple[Any, str, dict[str, Any]]] = []  # (class, kind, options) to decorate
        self.enums: dict[tuple[str, str], Any] = {}

    # --- TypeScope for field types -------------------------------------------------------------------
    def option_enum(self, definition: FieldDefinition) -> Any:
        key = (definition.entity, definition.key)
        if key not in self.enums:
            name = self._custom_type_name(definition)
            members = {o.value: o.id for o in definition.options}
            self.enums[key] = make_enum(name, members, f"Options of the custom field {definition.label!r}.")
        return self.enums[key]

    def option_filter(self, definition: FieldDefinition, *, multi: bool) -> Any:
        enum_cls = self.option_enum(definition)
        name = self._custom_type_name(definition)
        if not multi:
            return enum_filter(enum_cls, f"{name}Filter")
        annotations = {
            "contains_any": list[enum_cls] | None,
            "contains_all": list[enum_cls] | None,
            "is_empty": bool | None,
        }
        cls = type(f"{name}ListFilter", (), {"__annotations__": annotations, **dict.fromkeys(annotations, UNSET)})
        return strawberry.input(
            cls,
            name=f"{name}ListFilter",
            description="Conditions on a multi-select: any of, all of, or none chosen.",
        )

    def _custom_type_name(self, definition: FieldDefinition) -> str:
        entity = next(e for e in ENTITIES.values() if e.custom_entity == definition.entity)
        return f"{entity.name}{pascal(definition.key)}"

    # --- helpers ----------------------------------------------------------------------------------------
    def _new(
        self,
        name: str,
        kind: str,
        description: str,
        annotations: dict[str, Any],
        namespace: dict[str, Any],
        bases: tuple[type, ...] = (),
    ) -> Any:
        cls = type(name, bases, {"__annotations__": annotations, **namespace})
        self.pending.append((cls, kind, {"name": name, "description": description}))
        return cls

    def _fill(
        self, cls: Any, kind: str, description: str, annotations: dict[str, Any], namespace: dict[str, Any]
    ) -> None:
        cls.__annotations__ = annotations
        for attr, value in namespace.items():
            setattr(cls, attr, value)
        self.pending.append((cls, kind, {"name": cls.__name__, "description": description}))

    def _decorate(self) -> None:
        for cls, kind, options in self.pending:
            if kind == "type":
                strawberry.type(cls, **options)
            else:
                strawberry.input(cls, **options)

    # --- per entity -------------------------------------------------------------------------------------
    def custom_types(self, entity: Entity) -> tuple[Any, Any, Any, Any] | None:
        """(CustomFields, CustomFieldsInput, CustomFieldsFilter, CustomOrderField) or None without fields."""
        defs = self.custom.get(entity.custom_entity or "", {})
        if not defs:
            return None
        out_ann, in_ann, filter_ann = {}, {}, {}
        out_ns, in_ns, filter_ns = {}, {}, {}
        sortable = []
        for key, d in defs.items():
            ftype = field_type(d.type)
            doc = d.description or d.label
            out_ann[key] = ftype.output_type(d, self)
            out_ns[key] = strawberry.field(name=key, description=doc, default=None)
            in_ann[key] = ftype.input_type(d, self)
            in_ns[key] = strawberry.field(name=key, description=doc, default=UNSET)
            filter_ann[key] = ftype.filter_type(d, self) | None
            filter_ns[key] = strawberry.field(name=key, description=f"Conditions on {d.label!r}.", default=UNSET)
            if ftype.sortable:
                sortable.append(key)
        name = entity.name
        output = self._new(f"{name}CustomFields", "type", f"The tenant's custom fields on {name}.", out_ann, out_ns)
        inputs = self._new(
            f"{name}CustomFieldsInput",
            "input",
            f"Values for {name} custom fields. Omit a field to leave it; null clears it.",
            in_ann,
            in_ns,
        )
        filters = self._new(
            f"{name}CustomFieldsFilter",
            "input",
            f"Conditions on {name} custom fields.",
            filter_ann,
            filter_ns,
        )
        order = None
        if sortable:
            members = {screaming(k): k for k in sortable}
            order = make_enum(f"{name}CustomOrderField", members, f"{name} custom fields to sort by.")
        return output, inputs, filters, order

    def entity_types(self, entity: Entity) -> None:
        name = entity.name
        custom = self.custom_types(entity)
        obj = self.objects[name]

        # Filter and ordering.
        filter_cls = type(f"{name}Filter", (), {})
        filter_ann: dict[str, Any] = {"id": IDFilter | None}
        filter_ns: dict[str, Any] = {"id": strawberry.field(default=UNSET, description="Conditions on the ID.")}
        for f in entity.fields:
            if isinstance(f, Column) and f.filter is not None:
                filter_ann[f.name] = f.filter | None
                filter_ns[f.name] = strawberry.field(default=UNSET, description=f.description)
            elif isinstance(f, Reference):
                filter_ann[f"{f.name}_id"] = IDFilter | None
                filter_ns[f"{f.name}_id"] = strawberry.field(default=UNSET, description=f"Conditions on {f.name}'s ID.")
        if custom:
            filter_ann["custom"] = custom[2] | None
            filter_ns["custom"] = strawberry.field(default=UNSET, description="Conditions on custom fields.")
        filter_ann.update(and_=list[filter_cls] | None, or_=list[filter_cls] | None, not_=filter_cls | None)
        filter_ns.update(
            and_=strawberry.field(name="and", default=UNSET, description="All of these hold."),
            or_=strawberry.field(name="or", default=UNSET, description="At least one of these holds."),
            not_=strawberry.field(name="not", default=UNSET, description="This does not hold."),
        )
        self._fill(
            filter_cls,
            "input",
            f"Conditions on {name} objects; all given conditions must hold.",
            filter_ann,
            filter_ns,
        )

        order_ann: dict[str, Any] = {"field": order_field_enum(entity) | None}
        order_ns: dict[str, Any] = {"field": strawberry.field(default=UNSET, description="A core field.")}
        if custom and custom[3] is not None:
            order_ann["custom"] = custom[3] | None
            order_ns["custom"] = strawberry.field(default=UNSET, description="A custom field.")
        order_ann["direction"] = OrderDirection
        order_ns["direction"] = strawberry.field(default=OrderDirection.ASC, description="ASC or DESC.")
        order_cls = self._new(
            f"{name}OrderBy",
            "input",
            f"One sort key for {name} lists: give exactly one of `field` or `custom`.",
            order_ann,
            order_ns,
        )

        # Edge and connection.
        edge = self._new(
            f"{name}Edge",
            "type",
            f"A {name} in a list, with its cursor.",
            {"cursor": str, "node": obj},
            {
                "cursor": strawberry.field(description="Pass as `after`/`before` to page from here."),
                "node": strawberry.field(description=f"The {name}."),
            },
        )
        connection = self._new(
            f"{name}Connection",
            "type",
            f"A page of {name} objects.",
            {"edges": list[edge], "nodes": list[obj], "page_info": PageInfo},
            {
                "edges": strawberry.field(description="The items with their cursors."),
                "nodes": strawberry.field(description="The items, without cursors."),
                "page_info": strawberry.field(description="Paging information."),
                "total_count": strawberry.field(
                    resolver=_total_count, description="How many items match, across all pages."
                ),
            },
        )
        self.connections[name] = (connection, filter_cls, order_cls)

        # The object type itself (filled after every entity's connection exists).
        self.object_specs[name] = (entity, custom)
        self.inputs[name] = self.mutation_inputs(entity, custom)

    def fill_object(self, entity: Entity, custom: tuple[Any, Any, Any, Any] | None) -> None:
        from rapport.resolvers import queries

        name = entity.name
        annotations: dict[str, Any] = {}
        namespace: dict[str, Any] = {
            "id": strawberry.field(resolver=queries.global_id_resolver(name), description="Global ID."),
            "is_type_of": classmethod(_always),
        }
        for f in entity.fields:
            if isinstance(f, Column):
                annotations[f.name] = f.annotation
                namespace[f.name] = strawberry.field(description=f.description)
            elif isinstance(f, Computed):
                namespace[f.name] = strawberry.field(resolver=_computed(f, f.annotation), description=f.description)
            elif isinstance(f, Reference):
                target = self.objects[f.target]
                namespace[f.name] = strawberry.field(
                    resolver=queries.reference_resolver(f, ENTITIES[f.target], target if f.required else target | None),
                    description=f.description,
                )
            elif isinstance(f, Children):
                connection, filter_cls, order_cls = self.connections[f.target]
                namespace[f.name] = strawberry.field(
                    resolver=queries.children_resolver(
                        entity, f, ENTITIES[f.target], connection, filter_cls, order_cls
                    ),
                    description=f.description,
                )
        if custom:
            namespace["custom"] = strawberry.field(
                resolver=queries.custom_resolver(custom[0]), description="The tenant's custom fields, typed."
            )
        if entity.custom_entity:
            namespace["custom_fields"] = strawberry.field(
                resolver=queries.custom_json_resolver(entity),
                description="Custom field values as JSON keyed by field key (the same for every tenant; for "
                "tools that work across tenants). Values are in their stored form.",
            )
        self._fill(self.objects[name], "type", entity.description, annotations, namespace)

    def mutation_inputs(self, entity: Entity, custom: tuple[Any, Any, Any, Any] | None) -> tuple[Any, Any]:
        name = entity.name
        made = []
        for variant in ("Create", "Update"):
            annotations: dict[str, Any] = {}
            namespace: dict[str, Any] = {}
            for item in entity.inputs:
                required = variant == "Create" and item.required
                annotations[item.name] = item.annotation if required else item.annotation | None
                namespace[item.name] = strawberry.field(
                    description=item.description, **({} if required else {"default": UNSET})
                )
            if custom:
                annotations["custom"] = custom[1] | None
                namespace["custom"] = strawberry.field(default=UNSET, description="Custom field values, typed.")
            if entity.custom_entity:
                annotations["custom_fields"] = JSON | None
                namespace["custom_fields"] = strawberry.field(
                    default=UNSET,
                    description="Custom field values as JSON keyed by field key (generic form; "
                    "values are checked like typed ones).",
                )
            what = "the new" if variant == "Create" else "changes to a"
            note = "" if variant == "Create" else " Omitted fields stay as they are; null clears a field."
            made.append(
                self._new(
                    f"{name}{variant}Input",
                    "input",
                    f"Fields of {what} {name}.{note}",
                    annotations,
                    namespace,
                )
            )
        return made[0], made[1]

    # --- the whole schema ---------------------------------------------------------------------------------
    def build(self) -> strawberry.Schema:
        from rapport.resolvers import custom_fields as cf_resolvers
        from rapport.resolvers import mutations, queries

        self.connections: dict[str, tuple[Any, Any, Any]] = {}
        self.object_specs: dict[str, tuple[Entity, Any]] = {}
        self.inputs: dict[str, tuple[Any, Any]] = {}
        for entity in ENTITIES.values():
            self.entity_types(entity)
        for entity, custom in self.object_specs.values():
            self.fill_object(entity, custom)

        query_ns: dict[str, Any] = {
            "node": strawberry.field(resolver=queries.node, description="Fetch any object by its global ID."),
            "nodes": strawberry.field(resolver=queries.nodes, description="Fetch objects by global IDs (≤ 100)."),
        }
        mutation_ns: dict[str, Any] = {}
        for entity in ENTITIES.values():
            if entity.root_field:
                connection, filter_cls, order_cls = self.connections[entity.name]
                query_ns[entity.root_field] = strawberry.field(
                    resolver=queries.root_resolver(entity, connection, filter_cls, order_cls),
                    description=f"{entity.name} objects, filtered and ordered, a page at a time.",
                )
            if entity.inputs:
                create_input, update_input = self.inputs[entity.name]
                mutation_ns.update(self.entity_mutations(entity, create_input, update_input, mutations))
        query_ns.update(cf_resolvers.query_fields())
        mutation_ns.update(cf_resolvers.mutation_fields())
        query = self._new("Query", "type", "Everything a token of this tenant can read.", {}, query_ns)
        mutation = self._new("Mutation", "type", "Everything a token of this tenant can change.", {}, mutation_ns)
        self._decorate()
        return RapportSchema(
            query=query,
            mutation=mutation,
            types=list(self.objects.values()),
            config=StrawberryConfig(default_resolver=dict_or_attr, scalar_map=scalars.SCALAR_MAP),
        )

    def entity_mutations(self, entity: Entity, create_input: Any, update_input: Any, mutations: Any) -> dict[str, Any]:
        name = entity.name
        field_name = lower_first(name)
        obj = self.objects[name]
        payloads = {}
        for verb in ("Create", "Update"):
            payloads[verb] = self._new(
                f"{name}{verb}Payload",
                "type",
                f"Result of {field_name}{verb}.",
                {field_name: obj | None, "user_errors": list[UserError]},
                {
                    field_name: strawberry.field(description=f"The {name}, or null if nothing was written."),
                    "user_errors": strawberry.field(description="Problems with the input; empty on success."),
                },
            )
        payloads["Delete"] = self._new(
            f"{name}DeletePayload",
            "type",
            f"Result of {field_name}Delete.",
            {"deleted_id": strawberry.ID | None, "user_errors": list[UserError]},
            {
                "deleted_id": strawberry.field(description="ID of the deleted object, or null if nothing was deleted."),
                "user_errors": strawberry.field(description="Problems with the input; empty on success."),
            },
        )
        writer: list[FieldExtension] = [PermissionExtension(permissions=[mutations.CanWrite()], use_directives=False)]
        return {
            f"{field_name}_create": strawberry.mutation(
                resolver=mutations.create_resolver(entity, create_input, payloads["Create"], field_name),
                description=f"Create a {name}.",
                extensions=writer,
            ),
            f"{field_name}_update": strawberry.mutation(
                resolver=mutations.update_resolver(entity, update_input, payloads["Update"], field_name),
                description=f"Change a {name}. Pass the version you read as expectedVersion; a stale version is "
                "refused with CONFLICT.",
                extensions=writer,
            ),
            f"{field_name}_delete": strawberry.mutation(
                resolver=mutations.delete_resolver(entity, payloads["Delete"]),
                description=f"Delete a {name}.",
                extensions=writer,
            ),
        }


async def _total_count(root: ConnectionValue) -> int:
    return await root.total_count()


def _computed(f: Computed, annotation: Any) -> Any:
    resolve = f.resolve

    def resolver(root: strawberry.Parent[Any]) -> annotation:
        return resolve(root)

    return resolver


_ORDER_FIELDS: dict[str, Any] = {}


def order_field_enum(entity: Entity) -> Any:
    """``<Entity>OrderField``: the core fields an entity sorts by (the same for every tenant)."""
    if entity.name not in _ORDER_FIELDS:
        members = {screaming_snake(c.name): c.name for c in entity.columns if c.sort}
        members.setdefault("CREATED_AT", "created_at") if "created_at" in entity.table.c else None
        description = f"Core fields to sort {entity.name} by."
        _ORDER_FIELDS[entity.name] = make_enum(f"{entity.name}OrderField", members, description)
    return _ORDER_FIELDS[entity.name]


def screaming_snake(column: str) -> str:
    return column.upper()


def build_schema(definitions: Sequence[FieldDefinition], fingerprint: str) -> TenantSchema:
    build = _Build(definitions)
    schema = build.build()
    return TenantSchema(schema=schema, fingerprint=fingerprint, custom_fields=build.custom)


__all__ = ["RapportSchema", "TenantSchema", "build_schema"]
