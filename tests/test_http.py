"""The HTTP layer: request shapes, limits, authentication, GET, health endpoints and error codes.

Whatever a client sends, the answer is a JSON body with an ``errors`` list carrying ``extensions.code``
(or GraphiQL's HTML), never an HTTP 500.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from rapport.app import MAX_BODY_BYTES
from rapport.db.migrate import head_revision
from rapport.tenants import enter_tenant
from tests.conftest import App, Tenant

COUNT = "{ customers(first: 5) { totalCount } }"


def auth(tenant: Tenant, token: str | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token or tenant.token}"}


async def post_raw(
    tenant: Tenant, content: bytes, content_type: str | None = "application/json", token: str | None = None
) -> httpx.Response:
    headers = auth(tenant, token)
    if content_type is not None:
        headers["Content-Type"] = content_type
    return await tenant.http.post("/graphql", content=content, headers=headers)


def error_codes(response: httpx.Response) -> list[str]:
    body: dict[str, Any] = response.json()
    errors = body["errors"]
    assert isinstance(errors, list), body
    assert errors, body
    for e in errors:
        assert isinstance(e["message"], str), e
        assert e["message"], e
    return [e["extensions"]["code"] for e in errors]


def without_cost(response: httpx.Response) -> dict[str, Any]:
    """The body without ``extensions.cost``, which every GraphQL answer carries."""
    body: dict[str, Any] = response.json()
    extensions = body.pop("extensions")
    assert set(extensions) == {"cost"}, extensions
    return body


def assert_request_error(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert error_codes(response) == [code]
    assert "data" not in response.json()


# --- request shape ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"",
        b'{"query": "{ customers(first: 1) { totalCount } }"',  # truncated
        b"\xef\xbb\xbf{}\x00",
    ],
    ids=["garbage", "empty", "truncated", "nul"],
)
async def test_malformed_json_is_400(tenant: Tenant, body: bytes) -> None:
    response = await post_raw(tenant, body)
    assert_request_error(response, 400, "BAD_REQUEST")


async def test_invalid_utf8_is_400(tenant: Tenant) -> None:
    body = b'{"query": "{ customers(first: 1) { totalCount } }", "operationName": "\xff\xfe"}'
    response = await post_raw(tenant, body)
    assert_request_error(response, 400, "BAD_REQUEST")


@pytest.mark.parametrize(
    "content_type",
    [None, "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/jsonx"],
)
async def test_non_json_content_type_is_415(tenant: Tenant, content_type: str | None) -> None:
    response = await post_raw(tenant, orjson.dumps({"query": COUNT}), content_type)
    assert_request_error(response, 415, "UNSUPPORTED_MEDIA_TYPE")


async def test_json_content_type_with_charset_is_accepted(tenant: Tenant) -> None:
    response = await post_raw(tenant, orjson.dumps({"query": COUNT}), "Application/JSON; charset=utf-8")
    assert response.status_code == 200, response.text
    assert without_cost(response) == {"data": {"customers": {"totalCount": 0}}}


async def test_body_over_limit_is_413(tenant: Tenant) -> None:
    padding = " " * (MAX_BODY_BYTES + 1)
    body = orjson.dumps({"query": COUNT + padding})
    assert len(body) > 1_000_000
    response = await post_raw(tenant, body)
    assert_request_error(response, 413, "PAYLOAD_TOO_LARGE")


async def test_body_over_limit_without_content_length_is_413(tenant: Tenant) -> None:
    """A chunked upload has no Content-Length: the limit is enforced while reading."""
    chunk = b" " * 65_536

    async def stream() -> Any:
        yield b'{"query": "' + COUNT.encode() + b'", "x": "'
        for _ in range(MAX_BODY_BYTES // len(chunk) + 2):
            yield chunk
        yield b'"}'

    response = await tenant.http.post(
        "/graphql", content=stream(), headers={**auth(tenant), "Content-Type": "application/json"}
    )
    assert "content-length" not in response.request.headers
    assert_request_error(response, 413, "PAYLOAD_TOO_LARGE")


async def test_body_just_under_limit_is_accepted(tenant: Tenant) -> None:
    body = orjson.dumps({"query": COUNT})
    body = body[:-1] + b', "pad": "' + b"x" * (MAX_BODY_BYTES - len(body) - 12) + b'"}'
    assert len(body) <= MAX_BODY_BYTES
    response = await post_raw(tenant, body)
    assert response.status_code == 200, response.text
    assert response.json()["data"] == {"customers": {"totalCount": 0}}


async def test_batch_is_400(tenant: Tenant) -> None:
    response = await post_raw(tenant, orjson.dumps([{"query": COUNT}, {"query": COUNT}]))
    assert_request_error(response, 400, "BAD_REQUEST")
    assert "Batched" in response.json()["errors"][0]["message"]


@pytest.mark.parametrize(
    "payload", [{}, {"query": None}, {"query": 42}, {"query": ["{ a }"]}, {"query": "  "}, "a string", 3, None]
)
async def test_missing_or_non_string_query_is_400(tenant: Tenant, payload: Any) -> None:
    response = await post_raw(tenant, orjson.dumps(payload))
    assert_request_error(response, 400, "BAD_REQUEST")


@pytest.mark.parametrize("variables", [[1, 2], "x", 5, True])
async def test_variables_not_an_object_is_400(tenant: Tenant, variables: Any) -> None:
    response = await post_raw(tenant, orjson.dumps({"query": COUNT, "variables": variables}))
    assert_request_error(response, 400, "BAD_REQUEST")
    assert "variables" in response.json()["errors"][0]["message"]


async def test_null_variables_are_accepted(tenant: Tenant) -> None:
    response = await post_raw(tenant, orjson.dumps({"query": COUNT, "variables": None, "operationName": None}))
    assert response.status_code == 200, response.text
    assert without_cost(response) == {"data": {"customers": {"totalCount": 0}}}


async def test_operation_name_not_a_string_is_400(tenant: Tenant) -> None:
    response = await post_raw(tenant, orjson.dumps({"query": COUNT, "operationName": 7}))
    assert_request_error(response, 400, "BAD_REQUEST")


async def test_operation_name_selects_the_operation(tenant: Tenant) -> None:
    query = "query A { customers(first: 1) { totalCount } } query B { users(first: 5) { totalCount } }"
    response = await post_raw(tenant, orjson.dumps({"query": query, "operationName": "B"}))
    assert response.status_code == 200, response.text
    assert without_cost(response) == {"data": {"users": {"totalCount": 1}}}


async def test_unknown_operation_name_is_an_error(tenant: Tenant) -> None:
    query = "query A { customers(first: 1) { totalCount } }"
    response = await post_raw(tenant, orjson.dumps({"query": query, "operationName": "Nope"}))
    assert response.status_code == 200, response.text
    assert error_codes(response) == ["GRAPHQL_VALIDATION_FAILED"]
    assert response.json().get("data") is None


async def test_several_operations_without_operation_name_is_an_error(tenant: Tenant) -> None:
    query = "query A { customers(first: 1) { totalCount } } query B { users(first: 5) { totalCount } }"
    response = await post_raw(tenant, orjson.dumps({"query": query}))
    assert response.status_code == 200, response.text
    assert error_codes(response) == ["GRAPHQL_VALIDATION_FAILED"]
    assert "operationName" in response.json()["errors"][0]["message"]
    assert "data" not in response.json()


@pytest.mark.parametrize(
    ("declaration", "value"),
    [
        ("Date", "12/31/2020"),
        ("Date", "2020-02-30"),
        ("DateTime", "yesterday"),
        ("DateTime", "2024-01-01T00:00:00"),
        ("Int!", None),
        ("Int", "many"),
        ("CustomerKind", "ALIEN"),
    ],
)
async def test_unusable_variable_is_a_validation_error_with_its_reason(
    tenant: Tenant, declaration: str, value: Any
) -> None:
    """Variables are checked before execution; the client learns what is wrong (never a masked INTERNAL)."""
    response = await tenant.post(f"query ($v: {declaration}) {{ __typename }}", {"v": value})
    assert response.status_code == 200, response.text
    assert error_codes(response) == ["GRAPHQL_VALIDATION_FAILED"]
    assert "$v" in response.json()["errors"][0]["message"]
    assert "data" not in response.json()


async def test_put_is_405(tenant: Tenant) -> None:
    response = await tenant.http.put("/graphql", json={"query": COUNT}, headers=auth(tenant))
    assert response.status_code == 405


# --- authentication -----------------------------------------------------------------------------------------


async def test_no_authorization_header_is_401(http: httpx.AsyncClient) -> None:
    response = await http.post("/graphql", json={"query": COUNT})
    assert_request_error(response, 401, "UNAUTHENTICATED")
    assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize("header", ["", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Token abc", "bearer"])
async def test_unusable_authorization_header_is_401(http: httpx.AsyncClient, header: str) -> None:
    response = await http.post("/graphql", json={"query": COUNT}, headers={"Authorization": header})
    assert_request_error(response, 401, "UNAUTHENTICATED")


async def test_scheme_is_case_insensitive(tenant: Tenant) -> None:
    response = await tenant.http.post(
        "/graphql", json={"query": COUNT}, headers={"Authorization": f"bEaReR {tenant.token}"}
    )
    assert response.status_code == 200, response.text
    assert without_cost(response) == {"data": {"customers": {"totalCount": 0}}}


async def test_unknown_token_is_401(tenant: Tenant) -> None:
    # Well formed and naming a real tenant, but never issued.
    forged = tenant.token[:-43] + "A" * 43
    assert forged != tenant.token
    response = await tenant.post(COUNT, token=forged)
    assert_request_error(response, 401, "UNAUTHENTICATED")


async def test_token_of_unknown_tenant_is_401(tenant: Tenant) -> None:
    forged = "rpt_" + "0" * 32 + tenant.token[-44:]
    response = await tenant.post(COUNT, token=forged)
    assert_request_error(response, 401, "UNAUTHENTICATED")


async def test_token_naming_another_tenant_is_401(tenant: Tenant, other_tenant: Tenant) -> None:
    # Tenant A's secret presented under tenant B's id.
    swapped = f"rpt_{other_tenant.id.hex}{tenant.token[len('rpt_') + 32 :]}"
    response = await tenant.post(COUNT, token=swapped)
    assert_request_error(response, 401, "UNAUTHENTICATED")


@pytest.mark.parametrize(
    "token", ["nonsense", "rpt_", "rpt_xyz_abc", "rpt_" + "g" * 32 + "_" + "a" * 43, "x" * 5000, "rpt_\u00e9"]
)
async def test_malformed_token_is_401(tenant: Tenant, token: str) -> None:
    response = await tenant.http.post(
        "/graphql", json={"query": COUNT}, headers={b"Authorization": f"Bearer {token}".encode()}
    )
    assert_request_error(response, 401, "UNAUTHENTICATED")


async def test_revoked_token_is_401(tenant: Tenant, owner_engine: AsyncEngine) -> None:
    token = await tenant.token_for("MEMBER")
    assert (await tenant.post(COUNT, token=token)).status_code == 200
    async with owner_engine.begin() as conn:
        await enter_tenant(conn, tenant.id)
        revoked = await conn.execute(
            text("UPDATE api_tokens SET revoked_at = now() WHERE tenant_id = :t AND role = 'MEMBER'"), {"t": tenant.id}
        )
        assert revoked.rowcount == 1
    response = await tenant.post(COUNT, token=token)
    assert_request_error(response, 401, "UNAUTHENTICATED")
    # The owner's own token is untouched.
    assert (await tenant.post(COUNT)).status_code == 200


async def test_mutation_without_token_is_401_and_writes_nothing(tenant: Tenant, http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/graphql",
        json={"query": 'mutation { customerCreate(input: {kind: PERSON, name: "X"}) { userErrors { code } } }'},
    )
    assert_request_error(response, 401, "UNAUTHENTICATED")
    assert (await tenant.data(COUNT))["customers"]["totalCount"] == 0


# --- GET ----------------------------------------------------------------------------------------------------


async def test_get_with_html_accept_serves_graphiql(http: httpx.AsyncClient) -> None:
    response = await http.get("/graphql", headers={"Accept": "text/html,application/xhtml+xml;q=0.9"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "graphiql" in response.text.lower()


async def test_get_without_query_or_html_is_400(http: httpx.AsyncClient) -> None:
    response = await http.get("/graphql", headers={"Accept": "application/json"})
    assert_request_error(response, 400, "BAD_REQUEST")


async def test_get_runs_a_query(tenant: Tenant) -> None:
    response = await tenant.http.get("/graphql", params={"query": COUNT}, headers=auth(tenant))
    assert response.status_code == 200, response.text
    assert without_cost(response) == {"data": {"customers": {"totalCount": 0}}}


async def test_get_runs_a_query_with_variables_and_operation_name(tenant: Tenant) -> None:
    query = "query Q($n: Int!) { customers(first: $n) { totalCount } } query R { users(first: 1) { totalCount } }"
    response = await tenant.http.get(
        "/graphql", params={"query": query, "variables": '{"n": 3}', "operationName": "Q"}, headers=auth(tenant)
    )
    assert response.status_code == 200, response.text
    assert without_cost(response) == {"data": {"customers": {"totalCount": 0}}}


@pytest.mark.parametrize("variables", ["{nope", "[1]", '"s"'])
async def test_get_with_bad_variables_is_400(tenant: Tenant, variables: str) -> None:
    response = await tenant.http.get("/graphql", params={"query": COUNT, "variables": variables}, headers=auth(tenant))
    assert_request_error(response, 400, "BAD_REQUEST")


async def test_get_query_needs_a_token(http: httpx.AsyncClient) -> None:
    response = await http.get("/graphql", params={"query": COUNT})
    assert_request_error(response, 401, "UNAUTHENTICATED")


@pytest.mark.parametrize(
    ("query", "operation_name"),
    [
        ('mutation { customerCreate(input: {kind: PERSON, name: "Via GET"}) { customer { id } } }', None),
        ('mutation M { customerCreate(input: {kind: PERSON, name: "Via GET"}) { customer { id } } }', "M"),
        (
            "query Q { customers(first: 1) { totalCount } } "
            'mutation M { customerCreate(input: {kind: PERSON, name: "Via GET"}) { customer { id } } }',
            "M",
        ),
    ],
)
async def test_mutation_over_get_is_405(tenant: Tenant, query: str, operation_name: str | None) -> None:
    params = {"query": query} if operation_name is None else {"query": query, "operationName": operation_name}
    response = await tenant.http.get("/graphql", params=params, headers=auth(tenant))
    assert_request_error(response, 405, "METHOD_NOT_ALLOWED")
    assert (await tenant.data(COUNT))["customers"]["totalCount"] == 0


async def test_get_selecting_the_query_of_a_mixed_document_runs_it(tenant: Tenant) -> None:
    query = (
        "query Q { customers(first: 1) { totalCount } } "
        'mutation M { customerCreate(input: {kind: PERSON, name: "Via GET"}) { customer { id } } }'
    )
    response = await tenant.http.get("/graphql", params={"query": query, "operationName": "Q"}, headers=auth(tenant))
    assert response.status_code == 200, response.text
    assert without_cost(response) == {"data": {"customers": {"totalCount": 0}}}


# --- health -------------------------------------------------------------------------------------------------


async def test_healthz(http: httpx.AsyncClient) -> None:
    response = await http.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_reports_the_migration(http: httpx.AsyncClient) -> None:
    response = await http.get("/readyz")
    assert response.status_code == 200, response.text
    head = head_revision()
    assert head is not None
    assert response.json() == {"status": "ready", "migration": head}


@pytest.fixture
async def database_down(rapport: App, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[None]:
    """The app's engine pointed at a port where no database listens (and a password that must not leak)."""
    engine = create_async_engine("postgresql+psycopg://rapport_app:s3cret-pw@127.0.0.1:1/rapport", poolclass=NullPool)
    monkeypatch.setattr(rapport.app.state.rapport.executor, "engine", engine)
    yield
    await engine.dispose()


