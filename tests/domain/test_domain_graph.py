"""The CRM graph as a whole: nested reads in a fixed number of statements, every root connection, and the
rules of campaigns and their members, service cases, feedback and interactions."""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

import pytest
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from rapport.ids import from_global_id, new_id, to_global_id
from rapport.models import (
    Interaction,
    Opportunity,
    Order,
    OrderItem,
    PipelineStage,
    Product,
    User,
    table_of,
)
from rapport.tenants import enter_tenant
from tests.conftest import App, Tenant
from tests.domain.helpers import (
    attempt,
    codes,
    company,
    contact,
    create,
    customer,
    global_id,
    lead,
    line,
    move,
    node,
    opportunity,
    order,
    product,
    stages,
    unique,
    update,
    user,
)
from tests.factories import insert_customers

NESTED = """query ($n: Int!) { customers(first: $n) { edges { node { id name
  contacts(first: 5) { edges { node { id name } } }
  orders(first: 5) { edges { node { id total items { quantity product { name } } } } }
  interactions(first: 10) { edges { node { id channel occurredAt } } }
  opportunities(first: 5) { edges { node { id amount stage { name } owner { name } } } }
  figures { lifetimeValue orderCount } rfm { recency } } } } }"""


async def insert_graph(engine: AsyncEngine, tenant: Tenant, count: int) -> None:
    """``count`` customers, each with 2 contacts, 2 paid orders of 2 lines, 3 interactions and 2 opportunities."""
    customer_ids = await insert_customers(engine, tenant, count, contacts_each=2)
    async with engine.begin() as conn:
        await enter_tenant(conn, tenant.id)
        users, stages = table_of(User), table_of(PipelineStage)
        owner = (await conn.execute(select(users.c.id).where(users.c.tenant_id == tenant.id))).scalar_one()
        stage_rows = (
            await conn.execute(select(stages.c.id, stages.c.pipeline_id).where(stages.c.tenant_id == tenant.id))
        ).all()
        products = [
            {
                "tenant_id": tenant.id,
                "id": new_id(),
                "sku": unique("BULK"),
                "name": f"Product {i}",
                "unit_price": decimal.Decimal("2.50"),
                "currency": "USD",
            }
            for i in range(3)
        ]
        await conn.execute(insert(table_of(Product)), products)
        orders, items, interactions, opportunities = [], [], [], []
        now = dt.datetime.now(dt.UTC)
        for n, global_customer in enumerate(customer_ids):
            customer_id = uuid_of(global_customer)
            for j in range(2):
                order_id = new_id()
                orders.append(
                    {
                        "tenant_id": tenant.id,
                        "id": order_id,
                        "order_number": unique("BULK"),
                        "customer_id": customer_id,
                        "status": "PAID",
                        "currency": "USD",
                        "ordered_at": now - dt.timedelta(days=n + j),
                        "subtotal": decimal.Decimal("5.00"),
                        "total": decimal.Decimal("5.00"),
                    }
                )
                for k in range(2):
                    items.append(
                        {
                            "tenant_id": tenant.id,
                            "id": new_id(),
                            "order_id": order_id,
                            "position": k + 1,
                            "product_id": products[(n + k) % 3]["id"],
                            "quantity": 1,
                            "unit_price": decimal.Decimal("2.50"),
                            "line_total": decimal.Decimal("2.50"),
                        }
                    )
            for j in range(3):
                interactions.append(
                    {
                        "tenant_id": tenant.id,
                        "id": new_id(),
                        "customer_id": customer_id,
                        "channel": "PHONE",
                        "direction": "INBOUND",
                        "owner_id": owner,
                        "occurred_at": now - dt.timedelta(hours=j),
                    }
                )
            for j in range(2):
                stage_id, pipeline_id = stage_rows[(n + j) % len(stage_rows)]
                opportunities.append(
                    {
                        "tenant_id": tenant.id,
                        "id": new_id(),
                        "name": f"Deal {n}-{j}",
                        "customer_id": customer_id,
                        "pipeline_id": pipeline_id,
                        "stage_id": stage_id,
                        "amount": decimal.Decimal("100.00"),
                        "currency": "USD",
                        "probability": 10,
                        "owner_id": owner,
                    }
                )
        await conn.execute(insert(table_of(Order)), orders)
        await conn.execute(insert(table_of(OrderItem)), items)
        await conn.execute(insert(table_of(Interaction)), interactions)
        await conn.execute(insert(table_of(Opportunity)), opportunities)


