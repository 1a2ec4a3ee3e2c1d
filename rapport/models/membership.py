"""Membership: tiers, and the points / stored-balance ledger (append-only) with its running balances."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid

from sqlalchemy import CheckConstraint, ForeignKeyConstraint, Index, Numeric, func
from sqlalchemy.orm import Mapped, mapped_column

from rapport.models.base import Base, TenantScoped, Timestamped, Versioned

MONEY = Numeric(18, 2)


class MembershipTier(TenantScoped, Timestamped, Versioned, Base):
    __tablename__ = "membership_tiers"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        CheckConstraint("basis IN ('LIFETIME_SPEND', 'POINTS')", name="basis"),
        CheckConstraint("threshold >= 0", name="threshold"),
        Index("uq_membership_tiers_tenant_id_rank", "tenant_id", "rank", unique=True),
    )

    name: Mapped[str]
    rank: Mapped[int]
    basis: Mapped[str]
    threshold: Mapped[decimal.Decimal] = mapped_column(MONEY)
    benefits: Mapped[str | None]


class MemberAccount(TenantScoped, Base):
    """Running balances of a customer's ledger; the CHECKs make an overdraft fail atomically, even when two
    redemptions race. Always equal to the sums of the ledger (tests hold it to that)."""

    __tablename__ = "member_accounts"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "id"], ["customers.tenant_id", "customers.id"]),
        CheckConstraint("points >= 0", name="points"),
        CheckConstraint("balance >= 0", name="balance"),
    )

    points: Mapped[decimal.Decimal] = mapped_column(MONEY, server_default="0")
    balance: Mapped[decimal.Decimal] = mapped_column(MONEY, server_default="0")
    points_earned: Mapped[decimal.Decimal] = mapped_column(MONEY, server_default="0")
    updated_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())


class LedgerEntry(TenantScoped, Base):
    """One movement of points or stored balance. Never updated or deleted (the app role may only insert)."""

    __tablename__ = "ledger_entries"
    __table_args__ = (
        Index("ix_ledger_entries_tenant_id_created_at_id", "tenant_id", "created_at", "id"),
        ForeignKeyConstraint(["tenant_id", "customer_id"], ["customers.tenant_id", "customers.id"]),
        ForeignKeyConstraint(["tenant_id", "created_by_id"], ["users.tenant_id", "users.id"]),
        CheckConstraint("account IN ('POINTS', 'BALANCE')", name="account"),
        CheckConstraint("kind IN ('EARN', 'REDEEM', 'ADJUST', 'EXPIRE', 'TOP_UP', 'SPEND')", name="kind"),
        CheckConstraint("amount <> 0", name="amount"),
        # The reference makes an entry idempotent: recording it twice records it once.
        Index("uq_ledger_entries_reference", "tenant_id", "account", "reference", unique=True),
        Index("ix_ledger_entries_tenant_id_customer_id_id", "tenant_id", "customer_id", "id"),
        Index("ix_ledger_entries_tenant_id_created_by_id", "tenant_id", "created_by_id"),
    )

    customer_id: Mapped[uuid.UUID]
    account: Mapped[str]
    kind: Mapped[str]
    amount: Mapped[decimal.Decimal] = mapped_column(MONEY)
    balance_after: Mapped[decimal.Decimal] = mapped_column(MONEY)
    reference: Mapped[str]
    note: Mapped[str | None]
    created_by_id: Mapped[uuid.UUID | None]
    created_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())
