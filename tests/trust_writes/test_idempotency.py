"""Idempotent writes: the Idempotency-Key header (a whole request) and the idempotencyKey argument (one
mutation); replays, misuse, concurrency, tenant scoping, expiry."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from rapport.idempotency import MAX_KEY_LENGTH
from tests.conftest import Tenant
from tests.trust_writes.support import ERRORS, execute, rows

CREATE = (
    "mutation ($name: String!) { customerCreate(input: {kind: PERSON, name: $name}) "
    "{ customer { id name } userErrors { code } } }"
)
CREATE_KEYED = (
    "mutation ($name: String!, $email: String, $key: String) { customerCreate(input: {kind: PERSON, name: $name, "
    f"email: $email}}, idempotencyKey: $key) {{ customer {{ id name }} {ERRORS} }} }}"
)
LEDGER = (
    "mutation ($input: LedgerEntryInput!, $key: String) { ledgerRecord(input: $input, idempotencyKey: $key) "
    f"{{ entry {{ id amount balanceAfter }} {ERRORS} }} }}"
)


async def _count(tenant: Tenant, name: str) -> int:
    data = await tenant.data(
        "query ($n: String!) { customers(first: 100, filter: {name: {eq: $n}}) { totalCount } }", {"n": name}
    )
    count: int = data["customers"]["totalCount"]
    return count


async def _with_header(tenant: Tenant, key: str, name: str) -> tuple[int, dict[str, Any]]:
    response = await tenant.post(CREATE, {"name": name}, headers={"Idempotency-Key": key})
    body: dict[str, Any] = response.json()
    return response.status_code, body


# --- the header ------------------------------------------------------------------------------------------------


async def test_header_retry_replays_the_first_response(tenant: Tenant) -> None:
    key, name = str(uuid.uuid4()), f"Header {uuid.uuid4().hex[:8]}"
    first = await _with_header(tenant, key, name)
    again = await _with_header(tenant, key, name)
    assert first[0] == again[0] == 200
    assert first[1]["data"]["customerCreate"]["customer"]["name"] == name
    assert again[1] == first[1]
    assert await _count(tenant, name) == 1
    # Without a key, the same request writes again.
    await tenant.data(CREATE, {"name": name})
    assert await _count(tenant, name) == 2


async def test_header_with_another_request_is_refused(tenant: Tenant) -> None:
    key, name = str(uuid.uuid4()), f"Reuse {uuid.uuid4().hex[:8]}"
    await _with_header(tenant, key, name)
    status, body = await _with_header(tenant, key, name + " changed")
    assert status == 422
    assert body["errors"][0]["extensions"]["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert "data" not in body
    assert await _count(tenant, name + " changed") == 0
    # Another caller (token) is another request too.
    other = await tenant.token_for("MEMBER")
    response = await tenant.post(CREATE, {"name": name}, token=other, headers={"Idempotency-Key": key})
    assert response.status_code == 422
    assert await _count(tenant, name) == 1


async def test_header_is_ignored_by_queries_and_checked(tenant: Tenant) -> None:
    response = await tenant.post("{ tenant { name } }", headers={"Idempotency-Key": "read-1"})
    assert response.status_code == 200
    assert response.json()["data"]["tenant"]["name"]
    response = await tenant.post("{ tenant { slug } }", headers={"Idempotency-Key": "read-1"})
    assert response.status_code == 200, "queries do not claim keys"
    response = await tenant.post(CREATE, {"name": "Too long"}, headers={"Idempotency-Key": "k" * (MAX_KEY_LENGTH + 1)})
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    assert await _count(tenant, "Too long") == 0


async def test_header_refused_request_is_replayed_too(tenant: Tenant, owner_engine: AsyncEngine) -> None:
    """The header covers the request's response whatever it says: refused input is answered the same way again
    (the key is stored with the response, in the request's transaction)."""
    key = str(uuid.uuid4())
    bad = 'mutation { customerCreate(input: {kind: PERSON, name: ""}) { customer { id } userErrors { code } } }'
    first = await tenant.post(bad, headers={"Idempotency-Key": key})
    assert first.json()["data"]["customerCreate"]["userErrors"]
    stored = await rows(owner_engine, tenant, "SELECT response FROM idempotency_keys WHERE key = :k", k=key)
    assert stored[0].response["data"] == first.json()["data"]
    again = await tenant.post(bad, headers={"Idempotency-Key": key})
    assert again.json() == first.json()


async def test_twenty_concurrent_header_retries_make_one_record(tenant: Tenant) -> None:
    key, name = str(uuid.uuid4()), f"Concurrent header {uuid.uuid4().hex[:8]}"
    answers = await asyncio.gather(*(_with_header(tenant, key, name) for _ in range(20)))
    assert {status for status, _ in answers} == {200}
    ids = {body["data"]["customerCreate"]["customer"]["id"] for _, body in answers}
    assert len(ids) == 1
    assert await _count(tenant, name) == 1


async def test_header_keys_belong_to_their_tenant(tenant: Tenant, other_tenant: Tenant) -> None:
    key, name = str(uuid.uuid4()), f"Shared key {uuid.uuid4().hex[:8]}"
    mine = await _with_header(tenant, key, name)
    theirs = await _with_header(other_tenant, key, name)
    assert mine[0] == theirs[0] == 200
    assert mine[1]["data"]["customerCreate"]["customer"]["id"] != theirs[1]["data"]["customerCreate"]["customer"]["id"]
    assert await _count(tenant, name) == 1
    assert await _count(other_tenant, name) == 1


# --- the argument ----------------------------------------------------------------------------------------------


async def _keyed(tenant: Tenant, key: str | None, name: str, email: str | None = None) -> dict[str, Any]:
    data = await tenant.data(CREATE_KEYED, {"name": name, "email": email, "key": key})
    payload: dict[str, Any] = data["customerCreate"]
    return payload


async def test_argument_retry_returns_the_first_record(tenant: Tenant) -> None:
    key, name = str(uuid.uuid4()), f"Keyed {uuid.uuid4().hex[:8]}"
    first = await _keyed(tenant, key, name)
    again = await _keyed(tenant, key, name)
    assert first["userErrors"] == again["userErrors"] == []
    assert first["customer"] == again["customer"]
    assert await _count(tenant, name) == 1


async def test_argument_with_other_input_is_refused(tenant: Tenant) -> None:
    key, name = str(uuid.uuid4()), f"Keyed reuse {uuid.uuid4().hex[:8]}"
    await _keyed(tenant, key, name)
    refused = await _keyed(tenant, key, name, email="other@example.com")
    assert refused["customer"] is None
    assert [(e["code"], e["field"]) for e in refused["userErrors"]] == [("IDEMPOTENCY_KEY_REUSED", ["idempotencyKey"])]
    # The same key on another mutation is another use too.
    data = await tenant.data(
        f'mutation ($key: String) {{ productCreate(input: {{sku: "K-1", name: "P", unitPrice: "1.00"}}, '
        f"idempotencyKey: $key) {{ product {{ id }} {ERRORS} }} }}",
        {"key": key},
    )
    assert data["productCreate"]["userErrors"][0]["code"] == "IDEMPOTENCY_KEY_REUSED"


async def test_argument_refused_input_leaves_the_key_free(tenant: Tenant) -> None:
    key, name = str(uuid.uuid4()), f"Fixed later {uuid.uuid4().hex[:8]}"
    refused = await _keyed(tenant, key, name, email="not an email")
    assert refused["userErrors"][0]["code"] == "INVALID_EMAIL"
    fixed = await _keyed(tenant, key, name, email="fixed@example.com")
    assert fixed["userErrors"] == []
    assert fixed["customer"]["name"] == name
    too_long = await _keyed(tenant, "k" * (MAX_KEY_LENGTH + 1), name)
    assert [(e["code"], e["field"]) for e in too_long["userErrors"]] == [("INVALID", ["idempotencyKey"])]


async def test_argument_replay_of_a_deleted_record_says_so(tenant: Tenant) -> None:
    key, name = str(uuid.uuid4()), f"Gone {uuid.uuid4().hex[:8]}"
    first = await _keyed(tenant, key, name)
    await tenant.mutate(
        f"mutation ($id: ID!) {{ customerDelete(id: $id) {{ deletedId {ERRORS} }} }}", {"id": first["customer"]["id"]}
    )
    again = await _keyed(tenant, key, name)
    assert again["customer"] is None
    assert again["userErrors"][0]["code"] == "NOT_FOUND"
    assert await _count(tenant, name) == 0


async def test_twenty_concurrent_argument_retries_make_one_record(tenant: Tenant) -> None:
    key, name = str(uuid.uuid4()), f"Concurrent keyed {uuid.uuid4().hex[:8]}"
    payloads = await asyncio.gather(*(_keyed(tenant, key, name) for _ in range(20)))
    assert all(p["userErrors"] == [] for p in payloads)
    assert len({p["customer"]["id"] for p in payloads}) == 1
    assert await _count(tenant, name) == 1


async def test_argument_keys_belong_to_their_tenant(tenant: Tenant, other_tenant: Tenant) -> None:
    key, name = str(uuid.uuid4()), f"Tenant keyed {uuid.uuid4().hex[:8]}"
    mine, theirs = await _keyed(tenant, key, name), await _keyed(other_tenant, key, name)
    assert mine["customer"]["id"] != theirs["customer"]["id"]
    assert await _count(tenant, name) == await _count(other_tenant, name) == 1


async def test_ledger_record_takes_a_key(tenant: Tenant) -> None:
    customer = (await _keyed(tenant, None, "Ledger keyed"))["customer"]
    key = str(uuid.uuid4())

    def entry(amount: str, reference: str) -> dict[str, Any]:
        return {
            "customerId": customer["id"],
            "account": "POINTS",
            "kind": "EARN",
            "amount": amount,
            "reference": reference,
        }

    first = (await tenant.data(LEDGER, {"input": entry("10", "ref-0"), "key": key}))["ledgerRecord"]
    assert first["userErrors"] == []
    again = (await tenant.data(LEDGER, {"input": entry("10", "ref-0"), "key": key}))["ledgerRecord"]
    assert again["entry"] == first["entry"]
    reused = (await tenant.data(LEDGER, {"input": entry("11", "ref-0"), "key": key}))["ledgerRecord"]
    assert reused["userErrors"][0]["code"] == "IDEMPOTENCY_KEY_REUSED"
    data = await tenant.data(
        "query ($id: ID!) { node(id: $id) { ... on Customer { ledgerEntries(first: 10) { totalCount } "
        "points { points } } } }",
        {"id": customer["id"]},
    )
    assert data["node"]["ledgerEntries"]["totalCount"] == 1
    assert data["node"]["points"]["points"] == "10.00"


async def test_expired_keys_are_free_again(tenant: Tenant, owner_engine: AsyncEngine) -> None:
    key, name = str(uuid.uuid4()), f"Expired {uuid.uuid4().hex[:8]}"
    await _with_header(tenant, key, name)
    stored = await rows(
        owner_engine, tenant, "SELECT expires_at - created_at AS kept FROM idempotency_keys WHERE key = :k", k=key
    )
    assert stored[0].kept.total_seconds() >= 24 * 3600
    await execute(
        owner_engine,
        tenant,
        "UPDATE idempotency_keys SET expires_at = now() - interval '1 second' WHERE key = :k",
        k=key,
    )
    status, body = await _with_header(tenant, key, name + " new")
    assert status == 200
    assert body["data"]["customerCreate"]["customer"]["name"] == name + " new"
