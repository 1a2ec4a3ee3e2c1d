"""The GraphQL types of every core entity, generated once from the declarations in ``schema.entities``.

For each entity: the object type, its connection and edge, filter and orderBy inputs, create/update inputs
and mutation payloads. Where tenants' custom fields go, the types hold placeholders (``CustomerCustomFields``
and friends, see ``naming``); each tenant's schema swaps them for that tenant's own types (``tenant.py``).
Types are first created as empty classes, so they can reference each other (cycles included), then filled,
then handed to strawberry.

Not using ``from __future__ import annotations``: resolver signatures built here name classes created at
run time, so annotations must be evaluated when defined.
"""
# Types here are built at run time; mypy cannot check annotations that name them.
# mypy: disable-error-code="valid-type"

from dataclasses import dataclass, field
from typing import Any, NewType

import strawberry
from strawberry.scalars import JSON

from rapport.schema import naming
from rapport.schema.common import ConnectionValue, Node, PageInfo, UserError
from rapport.schema.declarations import Children, Column, Computed, Entity, Items, Reference, Resolved
from rapport.schema.entities import ENTITIES
from rapport.schema.enums import OrderDirection, make_enum
from rapport.schema.filters import IDFilter

UNSET: Any = strawberry.UNSET


def _identity(value: Any) -> Any:
    return value


@dataclass
class Placeholders:
    """The four placeholder types of one customizable entity (output, input, filter, sort key)."""

    output: Any
    input: Any
    filter: Any
    order: Any


@dataclass
class EntityTypes:
    object: Any
    connection: Any = None
    filter: Any = None
    order: Any = None
    create_input: Any = None
    update_input: Any = None
    payloads: dict[str, Any] = field(default_factory=dict)


@dataclass
class TypeRegistry:
    """Everything generated, by entity name, plus the scalar map strawberry needs for the placeholders."""

    entities: dict[str, EntityTypes]
    placeholders: dict[str, Placeholders]
    scalar_map: dict[object, Any]

    def object(self, name: str) -> Any:
        return self.entities[name].object


def _always(cls: Any, obj: Any, info: Any) -> bool:
    # Resolvers only ever return the right records for a field; skip strawberry's isinstance checks.
    return True


