"""Mutations in one document run one after another in the request's transaction, each in its own savepoint:
one that fails leaves the others committed and writes nothing itself. A write that breaks a database rule
(possible only when a concurrent change beats the validation) is a userError, never an HTTP 500, and a
request whose transaction the database aborted reports that nothing was saved."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from rapport.ids import from_global_id, new_id, to_global_id
from rapport.models import User, table_of
from rapport.tenants import enter_tenant
from tests.conftest import Tenant

CUSTOMER_FIELDS = "customer { id name version } userErrors { code field message }"
COUNT = "{ customers(first: 1) { totalCount } contacts(first: 1) { totalCount } }"


async def counts(tenant: Tenant) -> tuple[int, int]:
    data = await tenant.data(COUNT)
    return data["customers"]["totalCount"], data["contacts"]["totalCount"]


async def create_customer(tenant: Tenant, name: str, kind: str = "COMPANY", **fields: Any) -> dict[str, Any]:
    payload = await tenant.mutate(
        f"mutation ($i: CustomerCreateInput!) {{ customerCreate(input: $i) {{ {CUSTOMER_FIELDS} }} }}",
        {"i": {"kind": kind, "name": name, **fields}},
    )
    customer: dict[str, Any] = payload["customer"]
    return customer


def uuid_of(global_id: str) -> uuid.UUID:
    decoded = from_global_id(global_id)
    assert decoded is not None
    return decoded[1]


# --- several mutations in one document ----------------------------------------------------------------------


async def test_second_mutation_failing_validation_keeps_the_first(tenant: Tenant) -> None:
    body = await tenant.gql(
        "mutation { "
        f'a: customerCreate(input: {{kind: PERSON, name: "First"}}) {{ {CUSTOMER_FIELDS} }} '
        f'b: customerCreate(input: {{kind: PERSON, name: "Second", email: "broken"}}) {{ {CUSTOMER_FIELDS} }} '
        "}"
    )
    assert "errors" not in body
    assert body["data"]["a"]["userErrors"] == []
    assert body["data"]["b"]["customer"] is None
    assert [e["code"] for e in body["data"]["b"]["userErrors"]] == ["INVALID_EMAIL"]
    listed = await tenant.data("{ customers(first: 5) { totalCount nodes { id name } } }")
    assert listed["customers"] == {
        "totalCount": 1,
        "nodes": [{"id": body["data"]["a"]["customer"]["id"], "name": "First"}],
    }


async def test_failure_in_the_middle_keeps_both_neighbours(tenant: Tenant) -> None:
    existing = await create_customer(tenant, "Existing")
    await tenant.mutate(
        f'mutation ($id: ID!) {{ customerUpdate(id: $id, input: {{name: "Moved on"}}, expectedVersion: 1) '
        f"{{ {CUSTOMER_FIELDS} }} }}",
        {"id": existing["id"]},
    )
    body = await tenant.gql(
        "mutation ($id: ID!) { "
        f'a: customerCreate(input: {{kind: PERSON, name: "Before"}}) {{ {CUSTOMER_FIELDS} }} '
        f'b: customerUpdate(id: $id, input: {{name: "Stale write"}}, expectedVersion: 1) {{ {CUSTOMER_FIELDS} }} '
        f'c: customerUpdate(id: $id, input: {{name: "Fresh write"}}, expectedVersion: 2) {{ {CUSTOMER_FIELDS} }} '
        f'd: customerCreate(input: {{kind: PERSON, name: "After"}}) {{ {CUSTOMER_FIELDS} }} '
        "}",
        {"id": existing["id"]},
    )
    data = body["data"]
    assert [e["code"] for e in data["b"]["userErrors"]] == ["CONFLICT"]
    assert data["c"]["userErrors"] == []
    assert data["c"]["customer"] == {"id": existing["id"], "name": "Fresh write", "version": 3}
    listed = await tenant.data("{ customers(first: 10, orderBy: [{field: NAME}]) { nodes { name version } } }")
    assert sorted((n["name"], n["version"]) for n in listed["customers"]["nodes"]) == [
        ("After", 1),
        ("Before", 1),
        ("Fresh write", 3),
    ]


async def test_later_mutations_see_earlier_ones(tenant: Tenant) -> None:
    """A document can create a company and a contact at it only through separate requests (IDs are not known
    in advance), but it can update the same object twice: the second mutation reads the first one's write."""
    customer = await create_customer(tenant, "Twice")
    body = await tenant.gql(
        "mutation ($id: ID!) { "
        f'a: customerUpdate(id: $id, input: {{name: "Once"}}, expectedVersion: 1) {{ {CUSTOMER_FIELDS} }} '
        f'b: customerUpdate(id: $id, input: {{name: "Twice more"}}, expectedVersion: 2) {{ {CUSTOMER_FIELDS} }} '
        f"c: customerDelete(id: $id, expectedVersion: 3) {{ deletedId userErrors {{ code }} }} "
        f'd: customerUpdate(id: $id, input: {{name: "Ghost"}}, expectedVersion: 4) {{ {CUSTOMER_FIELDS} }} '
        "}",
        {"id": customer["id"]},
    )
    data = body["data"]
    assert data["a"]["customer"]["version"] == 2
    assert data["b"]["customer"]["version"] == 3
    assert data["c"] == {"deletedId": customer["id"], "userErrors": []}
    assert [e["code"] for e in data["d"]["userErrors"]] == ["NOT_FOUND"]
    assert await counts(tenant) == (0, 0)


