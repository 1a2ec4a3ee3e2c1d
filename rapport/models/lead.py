"""Leads: prospects not yet customers; converting one creates the customer (and contact, opportunity)."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import CheckConstraint, ForeignKeyConstraint, Index
from sqlalchemy.orm import Mapped, mapped_column

from rapport.models.base import Base, Customizable, TenantScoped, Timestamped, Versioned


class Lead(TenantScoped, Timestamped, Versioned, Customizable, Base):
    __tablename__ = "leads"
    __table_args__ = (
        Index("ix_leads_tenant_id_created_at_id", "tenant_id", "created_at", "id"),
        ForeignKeyConstraint(["tenant_id", "owner_id"], ["users.tenant_id", "users.id"]),
        ForeignKeyConstraint(["tenant_id", "customer_id"], ["customers.tenant_id", "customers.id"]),
        ForeignKeyConstraint(["tenant_id", "contact_id"], ["contacts.tenant_id", "contacts.id"]),
        ForeignKeyConstraint(["tenant_id", "opportunity_id"], ["opportunities.tenant_id", "opportunities.id"]),
        CheckConstraint("status IN ('NEW', 'CONTACTED', 'QUALIFIED', 'UNQUALIFIED', 'CONVERTED')", name="status"),
        CheckConstraint("score BETWEEN 0 AND 100", name="score"),
        Index("ix_leads_tenant_id_status", "tenant_id", "status"),
        Index("ix_leads_tenant_id_owner_id", "tenant_id", "owner_id"),
        Index("ix_leads_tenant_id_customer_id", "tenant_id", "customer_id"),
        Index("ix_leads_tenant_id_contact_id", "tenant_id", "contact_id"),
        Index("ix_leads_tenant_id_opportunity_id", "tenant_id", "opportunity_id"),
        Index("ix_leads_custom", "custom", postgresql_using="gin", postgresql_ops={"custom": "jsonb_path_ops"}),
    )

    name: Mapped[str]
    company: Mapped[str | None]
    title: Mapped[str | None]
    email: Mapped[str | None]
    phone: Mapped[str | None]
    source: Mapped[str | None]
    status: Mapped[str] = mapped_column(server_default="NEW")
    score: Mapped[int] = mapped_column(server_default="0")
    tags: Mapped[list[str]] = mapped_column(server_default="{}")
    owner_id: Mapped[uuid.UUID | None]
    # Set by leadConvert: what the lead became.
    customer_id: Mapped[uuid.UUID | None]
    contact_id: Mapped[uuid.UUID | None]
    opportunity_id: Mapped[uuid.UUID | None]
    converted_at: Mapped[dt.datetime | None]
    deleted_at: Mapped[dt.datetime | None]
