"""Query limits: checked before authentication (a refused document runs no SQL at all), with a cost reported on
every answer."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import get_introspection_query

from rapport import metrics
from rapport.db.database import Database
from tests.conftest import App, Tenant
from tests.trust.support import app_client, codes, on, settings_with

LIMIT = 50_000
EXPLOSION = (
    "{ customers(first: 100) { nodes { contacts(first: 100) { nodes { "
    "opportunities(first: 100) { totalCount } } } } } }"
)
DEEP = (
    "{ customers(first: 1) { nodes { " + "contacts(first: 1) { nodes { customer { " * 5 + "id" + " } } }" * 5 + " } } }"
)


def nested_filter(levels: int) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for _ in range(levels):
        value = {"and": [value]}
    return value


def cost_of(body: dict[str, Any]) -> dict[str, int]:
    cost: dict[str, int] = body["extensions"]["cost"]
    return cost


def statements_so_far() -> float:
    value: float = metrics.SQL_STATEMENTS._value.get()
    return value


# --- the cost ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "variables", "requested"),
    [
        ("{ __typename }", None, 0),
        ("{ customers(first: 2) { edges { node { id } } } }", None, 2),
        ("{ customers(last: 7) { totalCount } }", None, 7),
        # Nested connections multiply: 10 customers, then 5 contacts for each.
        ("{ customers(first: 10) { nodes { contacts(first: 5) { nodes { id } } } } }", None, 60),
        # Siblings add up; plain lists (items, stages) count once.
        (
            "{ customers(first: 10) { nodes { contacts(first: 5) { totalCount } "
            "orders(first: 3) { nodes { items { id } cases(first: 2) { totalCount } } } } } "
            "pipelines(first: 4) { nodes { stages { id } } } }",
            None,
            10 + 50 + 30 + 60 + 4,
        ),
        ("query ($n: Int!) { customers(first: $n) { totalCount } }", {"n": 42}, 42),
        ("query ($n: Int = 9) { customers(first: $n) { totalCount } }", None, 9),
        # A fragment counts each time it is spread, at the page size around it.
        (
            "{ a: customers(first: 3) { nodes { ...C } } b: customers(first: 2) { nodes { ...C } } } "
            "fragment C on Customer { contacts(first: 10) { totalCount } }",
            None,
            3 + 30 + 2 + 20,
        ),
        # nodes(ids:) counts its ids.
        ('{ nodes(ids: ["a", "b", "c"]) { ... on Customer { contacts(first: 10) { totalCount } } } }', None, 33),
        ("query ($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": ["a"] * 7}, 7),
        (
            'mutation { customerCreate(input: {kind: PERSON, name: "Cost"}) { customer { contacts(first: 4) '
            "{ totalCount } } userErrors { code } } }",
            None,
            4,
        ),
    ],
)
async def test_cost_is_reported_on_success(
    tenant: Tenant, query: str, variables: dict[str, Any] | None, requested: int
) -> None:
    body = await tenant.gql(query, variables)
    assert "errors" not in body, body
    assert cost_of(body) == {"requested": requested, "limit": LIMIT}


async def test_cost_is_reported_on_every_answer(tenant: Tenant) -> None:
    query = "{ customers(first: 3) { totalCount } }"
    answers = [
        await tenant.post(query),  # success
        await tenant.post(query, token="rpt_nonsense"),  # 401
        await tenant.http.post("/graphql", json={"query": query}),  # no token
        await tenant.post('{ customers(first: 3, after: "garbage!") { totalCount } }'),  # error in execution
        await tenant.post("{ customers(first: 3) { noSuchField } }"),  # invalid for the tenant's schema
        await tenant.post("{ customers(first: 300) { totalCount } }"),  # refused by the limits
        await tenant.post("{ customers(first: 3) { totalCount }"),  # syntax error
        await tenant.http.get("/graphql", params={"query": "mutation { __typename }"}),  # mutation over GET
    ]
    statuses = [a.status_code for a in answers]
    assert statuses == [200, 401, 401, 200, 200, 200, 200, 405]
    for answer in answers:
        cost = cost_of(answer.json())
        assert cost["limit"] == LIMIT
        assert cost["requested"] in (0, 3, 100), answer.text


# --- refused before authentication, without SQL ------------------------------------------------------------

REFUSED: list[tuple[str, str, dict[str, Any] | None, str | None, str]] = [
    ("no first or last", "{ customers { totalCount } }", None, None, "GRAPHQL_VALIDATION_FAILED"),
    ("first 0", "{ customers(first: 0) { totalCount } }", None, None, "GRAPHQL_VALIDATION_FAILED"),
    ("last 101", "{ customers(last: 101) { totalCount } }", None, None, "GRAPHQL_VALIDATION_FAILED"),
    ("first and last", "{ customers(first: 1, last: 1) { totalCount } }", None, None, "GRAPHQL_VALIDATION_FAILED"),
    ("auditLog first 500", "{ auditLog(first: 500) { __typename } }", None, None, "GRAPHQL_VALIDATION_FAILED"),
    ("first null", "{ customers(first: null) { totalCount } }", None, None, "GRAPHQL_VALIDATION_FAILED"),
    (
        "variable first too large",
        "query ($n: Int) { customers(first: $n) { totalCount } }",
        {"n": 500},
        None,
        "GRAPHQL_VALIDATION_FAILED",
    ),
    (
        "variable first missing",
        "query ($n: Int) { customers(first: $n) { totalCount } }",
        {},
        None,
        "GRAPHQL_VALIDATION_FAILED",
    ),
    (
        "variable first not a number",
        "query ($n: Int) { customers(first: $n) { totalCount } }",
        {"n": "ten"},
        None,
        "GRAPHQL_VALIDATION_FAILED",
    ),
    (
        "nested connection without first",
        "{ customers(first: 5) { nodes { contacts { totalCount } } } }",
        None,
        None,
        "GRAPHQL_VALIDATION_FAILED",
    ),
    (
        "connection in a fragment",
        '{ node(id: "x") { ...C } } fragment C on Customer { orders(first: 1000) { totalCount } }',
        None,
        None,
        "GRAPHQL_VALIDATION_FAILED",
    ),
    (
        "cost",
        EXPLOSION,
        None,
        None,
        "QUERY_TOO_COMPLEX",
    ),
    (
        "depth",
        "{ customers(first: 1) { nodes { "
        + "contacts(first: 1) { nodes { customer { " * 5
        + "id"
        + " } } }" * 5
        + " } } }",
        None,
        None,
        "QUERY_TOO_COMPLEX",
    ),
    ("aliases", "{ " + " ".join(f"a{i}: __typename" for i in range(31)) + " }", None, None, "QUERY_TOO_COMPLEX"),
    ("tokens", "{ " + "__typename " * 5001 + "}", None, None, "QUERY_TOO_COMPLEX"),
    ("length", "{ __typename }" + " " * 100_000, None, None, "QUERY_TOO_COMPLEX"),
    ("comments", "#\n" * 5001 + "{ __typename }", None, None, "QUERY_TOO_COMPLEX"),
    (
        "fragment cycle",
        "{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }",
        None,
        None,
        "GRAPHQL_VALIDATION_FAILED",
    ),
    ("undefined fragment", "{ ...Missing }", None, None, "GRAPHQL_VALIDATION_FAILED"),
    ("unused fragment", "{ __typename } fragment U on Query { __typename }", None, None, "GRAPHQL_VALIDATION_FAILED"),
    ("type definition", "type Evil { a: Int } { __typename }", None, None, "GRAPHQL_VALIDATION_FAILED"),
    ("two anonymous operations", "{ __typename } { __typename }", None, None, "GRAPHQL_VALIDATION_FAILED"),
    ("operationName needed", "query A { __typename } query B { __typename }", None, None, "GRAPHQL_VALIDATION_FAILED"),
    ("unknown operationName", "query A { __typename }", None, "B", "GRAPHQL_VALIDATION_FAILED"),
    ("subscription", "subscription { customers }", None, None, "GRAPHQL_VALIDATION_FAILED"),
    ("syntax", "{ customers(first: 1) {", None, None, "GRAPHQL_VALIDATION_FAILED"),
    (
        "input literal nesting",
        "{ customers(first: 1, filter: " + "{not: " * 25 + "{}" + "}" * 25 + ") { totalCount } }",
        None,
        None,
        "BAD_USER_INPUT",
    ),
    (
        "input variable nesting",
        "query ($f: CustomerFilter) { customers(first: 1, filter: $f) { totalCount } }",
        {
            "f": {
                "and": [
                    {
                        "and": [
                            {"and": [{"and": [{"and": [{"and": [{"and": [{"and": [{"and": [{"and": [{}]}]}]}]}]}]}]}]}
                        ]
                    }
                ]
            }
        },
        None,
        "BAD_USER_INPUT",
    ),
]


@pytest.mark.parametrize(
    ("query", "variables", "operation_name", "code"), [r[1:] for r in REFUSED], ids=[r[0] for r in REFUSED]
)
async def test_refused_before_any_sql(
    rapport: App,
    tenant: Tenant,
    query: str,
    variables: dict[str, Any] | None,
    operation_name: str | None,
    code: str,
) -> None:
    payload: dict[str, Any] = {"query": query, "variables": variables, "operationName": operation_name}
    with rapport.sql.capture() as statements:
        response = await tenant.http.post("/graphql", json=payload, headers={"Authorization": f"Bearer {tenant.token}"})
    assert response.status_code == 200, response.text
    assert code in codes(response), response.text
    assert "data" not in response.json()
    assert statements == []
    assert cost_of(response.json())["limit"] == LIMIT


async def test_messages_say_what_to_change(tenant: Tenant) -> None:
    body = (await tenant.post("{ customers(first: 1) { nodes { contacts { totalCount } } } }")).json()
    (problem,) = body["errors"]
    assert problem["message"] == "`Customer.contacts` needs `first` or `last` (1 to 100): every list is paged."
    assert problem["locations"] == [{"line": 1, "column": 33}]
    body = (await tenant.post(EXPLOSION)).json()
    assert body["errors"][0]["extensions"] == {"code": "QUERY_TOO_COMPLEX", "limit": "cost"}
    assert "1010100 nodes" in body["errors"][0]["message"]
    assert cost_of(body) == {"requested": 1_010_100, "limit": LIMIT}


async def test_astronomical_costs_stay_valid_json(tenant: Tenant) -> None:
    fragments = " ".join(f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(80))
    query = "{ ...F0 } " + fragments + " fragment F80 on Query { customers(first: 100) { totalCount } }"
    response = await tenant.post(query)
    assert codes(response) == ["QUERY_TOO_COMPLEX"]
    assert cost_of(response.json())["requested"] == 2**53 - 1


async def test_unknown_fields_are_left_to_the_tenant_schema(tenant: Tenant) -> None:
    """Custom fields are unknown to the base schema: they count for depth but are checked per tenant."""
    await tenant.add_field("CUSTOMER", "vip", "BOOLEAN")
    body = await tenant.gql("{ customers(first: 3) { nodes { custom { vip } } } }")
    assert body == {"data": {"customers": {"nodes": []}}, "extensions": {"cost": {"requested": 3, "limit": LIMIT}}}
    body = await tenant.gql("{ customers(first: 3) { nodes { custom { nope } } } }")
    assert [e["extensions"]["code"] for e in body["errors"]] == ["GRAPHQL_VALIDATION_FAILED"]


async def test_standard_introspection_fits_the_default_limits(tenant: Tenant) -> None:
    for query in (
        get_introspection_query(descriptions=True),
        get_introspection_query(
            descriptions=True,
            specified_by_url=True,
            directive_is_repeatable=True,
            schema_description=True,
            input_value_deprecation=True,
        ),
    ):
        body = await tenant.gql(query)
        assert "errors" not in body
        assert body["data"]["__schema"]["queryType"]["name"] == "Query"


async def test_the_document_is_parsed_once(tenant: Tenant, monkeypatch: pytest.MonkeyPatch) -> None:
    """Execution reuses the document the limits parsed (strawberry's own parse is never reached)."""
    import strawberry.schema.schema as strawberry_schema

    def refuse(*_: Any, **__: Any) -> None:
        raise AssertionError("parsed twice")

    monkeypatch.setattr(strawberry_schema, "parse", refuse)
    data = await tenant.data("query ($n: Int!) { customers(first: $n) { totalCount } }", {"n": 3})
    assert data == {"customers": {"totalCount": 0}}


# --- configured limits -------------------------------------------------------------------------------------


async def test_configured_limits_are_inclusive(database: Database, tenant: Tenant) -> None:
    settings = settings_with(
        max_cost=60, max_depth=4, max_aliases=2, max_tokens=40, max_query_length=600, max_input_depth=3
    )
    async with app_client(database, settings) as client:
        t = on(tenant, client)

        async def code(query: str, variables: dict[str, Any] | None = None) -> list[str]:
            before = statements_so_far()
            response = await t.post(query, variables)
            assert response.status_code == 200, response.text
            found = codes(response)
            if found:
                assert statements_so_far() == before, "a refused document ran SQL"
            return found

        assert await code("{ customers(first: 10) { nodes { contacts(first: 5) { totalCount } } } }") == []
        assert await code("{ customers(first: 11) { nodes { contacts(first: 5) { totalCount } } } }") == [
            "QUERY_TOO_COMPLEX"
        ]
        assert await code("{ customers(first: 1) { nodes { owner { id } } } }") == []  # depth 4
        assert await code("{ customers(first: 1) { nodes { owner { team { id } } } } }") == ["QUERY_TOO_COMPLEX"]
        assert await code("{ a: __typename b: __typename }") == []
        assert await code("{ a: __typename b: __typename c: __typename }") == ["QUERY_TOO_COMPLEX"]
        assert await code("{" + " __typename" * 38 + " }") == []  # 40 tokens
        assert await code("{" + " __typename" * 39 + " }") == ["QUERY_TOO_COMPLEX"]
        assert await code("{ __typename }" + " " * 586) == []  # 600 characters
        assert await code("{ __typename }" + " " * 587) == ["QUERY_TOO_COMPLEX"]
        nested = "query ($f: CustomerFilter) { customers(first: 1, filter: $f) { totalCount } }"
        assert await code(nested, {"f": {"and": [{}]}}) == []  # three levels: object, list, object
        assert await code(nested, {"f": {"and": [{"not": {}}]}}) == ["BAD_USER_INPUT"]
        assert await code("{ customers(first: 1, filter: {and: [{}]}) { totalCount } }") == []
        assert await code("{ customers(first: 1, filter: {and: [{not: {}}]}) { totalCount } }") == ["BAD_USER_INPUT"]


async def test_body_limit_is_configurable(database: Database, tenant: Tenant) -> None:
    async with app_client(database, settings_with(max_body_bytes=200)) as client:
        headers = {"Authorization": f"Bearer {tenant.token}"}
        small = await client.post("/graphql", json={"query": "{ __typename }"}, headers=headers)
        assert small.status_code == 200
        big = await client.post("/graphql", json={"query": "{ __typename }", "pad": "x" * 200}, headers=headers)
        assert big.status_code == 413
        assert codes(big) == ["PAYLOAD_TOO_LARGE"]
        assert "200 bytes" in big.json()["errors"][0]["message"]


async def test_introspection_can_be_turned_off(database: Database, tenant: Tenant) -> None:
    async with app_client(database, settings_with(introspection=False)) as client:
        t = on(tenant, client)
        for query in ("{ __schema { queryType { name } } }", '{ __type(name: "Customer") { name } }'):
            response = await t.post(query)
            assert codes(response) == ["GRAPHQL_VALIDATION_FAILED"]
            assert "Introspection is turned off" in response.json()["errors"][0]["message"]
        assert (await t.data("{ __typename }")) == {"__typename": "Query"}


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        ("{ customers(first: 1) { nodes { nam } } }", None),
        ("query ($k: CustomerKind!) { customers(first: 1, filter: {kind: {eq: $k}}) { totalCount } }", {"k": "PERSN"}),
        ("{ customers(first: 1, filter: {kind: {eq: PERSN}}) { totalCount } }", None),
    ],
    ids=["field", "enum-variable", "enum-literal"],
)
async def test_no_suggestions_in_production(
    database: Database, tenant: Tenant, query: str, variables: dict[str, Any] | None
) -> None:
    development = await tenant.post(query, variables)
    assert "Did you mean" in development.json()["errors"][0]["message"]
    async with app_client(database, settings_with(env="production")) as client:
        response = await on(tenant, client).post(query, variables)
    assert response.status_code == 200
    assert codes(response) == ["GRAPHQL_VALIDATION_FAILED"]
    assert "Did you mean" not in response.text


