"""Membership and derived figures: the points / stored-balance ledger (kinds, overdrafts, idempotent
references, concurrency), membership tiers, Customer.figures, lifecycle stages, RFM scores, customerSummary
and salesPerformance, each checked against hand-computed values."""

from __future__ import annotations

import asyncio
import datetime as dt
import decimal
from typing import Any

import pytest

from tests.conftest import App, Tenant
from tests.domain.helpers import (
    ERRORS,
    LEDGER,
    SETTINGS,
    ago,
    codes,
    create,
    customer,
    delete,
    global_id,
    lead,
    ledger,
    line,
    move,
    opportunity,
    order,
    product,
    settings,
    stages,
    team,
    unique,
    update,
    user,
)

FIGURES = """query ($id: ID!) { node(id: $id) { ... on Customer {
  lifecycleStage
  points { points balance pointsEarned }
  rfm { recency frequency monetary }
  figures { currency lifetimeValue orderCount averageOrderValue firstOrderAt lastOrderAt purchaseFrequency
            lastInteractionAt openOpportunities openCases lifecycleStage points balance tier { name } }
  ledgerEntries(first: 100) { totalCount edges { node { account kind amount balanceAfter reference } } }
} } }"""

SUMMARY = """query ($id: ID!) { customerSummary(id: $id) { id name tier lifecycleStage currency lifetimeValue
  orderCount lastOrderAt lastInteractionAt openOpportunities openCases points balance } }"""

PERFORMANCE = """query ($from: DateTime!, $to: DateTime!, $by: PerformanceGrouping!) {
  salesPerformance(from: $from, to: $to, groupBy: $by) { owner { id } team { id } currency wonAmount wonCount
    lostCount winRate openPipelineAmount weightedForecast leadsCreated leadsConverted leadConversionRate
    interactionCount } }"""


async def figures(tenant: Tenant, customer_id: str) -> dict[str, Any]:
    value: dict[str, Any] = (await tenant.data(FIGURES, {"id": customer_id}))["node"]
    return value


async def summary(tenant: Tenant, customer_id: str) -> dict[str, Any] | None:
    value: dict[str, Any] | None = (await tenant.data(SUMMARY, {"id": customer_id}))["customerSummary"]
    return value


class Shop:
    """Places orders of given totals at given times through the API, with one product."""

    def __init__(self, tenant: Tenant) -> None:
        self.tenant = tenant
        self.product: str | None = None

    async def buy(
        self, customer_id: str, total: str, days_ago: float, status: str = "PAID", **fields: Any
    ) -> dict[str, Any]:
        if self.product is None:
            self.product = await product(self.tenant, "1.00")
        made = await order(
            self.tenant,
            customer_id,
            [line(self.product, 1, unit_price=total)],
            status="PAID" if status != "PENDING" else "PENDING",
            orderedAt=ago(days_ago),
            **fields,
        )
        for step in {
            "SHIPPED": ["SHIPPED"],
            "DELIVERED": ["SHIPPED", "DELIVERED"],
            "COMPLETED": ["COMPLETED"],
            "REFUNDED": ["REFUNDED"],
        }.get(status, []):
            made = (
                await update(self.tenant, "Order", made["id"], {"status": step}, made["version"], "id version status")
            )["order"]
        return made

    async def cancelled(self, customer_id: str, total: str, days_ago: float) -> None:
        made = await self.buy(customer_id, total, days_ago, "PENDING")
        assert (await update(self.tenant, "Order", made["id"], {"status": "CANCELLED"}, made["version"]))[
            "userErrors"
        ] == []


def total(entries: list[dict[str, Any]], account: str) -> decimal.Decimal:
    return sum(
        (decimal.Decimal(e["node"]["amount"]) for e in entries if e["node"]["account"] == account),
        decimal.Decimal("0.00"),
    )


# --- ledger ---------------------------------------------------------------------------------------------------