class _Builder:
    def __init__(self) -> None:
        self.pending: list[tuple[Any, str, dict[str, Any]]] = []
        self.scalar_map: dict[object, Any] = {}
        self.placeholders: dict[str, Placeholders] = {}
        self.types: dict[str, EntityTypes] = {
            e.name: EntityTypes(object=type(e.name, (Node,), {})) for e in ENTITIES.values()
        }

    def _placeholder(self, name: str, description: str) -> Any:
        python_type = NewType(name, object)  # type: ignore[misc]  # one placeholder type per generated name
        self.scalar_map[python_type] = strawberry.scalar(
            name=name, description=description, serialize=_identity, parse_value=_identity
        )
        return python_type

    def placeholders_for(self, entity: Entity) -> Placeholders:
        name = entity.name
        made = Placeholders(
            output=self._placeholder(f"{name}{naming.CUSTOM_OUTPUT}", f"The tenant's custom fields on {name}."),
            input=self._placeholder(f"{name}{naming.CUSTOM_INPUT}", f"Values for {name} custom fields."),
            filter=self._placeholder(f"{name}{naming.CUSTOM_FILTER}", f"Conditions on {name} custom fields."),
            order=self._placeholder(f"{name}{naming.CUSTOM_ORDER}", f"{name} custom fields to sort by."),
        )
        self.placeholders[name] = made
        return made

    def _new(
        self, name: str, kind: str, description: str, annotations: dict[str, Any], namespace: dict[str, Any]
    ) -> Any:
        cls = type(name, (), {"__annotations__": annotations, **namespace})
        self.pending.append((cls, kind, {"name": name, "description": description}))
        return cls

    def _fill(
        self, cls: Any, kind: str, description: str, annotations: dict[str, Any], namespace: dict[str, Any]
    ) -> None:
        cls.__annotations__ = annotations
        for attr, value in namespace.items():
            setattr(cls, attr, value)
        self.pending.append((cls, kind, {"name": cls.__name__, "description": description}))

    def decorate(self) -> None:
        for cls, kind, options in self.pending:
            (strawberry.type if kind == "type" else strawberry.input)(cls, **options)

    # --- lists: filter, ordering, connection ---------------------------------------------------------------
    def list_types(self, entity: Entity, holders: Placeholders | None) -> None:
        name = entity.name
        types = self.types[name]
        filter_cls = type(f"{name}Filter", (), {})
        annotations: dict[str, Any] = {"id": IDFilter | None}
        namespace: dict[str, Any] = {"id": strawberry.field(default=UNSET, description="Conditions on the ID.")}
        for f in entity.fields:
            if isinstance(f, Column) and f.filter is not None:
                annotations[f.name] = f.filter | None
                namespace[f.name] = strawberry.field(default=UNSET, description=f.description)
            elif isinstance(f, Reference):
                annotations[f"{f.name}_id"] = IDFilter | None
                namespace[f"{f.name}_id"] = strawberry.field(default=UNSET, description=f"Conditions on {f.name}'s ID.")
        if holders:
            annotations["custom"] = holders.filter | None
            namespace["custom"] = strawberry.field(default=UNSET, description="Conditions on custom fields.")
        annotations.update(and_=list[filter_cls] | None, or_=list[filter_cls] | None, not_=filter_cls | None)
        namespace.update(
            and_=strawberry.field(name="and", default=UNSET, description="All of these hold."),
            or_=strawberry.field(name="or", default=UNSET, description="At least one of these holds."),
            not_=strawberry.field(name="not", default=UNSET, description="This does not hold."),
        )
        self._fill(
            filter_cls,
            "input",
            f"Conditions on {name} objects; all given conditions must hold.",
            annotations,
            namespace,
        )
        types.filter = filter_cls

        order_ann: dict[str, Any] = {"field": order_field_enum(entity) | None}
        order_ns: dict[str, Any] = {"field": strawberry.field(default=UNSET, description="A core field.")}
        if holders:
            order_ann["custom"] = holders.order | None
            order_ns["custom"] = strawberry.field(default=UNSET, description="A custom field.")
        order_ann["direction"] = OrderDirection
        order_ns["direction"] = strawberry.field(default=OrderDirection.ASC, description="ASC or DESC.")
        types.order = self._new(
            f"{name}OrderBy",
            "input",
            f"One sort key for {name} lists: give exactly one of `field` or `custom`.",
            order_ann,
            order_ns,
        )

        obj = types.object
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
        types.connection = self._new(
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

    # --- the object type --------------------------------------------------------------------------------
    def object_type(self, entity: Entity, holders: Placeholders | None) -> None:
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
                namespace[f.name] = strawberry.field(resolver=_computed(f), description=f.description)
            elif isinstance(f, Reference):
                target = self.types[f.target].object
                annotation = target if f.required else target | None
                namespace[f.name] = strawberry.field(
                    resolver=queries.reference_resolver(f, ENTITIES[f.target], annotation), description=f.description
                )
            elif isinstance(f, Children):
                t = self.types[f.target]
                namespace[f.name] = strawberry.field(
                    resolver=queries.children_resolver(f, ENTITIES[f.target], t.connection, t.filter, t.order),
                    description=f.description,
                )
            elif isinstance(f, Items):
                target = self.types[f.target].object
                namespace[f.name] = strawberry.field(
                    resolver=queries.items_resolver(f, ENTITIES[f.target], target), description=f.description
                )
            elif isinstance(f, Resolved):
                objects = {name: t.object for name, t in self.types.items()}
                namespace[f.name] = strawberry.field(resolver=f.make(objects), description=f.description)
        if holders:
            namespace["custom"] = strawberry.field(
                resolver=queries.custom_resolver(holders.output), description="The tenant's custom fields, typed."
            )
            namespace["custom_fields"] = strawberry.field(
                resolver=queries.custom_json_resolver(entity),
                description="Custom field values as JSON keyed by field key (the same for every tenant; for "
                "tools that work across tenants). Values are in their stored form.",
            )
        self._fill(self.types[name].object, "type", entity.description, annotations, namespace)

    # --- mutations' inputs and payloads ---------------------------------------------------------------------
    def mutation_types(self, entity: Entity, holders: Placeholders | None) -> None:
        name = entity.name
        types = self.types[name]
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
            if holders:
                annotations["custom"] = holders.input | None
                namespace["custom"] = strawberry.field(default=UNSET, description="Custom field values, typed.")
                annotations["custom_fields"] = JSON | None
                namespace["custom_fields"] = strawberry.field(
                    default=UNSET,
                    description="Custom field values as JSON keyed by field key (generic form; "
                    "values are checked like typed ones).",
                )
            what = "the new" if variant == "Create" else "changes to a"
            note = "" if variant == "Create" else " Omitted fields stay as they are; null clears a field."
            made.append(
                self._new(f"{name}{variant}Input", "input", f"Fields of {what} {name}.{note}", annotations, namespace)
            )
        types.create_input, types.update_input = made
        field_name = naming.lower_first(name)
        for verb in ("Create", "Update", "Restore"):
            types.payloads[verb] = self._new(
                f"{name}{verb}Payload",
                "type",
                f"Result of {field_name}{verb}.",
                {field_name: types.object | None, "user_errors": list[UserError]},
                {
                    field_name: strawberry.field(description=f"The {name}, or null if nothing was written."),
                    "user_errors": strawberry.field(description="Problems with the input; empty on success."),
                },
            )
        types.payloads["Delete"] = self._new(
            f"{name}DeletePayload",
            "type",
            f"Result of {field_name}Delete.",
            {"deleted_id": strawberry.ID | None, "user_errors": list[UserError]},
            {
                "deleted_id": strawberry.field(description="ID of the deleted object, or null if nothing was deleted."),
                "user_errors": strawberry.field(description="Problems with the input; empty on success."),
            },
        )

    def build(self) -> TypeRegistry:
        holders = {e.name: self.placeholders_for(e) for e in ENTITIES.values() if e.custom_entity}
        for entity in ENTITIES.values():
            self.list_types(entity, holders.get(entity.name))
        for entity in ENTITIES.values():
            self.object_type(entity, holders.get(entity.name))
            if entity.inputs:
                self.mutation_types(entity, holders.get(entity.name))
        self.decorate()
        return TypeRegistry(entities=self.types, placeholders=self.placeholders, scalar_map=self.scalar_map)


async def _total_count(root: ConnectionValue) -> int:
    return await root.total_count()


def _computed(f: Computed) -> Any:
    resolve, annotation = f.resolve, f.annotation

    def resolver(root: strawberry.Parent[Any]) -> annotation:
        return resolve(root)  # type: ignore[no-any-return]

    return resolver


_ORDER_FIELDS: dict[str, Any] = {}


def order_field_enum(entity: Entity) -> Any:
    """``<Entity>OrderField``: the core fields an entity sorts by."""
    if entity.name not in _ORDER_FIELDS:
        members = {c.name.upper(): c.name for c in entity.columns if c.sort}
        if "created_at" in entity.table.c:
            members.setdefault("CREATED_AT", "created_at")
        members.setdefault("ID", "id")
        description = f"Core fields to sort {entity.name} by."
        _ORDER_FIELDS[entity.name] = make_enum(f"{entity.name}OrderField", members, description)
    return _ORDER_FIELDS[entity.name]


TYPES: TypeRegistry = _Builder().build()