async def test_forbidden_mutation_in_a_document_does_not_undo_the_others(tenant: Tenant) -> None:
    """Permission errors are per field; a VIEWER's document writes nothing at all."""
    viewer = await tenant.token_for("VIEWER")
    body = await tenant.gql(
        "mutation { "
        f'a: customerCreate(input: {{kind: PERSON, name: "A"}}) {{ {CUSTOMER_FIELDS} }} '
        f'b: customerCreate(input: {{kind: PERSON, name: "B"}}) {{ {CUSTOMER_FIELDS} }} '
        "}",
        token=viewer,
    )
    assert body["data"] == {"a": None, "b": None}
    assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN", "FORBIDDEN"]
    assert await counts(tenant) == (0, 0)


# --- database rules broken by concurrent changes ------------------------------------------------------------


@asynccontextmanager
async def in_tenant(engine: AsyncEngine, tenant: Tenant) -> AsyncIterator[AsyncConnection]:
    """An owner transaction inside the tenant (row-level security applies to the owner too)."""
    async with engine.connect() as conn:
        transaction = await conn.begin()
        await enter_tenant(conn, tenant.id)
        try:
            yield conn
        finally:
            if transaction.is_active:
                await transaction.rollback()


async def wait_until_blocked(engine: AsyncEngine, *statement_prefixes: str) -> None:
    """Until some backend waits on a lock while running a statement that starts with one of the prefixes (alone,
    or after the write's SAVEPOINT sent with it)."""
    for _ in range(500):
        async with engine.connect() as conn:
            blocked = (
                await conn.execute(
                    text(
                        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                        "AND ltrim(query) ILIKE ANY(:prefixes)"
                    ),
                    {"prefixes": [f"{s}{p}%" for p in statement_prefixes for s in ("", "SAVEPOINT %; ")]},
                )
            ).scalar_one()
        if blocked:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"no request blocked on {statement_prefixes!r}")