async def test_every_kind_moves_its_account(tenant: Tenant) -> None:
    member = await customer(tenant)
    steps = [
        ("POINTS", "EARN", "100.00", "100.00", "100.00"),
        ("POINTS", "REDEEM", "30.00", "-30.00", "70.00"),
        ("POINTS", "EXPIRE", "5.00", "-5.00", "65.00"),
        ("POINTS", "ADJUST", "-10.50", "-10.50", "54.50"),
        ("POINTS", "ADJUST", "0.50", "0.50", "55.00"),
        ("BALANCE", "TOP_UP", "50.00", "50.00", "50.00"),
        ("BALANCE", "SPEND", "19.99", "-19.99", "30.01"),
        ("BALANCE", "ADJUST", "-0.01", "-0.01", "30.00"),
    ]
    for account, kind, amount, signed, after in steps:
        payload = await ledger(tenant, member, account, kind, amount, note=f"{kind} test")
        assert payload["userErrors"] == [], (kind, payload)
        entry = payload["entry"]
        assert (entry["account"], entry["kind"], entry["amount"], entry["balanceAfter"]) == (
            account,
            kind,
            signed,
            after,
        )
        assert entry["customer"]["id"] == member
        assert entry["note"] == f"{kind} test"
    found = await figures(tenant, member)
    assert found["points"] == {"points": "55.00", "balance": "30.00", "pointsEarned": "100.50"}
    assert (found["figures"]["points"], found["figures"]["balance"]) == ("55.00", "30.00")
    entries = found["ledgerEntries"]["edges"]
    assert found["ledgerEntries"]["totalCount"] == len(steps)
    assert total(entries, "POINTS") == decimal.Decimal("55.00")
    assert total(entries, "BALANCE") == decimal.Decimal("30.00")


async def test_a_new_member_has_nothing(tenant: Tenant) -> None:
    found = await figures(tenant, await customer(tenant))
    assert found["points"] == {"points": "0.00", "balance": "0.00", "pointsEarned": "0.00"}
    assert found["ledgerEntries"]["totalCount"] == 0


@pytest.mark.parametrize(
    ("account", "kind"),
    [("BALANCE", "EARN"), ("BALANCE", "REDEEM"), ("BALANCE", "EXPIRE"), ("POINTS", "TOP_UP"), ("POINTS", "SPEND")],
)
async def test_the_account_must_match_the_kind(tenant: Tenant, account: str, kind: str) -> None:
    member = await customer(tenant)
    await ledger(tenant, member, "BALANCE", "TOP_UP", "10.00")
    await ledger(tenant, member, "POINTS", "EARN", "10.00")
    payload = await ledger(tenant, member, account, kind, "1.00")
    assert payload["entry"] is None
    assert codes(payload["userErrors"]) == [("INVALID", ["input", "kind"])]
    assert (await figures(tenant, member))["ledgerEntries"]["totalCount"] == 2


@pytest.mark.parametrize(
    ("kind", "amount", "code"),
    [
        ("EARN", "0", "TOO_SMALL"),
        ("EARN", "-5.00", "TOO_SMALL"),
        ("EARN", "1.001", "INVALID"),
        ("ADJUST", "0.00", "TOO_SMALL"),
        ("ADJUST", "-0.001", "INVALID"),
        ("EARN", "1e30", "TOO_LARGE"),
    ],
)
async def test_bad_amounts(tenant: Tenant, kind: str, amount: str, code: str) -> None:
    payload = await ledger(tenant, await customer(tenant), "POINTS", kind, amount)
    assert codes(payload["userErrors"]) == [(code, ["input", "amount"])]


async def test_text_problems_are_reported_at_their_field(tenant: Tenant) -> None:
    member = await customer(tenant)
    blank = await ledger(tenant, member, "POINTS", "EARN", "1.00", reference="   ")
    assert codes(blank["userErrors"]) == [("REQUIRED", ["input", "reference"])]
    long_note = await ledger(tenant, member, "POINTS", "EARN", "1.00", note="n" * 501)
    assert codes(long_note["userErrors"]) == [("TOO_LONG", ["input", "note"])]
    assert (await figures(tenant, member))["ledgerEntries"]["totalCount"] == 0


async def test_an_overdraft_is_refused_and_writes_nothing(tenant: Tenant) -> None:
    member = await customer(tenant)
    await ledger(tenant, member, "POINTS", "EARN", "50.00")
    await ledger(tenant, member, "BALANCE", "TOP_UP", "20.00")
    for account, kind, amount in (
        ("POINTS", "REDEEM", "50.01"),
        ("POINTS", "ADJUST", "-60.00"),
        ("BALANCE", "SPEND", "20.01"),
        ("POINTS", "EXPIRE", "51.00"),
    ):
        payload = await ledger(tenant, member, account, kind, amount, reference="overdraft-" + kind)
        assert payload["entry"] is None
        assert codes(payload["userErrors"]) == [("INSUFFICIENT_BALANCE", ["input", "amount"])]
    found = await figures(tenant, member)
    assert found["points"] == {"points": "50.00", "balance": "20.00", "pointsEarned": "50.00"}
    assert found["ledgerEntries"]["totalCount"] == 2
    # The refused reference was not used up.
    exact = await ledger(tenant, member, "POINTS", "REDEEM", "50.00", reference="overdraft-REDEEM")
    assert exact["userErrors"] == []
    assert exact["entry"]["balanceAfter"] == "0.00"


