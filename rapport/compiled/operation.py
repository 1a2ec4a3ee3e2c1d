"""What both ways around the GraphQL executor (compiled statements, direct answers) need from a request: the
root fields it asks for, and its operation checked against the tenant's schema, variables coerced."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from graphql import FieldNode, FragmentDefinitionNode, OperationDefinitionNode, OperationType
from graphql.execution.collect_fields import FragmentDetails
from graphql.execution.values import VariableValues, get_variable_values

from rapport.limits import Checked, Parsed
from rapport.schema.prepared import validation_errors
from rapport.schema.tenant import TenantSchema

NOT_A_FIELD = "..."  # a fragment at the root: no field has this name


class CompiledReadFailed(Exception):
    """A compiled read (or a direct answer) failed where the resolver path might not: the request transaction
    is lost, so the request is answered again, from the start, by the resolver path."""


@lru_cache(maxsize=512)
def query_roots(parsed: Parsed) -> tuple[str, ...] | None:
    """The root field names of the operation (``NOT_A_FIELD`` for a fragment); None when it is no query."""
    operation = parsed.operation
    if operation.operation != OperationType.QUERY:
        return None
    return tuple(s.name.value if isinstance(s, FieldNode) else NOT_A_FIELD for s in operation.selection_set.selections)


@dataclass(frozen=True)
class Prepared:
    operation: OperationDefinitionNode
    variables: VariableValues
    fragments: dict[str, FragmentDetails]


def prepare(
    tenant_schema: TenantSchema, checked: Checked, query: str, variables: dict[str, Any] | None
) -> Prepared | None:
    """The operation valid against the tenant's schema, with its variables coerced; None when it is not (the
    executor reports why)."""
    schema = tenant_schema.graphql
    if validation_errors(schema, checked.document, query, checked.hide_suggestions):
        return None
    operation = checked.operation
    coerced = get_variable_values(schema, operation.variable_definitions or (), variables or {})
    if isinstance(coerced, list):
        return None
    fragments = {
        d.name.value: FragmentDetails(d) for d in checked.document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    return Prepared(operation, coerced, fragments)
