"""After-sales service cases: returns, exchanges, repairs, complaints, inquiries."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import CheckConstraint, ForeignKeyConstraint, Index, func
from sqlalchemy.orm import Mapped, mapped_column

from rapport.models.base import Base, Customizable, TenantScoped, Timestamped, Versioned


class ServiceCase(TenantScoped, Timestamped, Versioned, Customizable, Base):
    __tablename__ = "service_cases"
    __table_args__ = (
        Index("ix_service_cases_tenant_id_created_at_id", "tenant_id", "created_at", "id"),
        Index("ix_service_cases_tenant_id_order_id_id", "tenant_id", "order_id", "id"),
        ForeignKeyConstraint(["tenant_id", "customer_id"], ["customers.tenant_id", "customers.id"]),
        ForeignKeyConstraint(["tenant_id", "order_id"], ["orders.tenant_id", "orders.id"]),
        ForeignKeyConstraint(["tenant_id", "order_item_id"], ["order_items.tenant_id", "order_items.id"]),
        ForeignKeyConstraint(["tenant_id", "assignee_id"], ["users.tenant_id", "users.id"]),
        CheckConstraint("kind IN ('RETURN', 'EXCHANGE', 'REPAIR', 'COMPLAINT', 'INQUIRY')", name="kind"),
        CheckConstraint(
            "status IN ('OPEN', 'IN_PROGRESS', 'WAITING_ON_CUSTOMER', 'RESOLVED', 'CLOSED')", name="status"
        ),
        CheckConstraint("priority IN ('LOW', 'NORMAL', 'HIGH', 'URGENT')", name="priority"),
        Index("ix_service_cases_tenant_id_customer_id_id", "tenant_id", "customer_id", "id"),
        Index("ix_service_cases_tenant_id_status", "tenant_id", "status"),
        Index("ix_service_cases_tenant_id_order_item_id", "tenant_id", "order_item_id"),
        Index("ix_service_cases_tenant_id_assignee_id", "tenant_id", "assignee_id"),
        Index("ix_service_cases_custom", "custom", postgresql_using="gin", postgresql_ops={"custom": "jsonb_path_ops"}),
    )

    customer_id: Mapped[uuid.UUID]
    order_id: Mapped[uuid.UUID | None]
    order_item_id: Mapped[uuid.UUID | None]
    kind: Mapped[str]
    status: Mapped[str] = mapped_column(server_default="OPEN")
    priority: Mapped[str] = mapped_column(server_default="NORMAL")
    subject: Mapped[str]
    description: Mapped[str | None]
    resolution: Mapped[str | None]
    assignee_id: Mapped[uuid.UUID | None]
    opened_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())
    resolved_at: Mapped[dt.datetime | None]
    closed_at: Mapped[dt.datetime | None]
    deleted_at: Mapped[dt.datetime | None]
