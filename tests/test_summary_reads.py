"""The polled ``customerSummary`` on the read pool (decision 39): authentication and the summary go in one
pipeline, one round trip and one implicit transaction, and it answers what the request engine answers,
refuses what it refuses, and falls back when anything differs."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from rapport.auth import tokens
from rapport.db.database import Database
from rapport.ids import new_id, to_global_id
from rapport.resolvers import figures
from tests.conftest import App, Tenant
from tests.trust.support import app_client, codes, on, settings_with
from tests.trust.test_timeout import TIMEOUT_MS, locked

SUMMARY = """query($id: ID!) { customerSummary(id: $id) {
  id name tier lifecycleStage currency lifetimeValue orderCount lastOrderAt openCases points balance } }"""


def _authentications(statements: list[str]) -> int:
    return sum("rapport_authenticate" in s for s in statements)


def _pipelined(statements: list[str]) -> bool:
    """Exactly the read pool's pipeline for one summary: authentication, then the summary."""
    return statements == [tokens.AUTHENTICATE.sql, figures.SUMMARY.sql]


def _served(rapport: App) -> int:
    return int(rapport.app.state.rapport.read_pool.pool.get_stats().get("requests_num", 0))


async def _person_id(tenant: Tenant, name: str) -> str:
    customer_id: str = (await tenant.add_person(name))["id"]
    return customer_id


async def test_a_polled_summary_is_authenticated_in_its_pipeline(rapport: App, tenant: Tenant) -> None:
    ada = await _person_id(tenant, "Ada")
    with rapport.sql.capture() as first:
        answer = await tenant.data(SUMMARY, {"id": ada})
    assert "BEGIN" in first[0]  # the request engine: BEGIN with authentication, then the summary
    assert len(first) == 2
    served = _served(rapport)
    with rapport.sql.capture() as again:
        assert await tenant.data(SUMMARY, {"id": ada}) == answer
    assert _pipelined(again)
    assert _served(rapport) == served + 1
    assert answer["customerSummary"]["name"] == "Ada"
    assert answer["customerSummary"]["orderCount"] == 0


async def test_each_summary_reads_its_own_tenant(rapport: App, tenant: Tenant, other_tenant: Tenant) -> None:
    ada = await _person_id(tenant, "Ada")
    bob = await _person_id(other_tenant, "Bob")
    for _ in range(2):
        assert (await tenant.data(SUMMARY, {"id": ada}))["customerSummary"]["name"] == "Ada"
        assert (await other_tenant.data(SUMMARY, {"id": bob}))["customerSummary"]["name"] == "Bob"
    served = _served(rapport)
    with rapport.sql.capture() as statements:
        assert (await tenant.data(SUMMARY, {"id": bob}))["customerSummary"] is None
        assert (await other_tenant.data(SUMMARY, {"id": ada}))["customerSummary"] is None
        missing = to_global_id("Customer", new_id())
        assert (await tenant.data(SUMMARY, {"id": missing}))["customerSummary"] is None
    assert _served(rapport) == served + 3  # found nothing, on the read pool
    assert _pipelined(statements[:2])
    assert len(statements) == 6


async def test_a_revoked_token_is_refused_by_its_pipeline(
    rapport: App, tenant: Tenant, owner_engine: AsyncEngine
) -> None:
    ada = await _person_id(tenant, "Ada")
    token = await tenant.token_for("VIEWER")
    for _ in range(2):
        await tenant.data(SUMMARY, {"id": ada}, token=token)
    async with owner_engine.begin() as conn:
        await conn.execute(
            text("UPDATE api_tokens SET revoked_at = now() WHERE tenant_id = :t AND role = 'VIEWER'"), {"t": tenant.id}
        )
    with rapport.sql.capture() as statements:
        refused = await tenant.post(SUMMARY, {"id": ada}, token=token)
    assert refused.status_code == 401
    assert codes(refused) == ["UNAUTHENTICATED"]
    assert "data" not in refused.json()
    assert _pipelined(statements)  # refused by its own authentication, nothing else ran
    with rapport.sql.capture() as statements:
        assert (await tenant.post(SUMMARY, {"id": ada}, token=token)).status_code == 401
    assert statements == [s for s in statements if "rapport_authenticate" in s]  # forgotten: the engine refuses it
    assert len(statements) == 1