def uuid_of(global_id_: str) -> Any:
    decoded = from_global_id(global_id_)
    assert decoded is not None
    return decoded[1]


async def nested_statements(rapport: App, tenant: Tenant, size: int) -> int:
    with rapport.sql.capture() as statements:
        data = await tenant.data(NESTED, {"n": size})
    nodes = [e["node"] for e in data["customers"]["edges"]]
    assert len(nodes) == size
    for n in nodes:
        assert len(n["contacts"]["edges"]) == 2
        assert len(n["orders"]["edges"]) == 2
        assert all(
            len(o["node"]["items"]) == 2 and o["node"]["items"][0]["product"]["name"] for o in n["orders"]["edges"]
        )
        assert len(n["interactions"]["edges"]) == 3
        assert all(o["node"]["stage"]["name"] and o["node"]["owner"]["name"] for o in n["opportunities"]["edges"])
        assert n["figures"] == {"lifetimeValue": "10.00", "orderCount": 2}
        assert n["rfm"] is not None
    return len(statements)


async def test_the_nested_graph_takes_a_fixed_number_of_statements(
    rapport: App, tenant: Tenant, owner_engine: AsyncEngine
) -> None:
    await insert_graph(owner_engine, tenant, 60)
    await tenant.data("{ __typename }")  # warm the schema cache so both runs are measured alike
    small = await nested_statements(rapport, tenant, 5)
    large = await nested_statements(rapport, tenant, 50)
    assert small == large
    # auth, customers, contacts, orders, items, products, interactions, opportunities, stages, owners, figures, rfm
    assert large == 12


# --- every root connection ------------------------------------------------------------------------------------

ROOTS = (
    "customers",
    "contacts",
    "leads",
    "opportunities",
    "pipelines",
    "products",
    "orders",
    "serviceCases",
    "interactions",
    "feedback",
    "campaigns",
    "users",
    "teams",
    "membershipTiers",
)


async def four_of_everything(tenant: Tenant) -> None:
    """At least four objects behind every root connection (a tenant starts with one pipeline and one user)."""
    for i in range(4):
        person = await customer(tenant, f"Person {i}")
        firm = await company(tenant, f"Firm {i}")
        await contact(tenant, firm)
        await lead(tenant, f"Lead {i}")
        await opportunity(tenant, person)
        item = await product(tenant)
        await order(tenant, person, [line(item)])
        await create(
            tenant,
            "serviceCaseCreate",
            "ServiceCase",
            {"customerId": person, "kind": "INQUIRY", "subject": "Where is it?"},
        )
        await create(
            tenant,
            "interactionCreate",
            "Interaction",
            {"customerId": person, "channel": "EMAIL", "direction": "OUTBOUND"},
        )
        await create(tenant, "feedbackCreate", "Feedback", {"customerId": person, "kind": "REVIEW", "rating": 4})
        await create(tenant, "campaignCreate", "Campaign", {"name": f"Campaign {i}"})
        await create(tenant, "teamCreate", "Team", {"name": unique("Team")})
        await create(
            tenant,
            "membershipTierCreate",
            "MembershipTier",
            {"name": f"Tier {i}", "rank": i, "basis": "POINTS", "threshold": str(i * 100)},
        )
        if i < 3:
            await create(tenant, "pipelineCreate", "Pipeline", {"name": f"Pipeline {i}"})
            await user(tenant, f"User {i}")