async def test_spending_without_an_account_is_an_overdraft(tenant: Tenant) -> None:
    member = await customer(tenant)
    payload = await ledger(tenant, member, "BALANCE", "SPEND", "0.01")
    assert codes(payload["userErrors"]) == [("INSUFFICIENT_BALANCE", ["input", "amount"])]
    assert (await figures(tenant, member))["points"]["balance"] == "0.00"


async def test_a_repeated_reference_records_once(tenant: Tenant) -> None:
    member = await customer(tenant)
    first = await ledger(tenant, member, "POINTS", "EARN", "10.00", reference="order-1")
    again = await ledger(tenant, member, "POINTS", "EARN", "10.00", reference="order-1", note="retry")
    assert again["userErrors"] == []
    assert again["entry"] == first["entry"]
    found = await figures(tenant, member)
    assert found["points"]["points"] == "10.00"
    assert found["ledgerEntries"]["totalCount"] == 1
    # The same reference on the other account is another movement.
    balance = await ledger(tenant, member, "BALANCE", "TOP_UP", "10.00", reference="order-1")
    assert balance["userErrors"] == []
    assert balance["entry"]["id"] != first["entry"]["id"]


@pytest.mark.parametrize("change", ["amount", "kind", "customer"])
async def test_a_reused_reference_with_other_content_is_refused(tenant: Tenant, change: str) -> None:
    member, other = await customer(tenant), await customer(tenant, "Other")
    await ledger(tenant, member, "POINTS", "EARN", "10.00", reference="order-2")
    args = {"customer_id": member, "account": "POINTS", "kind": "EARN", "amount": "10.00"}
    args.update({"amount": {"amount": "11.00", "kind": "10.00", "customer": "10.00"}[change]})
    if change == "kind":
        args["kind"] = "ADJUST"
    if change == "customer":
        args["customer_id"] = other
    payload = await ledger(
        tenant, args["customer_id"], args["account"], args["kind"], args["amount"], reference="order-2"
    )
    assert payload["entry"] is None
    assert codes(payload["userErrors"]) == [("IDEMPOTENCY_KEY_REUSED", ["input", "reference"])]
    assert (await figures(tenant, member))["points"]["points"] == "10.00"
    assert (await figures(tenant, other))["ledgerEntries"]["totalCount"] == 0


async def test_concurrent_retries_record_one_entry(tenant: Tenant) -> None:
    member = await customer(tenant)
    variables = {
        "input": {"customerId": member, "account": "POINTS", "kind": "EARN", "amount": "25.00", "reference": "burst-1"}
    }
    responses = await asyncio.gather(*(tenant.post(LEDGER, variables) for _ in range(20)))
    assert [r.status_code for r in responses] == [200] * 20
    payloads = [r.json()["data"]["ledgerRecord"] for r in responses]
    assert all(p["userErrors"] == [] for p in payloads), payloads
    assert len({p["entry"]["id"] for p in payloads}) == 1
    found = await figures(tenant, member)
    assert found["ledgerEntries"]["totalCount"] == 1
    assert found["points"] == {"points": "25.00", "balance": "0.00", "pointsEarned": "25.00"}