async def test_connections_behind_a_reference_custom_field_are_measured_too(rapport: App, tenant: Tenant) -> None:
    """The base schema cannot see through custom fields; a REFERENCE leads back to objects with connections, so
    the document is measured again against the tenant's schema (after authentication)."""
    await tenant.add_field("CUSTOMER", "parent", "REFERENCE", target="CUSTOMER")
    body = await tenant.gql(
        "{ customers(first: 4) { nodes { custom { parent { contacts(first: 5) { totalCount } } } } } }"
    )
    assert "errors" not in body, body
    assert cost_of(body) == {"requested": 4 + 20, "limit": LIMIT}

    response = await tenant.post("{ customers(first: 4) { nodes { custom { parent { contacts { totalCount } } } } } }")
    assert codes(response) == ["GRAPHQL_VALIDATION_FAILED"]
    assert "`Customer.contacts` needs `first` or `last`" in response.json()["errors"][0]["message"]
    assert "data" not in response.json()

    hop = "custom { parent { contacts(first: 100) { nodes { customer { "
    query = "{ customers(first: 100) { nodes { " + hop * 2 + "id" + " } } } } }" * 2 + " } } }"
    with rapport.sql.capture() as statements:
        response = await tenant.post(query)
    assert codes(response) == ["QUERY_TOO_COMPLEX"]
    assert cost_of(response.json())["requested"] == 100 + 100 * 100 + 100 * 100 * 100
    assert len(statements) <= 2  # authentication (and the tenant's schema), nothing executed


async def test_a_document_is_walked_again_only_when_the_variables_it_reads_change(tenant: Tenant) -> None:
    """Checks of a document are kept per value of the variables they read (page sizes, ids); other
    variables (a cursor) reuse them, and a new page size is measured, and refused, afresh."""
    query = "query($n: Int!, $after: String) { customers(first: $n, after: $after) { nodes { id } } }"
    small = await tenant.gql(query, {"n": 5})
    again = await tenant.gql(query, {"n": 5, "after": None})
    larger = await tenant.gql(query, {"n": 40})
    assert cost_of(small) == cost_of(again) == {"requested": 5, "limit": 50_000}
    assert cost_of(larger) == {"requested": 40, "limit": 50_000}
    too_large = await tenant.post(query, {"n": 500})
    assert codes(too_large) == ["GRAPHQL_VALIDATION_FAILED"]
    assert cost_of(await tenant.gql(query, {"n": 5})) == {"requested": 5, "limit": 50_000}
