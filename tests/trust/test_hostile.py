"""A corpus of hostile requests. Each is refused with a clear error (a code and a message), never a 5xx, and
runs no SQL at all: every check happens before authentication."""

from __future__ import annotations

import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any

import orjson
import pytest
import uvicorn

from rapport.app import create_app
from rapport.db.database import Database
from tests.conftest import App, Tenant
from tests.trust.support import free_port, settings_with


@dataclass(frozen=True)
class Hostile:
    name: str
    body: bytes | None = None
    content_type: str = "application/json"
    method: str = "POST"
    params: dict[str, str] = field(default_factory=dict)
    status: int = 200
    code: str = "GRAPHQL_VALIDATION_FAILED"


def doc(query: str, **extra: Any) -> bytes:
    return orjson.dumps({"query": query, **extra})


def nested_json(levels: int) -> bytes:
    return b"[" * levels + b"]" * levels


DEEP_50 = "{ " + "customers(first: 1) { nodes { " * 25 + "id" + " } }" * 25 + " }"
DEEP_INTROSPECTION = "{ __schema { types { " + "fields { type { " * 24 + "name" + " } }" * 24 + " } } }"
FRAGMENT_BOMB = (
    "{ ...F0 } "
    + " ".join(f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(40))
    + " fragment F40 on Query { customers(first: 100) { totalCount } }"
)
MUTATION = 'mutation { customerCreate(input: {kind: PERSON, name: "Evil"}) { customer { id } } }'

CORPUS = [
    Hostile("depth 50", doc(DEEP_50), code="QUERY_TOO_COMPLEX"),
    Hostile(
        "1,000 aliases",
        doc("{ " + " ".join(f"a{i}: __typename" for i in range(1000)) + " }"),
        code="QUERY_TOO_COMPLEX",
    ),
    Hostile("10,000 duplicated fields", doc("{ " + "__typename " * 10_000 + "}"), code="QUERY_TOO_COMPLEX"),
    Hostile("fragment cycle", doc("{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }")),
    Hostile("self-spreading fragment", doc("{ ...A } fragment A on Query { __typename ...A }")),
    Hostile("undefined fragment", doc("{ ...Nowhere }")),
    Hostile("fragment bomb (2^40 spreads)", doc(FRAGMENT_BOMB), code="QUERY_TOO_COMPLEX"),
    Hostile(
        "node explosion",
        doc(
            "{ customers(first: 100) { edges { node { contacts(first: 100) { edges { node { customer { "
            "contacts(first: 100) { edges { node { id } } } } } } } } } } }"
        ),
        code="QUERY_TOO_COMPLEX",
    ),
    Hostile("connection without first", doc("{ customers { edges { node { id } } } }")),
    Hostile("first: 100000", doc("{ customers(first: 100000) { totalCount } }")),
    Hostile("first overflowing Int", doc("{ customers(first: 99999999999999999999) { totalCount } }")),
    Hostile("negative last", doc("{ customers(last: -2147483648) { totalCount } }")),
    Hostile(
        "huge string literal",
        doc('{ customers(first: 1, filter: {name: {eq: "' + "x" * 500_000 + '"}}) { totalCount } }'),
        code="QUERY_TOO_COMPLEX",
    ),
    Hostile("comment flood", doc("#\n" * 20_000 + "{ __typename }"), code="QUERY_TOO_COMPLEX"),
    Hostile("100-operation batch", orjson.dumps([{"query": "{ __typename }"}] * 100), status=400, code="BAD_REQUEST"),
    Hostile(
        "100 operations, no operationName",
        doc(" ".join(f"query Q{i} {{ __typename }}" for i in range(100))),
    ),
    Hostile("unknown operationName", doc("query A { __typename }", operationName="B" * 10_000)),
    Hostile("two anonymous operations", doc("{ __typename } { __typename }")),
    Hostile("subscription", doc("subscription { customers(first: 1) { totalCount } }")),
    Hostile("type definitions", doc("schema { query: Query } type Query { evil: String } { __typename }")),
    Hostile("deep introspection", doc(DEEP_INTROSPECTION), code="QUERY_TOO_COMPLEX"),
    Hostile(
        "deeply nested input object",
        doc("{ customers(first: 1, filter: " + "{not: " * 200 + "{}" + "}" * 200 + ") { totalCount } }"),
        code="QUERY_TOO_COMPLEX",
    ),
    Hostile(
        "deeply nested variables",
        b'{"query": "query ($f: CustomerFilter) { customers(first: 1, filter: $f) { totalCount } }", '
        + b'"variables": {"f": '
        + b'{"not": ' * 500
        + b"{}"
        + b"}" * 500
        + b"}}",
        code="BAD_USER_INPUT",
    ),
    Hostile(
        "JSON nested 5,000 deep",
        b'{"query": "{ __typename }", "variables": {"v": ' + nested_json(5000) + b"}}",
        status=400,
        code="BAD_REQUEST",
    ),
    Hostile("null byte in the document", doc("{ __typename \u0000 }")),
    Hostile("GET mutation", method="GET", params={"query": MUTATION}, status=405, code="METHOD_NOT_ALLOWED"),
    Hostile(
        "GET mutation chosen by operationName",
        method="GET",
        params={"query": "query Q { __typename } " + MUTATION.replace("mutation", "mutation M"), "operationName": "M"},
        status=405,
        code="METHOD_NOT_ALLOWED",
    ),
    Hostile(
        "urlencoded POST",
        b"query=" + MUTATION.encode(),
        content_type="application/x-www-form-urlencoded",
        status=415,
        code="UNSUPPORTED_MEDIA_TYPE",
    ),
    Hostile(
        "multipart POST",
        b'--x\r\nContent-Disposition: form-data; name="operations"\r\n\r\n' + doc(MUTATION) + b"\r\n--x--\r\n",
        content_type="multipart/form-data; boundary=x",
        status=415,
        code="UNSUPPORTED_MEDIA_TYPE",
    ),
    Hostile(
        "text/plain POST (CSRF-style)",
        doc(MUTATION),
        content_type="text/plain",
        status=415,
        code="UNSUPPORTED_MEDIA_TYPE",
    ),
    Hostile("10 MB body", doc("{ __typename }", padding="x" * 10_000_000), status=413, code="PAYLOAD_TOO_LARGE"),
    Hostile(
        "giant variables",
        doc("{ __typename }", variables={"v": ["x" * 1000] * 5000}),
        status=413,
        code="PAYLOAD_TOO_LARGE",
    ),
    Hostile("invalid UTF-8", b'{"query": "\xff\xfe{ __typename }"}', status=400, code="BAD_REQUEST"),
    Hostile(
        "lone surrogate", b'{"query": "{ __typename }", "operationName": "\\ud800"}', status=400, code="BAD_REQUEST"
    ),
    Hostile("not JSON", b"{{{{", status=400, code="BAD_REQUEST"),
    Hostile("JSON null", b"null", status=400, code="BAD_REQUEST"),
    Hostile("query not a string", doc(["{ __typename }"]), status=400, code="BAD_REQUEST"),  # type: ignore[arg-type]
    Hostile("variables not an object", doc("{ __typename }", variables=[1, 2]), status=400, code="BAD_REQUEST"),
]


