"""Compiled reads: a query whose whole selection PostgreSQL can build is answered by one SQL statement
(see ``compiler``); anything else, and anything invalid, takes the resolver path unchanged."""

from __future__ import annotations

import logging
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import orjson
from graphql import ArgumentNode, VariableNode, Visitor, visit
from sqlalchemy import Select
from sqlalchemy.exc import DBAPIError, OperationalError

from rapport.compiled import direct
from rapport.compiled.compiler import Compiler, CursorSlot, root_connections
from rapport.compiled.json_sql import Unsupported
from rapport.compiled.operation import NOT_A_FIELD, CompiledReadFailed, prepare, query_roots
from rapport.context import RequestContext
from rapport.db import driver
from rapport.db.driver import BoundStatement
from rapport.limits import Checked, Parsed
from rapport.plans import GENERIC
from rapport.schema.tenant import TenantSchema

log = logging.getLogger("rapport.compiled")

__all__ = ["CompiledReadFailed", "data", "plan", "run"]


async def data(
    tenant_schema: TenantSchema,
    checked: Checked,
    query: str,
    variables: dict[str, Any] | None,
    operation_name: str | None,
    context: RequestContext,
) -> dict[str, Any] | orjson.Fragment | None:
    """``data`` of a query answered without the GraphQL executor (a compiled statement's is the JSON text
    PostgreSQL built, see ``run``), or None when the executor must answer it."""
    answered = await direct.answer(tenant_schema, checked, query, variables, context)
    if answered is not None:
        return answered
    planned = plan(tenant_schema, checked, query, variables, operation_name, context)
    return None if planned is None else await run(planned, context)


@dataclass(frozen=True)
class Plan:
    """A compiled statement and where the request's cursor values go."""

    statement: Select[Any]
    cursor_slots: tuple[CursorSlot, ...]
    # The statement for the driver path (decision 27), built once: SQLAlchemy's Core execution costs about
    # 0.25 ms of CPU per statement. None when its text depends on the values; SQLAlchemy then runs it.
    bound: BoundStatement | None = None

    def parameters(self, variables: dict[str, Any]) -> dict[str, Any] | None:
        params: dict[str, Any] = {}
        for slot in self.cursor_slots:
            bound = slot.parameters(variables.get(slot.variable))
            if bound is None:
                return None
            params |= bound
        return params


_PLAN_CACHE_SIZE = 256
# Keyed by the tenant schema object (kept alive while cached, so identity never names another schema).
_plans: OrderedDict[tuple[Any, ...], Plan] = OrderedDict()


def plan(
    tenant_schema: TenantSchema,
    checked: Checked,
    query: str,
    variables: dict[str, Any] | None,
    operation_name: str | None,
    context: RequestContext,
) -> tuple[Plan, dict[str, Any]] | None:
    """The statement answering this query and its parameters, or None when the resolver path must answer.

    Statements are cached per tenant, document and variables, except variables used only as ``after``
    cursors: their sort values are bound as parameters, so paging through a list reuses one statement.
    """
    if not _may_compile(checked.parsed):
        return None
    variables = variables or {}
    cursor_variables = _cursor_variables(checked.parsed)
    # A cursor's value is bound late, but whether one is given at all changes the statement.
    shape = {k: (v is not None) if k in cursor_variables else v for k, v in variables.items()}
    key = (
        tenant_schema.graphql,
        context.tenant_id,
        query,
        operation_name,
        orjson.dumps(shape, option=orjson.OPT_SORT_KEYS),
    )
    cached = _plans.get(key)
    if cached is not None:
        params = cached.parameters(variables)
        if params is not None:
            _plans.move_to_end(key)
            return cached, params
    built = _build(tenant_schema, checked, query, variables, context)
    if built is None:
        return None
    params = built.parameters(variables)
    if params is None:
        return None
    if all(slot.variable in cursor_variables for slot in built.cursor_slots):
        _plans[key] = built
        while len(_plans) > _PLAN_CACHE_SIZE:
            _plans.popitem(last=False)
    return built, params


def _build(
    tenant_schema: TenantSchema,
    checked: Checked,
    query: str,
    variables: dict[str, Any],
    context: RequestContext,
) -> Plan | None:
    prepared = prepare(tenant_schema, checked, query, variables)
    if prepared is None:
        return None
    compiler = Compiler(
        tenant_schema.schema,
        prepared.fragments,
        prepared.variables,
        prepared.operation,
        context.tenant_id,
        context.custom_fields,
    )
    try:
        statement, compiler = compiler.narrowed()
    except Unsupported as exc:
        log.debug("resolver path: %s", exc)
        return None
    # A filter whose values are all written into the text (``values_in_text``): one generic plan made with
    # them serves every run. Otherwise the request's mode (custom plans when it filters, ``rapport.plans``).
    plans = GENERIC if compiler.filtered and not compiler.values_bound else None
    return Plan(statement, tuple(compiler.cursor_slots), BoundStatement.of(statement, plans))


def _may_compile(parsed: Parsed) -> bool:
    """Whether every root field of the query is a list the compiler renders: anything else (figures, ``node``,
    a mutation) goes to the resolvers at once, without building, and failing, a statement per request."""
    roots = query_roots(parsed)
    if roots is None:
        return False
    lists = root_connections()
    names = [n for n in roots if n != NOT_A_FIELD]
    # Without a list to read, the resolvers answer with no SQL at all (``{ __typename }``).
    return any(n in lists for n in names) and all(n == "__typename" or n in lists for n in names)


@lru_cache(maxsize=512)
def _cursor_variables(parsed: Parsed) -> frozenset[str]:
    """Variables used only as ``after`` arguments (documents are cached by the limits, so this is too)."""
    as_cursor: set[str] = set()
    elsewhere: set[str] = set()

    class Uses(Visitor):
        def enter_argument(self, node: ArgumentNode, *_: Any) -> Any:
            if isinstance(node.value, VariableNode):
                (as_cursor if node.name.value == "after" else elsewhere).add(node.value.name.value)
                return self.SKIP
            return None

        def enter_variable(self, node: VariableNode, *_: Any) -> None:
            elsewhere.add(node.name.value)

        def enter_variable_definition(self, node: Any, *_: Any) -> Any:
            return self.SKIP

    visit(parsed.document, Uses())
    return frozenset(as_cursor - elsewhere)


async def run(planned: tuple[Plan, dict[str, Any]], context: RequestContext) -> orjson.Fragment:
    """``data`` of the response, built by PostgreSQL: its JSON text goes into the response as it is. Parsing it
    only to serialise it again cost a quarter of the API's CPU on a 1,000-object answer (0.7 ms for 150 kB);
    PostgreSQL's spacing (``{"id" : ...}``) is the price, and every JSON reader takes it."""
    compiled, params = planned
    try:
        if compiled.bound is not None:
            row = await driver.first(context.conn, compiled.bound.statement, compiled.bound.parameters(params))
            assert row is not None  # an aggregate: always one row
            text = row[0]
        else:
            text = (await context.conn.execute(compiled.statement, params)).scalar_one()
    except OperationalError:
        raise  # timeouts and lost connections are answered as on the resolver path
    except DBAPIError as exc:
        log.error(
            "compiled read failed (request %s); answering it again on the resolver path",
            context.request_id,
            exc_info=exc,
        )
        raise CompiledReadFailed from exc
    return orjson.Fragment(text)
