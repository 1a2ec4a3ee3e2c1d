"""Small helpers for the domain tests: create products, customers, orders, opportunities, leads, users and
teams through the API, and read userErrors compactly."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from rapport.ids import from_global_id, new_id, to_global_id
from tests.conftest import Tenant

ERRORS = "userErrors { code field message }"

ORDER_FIELDS = (
    "id orderNumber status orderedAt paidAt currency subtotal discountTotal total shippingStatus version "
    "customer { id } items { position quantity unitPrice discount lineTotal product { id sku } }"
)
OPPORTUNITY_FIELDS = (
    "id name amount currency probability closedAt lostReason version expectedCloseDate "
    "customer { id } contact { id } owner { id } pipeline { id name } stage { id name kind probability } "
    "stageHistory { changedAt fromStage { id name } toStage { id name } changedBy { id } }"
)
LEAD_FIELDS = (
    "id name company title email phone source status score tags convertedAt version "
    "customer { id name kind } contact { id name } opportunity { id name }"
)

_serial = itertools.count(1)


def unique(prefix: str) -> str:
    """A value unique within the test session (SKUs, names)."""
    return f"{prefix}-{next(_serial):05d}"


def codes(errors: list[dict[str, Any]]) -> list[tuple[str, list[str] | None]]:
    """The (code, field path) pairs of userErrors."""
    return [(e["code"], e["field"]) for e in errors]


def global_id(type_name: str) -> str:
    """A well-formed global ID of ``type_name`` that names no row."""
    return to_global_id(type_name, new_id())


def retype(global_id_: str, type_name: str) -> str:
    """The same UUID under another type name (a well-formed ID of the wrong type)."""
    decoded = from_global_id(global_id_)
    assert decoded is not None
    return to_global_id(type_name, decoded[1])


def ago(days: float) -> str:
    """An ISO instant ``days`` days ago."""
    return (dt.datetime.now(dt.UTC) - dt.timedelta(days=days)).isoformat()


async def create(
    tenant: Tenant,
    mutation: str,
    type_name: str,
    input_: dict[str, Any],
    fields: str = "id version",
    token: str | None = None,
) -> dict[str, Any]:
    """Run ``<mutation>(input:)`` which must succeed; the created object."""
    field = type_name[0].lower() + type_name[1:]
    payload = await tenant.mutate(
        f"mutation ($input: {type_name}CreateInput!) {{ {mutation}(input: $input) {{ {field} {{ {fields} }} "
        f"{ERRORS} }} }}",
        {"input": input_},
        token,
    )
    value: dict[str, Any] = payload[field]
    return value


async def attempt(
    tenant: Tenant, mutation: str, type_name: str, input_: dict[str, Any], fields: str = "id", token: str | None = None
) -> dict[str, Any]:
    """Run ``<mutation>(input:)``; its payload (object and userErrors), errors allowed."""
    field = type_name[0].lower() + type_name[1:]
    data = await tenant.data(
        f"mutation ($input: {type_name}CreateInput!) {{ {mutation}(input: $input) {{ {field} {{ {fields} }} "
        f"{ERRORS} }} }}",
        {"input": input_},
        token,
    )
    payload: dict[str, Any] = data[mutation]
    return payload


async def update(
    tenant: Tenant,
    type_name: str,
    id_: str,
    input_: dict[str, Any],
    version: int,
    fields: str = "id version",
    token: str | None = None,
) -> dict[str, Any]:
    """Run ``<type>Update``; its payload (errors allowed)."""
    field = type_name[0].lower() + type_name[1:]
    data = await tenant.data(
        f"mutation ($id: ID!, $input: {type_name}UpdateInput!, $v: Int!) {{ {field}Update(id: $id, input: $input, "
        f"expectedVersion: $v) {{ {field} {{ {fields} }} {ERRORS} }} }}",
        {"id": id_, "input": input_, "v": version},
        token,
    )
    payload: dict[str, Any] = data[f"{field}Update"]
    return payload


async def delete(
    tenant: Tenant, type_name: str, id_: str, version: int | None = None, token: str | None = None
) -> dict[str, Any]:
    """Run ``<type>Delete``; its payload (errors allowed)."""
    field = type_name[0].lower() + type_name[1:]
    data = await tenant.data(
        f"mutation ($id: ID!, $v: Int) {{ {field}Delete(id: $id, expectedVersion: $v) {{ deletedId {ERRORS} }} }}",
        {"id": id_, "v": version},
        token,
    )
    payload: dict[str, Any] = data[f"{field}Delete"]
    return payload


async def node(tenant: Tenant, id_: str, fields: str = "id") -> dict[str, Any] | None:
    """``node(id:)`` with an inline fragment on the ID's own type."""
    decoded = from_global_id(id_)
    assert decoded is not None
    data = await tenant.data(
        f"query ($id: ID!) {{ node(id: $id) {{ ... on {decoded[0]} {{ {fields} }} }} }}", {"id": id_}
    )
    value: dict[str, Any] | None = data["node"]
    return value