async def test_a_summary_that_reads_nothing_still_authenticates(
    rapport: App, tenant: Tenant, owner_engine: AsyncEngine
) -> None:
    """An id that is no customer's is answered null without SQL; the token is checked all the same."""
    query = '{ customerSummary(id: "not an id") { name } }'
    token = await tenant.token_for("VIEWER")
    await tenant.data("{ __typename }", token=token)  # the tenant's definitions are loaded
    for _ in range(2):
        with rapport.sql.capture() as statements:
            assert await tenant.data(query, token=token) == {"customerSummary": None}
        assert _authentications(statements) == 1
        assert len(statements) == 1
    async with owner_engine.begin() as conn:
        await conn.execute(
            text("UPDATE api_tokens SET revoked_at = now() WHERE tenant_id = :t AND role = 'VIEWER'"), {"t": tenant.id}
        )
    assert (await tenant.post(query, token=token)).status_code == 401


async def test_a_schema_change_between_summaries_is_answered_from_the_new_schema(rapport: App, tenant: Tenant) -> None:
    ada = await _person_id(tenant, "Ada")
    answer = await tenant.data(SUMMARY, {"id": ada})
    await tenant.data(SUMMARY, {"id": ada})
    await tenant.add_field("CUSTOMER", "licence", "TEXT")
    with rapport.sql.capture() as changed:
        assert await tenant.data(SUMMARY, {"id": ada}) == answer
    # Authentication returned a schema version the read did not run with: its row was dropped, and the request
    # engine answered (and loaded the new definitions).
    assert _pipelined(changed[:2])
    assert _authentications(changed) == 2
    with rapport.sql.capture() as after:
        assert await tenant.data(SUMMARY, {"id": ada}) == answer
    assert _pipelined(after)


async def test_two_summaries_in_one_request_each_authenticate(rapport: App, tenant: Tenant) -> None:
    ada, bob = await _person_id(tenant, "Ada"), await _person_id(tenant, "Bob")
    query = "query($a: ID!, $b: ID!) { a: customerSummary(id: $a) { name } b: customerSummary(id: $b) { name } }"
    expected = {"a": {"name": "Ada"}, "b": {"name": "Bob"}}
    assert await tenant.data(query, {"a": ada, "b": bob}) == expected
    with rapport.sql.capture() as statements:
        assert await tenant.data(query, {"a": ada, "b": bob}) == expected
    assert _pipelined(statements[:2])
    assert _pipelined(statements[2:])


@pytest.fixture
async def short_timeout(database: Database) -> AsyncIterator[httpx.AsyncClient]:
    async with app_client(database, settings_with(statement_timeout_ms=TIMEOUT_MS)) as client:
        yield client


async def test_a_summary_that_outlasts_the_timeout_is_a_timeout(
    short_timeout: httpx.AsyncClient, tenant: Tenant, owner_engine: AsyncEngine
) -> None:
    t = on(tenant, short_timeout)
    ada = await _person_id(t, "Ada")
    for _ in range(2):
        await t.data(SUMMARY, {"id": ada})
    async with locked(owner_engine, "LOCK TABLE orders IN ACCESS EXCLUSIVE MODE"):
        response = await t.post(SUMMARY, {"id": ada})
    assert response.status_code == 200, response.text
    assert codes(response) == ["TIMEOUT"]
    assert (await t.data(SUMMARY, {"id": ada}))["customerSummary"]["name"] == "Ada"
    # Set for the pipeline's own (implicit) transaction only: nothing stays on the pooled connection.
    app = short_timeout._transport.app  # type: ignore[attr-defined]
    async with app.state.rapport.read_pool.pool.connection() as conn:
        left = (await (await conn.execute("SELECT current_setting('statement_timeout')")).fetchone())[0]
    assert left != f"{TIMEOUT_MS}ms"
