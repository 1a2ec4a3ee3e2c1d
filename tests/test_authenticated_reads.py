"""Reads that authenticate in their own statement (decision 32): on the read pool, a polled
``customerSummary`` is one statement, a function that runs ``rapport_authenticate`` and then the read, and it
answers what the request engine answers, refuses what it refuses, and falls back when anything differs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine

from rapport import authenticated_reads
from rapport.db.database import Database
from rapport.ids import new_id, to_global_id
from rapport.resolvers import figures
from tests.conftest import App, Tenant
from tests.trust.support import app_client, codes, on, settings_with
from tests.trust.test_timeout import TIMEOUT_MS, locked

SUMMARY = """query($id: ID!) { customerSummary(id: $id) {
  id name tier lifecycleStage currency lifetimeValue orderCount lastOrderAt openCases points balance } }"""
READ = authenticated_reads.for_statement(figures.SUMMARY)


def _function() -> str:
    assert READ is not None
    return READ.function


def _calls(statements: list[str]) -> int:
    return sum(_function() in s for s in statements)


def _authentications(statements: list[str]) -> int:
    """Statements that authenticate apart (the function's call names no ``rapport_authenticate``)."""
    return sum("rapport_authenticate" in s for s in statements)


async def _person_id(tenant: Tenant, name: str) -> str:
    customer_id: str = (await tenant.add_person(name))["id"]
    return customer_id


async def test_a_polled_summary_is_one_statement(rapport: App, tenant: Tenant) -> None:
    ada = await _person_id(tenant, "Ada")
    with rapport.sql.capture() as first:
        answer = await tenant.data(SUMMARY, {"id": ada})
    assert _authentications(first) == 1  # the request engine: authenticate, then the summary
    assert len(first) == 2
    with rapport.sql.capture() as again:
        assert await tenant.data(SUMMARY, {"id": ada}) == answer
    assert len(again) == 1
    assert _calls(again) == 1
    # The request's statement timeout goes ahead of the call, in the same message: the test role's sessions start
    # with none (decision 37: a session that starts with it is sent the call alone, tested below).
    assert again[0].startswith("SELECT set_config('statement_timeout'")
    assert answer["customerSummary"]["name"] == "Ada"
    assert answer["customerSummary"]["orderCount"] == 0


async def test_each_summary_reads_its_own_tenant(rapport: App, tenant: Tenant, other_tenant: Tenant) -> None:
    ada = await _person_id(tenant, "Ada")
    bob = await _person_id(other_tenant, "Bob")
    for _ in range(2):
        assert (await tenant.data(SUMMARY, {"id": ada}))["customerSummary"]["name"] == "Ada"
        assert (await other_tenant.data(SUMMARY, {"id": bob}))["customerSummary"]["name"] == "Bob"
    with rapport.sql.capture() as statements:
        assert (await tenant.data(SUMMARY, {"id": bob}))["customerSummary"] is None
        assert (await other_tenant.data(SUMMARY, {"id": ada}))["customerSummary"] is None
        missing = to_global_id("Customer", new_id())
        assert (await tenant.data(SUMMARY, {"id": missing}))["customerSummary"] is None
    assert _calls(statements) == 3  # found nothing, on the path that authenticates in the read


async def test_a_revoked_token_is_refused_by_the_summary_itself(
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
    assert statements == [s for s in statements if _function() in s]  # refused by the function, nothing else ran
    with rapport.sql.capture() as statements:
        assert (await tenant.post(SUMMARY, {"id": ada}, token=token)).status_code == 401
    assert _calls(statements) == 0  # forgotten: the request engine refuses it


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
    # The function returned a schema version the read did not run with: the request engine answered (and
    # loaded the new definitions).
    assert _calls(changed) == 1
    assert _authentications(changed) == 1
    assert len(changed) == 4
    with rapport.sql.capture() as after:
        assert await tenant.data(SUMMARY, {"id": ada}) == answer
    assert len(after) == 1
    assert _calls(after) == 1


async def test_two_summaries_in_one_request_each_authenticate(rapport: App, tenant: Tenant) -> None:
    ada, bob = await _person_id(tenant, "Ada"), await _person_id(tenant, "Bob")
    query = "query($a: ID!, $b: ID!) { a: customerSummary(id: $a) { name } b: customerSummary(id: $b) { name } }"
    expected = {"a": {"name": "Ada"}, "b": {"name": "Bob"}}
    assert await tenant.data(query, {"a": ada, "b": bob}) == expected
    with rapport.sql.capture() as statements:
        assert await tenant.data(query, {"a": ada, "b": bob}) == expected
    assert len(statements) == 2
    assert _calls(statements) == 2


@pytest.fixture
async def without_the_function(owner_engine: AsyncEngine) -> AsyncIterator[None]:
    async with owner_engine.begin() as conn:
        await conn.run_sync(authenticated_reads.drop)
    try:
        yield
    finally:
        async with owner_engine.begin() as conn:
            await conn.run_sync(authenticated_reads.install)
        authenticated_reads._missing.pop(_function(), None)


@pytest.mark.usefixtures("without_the_function")
async def test_without_its_function_a_summary_authenticates_apart(rapport: App, tenant: Tenant) -> None:
    """Code newer than the database's last migration: the function it names is missing, and the summary is
    read the usual way (authentication pipelined with the read, decision 35) instead."""
    ada = await _person_id(tenant, "Ada")
    answer = await tenant.data(SUMMARY, {"id": ada})
    with rapport.sql.capture() as statements:
        assert await tenant.data(SUMMARY, {"id": ada}) == answer
    assert _calls(statements) == 1  # tried once, found missing
    assert _authentications(statements) == 1
    assert len(statements) == 3
    with rapport.sql.capture() as statements:
        assert await tenant.data(SUMMARY, {"id": ada}) == answer
    assert _calls(statements) == 0
    assert _authentications(statements) == 1
    assert len(statements) == 2


async def test_install_replaces_functions_of_earlier_reads(owner_engine: AsyncEngine) -> None:
    stale = "rapport_read_customer_summary_0000000000"

    def functions(conn: Any) -> list[str]:
        rows = conn.execute(text("SELECT proname FROM pg_proc WHERE proname LIKE 'rapport\\_read\\_%'"))
        return sorted(rows.scalars())

    async with owner_engine.begin() as conn:
        await conn.execute(text(f"CREATE FUNCTION {stale}() RETURNS int LANGUAGE sql AS 'SELECT 1'"))
        await conn.run_sync(authenticated_reads.install)
        await conn.run_sync(authenticated_reads.install)  # idempotent
        assert await conn.run_sync(functions) == [_function()]


async def test_install_remakes_a_function_whose_result_no_longer_matches(
    rapport: App, tenant: Tenant, owner_engine: AsyncEngine
) -> None:
    """A column's type changed since the function was made (same SQL, so the same name): made again."""
    name = _function()
    result = text("SELECT pg_get_function_result(to_regproc(:name))")
    async with owner_engine.begin() as conn:
        expected = (await conn.execute(result, {"name": name})).scalar_one()
        await conn.execute(text(f"DROP FUNCTION {name}"))
        await conn.execute(
            text(f"CREATE FUNCTION {name}(uuid, bytea, text, uuid, uuid, text) RETURNS int LANGUAGE sql AS 'SELECT 1'")
        )
        await conn.run_sync(authenticated_reads.install)
        assert (await conn.execute(result, {"name": name})).scalar_one() == expected
    ada = await _person_id(tenant, "Ada")
    assert (await tenant.data(SUMMARY, {"id": ada}))["customerSummary"]["name"] == "Ada"
    with rapport.sql.capture() as statements:
        assert (await tenant.data(SUMMARY, {"id": ada}))["customerSummary"]["name"] == "Ada"
    assert _calls(statements) == 1
    assert len(statements) == 1


@pytest.fixture
async def short_timeout(database: Database) -> AsyncIterator[httpx.AsyncClient]:
    async with app_client(database, settings_with(statement_timeout_ms=TIMEOUT_MS)) as client:
        yield client


@pytest.fixture
async def role_with_the_timeout(database: Database, owner_engine: AsyncEngine) -> AsyncIterator[httpx.AsyncClient]:
    """The app role's sessions start with the app's statement timeout (what `rapport serve` sets on its embedded
    database), and an app whose read pool opens its connections after that."""
    role = settings_with().app_role
    async with owner_engine.begin() as conn:
        await conn.execute(text(f'ALTER ROLE "{role}" SET statement_timeout = {TIMEOUT_MS}'))
    try:
        async with app_client(database, settings_with(statement_timeout_ms=TIMEOUT_MS)) as client:
            yield client
    finally:
        async with owner_engine.begin() as conn:
            await conn.execute(text(f'ALTER ROLE "{role}" RESET statement_timeout'))


def _sent_by(client: httpx.AsyncClient) -> list[str]:
    """The statements the client's app sends from now on (its engine's listeners see the read pool's too)."""
    app = client._transport.app  # type: ignore[attr-defined]
    sent: list[str] = []
    event.listen(
        app.state.rapport.executor.engine.sync_engine,
        "before_cursor_execute",
        lambda _conn, _cursor, statement, *_: sent.append(statement),
    )
    return sent


async def test_a_summary_on_a_session_with_the_requests_settings_sends_only_its_call(
    role_with_the_timeout: httpx.AsyncClient, tenant: Tenant, owner_engine: AsyncEngine
) -> None:
    """Decision 37: the settings would change nothing, so they are not sent; the session's timeout still holds."""
    t = on(tenant, role_with_the_timeout)
    ada = await _person_id(t, "Ada")
    answer = await t.data(SUMMARY, {"id": ada})
    sent = _sent_by(role_with_the_timeout)
    assert await t.data(SUMMARY, {"id": ada}) == answer
    assert sent == [_call_of(sent)]
    assert "set_config" not in sent[0]
    assert answer["customerSummary"]["name"] == "Ada"
    async with locked(owner_engine, "LOCK TABLE orders IN ACCESS EXCLUSIVE MODE"):
        response = await t.post(SUMMARY, {"id": ada})
    assert response.status_code == 200, response.text
    assert codes(response) == ["TIMEOUT"]
    assert (await t.data(SUMMARY, {"id": ada}))["customerSummary"]["name"] == "Ada"


def _call_of(statements: list[str]) -> str:
    (call,) = [s for s in statements if _function() in s]
    return call


async def test_a_summary_on_a_session_with_another_timeout_sends_the_requests(
    role_with_the_timeout: httpx.AsyncClient, tenant: Tenant, rapport: App
) -> None:
    """The session app's read-pool connections did not start with its 5 s timeout (the role had none, or now
    the short one): the timeout goes ahead of the call."""
    ada = await _person_id(tenant, "Ada")
    answer = await tenant.data(SUMMARY, {"id": ada})
    with rapport.sql.capture() as statements:
        assert await tenant.data(SUMMARY, {"id": ada}) == answer
    assert len(statements) == 1
    assert statements[0].startswith("SELECT set_config('statement_timeout'")


async def test_a_summary_that_outlasts_the_timeout_is_a_timeout(
    short_timeout: httpx.AsyncClient, tenant: Tenant, owner_engine: AsyncEngine
) -> None:
    """No transaction to set the timeout in: the read pool's connections carry it."""
    t = on(tenant, short_timeout)
    ada = await _person_id(t, "Ada")
    for _ in range(2):
        await t.data(SUMMARY, {"id": ada})
    async with locked(owner_engine, "LOCK TABLE orders IN ACCESS EXCLUSIVE MODE"):
        response = await t.post(SUMMARY, {"id": ada})
    assert response.status_code == 200, response.text
    assert codes(response) == ["TIMEOUT"]
    assert (await t.data(SUMMARY, {"id": ada}))["customerSummary"]["name"] == "Ada"
    # Set for the statement's own (implicit) transaction only: nothing stays on the pooled connection.
    app = short_timeout._transport.app  # type: ignore[attr-defined]
    async with app.state.rapport.read_pool.pool.connection() as conn:
        left = (await (await conn.execute("SELECT current_setting('statement_timeout')")).fetchone())[0]
    assert left != f"{TIMEOUT_MS}ms"


def test_serve_gives_the_embedded_app_role_the_configured_timeout(database: Database) -> None:
    from sqlalchemy import create_engine, pool

    from rapport.cli import app_role_defaults

    def role_config() -> list[str]:
        engine = create_engine(database.owner_url, poolclass=pool.NullPool)
        try:
            with engine.connect() as conn:
                query = text("SELECT coalesce(rolconfig, '{}') FROM pg_roles WHERE rolname = :r")
                return list(conn.execute(query, {"r": settings_with().app_role}).scalar_one())
        finally:
            engine.dispose()

    try:
        app_role_defaults(database, settings_with(statement_timeout_ms=1234))
        assert "statement_timeout=1234" in role_config()
    finally:
        app_role_defaults(database, settings_with(statement_timeout_ms=0))
    assert not [c for c in role_config() if c.startswith("statement_timeout=")]