async def customer(tenant: Tenant, name: str = "Ada Lovelace", kind: str = "PERSON", **fields: Any) -> str:
    made = await create(tenant, "customerCreate", "Customer", {"kind": kind, "name": name, **fields})
    value: str = made["id"]
    return value


async def company(tenant: Tenant, name: str = "Acme Corp", **fields: Any) -> str:
    return await customer(tenant, name, "COMPANY", **fields)


async def contact(tenant: Tenant, customer_id: str, name: str = "Grace Hopper", **fields: Any) -> str:
    made = await create(tenant, "contactCreate", "Contact", {"customerId": customer_id, "name": name, **fields})
    value: str = made["id"]
    return value


async def product(tenant: Tenant, price: str = "10.00", **fields: Any) -> str:
    input_ = {"sku": unique("SKU"), "name": "Widget", "unitPrice": price, **fields}
    made = await create(tenant, "productCreate", "Product", input_)
    value: str = made["id"]
    return value


def line(
    product_id: str, quantity: int = 1, unit_price: str | None = None, discount: str | None = None
) -> dict[str, Any]:
    item: dict[str, Any] = {"productId": product_id, "quantity": quantity}
    if unit_price is not None:
        item["unitPrice"] = unit_price
    if discount is not None:
        item["discount"] = discount
    return item


async def order(tenant: Tenant, customer_id: str, items: list[dict[str, Any]], **fields: Any) -> dict[str, Any]:
    """A new order (must succeed), with ORDER_FIELDS."""
    return await create(
        tenant, "orderCreate", "Order", {"customerId": customer_id, "items": items, **fields}, ORDER_FIELDS
    )


async def paid_order(
    tenant: Tenant, customer_id: str, total: str, days_ago: float = 1, **fields: Any
) -> dict[str, Any]:
    """A PAID order of one line worth ``total``, placed ``days_ago`` days ago."""
    item = await product(tenant, total)
    return await order(tenant, customer_id, [line(item)], status="PAID", orderedAt=ago(days_ago), **fields)


async def opportunity(tenant: Tenant, customer_id: str, name: str = "Big deal", **fields: Any) -> dict[str, Any]:
    return await create(
        tenant,
        "opportunityCreate",
        "Opportunity",
        {"customerId": customer_id, "name": name, **fields},
        OPPORTUNITY_FIELDS,
    )


async def lead(tenant: Tenant, name: str = "Linus Prospect", **fields: Any) -> dict[str, Any]:
    return await create(tenant, "leadCreate", "Lead", {"name": name, **fields}, LEAD_FIELDS)


async def user(tenant: Tenant, name: str, role: str = "MEMBER", team_id: str | None = None) -> str:
    input_: dict[str, Any] = {"name": name, "email": f"{unique('user')}@example.com", "role": role}
    if team_id is not None:
        input_["teamId"] = team_id
    made = await create(tenant, "userCreate", "User", input_)
    value: str = made["id"]
    return value