async def test_owner_deleted_while_the_customer_is_written_is_a_user_error(
    tenant: Tenant, owner_engine: AsyncEngine
) -> None:
    """The owner exists when ownerId is checked and is gone when the row is inserted: the foreign key refuses
    the insert, and the mutation reports it against ownerId."""
    user_id = new_id()
    async with in_tenant(owner_engine, tenant) as conn:
        await conn.execute(
            insert(table_of(User)).values(
                tenant_id=tenant.id, id=user_id, name="Leaving", email="leaving@x.example", role="MEMBER"
            )
        )
        await conn.commit()
    owner = to_global_id("User", user_id)

    async with in_tenant(owner_engine, tenant) as conn:
        # Delete the user but keep the transaction open: its row lock makes the insert's key check wait.
        await conn.execute(text("DELETE FROM users WHERE tenant_id = :t AND id = :u"), {"t": tenant.id, "u": user_id})
        request = asyncio.create_task(
            tenant.post(
                f'mutation ($o: ID!) {{ customerCreate(input: {{kind: PERSON, name: "Owned", ownerId: $o}}) '
                f"{{ {CUSTOMER_FIELDS} }} }}",
                {"o": owner},
            )
        )
        await wait_until_blocked(owner_engine, "INSERT INTO customers")
        await conn.commit()
    response = await asyncio.wait_for(request, 10)

    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    payload = body["data"]["customerCreate"]
    assert payload["customer"] is None
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [("NOT_FOUND", ["input", "ownerId"])]
    assert await counts(tenant) == (0, 0)


async def test_owner_deleted_while_the_customer_is_updated_is_a_user_error(
    tenant: Tenant, owner_engine: AsyncEngine
) -> None:
    customer = await create_customer(tenant, "Reassigned")
    user_id = new_id()
    async with in_tenant(owner_engine, tenant) as conn:
        await conn.execute(
            insert(table_of(User)).values(
                tenant_id=tenant.id, id=user_id, name="Leaving", email="leaving@x.example", role="MEMBER"
            )
        )
        await conn.commit()
    async with in_tenant(owner_engine, tenant) as conn:
        await conn.execute(text("DELETE FROM users WHERE tenant_id = :t AND id = :u"), {"t": tenant.id, "u": user_id})
        request = asyncio.create_task(
            tenant.post(
                'mutation ($id: ID!, $o: ID!) { customerUpdate(id: $id, input: {ownerId: $o, name: "New name"}, '
                f"expectedVersion: 1) {{ {CUSTOMER_FIELDS} }} }}",
                {"id": customer["id"], "o": to_global_id("User", user_id)},
            )
        )
        await wait_until_blocked(owner_engine, "UPDATE customers")
        await conn.commit()
    response = await asyncio.wait_for(request, 10)
    assert response.status_code == 200, response.text
    payload = response.json()["data"]["customerUpdate"]
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [("NOT_FOUND", ["input", "ownerId"])]
    now = await tenant.data(
        "query ($id: ID!) { node(id: $id) { ... on Customer { name version owner { id } } } }", {"id": customer["id"]}
    )
    assert now["node"] == {"name": "Reassigned", "version": 1, "owner": None}


async def test_owner_deleted_during_a_multi_mutation_document_keeps_the_rest(
    tenant: Tenant, owner_engine: AsyncEngine
) -> None:
    user_id = new_id()
    async with in_tenant(owner_engine, tenant) as conn:
        await conn.execute(
            insert(table_of(User)).values(
                tenant_id=tenant.id, id=user_id, name="Leaving", email="leaving@x.example", role="MEMBER"
            )
        )
        await conn.commit()
    async with in_tenant(owner_engine, tenant) as conn:
        await conn.execute(text("DELETE FROM users WHERE tenant_id = :t AND id = :u"), {"t": tenant.id, "u": user_id})
        request = asyncio.create_task(
            tenant.post(
                "mutation ($o: ID!) { "
                f'a: customerCreate(input: {{kind: PERSON, name: "Plain"}}) {{ {CUSTOMER_FIELDS} }} '
                f'b: customerCreate(input: {{kind: PERSON, name: "Owned", ownerId: $o}}) {{ {CUSTOMER_FIELDS} }} '
                f'c: customerCreate(input: {{kind: PERSON, name: "Also plain"}}) {{ {CUSTOMER_FIELDS} }} '
                "}",
                {"o": to_global_id("User", user_id)},
            )
        )
        await wait_until_blocked(owner_engine, "INSERT INTO customers")
        await conn.commit()
    response = await asyncio.wait_for(request, 10)
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert data["a"]["userErrors"] == []
    assert [e["code"] for e in data["b"]["userErrors"]] == ["NOT_FOUND"]
    assert data["c"]["userErrors"] == []
    names = await tenant.data("{ customers(first: 5) { nodes { name } } }")
    assert sorted(n["name"] for n in names["customers"]["nodes"]) == ["Also plain", "Plain"]