async def test_every_root_connection_pages(tenant: Tenant) -> None:
    await four_of_everything(tenant)
    query = (
        "{ "
        + " ".join(
            f"{root}(first: 3) {{ totalCount edges {{ cursor node {{ id }} }} pageInfo {{ hasNextPage endCursor }} }}"
            for root in ROOTS
        )
        + " }"
    )
    data = await tenant.data(query)
    for root in ROOTS:
        page = data[root]
        assert len(page["edges"]) == 3, root
        assert page["totalCount"] >= 4, root
        assert page["pageInfo"]["hasNextPage"] is True, root
        assert page["pageInfo"]["endCursor"] == page["edges"][-1]["cursor"], root
        # The next page continues without overlap.
        rest = await tenant.data(
            f"query ($after: String) {{ {root}(first: 100, after: $after) {{ edges {{ node {{ id }} }} }} }}",
            {"after": page["pageInfo"]["endCursor"]},
        )
        first_ids = {e["node"]["id"] for e in page["edges"]}
        rest_ids = {e["node"]["id"] for e in rest[root]["edges"]}
        assert first_ids.isdisjoint(rest_ids), root
        assert len(first_ids | rest_ids) == page["totalCount"], root


# --- campaigns ------------------------------------------------------------------------------------------------

MEMBER_FIELDS = "id status respondedAt attributedRevenue campaign { id } customer { id } lead { id } version"


async def campaign(tenant: Tenant, **fields: Any) -> dict[str, Any]:
    return await create(
        tenant,
        "campaignCreate",
        "Campaign",
        {"name": unique("Campaign"), **fields},
        "id name currency status budget startsOn endsOn version",
    )


async def test_campaign_defaults_and_dates(tenant: Tenant) -> None:
    made = await campaign(tenant, budget="1500.00", startsOn="2024-05-01", endsOn="2024-05-31")
    assert (made["currency"], made["status"], made["budget"]) == ("USD", "PLANNED", "1500.00")
    backwards = await attempt(
        tenant, "campaignCreate", "Campaign", {"name": "Backwards", "startsOn": "2024-05-02", "endsOn": "2024-05-01"}
    )
    assert codes(backwards["userErrors"]) == [("INVALID", ["input", "endsOn"])]
    moved = await update(tenant, "Campaign", made["id"], {"startsOn": "2024-06-01"}, made["version"])
    assert codes(moved["userErrors"]) == [("INVALID", ["input", "endsOn"])]


async def test_campaign_members_are_a_customer_or_a_lead(tenant: Tenant) -> None:
    made = await campaign(tenant)
    person, prospect = await customer(tenant), await lead(tenant)
    both = await attempt(
        tenant,
        "campaignMemberCreate",
        "CampaignMember",
        {"campaignId": made["id"], "customerId": person, "leadId": prospect["id"]},
    )
    assert codes(both["userErrors"]) == [("INVALID", ["input", "customerId"])]
    neither = await attempt(tenant, "campaignMemberCreate", "CampaignMember", {"campaignId": made["id"]})
    assert codes(neither["userErrors"]) == [("INVALID", ["input", "customerId"])]
    by_customer = await create(
        tenant,
        "campaignMemberCreate",
        "CampaignMember",
        {"campaignId": made["id"], "customerId": person},
        MEMBER_FIELDS,
    )
    assert (by_customer["status"], by_customer["attributedRevenue"], by_customer["lead"]) == ("TARGETED", "0.00", None)
    by_lead = await create(
        tenant,
        "campaignMemberCreate",
        "CampaignMember",
        {"campaignId": made["id"], "leadId": prospect["id"], "status": "RESPONDED"},
        MEMBER_FIELDS,
    )
    assert by_lead["respondedAt"] is not None
    assert by_lead["customer"] is None
    # Swapping the customer for nothing would leave no member.
    emptied = await update(tenant, "CampaignMember", by_customer["id"], {"customerId": None}, by_customer["version"])
    assert codes(emptied["userErrors"]) == [("INVALID", ["input", "customerId"])]
    data = await tenant.data(
        """query ($c: ID!, $p: ID!) {
          c: node(id: $c) { ... on Campaign { members(first: 10) { totalCount edges { node { id } } } } }
          p: node(id: $p) { ... on Customer { campaignMemberships(first: 10) { edges { node { campaign { id } } } } } }
        }""",
        {"c": made["id"], "p": person},
    )
    assert data["c"]["members"]["totalCount"] == 2
    assert data["p"]["campaignMemberships"]["edges"] == [{"node": {"campaign": {"id": made["id"]}}}]


