"""Orders over the API: exact totals, default prices, order numbers, status transitions, line rules and the
shipment tracking history."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from rapport.resolvers.mutations import order as order_rules
from tests.conftest import Tenant
from tests.domain.helpers import (
    ERRORS,
    ORDER_FIELDS,
    attempt,
    codes,
    customer,
    delete,
    global_id,
    line,
    node,
    order,
    product,
    update,
)

COUNT = "{ orders(first: 1) { totalCount } }"

SHIP = f"""mutation ($id: ID!, $input: ShipmentEventInput!) {{ orderAddShipmentEvent(orderId: $id, input: $input) {{
  order {{ id status shippingStatus version shipmentEvents {{ status occurredAt location note }} }}
  shipmentEvent {{ id status occurredAt location }} {ERRORS} }} }}"""


async def order_count(tenant: Tenant) -> int:
    value: int = (await tenant.data(COUNT))["orders"]["totalCount"]
    return value


async def set_status(tenant: Tenant, made: dict[str, Any], status: str) -> dict[str, Any]:
    return await update(tenant, "Order", made["id"], {"status": status}, made["version"], ORDER_FIELDS)


async def ship(
    tenant: Tenant, order_id: str, status: str, occurred_at: str | None = None, **fields: Any
) -> dict[str, Any]:
    event = {"status": status, **fields}
    if occurred_at is not None:
        event["occurredAt"] = occurred_at
    payload: dict[str, Any] = (await tenant.data(SHIP, {"id": order_id, "input": event}))["orderAddShipmentEvent"]
    return payload


# --- totals ---------------------------------------------------------------------------------------------------


async def test_totals_are_exact_decimals(tenant: Tenant) -> None:
    buyer = await customer(tenant)
    dime, twenty = await product(tenant, "0.10"), await product(tenant, "0.20")
    thirds, odd = await product(tenant, "1.00"), await product(tenant, "5.00")
    made = await order(
        tenant,
        buyer,
        [
            line(dime),
            line(twenty),
            line(thirds, 3, unit_price="33.33", discount="0.99"),
            line(odd, 7, unit_price="19.99", discount="10.00"),
        ],
    )
    # 0.10 + 0.20 + 3 * 33.33 + 7 * 19.99 = 0.30 + 99.99 + 139.93
    assert made["subtotal"] == "240.22"
    assert made["discountTotal"] == "10.99"
    assert made["total"] == "229.23"
    assert made["currency"] == "USD"
    assert made["status"] == "PENDING"
    assert made["paidAt"] is None
    items = made["items"]
    assert [i["position"] for i in items] == [1, 2, 3, 4]
    assert [i["unitPrice"] for i in items] == ["0.10", "0.20", "33.33", "19.99"]
    assert [i["discount"] for i in items] == ["0.00", "0.00", "0.99", "10.00"]
    assert [i["lineTotal"] for i in items] == ["0.10", "0.20", "99.00", "129.93"]
    assert [i["product"]["id"] for i in items] == [dime, twenty, thirds, odd]
    # The same figures when read back.
    stored = await node(tenant, made["id"], "subtotal discountTotal total items { lineTotal }")
    assert stored == {
        "subtotal": "240.22",
        "discountTotal": "10.99",
        "total": "229.23",
        "items": [{"lineTotal": t} for t in ("0.10", "0.20", "99.00", "129.93")],
    }


async def test_a_discount_may_take_the_whole_line(tenant: Tenant) -> None:
    buyer, item = await customer(tenant), await product(tenant, "33.33")
    made = await order(tenant, buyer, [line(item, 3, discount="99.99"), line(item, 1)])
    assert (made["subtotal"], made["discountTotal"], made["total"]) == ("133.32", "99.99", "33.33")
    assert made["items"][0]["lineTotal"] == "0.00"


async def test_unit_price_defaults_to_the_products_list_price(tenant: Tenant) -> None:
    buyer, item = await customer(tenant), await product(tenant, "12.34")
    made = await order(tenant, buyer, [line(item, 2), line(item, 1, unit_price="0.00")])
    assert [i["unitPrice"] for i in made["items"]] == ["12.34", "0.00"]
    assert made["total"] == "24.68"


async def test_a_product_priced_in_another_currency_needs_a_unit_price(tenant: Tenant) -> None:
    buyer, euro = await customer(tenant), await product(tenant, "9.99", currency="EUR")
    refused = await attempt(tenant, "orderCreate", "Order", {"customerId": buyer, "items": [line(euro)]})
    assert codes(refused["userErrors"]) == [("INVALID", ["input", "items", "0", "unitPrice"])]
    made = await order(tenant, buyer, [line(euro, 1, unit_price="11.00")])
    assert made["total"] == "11.00"
    assert made["currency"] == "USD"


async def test_an_inactive_product_cannot_be_ordered(tenant: Tenant) -> None:
    buyer, retired = await customer(tenant), await product(tenant, "5.00", active=False)
    refused = await attempt(tenant, "orderCreate", "Order", {"customerId": buyer, "items": [line(retired)]})
    assert codes(refused["userErrors"]) == [("INVALID_STATE", ["input", "items", "0", "productId"])]
    assert await order_count(tenant) == 0


# --- order numbers --------------------------------------------------------------------------------------------


async def test_order_numbers_are_generated_and_unique(tenant: Tenant) -> None:
    buyer, item = await customer(tenant), await product(tenant)
    numbers = {(await order(tenant, buyer, [line(item)]))["orderNumber"] for _ in range(10)}
    assert len(numbers) == 10
    today = dt.datetime.now(dt.UTC).strftime("%Y%m%d")
    assert all(re.fullmatch(rf"SO-{today}-[0-9A-F]{{8}}", n) for n in numbers), numbers


async def test_a_generated_number_never_clashes(tenant: Tenant, monkeypatch: pytest.MonkeyPatch) -> None:
    buyer, item = await customer(tenant), await product(tenant)
    taken = await order(tenant, buyer, [line(item)], orderNumber="SO-CLASH-1")
    deleted = await order(tenant, buyer, [line(item)], orderNumber="SO-CLASH-2")
    assert (await delete(tenant, "Order", deleted["id"]))["userErrors"] == []
    # The generator repeats numbers already used (also by a deleted order) before finding a free one.
    sequence = iter([taken["orderNumber"], "SO-CLASH-2", "SO-CLASH-3"])
    monkeypatch.setattr(order_rules, "order_number", lambda: next(sequence))
    made = await order(tenant, buyer, [line(item)])
    assert made["orderNumber"] == "SO-CLASH-3"


async def test_a_given_order_number_is_kept_and_a_duplicate_refused(tenant: Tenant) -> None:
    buyer, item = await customer(tenant), await product(tenant)
    made = await order(tenant, buyer, [line(item)], orderNumber="  WEB-1001 ")
    assert made["orderNumber"] == "WEB-1001"
    again = await attempt(
        tenant, "orderCreate", "Order", {"customerId": buyer, "items": [line(item)], "orderNumber": "WEB-1001"}
    )
    assert again["order"] is None
    assert codes(again["userErrors"]) == [("DUPLICATE", ["input", "orderNumber"])]
    other = await order(tenant, buyer, [line(item)])
    renamed = await update(tenant, "Order", other["id"], {"orderNumber": "WEB-1001"}, other["version"])
    assert codes(renamed["userErrors"]) == [("DUPLICATE", ["input", "orderNumber"])]
    assert await order_count(tenant) == 2


async def test_order_numbers_are_per_tenant(tenant: Tenant, other_tenant: Tenant) -> None:
    for t in (tenant, other_tenant):
        made = await order(t, await customer(t), [line(await product(t))], orderNumber="SAME-1")
        assert made["orderNumber"] == "SAME-1"


# --- status -------------------------------------------------------------------------------------------------

# The allowed transitions, written out by hand (the contract), and a path from PENDING to each status.
ALLOWED = {
    "PENDING": {"PAID", "CANCELLED"},
    "PAID": {"SHIPPED", "COMPLETED", "REFUNDED"},
    "SHIPPED": {"DELIVERED", "REFUNDED"},
    "DELIVERED": {"COMPLETED", "REFUNDED"},
    "COMPLETED": {"REFUNDED"},
    "CANCELLED": set(),
    "REFUNDED": set(),
}
PATH = {
    "PENDING": [],
    "PAID": ["PAID"],
    "SHIPPED": ["PAID", "SHIPPED"],
    "DELIVERED": ["PAID", "SHIPPED", "DELIVERED"],
    "COMPLETED": ["PAID", "COMPLETED"],
    "CANCELLED": ["CANCELLED"],
    "REFUNDED": ["PAID", "REFUNDED"],
}


@pytest.mark.parametrize("source", list(ALLOWED))
async def test_status_transitions(tenant: Tenant, source: str) -> None:
    buyer, item = await customer(tenant), await product(tenant)
    for target in ALLOWED:
        if target == source:
            continue
        made = await order(tenant, buyer, [line(item)])
        for step in PATH[source]:
            payload = await set_status(tenant, made, step)
            assert payload["userErrors"] == [], (step, payload)
            made = payload["order"]
        assert made["status"] == source
        payload = await set_status(tenant, made, target)
        if target in ALLOWED[source]:
            assert payload["userErrors"] == [], (source, target)
            assert payload["order"]["status"] == target
            assert payload["order"]["version"] == made["version"] + 1
        else:
            assert codes(payload["userErrors"]) == [("INVALID_STATE", ["input", "status"])], (source, target)
            assert (await node(tenant, made["id"], "status version")) == {"status": source, "version": made["version"]}


async def test_setting_the_same_status_again_is_not_a_transition(tenant: Tenant) -> None:
    made = await order(tenant, await customer(tenant), [line(await product(tenant))], status="PAID")
    payload = await set_status(tenant, made, "PAID")
    assert payload["userErrors"] == []
    assert payload["order"]["paidAt"] == made["paidAt"]


@pytest.mark.parametrize("status", ["SHIPPED", "DELIVERED", "COMPLETED", "CANCELLED", "REFUNDED"])
async def test_a_new_order_is_pending_or_paid(tenant: Tenant, status: str) -> None:
    buyer, item = await customer(tenant), await product(tenant)
    refused = await attempt(
        tenant, "orderCreate", "Order", {"customerId": buyer, "items": [line(item)], "status": status}
    )
    assert codes(refused["userErrors"]) == [("INVALID_STATE", ["input", "status"])]
    assert await order_count(tenant) == 0


async def test_paid_at_is_set_when_paid(tenant: Tenant) -> None:
    buyer, item = await customer(tenant), await product(tenant)
    before = dt.datetime.now(dt.UTC)
    paid = await order(tenant, buyer, [line(item)], status="PAID")
    assert paid["paidAt"] is not None
    assert dt.datetime.fromisoformat(paid["paidAt"]) >= before - dt.timedelta(seconds=1)
    pending = await order(tenant, buyer, [line(item)])
    assert pending["paidAt"] is None
    later = (await set_status(tenant, pending, "PAID"))["order"]
    assert later["paidAt"] is not None
    assert dt.datetime.fromisoformat(later["paidAt"]) >= dt.datetime.fromisoformat(paid["paidAt"])
    # Moving on keeps the payment time.
    shipped = (await set_status(tenant, later, "SHIPPED"))["order"]
    assert shipped["paidAt"] == later["paidAt"]


async def test_customer_and_currency_of_an_order_cannot_change(tenant: Tenant) -> None:
    buyer, other, item = await customer(tenant), await customer(tenant, "Other"), await product(tenant)
    made = await order(tenant, buyer, [line(item)])
    moved = await update(tenant, "Order", made["id"], {"customerId": other}, made["version"])
    assert codes(moved["userErrors"]) == [("INVALID_STATE", ["input", "customerId"])]
    recurrency = await update(tenant, "Order", made["id"], {"currency": "EUR"}, made["version"])
    assert codes(recurrency["userErrors"]) == [("INVALID_STATE", ["input", "currency"])]


async def test_a_stale_version_is_a_conflict(tenant: Tenant) -> None:
    made = await order(tenant, await customer(tenant), [line(await product(tenant))])
    assert (await set_status(tenant, made, "PAID"))["userErrors"] == []
    stale = await set_status(tenant, made, "CANCELLED")
    assert codes(stale["userErrors"]) == [("CONFLICT", ["expectedVersion"])]


# --- lines --------------------------------------------------------------------------------------------------


async def test_lines_are_replaced_while_pending(tenant: Tenant) -> None:
    buyer, a, b = await customer(tenant), await product(tenant, "2.50"), await product(tenant, "0.01")
    made = await order(tenant, buyer, [line(a, 2), line(b, 3)])
    assert made["total"] == "5.03"
    payload = await update(
        tenant, "Order", made["id"], {"items": [line(b, 7, discount="0.02")]}, made["version"], ORDER_FIELDS
    )
    assert payload["userErrors"] == []
    changed = payload["order"]
    assert [(i["product"]["id"], i["quantity"], i["position"]) for i in changed["items"]] == [(b, 7, 1)]
    assert (changed["subtotal"], changed["discountTotal"], changed["total"]) == ("0.07", "0.02", "0.05")
    assert changed["version"] == made["version"] + 1
    stored = await node(tenant, made["id"], "total items { quantity }")
    assert stored == {"total": "0.05", "items": [{"quantity": 7}]}


async def test_lines_are_frozen_once_paid(tenant: Tenant) -> None:
    buyer, a = await customer(tenant), await product(tenant, "2.50")
    made = await order(tenant, buyer, [line(a, 2)], status="PAID")
    payload = await update(tenant, "Order", made["id"], {"items": [line(a, 1)]}, made["version"])
    assert codes(payload["userErrors"]) == [("INVALID_STATE", ["input", "items"])]
    stored = await node(tenant, made["id"], "total version items { quantity }")
    assert stored == {"total": "5.00", "version": made["version"], "items": [{"quantity": 2}]}


async def test_lines_may_change_in_the_update_that_pays(tenant: Tenant) -> None:
    buyer, a = await customer(tenant), await product(tenant, "2.50")
    made = await order(tenant, buyer, [line(a, 2)])
    payload = await update(
        tenant, "Order", made["id"], {"items": [line(a, 4)], "status": "PAID"}, made["version"], ORDER_FIELDS
    )
    assert payload["userErrors"] == []
    assert (payload["order"]["status"], payload["order"]["total"]) == ("PAID", "10.00")


async def test_a_product_of_another_tenant_is_not_found(tenant: Tenant, other_tenant: Tenant) -> None:
    buyer, own = await customer(tenant), await product(tenant)
    foreign = await product(other_tenant)
    refused = await attempt(tenant, "orderCreate", "Order", {"customerId": buyer, "items": [line(own), line(foreign)]})
    assert refused["order"] is None
    assert codes(refused["userErrors"]) == [("NOT_FOUND", ["input", "items", "1", "productId"])]
    assert await order_count(tenant) == 0
    assert await order_count(other_tenant) == 0


@pytest.mark.parametrize(
    ("bad", "error"),
    [
        ({"quantity": 0}, ("INVALID", "quantity")),
        ({"quantity": -3}, ("INVALID", "quantity")),
        ({"quantity": 100_001}, ("INVALID", "quantity")),
        ({"quantity": 2, "discount": "20.01"}, ("TOO_LARGE", "discount")),
        ({"discount": "-0.01"}, ("TOO_SMALL", "discount")),
        ({"unitPrice": "-1.00"}, ("TOO_SMALL", "unitPrice")),
        ({"unitPrice": "1.005"}, ("INVALID", "unitPrice")),
        ({"unitPrice": "NaN"}, ("INVALID", "unitPrice")),
        ({"productId": "not-an-id"}, ("NOT_FOUND", "productId")),
        ({"productId": global_id("Product")}, ("NOT_FOUND", "productId")),
    ],
)
async def test_a_bad_line_is_reported_at_its_path(tenant: Tenant, bad: dict[str, Any], error: tuple[str, str]) -> None:
    buyer, item = await customer(tenant), await product(tenant, "10.00")
    items = [line(item), {**line(item), **bad}]
    refused = await attempt(tenant, "orderCreate", "Order", {"customerId": buyer, "items": items})
    assert refused["order"] is None
    assert codes(refused["userErrors"]) == [(error[0], ["input", "items", "1", error[1]])]
    assert await order_count(tenant) == 0


async def test_a_customer_id_is_not_a_product_id(tenant: Tenant) -> None:
    buyer = await customer(tenant)
    refused = await attempt(tenant, "orderCreate", "Order", {"customerId": buyer, "items": [line(buyer)]})
    assert codes(refused["userErrors"]) == [("NOT_FOUND", ["input", "items", "0", "productId"])]


async def test_every_bad_line_is_reported(tenant: Tenant) -> None:
    buyer, item = await customer(tenant), await product(tenant, "1.00")
    items = [line(item, 0), line(item), line(item, 1, discount="1.01")]
    refused = await attempt(tenant, "orderCreate", "Order", {"customerId": buyer, "items": items})
    assert codes(refused["userErrors"]) == [
        ("INVALID", ["input", "items", "0", "quantity"]),
        ("TOO_LARGE", ["input", "items", "2", "discount"]),
    ]


async def test_an_order_needs_lines(tenant: Tenant) -> None:
    buyer = await customer(tenant)
    for input_ in ({"customerId": buyer}, {"customerId": buyer, "items": []}):
        refused = await attempt(tenant, "orderCreate", "Order", input_)
        assert codes(refused["userErrors"]) == [("REQUIRED", ["input", "items"])]
    made = await order(tenant, buyer, [line(await product(tenant))])
    emptied = await update(tenant, "Order", made["id"], {"items": []}, made["version"])
    assert codes(emptied["userErrors"]) == [("REQUIRED", ["input", "items"])]
    assert await order_count(tenant) == 1


# --- shipment tracking ------------------------------------------------------------------------------------------


async def test_shipping_status_follows_the_latest_event(tenant: Tenant) -> None:
    made = await order(tenant, await customer(tenant), [line(await product(tenant))], status="PAID")
    first = await ship(tenant, made["id"], "in transit", "2024-05-02T10:00:00+08:00", location="Shanghai")
    assert first["userErrors"] == []
    assert first["order"]["shippingStatus"] == "IN_TRANSIT"
    assert first["shipmentEvent"]["location"] == "Shanghai"
    assert first["shipmentEvent"]["occurredAt"] == "2024-05-02T02:00:00.000000Z"
    # An older event arriving late does not move the status back.
    late = await ship(tenant, made["id"], "PICKED_UP", "2024-05-01T09:00:00Z")
    assert late["order"]["shippingStatus"] == "IN_TRANSIT"
    done = await ship(tenant, made["id"], "DELIVERED", "2024-05-03T09:00:00Z")
    assert done["order"]["shippingStatus"] == "DELIVERED"
    assert [e["status"] for e in done["order"]["shipmentEvents"]] == ["PICKED_UP", "IN_TRANSIT", "DELIVERED"]
    # Each event is a change of the order.
    assert done["order"]["version"] == made["version"] + 3
    assert done["order"]["status"] == "PAID"


async def test_an_event_without_a_time_happens_now(tenant: Tenant) -> None:
    made = await order(tenant, await customer(tenant), [line(await product(tenant))], status="PAID")
    await ship(tenant, made["id"], "LABEL_CREATED", "2999-01-01T00:00:00Z")
    payload = await ship(tenant, made["id"], "PICKED_UP")
    occurred = dt.datetime.fromisoformat(payload["shipmentEvent"]["occurredAt"])
    assert abs(occurred - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=1)
    assert payload["order"]["shippingStatus"] == "LABEL_CREATED"  # the future event is still the latest


@pytest.mark.parametrize("status", ["PENDING", "CANCELLED"])
async def test_unshipped_orders_take_no_events(tenant: Tenant, status: str) -> None:
    made = await order(tenant, await customer(tenant), [line(await product(tenant))])
    if status == "CANCELLED":
        made = (await set_status(tenant, made, "CANCELLED"))["order"]
    payload = await ship(tenant, made["id"], "IN_TRANSIT")
    assert payload["order"] is None
    assert codes(payload["userErrors"]) == [("INVALID_STATE", ["orderId"])]
    stored = await node(tenant, made["id"], "shippingStatus version shipmentEvents { status }")
    assert stored == {"shippingStatus": None, "version": made["version"], "shipmentEvents": []}


async def test_a_shipment_event_needs_a_status_and_a_real_order(tenant: Tenant) -> None:
    made = await order(tenant, await customer(tenant), [line(await product(tenant))], status="PAID")
    blank = await ship(tenant, made["id"], "   ")
    assert codes(blank["userErrors"]) == [("REQUIRED", ["input", "status"])]
    long_note = await ship(tenant, made["id"], "IN_TRANSIT", note="x" * 1001)
    assert codes(long_note["userErrors"]) == [("TOO_LONG", ["input", "note"])]
    missing = await ship(tenant, global_id("Order"), "IN_TRANSIT")
    assert codes(missing["userErrors"]) == [("NOT_FOUND", ["orderId"])]
    assert (await node(tenant, made["id"], "shipmentEvents { status }")) == {"shipmentEvents": []}