async def test_concurrent_redemptions_never_overdraw(tenant: Tenant) -> None:
    member = await customer(tenant)
    await ledger(tenant, member, "POINTS", "EARN", "100.00")
    responses = await asyncio.gather(
        *(
            tenant.post(
                LEDGER,
                {
                    "input": {
                        "customerId": member,
                        "account": "POINTS",
                        "kind": "REDEEM",
                        "amount": "15.00",
                        "reference": f"redeem-{i}",
                    }
                },
            )
            for i in range(20)
        )
    )
    assert [r.status_code for r in responses] == [200] * 20
    payloads = [r.json()["data"]["ledgerRecord"] for r in responses]
    recorded = [p for p in payloads if p["entry"] is not None]
    refused = [p for p in payloads if p["entry"] is None]
    assert len(recorded) == 6  # 6 * 15 = 90 ≤ 100 < 105
    assert all(codes(p["userErrors"]) == [("INSUFFICIENT_BALANCE", ["input", "amount"])] for p in refused)
    assert sorted(p["entry"]["balanceAfter"] for p in recorded) == [
        "10.00",
        "25.00",
        "40.00",
        "55.00",
        "70.00",
        "85.00",
    ]
    found = await figures(tenant, member)
    assert found["points"]["points"] == "10.00"
    assert total(found["ledgerEntries"]["edges"], "POINTS") == decimal.Decimal("10.00")
    assert found["ledgerEntries"]["totalCount"] == 7


async def test_ledger_needs_a_customer_of_the_tenant(tenant: Tenant, other_tenant: Tenant) -> None:
    theirs = await customer(other_tenant)
    for customer_id in (theirs, global_id("Customer"), "nonsense", await product(tenant)):
        payload = await ledger(tenant, customer_id, "POINTS", "EARN", "1.00")
        assert codes(payload["userErrors"]) == [("NOT_FOUND", ["input", "customerId"])]
    gone = await customer(tenant)
    assert (await delete(tenant, "Customer", gone))["userErrors"] == []
    payload = await ledger(tenant, gone, "POINTS", "EARN", "1.00")
    assert codes(payload["userErrors"]) == [("NOT_FOUND", ["input", "customerId"])]
    assert (await figures(other_tenant, theirs))["ledgerEntries"]["totalCount"] == 0


async def test_viewers_cannot_record(tenant: Tenant) -> None:
    member = await customer(tenant)
    viewer = await tenant.token_for("VIEWER")
    body = await tenant.gql(
        LEDGER,
        {"input": {"customerId": member, "account": "POINTS", "kind": "EARN", "amount": "1.00", "reference": "v"}},
        token=viewer,
    )
    assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]
    assert (await figures(tenant, member))["ledgerEntries"]["totalCount"] == 0


# --- tiers ----------------------------------------------------------------------------------------------------


async def tier(tenant: Tenant, name: str, rank: int, basis: str, threshold: str) -> str:
    made = await create(
        tenant,
        "membershipTierCreate",
        "MembershipTier",
        {"name": name, "rank": rank, "basis": basis, "threshold": threshold},
    )
    value: str = made["id"]
    return value


async def test_membership_tiers(tenant: Tenant) -> None:
    shop = Shop(tenant)
    await tier(tenant, "Silver", 1, "LIFETIME_SPEND", "100.00")
    await tier(tenant, "Gold", 2, "LIFETIME_SPEND", "1000.00")
    await tier(tenant, "Points VIP", 3, "POINTS", "500.00")
    silver, gold, none, vip, pending, refunded = [
        await customer(tenant, n) for n in ("Silver", "Gold", "None", "VIP", "Pending", "Refunded")
    ]
    await shop.buy(silver, "60.00", 3)
    await shop.buy(silver, "40.00", 2)  # exactly the threshold
    await shop.buy(gold, "999.99", 2)
    await shop.buy(gold, "0.01", 1, "COMPLETED")
    await shop.buy(none, "99.99", 1)
    await shop.buy(vip, "5000.00", 1)
    await ledger(tenant, vip, "POINTS", "EARN", "500.00")
    await ledger(tenant, vip, "POINTS", "REDEEM", "450.00")  # points ever earned still count
    await shop.buy(pending, "5000.00", 1, "PENDING")
    await shop.buy(refunded, "5000.00", 1, "REFUNDED")
    expected = {silver: "Silver", gold: "Gold", none: None, vip: "Points VIP", pending: None, refunded: None}
    for member, name in expected.items():
        found = (await figures(tenant, member))["figures"]["tier"]
        assert (found and found["name"]) == name, (member, found)
        assert (await summary(tenant, member))["tier"] == name  # type: ignore[index]


async def test_tier_ranks_are_unique(tenant: Tenant) -> None:
    await tier(tenant, "Silver", 1, "LIFETIME_SPEND", "100.00")
    data = await tenant.data(
        f"""mutation {{ membershipTierCreate(input: {{name: "Other", rank: 1, basis: POINTS, threshold: "5"}}) {{
        membershipTier {{ id }} {ERRORS} }} }}"""
    )
    assert codes(data["membershipTierCreate"]["userErrors"]) == [("DUPLICATE", ["input", "rank"])]