async def team(tenant: Tenant, name: str | None = None) -> str:
    made = await create(tenant, "teamCreate", "Team", {"name": name or unique("Team")})
    value: str = made["id"]
    return value


PIPELINES = """{ pipelines(first: 20) { edges { node { id name isDefault version
  stages { id name position probability kind version } } } } }"""


async def default_pipeline(tenant: Tenant) -> dict[str, Any]:
    """The tenant's default pipeline with its stages (in order)."""
    edges = (await tenant.data(PIPELINES))["pipelines"]["edges"]
    (found,) = [e["node"] for e in edges if e["node"]["isDefault"]]
    value: dict[str, Any] = found
    return value


async def stages(tenant: Tenant) -> dict[str, dict[str, Any]]:
    """The default pipeline's stages by name."""
    return {s["name"]: s for s in (await default_pipeline(tenant))["stages"]}


MOVE = f"""mutation ($id: ID!, $stage: ID!, $v: Int!, $reason: String) {{
  opportunityMoveStage(id: $id, stageId: $stage, expectedVersion: $v, lostReason: $reason) {{
    opportunity {{ {OPPORTUNITY_FIELDS} }} {ERRORS} }} }}"""


async def move(
    tenant: Tenant, opportunity_: dict[str, Any], stage_id: str, reason: str | None = None, version: int | None = None
) -> dict[str, Any]:
    """opportunityMoveStage; its payload (errors allowed)."""
    data = await tenant.data(
        MOVE,
        {
            "id": opportunity_["id"],
            "stage": stage_id,
            "reason": reason,
            "v": opportunity_["version"] if version is None else version,
        },
    )
    payload: dict[str, Any] = data["opportunityMoveStage"]
    return payload


SETTINGS = f"""mutation ($input: TenantSettingsInput!) {{ tenantSettingsUpdate(input: $input) {{
  tenant {{ currency leadSources lifecycle {{ newDays activeDays churnDays }} }} {ERRORS} }} }}"""


async def settings(tenant: Tenant, **input_: Any) -> dict[str, Any]:
    """tenantSettingsUpdate (must succeed); the tenant after the change."""
    payload = await tenant.mutate(SETTINGS, {"input": input_})
    value: dict[str, Any] = payload["tenant"]
    return value


LEDGER = f"""mutation ($input: LedgerEntryInput!) {{ ledgerRecord(input: $input) {{
  entry {{ id account kind amount balanceAfter reference note customer {{ id }} }} {ERRORS} }} }}"""


async def ledger(
    tenant: Tenant, customer_id: str, account: str, kind: str, amount: str, reference: str | None = None, **fields: Any
) -> dict[str, Any]:
    """ledgerRecord; its payload (errors allowed)."""
    input_ = {
        "customerId": customer_id,
        "account": account,
        "kind": kind,
        "amount": amount,
        "reference": reference or unique("ref"),
        **fields,
    }
    payload: dict[str, Any] = (await tenant.data(LEDGER, {"input": input_}))["ledgerRecord"]
    return payload


