"""Interactions and follow-ups: every call, email, meeting or message with a customer."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import CheckConstraint, Date, ForeignKeyConstraint, Index
from sqlalchemy.orm import Mapped, mapped_column

from rapport.models.base import Base, Customizable, TenantScoped, Timestamped, Versioned


class Interaction(TenantScoped, Timestamped, Versioned, Customizable, Base):
    __tablename__ = "interactions"
    __table_args__ = (
        Index("ix_interactions_tenant_id_created_at_id", "tenant_id", "created_at", "id"),
        Index("ix_interactions_tenant_id_order_id_id", "tenant_id", "order_id", "id"),
        Index("ix_interactions_tenant_id_opportunity_id_id", "tenant_id", "opportunity_id", "id"),
        Index("ix_interactions_tenant_id_contact_id_id", "tenant_id", "contact_id", "id"),
        Index("ix_interactions_tenant_id_case_id_id", "tenant_id", "case_id", "id"),
        ForeignKeyConstraint(["tenant_id", "customer_id"], ["customers.tenant_id", "customers.id"]),
        ForeignKeyConstraint(["tenant_id", "contact_id"], ["contacts.tenant_id", "contacts.id"]),
        ForeignKeyConstraint(["tenant_id", "lead_id"], ["leads.tenant_id", "leads.id"]),
        ForeignKeyConstraint(["tenant_id", "opportunity_id"], ["opportunities.tenant_id", "opportunities.id"]),
        ForeignKeyConstraint(["tenant_id", "order_id"], ["orders.tenant_id", "orders.id"]),
        ForeignKeyConstraint(["tenant_id", "case_id"], ["service_cases.tenant_id", "service_cases.id"]),
        ForeignKeyConstraint(["tenant_id", "owner_id"], ["users.tenant_id", "users.id"]),
        CheckConstraint(
            "channel IN ('PHONE', 'EMAIL', 'CHAT', 'MEETING', 'VISIT', 'SOCIAL', 'SMS', 'OTHER')", name="channel"
        ),
        CheckConstraint("direction IN ('INBOUND', 'OUTBOUND')", name="direction"),
        CheckConstraint("duration_seconds IS NULL OR duration_seconds >= 0", name="duration"),
        CheckConstraint("customer_id IS NOT NULL OR lead_id IS NOT NULL", name="subject"),
        Index("ix_interactions_tenant_id_customer_id_occurred_at", "tenant_id", "customer_id", "occurred_at"),
        Index("ix_interactions_tenant_id_lead_id", "tenant_id", "lead_id"),
        Index("ix_interactions_tenant_id_owner_id_occurred_at", "tenant_id", "owner_id", "occurred_at"),
        Index("ix_interactions_custom", "custom", postgresql_using="gin", postgresql_ops={"custom": "jsonb_path_ops"}),
    )

    customer_id: Mapped[uuid.UUID | None]
    contact_id: Mapped[uuid.UUID | None]
    lead_id: Mapped[uuid.UUID | None]
    opportunity_id: Mapped[uuid.UUID | None]
    order_id: Mapped[uuid.UUID | None]
    case_id: Mapped[uuid.UUID | None]
    channel: Mapped[str]
    direction: Mapped[str]
    occurred_at: Mapped[dt.datetime]
    duration_seconds: Mapped[int | None]
    subject: Mapped[str | None]
    content: Mapped[str | None]
    outcome: Mapped[str | None]
    next_follow_up_on: Mapped[dt.date | None] = mapped_column(Date)
    owner_id: Mapped[uuid.UUID | None]
    deleted_at: Mapped[dt.datetime | None]