# --- figures --------------------------------------------------------------------------------------------------


async def test_customer_figures(tenant: Tenant) -> None:
    shop = Shop(tenant)
    member, other = await customer(tenant), await customer(tenant, "Someone else")
    await shop.buy(member, "100.00", 10)
    await shop.buy(member, "50.25", 5, "SHIPPED")
    await shop.buy(member, "10.10", 3, "DELIVERED")
    last = await shop.buy(member, "0.15", 1, "COMPLETED")
    await shop.buy(member, "999.00", 0.5, "PENDING")
    await shop.cancelled(member, "777.00", 0.5)
    await shop.buy(member, "555.00", 0.5, "REFUNDED")
    first = await shop.buy(member, "300.00", 60, currency="EUR")  # counted, but not in USD money
    await shop.buy(other, "1000.00", 0.1)

    interactions = []
    for days, who in ((9, member), (2, member), (0.2, other)):
        made = await create(
            tenant,
            "interactionCreate",
            "Interaction",
            {"customerId": who, "channel": "PHONE", "direction": "INBOUND", "occurredAt": ago(days)},
            "id occurredAt version",
        )
        interactions.append(made)
    by_name = await stages(tenant)
    await opportunity(tenant, member)
    await opportunity(tenant, member, stageId=by_name["Negotiation"]["id"])
    await opportunity(tenant, member, stageId=by_name["Won"]["id"])
    await opportunity(tenant, member, stageId=by_name["Lost"]["id"])
    gone = await opportunity(tenant, member)
    assert (await delete(tenant, "Opportunity", gone["id"]))["userErrors"] == []
    for status in ("OPEN", "IN_PROGRESS", "WAITING_ON_CUSTOMER", "RESOLVED", "CLOSED"):
        await create(
            tenant,
            "serviceCaseCreate",
            "ServiceCase",
            {"customerId": member, "kind": "INQUIRY", "subject": status, "status": status},
        )

    found = await figures(tenant, member)
    numbers = found["figures"]
    first_at = (
        await tenant.data("query ($id: ID!) { node(id: $id) { ... on Order { orderedAt } } }", {"id": first["id"]})
    )["node"]["orderedAt"]
    last_at = (
        await tenant.data("query ($id: ID!) { node(id: $id) { ... on Order { orderedAt } } }", {"id": last["id"]})
    )["node"]["orderedAt"]
    assert numbers == {
        "currency": "USD",
        "lifetimeValue": "160.50",  # 100.00 + 50.25 + 10.10 + 0.15
        "orderCount": 5,  # four in USD and one in EUR
        "averageOrderValue": "40.13",  # 160.50 / 4 = 40.125, half up
        "firstOrderAt": first_at,
        "lastOrderAt": last_at,
        "purchaseFrequency": "2.50",  # 5 orders over two 30-day periods
        "lastInteractionAt": interactions[1]["occurredAt"],
        "openOpportunities": 2,
        "openCases": 3,
        "lifecycleStage": "ACTIVE",
        "points": "0.00",
        "balance": "0.00",
        "tier": None,
    }
    assert found["lifecycleStage"] == "ACTIVE"


async def test_figures_of_a_customer_without_orders(tenant: Tenant) -> None:
    found = await figures(tenant, await customer(tenant))
    assert found["figures"] == {
        "currency": "USD",
        "lifetimeValue": "0.00",
        "orderCount": 0,
        "averageOrderValue": None,
        "firstOrderAt": None,
        "lastOrderAt": None,
        "purchaseFrequency": None,
        "lastInteractionAt": None,
        "openOpportunities": 0,
        "openCases": 0,
        "lifecycleStage": "LEAD",
        "points": "0.00",
        "balance": "0.00",
        "tier": None,
    }
    assert found["rfm"] is None


async def test_figures_follow_the_tenant_currency(tenant: Tenant) -> None:
    shop = Shop(tenant)
    member = await customer(tenant)
    await shop.buy(member, "10.00", 2)
    await shop.buy(member, "7.00", 1, currency="CNY")
    assert (await figures(tenant, member))["figures"]["lifetimeValue"] == "10.00"
    await settings(tenant, currency="CNY")
    numbers = (await figures(tenant, member))["figures"]
    assert (numbers["currency"], numbers["lifetimeValue"], numbers["orderCount"]) == ("CNY", "7.00", 2)