async def world(tenant: Tenant) -> dict[str, str]:
    """One object of every entity type, all linked to each other, made through the API: type name -> ID."""
    ids: dict[str, str] = {}
    ids["Team"] = await team(tenant)
    ids["User"] = await user(tenant, "World User", team_id=ids["Team"])
    ids["Customer"] = await company(tenant, "World Co", ownerId=ids["User"])
    ids["Contact"] = await contact(tenant, ids["Customer"])
    ids["Lead"] = (await lead(tenant, "World Lead", ownerId=ids["User"], company="World Prospect"))["id"]
    made = await create(tenant, "pipelineCreate", "Pipeline", {"name": unique("World pipeline")})
    ids["Pipeline"] = made["id"]
    stage = await create(
        tenant,
        "pipelineStageCreate",
        "PipelineStage",
        {"pipelineId": ids["Pipeline"], "name": "World stage", "position": 1, "probability": 25},
    )
    ids["PipelineStage"] = stage["id"]
    deal = await create(
        tenant,
        "opportunityCreate",
        "Opportunity",
        {
            "customerId": ids["Customer"],
            "name": "World deal",
            "pipelineId": ids["Pipeline"],
            "contactId": ids["Contact"],
            "ownerId": ids["User"],
            "amount": "10.00",
        },
        "id stageHistory { id }",
    )
    ids["Opportunity"] = deal["id"]
    ids["OpportunityStageChange"] = deal["stageHistory"][0]["id"]
    ids["Product"] = await product(tenant, "3.00")
    placed = await create(
        tenant,
        "orderCreate",
        "Order",
        {"customerId": ids["Customer"], "items": [line(ids["Product"], 2)], "status": "PAID"},
        "id items { id }",
    )
    ids["Order"], ids["OrderItem"] = placed["id"], placed["items"][0]["id"]
    shipped = await tenant.mutate(
        f"""mutation ($id: ID!) {{ orderAddShipmentEvent(orderId: $id, input: {{status: "PICKED_UP"}}) {{
        shipmentEvent {{ id }} {ERRORS} }} }}""",
        {"id": ids["Order"]},
    )
    ids["ShipmentEvent"] = shipped["shipmentEvent"]["id"]
    ids["ServiceCase"] = (
        await create(
            tenant,
            "serviceCaseCreate",
            "ServiceCase",
            {
                "customerId": ids["Customer"],
                "kind": "REPAIR",
                "subject": "World case",
                "orderId": ids["Order"],
                "orderItemId": ids["OrderItem"],
                "assigneeId": ids["User"],
            },
        )
    )["id"]
    ids["Interaction"] = (
        await create(
            tenant,
            "interactionCreate",
            "Interaction",
            {
                "customerId": ids["Customer"],
                "leadId": ids["Lead"],
                "contactId": ids["Contact"],
                "opportunityId": ids["Opportunity"],
                "orderId": ids["Order"],
                "serviceCaseId": ids["ServiceCase"],
                "ownerId": ids["User"],
                "channel": "VISIT",
                "direction": "OUTBOUND",
            },
        )
    )["id"]
    ids["Feedback"] = (
        await create(
            tenant,
            "feedbackCreate",
            "Feedback",
            {"customerId": ids["Customer"], "kind": "COMPLAINT", "orderId": ids["Order"], "productId": ids["Product"]},
        )
    )["id"]
    ids["Campaign"] = (await create(tenant, "campaignCreate", "Campaign", {"name": unique("World campaign")}))["id"]
    ids["CampaignMember"] = (
        await create(
            tenant,
            "campaignMemberCreate",
            "CampaignMember",
            {"campaignId": ids["Campaign"], "customerId": ids["Customer"]},
        )
    )["id"]
    ids["MembershipTier"] = (
        await create(
            tenant,
            "membershipTierCreate",
            "MembershipTier",
            {"name": "World tier", "rank": 1, "basis": "POINTS", "threshold": "1"},
        )
    )["id"]
    recorded = await ledger(tenant, ids["Customer"], "POINTS", "EARN", "5.00")
    assert recorded["userErrors"] == [], recorded
    ids["LedgerEntry"] = recorded["entry"]["id"]
    return ids


TYPE_QUERY = """query ($name: String!) { __type(name: $name) { inputFields { name
  type { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } }"""


def named_type(type_: dict[str, Any]) -> tuple[str, bool, bool]:
    """(named type, non-null, list) of an introspected type reference."""
    non_null = type_["kind"] == "NON_NULL"
    is_list = False
    while type_["name"] is None:
        is_list = is_list or type_["kind"] == "LIST"
        type_ = type_["ofType"]
    return type_["name"], non_null, is_list


