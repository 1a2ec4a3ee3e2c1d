"""Data-subject rights: customerExport returns everything held about a customer; customerErase anonymises it
everywhere (a scan of every text and JSON column finds nothing) and keeps non-personal aggregates."""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import Tenant
from tests.domain import helpers
from tests.trust_writes.support import ERRORS, audit, rows

EXPORT = "query ($id: ID!) { customerExport(id: $id) }"
ERASE = f"mutation ($id: ID!) {{ customerErase(id: $id) {{ erasedId customer {{ id name email phone }} {ERRORS} }} }}"


@dataclass
class Subject:
    """A company customer made from a lead, with a trace in every corner of the schema."""

    customer: str
    contact: str
    lead: str
    order: dict[str, Any]
    personal: dict[str, str]  # what identifies the people involved


async def _subject(tenant: Tenant) -> Subject:
    tag = uuid.uuid4().hex[:8]
    digits = str(int(tag, 16) % 10**8).zfill(8)
    personal = {
        "company": f"Quixote Trading {tag}",
        "person": f"Zelda Quixote {tag}",
        "email": f"zelda.{tag}@example.com",
        "phone": f"+86139{digits}",
        "contact_email": f"contact.{tag}@example.com",
        "street": f"{tag} Windmill Road",
        "nickname": f"Knight {tag}",
    }
    await tenant.add_field("CUSTOMER", "nickname", "TEXT")
    lead = await helpers.lead(
        tenant,
        personal["person"],
        company=personal["company"],
        email=personal["contact_email"],
        phone=personal["phone"],
    )
    converted = await tenant.mutate(
        f'mutation {{ leadConvert(id: "{lead["id"]}", createOpportunity: true) {{ customer {{ id version }} '
        f"contact {{ id }} opportunity {{ id }} {ERRORS} }} }}"
    )
    customer = converted["customer"]["id"]
    # The customer's own contact details, a custom value, through a keyed request that stores its response.
    response = await tenant.post(
        "mutation ($id: ID!, $input: CustomerUpdateInput!) { customerUpdate(id: $id, expectedVersion: 1, "
        f"input: $input) {{ customer {{ id name email phone custom {{ nickname }} }} {ERRORS} }} }}",
        {
            "id": customer,
            "input": {
                "email": personal["email"],
                "phone": personal["phone"],
                "tags": [personal["person"]],
                "address": {"street": personal["street"], "city": "Toboso"},
                "custom": {"nickname": personal["nickname"]},
            },
        },
        headers={"Idempotency-Key": f"update-{tag}"},
    )
    assert response.json()["data"]["customerUpdate"]["userErrors"] == []
    order = await helpers.paid_order(
        tenant,
        customer,
        "99.50",
        recipientName=personal["person"],
        recipientPhone=personal["phone"],
        recipientAddress={"street": personal["street"], "city": "Toboso"},
    )
    await tenant.mutate(
        f'mutation {{ orderAddShipmentEvent(orderId: "{order["id"]}", input: {{status: "DELIVERED", '
        f'location: "{personal["street"]}", note: "Left with {personal["person"]}"}}) {{ shipmentEvent {{ id }} '
        f"{ERRORS} }} }}"
    )
    await helpers.create(
        tenant,
        "interactionCreate",
        "Interaction",
        {
            "customerId": customer,
            "contactId": converted["contact"]["id"],
            "channel": "PHONE",
            "direction": "INBOUND",
            "subject": f"Call from {personal['person']}",
            "content": f"{personal['person']} ({personal['email']}, {personal['phone']}) asked about windmills",
        },
    )
    await helpers.create(
        tenant,
        "feedbackCreate",
        "Feedback",
        {"customerId": customer, "kind": "REVIEW", "rating": 5, "comment": f"Great! -- {personal['person']}"},
    )
    await helpers.create(
        tenant,
        "serviceCaseCreate",
        "ServiceCase",
        {"customerId": customer, "kind": "INQUIRY", "subject": f"Question from {personal['person']}"},
    )
    await tenant.mutate(
        "mutation ($c: ID!, $note: String) { ledgerRecord(input: {customerId: $c, account: POINTS, kind: EARN, "
        f'amount: "40", reference: "order-{tag}", note: $note}}) {{ entry {{ id }} {ERRORS} }} }}',
        {"c": customer, "note": f"Welcome {personal['person']}"},
    )
    campaign = await helpers.create(tenant, "campaignCreate", "Campaign", {"name": f"Spring {tag}"})
    await helpers.create(
        tenant, "campaignMemberCreate", "CampaignMember", {"campaignId": campaign["id"], "customerId": customer}
    )
    return Subject(customer, converted["contact"]["id"], lead["id"], order, personal)


