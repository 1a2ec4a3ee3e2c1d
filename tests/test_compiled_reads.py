"""Compiled reads answer exactly as the resolvers do: every query here runs on both paths and the answers
are compared whole (cursors decoded, since they are opaque). Queries the compiler handles run in two
statements (authenticate, the query) whatever their nesting; the rest fall back to the resolver path."""

from __future__ import annotations

import json
import string
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from graphql import (
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    build_client_schema,
    get_introspection_query,
    get_named_type,
)
from sqlalchemy import column, func, literal, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.ext.asyncio import AsyncEngine
from strawberry.utils.str_converters import to_camel_case

from bench.scenarios import NESTED_QUERY
from rapport.compiled import direct
from rapport.compiled.json_sql import _url_safe_already, global_id
from rapport.ids import new_id, to_global_id
from rapport.schema.declarations import Computed, Entity, Resolved
from rapport.schema.entities import ENTITIES
from rapport.seed import DEMO_SLUG, demo_token, seed_demo
from rapport.tenants import find_tenant
from tests.conftest import App, Tenant, resolver_path
from tests.factories import insert_customers


async def both(rapport: App, tenant: Tenant, query: str, variables: dict[str, Any] | None = None) -> Any:
    """The answer on both paths (which must agree), and how many statements the compiled path ran."""
    with rapport.sql.capture() as statements:
        compiled = await tenant.gql(query, variables)
    count = len(statements)
    with resolver_path(rapport):
        resolved = await tenant.gql(query, variables)
    assert "errors" not in resolved, resolved["errors"]
    compiled.pop("extensions", None)
    resolved.pop("extensions", None)
    assert compiled == resolved
    # And in the same order: GraphQL answers fields in the order the query selects them.
    assert json.dumps(compiled) == json.dumps(resolved)
    return compiled["data"], count


@pytest.fixture(scope="module")
async def demo(rapport: App, owner_engine: AsyncEngine, http: Any) -> Tenant:
    async with owner_engine.begin() as conn:
        await seed_demo(conn)
        ref = await find_tenant(conn, DEMO_SLUG)
        token = await demo_token(conn)
    assert ref is not None
    demo = Tenant(ref=ref, token=token, http=http, owner_engine=owner_engine)
    await demo.data("{ __typename }")  # the tenant's schema is cached: statements counted are the query's
    return demo


async def test_nested_graph_is_one_statement_and_matches_the_resolvers(rapport: App, demo: Tenant) -> None:
    data, count = await both(rapport, demo, NESTED_QUERY)
    customers = data["customers"]["nodes"]
    assert len(customers) == 20
    assert any(c["orders"]["nodes"] and c["orders"]["nodes"][0]["items"] for c in customers)
    assert count == 2  # authenticate, the query


async def test_pages_cursors_and_counts(rapport: App, demo: Tenant) -> None:
    query = """query($after: String) { customers(first: 7, after: $after) {
      totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor __typename }
      edges { cursor node { id __typename } } __typename } }"""
    first, count = await both(rapport, demo, query)
    assert count == 2
    page = first["customers"]
    assert page["pageInfo"]["hasNextPage"] is True
    assert page["pageInfo"]["hasPreviousPage"] is False
    assert page["pageInfo"]["endCursor"] == page["edges"][-1]["cursor"]
    second, _ = await both(rapport, demo, query, {"after": page["pageInfo"]["endCursor"]})
    assert second["customers"]["pageInfo"]["hasPreviousPage"] is True
    assert not {e["node"]["id"] for e in page["edges"]} & {e["node"]["id"] for e in second["customers"]["edges"]}
    total = page["totalCount"]
    last, _ = await both(rapport, demo, "{ customers(first: 100) { pageInfo { hasNextPage endCursor } nodes { id } } }")
    assert len(last["customers"]["nodes"]) == total
    assert last["customers"]["pageInfo"]["hasNextPage"] is False