async def test_duplicate_campaign_members_are_refused(tenant: Tenant) -> None:
    made, other = await campaign(tenant), await campaign(tenant)
    person, prospect = await customer(tenant), await lead(tenant)
    for ref in ({"customerId": person}, {"leadId": prospect["id"]}):
        await create(tenant, "campaignMemberCreate", "CampaignMember", {"campaignId": made["id"], **ref})
        again = await attempt(tenant, "campaignMemberCreate", "CampaignMember", {"campaignId": made["id"], **ref})
        assert again["campaignMember"] is None
        assert [e["code"] for e in again["userErrors"]] == ["DUPLICATE"]
        # The same person may be in another campaign.
        await create(tenant, "campaignMemberCreate", "CampaignMember", {"campaignId": other["id"], **ref})
    data = await tenant.data(
        "query ($c: ID!) { node(id: $c) { ... on Campaign { members(first: 10) { totalCount } } } }", {"c": made["id"]}
    )
    assert data["node"]["members"]["totalCount"] == 2


async def test_a_member_stays_in_its_campaign(tenant: Tenant) -> None:
    made, other = await campaign(tenant), await campaign(tenant)
    member = await create(
        tenant,
        "campaignMemberCreate",
        "CampaignMember",
        {"campaignId": made["id"], "customerId": await customer(tenant)},
        MEMBER_FIELDS,
    )
    moved = await update(tenant, "CampaignMember", member["id"], {"campaignId": other["id"]}, member["version"])
    assert codes(moved["userErrors"]) == [("INVALID_STATE", ["input", "campaignId"])]
    responded = await update(
        tenant,
        "CampaignMember",
        member["id"],
        {"status": "RESPONDED", "attributedRevenue": "99.90"},
        member["version"],
        MEMBER_FIELDS,
    )
    assert responded["campaignMember"]["respondedAt"] is not None
    assert responded["campaignMember"]["attributedRevenue"] == "99.90"


# --- service cases --------------------------------------------------------------------------------------------

CASE_FIELDS = "id status priority openedAt resolvedAt closedAt version order { id } orderItem { id }"


async def case_status(tenant: Tenant, made: dict[str, Any], status: str) -> dict[str, Any]:
    payload = await update(tenant, "ServiceCase", made["id"], {"status": status}, made["version"], CASE_FIELDS)
    assert payload["userErrors"] == [], payload
    value: dict[str, Any] = payload["serviceCase"]
    return value


async def test_service_case_timestamps_follow_the_status(tenant: Tenant) -> None:
    made = await create(
        tenant,
        "serviceCaseCreate",
        "ServiceCase",
        {"customerId": await customer(tenant), "kind": "RETURN", "subject": "Too small"},
        CASE_FIELDS,
    )
    assert (made["status"], made["priority"], made["resolvedAt"], made["closedAt"]) == ("OPEN", "NORMAL", None, None)
    assert abs(dt.datetime.fromisoformat(made["openedAt"]) - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=1)
    working = await case_status(tenant, made, "IN_PROGRESS")
    assert (working["resolvedAt"], working["closedAt"]) == (None, None)
    resolved = await case_status(tenant, working, "RESOLVED")
    assert resolved["resolvedAt"] is not None
    assert resolved["closedAt"] is None
    closed = await case_status(tenant, resolved, "CLOSED")
    assert closed["resolvedAt"] == resolved["resolvedAt"]
    assert closed["closedAt"] is not None
    # Back to RESOLVED: resolved, but no longer closed.
    unclosed = await case_status(tenant, closed, "RESOLVED")
    assert unclosed["resolvedAt"] == resolved["resolvedAt"]
    assert unclosed["closedAt"] is None
    reopened = await case_status(tenant, unclosed, "WAITING_ON_CUSTOMER")
    assert (reopened["resolvedAt"], reopened["closedAt"]) == (None, None)
    assert reopened["openedAt"] == made["openedAt"]


