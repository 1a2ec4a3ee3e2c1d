"""Customer feedback: surveys, reviews, complaints and suggestions."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import CheckConstraint, ForeignKeyConstraint, Index
from sqlalchemy.orm import Mapped

from rapport.models.base import Base, Customizable, TenantScoped, Timestamped, Versioned


class Feedback(TenantScoped, Timestamped, Versioned, Customizable, Base):
    __tablename__ = "feedback"
    __table_args__ = (
        Index("ix_feedback_tenant_id_created_at_id", "tenant_id", "created_at", "id"),
        Index("ix_feedback_tenant_id_order_id_id", "tenant_id", "order_id", "id"),
        ForeignKeyConstraint(["tenant_id", "customer_id"], ["customers.tenant_id", "customers.id"]),
        ForeignKeyConstraint(["tenant_id", "order_id"], ["orders.tenant_id", "orders.id"]),
        ForeignKeyConstraint(["tenant_id", "product_id"], ["products.tenant_id", "products.id"]),
        CheckConstraint("kind IN ('SURVEY', 'REVIEW', 'COMPLAINT', 'SUGGESTION')", name="kind"),
        CheckConstraint("rating IS NULL OR rating BETWEEN 1 AND 5", name="rating"),
        CheckConstraint("nps IS NULL OR nps BETWEEN 0 AND 10", name="nps"),
        CheckConstraint("status IS NULL OR status IN ('OPEN', 'ACKNOWLEDGED', 'RESOLVED')", name="status"),
        Index("ix_feedback_tenant_id_customer_id_id", "tenant_id", "customer_id", "id"),
        Index("ix_feedback_tenant_id_product_id", "tenant_id", "product_id"),
        Index("ix_feedback_custom", "custom", postgresql_using="gin", postgresql_ops={"custom": "jsonb_path_ops"}),
    )

    customer_id: Mapped[uuid.UUID]
    kind: Mapped[str]
    rating: Mapped[int | None]
    nps: Mapped[int | None]
    comment: Mapped[str | None]
    channel: Mapped[str | None]
    order_id: Mapped[uuid.UUID | None]
    product_id: Mapped[uuid.UUID | None]
    status: Mapped[str | None]
    deleted_at: Mapped[dt.datetime | None]