async def input_fields(tenant: Tenant, type_name: str) -> dict[str, tuple[str, bool, bool]]:
    """An input type's fields: name -> (named type, non-null, list)."""
    found = (await tenant.data(TYPE_QUERY, {"name": type_name}))["__type"]
    assert found is not None, type_name
    return {f["name"]: named_type(f["type"]) for f in found["inputFields"]}


# Input fields holding a global ID, and the type they must name.
REFERENCES = {
    "customerId": "Customer",
    "contactId": "Contact",
    "leadId": "Lead",
    "opportunityId": "Opportunity",
    "orderId": "Order",
    "orderItemId": "OrderItem",
    "serviceCaseId": "ServiceCase",
    "ownerId": "User",
    "assigneeId": "User",
    "teamId": "Team",
    "pipelineId": "Pipeline",
    "stageId": "PipelineStage",
    "productId": "Product",
    "campaignId": "Campaign",
}


def create_inputs(ids: dict[str, str]) -> dict[str, dict[str, Any]]:
    """A valid input for every create mutation, referring to the objects of a ``world``; fresh unique values on
    every call."""
    return {
        "customerCreate": {"kind": "PERSON", "name": "New person"},
        "contactCreate": {"customerId": ids["Customer"], "name": "New contact"},
        "leadCreate": {"name": "New lead"},
        "opportunityCreate": {"customerId": ids["Customer"], "name": "New deal"},
        "pipelineCreate": {"name": unique("New pipeline")},
        "pipelineStageCreate": {"pipelineId": ids["Pipeline"], "name": "New stage", "position": 7, "probability": 7},
        "productCreate": {"sku": unique("NEW"), "name": "New product", "unitPrice": "1.00"},
        "orderCreate": {"customerId": ids["Customer"], "items": [line(ids["Product"])]},
        "serviceCaseCreate": {"customerId": ids["Customer"], "kind": "INQUIRY", "subject": "New case"},
        "interactionCreate": {"customerId": ids["Customer"], "channel": "PHONE", "direction": "INBOUND"},
        "feedbackCreate": {"customerId": ids["Customer"], "kind": "REVIEW"},
        "campaignCreate": {"name": "New campaign"},
        "campaignMemberCreate": {"campaignId": ids["Campaign"], "leadId": ids["Lead"]},
        "membershipTierCreate": {
            "name": "New tier",
            "rank": 2 + next(_serial) % 900,
            "basis": "POINTS",
            "threshold": "2",
        },
        "userCreate": {"name": "New user", "email": f"{unique('new')}@example.com", "role": "MEMBER"},
        "teamCreate": {"name": unique("New team")},
    }


def update_inputs() -> dict[str, dict[str, Any]]:
    """A valid, small change for every updatable type (by type name)."""
    return {
        "Customer": {"name": "Renamed"},
        "Contact": {"name": "Renamed"},
        "Lead": {"name": "Renamed"},
        "Opportunity": {"name": "Renamed"},
        "Pipeline": {"name": unique("Renamed")},
        "PipelineStage": {"name": "Renamed"},
        "Product": {"name": "Renamed"},
        "Order": {"paymentMethod": "card"},
        "ServiceCase": {"subject": "Renamed"},
        "Interaction": {"subject": "Renamed"},
        "Feedback": {"comment": "Renamed"},
        "Campaign": {"name": "Renamed"},
        "CampaignMember": {"status": "SENT"},
        "MembershipTier": {"name": "Renamed"},
        "User": {"name": "Renamed"},
        "Team": {"name": unique("Renamed")},
    }


MUTATIONS = "{ __schema { mutationType { fields { name args { name type { kind name ofType { kind name } } } } } } }"


async def mutation_inputs(tenant: Tenant) -> dict[str, str]:
    """Every mutation with an ``input`` argument: mutation name -> input type name."""
    fields = (await tenant.data(MUTATIONS))["__schema"]["mutationType"]["fields"]
    found: dict[str, str] = {}
    for f in fields:
        for arg in f["args"]:
            if arg["name"] == "input":
                found[f["name"]] = named_type(arg["type"])[0]
    return found