async def test_export_holds_everything_about_the_customer(tenant: Tenant) -> None:
    subject = await _subject(tenant)
    exported = (await tenant.data(EXPORT, {"id": subject.customer}))["customerExport"]
    personal = subject.personal
    customer = exported["customer"]
    assert customer["id"] == subject.customer
    assert (customer["name"], customer["email"], customer["phone"]) == (
        personal["company"],
        personal["email"],
        personal["phone"],
    )
    assert customer["addressStreet"] == personal["street"]
    assert customer["custom"] == {"nickname": personal["nickname"]}
    assert [c["name"] for c in exported["contacts"]] == [personal["person"]]
    assert [c["email"] for c in exported["contacts"]] == [personal["contact_email"]]
    (order,) = exported["orders"]
    assert order["id"] == subject.order["id"]
    assert order["total"] == "99.50"
    assert order["recipientName"] == personal["person"]
    assert len(order["items"]) == 1
    assert order["items"][0]["lineTotal"] == "99.50"
    assert order["shipmentEvents"][0]["location"] == personal["street"]
    assert personal["email"] in exported["interactions"][0]["content"]
    assert exported["feedback"][0]["comment"].endswith(personal["person"])
    assert exported["cases"][0]["subject"] == f"Question from {personal['person']}"
    assert len(exported["opportunities"]) == 1
    assert exported["ledger"]["points"] == "40.00"
    assert exported["ledger"]["entries"][0]["note"] == f"Welcome {personal['person']}"
    assert len(exported["campaignMemberships"]) == 1
    assert [lead["id"] for lead in exported["leads"]] == [subject.lead]
    entities = {entry["entity"] for entry in exported["auditLog"]}
    assert {"Customer", "Contact", "Lead", "Order", "OrderItem", "ShipmentEvent", "Interaction", "Feedback"} <= entities
    assert {"ServiceCase", "Opportunity", "LedgerEntry", "CampaignMember"} <= entities
    # Only ADMIN and OWNER export; unknown customers export nothing.
    member = await tenant.token_for("MEMBER")
    refused = await tenant.gql(EXPORT, {"id": subject.customer}, token=member)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await tenant.data(EXPORT, {"id": helpers.global_id("Customer")}))["customerExport"] is None


async def _scan(engine: AsyncEngine, needles: list[str]) -> list[tuple[str, str, str]]:
    """Every (table, column, needle) where a text, text[] or JSON column of any row contains a needle."""
    async with engine.connect() as conn:
        columns = (
            await conn.execute(
                text(
                    "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public' "
                    "AND (data_type IN ('text', 'character varying', 'jsonb', 'json') OR udt_name = '_text') "
                    "ORDER BY table_name, column_name"
                )
            )
        ).all()
        found = []
        for table, column in columns:
            for needle in needles:
                hit = await conn.execute(
                    text(f'SELECT 1 FROM "{table}" WHERE strpos(lower("{column}"::text), lower(:n)) > 0 LIMIT 1'),
                    {"n": needle},
                )
                if hit.first() is not None:
                    found.append((table, column, needle))
    assert len(columns) > 50, "the scan reaches every table"
    return found


