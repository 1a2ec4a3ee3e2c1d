"""Root fields answered without the GraphQL executor: ``customerSummary``, the small answer mobile apps poll.

Its resolver already reads everything in one statement; what remained per request was graphql-core and
strawberry completing a dozen leaf fields. Here the schema's own resolver runs and the selected leaves are
serialised by their GraphQL types, as graphql-core would. Anything else (a nested selection, a resolver error,
a null where the type forbids one) returns None and the executor answers the request as before.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from graphql import (
    BREAK,
    FieldNode,
    GraphQLEnumType,
    GraphQLField,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    Visitor,
    get_nullable_type,
    visit,
)
from graphql.execution.collect_fields import FieldDetails, collect_fields, collect_subfields
from graphql.execution.values import VariableValues, get_argument_values
from sqlalchemy.exc import DBAPIError, OperationalError
from strawberry.schema.name_converter import NameConverter
from strawberry.types.arguments import convert_arguments

from rapport.compiled.operation import CompiledReadFailed, Prepared, prepare, query_roots
from rapport.context import RequestContext
from rapport.limits import Checked, Parsed
from rapport.schema.cache import LRU
from rapport.schema.tenant import TenantSchema

log = logging.getLogger("rapport.compiled")

DIRECT = frozenset({"customerSummary"})


class _NotDirect(Exception):
    """The executor must answer (its answer may be an error this path does not reproduce)."""


@dataclass(frozen=True)
class _Info:
    """What the direct resolvers use of strawberry's Info."""

    context: RequestContext


def may_answer(parsed: Parsed) -> bool:
    roots = query_roots(parsed)
    return roots is not None and set(roots) <= DIRECT | {"__typename"} and not DIRECT.isdisjoint(roots)


async def answer(
    tenant_schema: TenantSchema,
    checked: Checked,
    query: str,
    variables: dict[str, Any] | None,
    context: RequestContext,
) -> dict[str, Any] | None:
    """``data`` for a query of direct root fields, or None when the executor must answer it."""
    if not may_answer(checked.parsed):
        return None
    prepared = prepare(tenant_schema, checked, query, variables)
    if prepared is None:
        return None
    try:
        roots = _planned(tenant_schema, checked, prepared)
        data: dict[str, Any] = {}
        for root in roots:
            data[root.key] = await root.answer(tenant_schema, prepared.variables, context)
    except _NotDirect as exc:
        log.debug("executor path: %s", exc)
        return None
    return data


@dataclass(frozen=True)
class _Leaf:
    """A selected leaf of a root field's object: where its value is, and the type that serialises it."""

    key: str
    attribute: str
    name: str
    type: GraphQLScalarType | GraphQLEnumType | None  # None: ``__typename``
    non_null: bool


@dataclass(frozen=True)
class _Root:
    """A selected root field: its resolver, and its object's selected leaves, in the order of the selection."""

    key: str
    name: str
    field: GraphQLField | None  # None for ``__typename``
    node: FieldNode | None
    object_type: GraphQLObjectType | None
    leaves: tuple[_Leaf, ...] = ()

    async def answer(self, tenant_schema: TenantSchema, variables: VariableValues, context: RequestContext) -> Any:
        if self.field is None:
            return self.name
        assert self.node is not None
        assert self.object_type is not None
        definition = self.field.extensions["strawberry-definition"]
        schema = tenant_schema.schema
        raw = get_argument_values(self.field, self.node, variables)
        kwargs = convert_arguments(
            raw, definition.arguments, scalar_registry=schema.schema_converter.scalar_registry, config=schema.config
        )
        try:
            value = await definition.base_resolver.wrapped_func(info=_Info(context), **kwargs)
        except OperationalError:
            raise  # a timeout or a lost connection is answered as on every path
        except DBAPIError as exc:
            raise CompiledReadFailed from exc  # the transaction is lost: answered again, from the start
        except Exception as exc:  # BadInput or a bug: the executor reports it as it always does
            raise _NotDirect(str(exc)) from exc
        if value is None:
            return None
        out: dict[str, Any] = {}
        for leaf in self.leaves:
            if leaf.type is None:
                out[leaf.key] = self.object_type.name
                continue
            item = getattr(value, leaf.attribute)
            if item is None:
                if leaf.non_null:
                    raise _NotDirect(f"null {leaf.name}")
                out[leaf.key] = None
                continue
            try:
                out[leaf.key] = leaf.type.serialize(item)
            except Exception as exc:  # the executor reports a value its type refuses
                raise _NotDirect(f"{self.object_type.name}.{leaf.name}: {exc}") from exc
        return out