async def test_a_purchase_frequency_within_the_first_period(tenant: Tenant) -> None:
    shop = Shop(tenant)
    member = await customer(tenant)
    for days in (20, 10, 1):
        await shop.buy(member, "1.00", days)
    assert (await figures(tenant, member))["figures"]["purchaseFrequency"] == "3.00"


# The lifecycle of five customers: (first order, last order) in days ago, or None for no revenue order.
HISTORIES = {
    "lead": None,
    "new": (5, 5),
    "active": (31, 15),
    "dormant": (35, 30),
    "churned": (60, 50),
}


async def test_lifecycle_stages_follow_the_tenant_thresholds(tenant: Tenant) -> None:
    shop = Shop(tenant)
    members: dict[str, str] = {}
    for name, history in HISTORIES.items():
        members[name] = await customer(tenant, name)
        if history is None:
            await shop.buy(members[name], "10.00", 1, "PENDING")
            continue
        first, last = history
        await shop.buy(members[name], "10.00", first)
        if last != first:
            await shop.buy(members[name], "10.00", last)

    async def stages_now() -> dict[str, str]:
        return {name: (await figures(tenant, cid))["lifecycleStage"] for name, cid in members.items()}

    # Defaults: NEW ≤ 30 days since the first order, ACTIVE ≤ 90 days since the last, DORMANT ≤ 365.
    assert await stages_now() == {
        "lead": "LEAD",
        "new": "NEW",
        "active": "ACTIVE",
        "dormant": "ACTIVE",
        "churned": "ACTIVE",
    }
    changed = await settings(tenant, newDays=10, activeDays=20, churnDays=40)
    assert changed["lifecycle"] == {"newDays": 10, "activeDays": 20, "churnDays": 40}
    assert await stages_now() == {
        "lead": "LEAD",
        "new": "NEW",
        "active": "ACTIVE",
        "dormant": "DORMANT",
        "churned": "CHURNED",
    }
    assert (await summary(tenant, members["dormant"]))["lifecycleStage"] == "DORMANT"  # type: ignore[index]


@pytest.mark.parametrize(
    ("input_", "field"),
    [
        ({"newDays": 0}, "newDays"),
        ({"churnDays": 3651}, "churnDays"),
        ({"newDays": 100}, "activeDays"),
        ({"activeDays": 400}, "activeDays"),
    ],
)
async def test_lifecycle_thresholds_must_be_ordered(tenant: Tenant, input_: dict[str, int], field: str) -> None:
    data = await tenant.data(
        "mutation ($input: TenantSettingsInput!) { tenantSettingsUpdate(input: $input) { tenant { id } "
        f"{ERRORS} }} }}",
        {"input": input_},
    )
    assert ("INVALID", ["input", field]) in codes(data["tenantSettingsUpdate"]["userErrors"])
    lifecycle = (await tenant.data("{ tenant { lifecycle { newDays activeDays churnDays } } }"))["tenant"]
    assert lifecycle == {"lifecycle": {"newDays": 30, "activeDays": 90, "churnDays": 365}}


async def test_rfm_scores(tenant: Tenant, other_tenant: Tenant) -> None:
    shop = Shop(tenant)
    plan = {  # name: [(total, days ago), ...]
        "one big": [("300.00", 50)],
        "two small": [("5.00", 45), ("5.00", 40)],
        "three cheap": [("10.00", 35), ("10.00", 32), ("10.00", 30)],
        "three dear": [("20.00", 25), ("20.00", 22), ("20.00", 20)],
        "five": [("20.00", d) for d in (18, 16, 14, 12, 10)],
    }
    members: dict[str, str] = {}
    for name, orders in plan.items():
        members[name] = await customer(tenant, name)
        for amount, days in orders:
            await shop.buy(members[name], amount, days)
    # Ignored: orders in another currency, unpaid orders, customers without revenue, other tenants.
    await shop.buy(members["two small"], "9000.00", 1, currency="EUR")
    await shop.cancelled(members["one big"], "9000.00", 1)
    idle = await customer(tenant, "idle")
    await shop.buy(idle, "9000.00", 1, "PENDING")
    other_shop = Shop(other_tenant)
    for i in range(3):
        await other_shop.buy(await customer(other_tenant, f"x{i}"), "99999.00", 0.5)

    scores = {name: (await figures(tenant, cid))["rfm"] for name, cid in members.items()}
    # recency by last order; frequency by order count (3 and 3 tie: both at cume_dist 4/5); monetary by revenue.
    assert scores == {
        "one big": {"recency": 1, "frequency": 1, "monetary": 5},
        "two small": {"recency": 2, "frequency": 2, "monetary": 1},
        "three cheap": {"recency": 3, "frequency": 4, "monetary": 2},
        "three dear": {"recency": 4, "frequency": 4, "monetary": 3},
        "five": {"recency": 5, "frequency": 5, "monetary": 4},
    }
    assert (await figures(tenant, idle))["rfm"] is None