async def test_erase_leaves_no_trace_and_keeps_aggregates(tenant: Tenant, owner_engine: AsyncEngine) -> None:
    subject = await _subject(tenant)
    personal = subject.personal
    needles = [personal[k] for k in ("company", "person", "email", "phone", "contact_email", "street", "nickname")]
    before = await _scan(owner_engine, needles)
    assert {t for t, _, _ in before} >= {"customers", "contacts", "leads", "orders", "audit_log", "idempotency_keys"}

    erased = await tenant.data(ERASE, {"id": subject.customer})
    payload = erased["customerErase"]
    assert payload["userErrors"] == []
    assert payload["erasedId"] == subject.customer
    assert payload["customer"] == {"id": subject.customer, "name": "Erased customer", "email": None, "phone": None}

    assert await _scan(owner_engine, needles) == []
    # Non-personal aggregates stay: the order's total and lines, the ledger's amounts, the customer's figures.
    order = await helpers.node(tenant, subject.order["id"], "total status items { lineTotal } recipientName")
    assert order == {"total": "99.50", "status": "PAID", "items": [{"lineTotal": "99.50"}], "recipientName": None}
    figures = await tenant.data(
        "query ($id: ID!) { node(id: $id) { ... on Customer { points { points } figures { orderCount } "
        "ledgerEntries(first: 5) { edges { node { amount note } } } } } }",
        {"id": subject.customer},
    )
    customer = figures["node"]
    assert customer["points"]["points"] == "40.00"
    assert customer["figures"]["orderCount"] == 1
    assert customer["ledgerEntries"]["edges"][0]["node"] == {"amount": "40.00", "note": None}
    # The erase itself is in the trail (with no personal values), and erasing again changes nothing.
    trail = await audit(tenant, subject.customer)
    assert trail[0]["action"] == "ERASE"
    assert all(c["before"] in (None, "[erased]") for c in trail[0]["changes"] if c["field"] in ("name", "email"))
    again = (await tenant.data(ERASE, {"id": subject.customer}))["customerErase"]
    assert again["userErrors"] == []
    assert (await audit(tenant, subject.customer))[0]["id"] == trail[0]["id"]


async def test_erase_needs_admin_and_an_existing_customer(tenant: Tenant, owner_engine: AsyncEngine) -> None:
    customer = await helpers.customer(tenant, "Kept Karl", email="karl@example.com")
    member = await tenant.token_for("MEMBER")
    refused = await tenant.gql(ERASE, {"id": customer}, token=member)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    missing = (await tenant.data(ERASE, {"id": helpers.global_id("Customer")}))["customerErase"]
    assert [(e["code"], e["field"]) for e in missing["userErrors"]] == [("NOT_FOUND", ["id"])]
    kept = await rows(owner_engine, tenant, "SELECT name, erased_at FROM customers WHERE name = 'Kept Karl'")
    assert kept[0].erased_at is None


async def test_erase_of_a_deleted_customer(tenant: Tenant, owner_engine: AsyncEngine) -> None:
    name = f"Deleted Dana {uuid.uuid4().hex[:6]}"
    customer = await helpers.customer(tenant, name, email="dana@example.com")
    await tenant.mutate(f'mutation {{ customerDelete(id: "{customer}") {{ deletedId {ERRORS} }} }}')
    exported = (await tenant.data(EXPORT, {"id": customer}))["customerExport"]
    assert exported["customer"]["name"] == name
    assert exported["customer"]["deletedAt"]
    payload = (await tenant.data(ERASE, {"id": customer}))["customerErase"]
    assert payload["userErrors"] == []
    assert payload["customer"] is None
    assert await _scan(owner_engine, [name]) == []


async def test_export_leaves_out_custom_fields_the_role_may_not_see(tenant: Tenant) -> None:
    """Field permissions have no side door: an ADMIN's export holds neither the value of an OWNER-only field
    nor its history in the audit trail, and says it is partial."""
    await tenant.add_field("CUSTOMER", "nickname", "TEXT")
    await tenant.add_field("CUSTOMER", "salary", "INTEGER", visibleTo="[OWNER]")
    created = await tenant.mutate(
        'mutation { customerCreate(input: {kind: PERSON, name: "Ada", custom: {nickname: "Ace", salary: 98765}}) '
        "{ customer { id version } userErrors { code } } }"
    )
    customer = created["customer"]
    await tenant.mutate(
        "mutation($id: ID!, $v: Int!) { customerUpdate(id: $id, expectedVersion: $v, input: {custom: {salary: 87654}}) "
        "{ customer { id } userErrors { code } } }",
        {"id": customer["id"], "v": customer["version"]},
    )
    owner = (await tenant.data(EXPORT, {"id": customer["id"]}))["customerExport"]
    assert owner["complete"] is True
    assert owner["customer"]["custom"] == {"nickname": "Ace", "salary": 87654}
    assert "98765" in json.dumps(owner["auditLog"])

    admin = await tenant.token_for("ADMIN")
    exported = (await tenant.data(EXPORT, {"id": customer["id"]}, admin))["customerExport"]
    assert exported["complete"] is False
    assert exported["customer"]["custom"] == {"nickname": "Ace"}
    assert "Ace" in json.dumps(exported["auditLog"])  # the trail is there, only the hidden field is not
    assert not {"98765", "87654", "salary"} & set(re.findall(r"\w+", json.dumps(exported)))
