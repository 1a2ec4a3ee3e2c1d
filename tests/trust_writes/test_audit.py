"""The audit trail: an entry for every create, update, delete and custom-field definition change, written in the
writing transaction, with actor, request and before/after values; readable through auditLog; append-only."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from rapport.tenants import issue_token
from tests.conftest import Tenant
from tests.domain import helpers
from tests.trust_writes.support import ERRORS, audit, changes, create_customer, rows, uuid_of

UPDATE = (
    "mutation ($id: ID!, $v: Int!, $input: CustomerUpdateInput!) { customerUpdate(id: $id, expectedVersion: $v, "
    f"input: $input) {{ customer {{ id version }} {ERRORS} }} }}"
)


async def test_create_update_delete_restore_of_a_customer(tenant: Tenant, owner_engine: AsyncEngine) -> None:
    await tenant.add_field("CUSTOMER", "nickname", "TEXT")
    created = await tenant.mutate(
        'mutation { customerCreate(input: {kind: PERSON, name: "Audit Ada", email: "ada@example.com", '
        f'custom: {{nickname: "Countess"}}}}) {{ customer {{ id version }} {ERRORS} }} }}'
    )
    customer = created["customer"]
    await tenant.mutate(
        UPDATE, {"id": customer["id"], "v": 1, "input": {"name": "Audit Ada L.", "custom": {"nickname": "Enchantress"}}}
    )
    await tenant.mutate(f'mutation {{ customerDelete(id: "{customer["id"]}") {{ deletedId {ERRORS} }} }}')
    await tenant.mutate(f'mutation {{ customerRestore(id: "{customer["id"]}") {{ customer {{ id }} {ERRORS} }} }}')

    entries = await audit(tenant, customer["id"])
    assert [e["action"] for e in entries] == ["RESTORE", "DELETE", "UPDATE", "CREATE"]  # newest first
    restore, delete, update, create = entries
    assert changes(create)["name"] == (None, "Audit Ada")
    assert changes(create)["email"] == (None, "ada@example.com")
    assert changes(create)["kind"] == (None, "PERSON")
    assert changes(create)["custom.nickname"] == (None, "Countess")
    assert "version" not in changes(create)
    assert "id" not in changes(create)
    assert changes(update) == {
        "name": ("Audit Ada", "Audit Ada L."),
        "custom.nickname": ("Countess", "Enchantress"),
    }
    assert set(changes(delete)) == {"deletedAt"}
    assert changes(delete)["deletedAt"][0] is None
    assert set(changes(restore)) == {"deletedAt"}
    assert changes(restore)["deletedAt"][1] is None
    for entry in entries:
        assert entry["entity"] == "Customer"
        assert entry["entityId"] == customer["id"]
        assert entry["customerId"] == customer["id"]
        assert entry["actor"] is not None
        assert entry["actorUserId"] == entry["actor"]["id"]
        assert entry["tokenId"]
        assert entry["requestId"]
    assert len({e["requestId"] for e in entries}) == 4, "one request each"
    # Actor and time come from the database, in the same transaction as the change.
    stored = await rows(
        owner_engine, tenant, "SELECT count(*) AS n FROM audit_log WHERE entity_id = :id", id=uuid_of(customer["id"])
    )
    assert stored[0].n == 4


async def test_refused_and_stale_writes_leave_no_entry(tenant: Tenant) -> None:
    customer = await create_customer(tenant, "Stale Sam")
    stale = await tenant.data(UPDATE, {"id": customer["id"], "v": 7, "input": {"name": "Never"}})
    assert stale["customerUpdate"]["userErrors"][0]["code"] == "CONFLICT"
    refused = await tenant.data(UPDATE, {"id": customer["id"], "v": 1, "input": {"email": "nope"}})
    assert refused["customerUpdate"]["userErrors"][0]["code"] == "INVALID_EMAIL"
    unchanged = await tenant.data(UPDATE, {"id": customer["id"], "v": 1, "input": {"name": "Stale Sam"}})
    assert unchanged["customerUpdate"]["userErrors"] == []
    assert [e["action"] for e in await audit(tenant, customer["id"])] == ["CREATE"]


async def test_a_customer_delete_records_its_contacts_too(tenant: Tenant) -> None:
    company = await helpers.company(tenant, "Audit Corp")
    contact = await helpers.contact(tenant, company, "Carl Contact")
    await tenant.mutate(f'mutation {{ customerDelete(id: "{company}") {{ deletedId {ERRORS} }} }}')
    entries = await audit(tenant, contact)
    assert [e["action"] for e in entries] == ["DELETE", "CREATE"]
    assert entries[0]["customerId"] == company


async def test_special_mutations_are_audited(tenant: Tenant) -> None:
    lead = await helpers.lead(tenant, "Lena Lead", company="Lead Works", email="lena@example.com")
    converted = await tenant.mutate(
        f'mutation {{ leadConvert(id: "{lead["id"]}", createOpportunity: true) {{ customer {{ id }} contact {{ id }} '
        f"opportunity {{ id version pipeline {{ stages {{ id name kind }} }} }} {ERRORS} }} }}"
    )
    lead_entries = await audit(tenant, lead["id"])
    assert [e["action"] for e in lead_entries] == ["UPDATE", "CREATE"]
    assert changes(lead_entries[0])["status"] == ("NEW", "CONVERTED")
    assert changes(lead_entries[0])["customerId"] == (None, converted["customer"]["id"])
    assert [e["action"] for e in await audit(tenant, converted["customer"]["id"])] == ["CREATE"]
    assert [e["action"] for e in await audit(tenant, converted["contact"]["id"])] == ["CREATE"]

    deal = converted["opportunity"]
    won = next(s for s in deal["pipeline"]["stages"] if s["kind"] == "WON")
    await tenant.mutate(
        f'mutation {{ opportunityMoveStage(id: "{deal["id"]}", stageId: "{won["id"]}", expectedVersion: '
        f"{deal['version']}) {{ opportunity {{ id }} {ERRORS} }} }}"
    )
    moved = await audit(tenant, deal["id"])
    assert moved[0]["action"] == "UPDATE"
    assert changes(moved[0])["stageId"][1] == won["id"]
    assert changes(moved[0])["probability"][1] == 100

    order = await helpers.paid_order(tenant, converted["customer"]["id"], "50.00")
    shipped = await tenant.mutate(
        f'mutation {{ orderAddShipmentEvent(orderId: "{order["id"]}", input: {{status: "IN_TRANSIT", '
        f'location: "Hub"}}) {{ shipmentEvent {{ id }} {ERRORS} }} }}'
    )
    assert changes((await audit(tenant, order["id"]))[0])["shippingStatus"] == (None, "IN_TRANSIT")
    event = await audit(tenant, shipped["shipmentEvent"]["id"])
    assert event[0]["entity"] == "ShipmentEvent"
    assert changes(event[0])["location"] == (None, "Hub")

    entry = await tenant.mutate(
        'mutation ($c: ID!) { ledgerRecord(input: {customerId: $c, account: POINTS, kind: EARN, amount: "12.5", '
        f'reference: "audit-1"}}) {{ entry {{ id }} {ERRORS} }} }}',
        {"c": converted["customer"]["id"]},
    )
    ledger = await audit(tenant, entry["entry"]["id"])
    assert ledger[0]["action"] == "CREATE"
    assert changes(ledger[0])["amount"] == (None, 12.5)
    assert changes(ledger[0])["reference"] == (None, "audit-1")
    assert ledger[0]["customerId"] == converted["customer"]["id"]


async def test_custom_field_definition_changes_are_audited(tenant: Tenant) -> None:
    field = await tenant.add_field("CUSTOMER", "tier", "TEXT")
    await tenant.mutate(
        f'mutation {{ customFieldUpdate(id: "{field["id"]}", input: {{label: "Loyalty tier"}}) '
        f"{{ customField {{ id }} {ERRORS} }} }}"
    )
    await tenant.mutate(f'mutation {{ customFieldArchive(id: "{field["id"]}") {{ customField {{ id }} {ERRORS} }} }}')
    entries = await audit(tenant, field["id"])
    assert [e["action"] for e in entries] == ["UPDATE", "UPDATE", "CREATE"]
    assert all(e["entity"] == "CustomFieldDefinition" for e in entries)
    assert changes(entries[2])["key"] == (None, "tier")
    assert changes(entries[1])["label"] == ("tier label", "Loyalty tier")
    assert changes(entries[0])["archivedAt"][0] is None


async def test_audit_log_pages_newest_first_and_respects_roles(tenant: Tenant, owner_engine: AsyncEngine) -> None:
    email = f"member-{uuid.uuid4().hex[:8]}@example.com"
    await tenant.mutate(
        f'mutation {{ userCreate(input: {{name: "Mia Member", email: "{email}", role: MEMBER}}) {{ user {{ id }} '
        f"{ERRORS} }} }}"
    )
    async with owner_engine.begin() as conn:
        member = await issue_token(conn, tenant.ref, "MEMBER", user_email=email, name="member")
    mine = [await create_customer(tenant, f"Owner made {i}") for i in range(3)]
    theirs = await tenant.mutate(
        f'mutation {{ customerCreate(input: {{kind: PERSON, name: "Member made"}}) {{ customer {{ id }} {ERRORS} }} }}',
        token=member,
    )
    # ADMIN and OWNER read everything, newest first, a page at a time.
    query = (
        "query ($after: String) { auditLog(first: 2, after: $after) { edges { cursor node { entityId action } } "
        "pageInfo { hasNextPage endCursor } } }"
    )
    seen, after = [], None
    while True:
        page = (await tenant.data(query, {"after": after}))["auditLog"]
        seen += [edge["node"]["entityId"] for edge in page["edges"] if edge["node"]["action"] == "CREATE"]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    customers = [theirs["customer"]["id"], *(c["id"] for c in reversed(mine))]
    assert [s for s in seen if s in customers] == customers
    # Other roles read the entries of their own changes.
    visible = await audit(tenant, token=member)
    assert {e["entityId"] for e in visible} == {theirs["customer"]["id"]}
    bad = await tenant.gql('{ auditLog(first: 2, after: "bogus") { edges { cursor } } }')
    assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    too_many = await tenant.gql("{ auditLog(first: 101) { edges { cursor } } }")
    assert too_many["errors"]


async def test_other_tenants_entries_are_invisible(tenant: Tenant, other_tenant: Tenant) -> None:
    customer = await create_customer(tenant, "Private Pat")
    assert await audit(other_tenant, customer["id"]) == []
    assert all(e["entityId"] != customer["id"] for e in await audit(other_tenant))


@pytest.mark.parametrize("statement", ["UPDATE audit_log SET action = 'UPDATE'", "DELETE FROM audit_log"])
async def test_audit_rows_are_append_only_for_the_app_role(
    app_role_engine: AsyncEngine, tenant: Tenant, statement: str
) -> None:
    await create_customer(tenant, "Append Only")
    async with app_role_engine.connect() as conn:
        transaction = await conn.begin()
        assert (await conn.execute(text("SELECT current_user"))).scalar_one() == "rapport_app"
        await conn.execute(text("SELECT set_config('rapport.tenant_id', :t, true)"), {"t": str(tenant.id)})
        assert (await conn.execute(text("SELECT count(*) FROM audit_log"))).scalar_one() > 0
        with pytest.raises(DBAPIError) as refused:
            await conn.execute(text(statement))
        assert getattr(refused.value.orig, "sqlstate", None) == "42501"  # insufficient_privilege
        await transaction.rollback()


async def test_the_erase_function_is_narrow(app_role_engine: AsyncEngine, tenant: Tenant) -> None:
    """The privileged history scrubber works only for an erased customer of the caller's own tenant."""
    customer = await create_customer(tenant, "Not Erased")
    call = text("SELECT rapport_erase_customer_history(:c, ARRAY['Not Erased'])")
    for tenant_setting in (str(tenant.id), ""):
        async with app_role_engine.connect() as conn:
            transaction = await conn.begin()
            await conn.execute(text("SELECT set_config('rapport.tenant_id', :t, true)"), {"t": tenant_setting})
            with pytest.raises(DBAPIError) as refused:
                await conn.execute(call, {"c": uuid_of(customer["id"])})
            assert getattr(refused.value.orig, "sqlstate", None) == "42501"
            await transaction.rollback()