async def test_a_case_closed_at_once_is_resolved_too(tenant: Tenant) -> None:
    made = await create(
        tenant,
        "serviceCaseCreate",
        "ServiceCase",
        {
            "customerId": await customer(tenant),
            "kind": "INQUIRY",
            "subject": "Hours?",
            "status": "CLOSED",
            "priority": "LOW",
        },
        CASE_FIELDS,
    )
    assert made["priority"] == "LOW"
    assert made["resolvedAt"] is not None
    assert made["closedAt"] is not None


async def test_a_case_links_only_the_customers_own_orders(tenant: Tenant) -> None:
    mine, theirs = await customer(tenant), await customer(tenant, "Other")
    item = await product(tenant)
    my_order = await order(tenant, mine, [line(item)])
    their_order = await order(tenant, theirs, [line(item)])
    their_line = (await node(tenant, their_order["id"], "items { id }"))["items"][0]["id"]  # type: ignore[index]
    my_line = (await node(tenant, my_order["id"], "items { id }"))["items"][0]["id"]  # type: ignore[index]
    base = {"customerId": mine, "kind": "RETURN", "subject": "Broken"}
    wrong_order = await attempt(tenant, "serviceCaseCreate", "ServiceCase", {**base, "orderId": their_order["id"]})
    assert codes(wrong_order["userErrors"]) == [("INVALID", ["input", "orderId"])]
    wrong_line = await attempt(
        tenant, "serviceCaseCreate", "ServiceCase", {**base, "orderId": my_order["id"], "orderItemId": their_line}
    )
    assert codes(wrong_line["userErrors"]) == [("INVALID", ["input", "orderItemId"])]
    # A line given without its order must still be one of the customer's.
    line_alone = await attempt(tenant, "serviceCaseCreate", "ServiceCase", {**base, "orderItemId": their_line})
    assert codes(line_alone["userErrors"]) == [("INVALID", ["input", "orderItemId"])]
    made = await create(tenant, "serviceCaseCreate", "ServiceCase", {**base, "orderItemId": my_line}, CASE_FIELDS)
    assert made["orderItem"] == {"id": my_line}
    assert made["order"] == {"id": my_order["id"]}
    # Nor can the case move to a customer whose order it is not.
    moved = await update(tenant, "ServiceCase", made["id"], {"customerId": theirs}, made["version"])
    assert codes(moved["userErrors"]) == [("INVALID", ["input", "orderId"])]
    other_order = await update(
        tenant, "ServiceCase", made["id"], {"orderId": (await order(tenant, mine, [line(item)]))["id"]}, made["version"]
    )
    assert codes(other_order["userErrors"]) == [("INVALID", ["input", "orderItemId"])]
    count = (await tenant.data("{ serviceCases(first: 1) { totalCount } }"))["serviceCases"]["totalCount"]
    assert count == 1


# --- feedback -------------------------------------------------------------------------------------------------

FEEDBACK_FIELDS = "id kind status rating nps order { id } product { id }"


@pytest.mark.parametrize(("kind", "status"), [("COMPLAINT", "OPEN"), ("REVIEW", None), ("SURVEY", None)])
async def test_feedback_default_status(tenant: Tenant, kind: str, status: str | None) -> None:
    made = await create(
        tenant, "feedbackCreate", "Feedback", {"customerId": await customer(tenant), "kind": kind}, FEEDBACK_FIELDS
    )
    assert made["status"] == status


async def test_a_complaint_keeps_a_given_status(tenant: Tenant) -> None:
    made = await create(
        tenant,
        "feedbackCreate",
        "Feedback",
        {"customerId": await customer(tenant), "kind": "COMPLAINT", "status": "ACKNOWLEDGED"},
        FEEDBACK_FIELDS,
    )
    assert made["status"] == "ACKNOWLEDGED"