@pytest.mark.usefixtures("database_down")
async def test_readyz_without_database_is_503_and_leaks_nothing(http: httpx.AsyncClient) -> None:
    response = await http.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable"}
    assert "s3cret" not in response.text
    assert "127.0.0.1" not in response.text
    assert (await http.get("/healthz")).status_code == 200


async def test_graphql_without_database_is_503(tenant: Tenant, database_down: None) -> None:
    response = await tenant.post(COUNT)
    assert_request_error(response, 503, "SERVICE_UNAVAILABLE")
    assert "s3cret" not in response.text
    assert response.json()["errors"][0]["extensions"]["requestId"]


async def test_head_on_graphql_is_answered_like_get(http: httpx.AsyncClient) -> None:
    response = await http.head("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")


async def test_unknown_path_is_404(http: httpx.AsyncClient) -> None:
    assert (await http.get("/nope")).status_code == 404


# --- GraphQL-level errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "{ customers(first: 1) { totalCount }",  # syntax
        "{ customers(first: 1) { noSuchField } }",  # unknown field
        '{ customers(first: "one") { totalCount } }',  # wrong argument type
        "{ customers }",  # missing selection
        "query ($n: Int!) { customers(first: $n) { totalCount } }",  # missing variable
        "fragment F on Query { __typename }",  # no operation
        "{ a: __typename } { b: __typename }",  # two anonymous operations
    ],
    ids=[
        "syntax",
        "unknown-field",
        "argument-type",
        "no-selection",
        "missing-variable",
        "no-operation",
        "two-anonymous",
    ],
)
async def test_invalid_document_is_200_with_validation_error(tenant: Tenant, query: str) -> None:
    response = await tenant.post(query)
    assert response.status_code == 200, response.text
    assert set(error_codes(response)) == {"GRAPHQL_VALIDATION_FAILED"}
    assert response.json().get("data") is None


