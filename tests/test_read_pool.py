"""The read pool (decision 31): a compiled read answered before is answered again on a psycopg connection
outside SQLAlchemy, with the same answer, the same statements and the same failure handling."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from psycopg.pq import TransactionStatus
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from rapport.auth import tokens
from rapport.db import driver
from rapport.db.database import Database
from rapport.db.read_pool import ReadPool
from tests.conftest import App, Tenant
from tests.trust.support import app_client, codes, on, settings_with
from tests.trust.test_timeout import TIMEOUT_MS, locked

READ = "{ customers(first: 5) { totalCount nodes { id name } } }"


def _pool(app: Any) -> ReadPool:
    pool = app.state.rapport.read_pool
    assert pool is not None
    return pool  # type: ignore[no-any-return]


def _served(app: Any) -> int:
    """Connections the read pool has handed out."""
    return _pool(app).pool.get_stats().get("requests_num", 0)


async def _customers(tenant: Tenant, *names: str) -> None:
    for name in names:
        await tenant.add_person(name)


def _authentications(statements: list[str]) -> int:
    return sum("rapport_authenticate" in s for s in statements)


async def test_a_repeated_read_is_answered_on_the_read_pool(rapport: App, tenant: Tenant) -> None:
    await _customers(tenant, "Ada", "Grace")
    before = _served(rapport.app)
    with rapport.sql.capture() as first:
        answer = await tenant.data(READ)
    assert _served(rapport.app) == before  # not seen before: the request engine answers, and remembers it
    with rapport.sql.capture() as second:
        again = await tenant.data(READ)
    assert _served(rapport.app) == before + 1
    assert again == answer
    assert answer["customers"]["totalCount"] == 2
    # The same statements, seen by the engine's listeners (metrics, statement logs) on both paths.
    assert second == first
    assert _authentications(second) == 1


async def test_each_tenant_reads_its_own_rows_on_the_read_pool(
    rapport: App, tenant: Tenant, other_tenant: Tenant
) -> None:
    await _customers(tenant, "Ada")
    await _customers(other_tenant, "Bob", "Cy")
    for t in (tenant, other_tenant):
        await t.data(READ)
    before = _served(rapport.app)
    mine, theirs = await tenant.data(READ), await other_tenant.data(READ)
    assert _served(rapport.app) == before + 2
    assert [n["name"] for n in mine["customers"]["nodes"]] == ["Ada"]
    assert sorted(n["name"] for n in theirs["customers"]["nodes"]) == ["Bob", "Cy"]


async def test_authentication_and_the_read_leave_nothing_on_the_connection(
    rapport: App, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    """They go together, pipelined, in the extended protocol's own transaction (decision 35): it ends with
    them, and the tenant, timeout and plan mode set for it go with it."""
    pipelined: list[str] = []
    send = driver.first_pipelined

    async def spy(conn: Any, ahead: Any, ahead_params: Any, statement: Any, params: Any) -> Any:
        pipelined.append(statement.sql)
        return await send(conn, ahead, ahead_params, statement, params)

    monkeypatch.setattr(driver, "first_pipelined", spy)
    await _customers(tenant, "Ada")
    filtered = '{ customers(first: 5, filter: {name: {eq: "Ada"}}) { totalCount } }'
    for query in (READ, filtered):
        await tenant.data(query)
        before, sent = _served(rapport.app), len(pipelined)
        with rapport.sql.capture() as statements:
            assert (await tenant.data(query))["customers"]["totalCount"] == 1
        assert _served(rapport.app) == before + 1
        assert len(pipelined) == sent + 1
        assert statements == [tokens.AUTHENTICATE.sql, pipelined[-1]]
    pool = _pool(rapport.app).pool
    async with pool.connection() as conn:
        assert conn.info.transaction_status == TransactionStatus.IDLE
        settings = "SELECT current_setting('rapport.tenant_id', true), current_setting('plan_cache_mode')"
        row = await (await conn.execute(settings)).fetchone()
        assert row is not None
        assert row[0] in ("", None)
        assert row[1] == "auto"


async def test_a_revoked_token_is_refused_on_the_read_pool(
    rapport: App, tenant: Tenant, owner_engine: AsyncEngine
) -> None:
    token = await tenant.token_for("VIEWER")
    await tenant.data(READ, token=token)
    await tenant.data(READ, token=token)
    async with owner_engine.begin() as conn:
        await conn.execute(
            text("UPDATE api_tokens SET revoked_at = now() WHERE tenant_id = :t AND role = 'VIEWER'"), {"t": tenant.id}
        )
    before = _served(rapport.app)
    refused = await tenant.post(READ, token=token)
    assert refused.status_code == 401
    assert codes(refused) == ["UNAUTHENTICATED"]
    assert _served(rapport.app) == before + 1
    # Forgotten: the next attempt goes to the request engine, and is refused there too.
    assert (await tenant.post(READ, token=token)).status_code == 401
    assert _served(rapport.app) == before + 1


async def test_a_schema_change_between_reads_is_answered_from_the_new_schema(rapport: App, tenant: Tenant) -> None:
    await _customers(tenant, "Ada")
    await tenant.data(READ)
    await tenant.data(READ)
    await tenant.add_field("CUSTOMER", "licence", "TEXT")
    with rapport.sql.capture() as changed:
        answer = await tenant.data(READ)
    # The read pool authenticated, found a schema version it has not built, and left the request to the engine.
    assert _authentications(changed) == 2
    assert answer["customers"]["totalCount"] == 1
    with rapport.sql.capture() as after:
        assert await tenant.data(READ) == answer
    assert _authentications(after) == 1
    assert len(after) == 2
    query = "{ customers(first: 5) { nodes { name custom { licence } } } }"
    assert (await tenant.data(query))["customers"]["nodes"] == [{"name": "Ada", "custom": {"licence": None}}]


async def test_a_document_the_compiled_path_no_longer_answers_goes_back_to_the_engine(
    rapport: App, tenant: Tenant
) -> None:
    await tenant.data(READ)  # the token and the schema are known
    executor = rapport.app.state.rapport.executor
    tenant_schema = executor.cache.latest(tenant.id)
    query = "{ __typename }"  # answered by the executor, never compiled
    executor.read_memo.answered(tenant.id, tenant_schema, query, None, True)  # a wrong memory
    before = _served(rapport.app)
    assert await tenant.data(query) == {"__typename": "Query"}
    assert _served(rapport.app) == before + 1
    assert await tenant.data(query) == {"__typename": "Query"}
    assert _served(rapport.app) == before + 1  # corrected: the engine answers at once


async def test_lost_read_pool_connections_are_replaced(rapport: App, tenant: Tenant, owner_engine: AsyncEngine) -> None:
    await _customers(tenant, "Ada")
    expected = await tenant.data(READ)
    await tenant.data(READ)
    async with owner_engine.begin() as conn:
        ended = (
            await conn.execute(
                text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = :a"),
                {"a": "rapport-reads"},
            )
        ).scalar_one()
    assert ended >= 1
    with rapport.sql.capture() as statements:
        assert await tenant.data(READ) == expected  # the request engine answered instead
    assert _authentications(statements) == 2
    # Skipped until it has a connection again (replaced in the background) or its next try comes.
    pool = _pool(rapport.app)
    for _ in range(100):
        if pool.available():
            break
        await asyncio.sleep(0.05)
    before = _served(rapport.app)
    with rapport.sql.capture() as statements:
        assert await tenant.data(READ) == expected
    assert _served(rapport.app) == before + 1
    assert _authentications(statements) == 1


@pytest.fixture
async def small_pool(database: Database) -> AsyncIterator[httpx.AsyncClient]:
    settings = settings_with(read_pool_size=1, pool_timeout_s=0.2, statement_timeout_ms=TIMEOUT_MS)
    async with app_client(database, settings) as client:
        yield client


async def test_a_read_that_outlasts_the_timeout_on_the_read_pool_is_a_timeout(
    small_pool: httpx.AsyncClient, tenant: Tenant, owner_engine: AsyncEngine
) -> None:
    t = on(tenant, small_pool)
    await t.data(READ)
    await t.data(READ)
    async with locked(owner_engine, "LOCK TABLE customers IN ACCESS EXCLUSIVE MODE"):
        response = await t.post(READ)
    assert response.status_code == 200, response.text
    assert codes(response) == ["TIMEOUT"]
    assert response.json()["data"] is None
    assert (await t.data(READ))["customers"]["totalCount"] == 0  # and the connection serves the next read


async def test_reads_overflow_into_the_engine_when_the_read_pool_is_busy(
    small_pool: httpx.AsyncClient, tenant: Tenant
) -> None:
    t = on(tenant, small_pool)
    await t.data(READ)
    await t.data(READ)
    app = small_pool._transport.app  # type: ignore[attr-defined]
    pool = _pool(app)
    async with pool.connection():  # the pool's only connection is taken
        assert (await t.data(READ))["customers"]["totalCount"] == 0  # waited briefly, then the engine answered
        served = _served(app)
        assert (await t.data(READ))["customers"]["totalCount"] == 0  # skipped at once while it is busy
        assert _served(app) == served
    assert pool.available()  # free again: its connection is idle
    await t.data(READ)
    assert _served(app) == served + 1


async def test_without_a_read_pool_every_request_uses_the_engine(database: Database, tenant: Tenant) -> None:
    async with app_client(database, settings_with(read_pool_size=0)) as client:
        t = on(tenant, client)
        app = client._transport.app  # type: ignore[attr-defined]
        assert app.state.rapport.read_pool is None
        answers = await asyncio.gather(*(t.data(READ) for _ in range(3)))
    assert all(a["customers"]["totalCount"] == 0 for a in answers)
