"""Property-based fuzzing over the real app: queries and mutations generated from a tenant's own schema
(introspected, custom fields of every type included), with valid and invalid arguments, as literals and as
variables. Whatever is sent, the answer is never an HTTP 5xx nor an INTERNAL error.

Bounded for CI (about 20 s). Run longer with RAPPORT_FUZZ_EXAMPLES (examples per test), e.g.
``RAPPORT_FUZZ_EXAMPLES=5000 .venv/bin/pytest -q -s tests/trust/test_fuzz.py``.
"""

from __future__ import annotations

import datetime as dt
import os
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLUnionType,
    ast_from_value,
    build_client_schema,
    get_introspection_query,
    get_named_type,
    is_leaf_type,
    print_ast,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import App, Tenant, resolver_path

EXAMPLES = int(os.environ.get("RAPPORT_FUZZ_EXAMPLES", "300"))
MAX_DEPTH = 4
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)

CUSTOM_FIELDS: list[tuple[str, str, str, dict[str, Any]]] = [
    ("CUSTOMER", "nickname", "TEXT", {"maxLength": 30}),
    ("CUSTOMER", "visits", "INTEGER", {"min": -5, "max": 5000}),
    ("CUSTOMER", "credit", "DECIMAL", {"scale": 2}),
    ("CUSTOMER", "vip", "BOOLEAN", {}),
    ("CUSTOMER", "since", "DATE", {}),
    ("CUSTOMER", "lastSeen", "DATETIME", {}),
    ("CUSTOMER", "altMail", "EMAIL", {}),
    ("CUSTOMER", "altPhone", "PHONE", {"defaultRegion": "CN"}),
    ("CUSTOMER", "site", "URL", {}),
    ("CUSTOMER", "tier", "SELECT", {"options": [{"label": "Gold"}, {"label": "Silver"}]}),
    ("CUSTOMER", "hobbies", "MULTI_SELECT", {"options": [{"label": "Sports"}, {"label": "Music"}]}),
    ("CUSTOMER", "memo", "LONG_TEXT", {}),
    ("CUSTOMER", "budget", "MONEY", {"currency": "EUR"}),
    ("CUSTOMER", "share", "PERCENT", {}),
    ("CUSTOMER", "stars", "RATING", {}),
    ("CUSTOMER", "referrer", "REFERENCE", {"target": "CUSTOMER"}),
    ("CUSTOMER", "extra", "JSON", {}),
    ("CONTACT", "badge", "TEXT", {"unique": True}),
    ("OPPORTUNITY", "risk", "SELECT", {"options": [{"label": "Low"}, {"label": "High"}]}),
    ("ORDER", "giftNote", "LONG_TEXT", {}),
]


@dataclass
class World:
    tenant: Tenant
    schema: GraphQLSchema
    ids: list[str]

    def __repr__(self) -> str:
        return f"World(tenant={self.tenant.ref.slug})"


OUTCOMES: dict[str, Counter[str]] = {"query": Counter(), "mutation": Counter()}


@pytest.fixture(scope="module", autouse=True)
def report() -> Iterator[None]:
    yield
    for kind, outcomes in OUTCOMES.items():
        if outcomes:
            print(f"\n[fuzz] {sum(outcomes.values())} {kind} examples: {dict(outcomes.most_common())}")
    if DIFFERENTIAL:
        print(f"\n[fuzz] compiled reads = resolvers on {sum(DIFFERENTIAL.values())} list queries: {dict(DIFFERENTIAL)}")


@pytest.fixture
async def world(make_tenant: Any) -> World:
    tenant: Tenant = await make_tenant("Fuzz")
    create_field = (
        "mutation ($input: CustomFieldCreateInput!) { customFieldCreate(input: $input) "
        "{ customField { key } userErrors { code field message } } }"
    )
    for entity, key, type_, extra in CUSTOM_FIELDS:
        await tenant.mutate(
            create_field, {"input": {"entity": entity, "key": key, "type": type_, "label": key, **extra}}
        )
    for i in range(3):
        await tenant.mutate(
            "mutation ($n: String!) { customerCreate(input: {kind: COMPANY, name: $n}) { customer { id } "
            "userErrors { code } } }",
            {"n": f"Fuzz {i}"},
        )
    schema = build_client_schema(await tenant.data(get_introspection_query()))  # type: ignore[arg-type]
    ids: list[str] = []
    query_type = schema.query_type
    assert query_type is not None
    for name, definition in query_type.fields.items():
        if {"first", "last"} <= set(definition.args):
            data = await tenant.data(f"{{ {name}(first: 5) {{ nodes {{ id }} }} }}")
            ids.extend(node["id"] for node in data[name]["nodes"])
    assert ids
    return World(tenant, schema, ids)


# --- values ---------------------------------------------------------------------------------------------------

TEXT = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=40)
NASTY_TEXT = st.sampled_from(["", " ", "a\x00b", "'; DROP TABLE customers; --", "%", "_", "\\", "🦄" * 50, "x" * 2000])


