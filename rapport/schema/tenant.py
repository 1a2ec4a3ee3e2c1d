"""One tenant's schema: the base schema with the placeholders swapped for the tenant's custom field types.

The custom types are plain graphql-core types: outputs read the row's JSONB dict directly (no Python
resolver per field), select options are enums whose internal values are the stored option ids, and inputs
arrive in resolvers as dicts keyed by field key.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from functools import lru_cache

from graphql import (
    GraphQLBoolean,
    GraphQLEnumType,
    GraphQLEnumValue,
    GraphQLInputField,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    assert_valid_schema,
)

from rapport.customfields.definition import FieldDefinition
from rapport.customfields.types.registry import field_type
from rapport.schema import naming
from rapport.schema.base import RapportSchema, base_schema
from rapport.schema.clone import Copier, types_reaching
from rapport.schema.entities import CUSTOMIZABLE, ENTITIES


@dataclass(frozen=True)
class TenantSchema:
    schema: RapportSchema
    fingerprint: str
    # Active definitions the role sees, by entity key then field key: what resolvers validate and filter against.
    custom_fields: Mapping[str, Mapping[str, FieldDefinition]]
    # Every active definition (defaults of fields hidden from the role still fill new records).
    all_fields: Mapping[str, Mapping[str, FieldDefinition]] = dataclass_field(default_factory=dict)

    @property
    def graphql(self) -> GraphQLSchema:
        return self.schema._schema


@lru_cache(maxsize=1)
def _placeholder_names() -> tuple[str, ...]:
    # In declaration order, so printed schemas are stable from one process to the next.
    return tuple(
        f"{entity.name}{suffix}"
        for entity in ENTITIES.values()
        if entity.custom_entity
        for suffix in naming.CUSTOM_SUFFIXES
    )


@lru_cache(maxsize=1)
def _copied_types() -> frozenset[str]:
    """Base types that reach a placeholder, so each tenant gets its own copy (computed once)."""
    return frozenset(types_reaching(base_schema()._schema, set(_placeholder_names())))


class _CustomTypes:
    """Builds one tenant's custom types; the ``TypeScope`` field types use. Types are looked up through the
    copier, so a REFERENCE field points at the tenant's own copy of, say, Customer."""

    def __init__(self, copier: Copier) -> None:
        self.copier = copier
        self.enums: dict[tuple[str, str], GraphQLEnumType] = {}

    def named(self, name: str) -> GraphQLNamedType:
        return self.copier.type_named(name)

    def option_enum(self, definition: FieldDefinition) -> GraphQLEnumType:
        key = (definition.entity, definition.key)
        if key not in self.enums:
            self.enums[key] = GraphQLEnumType(
                self._name(definition),
                {o.value: GraphQLEnumValue(o.id, description=o.label) for o in definition.options},
                description=f"Options of the custom field {definition.label!r}.",
            )
        return self.enums[key]

    def option_filter(self, definition: FieldDefinition, *, multi: bool) -> GraphQLInputObjectType:
        option = self.option_enum(definition)
        options = GraphQLList(GraphQLNonNull(option))
        if multi:
            return GraphQLInputObjectType(
                f"{self._name(definition)}ListFilter",
                {
                    "containsAny": GraphQLInputField(options, description="At least one of these is chosen."),
                    "containsAll": GraphQLInputField(options, description="All of these are chosen."),
                    "isEmpty": GraphQLInputField(GraphQLBoolean, description="Nothing is chosen (or something is)."),
                },
                description=f"Conditions on the multi-select {definition.label!r}.",
            )
        return GraphQLInputObjectType(
            f"{self._name(definition)}Filter",
            {
                "eq": GraphQLInputField(option, description="Equal to."),
                "ne": GraphQLInputField(option, description="Set, and not equal to."),
                "in": GraphQLInputField(options, description="One of."),
                "isNull": GraphQLInputField(GraphQLBoolean, description="Has no value (or has one)."),
            },
            description=f"Conditions on the select {definition.label!r}.",
        )

    def _name(self, definition: FieldDefinition) -> str:
        return naming.custom_type_name(CUSTOMIZABLE[definition.entity].name, definition.key)

    def entity_types(self, entity_name: str, definitions: Sequence[FieldDefinition]) -> dict[str, GraphQLNamedType]:
        outputs, inputs, filters, sorts = {}, {}, {}, {}
        for d in definitions:
            ftype = field_type(d.type)
            doc = d.description or d.label
            outputs[d.key] = ftype.output_field(d, self, doc)
            inputs[d.key] = GraphQLInputField(ftype.input_type(d, self), description=doc)
            filters[d.key] = GraphQLInputField(ftype.filter_type(d, self), description=f"Conditions on {d.label!r}.")
            if ftype.sortable:
                sorts[naming.screaming(d.key)] = GraphQLEnumValue(d.key, description=d.label)
        made: dict[str, GraphQLNamedType] = {
            naming.CUSTOM_OUTPUT: GraphQLObjectType(
                f"{entity_name}{naming.CUSTOM_OUTPUT}",
                outputs,
                description=f"The tenant's custom fields on {entity_name}.",
            ),
            naming.CUSTOM_INPUT: GraphQLInputObjectType(
                f"{entity_name}{naming.CUSTOM_INPUT}",
                inputs,
                description=f"Values for {entity_name} custom fields. Omit a field to leave it; null clears it.",
            ),
            naming.CUSTOM_FILTER: GraphQLInputObjectType(
                f"{entity_name}{naming.CUSTOM_FILTER}",
                filters,
                description=f"Conditions on {entity_name} custom fields.",
            ),
        }
        if sorts:
            made[naming.CUSTOM_ORDER] = GraphQLEnumType(
                f"{entity_name}{naming.CUSTOM_ORDER}", sorts, description=f"{entity_name} custom fields to sort by."
            )
        return made


def _group(definitions: Sequence[FieldDefinition]) -> dict[str, list[FieldDefinition]]:
    grouped: dict[str, list[FieldDefinition]] = {}
    for d in sorted(definitions, key=lambda d: (d.position, d.key)):
        if not d.archived:
            grouped.setdefault(d.entity, []).append(d)
    return grouped


def build_tenant_schema(definitions: Sequence[FieldDefinition], fingerprint: str, role: str = "OWNER") -> TenantSchema:
    """The schema a ``role`` of a tenant with these definitions sees (fields hidden from it are absent)."""
    base = base_schema()
    everything = _group(definitions)
    grouped = _group([d for d in definitions if d.visible_to(role)])
    copier = Copier(base._schema, set(_copied_types()))
    builder = _CustomTypes(copier)
    replacements: dict[str, GraphQLNamedType | None] = dict.fromkeys(_placeholder_names())
    for custom_entity, defs in grouped.items():
        entity_name = CUSTOMIZABLE[custom_entity].name
        for suffix, made in builder.entity_types(entity_name, defs).items():
            replacements[f"{entity_name}{suffix}"] = made
    graphql_schema = copier.schema_with(replacements)
    assert_valid_schema(graphql_schema)
    schema = copy.copy(base)
    schema._schema = graphql_schema
    graphql_schema._strawberry_schema = schema  # type: ignore[attr-defined]
    custom = {entity: {d.key: d for d in defs} for entity, defs in grouped.items()}
    every = {entity: {d.key: d for d in defs} for entity, defs in everything.items()}
    return TenantSchema(schema=schema, fingerprint=fingerprint, custom_fields=custom, all_fields=every)
