"""Marketing campaigns and their members (customers or leads) with response and attributed revenue."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid

from sqlalchemy import CheckConstraint, Date, ForeignKeyConstraint, Index, Numeric, text
from sqlalchemy.orm import Mapped, mapped_column

from rapport.models.base import Base, Customizable, TenantScoped, Timestamped, Versioned

MONEY = Numeric(18, 2)


class Campaign(TenantScoped, Timestamped, Versioned, Customizable, Base):
    __tablename__ = "campaigns"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        CheckConstraint("status IN ('PLANNED', 'ACTIVE', 'COMPLETED', 'CANCELLED')", name="status"),
        CheckConstraint("budget IS NULL OR budget >= 0", name="budget"),
        CheckConstraint("ends_on IS NULL OR starts_on IS NULL OR ends_on >= starts_on", name="dates"),
        Index("ix_campaigns_custom", "custom", postgresql_using="gin", postgresql_ops={"custom": "jsonb_path_ops"}),
    )

    name: Mapped[str]
    channel: Mapped[str | None]
    budget: Mapped[decimal.Decimal | None] = mapped_column(MONEY)
    currency: Mapped[str]
    starts_on: Mapped[dt.date | None] = mapped_column(Date)
    ends_on: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(server_default="PLANNED")
    deleted_at: Mapped[dt.datetime | None]


class CampaignMember(TenantScoped, Timestamped, Versioned, Base):
    __tablename__ = "campaign_members"
    __table_args__ = (
        Index("ix_campaign_members_tenant_id_customer_id_id", "tenant_id", "customer_id", "id"),
        ForeignKeyConstraint(["tenant_id", "campaign_id"], ["campaigns.tenant_id", "campaigns.id"]),
        ForeignKeyConstraint(["tenant_id", "customer_id"], ["customers.tenant_id", "customers.id"]),
        ForeignKeyConstraint(["tenant_id", "lead_id"], ["leads.tenant_id", "leads.id"]),
        CheckConstraint("(customer_id IS NULL) <> (lead_id IS NULL)", name="one_member"),
        CheckConstraint("status IN ('TARGETED', 'SENT', 'RESPONDED', 'CONVERTED')", name="status"),
        CheckConstraint("attributed_revenue >= 0", name="revenue"),
        Index("ix_campaign_members_tenant_id_campaign_id_id", "tenant_id", "campaign_id", "id"),
        Index("ix_campaign_members_tenant_id_lead_id", "tenant_id", "lead_id"),
        Index(
            "uq_campaign_members_customer",
            "tenant_id",
            "campaign_id",
            "customer_id",
            unique=True,
            postgresql_where=text("customer_id IS NOT NULL"),
        ),
        Index(
            "uq_campaign_members_lead",
            "tenant_id",
            "campaign_id",
            "lead_id",
            unique=True,
            postgresql_where=text("lead_id IS NOT NULL"),
        ),
    )

    campaign_id: Mapped[uuid.UUID]
    customer_id: Mapped[uuid.UUID | None]
    lead_id: Mapped[uuid.UUID | None]
    status: Mapped[str] = mapped_column(server_default="TARGETED")
    responded_at: Mapped[dt.datetime | None]
    attributed_revenue: Mapped[decimal.Decimal] = mapped_column(MONEY, server_default="0")