# --- customerSummary ------------------------------------------------------------------------------------------


async def test_customer_summary_equals_the_figures(rapport: App, tenant: Tenant) -> None:
    shop = Shop(tenant)
    await tier(tenant, "Silver", 1, "LIFETIME_SPEND", "50.00")
    member = await customer(tenant, "Summary Person")
    await shop.buy(member, "40.00", 40)
    await shop.buy(member, "20.55", 3, "DELIVERED")
    await create(
        tenant,
        "interactionCreate",
        "Interaction",
        {"customerId": member, "channel": "EMAIL", "direction": "OUTBOUND", "occurredAt": ago(4)},
    )
    await opportunity(tenant, member)
    await create(
        tenant, "serviceCaseCreate", "ServiceCase", {"customerId": member, "kind": "REPAIR", "subject": "Broken"}
    )
    await ledger(tenant, member, "POINTS", "EARN", "12.00")
    await ledger(tenant, member, "BALANCE", "TOP_UP", "3.50")
    numbers = (await figures(tenant, member))["figures"]
    await tenant.data("{ __typename }")  # warm the schema cache
    with rapport.sql.capture() as statements:
        found = await summary(tenant, member)
    assert len(statements) <= 3, statements
    assert found == {
        "id": member,
        "name": "Summary Person",
        "tier": "Silver",
        "lifecycleStage": numbers["lifecycleStage"],
        "currency": "USD",
        "lifetimeValue": "60.55",
        "orderCount": 2,
        "lastOrderAt": numbers["lastOrderAt"],
        "lastInteractionAt": numbers["lastInteractionAt"],
        "openOpportunities": 1,
        "openCases": 1,
        "points": "12.00",
        "balance": "3.50",
    }
    assert {
        k: numbers[k]
        for k in ("lifetimeValue", "orderCount", "openOpportunities", "openCases", "points", "balance", "currency")
    } == {
        k: found[k]
        for k in ("lifetimeValue", "orderCount", "openOpportunities", "openCases", "points", "balance", "currency")
    }
    assert numbers["tier"] == {"name": "Silver"}


async def test_customer_summary_of_nothing_is_null(tenant: Tenant, other_tenant: Tenant) -> None:
    theirs = await customer(other_tenant)
    gone = await customer(tenant)
    assert (await delete(tenant, "Customer", gone))["userErrors"] == []
    for id_ in (theirs, gone, global_id("Customer"), await product(tenant), "garbage"):
        assert await summary(tenant, id_) is None


# --- salesPerformance -----------------------------------------------------------------------------------------


