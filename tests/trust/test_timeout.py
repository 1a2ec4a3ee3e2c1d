"""The per-request statement_timeout: set by the authentication statement itself (no extra round trip), and
answered as TIMEOUT, never as an internal error."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from psycopg.errors import DeadlockDetected
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from rapport.db.database import Database
from tests.conftest import App, Tenant
from tests.trust.support import app_client, codes, on, settings_with

TIMEOUT_MS = 300


@asynccontextmanager
async def locked(owner_engine: AsyncEngine, sql: str, **params: object) -> AsyncIterator[AsyncConnection]:
    """Hold a lock (taken by ``sql``) in an open owner transaction; released on exit.

    An index build an earlier test started (``CREATE INDEX CONCURRENTLY``, in the background) waits for this
    transaction while holding a lock this one asks for: PostgreSQL then refuses the lock as a deadlock, and it
    is asked again once the build is done."""
    for attempt in itertools.count(1):
        async with owner_engine.connect() as conn:
            transaction = await conn.begin()
            try:
                await conn.execute(text(sql), params)
            except DBAPIError as exc:
                await transaction.rollback()
                if not isinstance(exc.orig, DeadlockDetected) or attempt == 50:
                    raise
                await asyncio.sleep(0.1)
                continue
            try:
                yield conn
            finally:
                await transaction.rollback()
            return


async def test_the_timeout_rides_on_the_authentication_statement(rapport: App, tenant: Tenant) -> None:
    with rapport.sql.capture() as statements:
        await tenant.data("{ customers(first: 1) { totalCount } }")
    assert "set_config('statement_timeout'" in statements[0]
    assert "rapport_authenticate" in statements[0]
    assert not any(s.lstrip().upper().startswith("SET ") for s in statements)


@pytest.fixture
async def slow_app(database: Database) -> AsyncIterator[object]:
    async with app_client(database, settings_with(statement_timeout_ms=TIMEOUT_MS)) as client:
        yield client


async def test_a_slow_query_is_a_timeout(slow_app: object, tenant: Tenant, owner_engine: AsyncEngine) -> None:
    t = on(tenant, slow_app)  # type: ignore[arg-type]
    async with locked(owner_engine, "LOCK TABLE customers IN ACCESS EXCLUSIVE MODE"):
        started = time.perf_counter()
        response = await t.post("{ customers(first: 1) { totalCount } }")
        elapsed = time.perf_counter() - started
    assert response.status_code == 200, response.text
    assert codes(response) == ["TIMEOUT"]
    body = response.json()
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["requestId"]
    assert body["extensions"]["cost"] == {"requested": 1, "limit": 50_000}
    # It waited out the timeout; without one it would wait for the lock, held until the answer came.
    assert elapsed >= TIMEOUT_MS / 1000
    # The connection went back to the pool in working order.
    assert await t.data("{ customers(first: 1) { totalCount } }") == {"customers": {"totalCount": 0}}


async def test_a_timeout_hides_the_statements_refused_after_it(
    slow_app: object, tenant: Tenant, owner_engine: AsyncEngine
) -> None:
    t = on(tenant, slow_app)  # type: ignore[arg-type]
    async with locked(owner_engine, "LOCK TABLE customers IN ACCESS EXCLUSIVE MODE"):
        response = await t.post(
            "{ users(first: 1) { totalCount } customers(first: 1) { totalCount } teams(first: 1) { totalCount } }"
        )
    assert response.status_code == 200, response.text
    assert set(codes(response)) == {"TIMEOUT"}
    assert response.json()["data"] is None


async def test_a_mutation_that_times_out_saves_nothing(
    slow_app: object, tenant: Tenant, owner_engine: AsyncEngine
) -> None:
    """Each mutation runs in its own savepoint: the one that timed out is undone and reported, the next runs."""
    t = on(tenant, slow_app)  # type: ignore[arg-type]
    created = await t.mutate(
        'mutation { customerCreate(input: {kind: PERSON, name: "Before"}) { customer { id version } '
        "userErrors { code } } }"
    )
    customer = created["customer"]
    update = (
        'mutation ($id: ID!, $v: Int!) { customerUpdate(id: $id, expectedVersion: $v, input: {name: "After"}) '
        "{ customer { name } userErrors { code } } "
        'customerCreate(input: {kind: PERSON, name: "Also"}) { customer { name } userErrors { code } } }'
    )
    async with locked(owner_engine, "SELECT 1 FROM customers WHERE tenant_id = :t FOR UPDATE", t=tenant.id):
        response = await t.post(update, {"id": customer["id"], "v": customer["version"]})
    assert response.status_code == 200, response.text
    body = response.json()
    assert codes(response) == ["TIMEOUT"]
    assert body["errors"][0]["path"] == ["customerUpdate"]
    assert body["data"] == {"customerUpdate": None, "customerCreate": {"customer": {"name": "Also"}, "userErrors": []}}
    data = await t.data("{ customers(first: 10, orderBy: [{field: NAME}]) { nodes { name } } }")
    assert data == {"customers": {"nodes": [{"name": "Also"}, {"name": "Before"}]}}


async def test_a_failing_field_cancels_its_siblings_cleanly(tenant: Tenant) -> None:
    """graphql-core cancels the siblings of a failed non-null field, possibly mid-statement: the answer still
    carries only the client's error, and the next request works."""
    query = (
        '{ customers(first: 5, after: "garbage!") { totalCount } users(first: 100) { totalCount nodes { id } } '
        "teams(first: 100) { totalCount } }"
    )
    for _ in range(20):
        response = await tenant.post(query)
        assert response.status_code == 200, response.text
        assert codes(response) == ["BAD_USER_INPUT"]
        assert response.json()["data"] is None
    assert await tenant.data("{ customers(first: 1) { totalCount } }") == {"customers": {"totalCount": 0}}