@pytest.mark.parametrize(
    "arguments",
    [
        "orderBy: [{field: NAME, direction: DESC}]",
        "orderBy: [{custom: LIFETIME_SCORE, direction: DESC}, {field: CREATED_AT}]",
        "orderBy: [{custom: LOYALTY_TIER}]",
        "filter: {custom: {loyaltyTier: {in: [GOLD, SILVER]}, lifetimeScore: {gte: 100}}}",
        'filter: {or: [{name: {contains: "a"}}, {kind: {eq: COMPANY}}], not: {email: {isNull: true}}}',
        "filter: {custom: {shoppingInterests: {containsAny: [OUTDOOR, FOOD]}}}, orderBy: [{field: BIRTHDAY}]",
        # Values written into the statement's text (decision 34): dates, enums, booleans, IN lists, quotes
        'filter: {birthday: {gte: "1980-01-01", lt: "2000-06-30"}, kind: {in: [PERSON]}}',
        "filter: {custom: {newsletter: {eq: true}, lifetimeScore: {gte: 200, lte: 800}}}",
        'filter: {not: {custom: {loyaltyTier: {eq: GOLD}}}, tags: {containsAny: ["vip", "b2b"]}}',
        'filter: {not: {name: {in: ["O\'Brien", "Ada"]}}, or: [{email: {isNull: false}}, {phone: {eq: "x"}}]}',
    ],
)
async def test_filters_and_orderings_page_alike(rapport: App, demo: Tenant, arguments: str) -> None:
    query = f"""query($after: String) {{ customers(first: 4, after: $after, {arguments}) {{
      totalCount pageInfo {{ endCursor hasNextPage }}
      nodes {{ id name birthday custom {{ loyaltyTier lifetimeScore shoppingInterests newsletter }} }} }} }}"""
    after: str | None = None
    seen: list[str] = []
    for _ in range(4):  # walk pages with the compiled path's cursors; the resolvers must agree on each
        with rapport.sql.capture() as statements:
            data, count = await both(rapport, demo, query, {"after": after})
        assert count == 2, statements[:count]
        page = data["customers"]
        seen += [n["id"] for n in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen  # each case matches records: equal empty pages would prove nothing
    assert len(seen) == len(set(seen))


async def test_fragments_aliases_directives_and_variables(rapport: App, demo: Tenant) -> None:
    query = """
    query($withEmail: Boolean!, $n: Int = 3, $kind: CustomerKind) {
      a: customers(first: $n, filter: {kind: {eq: $kind}}) { nodes { ...Person } }
      b: customers(first: 2) { nodes { id n: name email @include(if: $withEmail) } }
      __typename
    }
    fragment Person on Customer { id label: name email @skip(if: $withEmail) ... on Customer { phone } }"""
    data, count = await both(rapport, demo, query, {"withEmail": True, "kind": "PERSON"})
    assert count == 2
    assert set(data) == {"a", "b", "__typename"}
    assert "email" not in data["a"]["nodes"][0]
    assert "email" in data["b"]["nodes"][0]


async def test_references_children_filters_and_deleted_targets(rapport: App, demo: Tenant) -> None:
    query = """{ orders(first: 10, orderBy: [{field: TOTAL, direction: DESC}]) { nodes {
      id total customer { id name owner { id name } } items { product { sku } quantity }
      shipmentEvents { status occurredAt location }
      cases(first: 2) { totalCount nodes { id } } } }
      opportunities(first: 5) { nodes { id amount customer { name } contact { name } } } }"""
    data, count = await both(rapport, demo, query)
    assert count == 2
    assert data["orders"]["nodes"][0]["customer"]["name"]


def _computed(entity: Entity) -> set[str]:
    """GraphQL names of fields computed in Python (the compiler leaves them to the resolvers)."""
    computed = [f for f in entity.fields if isinstance(f, Resolved) or (isinstance(f, Computed) and not f.columns)]
    return {to_camel_case(f.name) for f in computed} | {"customFields"}


def _selection(schema: GraphQLSchema, entity: Entity, *, compilable: bool, depth: int = 0) -> str:
    """Every field of an entity type a client could select without arguments, one level of objects deep;
    ``compilable``: only what the compiler renders."""
    object_type = schema.get_type(entity.name)
    assert isinstance(object_type, GraphQLObjectType)
    skipped = _computed(entity) if compilable else set()
    parts = ["id", "__typename"]
    for name, field in object_type.fields.items():
        named = get_named_type(field.type)
        required_args = [a for a in field.args.values() if isinstance(a.type, GraphQLNonNull)]
        if name == "id" or name in skipped or required_args:
            continue
        if not isinstance(named, GraphQLObjectType):
            parts.append(name)
        elif name == "custom":
            inner = [
                f"{k} {{ __typename }}" if isinstance(get_named_type(f.type), GraphQLObjectType) else k
                for k, f in named.fields.items()
            ]
            if inner:
                parts.append(f"custom {{ {' '.join(inner)} }}")
        elif named.name.endswith("Connection"):
            if depth == 0:
                parts.append(f"{name}(first: 2) {{ totalCount nodes {{ id }} }}")
        elif "id" in named.fields:
            if depth == 0:
                parts.append(f"{name} {{ id __typename }}")
        else:  # a plain object (an address, figures): its scalar fields
            leaves = [k for k, f in named.fields.items() if not isinstance(get_named_type(f.type), GraphQLObjectType)]
            parts.append(f"{name} {{ {' '.join(leaves)} __typename }}")
    return " ".join(parts)


@pytest.mark.parametrize("entity", [e for e in ENTITIES.values() if e.root_field], ids=lambda e: e.name)
async def test_every_entity_list_matches_the_resolvers(rapport: App, demo: Tenant, entity: Entity) -> None:
    """All fields of every listable entity on both paths: the columns, references, lists and custom values
    the compiler renders (in one statement), then with computed fields too (the resolvers answer those)."""
    introspected = await demo.data(get_introspection_query())
    graphql_schema = build_client_schema(introspected)  # type: ignore[arg-type]
    root = to_camel_case(entity.root_field or "")
    for compilable in (True, False):
        selection = _selection(graphql_schema, entity, compilable=compilable)
        data, count = await both(rapport, demo, f"{{ {root}(first: 5) {{ totalCount nodes {{ {selection} }} }} }}")
        assert data[root]["nodes"], f"the demo tenant has no {entity.name}"
        if compilable:
            assert count == 2


async def test_more_rows_do_not_add_statements(rapport: App, tenant: Tenant, owner_engine: AsyncEngine) -> None:
    await tenant.add_field("CUSTOMER", "tier", "SELECT", options='[{label: "Gold"}, {label: "Silver"}]')
    await insert_customers(owner_engine, tenant, 60, contacts_each=4)
    await tenant.data("{ __typename }")
    query = """query($n: Int!) { customers(first: $n) { totalCount edges { node { id name owner { name }
      custom { tier } contacts(first: 3) { totalCount edges { node { id name customer { id name } } } } } } } }"""
    _small, small_count = await both(rapport, tenant, query, {"n": 5})
    large, large_count = await both(rapport, tenant, query, {"n": 50})
    assert len(large["customers"]["edges"]) == 50
    assert small_count == large_count == 2


async def test_empty_pages(rapport: App, tenant: Tenant, demo: Tenant) -> None:
    query = """{ customers(first: 3) { totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      edges { cursor } nodes { id contacts(first: 2) { totalCount nodes { id } } } } }"""
    await tenant.data("{ __typename }")
    for who in (tenant, demo):  # a tenant without customers; customers without contacts
        _, count = await both(rapport, who, query)
        assert count == 2
    empty, _ = await both(rapport, tenant, query)
    assert empty["customers"] == {
        "totalCount": 0,
        "pageInfo": {"hasNextPage": False, "hasPreviousPage": False, "startCursor": None, "endCursor": None},
        "edges": [],
        "nodes": [],
    }
    only_count, _ = await both(rapport, tenant, '{ customers(first: 1, filter: {name: {eq: "x"}}) { totalCount } }')
    assert only_count == {"customers": {"totalCount": 0}}


async def test_queries_the_compiler_leaves_to_the_resolvers(rapport: App, demo: Tenant) -> None:
    ids = (await demo.data("{ customers(first: 2) { nodes { id } } }"))["customers"]["nodes"]
    for query in (
        "{ customers(last: 3) { nodes { id name } } }",
        '{{ node(id: "{}") {{ id ... on Customer {{ name }} }} }}'.format(ids[0]["id"]),
        "{ customers(first: 3) { nodes { id lifecycleStage address { city } figures { orderCount } } } }",
        "{ customers(first: 3) { nodes { id customFields } } }",
    ):
        with rapport.sql.capture() as statements:
            await both(rapport, demo, query)
        assert len(statements) >= 2


async def test_errors_are_the_resolvers_errors(rapport: App, demo: Tenant) -> None:
    for query, variables in (
        ("query($a: String) { customers(first: 2, after: $a) { nodes { id } } }", {"a": "not-a-cursor"}),
        ('{ customers(first: 2, filter: {id: {eq: "nope"}}) { nodes { id } } }', None),
        ("query($n: Int!) { customers(first: $n) { nodes { id } } }", {"n": "x"}),
        ("{ customers(first: 2) { nodes { nope } } }", None),
    ):
        compiled = await demo.gql(query, variables)
        with resolver_path(rapport):
            resolved = await demo.gql(query, variables)
        assert compiled["errors"]
        assert [e["message"] for e in compiled["errors"]] == [e["message"] for e in resolved["errors"]]
        assert compiled.get("data") == resolved.get("data")


async def test_global_ids_in_sql_are_the_api_ids(owner_engine: AsyncEngine) -> None:
    """Every type name, and names of every length modulo three (a prefix encoded whole or not at all), on many
    UUIDs."""
    ids = [new_id() for _ in range(50)] + [uuid.UUID(int=0), uuid.UUID(int=2**128 - 1)]
    async with owner_engine.connect() as conn:
        for name in [*ENTITIES, "X", "Ab", "Abc", "Abcd", "A" * 60]:
            values = func.unnest(literal(ids, ARRAY(PG_UUID(as_uuid=True)))).table_valued("id").render_derived("ids")
            rows = (await conn.execute(select(values.c.id, global_id(name, values.c.id)))).all()
            assert {(i, g) for i, g in rows} == {(i, to_global_id(name, i)) for i in ids}, name


def test_a_uuid_never_needs_base64url_replacing() -> None:
    """What ``global_id`` relies on to skip replacing '+' and '/': true for every rest a prefix can leave."""
    for rest in ["", ":", *string.printable[:94], *(c + d for c in string.printable[:94] for d in ":_")]:
        assert _url_safe_already(rest), rest
    assert not _url_safe_already("\xff\xff")  # the check can fail, on bytes no type name has: c3 bf c3 -> w7/D
    assert "replace" not in str(global_id("Contact", column("id")))


def test_queries_with_other_root_fields_go_to_the_resolvers_at_once() -> None:
    from graphql import get_operation_ast, parse

    from rapport.compiled import _may_compile
    from rapport.limits import Parsed

    def may_compile(query: str, operation_name: str | None = None) -> bool:
        document = parse(query)
        operation = get_operation_ast(document, operation_name)
        assert operation is not None
        return _may_compile(Parsed(document, operation))

    assert may_compile("{ customers(first: 1) { nodes { id } } orders(first: 1) { totalCount } }")
    assert may_compile("query A { __typename customers(first: 1) { totalCount } } mutation B { x }", "A")
    assert not may_compile("{ __typename }")  # answered without SQL by the resolvers
    assert not may_compile('{ customerSummary(id: "x") { name } }')
    assert not may_compile("{ customers(first: 1) { totalCount } tenant { name } }")
    assert not may_compile("mutation { __typename }")


async def test_a_query_without_lists_runs_no_query_statement(rapport: App, demo: Tenant) -> None:
    with rapport.sql.capture() as statements:
        assert await demo.data("{ __typename }") == {"__typename": "Query"}
    assert len(statements) == 1  # authentication


async def test_addresses_are_objects_or_null(rapport: App, tenant: Tenant) -> None:
    create = """mutation($input: CustomerCreateInput!) { customerCreate(input: $input) { userErrors { code } } }"""
    await tenant.mutate(create, {"input": {"kind": "PERSON", "name": "Nowhere"}})
    address = {"country": "CN", "city": "Hangzhou", "postalCode": "310000"}
    await tenant.mutate(create, {"input": {"kind": "COMPANY", "name": "Somewhere", "address": address}})
    query = "{ customers(first: 5, orderBy: [{field: NAME}]) { nodes { name address { city postalCode street } } } }"
    data, count = await both(rapport, tenant, query)
    assert count == 2
    assert [n["address"] for n in data["customers"]["nodes"]] == [
        None,
        {"city": "Hangzhou", "postalCode": "310000", "street": None},
    ]


async def test_money_and_reference_custom_values(rapport: App, tenant: Tenant) -> None:
    await tenant.add_field("CUSTOMER", "price", "MONEY")
    await tenant.add_field("CUSTOMER", "referrer", "REFERENCE", target="CUSTOMER")
    create = """mutation($input: CustomerCreateInput!) { customerCreate(input: $input) {
      customer { id version } userErrors { code field } } }"""
    gone = (await tenant.mutate(create, {"input": {"kind": "PERSON", "name": "A gone"}}))["customer"]
    kept = (await tenant.mutate(create, {"input": {"kind": "PERSON", "name": "B kept"}}))["customer"]
    money = {"amount": "12.50", "currency": "CNY"}
    await tenant.mutate(
        create, {"input": {"kind": "PERSON", "name": "C", "custom": {"price": money, "referrer": gone["id"]}}}
    )
    await tenant.mutate(create, {"input": {"kind": "PERSON", "name": "D", "custom": {"referrer": kept["id"]}}})
    await tenant.mutate(
        "mutation($id: ID!, $v: Int!) { customerDelete(id: $id, expectedVersion: $v) { userErrors { code } } }",
        {"id": gone["id"], "v": gone["version"]},
    )
    query = """{ customers(first: 10, orderBy: [{field: NAME}]) { nodes { name custom {
      price { amount currency __typename }
      referrer { id name custom { price { amount } referrer { name } } } } } } }"""
    data, count = await both(rapport, tenant, query)
    assert count == 2
    custom = {n["name"]: n["custom"] for n in data["customers"]["nodes"]}
    assert custom["C"]["price"] == {"amount": "12.5", "currency": "CNY", "__typename": "Money"}  # canonical
    assert custom["C"]["referrer"] is None  # its target was deleted: a dangling reference reads as null
    assert custom["D"]["referrer"]["name"] == "B kept"
    assert custom["B kept"] == {"price": None, "referrer": None}


@pytest.fixture
def direct_answers(monkeypatch: pytest.MonkeyPatch) -> Callable[[], list[bool]]:
    """Start recording, for each request from then on, whether ``direct.answer`` answered it."""
    answered: list[bool] = []
    original = direct.answer

    async def spy(*args: Any, **kwargs: Any) -> Any:
        result = await original(*args, **kwargs)
        answered.append(result is not None)
        return result

    def start() -> list[bool]:
        monkeypatch.setattr(direct, "answer", spy)
        return answered

    return start


async def test_customer_summary_is_answered_directly_and_alike(
    rapport: App, demo: Tenant, direct_answers: Callable[[], list[bool]]
) -> None:
    ids = [n["id"] for n in (await demo.data("{ customers(first: 30) { nodes { id } } }"))["customers"]["nodes"]]
    answered = direct_answers()
    query = """query($id: ID!, $other: ID!) {
      s: customerSummary(id: $id) { __typename id name tier lifecycleStage currency lifetimeValue orderCount
        lastOrderAt lastInteractionAt openOpportunities openCases points balance }
      other: customerSummary(id: $other) { name __typename v: lifetimeValue t: __typename }
      __typename }"""
    for n, customer_id in enumerate(ids):
        data, count = await both(rapport, demo, query, {"id": customer_id, "other": ids[0]})
        # First on the request engine: authenticate, then one summary statement per requested customer. Then
        # on the read pool, where each summary statement goes in a pipeline with its authentication (decision 39).
        assert count == (3 if n == 0 else 4)
        assert data["s"]["id"] == customer_id
    missing = to_global_id("Customer", new_id())
    data, _ = await both(rapport, demo, query, {"id": missing, "other": to_global_id("Order", new_id())})
    assert data["s"] is None
    assert data["other"] is None
    data, _ = await both(rapport, demo, query, {"id": "not an id", "other": ids[1]})
    assert data["s"] is None
    assert data["other"]["name"]
    one, count = await both(rapport, demo, f'{{ customerSummary(id: "{ids[2]}") {{ name }} }}')
    assert count == 2
    assert one["customerSummary"]["name"]
    assert answered
    assert all(answered)  # every summary above was answered without the executor


async def test_customer_summary_directives_are_read_per_request(
    rapport: App, demo: Tenant, direct_answers: Callable[[], list[bool]]
) -> None:
    """What a direct answer selects is planned once per document, except where @skip and @include read
    variables: then the same document selects different fields from one request to the next."""
    customer_id = (await demo.data("{ customers(first: 1) { nodes { id } } }"))["customers"]["nodes"][0]["id"]
    answered = direct_answers()
    query = """query($id: ID!, $full: Boolean!) { customerSummary(id: $id) {
      name lifetimeValue @include(if: $full) __typename orderCount @skip(if: $full) } }"""
    for full in (True, False, True, False):
        data, _ = await both(rapport, demo, query, {"id": customer_id, "full": full})
        summary = data["customerSummary"]
        assert ("lifetimeValue" in summary) is full
        assert ("orderCount" in summary) is not full
        assert summary["__typename"] == "CustomerSummary"
    assert answered == [True] * 4


async def test_pages_select_only_the_columns_their_objects_use(rapport: App, demo: Tenant) -> None:
    query = (
        "{ customers(first: 3) { nodes { name contacts(first: 2) { nodes { email } } "
        "orders(first: 2) { pageInfo { hasNextPage } nodes { id status } } } } }"
    )
    data, _ = await both(rapport, demo, query)
    assert data["customers"]["nodes"]
    with rapport.sql.capture() as statements:
        await demo.data(query)
    read = statements[-1]
    # Each page's derived table carries what its objects (and the pages nested in them) use, not its table.
    for unused in ("occupation", "birthday", "address_city", "phone", "total_amount", "placed_at", "customer_id"):
        assert f".{unused} AS {unused}" not in read, unused
    for used in ("id", "name", "email", "status"):
        assert f".{used} AS {used}" in read, used