async def test_contact_at_a_customer_deleted_concurrently_is_refused(tenant: Tenant, owner_engine: AsyncEngine) -> None:
    """The customer exists when contactCreate checks it and is soft-deleted before the insert commits. The
    foreign key is satisfied (the row is still there), so only the mutation's own rule can refuse: otherwise a
    live contact would point at a deleted customer and its non-null `customer` field would fail to resolve."""
    acme = await create_customer(tenant, "Vanishing Corp")
    acme_id = uuid_of(acme["id"])
    async with in_tenant(owner_engine, tenant) as conn:
        # What customerDelete does, held open at the moment the contact is written.
        await conn.execute(
            text("SELECT 1 FROM customers WHERE tenant_id = :t AND id = :c FOR UPDATE"), {"t": tenant.id, "c": acme_id}
        )
        await conn.execute(
            text("UPDATE customers SET deleted_at = now(), version = version + 1 WHERE tenant_id = :t AND id = :c"),
            {"t": tenant.id, "c": acme_id},
        )
        request = asyncio.create_task(
            tenant.post(
                'mutation ($c: ID!) { contactCreate(input: {customerId: $c, name: "Late hire"}) '
                "{ contact { id customer { id } } userErrors { code field message } } }",
                {"c": acme["id"]},
            )
        )
        # With the rule's FOR SHARE the request waits in its SELECT; without it, in the insert's key check.
        await wait_until_blocked(owner_engine, "SELECT", "INSERT INTO contacts")
        await conn.commit()
    response = await asyncio.wait_for(request, 10)
    assert response.status_code == 200, response.text
    payload = response.json()["data"]["contactCreate"]
    assert payload["contact"] is None
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [("NOT_FOUND", ["input", "customerId"])]
    # Listing contacts with their customer still works.
    data = await tenant.data("{ contacts(first: 10) { totalCount nodes { id customer { id } } } }")
    assert data["contacts"] == {"totalCount": 0, "nodes": []}


async def test_contact_create_and_customer_delete_racing_over_the_api(tenant: Tenant) -> None:
    """Whatever order they commit in, no live contact is left under a deleted customer."""
    for round_ in range(5):
        acme = await create_customer(tenant, f"Racing Corp {round_}")
        create = tenant.post(
            'mutation ($c: ID!) { contactCreate(input: {customerId: $c, name: "Racer"}) '
            "{ contact { id } userErrors { code field } } }",
            {"c": acme["id"]},
        )
        delete = tenant.post(
            "mutation ($c: ID!) { customerDelete(id: $c) { deletedId userErrors { code } } }", {"c": acme["id"]}
        )
        created, deleted = await asyncio.gather(create, delete)
        assert created.status_code == 200, created.text
        assert deleted.status_code == 200, deleted.text
        assert deleted.json()["data"]["customerDelete"]["deletedId"] == acme["id"]
        errors = created.json()["data"]["contactCreate"]["userErrors"]
        assert errors in ([], [{"code": "NOT_FOUND", "field": ["input", "customerId"]}])
    data = await tenant.data("{ contacts(first: 10) { totalCount nodes { id customer { id } } } }")
    assert data["contacts"] == {"totalCount": 0, "nodes": []}