# Per tenant schema and document (both hashed by identity), what is selected: graphql-core's field collection
# walked the selection on every request, a tenth of a summary's CPU.
_roots: LRU[tuple[GraphQLSchema, Parsed], tuple[_Root, ...]] = LRU(512)
_NO_ROOTS: tuple[_Root, ...] = ()  # the executor must answer (a direct query has at least one root field)


def _planned(tenant_schema: TenantSchema, checked: Checked, prepared: Prepared) -> tuple[_Root, ...]:
    # @skip and @include read variables: such documents are walked per request.
    static = not _has_directives(checked.parsed)
    key = (tenant_schema.graphql, checked.parsed)
    roots = _roots.get(key) if static else None
    if roots is None:
        try:
            roots = _plan(tenant_schema, prepared)
        except _NotDirect:
            if static:
                _roots.put(key, _NO_ROOTS)
            raise
        if static:
            _roots.put(key, roots)
    if roots is _NO_ROOTS:
        raise _NotDirect("planned for the executor")
    return roots


def _plan(tenant_schema: TenantSchema, prepared: Prepared) -> tuple[_Root, ...]:
    schema = tenant_schema.graphql
    query_type = schema.query_type
    assert query_type is not None
    grouped = collect_fields(
        schema, prepared.fragments, prepared.variables, query_type, prepared.operation
    ).grouped_field_set
    roots: list[_Root] = []
    for key, details in grouped.items():
        name = details[0].node.name.value
        if name == "__typename":
            roots.append(_Root(key, query_type.name, None, None, None))
            continue
        field_def = query_type.fields[name]
        definition = field_def.extensions.get("strawberry-definition")
        if definition is None or definition.base_resolver is None or definition.extensions or len(details) != 1:
            # Field extensions (role permissions) run only in the executor: such fields are never direct.
            raise _NotDirect(name)
        object_type = get_nullable_type(field_def.type)
        if not isinstance(object_type, GraphQLObjectType):
            raise _NotDirect(name)
        leaves = _leaves(tenant_schema, prepared, object_type, details)
        roots.append(_Root(key, name, field_def, details[0].node, object_type, leaves))
    return tuple(roots)


def _leaves(
    tenant_schema: TenantSchema, prepared: Prepared, object_type: GraphQLObjectType, details: Sequence[FieldDetails]
) -> tuple[_Leaf, ...]:
    names = _python_names(object_type, tenant_schema.schema.config.name_converter)
    if names is None:
        raise _NotDirect(object_type.name)
    selected = collect_subfields(
        tenant_schema.graphql, prepared.fragments, prepared.variables, prepared.operation, object_type, list(details)
    ).grouped_field_set
    leaves: list[_Leaf] = []
    for key, sub in selected.items():
        name = sub[0].node.name.value
        if name == "__typename":
            leaves.append(_Leaf(key, name, name, None, True))
            continue
        field_type = object_type.fields[name].type
        leaf = get_nullable_type(field_type)
        if not isinstance(leaf, GraphQLScalarType | GraphQLEnumType):
            raise _NotDirect(f"{object_type.name}.{name} is not a leaf")
        leaves.append(_Leaf(key, names[name], name, leaf, isinstance(field_type, GraphQLNonNull)))
    return tuple(leaves)


@lru_cache(maxsize=512)
def _has_directives(parsed: Parsed) -> bool:
    found = False

    class Directives(Visitor):
        def enter_directive(self, *_: Any) -> Any:
            nonlocal found
            found = True
            return BREAK

    visit(parsed.document, Directives())
    return found


@lru_cache(maxsize=256)
def _python_names(object_type: GraphQLObjectType, converter: NameConverter) -> Mapping[str, str] | None:
    """GraphQL field name -> attribute of the strawberry type's instances (None: not a strawberry type)."""
    definition = object_type.extensions.get("strawberry-definition")
    if definition is None:
        return None
    return {converter.get_graphql_name(f): f.python_name for f in definition.fields}