async def test_document_too_deep_to_parse_is_too_complex(tenant: Tenant) -> None:
    query = "{" + "customers(first: 1) { edges { node { " * 300 + "id" + " } } }" * 300 + "}"
    response = await tenant.post(query)
    assert response.status_code == 200, response.text
    assert error_codes(response) == ["QUERY_TOO_COMPLEX"]
    assert "data" not in response.json()


async def test_wrong_variable_type_is_an_error_not_500(tenant: Tenant) -> None:
    response = await tenant.post("query ($n: Int!) { customers(first: $n) { totalCount } }", {"n": "many"})
    assert response.status_code == 200, response.text
    assert error_codes(response)
    assert response.json().get("data") is None


def b64(value: Any) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(value)).decode().rstrip("=")


def unb64(cursor: str) -> Any:
    return orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage!",
        "Zm9v",  # base64 of text that is not JSON
        b64({"a": 1}),
        b64("string"),
        b64(["xyz", "2024-01-01"]),  # unknown ordering tag
        "x" * 5000,
        b64([]),
    ],
)
async def test_invalid_cursor_is_bad_user_input(tenant: Tenant, cursor: str) -> None:
    response = await tenant.post("query ($c: String!) { customers(first: 5, after: $c) { totalCount } }", {"c": cursor})
    assert response.status_code == 200, response.text
    body = response.json()
    assert error_codes(response) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["path"] == ["customers"]
    assert "cursor" in body["errors"][0]["message"]


