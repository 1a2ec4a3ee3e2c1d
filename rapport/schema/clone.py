"""Copying a graphql-core schema with some named types replaced (or removed).

The base schema is built once by strawberry with placeholder types where tenants' custom fields go. A
tenant's schema is a copy in which each placeholder is swapped for the tenant's own type, or removed
together with every field, argument and input field of that type. Types that cannot reach a placeholder are
shared, not copied, so a copy costs little more than the types that actually differ.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphql import (
    GraphQLArgument,
    GraphQLField,
    GraphQLInputField,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    get_named_type,
    is_introspection_type,
)

Replacements = Mapping[str, GraphQLNamedType | None]


def _references(named: GraphQLNamedType) -> set[str]:
    """Names of the types a named type's fields, arguments, interfaces or members point at."""
    refs: set[str] = set()
    if isinstance(named, GraphQLObjectType | GraphQLInterfaceType):
        for field in named.fields.values():
            refs.add(get_named_type(field.type).name)
            refs.update(get_named_type(arg.type).name for arg in field.args.values())
        refs.update(i.name for i in named.interfaces)
    elif isinstance(named, GraphQLInputObjectType):
        refs.update(get_named_type(f.type).name for f in named.fields.values())
    elif isinstance(named, GraphQLUnionType):
        refs.update(t.name for t in named.types)
    return refs


def types_reaching(schema: GraphQLSchema, targets: set[str]) -> set[str]:
    """Every named type from which one of ``targets`` can be reached (the types a swap must copy)."""
    reverse: dict[str, set[str]] = {}
    for name, named in schema.type_map.items():
        for ref in _references(named):
            reverse.setdefault(ref, set()).add(name)
    reached: set[str] = set()
    pending = list(targets)
    while pending:
        for user in reverse.get(pending.pop(), ()):
            if user not in reached:
                reached.add(user)
                pending.append(user)
    return reached - targets


class Copier:
    """Copies the types that reach a placeholder. Fields are resolved lazily, so replacement types may be built
    after the copier (referring to copied types through ``named``) and given to ``schema``."""

    def __init__(self, schema: GraphQLSchema, copied: set[str]) -> None:
        self.schema = schema
        self.replacements: dict[str, GraphQLNamedType | None] = {}
        self.copies: dict[str, GraphQLNamedType] = {}
        for name in copied:
            self.copies[name] = self._copy(schema.type_map[name])

    def type_named(self, name: str) -> GraphQLNamedType:
        """The tenant's version of a base type: its copy when it has one, else the shared original."""
        found = self.named(self.schema.type_map[name])
        assert found is not None
        return found

    def named(self, named: GraphQLNamedType) -> GraphQLNamedType | None:
        if named.name in self.replacements:
            return self.replacements[named.name]
        return self.copies.get(named.name, named)

    def wrap(self, type_: Any) -> Any:
        if isinstance(type_, GraphQLNonNull):
            inner = self.wrap(type_.of_type)
            return None if inner is None else GraphQLNonNull(inner)
        if isinstance(type_, GraphQLList):
            inner = self.wrap(type_.of_type)
            return None if inner is None else GraphQLList(inner)
        return self.named(type_)

    def _fields(self, original: GraphQLObjectType | GraphQLInterfaceType) -> dict[str, GraphQLField]:
        fields = {}
        for name, field in original.fields.items():
            type_ = self.wrap(field.type)
            if type_ is None:
                continue
            args = {}
            for arg_name, arg in field.args.items():
                arg_type = self.wrap(arg.type)
                if arg_type is not None:
                    args[arg_name] = GraphQLArgument(**{**arg.to_kwargs(), "type_": arg_type})
            fields[name] = GraphQLField(**{**field.to_kwargs(), "type_": type_, "args": args})
        return fields

    def _input_fields(self, original: GraphQLInputObjectType) -> dict[str, GraphQLInputField]:
        fields = {}
        for name, field in original.fields.items():
            type_ = self.wrap(field.type)
            if type_ is not None:
                fields[name] = GraphQLInputField(**{**field.to_kwargs(), "type_": type_})
        return fields

    def _interfaces(self, original: GraphQLObjectType | GraphQLInterfaceType) -> list[GraphQLInterfaceType]:
        return [self.named(i) for i in original.interfaces]  # type: ignore[misc]

    def _copy(self, original: GraphQLNamedType) -> GraphQLNamedType:
        kwargs: dict[str, Any] = dict(original.to_kwargs())
        if isinstance(original, GraphQLObjectType):
            return GraphQLObjectType(
                **{**kwargs, "fields": lambda: self._fields(original), "interfaces": lambda: self._interfaces(original)}
            )
        if isinstance(original, GraphQLInterfaceType):
            return GraphQLInterfaceType(
                **{**kwargs, "fields": lambda: self._fields(original), "interfaces": lambda: self._interfaces(original)}
            )
        if isinstance(original, GraphQLInputObjectType):
            return GraphQLInputObjectType(**{**kwargs, "fields": lambda: self._input_fields(original)})
        if isinstance(original, GraphQLUnionType):
            return GraphQLUnionType(**{**kwargs, "types": lambda: [self.named(t) for t in original.types]})
        return original

    def schema_with(self, replacements: Replacements) -> GraphQLSchema:
        """The copy, with each placeholder replaced (or removed, for None) as ``replacements`` says."""
        self.replacements.update(replacements)
        return _assemble(self.schema, self, self.replacements)


def _assemble(schema: GraphQLSchema, copier: Copier, replacements: Replacements) -> GraphQLSchema:
    types = [
        copier.named(named)
        for name, named in schema.type_map.items()
        if not is_introspection_type(named) and name not in replacements
    ]
    types.extend(t for t in replacements.values() if t is not None)
    query = copier.named(schema.query_type) if schema.query_type else None
    mutation = copier.named(schema.mutation_type) if schema.mutation_type else None
    return GraphQLSchema(
        query=query,  # type: ignore[arg-type]
        mutation=mutation,  # type: ignore[arg-type]
        types=[t for t in types if t is not None],
        directives=schema.directives,
    )