async def test_feedback_that_becomes_a_complaint_is_open(tenant: Tenant) -> None:
    made = await create(
        tenant,
        "feedbackCreate",
        "Feedback",
        {"customerId": await customer(tenant), "kind": "REVIEW"},
        f"{FEEDBACK_FIELDS} version",
    )
    changed = await update(tenant, "Feedback", made["id"], {"kind": "COMPLAINT"}, made["version"], FEEDBACK_FIELDS)
    assert (changed["feedback"]["kind"], changed["feedback"]["status"]) == ("COMPLAINT", "OPEN")
    handled = await update(
        tenant, "Feedback", made["id"], {"status": "RESOLVED", "rating": 2}, made["version"] + 1, FEEDBACK_FIELDS
    )
    assert handled["feedback"]["status"] == "RESOLVED"


async def test_feedback_rules(tenant: Tenant) -> None:
    mine, theirs = await customer(tenant), await customer(tenant, "Other")
    item = await product(tenant)
    their_order = await order(tenant, theirs, [line(item)])
    base = {"customerId": mine, "kind": "REVIEW"}
    for extra, error in (
        ({"rating": 0}, ("TOO_SMALL", ["input", "rating"])),
        ({"rating": 6}, ("TOO_LARGE", ["input", "rating"])),
        ({"nps": 11}, ("TOO_LARGE", ["input", "nps"])),
        ({"nps": -1}, ("TOO_SMALL", ["input", "nps"])),
        ({"orderId": their_order["id"]}, ("INVALID", ["input", "orderId"])),
    ):
        refused = await attempt(tenant, "feedbackCreate", "Feedback", {**base, **extra})
        assert codes(refused["userErrors"]) == [error]
    made = await create(
        tenant, "feedbackCreate", "Feedback", {**base, "rating": 5, "nps": 10, "productId": item}, FEEDBACK_FIELDS
    )
    assert (made["rating"], made["nps"], made["product"]) == (5, 10, {"id": item})


# --- interactions ---------------------------------------------------------------------------------------------

INTERACTION_FIELDS = "id occurredAt version customer { id } lead { id } contact { id } owner { id }"


async def test_interactions_need_a_customer_or_a_lead(tenant: Tenant) -> None:
    refused = await attempt(tenant, "interactionCreate", "Interaction", {"channel": "PHONE", "direction": "INBOUND"})
    assert codes(refused["userErrors"]) == [("REQUIRED", ["input", "customerId"])]
    prospect = await lead(tenant)
    with_lead = await create(
        tenant,
        "interactionCreate",
        "Interaction",
        {"leadId": prospect["id"], "channel": "SMS", "direction": "OUTBOUND"},
        INTERACTION_FIELDS,
    )
    assert (with_lead["lead"], with_lead["customer"]) == ({"id": prospect["id"]}, None)
    dropped = await update(tenant, "Interaction", with_lead["id"], {"leadId": None}, with_lead["version"])
    assert codes(dropped["userErrors"]) == [("REQUIRED", ["input", "customerId"])]
    listed = await node(tenant, prospect["id"], "interactions(first: 5) { edges { node { id } } }")
    assert listed == {"interactions": {"edges": [{"node": {"id": with_lead["id"]}}]}}


async def test_linked_records_need_their_customer(tenant: Tenant) -> None:
    firm, other = await company(tenant), await company(tenant, "Other")
    person, prospect = await contact(tenant, firm), await lead(tenant)
    lead_only = await attempt(
        tenant,
        "interactionCreate",
        "Interaction",
        {"leadId": prospect["id"], "contactId": person, "channel": "PHONE", "direction": "INBOUND"},
    )
    assert codes(lead_only["userErrors"]) == [("INVALID", ["input", "contactId"])]
    made = await create(
        tenant,
        "interactionCreate",
        "Interaction",
        {"customerId": firm, "leadId": prospect["id"], "contactId": person, "channel": "PHONE", "direction": "INBOUND"},
        INTERACTION_FIELDS,
    )
    cleared = await update(tenant, "Interaction", made["id"], {"customerId": None}, made["version"])
    assert codes(cleared["userErrors"]) == [("INVALID", ["input", "customerId"])]
    moved = await update(tenant, "Interaction", made["id"], {"customerId": other}, made["version"])
    assert codes(moved["userErrors"]) == [("INVALID", ["input", "contactId"])]
    both = await update(
        tenant, "Interaction", made["id"], {"customerId": None, "contactId": None}, made["version"], INTERACTION_FIELDS
    )
    assert both["userErrors"] == []
    assert (both["interaction"]["customer"], both["interaction"]["contact"]) == (None, None)