@pytest.mark.parametrize(
    "value",
    [
        "not-a-uuid",
        "",
        5,
        [1],
    ],
)
async def test_tampered_cursor_value_is_bad_user_input(tenant: Tenant, value: Any) -> None:
    await tenant.mutate('mutation { customerCreate(input: {kind: PERSON, name: "A"}) { userErrors { code } } }')
    page = await tenant.data("{ customers(first: 1) { pageInfo { endCursor } } }")
    tag, _ = unb64(page["customers"]["pageInfo"]["endCursor"])
    response = await tenant.post(
        "query ($c: String!) { customers(first: 1, after: $c) { totalCount } }", {"c": b64([tag, value])}
    )
    assert response.status_code == 200, response.text
    assert error_codes(response) == ["BAD_USER_INPUT"]


async def test_cursor_of_another_ordering_is_bad_user_input(tenant: Tenant) -> None:
    await tenant.mutate('mutation { customerCreate(input: {kind: PERSON, name: "A"}) { userErrors { code } } }')
    await tenant.mutate('mutation { customerCreate(input: {kind: PERSON, name: "B"}) { userErrors { code } } }')
    page = await tenant.data("{ customers(first: 1, orderBy: [{field: NAME}]) { pageInfo { endCursor } } }")
    cursor = page["customers"]["pageInfo"]["endCursor"]
    response = await tenant.post(
        "query ($c: String!) { customers(first: 1, after: $c, orderBy: [{field: CREATED_AT}]) { totalCount } }",
        {"c": cursor},
    )
    assert error_codes(response) == ["BAD_USER_INPUT"]


