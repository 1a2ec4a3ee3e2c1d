"""Products a tenant sells."""

from __future__ import annotations

import datetime as dt
import decimal

from sqlalchemy import CheckConstraint, ForeignKeyConstraint, Index, Numeric
from sqlalchemy.orm import Mapped, mapped_column

from rapport.models.base import Base, Customizable, TenantScoped, Timestamped, Versioned


class Product(TenantScoped, Timestamped, Versioned, Customizable, Base):
    __tablename__ = "products"
    __table_args__ = (
        Index("ix_products_tenant_id_created_at_id", "tenant_id", "created_at", "id"),
        ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        Index("uq_products_tenant_id_sku", "tenant_id", "sku", unique=True),
        Index("ix_products_tenant_id_category", "tenant_id", "category"),
        CheckConstraint("unit_price >= 0", name="unit_price"),
        Index("ix_products_custom", "custom", postgresql_using="gin", postgresql_ops={"custom": "jsonb_path_ops"}),
    )

    sku: Mapped[str]
    name: Mapped[str]
    category: Mapped[str | None]
    unit_price: Mapped[decimal.Decimal] = mapped_column(Numeric(18, 2))
    currency: Mapped[str]
    active: Mapped[bool] = mapped_column(server_default="true")
    deleted_at: Mapped[dt.datetime | None]