@pytest.mark.parametrize("case", CORPUS, ids=[c.name for c in CORPUS])
async def test_hostile_request_is_refused_without_sql(rapport: App, tenant: Tenant, case: Hostile) -> None:
    headers = {"Authorization": f"Bearer {tenant.token}", "Content-Type": case.content_type}
    with rapport.sql.capture() as statements:
        response = await tenant.http.request(
            case.method, "/graphql", content=case.body, params=case.params or None, headers=headers
        )
    assert response.status_code == case.status, response.text[:300]
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body.get("data") is None
    errors = body["errors"]
    assert errors, body
    assert all(isinstance(e["message"], str) and 10 <= len(e["message"]) <= 300 for e in errors), errors
    assert case.code in [e["extensions"]["code"] for e in errors], errors
    assert statements == [], statements
    assert "Traceback" not in response.text


def test_the_corpus_is_large() -> None:
    assert len(CORPUS) >= 20
    assert len({c.name for c in CORPUS}) == len(CORPUS)


def test_oversized_body_is_answered_over_a_real_socket(database: Database, tenant: Tenant) -> None:
    """A client that sends its whole 12 MB body before reading gets the 413, not a connection reset."""
    port = free_port()
    config = uvicorn.Config(create_app(settings_with(), database), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        body = orjson.dumps({"query": "{ __typename }", "variables": {"x": "a" * 12_000_000}})
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/graphql",
            data=body,
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {tenant.token}"},
            method="POST",
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=30)
        assert refused.value.code == 413
        assert orjson.loads(refused.value.read())["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
    finally:
        server.should_exit = True
        thread.join(30)