@pytest.mark.parametrize(
    "arguments", ["", "first: 0", "first: 101", "last: 0", "last: 101", "first: -1", "first: 5, last: 5"]
)
async def test_page_sizes_are_checked_before_execution(tenant: Tenant, arguments: str) -> None:
    args = f"({arguments})" if arguments else ""
    response = await tenant.post(f"{{ customers{args} {{ totalCount edges {{ cursor }} }} }}")
    assert response.status_code == 200, response.text
    assert error_codes(response) == ["GRAPHQL_VALIDATION_FAILED"]
    assert "data" not in response.json()


@pytest.mark.parametrize("arguments", ['first: 5, before: "x"', 'last: 5, after: "x"'])
async def test_cursor_arguments_are_checked(tenant: Tenant, arguments: str) -> None:
    response = await tenant.post(f"{{ customers({arguments}) {{ totalCount edges {{ cursor }} }} }}")
    assert response.status_code == 200, response.text
    assert error_codes(response) == ["BAD_USER_INPUT"]
    assert response.json()["data"] is None


async def test_nested_connection_arguments_are_checked(tenant: Tenant) -> None:
    response = await tenant.post("{ customers(first: 5) { nodes { name contacts(first: 0) { totalCount } } } }")
    assert response.status_code == 200, response.text
    assert error_codes(response) == ["GRAPHQL_VALIDATION_FAILED"]
    error = response.json()["errors"][0]
    assert error["locations"] == [{"line": 1, "column": 38}]
    assert "Customer.contacts" in error["message"]


