"""Orders with their line items and shipment tracking events. Totals are computed by the server."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid

from sqlalchemy import CheckConstraint, ForeignKeyConstraint, Index, Numeric, func
from sqlalchemy.orm import Mapped, mapped_column

from rapport.models.base import Base, Customizable, TenantScoped, Timestamped, Versioned

MONEY = Numeric(18, 2)
ORDER_STATUSES = ("PENDING", "PAID", "SHIPPED", "DELIVERED", "COMPLETED", "CANCELLED", "REFUNDED")


class Order(TenantScoped, Timestamped, Versioned, Customizable, Base):
    __tablename__ = "orders"
    __table_args__ = (
        Index("ix_orders_tenant_id_created_at_id", "tenant_id", "created_at", "id"),
        ForeignKeyConstraint(["tenant_id", "customer_id"], ["customers.tenant_id", "customers.id"]),
        Index("uq_orders_tenant_id_order_number", "tenant_id", "order_number", unique=True),
        # Serves a customer's orders newest first, and the per-customer figures.
        Index("ix_orders_tenant_id_customer_id_ordered_at", "tenant_id", "customer_id", "ordered_at"),
        Index("ix_orders_tenant_id_ordered_at", "tenant_id", "ordered_at"),
        CheckConstraint(
            "status IN ('PENDING', 'PAID', 'SHIPPED', 'DELIVERED', 'COMPLETED', 'CANCELLED', 'REFUNDED')",
            name="status",
        ),
        CheckConstraint("total >= 0 AND subtotal >= 0 AND discount_total >= 0", name="totals"),
        Index("ix_orders_custom", "custom", postgresql_using="gin", postgresql_ops={"custom": "jsonb_path_ops"}),
    )

    order_number: Mapped[str]
    customer_id: Mapped[uuid.UUID]
    status: Mapped[str] = mapped_column(server_default="PENDING")
    ordered_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())
    paid_at: Mapped[dt.datetime | None]
    payment_method: Mapped[str | None]
    currency: Mapped[str]
    subtotal: Mapped[decimal.Decimal] = mapped_column(MONEY, server_default="0")
    discount_total: Mapped[decimal.Decimal] = mapped_column(MONEY, server_default="0")
    total: Mapped[decimal.Decimal] = mapped_column(MONEY, server_default="0")
    recipient_name: Mapped[str | None]
    recipient_phone: Mapped[str | None]
    recipient_country: Mapped[str | None]
    recipient_region: Mapped[str | None]
    recipient_city: Mapped[str | None]
    recipient_street: Mapped[str | None]
    recipient_postal_code: Mapped[str | None]
    carrier: Mapped[str | None]
    tracking_number: Mapped[str | None]
    shipping_status: Mapped[str | None]
    deleted_at: Mapped[dt.datetime | None]


class OrderItem(TenantScoped, Base):
    __tablename__ = "order_items"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "order_id"], ["orders.tenant_id", "orders.id"]),
        ForeignKeyConstraint(["tenant_id", "product_id"], ["products.tenant_id", "products.id"]),
        Index("ix_order_items_tenant_id_order_id_position", "tenant_id", "order_id", "position"),
        Index("ix_order_items_tenant_id_product_id", "tenant_id", "product_id"),
        CheckConstraint("quantity > 0", name="quantity"),
        CheckConstraint("unit_price >= 0 AND discount >= 0 AND discount <= unit_price * quantity", name="amounts"),
    )

    order_id: Mapped[uuid.UUID]
    position: Mapped[int]
    product_id: Mapped[uuid.UUID]
    quantity: Mapped[int]
    unit_price: Mapped[decimal.Decimal] = mapped_column(MONEY)
    discount: Mapped[decimal.Decimal] = mapped_column(MONEY, server_default="0")
    line_total: Mapped[decimal.Decimal] = mapped_column(MONEY)


class ShipmentEvent(TenantScoped, Base):
    """Append-only tracking history of an order's shipment."""

    __tablename__ = "shipment_events"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "order_id"], ["orders.tenant_id", "orders.id"]),
        Index("ix_shipment_events_tenant_id_order_id_occurred_at", "tenant_id", "order_id", "occurred_at"),
    )

    order_id: Mapped[uuid.UUID]
    status: Mapped[str]
    occurred_at: Mapped[dt.datetime]
    location: Mapped[str | None]
    note: Mapped[str | None]
