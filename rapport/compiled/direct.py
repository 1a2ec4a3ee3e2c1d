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
    GraphQLEnumType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    get_nullable_type,
)
from graphql.execution.collect_fields import FieldDetails, FragmentDetails, collect_fields, collect_subfields
from graphql.execution.values import VariableValues, get_argument_values
from sqlalchemy.exc import DBAPIError, OperationalError
from strawberry.schema.name_converter import NameConverter
from strawberry.types.arguments import convert_arguments

from rapport.compiled.operation import CompiledReadFailed, prepare, query_roots
from rapport.context import RequestContext
from rapport.limits import Checked, Parsed
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
    schema = tenant_schema.graphql
    query_type = schema.query_type
    assert query_type is not None
    runner = _Runner(tenant_schema, prepared.fragments, prepared.variables, checked, context)
    data: dict[str, Any] = {}
    try:
        grouped = collect_fields(
            schema, prepared.fragments, prepared.variables, query_type, prepared.operation
        ).grouped_field_set
        for key, details in grouped.items():
            name = details[0].node.name.value
            data[key] = query_type.name if name == "__typename" else await runner.root(query_type, name, details)
    except _NotDirect as exc:
        log.debug("executor path: %s", exc)
        return None
    return data


@dataclass
class _Runner:
    tenant_schema: TenantSchema
    fragments: dict[str, FragmentDetails]
    variables: VariableValues
    checked: Checked
    context: RequestContext

    async def root(self, query_type: GraphQLObjectType, name: str, details: Sequence[FieldDetails]) -> Any:
        field_def = query_type.fields[name]
        definition = field_def.extensions.get("strawberry-definition")
        if definition is None or definition.base_resolver is None or definition.extensions or len(details) != 1:
            # Field extensions (role permissions) run only in the executor: such fields are never direct.
            raise _NotDirect(name)
        schema = self.tenant_schema.schema
        raw = get_argument_values(field_def, details[0].node, self.variables)
        kwargs = convert_arguments(
            raw, definition.arguments, scalar_registry=schema.schema_converter.scalar_registry, config=schema.config
        )
        try:
            value = await definition.base_resolver.wrapped_func(info=_Info(self.context), **kwargs)
        except OperationalError:
            raise  # a timeout or a lost connection is answered as on every path
        except DBAPIError as exc:
            raise CompiledReadFailed from exc  # the transaction is lost: answered again, from the start
        except Exception as exc:  # BadInput or a bug: the executor reports it as it always does
            raise _NotDirect(str(exc)) from exc
        if value is None:
            return None
        object_type = get_nullable_type(field_def.type)
        if not isinstance(object_type, GraphQLObjectType):
            raise _NotDirect(name)
        return self._leaves(value, object_type, details)

    def _leaves(self, value: Any, object_type: GraphQLObjectType, details: Sequence[FieldDetails]) -> dict[str, Any]:
        names = _python_names(object_type, self.tenant_schema.schema.config.name_converter)
        if names is None:
            raise _NotDirect(object_type.name)
        selected = collect_subfields(
            self.tenant_schema.graphql,
            self.fragments,
            self.variables,
            self.checked.operation,
            object_type,
            list(details),
        ).grouped_field_set
        out: dict[str, Any] = {}
        for key, sub in selected.items():
            name = sub[0].node.name.value
            if name == "__typename":
                out[key] = object_type.name
                continue
            field_type = object_type.fields[name].type
            leaf = get_nullable_type(field_type)
            item = getattr(value, names[name])
            if item is None:
                if isinstance(field_type, GraphQLNonNull):
                    raise _NotDirect(f"null {name}")
                out[key] = None
            elif isinstance(leaf, GraphQLScalarType | GraphQLEnumType):
                try:
                    out[key] = leaf.serialize(item)
                except Exception as exc:  # the executor reports a value its type refuses
                    raise _NotDirect(f"{object_type.name}.{name}: {exc}") from exc
            else:
                raise _NotDirect(f"{object_type.name}.{name} is not a leaf")
        return out


@lru_cache(maxsize=256)
def _python_names(object_type: GraphQLObjectType, converter: NameConverter) -> Mapping[str, str] | None:
    """GraphQL field name -> attribute of the strawberry type's instances (None: not a strawberry type)."""
    definition = object_type.extensions.get("strawberry-definition")
    if definition is None:
        return None
    return {converter.get_graphql_name(f): f.python_name for f in definition.fields}