def scalar_values(scalar: GraphQLScalarType, ids: list[str]) -> st.SearchStrategy[Any]:
    name = scalar.name
    if name == "Int":
        return st.one_of(st.integers(-5, 120), st.integers(-(2**31), 2**31 - 1), st.sampled_from([2**31, -(2**31) - 1]))
    if name == "Float":
        return st.floats(allow_nan=False, allow_infinity=False)
    if name == "Boolean":
        return st.booleans()
    if name == "ID":
        return st.one_of(st.sampled_from(ids), TEXT, st.just("Q3VzdG9tZXI6bm90LWEtdXVpZA"))
    if name == "Date":
        return st.one_of(st.dates().map(dt.date.isoformat), TEXT)
    if name == "DateTime":
        return st.one_of(
            st.datetimes(timezones=st.just(dt.UTC)).map(lambda d: d.isoformat().replace("+00:00", "Z")), TEXT
        )
    if name == "Decimal":
        return st.one_of(
            st.integers(0, 4).flatmap(lambda p: st.decimals(allow_nan=False, allow_infinity=False, places=p)).map(str),
            st.sampled_from(["1e999", "-0", "NaN", "12.345678901234567890123"]),
            TEXT,
        )
    if name == "JSON":
        return st.recursive(
            st.none() | st.booleans() | st.integers(-1000, 1000) | TEXT,
            lambda children: st.lists(children, max_size=3) | st.dictionaries(TEXT, children, max_size=3),
            max_leaves=6,
        )
    return st.one_of(TEXT, NASTY_TEXT)


def input_values(type_: GraphQLInputType, ids: list[str], depth: int = 0) -> st.SearchStrategy[Any]:
    if isinstance(type_, GraphQLNonNull):
        return input_values(type_.of_type, ids, depth)
    if isinstance(type_, GraphQLList):
        return st.lists(input_values(type_.of_type, ids, depth + 1), max_size=3)
    if isinstance(type_, GraphQLEnumType):
        return st.sampled_from(sorted(type_.values))
    if isinstance(type_, GraphQLScalarType):
        return st.one_of(scalar_values(type_, ids), NASTY_TEXT) if type_.name == "String" else scalar_values(type_, ids)
    assert isinstance(type_, GraphQLInputObjectType)
    fields = type_.fields
    required = {
        k: input_values(f.type, ids, depth + 1) for k, f in fields.items() if isinstance(f.type, GraphQLNonNull)
    }
    optional = (
        {k: input_values(f.type, ids, depth + 1) for k, f in fields.items() if not isinstance(f.type, GraphQLNonNull)}
        if depth < 3
        else {}
    )
    return st.fixed_dictionaries(required, optional=optional)


def type_string(type_: Any) -> str:
    if isinstance(type_, GraphQLNonNull):
        return type_string(type_.of_type) + "!"
    if isinstance(type_, GraphQLList):
        return f"[{type_string(type_.of_type)}]"
    return str(type_.name)


# --- documents ------------------------------------------------------------------------------------------------


@dataclass
class Operation:
    draw: Callable[[st.SearchStrategy[Any]], Any]
    world: World
    declarations: list[str] = field(default_factory=list)
    variables: dict[str, Any] = field(default_factory=dict)

    def argument(self, name: str, type_: GraphQLInputType, value: Any = None, given: bool = False) -> str:
        if not given:
            value = self.draw(input_values(type_, self.world.ids))
            if self.draw(st.integers(0, 29)) == 29:  # the wrong type altogether
                value = self.draw(st.one_of(TEXT, st.integers(), st.lists(st.integers(), max_size=2), st.none()))
        if self.draw(st.booleans()):
            literal = None
            try:
                node = ast_from_value(value, type_)
                literal = print_ast(node) if node is not None else None
            except Exception:  # a value the type cannot print: send it as a variable instead
                literal = None
            if literal is not None:
                return f"{name}: {literal}"
        variable = f"v{len(self.declarations)}"
        self.declarations.append(f"${variable}: {type_string(type_)}")
        self.variables[variable] = value
        return f"{name}: ${variable}"

    def arguments(self, definition: GraphQLField) -> str:
        parts = []
        args = definition.args
        paged = "first" in args and "last" in args
        if paged:  # mostly a valid page size, sometimes not
            side = self.draw(st.sampled_from(["first", "last"]))
            invalid = self.draw(st.integers(0, 19)) == 19
            size = self.draw(st.sampled_from([0, 101, -1, None]) if invalid else st.integers(1, 5))
            parts.append(self.argument(side, args[side].type, size, given=True))
        for name, argument in args.items():
            if paged and name in ("first", "last"):
                continue
            if isinstance(argument.type, GraphQLNonNull) or self.draw(st.integers(0, 3)) == 0:
                parts.append(self.argument(name, argument.type))
        return f"({', '.join(parts)})" if parts else ""

    def selection(self, type_: GraphQLNamedType, depth: int) -> str:
        if isinstance(type_, GraphQLUnionType | GraphQLInterfaceType):
            possible = self.world.schema.get_possible_types(type_)
            chosen = self.draw(st.lists(st.sampled_from(possible), min_size=1, max_size=2, unique_by=lambda t: t.name))
            inner = " ".join(f"... on {t.name} {self.selection(t, depth)}" for t in chosen)
            return f"{{ __typename {inner} }}"
        assert isinstance(type_, GraphQLObjectType)
        names = sorted(type_.fields)
        if depth >= MAX_DEPTH:
            leaves = [n for n in names if is_leaf_type(get_named_type(type_.fields[n].type))]
            names = leaves or ["__typename"]
        chosen = self.draw(st.lists(st.sampled_from(names), min_size=1, max_size=4, unique=True))
        parts = []
        for i, name in enumerate(chosen):
            if name == "__typename":
                parts.append(name)
                continue
            definition = type_.fields[name]
            alias = f"a{i}: " if self.draw(st.integers(0, 5)) == 0 else ""
            named = get_named_type(definition.type)
            sub = "" if is_leaf_type(named) else " " + self.selection(named, depth + 1)
            parts.append(f"{alias}{name}{self.arguments(definition)}{sub}")
        return "{ " + " ".join(parts) + " }"

    def document(self, kind: str) -> str:
        root = self.world.schema.query_type if kind == "query" else self.world.schema.mutation_type
        assert root is not None
        if kind == "mutation":
            name = self.draw(st.sampled_from(sorted(root.fields)))
            definition = root.fields[name]
            named = get_named_type(definition.type)
            body = f"{{ {name}{self.arguments(definition)} {self.selection(named, 1)} }}"
        else:
            body = self.selection(root, 0)
        declared = f"({', '.join(self.declarations)})" if self.declarations else ""
        return f"{kind} Fuzz{declared} {body}"