async def test_connection_limits_are_inclusive(tenant: Tenant) -> None:
    data = await tenant.data("{ a: customers(first: 1) { totalCount } b: customers(last: 100) { totalCount } }")
    assert data == {"a": {"totalCount": 0}, "b": {"totalCount": 0}}


async def test_too_many_node_ids_is_bad_user_input(tenant: Tenant) -> None:
    response = await tenant.post("query ($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": ["x"] * 101})
    assert response.status_code == 200, response.text
    assert error_codes(response) == ["BAD_USER_INPUT"]


async def test_unknown_node_ids_are_null(tenant: Tenant) -> None:
    data = await tenant.data(
        'query ($ids: [ID!]!) { nodes(ids: $ids) { id } node(id: "zz") { id } }',
        {"ids": ["x", "", "Q3VzdG9tZXI6bm90LWEtdXVpZA"]},
    )
    assert data == {"nodes": [None, None, None], "node": None}


@pytest.mark.parametrize("operator", ["eq", "contains", "startsWith", "in"])
async def test_nul_in_filter_text_is_bad_user_input(tenant: Tenant, operator: str) -> None:
    value: Any = ["a\u0000b"] if operator == "in" else "a\u0000b"
    kind = "[String!]" if operator == "in" else "String"
    response = await tenant.post(
        f"query ($s: {kind}!) {{ customers(first: 5, filter: {{name: {{{operator}: $s}}}}) {{ totalCount }} }}",
        {"s": value},
    )
    assert response.status_code == 200, response.text
    assert error_codes(response) == ["BAD_USER_INPUT"]