async def test_company_with_contacts_cannot_become_a_person(tenant: Tenant) -> None:
    acme = await create_customer(tenant, "Acme")
    await tenant.mutate(
        'mutation ($c: ID!) { contactCreate(input: {customerId: $c, name: "Staff"}) { contact { id } '
        "userErrors { code } } }",
        {"c": acme["id"]},
    )
    update = (
        "mutation ($id: ID!, $v: Int!) { customerUpdate(id: $id, input: {kind: PERSON}, expectedVersion: $v) "
        "{ customer { kind version } userErrors { code field } } }"
    )
    refused = await tenant.data(update, {"id": acme["id"], "v": 1})
    assert refused["customerUpdate"] == {
        "customer": None,
        "userErrors": [{"code": "INVALID_STATE", "field": ["input", "kind"]}],
    }
    empty = await create_customer(tenant, "Empty Co")
    allowed = await tenant.data(update, {"id": empty["id"], "v": 1})
    assert allowed["customerUpdate"] == {"customer": {"kind": "PERSON", "version": 2}, "userErrors": []}


# --- a transaction the database aborted ---------------------------------------------------------------------


async def test_aborted_transaction_reports_nothing_saved(tenant: Tenant, owner_engine: AsyncEngine) -> None:
    """A statement that fails outside any savepoint aborts the whole transaction, and COMMIT then silently rolls
    back. The response must not claim the mutations that ran before it as saved.

    The failing statement here is the payload's nested read of contacts while the app role may not read them;
    any server-side error in a payload's nested read has the same effect."""
    await tenant.add_field("CONTACT", "score", "INTEGER")
    acme = await create_customer(tenant, "Acme")
    contact = await tenant.mutate(
        'mutation ($c: ID!) { contactCreate(input: {customerId: $c, name: "Scored", custom: {score: 5}}) '
        "{ contact { id } userErrors { code field message } } }",
        {"c": acme["id"]},
    )
    assert contact["contact"]["id"]
    async with owner_engine.begin() as conn:
        await conn.execute(text("REVOKE SELECT ON contacts FROM rapport_app"))
    try:
        response = await tenant.post(
            "mutation ($id: ID!) { "
            f'a: customerCreate(input: {{kind: PERSON, name: "Claimed"}}) {{ {CUSTOMER_FIELDS} }} '
            'b: customerUpdate(id: $id, input: {name: "Acme 2"}, expectedVersion: 1) { customer { '
            "contacts(first: 5, filter: {custom: {score: {gt: 1}}}) { totalCount } } userErrors { code } } }",
            {"id": acme["id"]},
        )
    finally:
        async with owner_engine.begin() as conn:
            await conn.execute(text("GRANT SELECT ON contacts TO rapport_app"))
    assert response.status_code < 500, response.text
    body = response.json()
    assert body["errors"], body
    stored = await tenant.data("{ customers(first: 5) { nodes { name version } } }")
    names = {n["name"] for n in stored["customers"]["nodes"]}
    claimed = (body.get("data") or {}).get("a") or {}
    if "Claimed" not in names:
        # Nothing was saved: the response must not present customer "Claimed" as created.
        assert not claimed.get("customer"), body
        assert names == {"Acme"}
        assert any("rolled back" in e["message"] for e in body["errors"]), body
    else:
        assert claimed.get("customer"), body


async def test_health_of_the_pool_after_many_failures(tenant: Tenant, http: httpx.AsyncClient) -> None:
    """Failed requests return their connections: many concurrent invalid mutations, then normal service."""
    bad = [
        tenant.post('mutation { customerCreate(input: {kind: PERSON, name: ""}) { userErrors { code } } }')
        for _ in range(30)
    ]
    for response in await asyncio.gather(*bad):
        assert response.status_code == 200
        assert response.json()["data"]["customerCreate"]["userErrors"] == [{"code": "REQUIRED"}]
    assert await counts(tenant) == (0, 0)
    assert (await http.get("/readyz")).status_code == 200
