"""Every request runs in one transaction, begun by the authentication statement itself (decision 27): the
request engine's connections are in autocommit mode, so nothing else may start it. That a failing request
keeps none of its writes is tested in test_mutation_atomicity."""

from __future__ import annotations

from sqlalchemy import text

from rapport.auth.tokens import authenticate
from tests.conftest import App, Tenant


async def test_authentication_sends_the_begin_with_it(rapport: App, tenant: Tenant) -> None:
    await tenant.data("{ __typename }")  # the tenant's schema is built (and cached) on its first request
    with rapport.sql.capture() as statements:
        assert await tenant.data("{ __typename }") == {"__typename": "Query"}
    assert len(statements) == 1
    assert statements[0].startswith("BEGIN; SELECT")
    assert "rapport_authenticate" in statements[0]


async def test_the_statements_after_authentication_share_its_transaction(rapport: App, tenant: Tenant) -> None:
    async with rapport.engine.connect() as conn:
        now = text("SELECT now(), current_setting('rapport.tenant_id', true)")
        async with conn.begin():
            auth = await authenticate(conn, tenant.token)
            assert auth is not None
            assert auth.tenant_id == tenant.id
            first = (await conn.execute(now)).one()
            second = (await conn.execute(now)).one()
        # now() is the transaction's start: equal in both statements, and the tenant set by authentication
        # (a transaction-local setting) is still there.
        assert first == second
        assert first[1] == str(tenant.id)
        # Once the transaction ends, so does the tenant.
        assert (await conn.execute(now)).one()[1] in ("", None)


async def test_a_refused_token_leaves_no_transaction_open(rapport: App, tenant: Tenant) -> None:
    async with rapport.engine.connect() as conn:
        async with conn.begin():
            assert await authenticate(conn, tenant.token[:-4] + "AAAA") is None
            assert (await conn.execute(text("SELECT current_setting('rapport.tenant_id', true)"))).scalar() in (
                "",
                None,
            )
        raw = await conn.get_raw_connection()
        assert raw.driver_connection is not None
        assert raw.driver_connection.info.transaction_status.name == "IDLE"