def huge_filter(values: int) -> dict[str, Any]:
    """A filter whose SQL needs ``values`` bound parameters (libpq refuses more than 65535)."""
    return {"or": [{"name": {"in": [f"n{i}" for i in range(500)]}} for _ in range(values // 500)]}


async def test_too_many_filter_values_are_not_reported_as_an_outage(tenant: Tenant) -> None:
    response = await tenant.post(
        "query ($f: CustomerFilter) { customers(first: 5, filter: $f) { totalCount } }", {"f": huge_filter(70_000)}
    )
    assert response.status_code == 200, response.text
    assert error_codes(response) != ["SERVICE_UNAVAILABLE"]


async def test_too_many_filter_values_are_bad_user_input(tenant: Tenant) -> None:
    response = await tenant.post(
        "query ($f: CustomerFilter) { customers(first: 5, filter: $f) { totalCount } }", {"f": huge_filter(70_000)}
    )
    assert error_codes(response) == ["BAD_USER_INPUT"]


async def test_nothing_returns_500(tenant: Tenant) -> None:
    """A mixed bag of hostile requests; each is answered with a client error or a GraphQL error."""
    h = {**auth(tenant), "Content-Type": "application/json"}
    requests = [
        ("POST", b"null", h),
        ("POST", b"[]", h),
        ("POST", b'{"query": "{ __typename }", "variables": {"x": ' + b"[" * 2000 + b"]" * 2000 + b"}}", h),
        ("POST", b'{"query": "' + b"{" * 100_000 + b'"}', h),
        ("POST", orjson.dumps({"query": '{ node(id: "' + "A" * 10_000 + '") { id } }'}), h),
        ("POST", orjson.dumps({"query": "{ __schema { types { name } } }"}), h),
        ("POST", orjson.dumps({"query": "subscription { x }"}), h),
        (
            "POST",
            orjson.dumps(
                {"query": "{ customers(first: 1, filter: {" + "not: {" * 50 + "}" * 50 + "}) { totalCount } }"}
            ),
            h,
        ),
    ]
    for method, content, headers in requests:
        response = await tenant.http.request(method, "/graphql", content=content, headers=headers)
        assert response.status_code < 500, (content[:80], response.status_code, response.text[:300])
        assert response.json().get("errors") or response.json().get("data"), response.text[:300]


async def test_metrics_count_requests_and_statements(http: Any, tenant: Tenant) -> None:
    await tenant.data("{ customers(first: 1) { totalCount } }")
    text = (await http.get("/metrics")).text
    assert 'rapport_requests_total{outcome="ok"}' in text
    assert "rapport_sql_statements_total" in text
    assert "rapport_request_seconds_bucket" in text


async def test_a_bug_in_post_graphql_is_a_plain_500(
    rapport: App, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    """POST /graphql is answered past Starlette's router (``RapportApp``), not past its last resort: an
    exception escaping the endpoint still gets Starlette's plain 500, and the answer leaks nothing."""
    executor = rapport.app.state.rapport.executor

    async def broken(*_: Any, **__: Any) -> Any:
        raise RuntimeError("secret detail")

    monkeypatch.setattr(executor, "run", broken)
    transport = httpx.ASGITransport(app=rapport.app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://rapport.test") as client:
        response = await client.post("/graphql", json={"query": COUNT}, headers=auth(tenant))
    assert response.status_code == 500
    assert response.text == "Internal Server Error"


async def test_post_graphql_under_a_path_prefix_goes_through_the_router(rapport: App, tenant: Tenant) -> None:
    """Mounted under a prefix (``root_path``), the router finds the route as before."""
    transport = httpx.ASGITransport(app=rapport.app, root_path="/crm")
    async with httpx.AsyncClient(transport=transport, base_url="http://rapport.test") as client:
        response = await client.post("/crm/graphql", json={"query": COUNT}, headers=auth(tenant))
        missing = await client.post("/crm/elsewhere", json={"query": COUNT}, headers=auth(tenant))
    assert response.status_code == 200, response.text
    assert response.json()["data"]["customers"]["totalCount"] >= 0
    assert missing.status_code == 404
