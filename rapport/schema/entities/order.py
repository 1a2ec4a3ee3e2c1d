"""Orders (订单), their line items and shipment events."""

from __future__ import annotations

import datetime as dt
import decimal

import strawberry

from rapport.models import Order, OrderItem, ShipmentEvent, table_of
from rapport.schema.declarations import Children, Column, Computed, Entity, Input, Items, Reference
from rapport.schema.entities.address import Address, AddressInput, address_columns, address_of, address_parts
from rapport.schema.entities.common import TIMESTAMPS
from rapport.schema.enums import OrderStatus, OrderStatusFilter
from rapport.schema.filters import DateTimeFilter, DecimalFilter, StringFilter
from rapport.validation import currency_code, enum_value, instant, normalise_phone, text


@strawberry.input(description="A line of an order. The unit price defaults to the product's list price.")
class OrderItemInput:
    product_id: strawberry.ID = strawberry.field(description="The product.")
    quantity: int = strawberry.field(description="How many (1 to 100,000).")
    unit_price: decimal.Decimal | None = strawberry.field(default=None, description="Price per unit (≥ 0).")
    discount: decimal.Decimal | None = strawberry.field(
        default=None, description="Discount on the whole line (≥ 0, at most the line's value)."
    )


ORDER = Entity(
    name="Order",
    table=table_of(Order),
    description="A customer's order. Totals are computed by the server from the lines, exactly (no floats).",
    custom_entity="ORDER",
    root_field="orders",
    fields=(
        Column("order_number", str, "Unique in the tenant; generated when not given.", filter=StringFilter, sort=True),
        Column("status", OrderStatus, "Where the order stands.", filter=OrderStatusFilter, sort=True),
        Column("ordered_at", dt.datetime, "When the order was placed.", filter=DateTimeFilter, sort=True),
        Column("paid_at", dt.datetime | None, "When it was paid.", filter=DateTimeFilter, sort=True),
        Column(
            "payment_method",
            str | None,
            "How it was paid (e.g. card, alipay, wechat_pay, transfer).",
            filter=StringFilter,
        ),
        Column("currency", str, "ISO 4217 currency of all amounts.", filter=StringFilter),
        Column("subtotal", decimal.Decimal, "Sum of quantity x unit price over the lines."),
        Column("discount_total", decimal.Decimal, "Sum of the lines' discounts."),
        Column("total", decimal.Decimal, "subtotal - discount_total.", filter=DecimalFilter, sort=True),
        Column("recipient_name", str | None, "Who receives the shipment."),
        Column("recipient_phone", str | None, "Recipient's phone (E.164)."),
        Computed(
            "recipient_address",
            Address | None,
            "Where the shipment goes.",
            address_of("recipient"),
            address_parts("recipient"),
        ),
        Column("carrier", str | None, "Shipping carrier."),
        Column("tracking_number", str | None, "Carrier's tracking number.", filter=StringFilter),
        Column(
            "shipping_status", str | None, "Latest shipment status (from the tracking events).", filter=StringFilter
        ),
        Reference("customer", "Customer", "customer_id", "Who placed the order.", required=True),
        Items("items", "OrderItem", "order_id", "The order's lines, in order.", order=("position", "id")),
        Items(
            "shipment_events",
            "ShipmentEvent",
            "order_id",
            "Tracking history, oldest first.",
            order=("occurred_at", "id"),
        ),
        Children("cases", "ServiceCase", "order_id", "Service cases about this order."),
        Children("interactions", "Interaction", "order_id", "Interactions about this order."),
        Children("feedback", "Feedback", "order_id", "Feedback about this order."),
        *TIMESTAMPS,
    ),
    inputs=(
        Input(
            "customer_id", strawberry.ID, "Who placed the order.", required=True, reference="Customer", nullable=False
        ),
        Input(
            "items", list[OrderItemInput] | None, "The lines (replaced as a whole; only while PENDING).", virtual=True
        ),
        Input(
            "order_number",
            str | None,
            "Unique in the tenant; generated when not given.",
            parse=text(64),
            nullable=False,
        ),
        Input(
            "currency",
            str | None,
            "ISO 4217 code; default: the tenant's currency.",
            parse=currency_code,
            nullable=False,
        ),
        Input(
            "status",
            OrderStatus | None,
            "New status; only allowed transitions are accepted.",
            parse=enum_value,
            nullable=False,
        ),
        Input(
            "ordered_at", dt.datetime | None, "When the order was placed (default: now).", parse=instant, nullable=False
        ),
        Input("payment_method", str | None, "How it was paid.", parse=text(50)),
        Input("recipient_name", str | None, "Who receives the shipment.", parse=text(200)),
        Input("recipient_phone", str | None, "Recipient's phone.", parse=normalise_phone),
        Input(
            "recipient_address", AddressInput | None, "Where the shipment goes.", expand=address_columns("recipient")
        ),
        Input("carrier", str | None, "Shipping carrier.", parse=text(100)),
        Input("tracking_number", str | None, "Carrier's tracking number.", parse=text(100)),
    ),
)

ORDER_ITEM = Entity(
    name="OrderItem",
    table=table_of(OrderItem),
    description="A line of an order.",
    soft_delete=False,
    fields=(
        Column("position", int, "Order of the line within the order."),
        Column("quantity", int, "How many."),
        Column("unit_price", decimal.Decimal, "Price per unit."),
        Column("discount", decimal.Decimal, "Discount on the whole line."),
        Column("line_total", decimal.Decimal, "quantity x unit price - discount."),
        Reference("product", "Product", "product_id", "The product.", required=True),
        Reference("order", "Order", "order_id", "The order.", required=True),
    ),
)

SHIPMENT_EVENT = Entity(
    name="ShipmentEvent",
    table=table_of(ShipmentEvent),
    description="A step in an order's delivery (picked up, in transit, delivered, ...).",
    soft_delete=False,
    fields=(
        Column("status", str, "What happened, e.g. IN_TRANSIT."),
        Column("occurred_at", dt.datetime, "When it happened.", sort=True),
        Column("location", str | None, "Where it happened."),
        Column("note", str | None, "Carrier's remark."),
        Reference("order", "Order", "order_id", "The order.", required=True),
    ),
)