async def test_interaction_defaults_and_links(tenant: Tenant) -> None:
    firm, other = await company(tenant), await company(tenant, "Other")
    person, stranger = await contact(tenant, firm), await contact(tenant, other)
    made = await create(
        tenant,
        "interactionCreate",
        "Interaction",
        {"customerId": firm, "contactId": person, "channel": "MEETING", "direction": "OUTBOUND"},
        INTERACTION_FIELDS,
    )
    owner = (await tenant.data("{ users(first: 1) { edges { node { id } } } }"))["users"]["edges"][0]["node"]["id"]
    assert made["owner"] == {"id": owner}
    assert abs(dt.datetime.fromisoformat(made["occurredAt"]) - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=1)
    given = await create(
        tenant,
        "interactionCreate",
        "Interaction",
        {"customerId": firm, "channel": "PHONE", "direction": "INBOUND", "occurredAt": "2024-05-01T08:00:00+08:00"},
        INTERACTION_FIELDS,
    )
    assert given["occurredAt"] == "2024-05-01T00:00:00.000000Z"
    refused = await attempt(
        tenant,
        "interactionCreate",
        "Interaction",
        {"customerId": firm, "contactId": stranger, "channel": "PHONE", "direction": "INBOUND"},
    )
    assert codes(refused["userErrors"]) == [("INVALID", ["input", "contactId"])]
    their_deal = await opportunity(tenant, other)
    refused = await attempt(
        tenant,
        "interactionCreate",
        "Interaction",
        {"customerId": firm, "opportunityId": their_deal["id"], "channel": "PHONE", "direction": "INBOUND"},
    )
    assert codes(refused["userErrors"]) == [("INVALID", ["input", "opportunityId"])]


async def test_global_ids_name_their_type(tenant: Tenant) -> None:
    made = await customer(tenant)
    assert await node(tenant, to_global_id("Contact", uuid_of(made))) is None
    assert await node(tenant, global_id("Customer")) is None
    assert (await node(tenant, made, "id name")) == {"id": made, "name": "Ada Lovelace"}


# --- inactive users -------------------------------------------------------------------------------------------


async def inactive_user(tenant: Tenant) -> str:
    rep = await user(tenant, "Leaving")
    assert (await update(tenant, "User", rep, {"active": False}, 1))["userErrors"] == []
    return rep


async def test_inactive_users_take_no_new_interactions_or_cases(tenant: Tenant) -> None:
    rep, buyer = await inactive_user(tenant), await customer(tenant)
    refused = await attempt(
        tenant,
        "interactionCreate",
        "Interaction",
        {"customerId": buyer, "channel": "PHONE", "direction": "INBOUND", "ownerId": rep},
    )
    assert codes(refused["userErrors"]) == [("INVALID_STATE", ["input", "ownerId"])]
    refused = await attempt(
        tenant,
        "serviceCaseCreate",
        "ServiceCase",
        {"customerId": buyer, "kind": "REPAIR", "subject": "Broken", "assigneeId": rep},
    )
    assert codes(refused["userErrors"]) == [("INVALID_STATE", ["input", "assigneeId"])]
    assert (await tenant.data("{ serviceCases(first: 1) { totalCount } interactions(first: 1) { totalCount } }")) == {
        "serviceCases": {"totalCount": 0},
        "interactions": {"totalCount": 0},
    }


async def test_inactive_users_take_no_new_customers(tenant: Tenant) -> None:
    rep = await inactive_user(tenant)
    refused = await attempt(tenant, "customerCreate", "Customer", {"kind": "PERSON", "name": "X", "ownerId": rep})
    assert codes(refused["userErrors"]) == [("INVALID_STATE", ["input", "ownerId"])]