async def test_a_create_records_every_field_with_a_value_and_nothing_else(
    tenant: Tenant, owner_engine: AsyncEngine
) -> None:
    """What an insert's entry holds, against the row as stored (the trigger reads inserts in one pass)."""
    await tenant.add_field("CUSTOMER", "nickname", "TEXT")
    await tenant.add_field("CUSTOMER", "score", "INTEGER")
    customer = await create_customer(
        tenant, "Whole Ada", email="whole@example.com", tags=["a", "b"], custom={"nickname": "W", "score": 0}
    )
    async with owner_engine.begin() as conn:
        await conn.execute(text("SELECT set_config('rapport.tenant_id', :t, true)"), {"t": str(tenant.id)})
        stored, recorded = (
            await conn.execute(
                text(
                    "SELECT to_jsonb(c), a.changes FROM customers c JOIN audit_log a "
                    "ON a.tenant_id = c.tenant_id AND a.entity_id = c.id AND a.action = 'CREATE' "
                    "WHERE c.tenant_id = :t AND c.id = :id"
                ),
                {"t": tenant.id, "id": uuid_of(customer["id"])},
            )
        ).one()
    meta = {"tenant_id", "id", "version", "created_at", "updated_at", "custom"}
    expected = {k: {"before": None, "after": v} for k, v in stored.items() if k not in meta and v is not None}
    expected |= {f"custom.{k}": {"before": None, "after": v} for k, v in stored["custom"].items() if v is not None}
    assert recorded == expected
    assert recorded["custom.score"] == {"before": None, "after": 0}  # a zero is a value
    assert "phone" not in recorded
    assert "deleted_at" not in recorded