async def check(world: World, draw: Callable[[st.SearchStrategy[Any]], Any], kind: str) -> None:
    op = Operation(draw, world)
    query = op.document(kind)
    response = await world.tenant.post(query, op.variables)
    assert response.status_code < 500, (query, op.variables, response.text[:500])
    body = response.json()
    found = [e.get("extensions", {}).get("code") for e in body.get("errors") or []]
    assert "INTERNAL" not in found, (query, op.variables, body)
    assert response.status_code != 503, (query, op.variables, body)
    if os.environ.get("RAPPORT_FUZZ_VERBOSE"):
        print(query, op.variables, str(body.get("errors"))[:300])
    OUTCOMES[kind][f"{response.status_code} {','.join(sorted(set(found))) or 'ok'}"] += 1


@FUZZ
@given(data=st.data())
async def test_fuzz_queries(world: World, data: st.DataObject) -> None:
    await check(world, data.draw, "query")


@FUZZ
@given(data=st.data())
async def test_fuzz_mutations(world: World, data: st.DataObject) -> None:
    await check(world, data.draw, "mutation")


# --- compiled reads against the resolvers ------------------------------------------------------------------------

DIFFERENTIAL: Counter[str] = Counter()


@dataclass
class PlainOperation(Operation):
    """Valid arguments only (page sizes; required ones as drawn): most answers carry data, not errors."""

    def arguments(self, definition: GraphQLField) -> str:
        args = definition.args
        if "first" in args and "last" in args:
            return f"(first: {self.draw(st.integers(1, 5))})"
        if any(isinstance(a.type, GraphQLNonNull) for a in args.values()):
            return super().arguments(definition)
        return ""


def list_query(op: Operation) -> str:
    """A query of one or two root lists (what compiled reads answer), arguments and selections drawn as above."""
    root = op.world.schema.query_type
    assert root is not None
    lists = sorted(name for name, f in root.fields.items() if {"first", "last"} <= set(f.args))
    chosen = op.draw(st.lists(st.sampled_from(lists), min_size=1, max_size=2, unique=True))
    parts = []
    for name in chosen:
        definition = root.fields[name]
        parts.append(f"{name}{op.arguments(definition)} {op.selection(get_named_type(definition.type), 1)}")
    declared = f"({', '.join(op.declarations)})" if op.declarations else ""
    return f"query Fuzz{declared} {{ {' '.join(parts)} }}"


@FUZZ
@given(data=st.data())
async def test_fuzz_compiled_reads_answer_as_the_resolvers(rapport: App, world: World, data: st.DataObject) -> None:
    """Whatever list query is sent, compiled reads answer exactly what the resolvers answer (data and errors)."""
    op = (PlainOperation if data.draw(st.booleans()) else Operation)(data.draw, world)
    query = list_query(op)
    with rapport.sql.capture() as statements:
        compiled = (await world.tenant.post(query, op.variables)).json()
    path = "compiled" if any(s.startswith("SELECT CAST(json_build_object") for s in statements) else "resolvers"
    with resolver_path(rapport):
        resolved = (await world.tenant.post(query, op.variables)).json()
    compiled.pop("extensions", None)
    resolved.pop("extensions", None)
    for body in (compiled, resolved):  # request ids differ by nature
        for error in body.get("errors") or []:
            error.get("extensions", {}).pop("requestId", None)
    assert compiled == resolved, (query, op.variables)
    DIFFERENTIAL[f"{path}, {'errors' if resolved.get('errors') else 'data'}"] += 1