# --- deleting what others refer to ----------------------------------------------------------------------------

DANGLING = (
    "BUG resolvers/queries.py reference_resolver + loaders.by_id: a required reference to a soft-deleted row "
    "resolves to null, so the non-null field fails with INTERNAL"
)


async def readable(tenant: Tenant, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    body = await tenant.gql(query, variables)
    assert "errors" not in body, body["errors"]
    data: dict[str, Any] = body["data"]
    return data


async def test_orders_stay_readable_after_their_product_is_deleted(tenant: Tenant) -> None:
    item = await product(tenant)
    await order(tenant, await customer(tenant), [line(item)])
    gone = await tenant.data("mutation ($id: ID!) { productDelete(id: $id) { deletedId } }", {"id": item})
    assert gone["productDelete"]["deletedId"] == item
    data = await readable(tenant, "{ orders(first: 5) { edges { node { items { product { id } } } } } }")
    assert data["orders"]["edges"][0]["node"]["items"][0]["product"] == {"id": item}


async def test_orders_stay_readable_after_their_customer_is_deleted(tenant: Tenant) -> None:
    buyer = await customer(tenant)
    await order(tenant, buyer, [line(await product(tenant))])
    await tenant.data("mutation ($id: ID!) { customerDelete(id: $id) { deletedId } }", {"id": buyer})
    data = await readable(tenant, "{ orders(first: 5) { edges { node { customer { id } } } } }")
    assert data["orders"]["edges"][0]["node"]["customer"] == {"id": buyer}


async def test_memberships_stay_readable_after_their_campaign_is_deleted(tenant: Tenant) -> None:
    made, buyer = await campaign(tenant), await customer(tenant)
    await create(tenant, "campaignMemberCreate", "CampaignMember", {"campaignId": made["id"], "customerId": buyer})
    await tenant.data("mutation ($id: ID!) { campaignDelete(id: $id) { deletedId } }", {"id": made["id"]})
    await readable(
        tenant,
        "query ($id: ID!) { node(id: $id) { ... on Customer { campaignMemberships(first: 5) { "
        "edges { node { campaign { id } } } } } } }",
        {"id": buyer},
    )


async def test_stage_history_stays_readable_after_a_stage_is_deleted(tenant: Tenant) -> None:
    by_name = await stages(tenant)
    deal = await opportunity(tenant, await customer(tenant))
    assert (await move(tenant, deal, by_name["Qualified"]["id"]))["userErrors"] == []
    gone = await tenant.data(
        "mutation ($id: ID!) { pipelineStageDelete(id: $id) { deletedId } }", {"id": by_name["Potential"]["id"]}
    )
    assert gone["pipelineStageDelete"]["deletedId"] == by_name["Potential"]["id"]
    await readable(
        tenant,
        "query ($id: ID!) { node(id: $id) { ... on Opportunity { stageHistory { toStage { id } } } } }",
        {"id": deal["id"]},
    )


# --- owners ---------------------------------------------------------------------------------------------------


async def test_the_last_owner_stays_an_owner(tenant: Tenant) -> None:
    users = (await tenant.data("{ users(first: 5) { edges { node { id role version } } } }"))["users"]["edges"]
    (owner,) = [u["node"] for u in users if u["node"]["role"] == "OWNER"]
    for input_, path in (({"role": "ADMIN"}, "role"), ({"active": False}, "active")):
        refused = await update(tenant, "User", owner["id"], input_, owner["version"])
        assert codes(refused["userErrors"]) == [("INVALID_STATE", ["input", path])]
    second = await user(tenant, "Second owner", role="OWNER")
    demoted = await update(tenant, "User", owner["id"], {"role": "ADMIN"}, owner["version"], "role")
    assert demoted["userErrors"] == []
    refused = await update(tenant, "User", second, {"active": False}, 1)
    assert codes(refused["userErrors"]) == [("INVALID_STATE", ["input", "active"])]
    renamed = await update(tenant, "User", second, {"name": "Still owner"}, 1, "name role")
    assert renamed["user"] == {"name": "Still owner", "role": "OWNER"}
