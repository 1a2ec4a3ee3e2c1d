"""Nested data is read through dataloaders: the number of SQL statements depends on the query's shape,
never on how many rows it returns."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import App, Tenant, resolver_path
from tests.factories import insert_customers

NESTED = """query($n: Int!) { customers(first: $n) { totalCount edges { node { id name owner { name }
  custom { tier } contacts(first: 3) { totalCount edges { node { id name customer { id name } } } } } } } }"""


async def _count(rapport: App, tenant: Tenant, size: int) -> int:
    with rapport.sql.capture() as statements, resolver_path(rapport):
        data = await tenant.data(NESTED, {"n": size})
    edges = data["customers"]["edges"]
    assert len(edges) == size
    assert all(len(e["node"]["contacts"]["edges"]) == 3 for e in edges)
    assert all(e["node"]["contacts"]["totalCount"] == 4 for e in edges)
    return len(statements)


async def test_nested_query_statements_do_not_grow_with_rows(
    rapport: App, tenant: Tenant, owner_engine: AsyncEngine
) -> None:
    await tenant.add_field("CUSTOMER", "tier", "SELECT", options='[{label: "Gold"}, {label: "Silver"}]')
    await insert_customers(owner_engine, tenant, 60, contacts_each=4)
    await tenant.data("{ __typename }")  # warm the schema cache so both runs are measured alike
    small = await _count(rapport, tenant, 5)
    large = await _count(rapport, tenant, 50)
    assert small == large
    # auth, customers page, customers count, owners, contacts pages, contacts counts, contact -> customer
    assert large == 7
    # Compiled (the default for this query): authentication and one statement, whatever the page size.
    for size in (5, 50):
        with rapport.sql.capture() as statements:
            await tenant.data(NESTED, {"n": size})
        assert len(statements) == 2


async def test_query_without_nesting_runs_two_statements(
    rapport: App, tenant: Tenant, owner_engine: AsyncEngine
) -> None:
    await insert_customers(owner_engine, tenant, 10)
    await tenant.data("{ __typename }")
    with rapport.sql.capture() as statements, resolver_path(rapport):
        await tenant.data("{ customers(first: 10) { edges { node { id name } } } }")
    assert len(statements) == 2, statements  # authenticate + the page


async def test_a_create_sends_three_messages_and_releases_no_savepoint(rapport: App, tenant: Tenant) -> None:
    """Authentication (with BEGIN), the custom values' lock with the schema version, and the write's SAVEPOINT
    with its INSERT; COMMIT ends the savepoint (decision 36)."""
    await tenant.add_field("CUSTOMER", "tier", "INTEGER")
    query = (
        "mutation ($n: String!) { customerCreate(input: {kind: PERSON, name: $n, custom: {tier: 2}}) "
        "{ customer { id name custom { tier } } userErrors { code } } }"
    )
    await tenant.mutate(query, {"n": "Warm"})
    with rapport.sql.capture() as statements:
        payload = await tenant.mutate(query, {"n": "Ada"})
    assert payload["customer"]["name"] == "Ada"
    assert payload["customer"]["custom"] == {"tier": 2}
    auth, lock, write = statements
    assert auth.startswith("BEGIN; ")
    assert "pg_advisory_xact_lock_shared" in lock
    assert write.startswith("SAVEPOINT rapport_write_1; INSERT INTO customers")
    assert not any("RELEASE" in s for s in statements)
    stored = await tenant.data("{ customers(first: 5) { nodes { name } } }")
    assert sorted(n["name"] for n in stored["customers"]["nodes"]) == ["Ada", "Warm"]
