"""Sales pipelines, their ordered stages, opportunities moving through them, and the stage history."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid

from sqlalchemy import CheckConstraint, Date, ForeignKeyConstraint, Index, Numeric, func, text
from sqlalchemy.orm import Mapped, mapped_column

from rapport.models.base import Base, Customizable, TenantScoped, Timestamped, Versioned

MONEY = Numeric(18, 2)


class Pipeline(TenantScoped, Timestamped, Versioned, Customizable, Base):
    __tablename__ = "pipelines"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        # At most one default pipeline per tenant.
        Index("uq_pipelines_tenant_id_default", "tenant_id", unique=True, postgresql_where=text("is_default")),
    )

    name: Mapped[str]
    is_default: Mapped[bool] = mapped_column(server_default="false")
    deleted_at: Mapped[dt.datetime | None]


class PipelineStage(TenantScoped, Timestamped, Versioned, Base):
    __tablename__ = "pipeline_stages"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "pipeline_id"], ["pipelines.tenant_id", "pipelines.id"]),
        CheckConstraint("kind IN ('OPEN', 'WON', 'LOST')", name="kind"),
        CheckConstraint("probability BETWEEN 0 AND 100", name="probability"),
        Index("ix_pipeline_stages_tenant_id_pipeline_id_position", "tenant_id", "pipeline_id", "position"),
    )

    pipeline_id: Mapped[uuid.UUID]
    name: Mapped[str]
    position: Mapped[int]
    probability: Mapped[int]
    kind: Mapped[str] = mapped_column(server_default="OPEN")
    deleted_at: Mapped[dt.datetime | None]


class Opportunity(TenantScoped, Timestamped, Versioned, Customizable, Base):
    __tablename__ = "opportunities"
    __table_args__ = (
        Index("ix_opportunities_tenant_id_created_at_id", "tenant_id", "created_at", "id"),
        Index("ix_opportunities_tenant_id_pipeline_id_id", "tenant_id", "pipeline_id", "id"),
        Index("ix_opportunities_tenant_id_contact_id_id", "tenant_id", "contact_id", "id"),
        ForeignKeyConstraint(["tenant_id", "customer_id"], ["customers.tenant_id", "customers.id"]),
        ForeignKeyConstraint(["tenant_id", "contact_id"], ["contacts.tenant_id", "contacts.id"]),
        ForeignKeyConstraint(["tenant_id", "pipeline_id"], ["pipelines.tenant_id", "pipelines.id"]),
        ForeignKeyConstraint(["tenant_id", "stage_id"], ["pipeline_stages.tenant_id", "pipeline_stages.id"]),
        ForeignKeyConstraint(["tenant_id", "owner_id"], ["users.tenant_id", "users.id"]),
        CheckConstraint("probability BETWEEN 0 AND 100", name="probability"),
        CheckConstraint("amount >= 0", name="amount"),
        Index("ix_opportunities_tenant_id_customer_id_id", "tenant_id", "customer_id", "id"),
        Index("ix_opportunities_tenant_id_stage_id", "tenant_id", "stage_id"),
        Index("ix_opportunities_tenant_id_owner_id", "tenant_id", "owner_id"),
        Index("ix_opportunities_custom", "custom", postgresql_using="gin", postgresql_ops={"custom": "jsonb_path_ops"}),
    )

    name: Mapped[str]
    customer_id: Mapped[uuid.UUID]
    contact_id: Mapped[uuid.UUID | None]
    pipeline_id: Mapped[uuid.UUID]
    stage_id: Mapped[uuid.UUID]
    amount: Mapped[decimal.Decimal] = mapped_column(MONEY, server_default="0")
    currency: Mapped[str]
    expected_close_date: Mapped[dt.date | None] = mapped_column(Date)
    probability: Mapped[int]
    owner_id: Mapped[uuid.UUID | None]
    competitors: Mapped[list[str]] = mapped_column(server_default="{}")
    lost_reason: Mapped[str | None]
    closed_at: Mapped[dt.datetime | None]
    deleted_at: Mapped[dt.datetime | None]


class OpportunityStageChange(TenantScoped, Base):
    """Append-only: every stage an opportunity entered, when and by whom."""

    __tablename__ = "opportunity_stage_changes"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "opportunity_id"], ["opportunities.tenant_id", "opportunities.id"]),
        ForeignKeyConstraint(["tenant_id", "from_stage_id"], ["pipeline_stages.tenant_id", "pipeline_stages.id"]),
        ForeignKeyConstraint(["tenant_id", "to_stage_id"], ["pipeline_stages.tenant_id", "pipeline_stages.id"]),
        ForeignKeyConstraint(["tenant_id", "changed_by_id"], ["users.tenant_id", "users.id"]),
        Index("ix_opportunity_stage_changes_tenant_id_opportunity_id_id", "tenant_id", "opportunity_id", "id"),
        Index("ix_opportunity_stage_changes_tenant_id_to_stage_id", "tenant_id", "to_stage_id"),
        Index("ix_opportunity_stage_changes_tenant_id_from_stage_id", "tenant_id", "from_stage_id"),
        Index("ix_opportunity_stage_changes_tenant_id_changed_by_id", "tenant_id", "changed_by_id"),
    )

    opportunity_id: Mapped[uuid.UUID]
    from_stage_id: Mapped[uuid.UUID | None]
    to_stage_id: Mapped[uuid.UUID]
    changed_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())
    changed_by_id: Mapped[uuid.UUID | None]