async def test_sales_performance_by_owner_and_team(tenant: Tenant) -> None:
    admin = await tenant.token_for("ADMIN")
    north = (await create(tenant, "teamCreate", "Team", {"name": unique("North")}, token=admin))["id"]
    south = await team(tenant, unique("South"))
    u1, u2 = await user(tenant, "U1", team_id=north), await user(tenant, "U2", team_id=north)
    u3, u4 = await user(tenant, "U3", team_id=south), await user(tenant, "U4")
    by_name = await stages(tenant)
    buyer = await customer(tenant)
    soon = (dt.date.today() + dt.timedelta(days=7)).isoformat()
    late = (dt.date.today() + dt.timedelta(days=60)).isoformat()

    async def deal(owner: str, amount: str, stage: str | None = None, **fields: Any) -> None:
        made = await opportunity(tenant, buyer, amount=amount, ownerId=owner, **fields)
        if stage is not None:
            assert (await move(tenant, made, by_name[stage]["id"]))["userErrors"] == []

    await deal(u1, "1000.00", "Won")
    await deal(u1, "500.00", "Won", currency="EUR")
    await deal(u1, "70.00", "Lost")
    await deal(u1, "2000.00", expectedCloseDate=soon)  # Potential, 10 %
    await deal(u1, "300.00", expectedCloseDate=late)  # outside the period
    await deal(u2, "250.50", "Won")
    await deal(u2, "1.00", "Lost")
    await deal(u2, "2.00", "Lost")
    await deal(u2, "1000.00", "Proposal", expectedCloseDate=soon)  # 60 %
    await deal(u3, "10.00", "Lost")
    await deal(u4, "100.00", "Won")
    for owner, made, converted in ((u1, 2, 1), (u3, 3, 1)):
        for i in range(made):
            prospect = await lead(tenant, f"Lead {i}", ownerId=owner)
            if i < converted:
                data = await tenant.data(
                    f"mutation ($id: ID!) {{ leadConvert(id: $id) {{ {ERRORS} }} }}", {"id": prospect["id"]}
                )
                assert data["leadConvert"]["userErrors"] == []
    for owner in (u2, u2, u3):
        await create(
            tenant,
            "interactionCreate",
            "Interaction",
            {"customerId": buyer, "channel": "CHAT", "direction": "INBOUND", "ownerId": owner},
        )

    period = {"from": ago(1), "to": ago(-30)}
    rows = (await tenant.data(PERFORMANCE, {**period, "by": "OWNER"}))["salesPerformance"]
    by_owner = {r["owner"]["id"]: r for r in rows}
    assert set(by_owner) == {u1, u2, u3, u4}
    assert all(r["currency"] == "USD" for r in rows)
    fields = (
        "wonCount",
        "wonAmount",
        "lostCount",
        "winRate",
        "openPipelineAmount",
        "weightedForecast",
        "leadsCreated",
        "leadsConverted",
        "leadConversionRate",
        "interactionCount",
    )

    def pick(row: dict[str, Any]) -> tuple[Any, ...]:
        return tuple(row[f] for f in fields)

    assert pick(by_owner[u1]) == (2, "1000.00", 1, 0.6667, "2000.00", "200.00", 2, 1, 0.5, 0)
    assert pick(by_owner[u2]) == (1, "250.50", 2, 0.3333, "1000.00", "600.00", 0, 0, None, 2)
    assert pick(by_owner[u3]) == (0, "0.00", 1, 0.0, "0.00", "0.00", 3, 1, 0.3333, 1)
    assert pick(by_owner[u4]) == (1, "100.00", 0, 1.0, "0.00", "0.00", 0, 0, None, 0)
    assert [by_owner[u]["team"] for u in (u1, u2, u3, u4)] == [{"id": north}, {"id": north}, {"id": south}, None]

    teams = (await tenant.data(PERFORMANCE, {**period, "by": "TEAM"}))["salesPerformance"]
    by_team = {r["team"]["id"]: r for r in teams}
    assert set(by_team) == {north, south}  # U4 has no team
    assert all(r["owner"] is None for r in teams)
    assert pick(by_team[north]) == (3, "1250.50", 3, 0.5, "3000.00", "800.00", 2, 1, 0.5, 2)
    assert pick(by_team[south]) == pick(by_owner[u3])

    # Nothing closed, created or happened in a period in the past.
    past = (await tenant.data(PERFORMANCE, {"from": ago(30), "to": ago(20), "by": "OWNER"}))["salesPerformance"]
    assert past == []


async def test_sales_performance_refuses_bad_periods(tenant: Tenant) -> None:
    body = await tenant.gql(PERFORMANCE, {"from": ago(0), "to": ago(1), "by": "OWNER"})
    assert body["data"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["BAD_USER_INPUT"]


async def test_concurrent_settings_changes_all_land(tenant: Tenant) -> None:
    for i in range(6):
        currency, sources = ("EUR", "CNY")[i % 2], [f"source {i}"]
        await asyncio.gather(
            tenant.post(SETTINGS, {"input": {"currency": currency}}),
            tenant.post(SETTINGS, {"input": {"leadSources": sources}}),
            tenant.post(SETTINGS, {"input": {"churnDays": 400 + i}}),
        )
        found = (await tenant.data("{ tenant { currency leadSources lifecycle { churnDays } } }"))["tenant"]
        assert found == {"currency": currency, "leadSources": sources, "lifecycle": {"churnDays": 400 + i}}
